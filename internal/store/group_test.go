package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/store"
)

// groupRig is a SQLite store whose writer's first action holds the writer
// until released, so that the actions started meanwhile queue behind it and
// run as one group.
type groupRig struct {
	t      *testing.T
	ctx    context.Context
	client *ent.Client
	w      *store.Writer
	bus    *events.Bus
	// commits has one entry per committed transaction with events: the
	// topics of its events, in order.
	mu      sync.Mutex
	commits [][]string
}

func newGroupRig(t *testing.T) *groupRig {
	t.Helper()
	ctx := auth.SystemContext(context.Background())
	client, err := store.Open(ctx, filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	r := &groupRig{t: t, ctx: ctx, client: client, bus: events.NewBus(false)}
	r.bus.OnCommit(func(rows []*ent.Event, _ time.Time) {
		topics := make([]string, len(rows))
		for i, e := range rows {
			topics[i] = e.Topic
		}
		r.mu.Lock()
		r.commits = append(r.commits, topics)
		r.mu.Unlock()
	})
	r.w = store.NewWriter(client, r.bus, true)
	return r
}

// hold starts an action that takes the writer and keeps it until the
// returned release is called; its event is "hold".
func (r *groupRig) hold() (release func(), done <-chan error) {
	taken, proceed, out := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		out <- r.w.Do(r.ctx, func(ctx context.Context, tx *store.Tx) error {
			tx.Emit(events.Event{Topic: "hold"})
			close(taken)
			<-proceed
			return nil
		})
	}()
	<-taken
	return func() { close(proceed) }, out
}

// start runs fn as a write action in its own goroutine and waits until it
// queues.
func (r *groupRig) start(ctx context.Context, fn func(ctx context.Context, tx *store.Tx) error) <-chan error {
	r.t.Helper()
	before := r.w.Queued()
	out := make(chan error, 1)
	go func() { out <- r.w.Do(ctx, fn) }()
	r.waitQueued(before + 1)
	return out
}

// waitQueued waits until n actions wait for the writer.
func (r *groupRig) waitQueued(n int) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for r.w.Queued() != n {
		if time.Now().After(deadline) {
			r.t.Fatalf("%d actions queued, want %d", r.w.Queued(), n)
		}
		time.Sleep(time.Millisecond) // polling a condition, not waiting on timing
	}
}

// createAgent is an action creating an agent named name with an event of
// that name; it fails with err after writing when err is set.
func createAgent(name string, err error) func(ctx context.Context, tx *store.Tx) error {
	return func(ctx context.Context, tx *store.Tx) error {
		tx.Emit(events.Event{Topic: name})
		if e := tx.Agent.Create().SetName(name).SetEmail(name + "@example.com").Exec(ctx); e != nil {
			return e
		}
		return err
	}
}

func (r *groupRig) agents() []string {
	r.t.Helper()
	names, err := r.client.Agent.Query().Order(agent.ByID()).Select(agent.FieldName).Strings(r.ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	return names
}

func (r *groupRig) commitLog() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprint(r.commits)
}

// An action that fails rolls back alone: the others queued with it commit
// in one transaction, their events in action order, each with its own rows.
func TestGroupFailingActionRollsBackAlone(t *testing.T) {
	r := newGroupRig(t)
	release, held := r.hold()
	refused := errors.New("refused")
	a := r.start(r.ctx, createAgent("a", nil))
	b := r.start(r.ctx, createAgent("b", refused))
	var txC *store.Tx
	c := r.start(r.ctx, func(ctx context.Context, tx *store.Tx) error {
		txC = tx
		return createAgent("c", nil)(ctx, tx)
	})
	release()
	for name, ch := range map[string]<-chan error{"hold": held, "a": a, "c": c} {
		if err := <-ch; err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if err := <-b; !errors.Is(err, refused) {
		t.Fatalf("b: %v, want its own error", err)
	}
	if got := fmt.Sprint(r.agents()); got != "[a c]" {
		t.Fatalf("agents %s, want [a c]: b's row must roll back alone", got)
	}
	if got := r.commitLog(); got != "[[hold a c]]" {
		t.Fatalf("commits %s, want one transaction with hold, a, c in order", got)
	}
	if rows := txC.Committed(); len(rows) != 1 || rows[0].Topic != "c" {
		t.Fatalf("c's committed rows %v, want its own event", rows)
	}
}

// A panic in an action is raised again on its caller's goroutine; the
// actions grouped with it commit.
func TestGroupPanicReachesItsCaller(t *testing.T) {
	r := newGroupRig(t)
	release, held := r.hold()
	panicked := make(chan any, 1)
	before := r.w.Queued()
	go func() {
		defer func() { panicked <- recover() }()
		_ = r.w.Do(r.ctx, func(ctx context.Context, tx *store.Tx) error {
			_ = createAgent("p", nil)(ctx, tx)
			panic("boom")
		})
	}()
	r.waitQueued(before + 1)
	ok := r.start(r.ctx, createAgent("ok", nil))
	release()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if err := <-ok; err != nil {
		t.Fatal(err)
	}
	p := <-panicked
	if s, _ := p.(string); !strings.HasPrefix(s, "boom") || !strings.Contains(s, "group_test.go") {
		t.Fatalf("recovered %v, want the panic with the action's stack", p)
	}
	if got := fmt.Sprint(r.agents()); got != "[ok]" {
		t.Fatalf("agents %s, want [ok]", got)
	}
}

// The dispatcher's actions (Urgent) run before those queued earlier, and a
// group commits after one, so that its rings are not held back.
func TestGroupUrgentFirstAndCommitsAlone(t *testing.T) {
	r := newGroupRig(t)
	release, held := r.hold()
	var mu sync.Mutex
	var order []string
	run := func(name string) func(ctx context.Context, tx *store.Tx) error {
		return func(ctx context.Context, tx *store.Tx) error {
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			tx.Emit(events.Event{Topic: name})
			return nil
		}
	}
	n1 := r.start(r.ctx, run("n1"))
	n2 := r.start(r.ctx, run("n2"))
	u := r.start(store.Urgent(r.ctx), run("urgent"))
	release()
	for _, ch := range []<-chan error{held, n1, n2, u} {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	if got := fmt.Sprint(order); got != "[urgent n1 n2]" {
		t.Fatalf("ran %s, want the urgent action first", got)
	}
	if got := r.commitLog(); got != "[[hold urgent] [n1 n2]]" {
		t.Fatalf("commits %s, want the group to end after the urgent action", got)
	}
}

// A group takes at most SetGroupActions actions; 1 commits each alone.
func TestGroupSize(t *testing.T) {
	for _, c := range []struct {
		size int
		want string
	}{{1, "[[hold] [a] [b] [c]]"}, {2, "[[hold a] [b c]]"}, {32, "[[hold a b c]]"}} {
		t.Run(fmt.Sprint(c.size), func(t *testing.T) {
			r := newGroupRig(t)
			r.w.SetGroupActions(c.size)
			release, held := r.hold()
			chans := []<-chan error{held}
			for _, name := range []string{"a", "b", "c"} {
				chans = append(chans, r.start(r.ctx, createAgent(name, nil)))
			}
			release()
			for _, ch := range chans {
				if err := <-ch; err != nil {
					t.Fatal(err)
				}
			}
			if got := r.commitLog(); got != c.want {
				t.Fatalf("commits %s, want %s", got, c.want)
			}
		})
	}
}

// An action with an event a bus watcher acts on commits before the next
// action runs, and the watcher has heard it by then.
func TestGroupEndsAfterWatchedEvent(t *testing.T) {
	r := newGroupRig(t)
	var heard sync.WaitGroup
	heard.Add(1)
	seen := false
	r.bus.Watch("config.changed", func(*ent.Event) { seen = true; heard.Done() })
	release, held := r.hold()
	cfg := r.start(r.ctx, func(ctx context.Context, tx *store.Tx) error {
		tx.Emit(events.Event{Topic: "config.changed"})
		return nil
	})
	var seenByNext bool
	next := r.start(r.ctx, func(ctx context.Context, tx *store.Tx) error {
		seenByNext = seen
		tx.Emit(events.Event{Topic: "next"})
		return nil
	})
	release()
	for _, ch := range []<-chan error{held, cfg, next} {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	heard.Wait()
	if !seenByNext {
		t.Fatal("the next action ran before the watcher heard config.changed")
	}
	if got := r.commitLog(); got != "[[hold config.changed] [next]]" {
		t.Fatalf("commits %s", got)
	}
}

// An action whose context ends while it waits for the writer returns the
// context's error and never runs; the queue behind it goes on.
func TestGroupActionTimesOutWhileQueued(t *testing.T) {
	r := newGroupRig(t)
	release, held := r.hold()
	ctx, cancel := context.WithCancel(r.ctx)
	ran := false
	before := r.w.Queued()
	late := make(chan error, 1)
	go func() {
		late <- r.w.DoOnContext(ctx, func(ctx context.Context, tx *store.Tx) error { ran = true; return nil })
	}()
	r.waitQueued(before + 1)
	after := r.start(r.ctx, createAgent("after", nil))
	cancel()
	if err := <-late; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	r.waitQueued(1)
	release()
	for _, ch := range []<-chan error{held, after} {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	if ran {
		t.Fatal("an action whose context ended while queued ran")
	}
	if got := fmt.Sprint(r.agents()); got != "[after]" {
		t.Fatalf("agents %s", got)
	}
}

// Many concurrent writers, some failing: every action that reports
// success is stored, every one that fails is not, and the writer is free
// afterwards (nothing waits for ever).
func TestGroupConcurrentWriters(t *testing.T) {
	r := newGroupRig(t)
	r.w.SetGroupActions(8)
	const n = 200
	var wg sync.WaitGroup
	results := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var fail error
			if i%7 == 0 {
				fail = errors.New("refused")
			}
			ctx := r.ctx
			if i%10 == 0 {
				ctx = store.Urgent(ctx)
			}
			results[i] = r.w.Do(ctx, createAgent(fmt.Sprint("w", i), fail))
		}()
	}
	wg.Wait()
	stored := map[string]bool{}
	for _, name := range r.agents() {
		stored[name] = true
	}
	for i, err := range results {
		name := fmt.Sprint("w", i)
		if (err == nil) != stored[name] || (i%7 == 0) == (err == nil) {
			t.Fatalf("%s: err %v, stored %v", name, err, stored[name])
		}
	}
	if err := r.w.Do(r.ctx, createAgent("last", nil)); err != nil {
		t.Fatal(err)
	}
}
