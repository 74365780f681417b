package graph_test

import (
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/apitest"
)

// Queue position and expected wait (README): position × the queue's
// average handle time ÷ staffed agents, pushed to each waiting chat as
// queue.position when it changes, and readable by the customer token,
// integrations and supervisors through queuePosition.
func TestQueuePositionAndExpectedWait(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Web", nil)
	ann := c.agent("Ann", c.profile(map[string]any{"chat": 1}), q)
	// Two chats handled in 4 and 6 minutes: 5 minutes on average.
	for _, d := range []time.Duration{4 * time.Minute, 6 * time.Minute} {
		id := c.create("CHAT", q)
		ann.answer(id)
		c.advance(d)
		ann.finish(id)
	}
	ann.answer(c.create("CHAT", q)) // Ann is busy: chats wait
	_, token := chatEntryPoint(t, c.s, "Shop chat", q)
	v := []visitorChat{startChat(t, c.s, token, nil), startChat(t, c.s, token, nil), startChat(t, c.s, token, nil)}
	// A queue's positions go out at most once a second: the three arrivals
	// are told together.
	c.advance(time.Second)

	position := `query($id: ID!) { queuePosition(engagementID: $id) { position expectedWaitSeconds queueID } }`
	type info struct {
		QueuePosition *struct {
			Position            int
			ExpectedWaitSeconds *int
			QueueID             string
		}
	}
	sup := c.s.Admin
	for i, chat := range v {
		for _, cl := range []struct {
			name string
			info info
		}{
			{"customer", do[info](t, chat.client, position, idVars(chat.ID))},
			{"integration", do[info](t, c.integ, position, idVars(chat.ID))},
			{"admin", do[info](t, sup, position, idVars(chat.ID))},
		} {
			p := cl.info.QueuePosition
			if p == nil || p.Position != i+1 || deref(p.ExpectedWaitSeconds) != 300*(i+1) || p.QueueID != q {
				t.Fatalf("%s reads chat %d's position %+v; want %d, %d s", cl.name, i+1, p, i+1, 300*(i+1))
			}
		}
	}
	runErrorCases(t, ann.Client, []errorCase{{"an agent", position, idVars(v[0].ID), "FORBIDDEN", ""}})

	// The third visitor hears its position move when the first leaves.
	conn := c.s.Dial(t, v[2].token)
	defer conn.CloseNow()
	sub := subscribe(t, conn, customerEventsQuery, idVars(v[2].ID))
	do[map[string]any](t, v[0].client, `mutation($id: ID!) { endEngagement(id: $id) { engagement { state } } }`, idVars(v[0].ID))
	c.advance(time.Second)
	if e := nextOf(t, sub, "engagementEvents", "queue.position"); e.Payload["position"] != float64(2) || e.Payload["expectedWaitSeconds"] != float64(600) {
		t.Fatalf("the third visitor hears %v; want position 2, 600 s", e.Payload)
	}
	// Each change was told once: 3 then 2; the second visitor was told 2
	// then 1.
	var hist struct {
		Node struct {
			History []struct {
				Topic   string
				Payload map[string]any
			}
		}
	}
	apitest.Must(t, sup, `query($id: ID!) { node(id: $id) { ... on Engagement { history { topic payload } } } }`, idVars(v[2].ID), &hist)
	var told []any
	for _, e := range hist.Node.History {
		if e.Topic == "queue.position" {
			told = append(told, e.Payload["position"])
		}
	}
	if jsonString(told) != "[3,2]" {
		t.Fatalf("the third visitor was told positions %v; want [3,2]", told)
	}
	apitest.Must(t, sup, `query($id: ID!) { node(id: $id) { ... on Engagement { history { topic payload } } } }`, idVars(v[1].ID), &hist)
	told = nil
	for _, e := range hist.Node.History {
		if e.Topic == "queue.position" {
			told = append(told, e.Payload["position"])
		}
	}
	if jsonString(told) != "[2,1]" {
		t.Fatalf("the second visitor was told positions %v; want [2,1]", told)
	}
	// Nobody staffed: no estimate.
	ann.setState("OFFLINE", "")
	c.settle()
	if p := do[info](t, v[2].client, position, idVars(v[2].ID)).QueuePosition; p == nil || p.ExpectedWaitSeconds != nil {
		t.Fatalf("with nobody staffed: %+v; want a position without estimate", p)
	}
}
