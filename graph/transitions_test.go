package graph_test

import (
	"context"
	"sync"
	"testing"

	"github.com/switchboard/switchboard/internal/gqlclient"
)

// E1: illegal transitions are refused with PRECONDITION_FAILED and a
// reason; acting on another agent's engagement with FORBIDDEN.
func TestIllegalTransitionsAndForeignEngagements(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", map[string]any{"dispositionsRequired": true})
	ann := c.agent("Ann", "", q)
	c.advance(1)
	bob := c.agent("Bob", "", q)
	chat := c.create("CHAT", q)
	ann.answer(chat)
	call := c.create("VOICE", q)
	bob.answer(call)
	ann.setState("NOT_READY", "BREAK")
	bob.setState("NOT_READY", "BREAK")
	waiting := c.create("CHAT", q)
	closed := c.create("CHAT", q)
	ann.pick(closed)
	ann.end(closed)
	var reason struct {
		CreateWrapUpReason struct{ WrapUpReason struct{ ID string } }
	}
	c.must(c.s.Admin, `mutation { createWrapUpReason(input: {code: "DONE", label: "Done"}) { wrapUpReason { id } } }`, nil, &reason)
	ann.wrapUp(closed, reason.CreateWrapUpReason.WrapUpReason.ID)

	const (
		illegal   = "ILLEGAL_TRANSITION"
		notYours  = "NOT_YOUR_ENGAGEMENT"
		forbidden = "FORBIDDEN"
		failed    = "PRECONDITION_FAILED"
	)
	for _, tc := range []struct {
		name         string
		who          *agentClient
		mutation, id string
		code, reason string
	}{
		{"park a call", bob, "parkEngagement", call, failed, illegal},
		{"resume a connected chat", ann, "resumeEngagement", chat, failed, illegal},
		{"end a waiting engagement", ann, "endEngagement", waiting, forbidden, notYours},
		{"end a closed engagement", ann, "endEngagement", closed, failed, illegal},
		{"park a closed engagement", ann, "parkEngagement", closed, failed, illegal},
		{"release a closed engagement", ann, "releaseEngagement", closed, failed, illegal},
		{"pick a call", ann, "pickEngagement", call, failed, illegal},
		{"park another's chat", bob, "parkEngagement", chat, forbidden, notYours},
		{"end another's chat", bob, "endEngagement", chat, forbidden, notYours},
		{"release another's chat", bob, "releaseEngagement", chat, forbidden, notYours},
		{"resume another's chat", bob, "resumeEngagement", chat, forbidden, notYours},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.who.refuse(tc.code, tc.reason, tc.mutation, tc.id)
		})
	}

	for _, tc := range []struct {
		name, query  string
		who          *agentClient
		vars         map[string]any
		code, reason string
	}{
		{"complete the wrap-up of a connected engagement", `mutation($id: ID!) { completeWrapUp(input: {engagementID: $id}) { engagement { id } } }`,
			ann, map[string]any{"id": chat}, failed, illegal},
		{"complete the wrap-up of another's engagement", `mutation($id: ID!) { completeWrapUp(input: {engagementID: $id}) { engagement { id } } }`,
			bob, map[string]any{"id": chat}, forbidden, notYours},
		{"complete a completed wrap-up", `mutation($id: ID!) { completeWrapUp(input: {engagementID: $id}) { engagement { id } } }`,
			ann, map[string]any{"id": closed}, failed, illegal},
		{"transfer another's chat", `mutation($id: ID!, $q: ID!) { transferEngagement(input: {engagementID: $id, toQueueID: $q}) { transfer { id } } }`,
			bob, map[string]any{"id": chat, "q": q}, forbidden, notYours},
		{"transfer a closed engagement", `mutation($id: ID!, $q: ID!) { transferEngagement(input: {engagementID: $id, toQueueID: $q}) { transfer { id } } }`,
			ann, map[string]any{"id": closed, "q": q}, failed, illegal},
		{"note on another's chat", `mutation($id: ID!) { addNote(engagementID: $id, body: "x") { note { id } } }`,
			bob, map[string]any{"id": chat}, forbidden, notYours},
		{"message on another's chat", `mutation($id: ID!) { postMessage(input: {engagementID: $id, body: "hi"}) { message { id } } }`,
			bob, map[string]any{"id": chat}, forbidden, notYours},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectError(t, tc.who.Client, tc.code, tc.reason, tc.query, tc.vars)
		})
	}

	// Nothing changed.
	c.expectEngagement(chat, "CONNECTED", ann.id)
	c.expectEngagement(call, "CONNECTED", bob.id)
	c.expectEngagement(waiting, "QUEUED", "")
}

// Offers: only their agent may answer them, and only once.
func TestOfferAnswers(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", nil)
	ann := c.agent("Ann", "", q)
	c.advance(1)
	bob := c.agent("Bob", "", q)
	bob.setState("NOT_READY", "BREAK")
	id := c.create("CHAT", q)
	o := ann.ringFor(id)
	bob.refuse("FORBIDDEN", "", "acceptOffer", o.ID)
	bob.refuse("FORBIDDEN", "", "declineOffer", o.ID)
	ann.accept(o.ID)
	ann.refuse("PRECONDITION_FAILED", "OFFER_ENDED", "acceptOffer", o.ID)
	ann.refuse("PRECONDITION_FAILED", "OFFER_ENDED", "declineOffer", o.ID)
}

// Racing actions: of several agents transferring, picking or accepting at
// once, exactly one succeeds; the others fail cleanly (CONFLICT when the
// engagement changed under them) and nothing is corrupted.
func TestRacingActions(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", nil)
	ann := c.agent("Ann", "", q)
	others := c.agents("Agent", 6, "", q)
	for _, a := range others {
		a.setState("NOT_READY", "BREAK")
	}

	race := func(n int, op func(i int) (*gqlclient.Response, error)) (wins int, codes map[string]int) {
		t.Helper()
		codes = map[string]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				res, err := op(i)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					t.Errorf("transport: %v", err)
				case len(res.Errors) == 0:
					wins++
				default:
					codes[res.Errors[0].Extensions.Code+" "+res.Errors[0].Extensions.Reason]++
				}
			})
		}
		wg.Wait()
		return wins, codes
	}
	ctx := context.Background()

	// Six agents pick the same waiting chat.
	ann.setState("NOT_READY", "BREAK")
	picked := c.create("CHAT", q)
	wins, codes := race(len(others), func(i int) (*gqlclient.Response, error) {
		return others[i].Do(ctx, `mutation($id: ID!) { pickEngagement(id: $id) { engagement { id } } }`, map[string]any{"id": picked})
	})
	if wins != 1 || codes["PRECONDITION_FAILED ILLEGAL_TRANSITION"]+codes["CONFLICT STALE_STATE"] != len(others)-1 {
		t.Fatalf("pick race: %d wins, errors %v", wins, codes)
	}

	// Ann transfers her chat to six agents at once: one transfer is pending,
	// the others conflict with it.
	for _, a := range others {
		a.setState("AVAILABLE", "")
	}
	ann.setState("AVAILABLE", "")
	chat := c.create("CHAT", q)
	c.settle()
	var holder *agentClient
	for _, a := range append([]*agentClient{ann}, others...) {
		if os := a.offers(); len(os) == 1 && os[0].Engagement.ID == chat {
			holder = a
			a.accept(os[0].ID)
		}
	}
	if holder == nil {
		t.Fatal("nobody was rung with the chat")
	}
	var targets []*agentClient
	for _, a := range append([]*agentClient{ann}, others...) {
		if a != holder {
			targets = append(targets, a)
		}
	}
	wins, codes = race(len(targets), func(i int) (*gqlclient.Response, error) {
		return holder.Do(ctx, `mutation($in: TransferEngagementInput!) { transferEngagement(input: $in) { transfer { id } } }`,
			map[string]any{"in": map[string]any{"engagementID": chat, "toAgentID": targets[i].id}})
	})
	if wins != 1 || codes["CONFLICT TRANSFER_PENDING"] != len(targets)-1 {
		t.Fatalf("transfer race: %d wins, errors %v", wins, codes)
	}
	c.expectEngagement(chat, "TRANSFERRING", holder.id)

	// The target accepts while the holder ends the chat: one of them wins.
	var target *agentClient
	var transferOffer offer
	for _, a := range targets {
		for _, o := range a.offers() {
			if o.Engagement.ID == chat {
				target, transferOffer = a, o
			}
		}
	}
	wins, codes = race(2, func(i int) (*gqlclient.Response, error) {
		if i == 0 {
			return target.Do(ctx, `mutation($id: ID!) { acceptOffer(id: $id) { engagement { id } } }`, map[string]any{"id": transferOffer.ID})
		}
		return holder.Do(ctx, `mutation($id: ID!) { endEngagement(id: $id) { engagement { id } } }`, map[string]any{"id": chat})
	})
	// Accepted first: the holder's end is refused (the chat is not its own
	// any more); ended first: the transfer is cancelled and the accept fails.
	e := c.engagement(chat)
	accepted := e.State == "CONNECTED" && e.agent() == target.id
	ended := e.State == "WRAP_UP" && e.agent() == holder.id
	if wins != 1 || !accepted && !ended {
		t.Fatalf("accept/end race: %d wins, errors %v, engagement %+v", wins, codes, e)
	}
}
