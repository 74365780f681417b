package graph_test

import (
	"testing"
)

// TestOutboundTransfer (O8): an outbound conversation is transferred like
// any engagement. To an agent who declines, the transfer is dropped and it
// stays with the sender; to an agent who accepts, the target has it and
// its messages are delivered from the same entry point, and the sender
// wraps up; to a queue, it is assigned to an available member.
func TestOutboundTransfer(t *testing.T) {
	c := newMessagingCenter(t)
	bobID, bob := c.newAgent(t, "bob@example.com", "STANDARD", c.profile)
	do[any](t, bob, `mutation { setAgentState(state: AVAILABLE) { agent { state } } }`, nil)
	started := c.start(t, c.agent, map[string]any{"channel": "SMS", "to": "+14155550100", "body": "Hello"}).StartOutbound
	eg := started.Engagement.ID
	const transfer = `mutation($in: TransferEngagementInput!) { transferEngagement(input: $in) { transfer { id state } } }`
	pending := func() string {
		t.Helper()
		out := do[struct {
			Me struct {
				PendingOffers []struct{ Transfer *struct{ ID string } }
			}
		}](t, bob, `{ me { pendingOffers { transfer { id } } } }`, nil)
		if len(out.Me.PendingOffers) != 1 || out.Me.PendingOffers[0].Transfer == nil {
			t.Fatalf("bob's pending offers %+v; want the transfer", out.Me.PendingOffers)
		}
		return out.Me.PendingOffers[0].Transfer.ID
	}
	state := func() string { return node(t, c.s.Admin, eg, `... on Engagement { state }`)["state"].(string) }

	do[any](t, c.agent, transfer, map[string]any{"in": map[string]any{"engagementID": eg, "toAgentID": bobID}})
	do[any](t, bob, `mutation($id: ID!) { declineTransfer(id: $id) { transfer { state } } }`, map[string]any{"id": pending()})
	if st := state(); st != "CONNECTED" {
		t.Fatalf("after a declined transfer the engagement is %s; want CONNECTED with the sender", st)
	}
	do[any](t, c.agent, `mutation($id: ID!) { postMessage(input: {engagementID: $id, body: "Still here"}) { message { id } } }`, map[string]any{"id": eg})

	do[any](t, c.agent, transfer, map[string]any{"in": map[string]any{"engagementID": eg, "toAgentID": bobID}})
	do[any](t, bob, `mutation($id: ID!) { acceptTransfer(id: $id) { engagement { state } } }`, map[string]any{"id": pending()})
	got := node(t, c.s.Admin, eg, `... on Engagement { state direction agent { id } }`)
	if got["state"] != "CONNECTED" || got["agent"].(map[string]any)["id"] != bobID || got["direction"] != "OUTBOUND" {
		t.Fatalf("after the accepted transfer %v; want CONNECTED to bob", jsonString(got))
	}
	msg := do[struct {
		PostMessage struct {
			Message struct{ Delivery struct{ ID string } }
		}
	}](t, bob, `mutation($id: ID!) { postMessage(input: {engagementID: $id, body: "Bob here"}) { message { delivery { id } } } }`, map[string]any{"id": eg})
	if d := c.delivery(t, msg.PostMessage.Message.Delivery.ID); d["fromAddress"] != smsNumber || d["toAddress"] != "+14155550100" {
		t.Errorf("bob's message delivery %v; want from the entry point to the customer", d)
	}
	// The sender owes its wrap-up (T5).
	do[any](t, c.agent, `mutation($id: ID!) { completeWrapUp(input: {engagementID: $id}) { engagement { id } } }`, map[string]any{"id": eg})

	// Bob, on a break now, transfers it to the queue; Ann, available, is assigned it.
	do[any](t, bob, `mutation { setAgentState(state: NOT_READY, reason: "BREAK") { agent { state } } }`, nil)
	do[any](t, c.agent, `mutation { setAgentState(state: AVAILABLE) { agent { state } } }`, nil)
	do[any](t, bob, transfer, map[string]any{"in": map[string]any{"engagementID": eg, "toQueueID": c.queue}})
	syncEngine(t, c.s)
	got = node(t, c.s.Admin, eg, `... on Engagement { state agent { id } }`)
	if got["state"] != "CONNECTED" || got["agent"].(map[string]any)["id"] != c.agentID {
		t.Fatalf("after the transfer to the queue %v; want CONNECTED to ann", jsonString(got))
	}
}
