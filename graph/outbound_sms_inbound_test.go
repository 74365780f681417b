package graph_test

import (
	neturl "net/url"
	"testing"
)

// TestInboundSMSAndOptOut: an inbound SMS opens an engagement assigned to
// an available agent (R6), the next one threads into it, and after it is
// closed a new one links to it (O7). STOP records an opt-out for the
// number and entry point before anything else: startOutbound and the
// agent's messages to it are refused with OPTED_OUT; START lifts it.
func TestInboundSMSAndOptOut(t *testing.T) {
	c := newMessagingCenter(t)
	s := c.s
	const customer = "+14155550100"
	sms := func(from, body string, form bool) map[string]any {
		t.Helper()
		var code int
		var out map[string]any
		if form {
			code, out = c.post(t, "/messaging/sms", "application/x-www-form-urlencoded", "From="+formValue(from)+"&To="+formValue(smsNumber)+"&Body="+formValue(body))
		} else {
			code, out = c.post(t, "/messaging/sms", "application/json", `{"from": "`+from+`", "to": "`+smsNumber+`", "body": "`+body+`"}`)
		}
		if code != 200 {
			t.Fatalf("inbound SMS %q answered %d: %v", body, code, out)
		}
		return out
	}
	do[any](t, c.agent, `mutation { setAgentState(state: AVAILABLE) { agent { state } } }`, nil)

	first := sms(customer, "Is my order late?", true)
	syncEngine(t, s)
	eg := first["engagementID"].(string)
	got := node(t, c.agent, eg, `... on Engagement { state direction sessionType customerAddress agent { id } customer { phones } }`)
	if got["state"] != "CONNECTED" || got["direction"] != "INBOUND" || got["sessionType"] != "INBOUND_SMS" || got["customerAddress"] != customer ||
		got["agent"].(map[string]any)["id"] != c.agentID {
		t.Fatalf("inbound SMS engagement %v; want it CONNECTED to the available agent", jsonString(got))
	}
	if out := sms(customer, "Hello?", false); out["engagementID"] != eg || out["threaded"] != true {
		t.Errorf("second SMS went to %v; want engagement %s", out, eg)
	}
	do[any](t, c.agent, `mutation($id: ID!) { endEngagement(id: $id) { engagement { id } } }`, map[string]any{"id": eg})
	do[any](t, c.agent, `mutation($id: ID!) { completeWrapUp(input: {engagementID: $id}) { engagement { id } } }`, map[string]any{"id": eg})
	later := sms(customer, "One more question", false)
	if later["engagementID"] == eg || later["threaded"] == true {
		t.Fatalf("SMS after the close went to %v; want a new engagement", later)
	}
	syncEngine(t, s)
	if prev := node(t, c.agent, later["engagementID"].(string), `... on Engagement { previous { id } }`)["previous"]; prev == nil || prev.(map[string]any)["id"] != eg {
		t.Errorf("new conversation continues %v; want %s", prev, eg)
	}

	// STOP: the number opts out of this entry point, nothing is created.
	before := c.rows(t)
	if out := sms(customer, " stop ", false); out["optOut"] != "STOP" || out["engagementID"] != nil {
		t.Fatalf("STOP answered %v", out)
	}
	after := c.rows(t)
	if after.engagements != before.engagements || after.messages != before.messages {
		t.Errorf("STOP created rows: %+v -> %+v", before, after)
	}
	optOuts := do[struct{ OptOuts struct{ TotalCount int } }](t, s.Admin, `{ optOuts(where: {address: "`+customer+`"}) { totalCount } }`, nil)
	if optOuts.OptOuts.TotalCount != 1 {
		t.Errorf("%d opt-outs recorded; want 1", optOuts.OptOuts.TotalCount)
	}
	before = c.rows(t)
	expectCodeReason(t, c.agent, "PRECONDITION_FAILED", "OPTED_OUT", `mutation($id: ID!) { postMessage(input: {engagementID: $id, body: "Still there?"}) { message { id } } }`,
		map[string]any{"id": later["engagementID"]})
	if after := c.rows(t); after != before {
		t.Errorf("a refused postMessage wrote rows: %+v -> %+v", before, after)
	}
	do[any](t, c.agent, `mutation($id: ID!) { endEngagement(id: $id) { engagement { id } } }`, map[string]any{"id": later["engagementID"]})
	do[any](t, c.agent, `mutation($id: ID!) { completeWrapUp(input: {engagementID: $id}) { engagement { id } } }`, map[string]any{"id": later["engagementID"]})
	before = c.rows(t)
	expectCodeReason(t, c.agent, "PRECONDITION_FAILED", "OPTED_OUT", startOutboundMutation,
		map[string]any{"in": map[string]any{"channel": "SMS", "to": customer, "body": "We miss you"}})
	if after := c.rows(t); after != before {
		t.Errorf("a refused startOutbound wrote rows: %+v -> %+v", before, after)
	}
	// Another number is not affected; START lifts the opt-out.
	c.start(t, c.agent, map[string]any{"channel": "SMS", "to": "+14155550199", "body": "Hello"})
	if out := sms(customer, "START", true); out["optOut"] != "START" {
		t.Fatalf("START answered %v", out)
	}
	c.start(t, c.agent, map[string]any{"channel": "SMS", "to": customer, "body": "Welcome back"})
}

func formValue(s string) string { return neturl.QueryEscape(s) }
