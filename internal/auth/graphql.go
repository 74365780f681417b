package auth

import (
	"context"
	"net/http"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/apperr"
)

// publicFields are the root fields that need no credential.
var publicFields = map[string]bool{"login": true, "chatWidget": true, "startChat": true, "leaveMessage": true, "__schema": true, "__type": true, "__typename": true}

type authErrKey struct{}

// Middleware authenticates the Authorization header. A bad credential is
// remembered and reported by RootFieldGuard, so the client gets a GraphQL
// error with code UNAUTHENTICATED rather than a bare HTTP status.
func (s *Service) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := withRequestBase(withClientAddr(r.Context(), r), r)
		v, err := s.authenticateRequest(ctx, r.Header.Get("Authorization"))
		switch {
		case err != nil:
			ctx = context.WithValue(ctx, authErrKey{}, err)
		case v != nil:
			ctx = NewContext(ctx, v)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// RootFieldGuard is a gqlgen root field interceptor: every root field except
// login and introspection requires an authenticated principal.
func RootFieldGuard(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	fc := graphql.GetRootFieldContext(ctx)
	if publicFields[fc.Field.Name] || FromContext(ctx) != nil {
		return next(ctx)
	}
	err, _ := ctx.Value(authErrKey{}).(error)
	if err == nil {
		err = apperr.New(apperr.Unauthenticated, "authentication required: send Authorization: Bearer <token>")
	}
	graphql.AddError(ctx, err)
	return graphql.Null
}

// Directive implements @auth(roles:, scopes:).
func Directive(ctx context.Context, _ any, next graphql.Resolver, roles []enum.Role, scopes []enum.Scope) (any, error) {
	v := FromContext(ctx)
	if v == nil {
		return nil, apperr.New(apperr.Unauthenticated, "authentication required")
	}
	if !v.Allowed(roles, scopes) {
		return nil, apperr.New(apperr.Forbidden, "%s is not allowed to use this field", describe(v))
	}
	return next(ctx)
}

func describe(v *Viewer) string {
	switch {
	case v.AgentID != 0:
		return "role " + string(v.Role)
	case v.IsCustomer():
		return "a customer token"
	}
	return "this API key"
}

// Websocket close codes of refused connections.
const (
	// CloseForbidden refuses a connection_init without a valid credential.
	CloseForbidden = 4403
	// CloseInternalError refuses a connection that could not be checked.
	CloseInternalError = 4500
	// CloseTryAgainLater refuses a connection while the database cannot be
	// used (apperr.Unavailable): 1013, which clients retry.
	CloseTryAgainLater = 1013
)

// WebsocketInit authenticates the connection_init payload: its
// "authorization" ("Bearer <token>") or "token" entry. A bad credential
// refuses the connection with close code 4403 (the error's message is the
// close reason); a failure to check it closes with 4500 (logged, not
// shown). The connection_ack it leads to has an empty payload: echoing
// connection_init would send the credential back, into browser devtools
// and HAR files.
func (s *Service) WebsocketInit(ctx context.Context, p transport.InitPayload) (context.Context, int, error) {
	v, err := s.Authenticate(ctx, InitCredential(p))
	if err == nil && v == nil {
		err = apperr.New(apperr.Unauthenticated, "connection_init must carry a token")
	}
	if err != nil {
		e := apperr.From(err)
		if e.Code == apperr.Internal {
			s.Log.ErrorContext(ctx, "websocket authentication failed", "err", err)
			return ctx, CloseInternalError, e
		}
		if e.Code == apperr.Unavailable {
			return ctx, CloseTryAgainLater, e
		}
		return ctx, CloseForbidden, e
	}
	return NewContext(ctx, v), 0, nil
}

// InitCredential is the credential of a connection_init payload: its
// "authorization" ("Bearer <token>") or "token" entry.
func InitCredential(p transport.InitPayload) string {
	cred := p.Authorization()
	if cred == "" {
		cred = p.GetString("token")
	}
	if cred == "" {
		cred = p.GetString("Authorization")
	}
	return cred
}

// CloseReason shortens a message to what a websocket close frame carries
// (123 bytes), at a character boundary.
func CloseReason(msg string) string {
	const limit = 123
	if len(msg) <= limit {
		return msg
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut]
}
