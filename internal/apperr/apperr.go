// Package apperr defines the closed set of error codes that reach API
// clients, and the mapping of every other error onto it.
package apperr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/switchboard/switchboard/ent"
)

// Code is an error class clients can act on; it is sent as extensions.code.
type Code string

// The closed set of codes.
const (
	Unauthenticated    Code = "UNAUTHENTICATED"
	Forbidden          Code = "FORBIDDEN"
	NotFound           Code = "NOT_FOUND"
	Validation         Code = "VALIDATION"
	Conflict           Code = "CONFLICT"
	LimitExceeded      Code = "LIMIT_EXCEEDED"
	PreconditionFailed Code = "PRECONDITION_FAILED"
	Internal           Code = "INTERNAL"
	// Unavailable says the server cannot take writes for now (a full disk,
	// an I/O error, the database unreachable); extensions.retryAfter says
	// when to try again, and /readyz answers 503 meanwhile.
	Unavailable Code = "UNAVAILABLE"
)

// ServerSide reports whether the code blames the server rather than the
// request: the request was fine and may succeed later.
func (c Code) ServerSide() bool { return c == Internal || c == Unavailable }

// UnavailableRetryAfter is the retryAfter, in seconds, of UNAVAILABLE.
const UnavailableRetryAfter = 5

// Error is an error meant for the client: a code, an optional business
// reason (e.g. ACTIVE_CONVERSATION_EXISTS), an optional input field, and a
// message a person can read.
type Error struct {
	Code    Code
	Reason  string
	Field   string
	Message string
	// RetryAfter, when set, tells the client how many seconds to wait
	// before it tries again (extensions.retryAfter).
	RetryAfter int
	// Extensions are further entries of extensions (e.g. nextOpening).
	Extensions map[string]any
}

func (e *Error) Error() string { return e.Message }

// New returns an Error with a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// TooMany is LIMIT_EXCEEDED with reason: too many of what, try again after
// d (extensions.retryAfter, in whole seconds, at least 1).
func TooMany(reason, what string, d time.Duration) *Error {
	secs := max(1, int(math.Ceil(d.Seconds())))
	return &Error{Code: LimitExceeded, Reason: reason, RetryAfter: secs,
		Message: fmt.Sprintf("too many %s: try again in %d s", what, secs)}
}

// WithReason returns a copy of e carrying a business reason.
func (e *Error) WithReason(reason string) *Error {
	c := *e
	c.Reason = reason
	return &c
}

// WithExtension returns a copy of e carrying one more entry of
// extensions.
func (e *Error) WithExtension(key string, value any) *Error {
	c := *e
	c.Extensions = make(map[string]any, len(e.Extensions)+1)
	for k, v := range e.Extensions {
		c.Extensions[k] = v
	}
	c.Extensions[key] = value
	return &c
}

// Invalid reports a VALIDATION error on one input field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: Validation, Field: field, Message: field + ": " + fmt.Sprintf(format, args...)}
}

// Is reports whether err is an *Error with the given code.
func Is(err error, code Code) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// From maps any error to an *Error: ent's not-found, constraint and
// validation errors get their codes; anything else is INTERNAL, and its text
// is not shown to clients.
func From(err error) *Error {
	var e *Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &e):
		return e
	case ent.IsNotFound(err):
		return &Error{Code: NotFound, Message: "not found"}
	case ent.IsValidationError(err):
		var ve *ent.ValidationError
		errors.As(err, &ve)
		return &Error{Code: Validation, Field: graphQLName(ve.Name), Message: ve.Error()}
	case ent.IsConstraintError(err):
		if isForeignKeyViolation(err) {
			return &Error{Code: NotFound, Message: "refers to an object that does not exist"}
		}
		return &Error{Code: Conflict, Message: "conflicts with an existing object: a value that must be unique is taken"}
	case IsStorageFault(err):
		return &Error{Code: Unavailable, RetryAfter: UnavailableRetryAfter,
			Message: "the server cannot store changes right now: try again later"}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Code: LimitExceeded, Message: "the request took too long"}
	}
	return &Error{Code: Internal, Message: "internal error"}
}

// Presenter returns gqlgen's error presenter: client errors pass through with
// their extensions, internal ones are logged and masked.
func Presenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		var ge *gqlerror.Error
		if errors.As(err, &ge) && ge.Err == nil {
			// Produced by gqlgen itself (parsing, validation, complexity) or
			// by entgql: its code is mapped into the closed set.
			if gqlErr.Extensions == nil {
				gqlErr.Extensions = map[string]any{}
			}
			code, _ := gqlErr.Extensions["code"].(string)
			gqlErr.Extensions["code"] = string(closedCode(code))
			return gqlErr
		}
		e := From(err)
		if e.Code == Internal && errors.As(err, &ge) {
			if arg, ok := argumentOf(ctx, ge); ok {
				// gqlgen could not decode an argument (an ID that is not a
				// number, a malformed Time): the request is at fault.
				e = &Error{Code: Validation, Field: arg, Message: arg + ": " + ge.Message}
				var num *strconv.NumError
				if errors.As(err, &num) {
					// Every ID is a number; strconv's text is no help to a client.
					e.Message = arg + ": not a valid ID"
				}
			}
		}
		if e.Code == Internal {
			log.ErrorContext(ctx, "internal error", "err", err, "path", gqlErr.Path.String())
		}
		gqlErr.Message = e.Message
		gqlErr.Extensions = map[string]any{"code": string(e.Code)}
		if e.Reason != "" {
			gqlErr.Extensions["reason"] = e.Reason
		}
		if e.Field != "" {
			gqlErr.Extensions["field"] = e.Field
		}
		if e.RetryAfter > 0 {
			gqlErr.Extensions["retryAfter"] = e.RetryAfter
		}
		for k, v := range e.Extensions {
			if _, taken := gqlErr.Extensions[k]; !taken {
				gqlErr.Extensions[k] = v
			}
		}
		return gqlErr
	}
}

// graphQLName turns an ent field name (webhook_url) into the name of the
// GraphQL input field (webhookURL), as entgql spells it.
func graphQLName(field string) string {
	parts := strings.Split(field, "_")
	for i, p := range parts {
		switch {
		case i == 0:
		case p == "id" || p == "url":
			parts[i] = strings.ToUpper(p)
		case p != "":
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

// PersistedQueryNotFound is the one code outside the closed set: the
// automatic persisted query protocol (Apollo's PersistedQueryLink) asks for
// it when the server does not know a query's hash, and the client answers
// by sending the document with the hash.
const PersistedQueryNotFound = "PERSISTED_QUERY_NOT_FOUND"

// gqlgenCodes maps the codes gqlgen sets on its own errors.
var gqlgenCodes = map[string]Code{
	errcode.ValidationFailed:    Validation,
	errcode.ParseFailed:         Validation,
	"COMPLEXITY_LIMIT_EXCEEDED": LimitExceeded, // extension.FixedComplexityLimit
}

// closedCode returns code when it is in the closed set, its mapping when
// gqlgen set it, and VALIDATION otherwise: gqlgen's own errors are about the
// request, not the server.
func closedCode(code string) Code {
	switch c := Code(code); c {
	case Unauthenticated, Forbidden, NotFound, Validation, Conflict, LimitExceeded, PreconditionFailed, Internal, Unavailable:
		return c
	}
	if c, ok := gqlgenCodes[code]; ok {
		return c
	}
	if code == PersistedQueryNotFound {
		return Code(code)
	}
	return Validation
}

// argumentOf reports whether ge was raised decoding an argument of the field
// being resolved, and which: gqlgen then puts the argument's name (and,
// inside an input object, more names) after the field's path.
func argumentOf(ctx context.Context, ge *gqlerror.Error) (string, bool) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Definition == nil {
		return "", false
	}
	path := fc.Path()
	if len(ge.Path) <= len(path) {
		return "", false
	}
	for i := range path {
		if ge.Path[i] != path[i] {
			return "", false
		}
	}
	name, ok := ge.Path[len(path)].(ast.PathName)
	if !ok || fc.Field.Definition.Arguments.ForName(string(name)) == nil {
		return "", false
	}
	return string(name), true
}

// Recover returns gqlgen's recover func: the panic is logged with its stack
// and the client sees INTERNAL.
func Recover(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", p, "stack", string(debug.Stack()))
		return &Error{Code: Internal, Message: "internal error"}
	}
}

// isForeignKeyViolation tells a missing reference from a uniqueness clash,
// by the driver's error code.
func isForeignKeyViolation(err error) bool {
	var le sqlite3.Error
	if errors.As(err, &le) {
		return le.ExtendedCode == sqlite3.ErrConstraintForeignKey
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23503"
	}
	return false
}

// WithField returns a copy of e naming the input field at fault.
func (e *Error) WithField(field string) *Error {
	c := *e
	c.Field = field
	return &c
}

// IsStorageFault reports whether err says the database cannot take writes
// for a reason outside the request: SQLite's disk full, I/O error, cannot
// open or read-only file; PostgreSQL's insufficient resources (class 53,
// disk_full among them), system errors (class 58), a read-only server or
// one that refuses connections.
func IsStorageFault(err error) bool {
	var le sqlite3.Error
	if errors.As(err, &le) {
		switch le.Code {
		case sqlite3.ErrFull, sqlite3.ErrIoErr, sqlite3.ErrCantOpen, sqlite3.ErrReadonly:
			return true
		}
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "53") || strings.HasPrefix(pe.Code, "58") ||
			pe.Code == "25006" || pe.Code == "57P03"
	}
	var ce *pgconn.ConnectError
	return errors.As(err, &ce)
}
