package graph_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/gqlclient"
)

// holdingAnn sets up Ann holding a connected chat and a parked one, with an
// older chat waiting that nobody can take, and Bob NOT_READY.
func holdingAnn(t *testing.T) (c *center, ann, bob *agentClient, connected, parked, waiting string) {
	c = newCenter(t)
	q := c.queue("Support", nil)
	ann = c.agent("Ann", c.profile(map[string]any{"chat": 2}), q)
	bob = c.agent("Bob", c.profile(map[string]any{"chat": 1}), q)
	bob.setState("NOT_READY", "BREAK")
	connected, parked = c.create("CHAT", q), c.create("CHAT", q)
	c.settle()
	for _, o := range ann.offers() {
		ann.accept(o.ID)
	}
	ann.park(parked)
	ann.setState("NOT_READY", "BREAK")
	waiting = c.create("CHAT", q)
	c.advance(time.Minute)
	return c, ann, bob, connected, parked, waiting
}

// expectFrontOfQueue checks that the engagements Ann held wait in their
// queue again and are served before the one that waited longer.
func expectFrontOfQueue(t *testing.T, c *center, bob *agentClient, connected, parked, waiting string) {
	t.Helper()
	for _, id := range []string{connected, parked} {
		if e := c.expectEngagement(id, "QUEUED", ""); e.AutoParked || e.ParkedFrom != nil {
			t.Fatalf("returned engagement: %+v", e)
		}
	}
	bob.setState("AVAILABLE", "")
	for _, id := range []string{connected, parked, waiting} {
		bob.answer(id)
		bob.finish(id)
	}
}

// E6: logging out returns the agent's active and parked chats to the front
// of their queue: they are served before chats that waited longer.
func TestLogoutReturnsChatsToFrontOfQueue(t *testing.T) {
	c, ann, bob, connected, parked, waiting := holdingAnn(t)
	var out struct {
		Logout struct {
			Agent struct{ State, StateReason string }
		}
	}
	c.must(ann.Client, `mutation { logout { agent { state stateReason } } }`, nil, &out)
	if out.Logout.Agent.State != "OFFLINE" {
		t.Fatalf("after logout Ann is %s", out.Logout.Agent.State)
	}
	expectFrontOfQueue(t, c, bob, connected, parked, waiting)
}

// E6: an agent whose connection (its agentEvents stream) stays lost beyond
// the grace period is logged out like by logout; reconnecting within the
// grace period keeps it.
func TestLostConnectionBeyondGraceReturnsChats(t *testing.T) {
	c, ann, bob, connected, parked, waiting := holdingAnn(t)
	grace := c.s.App.Config.DisconnectGrace
	annID, err := strconv.Atoi(ann.id)
	if err != nil {
		t.Fatal(err)
	}
	// connect opens Ann's event stream and waits until it is live.
	connect := func() *gqlclient.Conn {
		t.Helper()
		conn, _ := agentStream(t, c, ann)
		return conn
	}
	// disconnect drops it and waits until the server has noticed.
	disconnect := func(conn *gqlclient.Conn) {
		t.Helper()
		conn.CloseNow()
		eventually(t, "the lost connection to be noticed", func() bool {
			a, err := c.s.App.Client.Agent.Get(auth.SystemContext(context.Background()), annID)
			return err == nil && a.DisconnectedAt != nil
		})
	}

	disconnect(connect())
	c.advance(grace / 2)
	conn := connect() // back in time
	c.advance(grace)
	if m := ann.me(); m.State != "NOT_READY" || len(m.OpenEngagements) != 2 {
		t.Fatalf("after reconnecting within the grace period Ann is %s holding %d", m.State, len(m.OpenEngagements))
	}

	disconnect(conn)
	c.advance(grace - time.Second)
	c.expectEngagement(connected, "CONNECTED", ann.id)
	c.advance(time.Second)
	var out struct {
		Node struct{ State, StateReason string }
	}
	c.must(c.s.Admin, `query($id: ID!) { node(id: $id) { ... on Agent { state stateReason } } }`, map[string]any{"id": ann.id}, &out)
	if out.Node.State != "OFFLINE" || out.Node.StateReason != "CONNECTION_LOST" {
		t.Fatalf("after the grace period Ann is %+v; want OFFLINE (CONNECTION_LOST)", out.Node)
	}
	expectFrontOfQueue(t, c, bob, connected, parked, waiting)
}

// E6: what is in wrap-up is completed at logout, also a chat parked during
// wrap-up and a parked chat the customer has left: they are over and do not
// go back to the queue. A pending ring is rescinded and goes to the next
// agent.
func TestLogoutCompletesWrapUpsAndRescindsRings(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", nil)
	ann := c.agent("Ann", "", q)
	c.advance(time.Second)
	bob := c.agent("Bob", "", q)
	bob.setState("NOT_READY", "BREAK")
	var ids []string
	for range 3 {
		id := c.create("CHAT", q)
		ann.answer(id)
		ids = append(ids, id)
	}
	inWrapUp, parkedInWrapUp, left := ids[0], ids[1], ids[2]
	ann.end(inWrapUp)
	ann.end(parkedInWrapUp)
	ann.park(parkedInWrapUp)
	ann.park(left)
	c.hangUp(left)
	ringing := c.create("CHAT", q)
	o := ann.ringFor(ringing)
	bob.setState("AVAILABLE", "")
	bob.noRing()

	c.must(ann.Client, `mutation { logout { agent { state } } }`, nil, nil)
	for _, id := range []string{inWrapUp, parkedInWrapUp, left} {
		c.expectEngagement(id, "CLOSED", ann.id)
	}
	if s := c.offerState(o.ID); s != "RESCINDED" {
		t.Fatalf("Ann's ring is %s after logout", s)
	}
	bob.answer(ringing)
}

// An agent who goes NOT_READY while rung is rung no more: the ring is
// rescinded at once (its websocket hears it), passes to the next agent
// without waiting for the ring timeout, and is not a missed ring.
func TestNotReadyRescindsRings(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", map[string]any{"ringTimeoutSeconds": 30})
	ann := c.agent("Ann", "", q)
	c.advance(time.Second)
	bob := c.agent("Bob", "", q)
	conn, sub := agentStream(t, c, ann)
	defer conn.CloseNow()
	chat := c.create("CHAT", q)
	o := ann.ringFor(chat)
	nextTopic(t, sub, "offer.created")

	ann.setState("NOT_READY", "BREAK")
	if e := nextTopic(t, sub, "offer.ended"); e.Payload["state"] != "RESCINDED" || e.Payload["reason"] != "AGENT_NOT_READY" {
		t.Fatalf("Ann's ring ended with %v; want RESCINDED (AGENT_NOT_READY)", e.Payload)
	}
	if s := c.offerState(o.ID); s != "RESCINDED" {
		t.Fatalf("Ann's ring is %s", s)
	}
	bob.answer(chat) // at once: the clock has not moved
	if m := ann.me(); m.MissedRings != 0 || m.State != "NOT_READY" {
		t.Fatalf("Ann after going NOT_READY: %+v", m)
	}
}

// setAgentState(OFFLINE) leaves routing exactly like logout, and the token
// keeps working; logout revokes it as well.
func TestOfflineLeavesRoutingAndKeepsToken(t *testing.T) {
	c, ann, bob, connected, parked, waiting := holdingAnn(t)
	conn, sub := agentStream(t, c, ann)
	defer conn.CloseNow()
	ann.setState("OFFLINE", "")
	if e := nextTopic(t, sub, "agent.state_changed"); e.Payload["to"] != "OFFLINE" {
		t.Fatalf("Ann's stream: %v", e.Payload)
	}
	if m := ann.me(); m.State != "OFFLINE" || len(m.OpenEngagements) != 0 {
		t.Fatalf("Ann after going OFFLINE: %+v", m)
	}
	expectFrontOfQueue(t, c, bob, connected, parked, waiting)

	// Back and out again with logout: the token is revoked in the same step.
	ann.setState("AVAILABLE", "")
	c.must(ann.Client, `mutation { logout { agent { state } } }`, nil, nil)
	expectError(t, ann.Client, "UNAUTHENTICATED", "", `{ me { id } }`, nil)
}
