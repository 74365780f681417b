package auth

import (
	"context"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/apperr"
)

// publicFields are the root fields that need no credential.
var publicFields = map[string]bool{"login": true, "__schema": true, "__type": true, "__typename": true}

type authErrKey struct{}

// Middleware authenticates the Authorization header. A bad credential is
// remembered and reported by RootFieldGuard, so the client gets a GraphQL
// error with code UNAUTHENTICATED rather than a bare HTTP status.
func (s *Service) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		v, err := s.Authenticate(ctx, r.Header.Get("Authorization"))
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
	if v.AgentID != 0 {
		return "role " + string(v.Role)
	}
	return "this API key"
}

// WebsocketInit authenticates the connection_init payload: its
// "authorization" ("Bearer <token>") or "token" entry. A bad credential
// refuses the connection (close code 4403).
func (s *Service) WebsocketInit(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	cred := p.Authorization()
	if cred == "" {
		cred = p.GetString("token")
	}
	if cred == "" {
		cred = p.GetString("Authorization")
	}
	v, err := s.Authenticate(ctx, cred)
	if err == nil && v == nil {
		err = apperr.New(apperr.Unauthenticated, "connection_init must carry a token")
	}
	if err != nil {
		return s.refuseSocket(ctx, err)
	}
	return NewContext(ctx, v), &p, nil
}

// Websocket close codes of a refused connection_init: 4403 tells the client
// its credential is bad (do not retry with it); 1011 is a server failure.
const (
	closeForbidden     = 4403
	closeInternalError = 1011
)

// refuseSocket closes a connection whose init failed, with a close code the
// client can act on and, like GraphQL errors, no internal detail.
func (s *Service) refuseSocket(ctx context.Context, err error) (context.Context, *transport.InitPayload, error) {
	e := apperr.From(err)
	code, reason := closeForbidden, "Forbidden"
	if e.Code == apperr.Internal {
		s.Log.ErrorContext(ctx, "websocket authentication failed", "err", err)
		code, reason = closeInternalError, "internal error"
	}
	ctx = transport.AppendCloseReason(transport.WithWebsocketCloseCode(ctx, code), reason)
	return ctx, nil, e
}
