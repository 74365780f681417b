package graph_test

import (
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/gqlclient"
)

// TestStartOutboundRefusals: every rule of O1–O4 refuses with its own
// reason, and a refusal writes nothing (no engagement, customer, message,
// delivery or event).
func TestStartOutboundRefusals(t *testing.T) {
	c := newMessagingCenter(t)
	s := c.s
	noSMS := createNode(t, s.Admin, "capacityProfile", "capacityProfile", map[string]any{"name": "Email only", "sms": 0, "email": 5})
	one := createNode(t, s.Admin, "capacityProfile", "capacityProfile", map[string]any{"name": "One outbound", "sms": 5, "email": 5, "outboundMax": 1})
	full := createNode(t, s.Admin, "capacityProfile", "capacityProfile", map[string]any{"name": "One SMS", "sms": 1, "email": 5, "outboundMax": 5})
	_, standard := c.newAgent(t, "std@example.com", "STANDARD", c.profile)
	_, emailOnly := c.newAgent(t, "mail@example.com", "PREMIUM", noSMS)
	_, limited := c.newAgent(t, "lim@example.com", "PREMIUM", one)
	_, oneSMS := c.newAgent(t, "onesms@example.com", "PREMIUM", full)
	_, offline := createAgent(t, s, map[string]any{"name": "Off", "email": "off@example.com", "license": "PREMIUM", "capacityProfileID": c.profile})

	sms := func(to string) map[string]any {
		return map[string]any{"in": map[string]any{"channel": "SMS", "to": to, "entryPointID": c.sms, "body": "Hello"}}
	}
	// An open conversation with +14155550100 (for ACTIVE_CONVERSATION_EXISTS),
	// and the limited agent's only outbound slot taken.
	open := c.start(t, c.agent, map[string]any{"channel": "SMS", "to": "+1 415 555 0100", "entryPointID": c.sms, "body": "Hi"})
	c.start(t, limited, map[string]any{"channel": "SMS", "to": "+14155550101", "entryPointID": c.sms, "body": "Hi"})
	// The agent with one SMS slot, the only one AVAILABLE, is assigned an
	// inbound SMS (R6).
	do[any](t, oneSMS, `mutation { setAgentState(state: AVAILABLE) { agent { state } } }`, nil)
	code, _ := c.post(t, "/messaging/sms", "application/json", `{"from": "+14155550102", "to": "`+smsNumber+`", "body": "hi"}`)
	if code != 200 {
		t.Fatalf("inbound SMS answered %d", code)
	}
	syncEngine(t, s)
	if open := do[struct {
		Me struct{ OpenEngagements []struct{ Channel string } }
	}](t, oneSMS, `{ me { openEngagements { channel } } }`, nil); len(open.Me.OpenEngagements) != 1 {
		t.Fatalf("the inbound SMS was not assigned: %+v", open)
	}

	before := c.rows(t)
	cases := []struct {
		name, code, reason, field string
		vars                      map[string]any
	}{
		{name: "STANDARD license", code: "FORBIDDEN", reason: "PREMIUM_LICENSE_REQUIRED", vars: sms("+14155550199")},
		{name: "profile without SMS", code: "PRECONDITION_FAILED", reason: "CHANNEL_NOT_IN_PROFILE", vars: sms("+14155550199")},
		{name: "OFFLINE", code: "PRECONDITION_FAILED", reason: "AGENT_NOT_AVAILABLE", vars: sms("+14155550199")},
		{name: "active conversation", code: "CONFLICT", reason: "ACTIVE_CONVERSATION_EXISTS", vars: sms("+14155550100")},
		{name: "outbound maximum", code: "PRECONDITION_FAILED", reason: "OUTBOUND_LIMIT_REACHED", vars: sms("+14155550199")},
		{name: "no SMS slot free", code: "PRECONDITION_FAILED", reason: "CAPACITY_REACHED", vars: sms("+14155550199")},
		{name: "not a phone number", code: "VALIDATION", field: "to", vars: sms("call me")},
		{name: "number without country code", code: "VALIDATION", field: "to", vars: sms("030 1234567")},
		{name: "entry point of another channel", code: "VALIDATION", field: "entryPointID",
			vars: map[string]any{"in": map[string]any{"channel": "SMS", "to": "+14155550199", "entryPointID": c.email, "body": "x"}}},
		{name: "email without subject", code: "VALIDATION", field: "subject",
			vars: map[string]any{"in": map[string]any{"channel": "EMAIL", "to": "a@example.org", "entryPointID": c.email, "body": "x"}}},
		{name: "not an email address", code: "VALIDATION", field: "to",
			vars: map[string]any{"in": map[string]any{"channel": "EMAIL", "to": "nobody", "subject": "s", "body": "x"}}},
		{name: "chat", code: "VALIDATION", field: "channel",
			vars: map[string]any{"in": map[string]any{"channel": "CHAT", "to": "x", "body": "x"}}},
		{name: "no body", code: "VALIDATION", field: "body", vars: map[string]any{"in": map[string]any{"channel": "SMS", "to": "+14155550199"}}},
	}
	clients := map[string]*gqlclient.Client{"STANDARD license": standard, "profile without SMS": emailOnly, "OFFLINE": offline,
		"outbound maximum": limited, "no SMS slot free": oneSMS}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cl := c.agent
			if x, ok := clients[tc.name]; ok {
				cl = x
			}
			e := apitest.ExpectCode(t, cl, tc.code, startOutboundMutation, tc.vars)
			if e.Extensions.Reason != tc.reason {
				t.Errorf("reason %q (%s); want %q", e.Extensions.Reason, e.Message, tc.reason)
			}
			if tc.field != "" && e.Extensions.Field != tc.field {
				t.Errorf("field %q; want %q", e.Extensions.Field, tc.field)
			}
			if tc.reason == "ACTIVE_CONVERSATION_EXISTS" && !strings.Contains(e.Message, "engagement "+open.StartOutbound.Engagement.ID+" ") {
				t.Errorf("message %q does not name engagement %s", e.Message, open.StartOutbound.Engagement.ID)
			}
		})
	}
	if after := c.rows(t); after != before {
		t.Errorf("refusals wrote rows: before %+v, after %+v", before, after)
	}

	t.Run("no entry point of the channel", func(t *testing.T) {
		do[any](t, s.Admin, `mutation($id: ID!) { updateEntryPoint(id: $id, input: {active: false}) { entryPoint { id } } }`, map[string]any{"id": c.email})
		e := apitest.ExpectCode(t, c.agent, "PRECONDITION_FAILED", startOutboundMutation,
			map[string]any{"in": map[string]any{"channel": "EMAIL", "to": "a@example.org", "subject": "s", "body": "x"}})
		if e.Extensions.Reason != "NO_ENTRY_POINT" {
			t.Errorf("reason %q; want NO_ENTRY_POINT", e.Extensions.Reason)
		}
	})
	t.Run("digital channels disabled", func(t *testing.T) {
		off := newMessagingCenter(t, func(cfg *app.Config) { cfg.DigitalChannels = false })
		e := apitest.ExpectCode(t, off.agent, "PRECONDITION_FAILED", startOutboundMutation,
			map[string]any{"in": map[string]any{"channel": "SMS", "to": "+14155550199", "body": "x"}})
		if e.Extensions.Reason != "DIGITAL_CHANNELS_DISABLED" {
			t.Errorf("reason %q; want DIGITAL_CHANNELS_DISABLED", e.Extensions.Reason)
		}
		if code, out := off.post(t, "/messaging/sms", "application/json", `{"from": "+14155550102", "to": "`+smsNumber+`", "body": "hi"}`); code != 422 || out["reason"] != "DIGITAL_CHANNELS_DISABLED" {
			t.Errorf("inbound SMS with digital channels off: %d %v", code, out)
		}
	})
}

// TestStartOutbound: an agent NOT_READY, on a call and holding another
// conversation starts SMS and email conversations (O2); each is
// auto-accepted into its open list with events on agentEvents (O5); the
// customer is created once, then found, and its history lists both.
func TestStartOutbound(t *testing.T) {
	c := newMessagingCenter(t)
	s := c.s
	// From the start of the log: nothing is missed while the subscription starts.
	events := subscribe(t, s.Dial(t, c.agentToken), agentEventsQuery, map[string]any{"after": "0"})

	sms := c.start(t, c.agent, map[string]any{"channel": "SMS", "to": "0049 171 2345678", "entryPointID": c.sms,
		"body": "Your parcel is ready", "customerName": "Ada", "idempotencyKey": "sms-1"}).StartOutbound
	eg := sms.Engagement
	if eg.State != "CONNECTED" || eg.Direction != "OUTBOUND" || eg.Channel != "SMS" || eg.Agent.ID != c.agentID ||
		eg.CustomerAddress != "+491712345678" || eg.Previous != nil {
		t.Fatalf("engagement %+v; want CONNECTED OUTBOUND SMS to +491712345678 with the agent", eg)
	}
	if eg.Customer.Name != "Ada" || jsonString(eg.Customer.Phones) != `["+491712345678"]` {
		t.Errorf("customer %+v; want Ada with the E.164 number", eg.Customer)
	}
	if m := sms.Message; m.Sender != "AGENT" || m.Body != "Your parcel is ready" || m.Delivery == nil || m.Delivery.Status != "QUEUED" {
		t.Errorf("first message %+v; want the agent's, queued for delivery", m)
	}
	for _, want := range []string{"engagement.assigned", "message.created", "delivery.changed"} {
		for {
			ev := nextEvent(t, events, "agentEvents")
			if ev.Topic == "agent.state_changed" || ev.Topic == "crm_record.changed" {
				continue
			}
			if ev.Topic != want || deref(ev.EngagementID) != eg.ID {
				t.Fatalf("event %s on %v; want %s on engagement %s", ev.Topic, deref(ev.EngagementID), want, eg.ID)
			}
			break
		}
	}
	again := c.start(t, c.agent, map[string]any{"channel": "SMS", "to": "+491712345678", "entryPointID": c.sms,
		"body": "Your parcel is ready", "idempotencyKey": "sms-1"}).StartOutbound
	if again.Engagement.ID != eg.ID || again.Message.ID != sms.Message.ID {
		t.Errorf("a repeated idempotency key started engagement %s; want %s", again.Engagement.ID, eg.ID)
	}

	// On a call (an AUTO voice queue connects it) and holding the SMS.
	voiceQueue := createQueue(t, s, map[string]any{"name": "Calls", "channels": []string{"VOICE"}, "acceptMode": "AUTO", "agentIDs": []string{c.agentID}})
	do[any](t, c.agent, `mutation { setAgentState(state: AVAILABLE) { agent { state } } }`, nil)
	key := newAPIKey(t, s, "ENGAGEMENTS")
	call := do[struct {
		CreateEngagement struct{ Engagement struct{ ID string } }
	}](t, s.Client(key),
		`mutation($q: ID!) { createEngagement(input: {channel: VOICE, queueID: $q, customer: {phone: "+4930999"}}) { engagement { id } } }`,
		map[string]any{"q": voiceQueue})
	syncEngine(t, s)
	if st := node(t, s.Admin, call.CreateEngagement.Engagement.ID, `... on Engagement { state }`)["state"]; st != "CONNECTED" {
		t.Fatalf("call is %v; want CONNECTED", st)
	}
	mail := c.start(t, c.agent, map[string]any{"channel": "EMAIL", "to": "Ada Lovelace <ADA@Example.org>", "entryPointID": c.email,
		"subject": "Your parcel", "body": "It is ready."}).StartOutbound
	if mail.Engagement.CustomerAddress != "ada@example.org" || mail.Engagement.State != "CONNECTED" {
		t.Fatalf("email engagement %+v", mail.Engagement)
	}

	open := do[struct {
		Me struct {
			OpenEngagements []struct{ ID, Channel string }
		}
	}](t, c.agent, `{ me { openEngagements { id channel } } }`, nil)
	var ids []string
	for _, o := range open.Me.OpenEngagements {
		ids = append(ids, o.Channel+":"+o.ID)
	}
	want := []string{"SMS:" + eg.ID, "VOICE:" + call.CreateEngagement.Engagement.ID, "EMAIL:" + mail.Engagement.ID}
	if strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Errorf("open engagements %v; want %v", ids, want)
	}

	// The same person by email: a new customer (no address in common); then
	// a second SMS conversation (the first closed) finds Ada again.
	do[any](t, c.agent, `mutation($id: ID!) { endEngagement(id: $id) { engagement { state } } }`, map[string]any{"id": eg.ID})
	do[any](t, c.agent, `mutation($id: ID!) { completeWrapUp(input: {engagementID: $id}) { engagement { state } } }`, map[string]any{"id": eg.ID})
	next := c.start(t, c.agent, map[string]any{"channel": "SMS", "to": "+491712345678", "body": "One more thing"}).StartOutbound
	if next.Engagement.Customer.ID != eg.Customer.ID {
		t.Errorf("second conversation has customer %s; want %s (found by number)", next.Engagement.Customer.ID, eg.Customer.ID)
	}
	if next.Engagement.Previous == nil || next.Engagement.Previous.ID != eg.ID {
		t.Errorf("second conversation continues %v; want engagement %s (O7)", next.Engagement.Previous, eg.ID)
	}
	history := node(t, c.agent, eg.Customer.ID, `... on Customer { engagements { totalCount } }`)
	if n := history["engagements"].(map[string]any)["totalCount"]; n != float64(2) {
		t.Errorf("customer history shows %v engagements; want 2", n)
	}
}
