package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/switchboard/switchboard/internal/apperr"
)

// limitBody refuses a request body above max bytes with 413 and a GraphQL
// error coded LIMIT_EXCEEDED. gqlgen would report the truncated read as a
// generic request error.
func limitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			writeError(w, http.StatusRequestEntityTooLarge, apperr.New(apperr.LimitExceeded, "the request body is larger than %d bytes", max))
			return
		case err != nil:
			writeError(w, http.StatusBadRequest, apperr.New(apperr.Validation, "could not read the request body"))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// boundSlowClients gives each HTTP request (not websocket upgrades, which
// live on) a deadline to send its body in and one to take its response
// in, on the connection itself: a client trickling a body a byte at a
// time, or never reading the answer, is cut off instead of holding a
// connection and a goroutine for ever. (http.Server's ReadTimeout and
// WriteTimeout would also cut off websockets.)
func boundSlowClients(read, write time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "" {
			rc := http.NewResponseController(w)
			now := time.Now()
			_ = rc.SetReadDeadline(now.Add(read)) // ErrNotSupported outside a real server
			_ = rc.SetWriteDeadline(now.Add(write))
		}
		next.ServeHTTP(w, r)
	})
}

// withDeadline runs each HTTP request (not websocket upgrades, whose
// subscriptions live as long as the connection) under a deadline. The
// request's context also ends when the client goes away, and the database
// queries of the operation stop with it; writes are detached from it and
// commit or roll back whole.
func withDeadline(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// writeError answers a request that never reached gqlgen with a GraphQL
// error response.
func writeError(w http.ResponseWriter, status int, e *apperr.Error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	ext := map[string]any{"code": string(e.Code)}
	if e.Reason != "" {
		ext["reason"] = e.Reason
	}
	if e.Field != "" {
		ext["field"] = e.Field
	}
	_ = json.NewEncoder(w).Encode(graphql.Response{Errors: gqlerror.List{{Message: e.Message, Extensions: ext}}})
}

// getQueries is gqlgen's GET transport, refusing mutations and
// subscriptions with 405 and a coded error, as GraphQL over HTTP asks
// (gqlgen answers 406 with an uncoded one). A GET can be triggered by a link
// or an image on another site, so it must never change anything.
type getQueries struct {
	transport.GET
	tokenLimit int
	// persisted is the automatic persisted query cache, so that a GET
	// naming a stored mutation by its hash is refused like one sending it.
	persisted graphql.Cache[string]
}

// Do serves a GET request.
func (t getQueries) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if e := checkGetParams(r.URL.RawQuery); e != nil {
		writeError(w, http.StatusBadRequest, e)
		return
	}
	q := r.URL.Query()
	query := q.Get("query")
	if query == "" && t.persisted != nil {
		var ext struct {
			PersistedQuery struct {
				Hash string `json:"sha256Hash"`
			} `json:"persistedQuery"`
		}
		if json.Unmarshal([]byte(q.Get("extensions")), &ext) == nil && ext.PersistedQuery.Hash != "" {
			query, _ = t.persisted.Get(r.Context(), ext.PersistedQuery.Hash)
		}
	}
	// A document that does not parse is left to gqlgen, which reports why.
	if doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, t.tokenLimit); err == nil {
		if op := doc.Operations.ForName(q.Get("operationName")); op != nil && op.Operation != ast.Query {
			w.Header().Set("Allow", "POST")
			writeError(w, http.StatusMethodNotAllowed, apperr.New(apperr.Validation, "send %ss by POST; GET is for queries only", op.Operation))
			return
		}
	}
	t.GET.Do(w, r, exec)
}

// tokenLimit refuses query documents of more than limit tokens with
// LIMIT_EXCEEDED before they are parsed. gqlgen's parser limit (also set)
// reports the same as a parse error, which the client cannot tell from a typo.
type tokenLimit int

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = tokenLimit(0)

// ExtensionName names the extension.
func (tokenLimit) ExtensionName() string { return "TokenLimit" }

// Validate accepts any schema.
func (tokenLimit) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters counts the document's tokens.
func (limit tokenLimit) MutateOperationParameters(_ context.Context, p *graphql.RawParams) *gqlerror.Error {
	lex := lexer.New(&ast.Source{Input: p.Query})
	for n := 0; ; n++ {
		tok, err := lex.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			return nil // a lexing error is the parser's to report
		}
		if n >= int(limit) {
			return &gqlerror.Error{
				Message:    fmt.Sprintf("the query has more than %d tokens", int(limit)),
				Extensions: map[string]any{"code": string(apperr.LimitExceeded)},
			}
		}
	}
}
