package graph_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/auth"
)

// A restart loses nothing: a ring pending at the stop is still pending and
// times out on its deadline, then the engagement is offered again; a
// wrap-up limit and a lost connection's grace period still end on time;
// waiting engagements are still routed, those returned to the front first.
func TestRestartKeepsRingsDeadlinesAndQueues(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", map[string]any{"ringTimeoutSeconds": 20, "wrapUpLimitSeconds": 60})
	one := c.profile(map[string]any{"chat": 1})
	var agents []*agentClient
	for _, name := range []string{"Ann", "Bob", "Cy", "Dee"} { // idle longest first
		agents = append(agents, c.agent(name, one, q))
		c.advance(time.Second)
	}
	ann, bob, cy, dee := agents[0], agents[1], agents[2], agents[3]

	inWrapUp := c.create("CHAT", q)
	ann.answer(inWrapUp)
	ann.end(inWrapUp) // wrap-up limit: now + 60 s
	bobs := c.create("CHAT", q)
	bob.answer(bobs)
	cys := c.create("CHAT", q)
	cy.answer(cys)
	cyID, _ := strconv.Atoi(cy.id)
	c.s.App.Engine.AgentConnected(context.Background(), cyID)
	c.s.App.Engine.AgentDisconnected(context.Background(), cyID) // grace: now + 60 s
	ringing := c.create("CHAT", q)
	ring := dee.ringFor(ringing) // deadline: now + 20 s
	waiting := c.create("CHAT", q)
	c.settle()

	apitest.Restart(t, c.s)

	// Everything is where it was; the clients' tokens still work.
	c.expectEngagement(inWrapUp, "WRAP_UP", ann.id)
	c.expectEngagement(bobs, "CONNECTED", bob.id)
	c.expectEngagement(cys, "CONNECTED", cy.id)
	c.expectEngagement(waiting, "QUEUED", "")
	if o := dee.ringFor(ringing); o.ID != ring.ID {
		t.Fatalf("Dee's ring %s became %s", ring.ID, o.ID)
	}
	checkInvariants(t, c.s)

	// The ring times out on time and the engagement is offered again (to
	// Dee, the only agent free).
	c.advance(19 * time.Second)
	if s := c.offerState(ring.ID); s != "PENDING" {
		t.Fatalf("ring %s before its deadline", s)
	}
	c.advance(time.Second)
	if s := c.offerState(ring.ID); s != "TIMED_OUT" {
		t.Fatalf("ring %s after its deadline", s)
	}
	if o := dee.ringFor(ringing); o.ID == ring.ID {
		t.Fatalf("no new ring")
	}

	// Ann's wrap-up limit and Cy's grace period end; Cy's chat goes to the
	// front and is offered first.
	c.advance(40 * time.Second)
	if e := c.expectEngagement(inWrapUp, "CLOSED", ann.id); e.WrapUpMs != 60000 {
		t.Fatalf("wrap-up %d ms", e.WrapUpMs)
	}
	var out struct {
		Node struct{ State, StateReason string }
	}
	c.must(c.s.Admin, `query($id: ID!) { node(id: $id) { ... on Agent { state stateReason } } }`, map[string]any{"id": cy.id}, &out)
	if out.Node.State != "OFFLINE" || out.Node.StateReason != "CONNECTION_LOST" {
		t.Fatalf("Cy is %+v after the grace period", out.Node)
	}
	dee.ringFor(cys) // front of the queue, to the longest idle
	ann.ringFor(ringing)
	c.expectEngagement(waiting, "QUEUED", "")
	checkInvariants(t, c.s)
}

// Stopping the server while traffic flows and starting a new one on the
// same database loses nothing: every engagement created still exists in a
// valid state, the invariants hold, and every ring pending at the stop
// ends once its deadline passes.
func TestRestartDuringTraffic(t *testing.T) {
	c, tr, seed := trafficCenter(t)
	wait := tr.run(seed, 120, 200)
	eventually(t, "traffic", func() bool {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		return len(tr.created) >= 50
	})
	tr.restarting.Store(true)
	tr.srv.Lock()
	apitest.Restart(t, c.s)
	tr.srv.Unlock()
	tr.restarting.Store(false)
	wait()
	tr.report(t)

	c.settle()
	ctx := auth.SystemContext(context.Background())
	ids, err := c.s.App.Client.Engagement.Query().IDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, id := range ids {
		stored[strconv.Itoa(id)] = true
	}
	if len(tr.created) != 120 || len(stored) != len(tr.created) {
		t.Errorf("%d engagements created, %d stored", len(tr.created), len(stored))
	}
	for _, id := range tr.created {
		if !stored[id] {
			t.Errorf("engagement %s was lost", id)
		}
	}
	checkInvariants(t, c.s)
	tr.drain(t)
}
