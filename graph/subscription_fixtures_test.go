package graph_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gqlclient"
)

// deliveryTimeout guards every wait for a message: it only fails tests, it
// never paces them.
const deliveryTimeout = 5 * time.Second

const (
	agentEventsQuery = `subscription($after: String) {
		agentEvents(after: $after) { sequence topic at agentID engagementID queueID payload engagement { id state } actor { kind reason } } }`
	engagementEventsQuery = `subscription($id: ID!, $after: String) {
		engagementEvents(id: $id, after: $after) { sequence topic engagementID } }`
	queueEventsQuery = `subscription($ids: [ID!]!) {
		queueEvents(queueIDs: $ids) { sequence queue { id name } waiting longestWaitSeconds agentsAvailable agentsBusy } }`
)

// event is an Event as the tests read it.
type event struct {
	Sequence     string
	Topic        string
	At           time.Time
	AgentID      *string
	EngagementID *string
	QueueID      *string
	Payload      map[string]any
	Engagement   *struct{ ID, State string }
}

// queueStats is a QueueStats as the tests read it.
type queueStats struct {
	Sequence                                                 string
	Queue                                                    struct{ ID, Name string }
	Waiting, LongestWaitSeconds, AgentsAvailable, AgentsBusy int
}

// waitForGoroutines waits until exactly n goroutines have a frame
// containing fn on their stack.
func waitForGoroutines(t *testing.T, fn string, n int) {
	t.Helper()
	deadline := time.Now().Add(deliveryTimeout)
	buf := make([]byte, 1<<20)
	for {
		stacks := string(buf[:runtime.Stack(buf, true)])
		got := 0
		for _, g := range strings.Split(stacks, "\n\n") {
			if strings.Contains(g, fn) {
				got++
			}
		}
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines in %s; want %d", got, fn, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// tooSlowSignal is a log handler that reports the Info record of a
// subscriber dropped for being too slow (Info records with a "stream"
// attribute; failures are logged at Error).
type tooSlowSignal struct {
	c    chan struct{}
	once sync.Once
}

func (h *tooSlowSignal) Enabled(context.Context, slog.Level) bool { return true }
func (h *tooSlowSignal) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *tooSlowSignal) WithGroup(string) slog.Handler            { return h }

func (h *tooSlowSignal) Handle(_ context.Context, r slog.Record) error {
	if r.Level != slog.LevelInfo {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "stream" {
			h.once.Do(func() { close(h.c) })
		}
		return true
	})
	return nil
}

// verifyNoLeaks checks, after the test's servers and connections are
// closed (cleanups run last-registered first), that no goroutine the test
// started is left.
func verifyNoLeaks(t *testing.T) {
	t.Helper()
	current := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, current) })
}

// write runs fn in a transaction as the system.
func write(t *testing.T, s *apitest.Server, fn func(ctx context.Context, tx *ent.Tx) error) {
	t.Helper()
	ctx := auth.SystemContext(context.Background())
	tx, err := s.App.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := fn(ctx, tx); err != nil {
		_ = tx.Rollback()
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// appendEvents appends events in one transaction, commits it through the
// bus as the engine does, and returns their sequences.
func appendEvents(t *testing.T, s *apitest.Server, evs ...events.Event) []string {
	t.Helper()
	ctx := auth.SystemContext(context.Background())
	tx, err := s.App.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b events.Batch
	for _, e := range evs {
		b.Append(e)
	}
	if err := s.App.Bus.Commit(ctx, tx, &b); err != nil {
		t.Fatal(err)
	}
	seqs := make([]string, len(b.Rows()))
	for i, row := range b.Rows() {
		seqs[i] = events.Cursor(row)
	}
	return seqs
}

// newAgent creates an agent with a password and logs it in.
func newAgent(t *testing.T, s *apitest.Server, name string) (int, string) {
	t.Helper()
	return newAgentToken(t, s, strings.ToLower(name)+"@example.com")
}

func newAgentToken(t *testing.T, s *apitest.Server, email string) (int, string) {
	t.Helper()
	const password = "a long enough password"
	var out struct {
		CreateAgent struct{ Agent struct{ ID string } }
	}
	apitest.Must(t, s.Admin, `mutation($in: CreateAgentInput!, $p: String) { createAgent(input: $in, password: $p) { agent { id } } }`,
		map[string]any{"in": map[string]any{"name": email, "email": email}, "p": password}, &out)
	return seq(t, out.CreateAgent.Agent.ID), s.Login(t, email, password)
}

// newAPIKey creates an integration key with one scope and returns its secret.
func newAPIKey(t *testing.T, s *apitest.Server, scope string) string {
	t.Helper()
	var out struct{ CreateAPIKey struct{ Secret string } }
	apitest.Must(t, s.Admin, `mutation($s: APIKeyScope!) { createAPIKey(input: {name: "test", scopes: [$s]}) { secret } }`,
		map[string]any{"s": scope}, &out)
	return out.CreateAPIKey.Secret
}

// newEngagement inserts a chat engagement.
func newEngagement(t *testing.T, s *apitest.Server, set func(*ent.EngagementCreate)) *ent.Engagement {
	t.Helper()
	var e *ent.Engagement
	write(t, s, func(ctx context.Context, tx *ent.Tx) (err error) {
		c := tx.Engagement.Create().SetChannel(enum.ChannelChat)
		if set != nil {
			set(c)
		}
		e, err = c.Save(ctx)
		return err
	})
	return e
}

// newCustomerEngagement inserts a chat engagement with a customer token,
// as createEngagement does, and returns the token and the engagement's ID.
func newCustomerEngagement(t *testing.T, s *apitest.Server) (string, int) {
	t.Helper()
	e := newEngagement(t, s, nil)
	secret, hash := auth.NewCustomerToken(e.ID)
	write(t, s, func(ctx context.Context, tx *ent.Tx) error {
		return tx.Engagement.UpdateOneID(e.ID).SetCustomerTokenHash(hash).Exec(ctx)
	})
	return secret, e.ID
}

// subscribe starts a subscription; buffer defaults to 64 results.
func subscribe(t *testing.T, c *gqlclient.Conn, query string, vars map[string]any, buffer ...int) *gqlclient.Subscription {
	t.Helper()
	size := 64
	if len(buffer) > 0 {
		size = buffer[0]
	}
	ctx, cancel := context.WithTimeout(context.Background(), deliveryTimeout)
	defer cancel()
	sub, err := c.Subscribe(ctx, query, vars, size)
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	return sub
}

// receive waits for the next result; ok is false when the subscription ended.
func receive(t *testing.T, sub *gqlclient.Subscription) (*gqlclient.Response, bool) {
	t.Helper()
	select {
	case r, ok := <-sub.C:
		return r, ok
	case <-time.After(deliveryTimeout):
		t.Fatalf("nothing received on subscription %s within %v", sub.ID, deliveryTimeout)
		return nil, false
	}
}

func decode[T any](t *testing.T, r *gqlclient.Response, field string) T {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("subscription result has errors: %v", r.Errors)
	}
	var data map[string]json.RawMessage
	var v T
	if err := json.Unmarshal(r.Data, &data); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data[field], &v); err != nil {
		t.Fatalf("decode %s: %v", data[field], err)
	}
	return v
}

func nextEvent(t *testing.T, sub *gqlclient.Subscription, field string) event {
	t.Helper()
	r, ok := receive(t, sub)
	if !ok {
		t.Fatalf("subscription ended: %v", sub.Err)
	}
	return decode[event](t, r, field)
}

func nextQueueStats(t *testing.T, sub *gqlclient.Subscription) queueStats {
	t.Helper()
	r, ok := receive(t, sub)
	if !ok {
		t.Fatalf("subscription ended: %v", sub.Err)
	}
	return decode[queueStats](t, r, "queueEvents")
}

// expectSequences receives exactly the events want, in order.
func expectSequences(t *testing.T, sub *gqlclient.Subscription, field string, want []string) {
	t.Helper()
	for i, w := range want {
		if e := nextEvent(t, sub, field); e.Sequence != w {
			t.Fatalf("event %d of %d: sequence %s (%s); want %s", i+1, len(want), e.Sequence, e.Topic, w)
		}
	}
}

// expectRefused expects the subscription to fail with an error code.
func expectRefused(t *testing.T, sub *gqlclient.Subscription, code string) {
	t.Helper()
	var errs gqlclient.Errors
	if r, ok := receive(t, sub); ok {
		errs = r.Errors
	} else {
		errs = sub.Err
	}
	if len(errs) == 0 || errs[0].Extensions.Code != code {
		t.Fatalf("subscription errors %v; want code %s", errs, code)
	}
}

func expectStats(t *testing.T, got, want queueStats) {
	t.Helper()
	want.Queue = got.Queue
	if got != want {
		t.Fatalf("%s: figures %+v; want %+v", got.Queue.Name, got, want)
	}
}

func seq(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}
