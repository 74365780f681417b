package graph_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
)

// queryCounter counts the statements that read outside transactions.
type queryCounter struct {
	dialect.Driver
	n   atomic.Int64
	mu  sync.Mutex
	sql []string
}

func (c *queryCounter) Query(ctx context.Context, query string, args, v any) error {
	c.n.Add(1)
	c.mu.Lock()
	c.sql = append(c.sql, query)
	c.mu.Unlock()
	return c.Driver.Query(ctx, query, args, v)
}

func (c *queryCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n.Store(0)
	c.sql = nil
}

func (c *queryCounter) statements() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.sql, "\n")
}

// Nested connections are loaded per level, not per parent (STYLE 10).
func TestNestedConnectionQueryCount(t *testing.T) {
	counter := &queryCounter{}
	s := apitest.Start(t, func(c *app.Config) {
		c.WrapDriver = func(d dialect.Driver) dialect.Driver { counter.Driver = d; return counter }
	})
	const queues, agentsPerQueue = 10, 7
	var ids []string
	for i := range queues {
		ids = append(ids, createQueue(t, s, map[string]any{"name": fmt.Sprintf("Queue %02d", i)}))
	}
	for i := range agentsPerQueue {
		createAgent(t, s, map[string]any{"name": fmt.Sprintf("Agent %d", i), "email": fmt.Sprintf("a%d@example.com", i), "queueIDs": ids})
	}

	for _, tc := range []struct {
		name, query string
		max         int64
	}{
		// queues: count + rows; agents: counts grouped by queue + rows per queue (window).
		{"queues with agents", `{ queues(first: 10) { totalCount edges { node { name agents(first: 5) { totalCount edges { node { name } } } } } } }`, 4},
		{"one more level", `{ queues(first: 10) { edges { node { agents(first: 5) { edges { node { name queues(first: 3) { totalCount edges { node { name } } } } } } } } } }`, 4},
		{"unique edges", `{ agents(first: 10) { edges { node { name capacityProfile { name } queues(first: 2) { edges { node { name parent { name } } } } } } } }`, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// What authenticating the request costs, whatever it asks.
			counter.reset()
			do[any](t, s.Admin, `{ __typename }`, nil)
			auth := counter.n.Load()
			counter.reset()
			do[any](t, s.Admin, tc.query, nil)
			if n := counter.n.Load() - auth; n > tc.max {
				t.Fatalf("%d queries; want at most %d:\n%s", n, tc.max, counter.statements())
			}
		})
	}
	t.Run("the data is complete", func(t *testing.T) {
		got := do[struct {
			Queues struct {
				Edges []struct {
					Node struct {
						Agents struct {
							TotalCount int
							Edges      []any
						}
					}
				}
			}
		}](t, s.Admin, `{ queues(first: 10) { edges { node { agents(first: 5) { totalCount edges { node { name } } } } } } }`, nil)
		if len(got.Queues.Edges) != queues {
			t.Fatalf("%d queues", len(got.Queues.Edges))
		}
		for _, e := range got.Queues.Edges {
			if e.Node.Agents.TotalCount != agentsPerQueue || len(e.Node.Agents.Edges) != 5 {
				t.Fatalf("agents = %d/%d", len(e.Node.Agents.Edges), e.Node.Agents.TotalCount)
			}
		}
	})
}
