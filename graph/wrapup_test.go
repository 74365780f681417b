package graph_test

import (
	"slices"
	"testing"
	"time"
)

// E4: ending starts wrap-up; the agent writes notes and picks dispositions
// when the queue requires them; completing wrap-up closes the engagement and
// the agent gets the next one.
func TestEndWrapUpCloseThenNext(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Refunds", map[string]any{"dispositionsRequired": true})
	other := c.queue("Other", nil)
	var reasons []string
	for _, in := range []map[string]any{
		{"code": "REFUNDED", "label": "Refunded", "queueIDs": []string{q}},
		{"code": "OTHER_QUEUE", "label": "Only for Other", "queueIDs": []string{other}},
	} {
		var out struct {
			CreateWrapUpReason struct{ WrapUpReason struct{ ID string } }
		}
		c.must(c.s.Admin, `mutation($in: CreateWrapUpReasonInput!) { createWrapUpReason(input: $in) { wrapUpReason { id } } }`, map[string]any{"in": in}, &out)
		reasons = append(reasons, out.CreateWrapUpReason.WrapUpReason.ID)
	}
	ann := c.agent("Ann", c.profile(map[string]any{"chat": 1}), q)
	first, next := c.create("CHAT", q), c.create("CHAT", q)
	ann.answer(first)
	c.advance(time.Minute)

	if e := ann.end(first); e.State != "WRAP_UP" || e.HandleMs != 60000 {
		t.Fatalf("ended engagement: %+v", e)
	}
	c.must(ann.Client, `mutation($id: ID!) { addNote(engagementID: $id, body: "customer was polite") { note { id } } }`, map[string]any{"id": first}, nil)
	ann.noRing() // the wrap-up holds the slot

	complete := `mutation($in: CompleteWrapUpInput!) { completeWrapUp(input: $in) { engagement { state } } }`
	in := func(dispositions ...string) map[string]any {
		return map[string]any{"in": map[string]any{"engagementID": first, "notes": "not saved", "dispositionIDs": dispositions}}
	}
	expectError(t, ann.Client, "VALIDATION", "DISPOSITIONS_REQUIRED", complete, in())
	expectError(t, ann.Client, "VALIDATION", "", complete, in(reasons[1]))
	c.advance(20 * time.Second)
	e := ann.wrapUp(first, reasons[0])
	if e.State != "CLOSED" || e.WrapUpMs != 20000 {
		t.Fatalf("after wrap-up: %+v", e)
	}
	var out struct {
		Node struct {
			Notes        []struct{ Body string }
			Dispositions []struct{ Code string }
		}
	}
	c.must(c.s.Admin, `query($id: ID!) { node(id: $id) { ... on Engagement { notes { body } dispositions { code } } } }`, map[string]any{"id": first}, &out)
	var notes []string
	for _, n := range out.Node.Notes {
		notes = append(notes, n.Body)
	}
	if !slices.Equal(notes, []string{"customer was polite", "done"}) || len(out.Node.Dispositions) != 1 || out.Node.Dispositions[0].Code != "REFUNDED" {
		t.Fatalf("closed engagement has notes %v and dispositions %+v", notes, out.Node.Dispositions)
	}
	ann.answer(next)
}

// E4: the queue's wrap-up limit closes a wrap-up the agent does not complete.
func TestWrapUpLimitClosesWrapUp(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", map[string]any{"wrapUpLimitSeconds": 45})
	ann := c.agent("Ann", c.profile(map[string]any{"chat": 1}), q)
	first, next := c.create("CHAT", q), c.create("CHAT", q)
	ann.answer(first)
	ann.end(first)
	c.advance(44 * time.Second)
	ann.noRing()
	c.advance(time.Second)
	if e := c.expectEngagement(first, "CLOSED", ann.id); e.WrapUpMs != 45000 {
		t.Fatalf("wrap-up %d ms", e.WrapUpMs)
	}
	ann.answer(next)
}

// The customer leaving before the engagement connects abandons it: its
// wait is recorded and a ring is rescinded.
func TestAbandonment(t *testing.T) {
	for _, ringing := range []bool{false, true} {
		name := map[bool]string{false: "queued", true: "ringing"}[ringing]
		t.Run(name, func(t *testing.T) {
			c := newCenter(t)
			q := c.queue("Support", nil)
			ann := c.agent("Ann", "", q)
			if !ringing {
				ann.setState("NOT_READY", "BREAK")
			}
			id := c.create("VOICE", q)
			var o offer
			if ringing {
				o = ann.ringFor(id)
			}
			c.advance(21 * time.Second) // past the default ring timeout of 20 s
			if ringing {
				// The first ring timed out; Ann, the only agent, is rung again.
				o = ann.ringFor(id)
			}
			c.advance(3 * time.Second)
			e := c.hangUp(id)
			if e.State != "ABANDONED" || e.WaitMs != 24000 || !e.CustomerLeft || e.agent() != "" {
				t.Fatalf("abandoned engagement: %+v", e)
			}
			if ringing {
				if s := c.offerState(o.ID); s != "RESCINDED" {
					t.Fatalf("ring is %s", s)
				}
			}
			ann.noRing()
			ann.setState("AVAILABLE", "")
			ann.noRing()
		})
	}
}

// The customer ending a connected engagement starts its agent's wrap-up:
// through the integration, or the chat widget with its customer token.
func TestCustomerEndsConnectedEngagement(t *testing.T) {
	for _, by := range []string{"integration", "customer token"} {
		t.Run(by, func(t *testing.T) {
			c := newCenter(t)
			q := c.queue("Support", nil)
			ann := c.agent("Ann", "", q)
			created := c.createWith(map[string]any{"channel": "CHAT", "queueID": q})
			ann.answer(created.ID)
			c.advance(time.Minute)
			var e engagementView
			if by == "integration" {
				e = c.hangUp(created.ID)
			} else {
				// The customer sees only the state; the contact center the rest.
				var out struct {
					EndEngagement struct{ Engagement struct{ State string } }
				}
				c.must(c.s.Client(created.CustomerToken), `mutation($id: ID!) { endEngagement(id: $id) { engagement { state } } }`,
					map[string]any{"id": created.ID}, &out)
				if out.EndEngagement.Engagement.State != "WRAP_UP" {
					t.Fatalf("the customer sees state %s; want WRAP_UP", out.EndEngagement.Engagement.State)
				}
				e = c.engagement(created.ID)
			}
			if e.State != "WRAP_UP" || !e.CustomerLeft || e.HandleMs != 60000 {
				t.Fatalf("ended by the customer: %+v", e)
			}
			ann.wrapUp(created.ID)
		})
	}
}
