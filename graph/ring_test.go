package graph_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/app"
)

// E2: in a MANUAL queue the agent is rung with what it needs to decide:
// the customer's details, the flow variables and the bot summary.
func TestRingCarriesCustomerFlowVariablesAndBotSummary(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Billing", map[string]any{"channels": []string{"VOICE", "CHAT"}})
	ann := c.agent("Ann", "", q)
	_, stream := agentStream(t, c, ann)
	id := c.createWith(map[string]any{
		"channel": "CHAT", "queueID": q,
		"customer":      map[string]any{"name": "Bob Stone", "phone": "+4930123456", "email": "bob@example.com"},
		"flowVariables": map[string]any{"orderID": "A-17", "verified": true},
		"botSummary":    "Bob wants a refund for order A-17.",
	}).ID

	ann.ringFor(id)
	var out struct {
		Me struct {
			PendingOffers []struct {
				Engagement struct {
					State    string
					Customer struct {
						Name           string
						Phones, Emails []string
					}
					FlowVariables map[string]any
					BotSummary    string
					MenuPath      string
				}
			}
		}
	}
	c.must(ann.Client, `{ me { pendingOffers { engagement { state customer { name phones emails } flowVariables botSummary menuPath } } } }`, nil, &out)
	got := out.Me.PendingOffers[0].Engagement
	if got.State != "OFFERED" || got.Customer.Name != "Bob Stone" ||
		!reflect.DeepEqual(got.Customer.Phones, []string{"+4930123456"}) || !reflect.DeepEqual(got.Customer.Emails, []string{"bob@example.com"}) ||
		!reflect.DeepEqual(got.FlowVariables, map[string]any{"orderID": "A-17", "verified": true}) ||
		got.BotSummary != "Bob wants a refund for order A-17." || got.MenuPath != "Billing" {
		t.Fatalf("ring shows %+v", got)
	}

	// The ring event carries the same, so the desktop needs no query.
	ring := nextTopic(t, stream, "offer.created")
	p := ring.Payload
	customer, _ := p["customer"].(map[string]any)
	if customer["name"] != "Bob Stone" || !reflect.DeepEqual(customer["phones"], []any{"+4930123456"}) ||
		!reflect.DeepEqual(customer["emails"], []any{"bob@example.com"}) ||
		!reflect.DeepEqual(p["flowVariables"], map[string]any{"orderID": "A-17", "verified": true}) ||
		p["botSummary"] != "Bob wants a refund for order A-17." || p["channel"] != "CHAT" || ring.Engagement == nil || ring.Engagement.ID != id {
		t.Fatalf("offer.created event: %+v", ring)
	}
}

// E2: declining, or letting the ring time out, passes the engagement to the
// next agent of the queue.
func TestRingPassesToNextAgent(t *testing.T) {
	for _, tc := range []struct {
		name string
		miss func(c *center, a *agentClient, o offer)
		want string // how the first offer ended
	}{
		{"decline", func(c *center, a *agentClient, o offer) { a.decline(o.ID) }, "DECLINED"},
		{"ring timeout", func(c *center, a *agentClient, o offer) {
			c.advance(10 * time.Second)
			if c.offerState(o.ID) != "PENDING" {
				t.Fatalf("the ring ended before its timeout")
			}
			c.advance(5 * time.Second)
		}, "TIMED_OUT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCenter(t)
			q := c.queue("Support", map[string]any{"ringTimeoutSeconds": 15})
			ann := c.agent("Ann", "", q)
			c.advance(time.Second) // Ann has been idle longest: she is rung first
			bob := c.agent("Bob", "", q)
			id := c.create("CHAT", q)

			first := ann.ringFor(id)
			bob.noRing()
			tc.miss(c, ann, first)
			bob.ringFor(id)
			ann.noRing()
			if s := c.offerState(first.ID); s != tc.want {
				t.Fatalf("first offer is %s; want %s", s, tc.want)
			}
			bob.answer(id)
			c.expectEngagement(id, "CONNECTED", bob.id)
		})
	}
}

// E2: an agent who lets MissedRingsLimit rings in a row time out is set
// NOT_READY with reason MISSED; answering a ring (or declining it) breaks
// the streak.
func TestMissedRingsSetNotReady(t *testing.T) {
	c := newCenter(t, func(cfg *app.Config) { cfg.MissedRingsLimit = 2 })
	q := c.queue("Support", map[string]any{"ringTimeoutSeconds": 10})
	ann := c.agent("Ann", "", q)
	missRing := func(id string) {
		t.Helper()
		ann.ringFor(id)
		c.advance(11 * time.Second)
	}

	// Miss, decline, miss: not two in a row.
	first := c.create("CHAT", q)
	missRing(first)
	if m := ann.me(); m.State != "AVAILABLE" || m.MissedRings != 1 {
		t.Fatalf("after one missed ring Ann is %s with %d missed rings", m.State, m.MissedRings)
	}
	ann.decline(ann.ringFor(first).ID)
	missRing(first)
	if m := ann.me(); m.State != "AVAILABLE" || m.MissedRings != 1 {
		t.Fatalf("after miss, decline, miss Ann is %s with %d missed rings; want AVAILABLE with 1", m.State, m.MissedRings)
	}

	// The second miss in a row: NOT_READY (MISSED), and no more rings.
	missRing(first)
	m := ann.me()
	if m.State != "NOT_READY" || m.StateReason == nil || *m.StateReason != "MISSED" {
		t.Fatalf("after two missed rings in a row Ann is %s (%v); want NOT_READY (MISSED)", m.State, m.StateReason)
	}
	ann.noRing()
	c.expectEngagement(first, "QUEUED", "")

	// Back to AVAILABLE: the streak starts over and the chat rings again.
	ann.setState("AVAILABLE", "")
	ann.answer(first)
	if m := ann.me(); m.MissedRings != 0 {
		t.Fatalf("missedRings %d after answering", m.MissedRings)
	}
}

// E2: an AUTO queue connects the engagement to the agent without a ring.
func TestAutoQueueConnectsWithoutRing(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Orders", map[string]any{"acceptMode": "AUTO"})
	ann := c.agent("Ann", "", q)
	for _, ch := range []string{"VOICE", "CHAT"} {
		id := c.create(ch, q)
		e := c.waitState(id, "CONNECTED")
		if e.agent() != ann.id {
			t.Fatalf("%s connected to %q; want Ann", ch, e.agent())
		}
		if os := ann.offers(); len(os) != 0 {
			t.Fatalf("Ann has pending offers %+v in an AUTO queue", os)
		}
		ann.finish(id)
	}
}

// An agent who declined an engagement is asked again only when nobody else
// can take it, and only during the same wait: once the engagement is back
// in the queue later (released, transferred), the decline is forgotten.
func TestDeclineCountsForTheCurrentWaitOnly(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", nil)
	ann := c.agent("Ann", "", q) // idle longest
	c.advance(time.Second)
	bob := c.agent("Bob", "", q)
	c.advance(time.Second)
	cy := c.agent("Cy", "", q)
	id := c.create("CHAT", q)

	ann.decline(ann.ringFor(id).ID)
	bob.answer(id) // Bob, not Ann again
	c.advance(time.Minute)
	bob.setState("NOT_READY", "BREAK")
	bob.act("releaseEngagement", id)
	ann.ringFor(id) // a new wait: Ann is the longest idle again
	cy.noRing()
}
