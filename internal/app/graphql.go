package app

import (
	"context"
	"net/http"
	"regexp"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/graph"
	"github.com/switchboard/switchboard/internal/admin"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/engine"
	"github.com/switchboard/switchboard/internal/live"
)

// graphqlHandler builds the gqlgen server with the transports, limits and
// error handling of DESIGN.md.
func (a *App) graphqlHandler() http.Handler {
	cfg := a.Config
	schema := graph.NewExecutableSchema(graph.Config{
		Resolvers: &graph.Resolver{Client: a.Client, Auth: a.Auth, Admin: a.Admin, Bus: a.Bus, Clock: a.Config.Clock, Engine: a.Engine,
			Live: &live.Service{Client: a.Client, Bus: a.Bus, Clock: a.Config.Clock, Presence: a.Engine, Log: a.Log,
				SlowDisconnect: a.metrics.slowDisconnects.Inc}, Outbox: a.Outbox, SessionFiles: a.SessionFiles, CRMWebhook: a.CRMWebhook,
			WebChat: a.WebChat},
		Directives: graph.DirectiveRoot{Auth: auth.Directive},
	})
	srv := handler.New(schema)
	persisted := lru.New[string](persistedQueryCacheSize)
	transports := []graphql.Transport{
		wsTransport{a: a},
		transport.Options{},
		getQueries{tokenLimit: cfg.TokenLimit, persisted: persisted},
		postJSON{},
	}
	for _, t := range transports {
		srv.AddTransport(t)
	}
	// Parsed and validated documents are kept (least recently used go
	// first): parsing and validating every request was 3% of a busy
	// server's CPU and +27% lifecycles/s with the cache (switchboard bench).
	parsed := lru.New[*ast.QueryDocument](parsedQueryCacheSize)
	srv.SetQueryCache(parsed)
	// Persisted queries first: the mutators after it see the full document.
	srv.Use(extension.AutomaticPersistedQuery{Cache: persisted})
	srv.Use(extension.Introspection{})
	srv.Use(tokenLimit(cfg.TokenLimit))
	srv.Use(documentShape{maxFields: cfg.MaxFields, maxDepth: cfg.MaxDepth, tokenLimit: cfg.TokenLimit, accepted: parsed})
	srv.Use(costLimit{limit: cfg.ComplexityLimit, maxPage: cfg.MaxPageSize})
	srv.SetParserTokenLimit(cfg.TokenLimit)
	srv.SetErrorPresenter(withoutSuggestions(!cfg.Dev, apperr.Presenter(a.Log)))
	srv.SetRecoverFunc(apperr.Recover(a.Log))
	srv.AroundOperations(a.guard.checkOnSubscribe)
	srv.AroundOperations(a.introspectionGate)
	srv.AroundOperations(a.metrics.rings.aroundOperations)
	srv.AroundRootFields(auth.RootFieldGuard)
	srv.AroundRootFields(batchScope)
	srv.AroundRootFields(refuseIntrospection)
	srv.AroundRootFields(checkArguments(schema.Schema(), cfg.MaxPageSize))
	srv.AroundRootFields(limitMessageSize(a.Client))
	srv.AroundFields(limitCustomerFields)
	srv.AroundResponses(a.metrics.observe)
	srv.AroundOperations(a.logOperation)
	srv.AroundResponses(a.logRefused)
	return refuseUnsupported(transports, srv)
}

// batchScope gives each root field its own scope for the fields that are
// loaded in batches (a queue's isLeaf, an agent's openEngagements and
// pendingOffers): a list costs the same few queries however long it is,
// and a mutation is never answered from what an earlier one in the same
// document read. A subscription's events resolve without one, each event
// reading its own rows.
func batchScope(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	return next(engine.WithAgentScope(admin.WithTreeScope(ctx)))
}

// suggestion is the "Did you mean …?" of gqlparser's validation messages.
var suggestion = regexp.MustCompile(`\s*Did you mean [^?]*\?`)

// withoutSuggestions drops, when strip is set (outside development mode),
// the field and type names validation errors suggest: they would map the
// schema out for anyone, introspection or not.
func withoutSuggestions(strip bool, present graphql.ErrorPresenterFunc) graphql.ErrorPresenterFunc {
	if !strip {
		return present
	}
	return func(ctx context.Context, err error) *gqlerror.Error {
		e := present(ctx, err)
		e.Message = suggestion.ReplaceAllString(e.Message, "")
		return e
	}
}

// persistedQueryCacheSize bounds the automatic persisted queries kept in
// memory (least recently used go first); a client whose hash was evicted
// is told PERSISTED_QUERY_NOT_FOUND and sends the document again.
const persistedQueryCacheSize = 1000

// parsedQueryCacheSize bounds the parsed and validated documents kept in
// memory; a document's size is bounded by the token limit.
const parsedQueryCacheSize = 1000

// refuseIntrospection answers __schema and __type with FORBIDDEN when
// introspectionGate disabled them; gqlgen's own refusal is an uncoded error
// that would be masked as INTERNAL.
func refuseIntrospection(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	name := graphql.GetRootFieldContext(ctx).Field.Name
	if (name == "__schema" || name == "__type") && graphql.GetOperationContext(ctx).DisableIntrospection {
		graphql.AddError(ctx, apperr.New(apperr.Forbidden, "schema introspection is for admins"))
		return graphql.Null
	}
	return next(ctx)
}

// introspectionGate allows schema introspection to admins, or to everyone
// in development mode.
func (a *App) introspectionGate(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if !a.Config.Dev {
		v := auth.FromContext(ctx)
		if v == nil || v.Role != enum.RoleAdmin {
			graphql.GetOperationContext(ctx).DisableIntrospection = true
		}
	}
	return next(ctx)
}
