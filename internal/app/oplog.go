package app

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/switchboard/switchboard/internal/auth"
)

// logOperation writes one log line per GraphQL operation when it ends (a
// subscription when its stream closes): its name, type, duration, outcome
// (OK or the first error's extensions.code) and principal. Variables,
// tokens, documents and message bodies are never logged.
func (a *App) logOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	start := time.Now()
	oc := graphql.GetOperationContext(ctx)
	kind, name := "unknown", oc.OperationName
	if oc.Operation != nil {
		kind, name = string(oc.Operation.Operation), oc.Operation.Name
	}
	handler := next(ctx)
	if kind != "subscription" {
		return func(ctx context.Context) *graphql.Response {
			resp := handler(ctx)
			a.writeOperationLine(ctx, name, kind, start, outcome(resp))
			return resp
		}
	}
	var once sync.Once
	result, responses := "OK", 0
	return func(ctx context.Context) *graphql.Response {
		resp := handler(ctx)
		if resp == nil {
			once.Do(func() {
				a.writeOperationLine(ctx, name, kind, start, result, "responses", responses)
			})
			return nil
		}
		responses++
		if o := outcome(resp); o != "OK" && result == "OK" {
			result = o
		}
		return resp
	}
}

// logRefused logs requests refused before they had an operation (an
// unknown persisted query, an unreadable parameter): they never reach
// logOperation.
func (a *App) logRefused(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	start := time.Now()
	resp := next(ctx)
	if !graphql.HasOperationContext(ctx) {
		a.writeOperationLine(ctx, "", "none", start, outcome(resp))
	}
	return resp
}

func (a *App) writeOperationLine(ctx context.Context, name, kind string, start time.Time, result string, extra ...any) {
	args := append([]any{
		"operation", name, "type", kind,
		"duration_ms", float64(time.Since(start).Microseconds()) / 1000,
		"outcome", result, "principal", principal(auth.FromContext(ctx)),
	}, extra...)
	a.Log.LogAttrs(ctx, slog.LevelInfo, "graphql operation", argsToAttrs(args)...)
}

// outcome is OK, or the extensions.code of the response's first error.
func outcome(resp *graphql.Response) string {
	if resp == nil || len(resp.Errors) == 0 {
		return "OK"
	}
	if code, ok := resp.Errors[0].Extensions["code"].(string); ok {
		return code
	}
	return "INTERNAL"
}

// principal names who sent the operation without any secret: agent:<id>,
// apikey:<id>, customer:<engagement id>, or anonymous.
func principal(v *auth.Viewer) string {
	switch {
	case v == nil:
		return "anonymous"
	case v.IsCustomer():
		return "customer:" + strconv.Itoa(v.EngagementID)
	case v.AgentID != 0:
		return "agent:" + strconv.Itoa(v.AgentID)
	case v.APIKeyID != 0:
		return "apikey:" + strconv.Itoa(v.APIKeyID)
	}
	return "system"
}

func argsToAttrs(args []any) []slog.Attr {
	attrs := make([]slog.Attr, 0, len(args)/2)
	for i := 0; i+1 < len(args); i += 2 {
		attrs = append(attrs, slog.Any(args[i].(string), args[i+1]))
	}
	return attrs
}
