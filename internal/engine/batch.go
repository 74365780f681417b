package engine

import (
	"context"
	"sync"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/auth"
)

// Batching per request scope: a list of agents asking each for its
// openEngagements or pendingOffers costs a fixed number of queries, not a
// few per agent.
//
// The scope (WithAgentScope, one per GraphQL root field) remembers every
// agent the viewer's own queries returned (RememberAgents installs the ent
// interceptor that does so). They all finished before any field below them
// resolves, so the first agent that asks loads the answer for every agent
// remembered and not loaded yet, in one batch, and the others find theirs.
// The result is deterministic, with no timer or wait for siblings.
//
// Authorization is unchanged: the loads run as the system, as the
// per-agent reads did, and an answer is only ever handed for the agent
// whose field asked. That agent reached the resolver through the row rules
// of internal/auth, and the agents remembered are those the viewer's
// queries could see, so a batch reads no other agent's data.

type agentScopeKey struct{}

// agentScope is one request scope's agents and what was loaded for them.
type agentScope struct {
	mu   sync.Mutex
	seen map[int]bool
	open agentBatch[*ent.Engagement]
	offs agentBatch[*ent.Offer]
}

// agentBatch holds the per-agent rows of one field, loaded in batches.
type agentBatch[V any] struct {
	loaded map[int][]V
}

// WithAgentScope returns ctx with a fresh batching scope. Open one per
// GraphQL root field: mutations run one after another, and a later one must
// not be answered from what an earlier one read.
func WithAgentScope(ctx context.Context) context.Context {
	return context.WithValue(ctx, agentScopeKey{}, &agentScope{})
}

func agentScopeOf(ctx context.Context) *agentScope {
	s, _ := ctx.Value(agentScopeKey{}).(*agentScope)
	return s
}

// RememberAgents installs on client the interceptor that records, in the
// request's scope, the agents each query of the viewer returns (the
// engine's own queries, run as the system, are not recorded).
func RememberAgents(client *ent.Client) {
	client.Agent.Intercept(ent.InterceptFunc(func(next ent.Querier) ent.Querier {
		return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
			v, err := next.Query(ctx, q)
			if s := agentScopeOf(ctx); s != nil && err == nil && !auth.FromContext(ctx).IsSystem() {
				if agents, ok := v.([]*ent.Agent); ok {
					s.remember(agents)
				}
			}
			return v, err
		})
	}))
}

func (s *agentScope) remember(agents []*ent.Agent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = make(map[int]bool, len(agents))
	}
	for _, a := range agents {
		s.seen[a.ID] = true
	}
}

// loadBatch returns the rows of agentID from b, loading them with fetch, together
// with those of every remembered agent not loaded yet, on first use. The
// lock is held during fetch, so concurrent fields of the scope wait for the
// one batch instead of sending their own.
func loadBatch[V any](ctx context.Context, s *agentScope, b *agentBatch[V], agentID int, fetch func(context.Context, []int) (map[int][]V, error)) ([]V, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rows, ok := b.loaded[agentID]; ok {
		return rows, nil
	}
	ids := []int{agentID}
	for id := range s.seen {
		if _, ok := b.loaded[id]; !ok && id != agentID {
			ids = append(ids, id)
		}
	}
	got, err := fetch(ctx, ids)
	if err != nil {
		return nil, err
	}
	if b.loaded == nil {
		b.loaded = make(map[int][]V, len(ids))
	}
	for _, id := range ids {
		b.loaded[id] = nonNil(got[id])
	}
	return b.loaded[agentID], nil
}

// nonNil makes a missing list an empty one, as the API's lists are.
func nonNil[V any](rows []V) []V {
	if rows == nil {
		return []V{}
	}
	return rows
}
