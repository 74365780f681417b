package graph_test

import (
	"testing"

	"github.com/switchboard/switchboard/internal/gqlclient"
)

// An agent's connection drops; an engagement rings it meanwhile; it
// reconnects with its cursor and receives the ring, then accepts it.
func TestRingWhileDisconnectedArrivesOnReconnect(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", nil)
	ann := c.agent("Ann", "", q)
	conn, sub := agentStream(t, c, ann)
	last := nextTopicOrMarker(t, c, ann, sub)
	conn.CloseNow() // the network goes away, no close handshake
	<-conn.Done()

	id := c.create("CHAT", q)
	c.settle() // the ring is committed while Ann is away
	if offers := ann.offers(); len(offers) != 1 {
		t.Fatalf("Ann has %d pending offers while away, want 1", len(offers))
	}

	sub = subscribe(t, c.s.Dial(t, ann.Token), agentEventsQuery, map[string]any{"after": last})
	ring := nextTopic(t, sub, "offer.created")
	if ring.EngagementID == nil || *ring.EngagementID != id {
		t.Fatalf("replayed ring is for %v, want %s", ring.EngagementID, id)
	}
	if e := ann.accept(ring.Payload["offerID"].(string)); e.State != "CONNECTED" {
		t.Fatalf("after accepting the replayed ring: %+v", e)
	}
}

// nextTopicOrMarker returns the sequence of the last event a has received:
// it triggers a state-change event and waits for it.
func nextTopicOrMarker(t *testing.T, c *center, a *agentClient, sub *gqlclient.Subscription) string {
	t.Helper()
	m := a.me()
	a.setState(m.State, deref(m.StateReason))
	return nextTopic(t, sub, "agent.state_changed").Sequence
}
