package graph_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/ent/transfer"
	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/gqlclient"
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

// handWritten is a data set for the hand-written fields: n leaf queues
// under a root and a middle queue, n AVAILABLE agents, each a member of one
// leaf, holding a connected chat, rung for a waiting one, and every third
// owing the wrap-up of a chat it transferred to the next agent.
type handWritten struct {
	s       *apitest.Server
	counter *queryCounter
	agents  []string // IDs, by index
	clients []*gqlclient.Client
	paths   map[string]string // queue ID -> menu path
	leaf    map[string]bool
	open    map[string][]string // agent ID -> open engagement IDs, oldest first
	offers  map[string][]string // agent ID -> pending offer IDs, oldest first
}

func newHandWritten(t *testing.T, n int) *handWritten {
	t.Helper()
	f := &handWritten{counter: &queryCounter{}, paths: map[string]string{}, leaf: map[string]bool{},
		open: map[string][]string{}, offers: map[string][]string{}}
	f.s = apitest.Start(t, func(c *app.Config) {
		c.WrapDriver = func(d dialect.Driver) dialect.Driver { f.counter.Driver = d; return f.counter }
	})
	root := createQueue(t, f.s, map[string]any{"name": "Root"})
	mid := createQueue(t, f.s, map[string]any{"name": "Mid", "parentID": root})
	f.paths[root], f.paths[mid] = "Root", "Root > Mid"
	leaves := make([]string, n)
	for i := range n {
		name := fmt.Sprintf("Leaf %02d", i)
		parent, path := root, "Root > "+name
		if i%2 == 1 {
			parent, path = mid, "Root > Mid > "+name
		}
		leaves[i] = createQueue(t, f.s, map[string]any{"name": name, "parentID": parent})
		f.paths[leaves[i]], f.leaf[leaves[i]] = path, true
	}
	for i := range n {
		id, c := createAgent(t, f.s, map[string]any{"name": fmt.Sprintf("Agent %02d", i), "email": fmt.Sprintf("hw%d@example.com", i), "queueIDs": []string{leaves[i]}})
		f.agents, f.clients = append(f.agents, id), append(f.clients, c)
	}
	ctx := auth.SystemContext(context.Background())
	if err := f.s.App.Engine.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// Direct writes, which the dispatcher does not hear of: it leaves them be.
	write(t, f.s, func(ctx context.Context, tx *ent.Tx) error {
		str := func(id int) string { return strconv.Itoa(id) }
		for i, a := range f.agents {
			aid, qid := intID(t, a), intID(t, leaves[i])
			if err := tx.Agent.UpdateOneID(aid).SetState(agent.StateAvailable).Exec(ctx); err != nil {
				return err
			}
			held, err := tx.Engagement.Create().SetChannel(enum.ChannelChat).SetQueueID(qid).
				SetState(engagement.StateConnected).SetAgentID(aid).Save(ctx)
			if err != nil {
				return err
			}
			f.open[a] = append(f.open[a], str(held.ID))
			rung, err := tx.Engagement.Create().SetChannel(enum.ChannelChat).SetQueueID(qid).
				SetState(engagement.StateOffered).Save(ctx)
			if err != nil {
				return err
			}
			o, err := tx.Offer.Create().SetEngagementID(rung.ID).SetAgentID(aid).SetDeadline(f.s.Clock.Now().Add(time.Hour)).Save(ctx)
			if err != nil {
				return err
			}
			f.offers[a] = append(f.offers[a], str(o.ID))
		}
		for i := 0; i < len(f.agents); i += 3 {
			from, to := f.agents[i], f.agents[(i+1)%len(f.agents)]
			moved, err := tx.Engagement.Create().SetChannel(enum.ChannelChat).SetQueueID(intID(t, leaves[i])).
				SetState(engagement.StateConnected).SetAgentID(intID(t, to)).Save(ctx)
			if err != nil {
				return err
			}
			err = tx.Transfer.Create().SetEngagementID(moved.ID).SetFromAgentID(intID(t, from)).SetToAgentID(intID(t, to)).
				SetState(transfer.StateCompleted).Exec(ctx)
			if err != nil {
				return err
			}
			f.open[from] = append(f.open[from], str(moved.ID))
			f.open[to] = append(f.open[to], str(moved.ID))
		}
		return nil
	})
	return f
}

// statements runs query as c and returns the statements it read with,
// besides authenticating the request.
func (f *handWritten) statements(t *testing.T, c *gqlclient.Client, query string) (int64, any) {
	t.Helper()
	f.counter.reset()
	do[any](t, c, `{ __typename }`, nil)
	authn := f.counter.n.Load()
	f.counter.reset()
	out := do[any](t, c, query, nil)
	return f.counter.n.Load() - authn, out
}

// The hand-written fields cost the same statements for 3 rows as for 30.
func TestHandWrittenFieldsQueryCount(t *testing.T) {
	small, large := newHandWritten(t, 3), newHandWritten(t, 30)
	for _, tc := range []struct{ name, query string }{
		{"queues menuPath isLeaf", `{ queues(first: 100) { edges { node { name menuPath isLeaf } } } }`},
		{"agents openEngagements pendingOffers", `{ agents(first: 100) { edges { node { name openEngagements { id } pendingOffers { id } } } } }`},
		{"nested agents openEngagements", `{ queues(first: 100) { edges { node { agents(first: 5) { edges { node { openEngagements { id } pendingOffers { id } } } } } } } }`},
		{"transferTargets", `{ transferTargets(channel: CHAT) { queues { queue { name menuPath isLeaf } waiting agentsAvailable } agents { agentID name state canTake } } }`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n3, _ := small.statements(t, small.s.Admin, tc.query)
			n30, _ := large.statements(t, large.s.Admin, tc.query)
			t.Logf("statements: %d for 3 rows, %d for 30", n3, n30)
			if n3 != n30 {
				t.Fatalf("%d statements for 3 rows, %d for 30:\n%s", n3, n30, large.counter.statements())
			}
		})
	}
}

// The batched fields answer what the per-row reads did.
func TestHandWrittenFieldsValues(t *testing.T) {
	f := newHandWritten(t, 30)
	t.Run("queues", func(t *testing.T) {
		got := do[struct {
			Queues struct {
				Edges []struct {
					Node struct {
						ID, MenuPath string
						IsLeaf       bool
					}
				}
			}
		}](t, f.s.Admin, `{ queues(first: 100) { edges { node { id menuPath isLeaf } } } }`, nil)
		if len(got.Queues.Edges) != len(f.paths) {
			t.Fatalf("%d queues, want %d", len(got.Queues.Edges), len(f.paths))
		}
		for _, e := range got.Queues.Edges {
			if e.Node.MenuPath != f.paths[e.Node.ID] || e.Node.IsLeaf != f.leaf[e.Node.ID] {
				t.Errorf("queue %s: menuPath %q isLeaf %v; want %q %v", e.Node.ID, e.Node.MenuPath, e.Node.IsLeaf, f.paths[e.Node.ID], f.leaf[e.Node.ID])
			}
		}
	})
	type lists struct {
		ID              string
		OpenEngagements []struct{ ID string }
		PendingOffers   []struct{ ID string }
	}
	check := func(t *testing.T, a lists) {
		t.Helper()
		var open, offers []string
		for _, e := range a.OpenEngagements {
			open = append(open, e.ID)
		}
		for _, o := range a.PendingOffers {
			offers = append(offers, o.ID)
		}
		wantOpen := slices.SortedFunc(slices.Values(f.open[a.ID]), func(x, y string) int { return intID(t, x) - intID(t, y) })
		if !slices.Equal(open, wantOpen) || !slices.Equal(offers, f.offers[a.ID]) {
			t.Errorf("agent %s: open %v offers %v; want %v %v", a.ID, open, offers, wantOpen, f.offers[a.ID])
		}
	}
	t.Run("agents, as admin", func(t *testing.T) {
		got := do[struct {
			Agents struct{ Edges []struct{ Node lists } }
		}](t, f.s.Admin, `{ agents(first: 100) { edges { node { id openEngagements { id } pendingOffers { id } } } } }`, nil)
		if len(got.Agents.Edges) != len(f.agents)+1 { // and the admin
			t.Fatalf("%d agents", len(got.Agents.Edges))
		}
		for _, e := range got.Agents.Edges {
			check(t, e.Node)
		}
	})
	// An agent sees itself alone, through me and through the queues' member
	// lists (the root agents list is for staff), and only its own lists.
	t.Run("agents, as an agent", func(t *testing.T) {
		for _, i := range []int{0, 1, 29} {
			got := do[struct {
				Me     lists
				Queues struct {
					Edges []struct {
						Node struct {
							Agents struct{ Edges []struct{ Node lists } }
						}
					}
				}
			}](t, f.clients[i], `{ me { id openEngagements { id } pendingOffers { id } }
			  queues(first: 100) { edges { node { agents(first: 5) { edges { node { id openEngagements { id } pendingOffers { id } } } } } } } }`, nil)
			seen := []lists{got.Me}
			for _, q := range got.Queues.Edges {
				for _, e := range q.Node.Agents.Edges {
					seen = append(seen, e.Node)
				}
			}
			if len(seen) != 2 {
				t.Fatalf("agent %d saw %d agents, want itself twice: %s", i, len(seen), jsonString(seen))
			}
			for _, a := range seen {
				if a.ID != f.agents[i] {
					t.Fatalf("agent %d saw agent %s", i, a.ID)
				}
				check(t, a)
			}
		}
	})
	t.Run("transferTargets", func(t *testing.T) {
		got := do[struct {
			TransferTargets struct {
				Queues []struct {
					Queue                    struct{ ID, MenuPath string }
					Waiting, AgentsAvailable int
				}
				Agents []struct{ AgentID string }
			}
		}](t, f.clients[0], `{ transferTargets(channel: CHAT) { queues { queue { id menuPath } waiting agentsAvailable } agents { agentID } } }`, nil)
		if len(got.TransferTargets.Queues) != len(f.agents) || len(got.TransferTargets.Agents) != len(f.agents)-1 {
			t.Fatalf("%d queues, %d agents", len(got.TransferTargets.Queues), len(got.TransferTargets.Agents))
		}
		for _, q := range got.TransferTargets.Queues {
			// Each leaf has one engagement rung and one AVAILABLE member.
			if q.Queue.MenuPath != f.paths[q.Queue.ID] || q.Waiting != 1 || q.AgentsAvailable != 1 {
				t.Errorf("queue %s: %+v", q.Queue.ID, q)
			}
		}
	})
}
