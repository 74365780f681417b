package graph_test

import (
	"slices"
	"testing"
	"time"
)

// transferCenter has two queues, Ann in Sales and Bob in Support, each with
// one chat slot, and Ann connected to a chat.
func transferCenter(t *testing.T) (c *center, sales, support string, ann, bob *agentClient, chat string) {
	c = newCenter(t)
	sales = c.queue("Sales", map[string]any{"ringTimeoutSeconds": 15})
	support = c.queue("Support", nil)
	one := c.profile(map[string]any{"chat": 1})
	ann = c.agent("Ann", one, sales)
	bob = c.agent("Bob", one, support)
	chat = c.create("CHAT", sales)
	ann.answer(chat)
	c.advance(time.Minute)
	return
}

// T1, T5: a transfer to a queue queues the engagement there at once; the
// sender owes a wrap-up, which holds its slot until completed.
func TestTransferToQueue(t *testing.T) {
	c, sales, support, ann, bob, chat := transferCenter(t)
	if _, state := ann.transfer(chat, support, ""); state != "COMPLETED" {
		t.Fatalf("transfer to a queue is %s", state)
	}
	e := c.engagement(chat)
	if e.QueueID != support || e.HandleMs != 60000 {
		t.Fatalf("transferred engagement: %+v", e)
	}
	bob.answer(chat)

	// Ann's wrap-up of her part: listed, and holding her chat slot.
	if got := ann.open(); !slices.Equal(got, []string{chat + ":CONNECTED"}) {
		t.Fatalf("Ann's open engagements %v; want the transferred chat until she wraps up", got)
	}
	next := c.create("CHAT", sales)
	ann.noRing()
	ann.refuse("FORBIDDEN", "NOT_YOUR_ENGAGEMENT", "parkEngagement", chat) // no longer hers to act on
	ann.wrapUp(chat)
	if got := ann.open(); len(got) != 0 {
		t.Fatalf("Ann's open engagements after wrap-up: %v", got)
	}
	ann.answer(next)
	c.expectEngagement(chat, "CONNECTED", bob.id)
}

// T1, T2, T5: a transfer to an agent rings the target; accepting connects
// it and the sender owes a wrap-up; declining, or letting the ring time
// out, drops the transfer and the engagement stays with the sender.
func TestTransferToAgent(t *testing.T) {
	for _, tc := range []struct {
		name     string
		answer   func(c *center, bob *agentClient, transferID string, o offer)
		transfer string // the transfer's final state
	}{
		{"acceptTransfer", func(c *center, bob *agentClient, id string, o offer) {
			c.must(bob.Client, `mutation($id: ID!) { acceptTransfer(id: $id) { engagement { state } } }`, map[string]any{"id": id}, nil)
		}, "COMPLETED"},
		{"acceptOffer", func(c *center, bob *agentClient, id string, o offer) { bob.accept(o.ID) }, "COMPLETED"},
		{"declineOffer", func(c *center, bob *agentClient, id string, o offer) { bob.decline(o.ID) }, "DECLINED"},
		{"declineTransfer", func(c *center, bob *agentClient, id string, o offer) {
			c.must(bob.Client, `mutation($id: ID!) { declineTransfer(id: $id) { transfer { state } } }`, map[string]any{"id": id}, nil)
		}, "DECLINED"},
		{"ring timeout", func(c *center, bob *agentClient, id string, o offer) {
			c.advance(14 * time.Second)
			if s := c.offerState(o.ID); s != "PENDING" {
				t.Fatalf("transfer offer %s before its timeout", s)
			}
			c.advance(time.Second)
		}, "EXPIRED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _, ann, bob, chat := transferCenter(t)
			conn, sub := agentStream(t, c, ann)
			defer conn.CloseNow()
			transferID, state := ann.transfer(chat, "", bob.id)
			if state != "PENDING" {
				t.Fatalf("transfer to an agent is %s", state)
			}
			c.expectEngagement(chat, "TRANSFERRING", ann.id)
			o := bob.ring()
			if o.Engagement.ID != chat || o.TransferID == nil || *o.TransferID != transferID {
				t.Fatalf("Bob's offer: %+v", o)
			}
			tc.answer(c, bob, transferID, o)
			c.settle()

			var out struct{ Node struct{ State string } }
			c.must(c.s.Admin, `query($id: ID!) { node(id: $id) { ... on Transfer { state } } }`, map[string]any{"id": transferID}, &out)
			if out.Node.State != tc.transfer {
				t.Fatalf("transfer is %s; want %s", out.Node.State, tc.transfer)
			}
			// The sender hears how it ended, however it ended.
			for e := nextTopic(t, sub, "transfer.changed"); e.Payload["state"] != tc.transfer; e = nextTopic(t, sub, "transfer.changed") {
				if e.Payload["state"] != "PENDING" || e.Payload["transferID"] != transferID {
					t.Fatalf("Ann got transfer.changed %v; want %s of transfer %s", e.Payload, tc.transfer, transferID)
				}
			}
			if tc.transfer != "COMPLETED" {
				// Dropped: still Ann's, connected; Bob keeps no trace of it.
				c.expectEngagement(chat, "CONNECTED", ann.id)
				bob.noRing()
				if m := bob.me(); len(m.OpenEngagements) != 0 || m.MissedRings != 0 || m.State != "AVAILABLE" {
					t.Fatalf("Bob after a dropped transfer: %+v", m)
				}
				ann.finish(chat)
				return
			}
			c.expectEngagement(chat, "CONNECTED", bob.id)
			if got := ann.open(); !slices.Equal(got, []string{chat + ":CONNECTED"}) {
				t.Fatalf("Ann's open engagements %v; want her wrap-up of the transferred chat", got)
			}
			ann.refuse("FORBIDDEN", "", "endEngagement", chat)
			ann.wrapUp(chat)
			bob.finish(chat)
		})
	}
}

// T3: one transfer of an engagement may be pending at a time.
func TestOneTransferPendingAtATime(t *testing.T) {
	c, sales, support, ann, bob, chat := transferCenter(t)
	cy := c.agent("Cy", "", support)
	ann.transfer(chat, "", bob.id)
	transfer := `mutation($in: TransferEngagementInput!) { transferEngagement(input: $in) { transfer { id } } }`
	for _, in := range []map[string]any{
		{"engagementID": chat, "toAgentID": cy.id},
		{"engagementID": chat, "toQueueID": sales},
	} {
		expectError(t, ann.Client, "CONFLICT", "TRANSFER_PENDING", transfer, map[string]any{"in": in})
	}
	cy.noRing()
	bob.ringFor(chat)
}

// Transfers are refused to agents who cannot take the engagement and to
// queues that are not leaves.
func TestTransferRefusals(t *testing.T) {
	c, _, support, ann, bob, chat := transferCenter(t)
	parent := c.queue("Parent", nil)
	c.must(c.s.Admin, `mutation($p: ID!) { createQueue(input: {name: "Child", parentID: $p}) { queue { id } } }`, map[string]any{"p": parent}, nil)
	transfer := `mutation($in: TransferEngagementInput!) { transferEngagement(input: $in) { transfer { id } } }`
	to := func(field, id string) map[string]any {
		in := map[string]any{"engagementID": chat}
		if field != "" {
			in[field] = id
		}
		return map[string]any{"in": in}
	}
	expectError(t, ann.Client, "PRECONDITION_FAILED", "QUEUE_NOT_LEAF", transfer, to("toQueueID", parent))
	expectError(t, ann.Client, "VALIDATION", "", transfer, to("toAgentID", ann.id))
	expectError(t, ann.Client, "VALIDATION", "", transfer, to("", ""))
	bob.setState("NOT_READY", "BREAK")
	expectError(t, ann.Client, "PRECONDITION_FAILED", "AGENT_NOT_AVAILABLE", transfer, to("toAgentID", bob.id))
	bob.setState("AVAILABLE", "")
	bob.ringFor(c.create("CHAT", support)) // his one chat slot
	expectError(t, ann.Client, "PRECONDITION_FAILED", "CAPACITY_REACHED", transfer, to("toAgentID", bob.id))
	c.expectEngagement(chat, "CONNECTED", ann.id)
}

// T4: an agent releases an engagement it cannot finish back to the front of
// its queue, without wrap-up.
func TestReleaseToFrontOfQueue(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", nil)
	one := c.profile(map[string]any{"chat": 1})
	ann := c.agent("Ann", one, q)
	bob := c.agent("Bob", one, q)
	bob.setState("NOT_READY", "BREAK")
	released := c.create("CHAT", q)
	ann.answer(released)
	waiting := c.create("CHAT", q) // waits longer than the released one will
	c.advance(time.Minute)

	ann.setState("NOT_READY", "BREAK")
	if e := ann.act("releaseEngagement", released); e.State != "QUEUED" || e.agent() != "" || e.HandleMs != 60000 {
		t.Fatalf("released engagement: %+v", e)
	}
	if got := ann.open(); len(got) != 0 {
		t.Fatalf("Ann still has %v after release (no wrap-up)", got)
	}
	bob.setState("AVAILABLE", "")
	bob.answer(released)
	bob.finish(released)
	bob.answer(waiting)
}

// T1: the transfer targets list leaf queues and the other agents with their
// availability now, and change when queried again.
func TestTransferTargets(t *testing.T) {
	c, sales, support, ann, bob, _ := transferCenter(t)
	cy := c.agent("Cy", c.profile(map[string]any{"chat": 1}), support)
	cy.setState("NOT_READY", "BREAK")
	c.create("CHAT", support)
	c.settle() // Bob is rung with it
	query := `{ transferTargets(channel: CHAT) { queues { queue { id } waiting agentsAvailable } agents { agentID name state canTake } } }`
	type targets struct {
		TransferTargets struct {
			Queues []struct {
				Queue                    struct{ ID string }
				Waiting, AgentsAvailable int
			}
			Agents []struct {
				AgentID, Name, State string
				CanTake              bool
			}
		}
	}
	var got targets
	c.must(ann.Client, query, nil, &got)
	queues := map[string][2]int{}
	for _, q := range got.TransferTargets.Queues {
		queues[q.Queue.ID] = [2]int{q.Waiting, q.AgentsAvailable}
	}
	if queues[sales] != [2]int{0, 1} || queues[support] != [2]int{1, 1} {
		t.Fatalf("queues: %+v", got.TransferTargets.Queues)
	}
	agents := map[string]string{}
	for _, a := range got.TransferTargets.Agents {
		agents[a.Name] = a.State + map[bool]string{true: " can take", false: " cannot take"}[a.CanTake]
	}
	want := map[string]string{"Bob": "AVAILABLE cannot take", "Cy": "NOT_READY cannot take"} // Bob's one slot is ringing
	if len(agents) != len(want) || agents["Bob"] != want["Bob"] || agents["Cy"] != want["Cy"] {
		t.Fatalf("agents: %v; want %v", agents, want)
	}

	// Cy becomes available and Bob declines: Cy is rung instead.
	cy.setState("AVAILABLE", "")
	bob.decline(bob.ring().ID)
	cy.ring()
	c.must(ann.Client, query, nil, &got)
	for _, a := range got.TransferTargets.Agents {
		agents[a.Name] = a.State + map[bool]string{true: " can take", false: " cannot take"}[a.CanTake]
	}
	if agents["Bob"] != "AVAILABLE can take" || agents["Cy"] != "AVAILABLE cannot take" {
		t.Fatalf("after refresh: %v", agents)
	}
}

// T4: a released engagement goes to another agent first, even when the
// agent who released it is free and has waited longest.
func TestReleasedGoesToAnotherAgentFirst(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", nil)
	one := c.profile(map[string]any{"chat": 1})
	ann := c.agent("Ann", one, q)
	released := c.create("CHAT", q)
	ann.answer(released)
	bob := c.agent("Bob", one, q) // idle for less time than Ann was
	c.advance(time.Minute)
	ann.act("releaseEngagement", released)
	bob.answer(released)
	bob.finish(released)
}
