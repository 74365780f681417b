package graph_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/gqlclient"
)

// fragmentBomb is a document of levels fragments, each spreading the
// previous one twice: about 1 KB that expands to 2^levels fields.
func fragmentBomb(levels int) string {
	var b strings.Builder
	b.WriteString("query { ...F" + fmt.Sprint(levels) + " }\nfragment F0 on Query { __typename }\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d a%d: __typename ...F%d }\n", i, i-1, i, i-1)
	}
	return b.String()
}

// nested returns a query with levels nested connections (queue → agents →
// queues …), each with first: page.
func nested(levels, page int) string {
	q := "id"
	for i := range levels {
		field := "queues"
		if i%2 == 1 {
			field = "agents"
		}
		q = fmt.Sprintf("%s(first: %d) { edges { node { %s } } }", field, page, q)
	}
	return "{ " + q + " }"
}

func TestCostLimits(t *testing.T) {
	s := apitest.Start(t)
	_, agent := newAgent(t, s, "Ann")
	anonymous := s.Client("")
	for _, tc := range []struct {
		name   string
		c      *gqlclient.Client
		query  string
		reason string
	}{
		{"fragment bomb, anonymous", anonymous, fragmentBomb(25), "FIELD_LIMIT"},
		{"fragment bomb of 40 levels", anonymous, fragmentBomb(40), "FIELD_LIMIT"},
		{"three nested pages of 100", s.Client(agent), nested(3, 100), "COMPLEXITY_LIMIT"},
		{"nested pages without first", s.Client(agent), `{ queues { edges { node { agents { edges { node { queues { edges { node { id } } } } } } } } } }`, "COMPLEXITY_LIMIT"},
		{"pages through a fragment on the connection", s.Admin,
			`{ queues(first: 100) { ...Q } } fragment Q on QueueConnection { edges { node { agents(first: 100) { ...A } } } }
			 fragment A on AgentConnection { edges { node { queues(first: 100) { edges { node { id } } } } } }`, "COMPLEXITY_LIMIT"},
		{"depth", s.Admin, nested(8, 1), "DEPTH_LIMIT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := apitest.ExpectCode(t, tc.c, "LIMIT_EXCEEDED", tc.query, nil)
			if e.Extensions.Reason != tc.reason {
				t.Fatalf("reason %q (%s); want %s", e.Extensions.Reason, e.Message, tc.reason)
			}
		})
	}
	// Within the limits: two nested pages of 100, a shallow bomb, depth 18.
	do[any](t, s.Admin, nested(2, 100), nil)
	do[any](t, anonymous, fragmentBomb(8), nil)
	do[any](t, s.Admin, nested(6, 1), nil)
}

// BenchmarkFragmentBomb measures what refusing a 25-level fragment bomb
// costs through the real handler (it ran for seconds before the field
// limit; it must stay far below 50 ms).
func BenchmarkFragmentBomb(b *testing.B) {
	s := apitest.Start(b)
	c := s.Client("")
	q := fragmentBomb(25)
	for b.Loop() {
		res, err := c.Do(context.Background(), q, nil)
		if err != nil || len(res.Errors) == 0 || res.Errors[0].Extensions.Code != "LIMIT_EXCEEDED" {
			b.Fatalf("%v %v", res, err)
		}
	}
}

// BenchmarkNestedPages measures refusing three nested pages of 100.
func BenchmarkNestedPages(b *testing.B) {
	s := apitest.Start(b)
	q := nested(3, 100)
	for b.Loop() {
		res, err := s.Admin.Do(context.Background(), q, nil)
		if err != nil || len(res.Errors) == 0 || res.Errors[0].Extensions.Code != "LIMIT_EXCEEDED" {
			b.Fatalf("%v %v", res, err)
		}
	}
}

// stallingDriver holds every query on the queue table until its context
// ends, once armed.
type stallingDriver struct {
	dialect.Driver
	mu      sync.Mutex
	armed   bool
	entered chan struct{}
	ended   chan error
}

func (d *stallingDriver) Query(ctx context.Context, query string, args, v any) error {
	d.mu.Lock()
	armed := d.armed && strings.Contains(query, "`queues`")
	if armed {
		d.armed = false
	}
	d.mu.Unlock()
	if !armed {
		return d.Driver.Query(ctx, query, args, v)
	}
	close(d.entered)
	<-ctx.Done()
	d.ended <- ctx.Err()
	return ctx.Err()
}

func (d *stallingDriver) arm() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.armed, d.entered, d.ended = true, make(chan struct{}), make(chan error, 1)
}

// A query runs under -operation-timeout and answers LIMIT_EXCEEDED when it
// passes it; its database work stops when the client hangs up.
func TestOperationDeadline(t *testing.T) {
	d := &stallingDriver{}
	s := apitest.Start(t, func(c *app.Config) {
		c.OperationTimeout = 200 * time.Millisecond
		c.WrapDriver = func(drv dialect.Driver) dialect.Driver { d.Driver = drv; return d }
	})
	d.arm()
	apitest.ExpectCode(t, s.Admin, "LIMIT_EXCEEDED", `{ queues(first: 1) { totalCount } }`, nil)
	if err := <-d.ended; err != context.DeadlineExceeded {
		t.Fatalf("the stalled query ended with %v; want the deadline", err)
	}

	d.arm()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _, _ = s.Admin.Do(ctx, `{ queues(first: 1) { totalCount } }`, nil) }()
	select {
	case <-d.entered:
	case <-time.After(deliveryTimeout):
		t.Fatal("the query never reached the database")
	}
	cancel()
	select {
	case err := <-d.ended:
		if err != context.Canceled {
			t.Fatalf("the stalled query ended with %v; want cancellation", err)
		}
	case <-time.After(deliveryTimeout):
		t.Fatal("the query kept running after the client hung up")
	}
}
