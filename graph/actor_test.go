package graph_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/auth"
)

// historyEvent is an event of Engagement.history as the tests read it.
type historyEvent struct {
	Topic   string
	Payload map[string]any
	Actor   struct {
		Kind                          string
		AgentID, APIKeyID, CustomerID *string
		Reason                        *string
	}
}

// who names an event's actor: "AGENT:id", "API_KEY:id", "CUSTOMER:id" or
// "SYSTEM:REASON".
func (e historyEvent) who() string {
	a := e.Actor
	switch a.Kind {
	case "AGENT":
		return "AGENT:" + deref(a.AgentID)
	case "API_KEY":
		return "API_KEY:" + deref(a.APIKeyID)
	case "CUSTOMER":
		return "CUSTOMER:" + deref(a.CustomerID)
	}
	return a.Kind + ":" + deref(a.Reason)
}

// history reads an engagement's events with their actors as the admin.
func (c *center) history(id string) []historyEvent {
	c.t.Helper()
	var out struct {
		Node struct{ History []historyEvent }
	}
	c.must(c.s.Admin, `query($id: ID!) { node(id: $id) { ... on Engagement {
		history(first: 200) { topic payload actor { kind agentID apiKeyID customerID reason } } } } }`, map[string]any{"id": id}, &out)
	return out.Node.History
}

// transitions lists an engagement's state changes as "FROM→TO by WHO".
func (c *center) transitions(id string) []string {
	c.t.Helper()
	var out []string
	for _, e := range c.history(id) {
		if e.Topic == "engagement.state_changed" {
			out = append(out, fmt.Sprintf("%v→%v by %s", e.Payload["from"], e.Payload["to"], e.who()))
		}
	}
	return out
}

// Every transition records who caused it: the integration that created the
// engagement, the dispatcher that rang an agent, the ring timeout, the agent
// who accepted, the customer who wrote and left, the wrap-up limit. The
// actor is on the agent's live stream too.
func TestEventsRecordTheirActor(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", map[string]any{"ringTimeoutSeconds": 20, "wrapUpLimitSeconds": 60})
	ann := c.agent("Ann", "", q)
	conn, sub := agentStream(t, c, ann)
	defer conn.CloseNow()

	var key struct {
		APIKeys struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	c.must(c.s.Admin, `{ apiKeys { edges { node { id } } } }`, nil, &key)
	keyID := key.APIKeys.Edges[0].Node.ID
	eg := c.createWith(map[string]any{"channel": "CHAT", "queueID": q, "customer": map[string]any{"name": "Carla", "email": "carla@example.com"}})
	ann.ringFor(eg.ID)

	// The ring reaches Ann's websocket attributed to the dispatcher.
	var live struct {
		AgentEvents struct {
			Topic string
			Actor struct{ Kind, Reason string }
		}
	}
	for live.AgentEvents.Topic != "offer.created" {
		r, ok := receive(t, sub)
		if !ok {
			t.Fatalf("agentEvents ended: %v", sub.Err)
		}
		live.AgentEvents = decode[struct {
			Topic string
			Actor struct{ Kind, Reason string }
		}](t, r, "agentEvents")
	}
	if a := live.AgentEvents.Actor; a.Kind != "SYSTEM" || a.Reason != "DISPATCHER" {
		t.Fatalf("offer.created on agentEvents has actor %+v; want SYSTEM DISPATCHER", a)
	}

	c.advance(20 * time.Second) // the ring times out, Ann is rung again
	ann.accept(ann.ring().ID)
	var customer struct {
		Node struct{ Customer struct{ ID string } }
	}
	c.must(c.s.Admin, `query($id: ID!) { node(id: $id) { ... on Engagement { customer { id } } } }`, map[string]any{"id": eg.ID}, &customer)
	cust := c.s.Client(eg.CustomerToken)
	c.must(cust, `mutation($id: ID!) { postMessage(input: {engagementID: $id, body: "hello"}) { message { id } } }`, map[string]any{"id": eg.ID}, nil)
	c.must(cust, `mutation($id: ID!) { endEngagement(id: $id) { engagement { id } } }`, map[string]any{"id": eg.ID}, nil)
	c.advance(time.Minute) // the wrap-up limit completes it

	got := c.transitions(eg.ID)
	want := []string{
		"QUEUED→OFFERED by SYSTEM:DISPATCHER",
		"OFFERED→QUEUED by SYSTEM:RING_TIMEOUT",
		"QUEUED→OFFERED by SYSTEM:DISPATCHER",
		"OFFERED→CONNECTED by AGENT:" + ann.id,
		"CONNECTED→WRAP_UP by CUSTOMER:" + customer.Node.Customer.ID,
		"WRAP_UP→CLOSED by SYSTEM:WRAP_UP_LIMIT",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("transitions\n got %q\nwant %q", got, want)
	}
	h := c.history(eg.ID)
	if h[0].Topic != "engagement.created" || h[0].who() != "API_KEY:"+keyID {
		t.Fatalf("first event %s by %s; want engagement.created by API_KEY:%s", h[0].Topic, h[0].who(), keyID)
	}
	for _, e := range h {
		if e.Topic == "message.created" && e.who() != "CUSTOMER:"+customer.Node.Customer.ID {
			t.Fatalf("message by %s", e.who())
		}
	}
}

// A logout for a connection lost beyond the grace period is the system's.
func TestDisconnectGraceIsTheSystemsDoing(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", nil)
	ann := c.agent("Ann", "", q)
	id := c.create("CHAT", q)
	ann.answer(id)
	conn, _ := agentStream(t, c, ann)
	conn.CloseNow()
	annID, err := strconv.Atoi(ann.id)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the lost connection to be noticed", func() bool {
		a, err := c.s.App.Client.Agent.Get(auth.SystemContext(context.Background()), annID)
		return err == nil && a.DisconnectedAt != nil
	})
	c.advance(c.s.App.Config.DisconnectGrace)
	got := c.transitions(id)
	if last := got[len(got)-1]; last != "CONNECTED→QUEUED by SYSTEM:DISCONNECT_GRACE" {
		t.Fatalf("transitions %q", got)
	}
}
