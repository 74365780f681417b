package graph_test

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/webchat"
)

// Rate limits: chats started per entry point and client network, messages
// per customer token, typing per side; each refusal is LIMIT_EXCEEDED with
// extensions.retryAfter, and the bucket refills on the engine's clock.
// Message size is bounded (chat 8 KiB) for the visitor as for anyone.
func TestWebChatRateLimits(t *testing.T) {
	limits := webchat.Limits{
		Start:   webchat.Limit{Every: time.Minute, Burst: 2},
		Message: webchat.Limit{Every: 2 * time.Second, Burst: 3},
		Typing:  webchat.Limit{Every: time.Second, Burst: 2},
		Read:    webchat.Limit{Every: time.Second, Burst: 2},
	}
	c := newCenter(t, func(cfg *app.Config) { cfg.WebChatLimits = &limits })
	q := c.queue("Web", nil)
	c.agent("Ann", "", q)
	_, token := chatEntryPoint(t, c.s, "Shop chat", q)
	_, other := chatEntryPoint(t, c.s, "Other chat", q)

	limited := func(query string, vars map[string]any, client func() any, retry int) {
		t.Helper()
		cl := c.s.Client("")
		if tok, ok := client().(string); ok {
			cl = c.s.Client(tok)
		}
		e := apitest.ExpectCode(t, cl, "LIMIT_EXCEEDED", query, vars)
		if e.Extensions.RetryAfter != retry || e.Extensions.Reason != webchat.ReasonRateLimited {
			t.Fatalf("%s: retryAfter %d, reason %q; want %d, %s", e.Message, e.Extensions.RetryAfter, e.Extensions.Reason, retry, webchat.ReasonRateLimited)
		}
	}
	anonymous := func() any { return nil }
	v := startChat(t, c.s, token, nil)
	startChat(t, c.s, token, nil)
	limited(startChatMutation, map[string]any{"in": map[string]any{"token": token}}, anonymous, 60)
	leave := `mutation($in: LeaveMessageInput!) { leaveMessage(input: $in) { received } }`
	limited(leave, map[string]any{"in": map[string]any{"token": token, "message": "hello"}}, anonymous, 60)
	startChat(t, c.s, other, nil) // another entry point has its own bucket
	c.s.Clock.Advance(time.Minute)
	startChat(t, c.s, token, nil)

	for range 3 {
		post(t, v.client, v.ID, "hi")
	}
	msg := `mutation($id: ID!, $b: String!) { postMessage(input: {engagementID: $id, body: $b}) { message { id } } }`
	limited(msg, map[string]any{"id": v.ID, "b": "one too many"}, func() any { return v.token }, 2)
	c.s.Clock.Advance(2 * time.Second)
	post(t, v.client, v.ID, "after the wait")

	// Typing: the repeat within a second is absorbed (but counted), the
	// third call is over the limit; a second later it is recorded again.
	typing := `mutation($id: ID!) { setTyping(engagementID: $id, typing: true) }`
	do[map[string]any](t, v.client, typing, idVars(v.ID))
	do[map[string]any](t, v.client, typing, idVars(v.ID))
	limited(typing, idVars(v.ID), func() any { return v.token }, 1)
	c.s.Clock.Advance(time.Second)
	do[map[string]any](t, v.client, typing, idVars(v.ID))
	var hist struct {
		Node struct{ History []struct{ Topic string } }
	}
	apitest.Must(t, c.s.Admin, `query($id: ID!) { node(id: $id) { ... on Engagement { history { topic } } } }`, idVars(v.ID), &hist)
	recorded := 0
	for _, e := range hist.Node.History {
		if e.Topic == "typing.changed" {
			recorded++
		}
	}
	if recorded != 2 {
		t.Fatalf("%d typing.changed events recorded; want 2 (the repeat absorbed)", recorded)
	}

	runErrorCases(t, v.client, []errorCase{
		{"message over 8 KiB", msg, map[string]any{"id": v.ID, "b": strings.Repeat("x", 8<<10+1)}, "LIMIT_EXCEEDED", "body"},
	})
	runErrorCases(t, c.s.Client(""), []errorCase{
		{"offline message over 8 KiB", leave, map[string]any{"in": map[string]any{"token": other, "message": strings.Repeat("x", 8<<10+1)}}, "LIMIT_EXCEEDED", "message"},
	})
}

// A customer token from startChat acts on its own chat only: not on
// another engagement, not on anything else of the contact center.
func TestWebChatCustomerTokenScope(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Web", nil)
	ann := c.agent("Ann", c.profile(map[string]any{"chat": 1}), q)
	ep, token := chatEntryPoint(t, c.s, "Shop chat", q)
	mine := startChat(t, c.s, token, nil)
	theirs := startChat(t, c.s, token, map[string]any{"visitor": map[string]any{"name": "Someone else"}})
	ann.answer(mine.ID)
	theirMsg := post(t, theirs.client, theirs.ID, "private")

	// What it may do with its own chat works.
	var pos struct{ QueuePosition *struct{ Position int } }
	apitest.Must(t, mine.client, `query($id: ID!) { queuePosition(engagementID: $id) { position } }`, idVars(mine.ID), &pos)
	if pos.QueuePosition != nil {
		t.Fatalf("a connected chat has queue position %+v", pos.QueuePosition)
	}

	other := map[string]any{"id": theirs.ID}
	runErrorCases(t, mine.client, []errorCase{
		{"post to another chat", `mutation($id: ID!) { postMessage(input: {engagementID: $id, body: "x"}) { message { id } } }`, other, "FORBIDDEN", ""},
		{"type in another chat", `mutation($id: ID!) { setTyping(engagementID: $id, typing: true) }`, other, "FORBIDDEN", ""},
		{"mark another chat read", `mutation($id: ID!, $m: ID!) { markRead(engagementID: $id, messageID: $m) }`, map[string]any{"id": theirs.ID, "m": theirMsg}, "FORBIDDEN", ""},
		{"another chat's position", `query($id: ID!) { queuePosition(engagementID: $id) { position } }`, other, "FORBIDDEN", ""},
		{"end another chat", `mutation($id: ID!) { endEngagement(id: $id) { engagement { id } } }`, other, "FORBIDDEN", ""},
		{"consent for another chat", `mutation($id: ID!) { answerPostSessionConsent(engagementID: $id, accept: true) { engagement { id } } }`, other, "FORBIDDEN", ""},
		{"the snippet", `query($id: ID!) { chatSnippet(entryPointID: $id) }`, map[string]any{"id": ep}, "FORBIDDEN", ""},
		{"the chat settings", `mutation($id: ID!) { setChatSettings(entryPointID: $id, input: {}) { entryPoint { id } } }`, map[string]any{"id": ep}, "FORBIDDEN", ""},
		{"its chat's flow variables", `query($id: ID!) { node(id: $id) { ... on Engagement { flowVariables } } }`, idVars(mine.ID), "FORBIDDEN", ""},
		{"its chat's queue", `query($id: ID!) { node(id: $id) { ... on Engagement { queue { id } } } }`, idVars(mine.ID), "FORBIDDEN", ""},
		{"its agent's email", `query($id: ID!) { node(id: $id) { ... on Engagement { agent { email } } } }`, idVars(mine.ID), "FORBIDDEN", ""},
		{"queues", `{ queues { totalCount } }`, nil, "FORBIDDEN", ""},
		{"engagements", `{ engagements { totalCount } }`, nil, "FORBIDDEN", ""},
		{"me", `{ me { id } }`, nil, "FORBIDDEN", ""},
	})
	// Another chat's node and stream look like nothing at all.
	runErrorCases(t, mine.client, []errorCase{
		{"another chat's node", `query($id: ID!) { node(id: $id) { ... on Engagement { state } } }`, other, "NOT_FOUND", ""},
	})
	conn := c.s.Dial(t, mine.token)
	defer conn.CloseNow()
	sub := subscribe(t, conn, customerEventsQuery, other)
	if r, ok := receive(t, sub); ok && (len(r.Errors) == 0 || r.Errors[0].Extensions.Code != "NOT_FOUND") {
		t.Fatalf("another chat's stream answers %+v", r)
	}
}

// Offline form: with an email and an offline email entry point, an inbound
// email; otherwise a queued CHAT engagement carrying the message. Nothing
// the visitor typed is lost, byte for byte.
func TestLeaveMessage(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Web", nil)
	ep, token := chatEntryPoint(t, c.s, "Shop chat", q)
	setChatSettings(t, c.s, ep, map[string]any{"preChatFields": []any{map[string]any{"name": "order", "label": "Order number", "type": "TEXT"}}})
	leave := `mutation($in: LeaveMessageInput!) { leaveMessage(input: $in) { received } }`
	text := "Nobody there?\n<script>x()</script> call me back"
	do[map[string]any](t, c.s.Client(""), leave, map[string]any{"in": map[string]any{"token": token, "message": text,
		"visitor": map[string]any{"name": "Otto", "phone": "+41791234567"}, "answers": []any{map[string]any{"name": "order", "value": "A-9"}}}})

	type engagements struct {
		Engagements struct {
			Edges []struct {
				Node struct {
					Channel, State string
					FlowVariables  map[string]any
					Customer       struct{ Name string }
					Messages       struct {
						Edges []struct {
							Node struct{ Body, Subject, Sender string }
						}
					}
				}
			}
		}
	}
	list := func() engagements {
		return do[engagements](t, c.s.Admin, `{ engagements(orderBy: {field: QUEUED_AT, direction: ASC}) { edges { node { channel state flowVariables customer { name }
			messages { edges { node { body subject sender } } } } } } }`, nil)
	}
	es := list().Engagements.Edges
	if len(es) != 1 {
		t.Fatalf("%d engagements; want 1", len(es))
	}
	n := es[0].Node
	if n.Channel != "CHAT" || n.State != "QUEUED" || n.Customer.Name != "Otto" || n.FlowVariables["offline"] != "true" || n.FlowVariables["order"] != "A-9" ||
		len(n.Messages.Edges) != 1 || n.Messages.Edges[0].Node.Body != text || n.Messages.Edges[0].Node.Sender != "CUSTOMER" {
		t.Fatalf("the offline chat: %+v", n)
	}

	// With an offline email entry point, a visitor with an address sends an email.
	mailQ := c.queue("Mail", nil)
	mailEP := createNode(t, c.s.Admin, "entryPoint", "entryPoint", map[string]any{"name": "Support mail", "channel": "EMAIL", "address": "support@shop.example", "defaultQueueID": mailQ})
	setChatSettings(t, c.s, ep, map[string]any{"offlineEmailEntryPointID": mailEP,
		"preChatFields": []any{map[string]any{"name": "order", "label": "Order number", "type": "TEXT"}}})
	do[map[string]any](t, c.s.Client(""), leave, map[string]any{"in": map[string]any{"token": token, "message": text,
		"visitor": map[string]any{"name": "Mia", "email": "mia@example.org"}, "answers": []any{map[string]any{"name": "order", "value": "B-7"}},
		"pageURL": "https://shop.example/help"}})
	es = list().Engagements.Edges
	if len(es) != 2 {
		t.Fatalf("%d engagements; want 2", len(es))
	}
	n = es[1].Node
	if n.Channel != "EMAIL" || len(n.Messages.Edges) != 1 {
		t.Fatalf("the offline email: %+v", n)
	}
	m := n.Messages.Edges[0].Node
	if !strings.HasPrefix(m.Body, text+"\n\n-- \n") || !strings.Contains(m.Body, "Order number: B-7") || !strings.Contains(m.Body, "Page: https://shop.example/help") ||
		m.Subject != "Message left on the web chat Shop chat" || m.Sender != "CUSTOMER" {
		t.Fatalf("the offline email's message: %+v", m)
	}
	var ep2 struct {
		Node struct{ OfflineEmailEntryPointID *string }
	}
	apitest.Must(t, c.s.Admin, `query($id: ID!) { node(id: $id) { ... on EntryPoint { offlineEmailEntryPointID } } }`, idVars(ep), &ep2)
	if deref(ep2.Node.OfflineEmailEntryPointID) != mailEP {
		t.Fatalf("offlineEmailEntryPointID %v; want %s", ep2.Node.OfflineEmailEntryPointID, mailEP)
	}
	runErrorCases(t, c.s.Client(""), []errorCase{
		{"empty message", leave, map[string]any{"in": map[string]any{"token": token, "message": "  "}}, "VALIDATION", "message"},
		{"unknown token", leave, map[string]any{"in": map[string]any{"token": "x", "message": "hi"}}, "NOT_FOUND", "token"},
	})
}

// chatSnippet: exactly one tag, with -public-url, else the request's
// scheme and host.
func TestChatSnippet(t *testing.T) {
	query := `query($id: ID!) { chatSnippet(entryPointID: $id) }`
	for _, tc := range []struct{ name, publicURL string }{{"public URL", "https://chat.example.com/"}, {"request", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			s := apitest.Start(t, func(cfg *app.Config) { cfg.PublicURL = strings.TrimRight(tc.publicURL, "/") })
			q := createQueue(t, s, map[string]any{"name": "Web"})
			ep, token := chatEntryPoint(t, s, "Shop chat", q)
			base := strings.TrimRight(tc.publicURL, "/")
			if base == "" {
				base = strings.TrimSuffix(s.URL, "/graphql")
			}
			want := `<script src="` + base + `/widget.js" data-switchboard-token="` + token + `" async></script>`
			if got := do[struct{ ChatSnippet string }](t, s.Admin, query, idVars(ep)).ChatSnippet; got != want {
				t.Fatalf("snippet\n%s\nwant\n%s", got, want)
			}
			mail := createNode(t, s.Admin, "entryPoint", "entryPoint", map[string]any{"name": "Mail", "channel": "EMAIL", "address": "a@shop.example", "defaultQueueID": q})
			runErrorCases(t, s.Admin, []errorCase{{"not a chat", query, idVars(mail), "VALIDATION", "entryPointID"}})
			_, agent := createAgent(t, s, map[string]any{"name": "Ann", "email": "ann@example.com"})
			runErrorCases(t, agent, []errorCase{{"an agent", query, idVars(ep), "FORBIDDEN", ""}})
		})
	}
}

// The public URL flag takes an http(s) base URL only.
func TestPublicURLFlag(t *testing.T) {
	load := func(v string) (app.Config, error) {
		fs := flag.NewFlagSet("switchboard", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		return app.ParseConfig(fs, []string{"-public-url", v}, func(string) string { return "" })
	}
	cfg, err := load("https://chat.example.com/")
	if err != nil || cfg.PublicURL != "https://chat.example.com" {
		t.Fatalf("%q, %v", cfg.PublicURL, err)
	}
	for _, bad := range []string{"chat.example.com", "ftp://x", "https://x/?a=1"} {
		if _, err := load(bad); err == nil {
			t.Errorf("-public-url %q accepted", bad)
		}
	}
}

// setChatSettings validates the schedule, the form and the offline entry
// point, and EntryPoint shows what was set.
func TestChatSettings(t *testing.T) {
	s := apitest.Start(t)
	q := createQueue(t, s, map[string]any{"name": "Web"})
	ep, _ := chatEntryPoint(t, s, "Shop chat", q)
	mail := createNode(t, s.Admin, "entryPoint", "entryPoint", map[string]any{"name": "Mail", "channel": "EMAIL", "address": "a@shop.example", "defaultQueueID": q})
	set := `mutation($id: ID!, $in: ChatSettingsInput!) { setChatSettings(entryPointID: $id, input: $in) { entryPoint { id } } }`
	hours := func(tz, open, close string) map[string]any {
		return map[string]any{"timeZone": tz, "weekly": []any{map[string]any{"day": "MONDAY", "open": open, "close": close}}}
	}
	field := func(name, typ string) map[string]any {
		return map[string]any{"name": name, "label": "L", "type": typ}
	}
	with := func(in map[string]any) map[string]any { return map[string]any{"id": ep, "in": in} }
	runErrorCases(t, s.Admin, []errorCase{
		{"unknown zone", set, with(map[string]any{"openingHours": hours("Mars/Base", "09:00", "17:00")}), "VALIDATION", "openingHours"},
		{"bad time", set, with(map[string]any{"openingHours": hours("UTC", "9am", "17:00")}), "VALIDATION", "openingHours"},
		{"close past midnight", set, with(map[string]any{"openingHours": hours("UTC", "09:00", "24:01")}), "VALIDATION", "openingHours"},
		{"bad holiday", set, with(map[string]any{"openingHours": map[string]any{"timeZone": "UTC", "weekly": []any{}, "holidays": []any{"25.12.2026"}}}), "VALIDATION", "openingHours"},
		{"reserved field", set, with(map[string]any{"preChatFields": []any{field("pageURL", "TEXT")}}), "VALIDATION", "preChatFields[0].name"},
		{"bad field name", set, with(map[string]any{"preChatFields": []any{field("order no", "TEXT")}}), "VALIDATION", "preChatFields[0].name"},
		{"field twice", set, with(map[string]any{"preChatFields": []any{field("a", "TEXT"), field("a", "EMAIL")}}), "VALIDATION", "preChatFields[1].name"},
		{"offline entry point not email", set, with(map[string]any{"offlineEmailEntryPointID": ep}), "VALIDATION", "offlineEmailEntryPointID"},
		{"not a chat entry point", set, map[string]any{"id": mail, "in": map[string]any{}}, "VALIDATION", "entryPointID"},
		{"missing entry point", set, map[string]any{"id": "999999", "in": map[string]any{}}, "NOT_FOUND", ""},
	})
	do[map[string]any](t, s.Admin, set, with(map[string]any{"openingHours": map[string]any{"timeZone": "America/New_York",
		"weekly": []any{map[string]any{"day": "FRIDAY", "open": "22:00", "close": "02:00"}}, "holidays": []any{"2026-12-25"}},
		"preChatFields": []any{map[string]any{"name": "topic", "label": "Topic", "type": "TEXTAREA", "required": true}}, "offlineEmailEntryPointID": mail}))
	got := node(t, s.Admin, ep, `... on EntryPoint { openingHours { timeZone weekly { day open close } holidays } preChatFields { name label type required } offlineEmailEntryPointID }`)
	want := `{"id":"` + ep + `","offlineEmailEntryPointID":"` + mail + `","openingHours":{"holidays":["2026-12-25"],"timeZone":"America/New_York","weekly":[{"close":"02:00","day":"FRIDAY","open":"22:00"}]},"preChatFields":[{"label":"Topic","name":"topic","required":true,"type":"TEXTAREA"}]}`
	if jsonString(got) != want {
		t.Fatalf("entry point\n%s\nwant\n%s", jsonString(got), want)
	}
	// Setting again replaces: no hours, no form, no offline entry point.
	do[map[string]any](t, s.Admin, set, with(map[string]any{}))
	got = node(t, s.Admin, ep, `... on EntryPoint { openingHours { timeZone } preChatFields { name } offlineEmailEntryPointID }`)
	if want := `{"id":"` + ep + `","offlineEmailEntryPointID":null,"openingHours":null,"preChatFields":[]}`; jsonString(got) != want {
		t.Fatalf("after clearing: %s", jsonString(got))
	}
}
