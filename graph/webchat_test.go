package graph_test

import (
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/webchat"
)

// R1, A3: a visitor with nothing but the entry point's chat token opens a
// chat in its default queue; the pre-chat answers, the page and the
// language are kept; the agent and the visitor exchange text that is
// stored and returned byte for byte (never interpreted as HTML), and see
// each other's typing and read receipts.
func TestWebChatConversation(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Web", nil)
	ann := c.agent("Ann", "", q)
	ep, token := chatEntryPoint(t, c.s, "Shop chat", q)
	setChatSettings(t, c.s, ep, map[string]any{"preChatFields": []any{
		map[string]any{"name": "order", "label": "Order number", "type": "TEXT", "required": true},
		map[string]any{"name": "callback", "label": "Phone", "type": "PHONE"},
	}})

	var widget struct {
		ChatWidget struct {
			Title         string
			Open          bool
			NextOpening   *time.Time
			PreChatFields []struct {
				Name, Label, Type string
				Required          bool
			}
		}
	}
	apitest.Must(t, c.s.Client(""), `query($t: String!) { chatWidget(token: $t) { title open nextOpening preChatFields { name label type required } } }`,
		map[string]any{"t": token}, &widget)
	w := widget.ChatWidget
	if w.Title != "Shop chat" || !w.Open || w.NextOpening != nil || len(w.PreChatFields) != 2 ||
		w.PreChatFields[0].Name != "order" || !w.PreChatFields[0].Required || w.PreChatFields[1].Type != "PHONE" {
		t.Fatalf("chatWidget: %+v", w)
	}

	conn, annEvents := agentStream(t, c, ann)
	defer conn.CloseNow()
	v := startChat(t, c.s, token, map[string]any{
		"visitor": map[string]any{"name": "Vera Visitor", "email": "vera@example.org"},
		"answers": []any{map[string]any{"name": "order", "value": " A-1234 "}, map[string]any{"name": "callback", "value": "+41441234567"}},
		"pageURL": "https://shop.example.org/cart?x=1", "language": "de-CH",
	})
	if v.State != "QUEUED" {
		t.Fatalf("the chat starts %s", v.State)
	}
	var eg struct {
		Node struct {
			Channel, Language string
			FlowVariables     map[string]any
			Queue             struct{ ID string }
			EntryPoint        struct{ ID string }
			Customer          struct {
				Name   string
				Emails []string
			}
			History []struct {
				Topic string
				Actor struct{ Kind string }
			}
		}
	}
	apitest.Must(t, c.s.Admin, `query($id: ID!) { node(id: $id) { ... on Engagement { channel language flowVariables queue { id } entryPoint { id }
		customer { name emails } history { topic actor { kind } } } } }`, idVars(v.ID), &eg)
	n := eg.Node
	if n.Channel != "CHAT" || n.Language != "de-CH" || n.Queue.ID != q || n.EntryPoint.ID != ep || n.Customer.Name != "Vera Visitor" ||
		len(n.Customer.Emails) != 1 || n.Customer.Emails[0] != "vera@example.org" {
		t.Fatalf("the engagement: %+v", n)
	}
	if want := map[string]any{"order": "A-1234", "callback": "+41441234567", "pageURL": "https://shop.example.org/cart?x=1"}; jsonString(n.FlowVariables) != jsonString(want) {
		t.Fatalf("flow variables %v; want %v", n.FlowVariables, want)
	}
	if len(n.History) == 0 || n.History[0].Topic != "engagement.created" || n.History[0].Actor.Kind != "CUSTOMER" {
		t.Fatalf("history %+v: the customer opened it", n.History)
	}

	visitorConn := c.s.Dial(t, v.token)
	defer visitorConn.CloseNow()
	visitor := subscribe(t, visitorConn, customerEventsQuery, idVars(v.ID))
	ann.answer(v.ID)
	if e := nextOf(t, visitor, "engagementEvents", "engagement.state_changed"); e.Payload["to"] != "CONNECTED" {
		t.Fatalf("first state change %v", e.Payload)
	}

	// Text only: bodies round-trip byte for byte and nothing is escaped.
	script := "<script>alert(document.cookie)</script> & <b>bold</b> \"quoted\" 'x' \u00e9\u2603"
	mine := post(t, v.client, v.ID, script)
	if e := nextOf(t, annEvents, "agentEvents", "message.created"); e.Payload["body"] != script {
		t.Fatalf("Ann receives %q; want %q", e.Payload["body"], script)
	}
	reply := "<img src=x onerror=alert(1)> &amp; </script>"
	annMsg := post(t, ann.Client, v.ID, reply)
	for {
		e := nextOf(t, visitor, "engagementEvents", "message.created")
		if e.Payload["messageID"] == annMsg {
			if e.Payload["body"] != reply {
				t.Fatalf("the visitor receives %q; want %q", e.Payload["body"], reply)
			}
			break
		}
	}
	var msgs struct {
		Node struct {
			Messages struct {
				Edges []struct {
					Node struct{ ID, Body, Sender string }
				}
			}
		}
	}
	apitest.Must(t, v.client, `query($id: ID!) { node(id: $id) { ... on Engagement { messages { edges { node { id body sender } } } } } }`, idVars(v.ID), &msgs)
	if es := msgs.Node.Messages.Edges; len(es) != 2 || es[0].Node.Body != script || es[1].Node.Body != reply || es[0].Node.ID != mine {
		t.Fatalf("the visitor reads %+v", es)
	}

	// Typing and read receipts, both ways.
	typing := `mutation($id: ID!, $on: Boolean!) { setTyping(engagementID: $id, typing: $on) }`
	do[map[string]any](t, v.client, typing, map[string]any{"id": v.ID, "on": true})
	if e := nextOf(t, annEvents, "agentEvents", "typing.changed"); e.Payload["typing"] != true || e.Payload["by"] != "CUSTOMER" {
		t.Fatalf("Ann hears %v", e.Payload)
	}
	do[map[string]any](t, ann.Client, typing, map[string]any{"id": v.ID, "on": true})
	for {
		if e := nextOf(t, visitor, "engagementEvents", "typing.changed"); e.Payload["by"] == "AGENT" {
			break
		}
	}
	read := `mutation($id: ID!, $m: ID!) { markRead(engagementID: $id, messageID: $m) }`
	do[map[string]any](t, v.client, read, map[string]any{"id": v.ID, "m": annMsg})
	if e := nextOf(t, annEvents, "agentEvents", "message.read"); e.Payload["messageID"] != annMsg || e.Payload["by"] != "CUSTOMER" {
		t.Fatalf("Ann hears %v", e.Payload)
	}
	do[map[string]any](t, ann.Client, read, map[string]any{"id": v.ID, "m": mine})
	for {
		if e := nextOf(t, visitor, "engagementEvents", "message.read"); e.Payload["by"] == "AGENT" {
			if e.Payload["messageID"] != mine {
				t.Fatalf("the visitor hears %v", e.Payload)
			}
			break
		}
	}
	other := startChat(t, c.s, token, map[string]any{"answers": []any{map[string]any{"name": "order", "value": "B-1"}}})
	otherMsg := post(t, other.client, other.ID, "hello")
	runErrorCases(t, v.client, []errorCase{
		{"read a message of another chat", read, map[string]any{"id": v.ID, "m": otherMsg}, "NOT_FOUND", "messageID"},
	})
	runErrorCases(t, ann.Client, []errorCase{
		{"agent types in a chat not hers", typing, map[string]any{"id": other.ID, "on": true}, "FORBIDDEN", ""},
	})

	// The visitor ends the chat; the agent wraps up.
	do[map[string]any](t, v.client, `mutation($id: ID!) { endEngagement(id: $id) { engagement { state } } }`, idVars(v.ID))
	ann.wrapUp(v.ID)
	runErrorCases(t, v.client, []errorCase{
		{"typing after the end", typing, map[string]any{"id": v.ID, "on": false}, "PRECONDITION_FAILED", ""},
	})
}

// The start of a chat checks the token, the visitor's details and the
// pre-chat answers.
func TestStartChatValidation(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Web", nil)
	c.agent("Ann", "", q)
	ep, token := chatEntryPoint(t, c.s, "Shop chat", q)
	setChatSettings(t, c.s, ep, map[string]any{"preChatFields": []any{
		map[string]any{"name": "order", "label": "Order number", "type": "TEXT", "required": true},
		map[string]any{"name": "mail", "label": "Email", "type": "EMAIL"},
	}})
	answer := map[string]any{"name": "order", "value": "A-1"}
	in := func(extra map[string]any) map[string]any {
		v := map[string]any{"token": token, "answers": []any{answer}}
		for k, x := range extra {
			v[k] = x
		}
		return map[string]any{"in": v}
	}
	runErrorCases(t, c.s.Client(""), []errorCase{
		{"unknown token", startChatMutation, map[string]any{"in": map[string]any{"token": "nope"}}, "NOT_FOUND", "token"},
		{"required answer missing", startChatMutation, in(map[string]any{"answers": []any{}}), "VALIDATION", "answers.order"},
		{"blank required answer", startChatMutation, in(map[string]any{"answers": []any{map[string]any{"name": "order", "value": "  "}}}), "VALIDATION", "answers.order"},
		{"unknown field", startChatMutation, in(map[string]any{"answers": []any{answer, map[string]any{"name": "vip", "value": "yes"}}}), "VALIDATION", "answers"},
		{"answered twice", startChatMutation, in(map[string]any{"answers": []any{answer, answer}}), "VALIDATION", "answers"},
		{"bad email answer", startChatMutation, in(map[string]any{"answers": []any{answer, map[string]any{"name": "mail", "value": "Eve <eve@example.org>"}}}), "VALIDATION", "answers.mail"},
		{"visitor phone not E.164", startChatMutation, in(map[string]any{"visitor": map[string]any{"phone": "044 123 45 67"}}), "VALIDATION", "phone"},
		{"visitor email with a header", startChatMutation, in(map[string]any{"visitor": map[string]any{"email": "a@example.org\r\nBcc: b@example.org"}}), "VALIDATION", "email"},
		{"script page URL", startChatMutation, in(map[string]any{"pageURL": "javascript:alert(1)"}), "VALIDATION", "pageURL"},
		{"language with spaces", startChatMutation, in(map[string]any{"language": "de CH"}), "VALIDATION", "language"},
	})
}

// Opening hours and staffing: outside the hours startChat answers CLOSED
// with the next opening; within them, with nobody staffed, CLOSED without
// one; chatWidget says the same.
func TestWebChatOpeningHours(t *testing.T) {
	c := newCenter(t) // the fake clock starts on Monday 2026-01-05, 09:00 UTC (10:00 in Zurich)
	q := c.queue("Web", nil)
	ep, token := chatEntryPoint(t, c.s, "Shop chat", q)
	weekdays := []any{}
	for _, d := range []string{"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"} {
		weekdays = append(weekdays, map[string]any{"day": d, "open": "11:00", "close": "17:00"})
	}
	setChatSettings(t, c.s, ep, map[string]any{"openingHours": map[string]any{"timeZone": "Europe/Zurich", "weekly": weekdays, "holidays": []any{"2026-01-06"}}})
	ann := c.agent("Ann", "", q)

	widget := func() (bool, string) {
		out := do[struct {
			ChatWidget struct {
				Open        bool
				NextOpening *string
			}
		}](t, c.s.Client(""), `query($t: String!) { chatWidget(token: $t) { open nextOpening } }`, map[string]any{"t": token})
		return out.ChatWidget.Open, deref(out.ChatWidget.NextOpening)
	}
	closed := func(nextOpening string) {
		t.Helper()
		e := apitest.ExpectCode(t, c.s.Client(""), "PRECONDITION_FAILED", startChatMutation, map[string]any{"in": map[string]any{"token": token}})
		if e.Extensions.Reason != webchat.ReasonClosed {
			t.Fatalf("reason %q; want CLOSED", e.Extensions.Reason)
		}
		if got := e.Extensions.NextOpening; got != nextOpening {
			t.Fatalf("nextOpening %q; want %q", e.Extensions.NextOpening, nextOpening)
		}
		if open, next := widget(); open || next != "" && next != nextOpening {
			t.Fatalf("chatWidget says open %v, next %q; want closed, %q", open, next, nextOpening)
		}
	}
	closed("2026-01-05T10:00:00Z")
	c.advance(time.Hour)
	if open, _ := widget(); !open {
		t.Fatal("chatWidget says closed within the hours")
	}
	startChat(t, c.s, token, nil)
	// Nobody staffed: closed, and no opening time to tell.
	ann.setState("OFFLINE", "")
	closed("")
	ann.setState("AVAILABLE", "")
	// 16:00 UTC is 17:00 in Zurich; Tuesday is a holiday: Wednesday 11:00.
	c.advance(6 * time.Hour)
	closed("2026-01-07T10:00:00Z")
}
