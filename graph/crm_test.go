package graph_test

import (
	"slices"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/app"
)

// record is a CRM record as the tests read it.
type record struct {
	ID, Title, Status string
	Tags              []string
	Version           int
	Engagements       []struct{ ID string }
}

const recordFields = `id title status tags version engagements { id }`

// crmSettings updates the CRM settings with fields of UpdateCRMSettingInput.
func (c *center) crmSettings(in map[string]any) {
	c.t.Helper()
	c.must(c.s.Admin, `mutation($in: UpdateCRMSettingInput!) { updateCRMSetting(input: $in) { crmSetting { id } } }`,
		map[string]any{"in": in}, nil)
}

// records returns the CRM records an engagement is logged to.
func (c *center) records(id string) []record {
	c.t.Helper()
	var out struct {
		Node struct{ Records []record }
	}
	c.must(c.s.Admin, `query($id: ID!) { node(id: $id) { ... on Engagement { records { `+recordFields+` } } } }`, map[string]any{"id": id}, &out)
	return out.Node.Records
}

// record returns the one record an engagement is logged to.
func (c *center) record(id string) record {
	c.t.Helper()
	rs := c.records(id)
	if len(rs) != 1 {
		c.t.Fatalf("engagement %s has %d records; want 1", id, len(rs))
	}
	return rs[0]
}

// crmRules lists what the CRM rules did with an engagement's record, as
// "ACTION RULE", in order.
func (c *center) crmRules(id string) []string {
	c.t.Helper()
	var out struct {
		Node struct {
			History []struct {
				Topic   string
				Payload map[string]any
			}
		}
	}
	c.must(c.s.Admin, `query($id: ID!) { node(id: $id) { ... on Engagement { history { topic payload } } } }`, map[string]any{"id": id}, &out)
	var rules []string
	for _, e := range out.Node.History {
		if e.Topic == "crm_record.changed" {
			rules = append(rules, e.Payload["action"].(string)+" "+e.Payload["rule"].(string))
		}
	}
	return rules
}

func (c *center) expectRules(id string, want ...string) {
	c.t.Helper()
	if got := c.crmRules(id); !slices.Equal(got, want) {
		c.t.Fatalf("CRM rules of engagement %s: %q; want %q", id, got, want)
	}
}

// setRecordStatus sets a record's status through the API.
func (c *center) setRecordStatus(id, status string) record {
	c.t.Helper()
	var out struct {
		SetCRMRecordStatus struct{ CrmRecord record }
	}
	c.must(c.s.Admin, `mutation($id: ID!, $s: CRMRecordStatus!) { setCRMRecordStatus(id: $id, status: $s) { crmRecord { `+recordFields+` } } }`,
		map[string]any{"id": id, "s": status}, &out)
	return out.SetCRMRecordStatus.CrmRecord
}

// customerSession queues an engagement of a customer known by phone.
func (c *center) customerSession(channel, queue, phone string) created {
	c.t.Helper()
	return c.createWith(map[string]any{"channel": channel, "queueID": queue, "customer": map[string]any{"phone": phone}})
}

// postAsCustomer posts n messages from the customer side.
func (c *center) postAsCustomer(token, id string, n int) {
	c.t.Helper()
	cl := c.s.Client(token)
	for range n {
		c.must(cl, `mutation($id: ID!) { postMessage(input: {engagementID: $id, body: "hello"}) { message { id } } }`, map[string]any{"id": id}, nil)
	}
}

// C1, C3 (default): a call's record is created when the call rings an agent,
// and the ring carries it; a chat's when it connects, and the assignment
// carries it; with default settings every session gets a record of its own.
func TestCRMRecordsByDefault(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", nil)
	auto := c.queue("Chats", map[string]any{"acceptMode": "AUTO"})
	ann := c.agent("Ann", "", q, auto)
	_, sub := agentStream(t, c, ann)

	call := c.customerSession("VOICE", q, "+15550100001").ID
	ring := nextTopic(t, sub, "offer.created")
	if len(c.records(call)) != 1 {
		t.Fatalf("call has no record while ringing")
	}
	rec := c.record(call)
	pop, _ := ring.Payload["record"].(map[string]any)
	if pop["id"] != rec.ID || pop["title"] != rec.Title || pop["status"] != "OPEN" {
		t.Fatalf("ring carries record %v; want %+v", ring.Payload["record"], rec)
	}
	if want := "IVR Call " + call; rec.Title != want {
		t.Fatalf("title %q; want %q (the default template)", rec.Title, want)
	}
	c.expectRules(call, "CREATED CALL_ASSIGNED")
	ann.answer(call)
	ann.finish(call)
	c.expectRules(call, "CREATED CALL_ASSIGNED")

	chat := c.customerSession("CHAT", auto, "+15550100001").ID
	assigned := nextTopic(t, sub, "engagement.assigned")
	rec = c.record(chat)
	if pop, _ := assigned.Payload["record"].(map[string]any); pop["id"] != rec.ID {
		t.Fatalf("assignment carries record %v; want %s", assigned.Payload["record"], rec.ID)
	}
	c.expectRules(chat, "CREATED CHAT_CONNECTED")
	ann.finish(chat)

	// Attaching is off by default: the same customer's next chat in the
	// same queue gets a new record.
	next := c.customerSession("CHAT", auto, "+15550100001").ID
	c.settle()
	if c.record(next).ID == rec.ID {
		t.Fatal("second chat attached to the first record with attaching off")
	}
	ann.finish(next)
}

// C2: with attaching on, a session goes to the customer's last open record
// of the same leaf queue; a closed record is reopened only within the
// window, counted on the fake clock.
func TestCRMAttachAndReopen(t *testing.T) {
	c := newCenter(t, func(cfg *app.Config) { cfg.TokenTTL = 30 * 24 * time.Hour })
	q := c.queue("Billing", map[string]any{"acceptMode": "AUTO"})
	other := c.queue("Sales", map[string]any{"acceptMode": "AUTO"})
	ann := c.agent("Ann", "", q, other)
	c.crmSettings(map[string]any{"attachToOpenRecord": true, "reopenWithinDays": 3})
	session := func(queue string) string {
		t.Helper()
		id := c.customerSession("CHAT", queue, "+15550200002").ID
		c.settle()
		ann.finish(id)
		return id
	}

	first := session(q)
	rec := c.record(first)
	c.expectRules(first, "CREATED CHAT_CONNECTED")

	second := session(q)
	if got := c.record(second); got.ID != rec.ID || got.Version != 2 || len(got.Engagements) != 2 {
		t.Fatalf("second session logged to %+v; want record %s at version 2 with both sessions", got, rec.ID)
	}
	c.expectRules(second, "ATTACHED ATTACH_TO_OPEN_RECORD")

	// Another leaf queue is another record.
	sales := session(other)
	if c.record(sales).ID == rec.ID {
		t.Fatal("a session of another queue attached to the Billing record")
	}

	// Any status but CLOSED is open.
	c.setRecordStatus(rec.ID, "SOLVED")
	if got := c.record(session(q)); got.ID != rec.ID {
		t.Fatalf("a SOLVED record is open: want attach, got record %s", got.ID)
	}

	// Closed two days ago: reopened to OPEN.
	if got := c.setRecordStatus(rec.ID, "CLOSED"); got.Status != "CLOSED" {
		t.Fatalf("closed record is %s", got.Status)
	}
	c.advance(48 * time.Hour)
	reopened := session(q)
	if got := c.record(reopened); got.ID != rec.ID || got.Status != "OPEN" {
		t.Fatalf("session after 2 days logged to %+v; want record %s reopened", got, rec.ID)
	}
	c.expectRules(reopened, "REOPENED REOPEN_WITHIN_DAYS")

	// Closed more than three days ago: a new record.
	c.setRecordStatus(rec.ID, "CLOSED")
	c.advance(72*time.Hour + time.Second)
	late := session(q)
	if got := c.record(late); got.ID == rec.ID {
		t.Fatal("a record closed over 3 days ago was reopened")
	}
	c.expectRules(late, "CREATED CHAT_CONNECTED")
}

// C3 and C5: delaying the call record until connected, with and without
// records for abandoned calls.
func TestCRMCallRecordTiming(t *testing.T) {
	for _, tc := range []struct {
		name             string
		delay, abandoned bool
		// rules after a call rings and is abandoned, and after one rings and
		// is answered.
		abandonRules, answerRules []string
	}{
		{"defaults", false, true, []string{"CREATED CALL_ASSIGNED"}, []string{"CREATED CALL_ASSIGNED"}},
		{"abandoned calls off: the rung call keeps its record", false, false, []string{"CREATED CALL_ASSIGNED"}, []string{"CREATED CALL_ASSIGNED"}},
		{"delay until connected", true, true, []string{"CREATED ABANDONED_CALL"}, []string{"CREATED CALL_CONNECTED"}},
		{"delay and abandoned calls off: only connected calls", true, false, []string{"SKIPPED ABANDONED_CALL_OFF"}, []string{"CREATED CALL_CONNECTED"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCenter(t)
			q := c.queue("Phones", nil)
			ann := c.agent("Ann", "", q)
			c.crmSettings(map[string]any{"delayCallRecordUntilConnected": tc.delay, "abandonedCallRecords": tc.abandoned})

			gone := c.create("VOICE", q)
			ann.ringFor(gone)
			if n := len(c.records(gone)); n != 0 == tc.delay {
				t.Fatalf("ringing call has %d records with delay %v", n, tc.delay)
			}
			c.hangUp(gone)
			c.expectRules(gone, tc.abandonRules...)

			answered := c.create("VOICE", q)
			ann.answer(answered)
			c.expectRules(answered, tc.answerRules...)
			c.record(answered)
			ann.finish(answered)
		})
	}
}

// C5 for a call that never rang: the caller hangs up while waiting.
func TestCRMAbandonedWaitingCall(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Nobody", nil)
	waiting := c.create("VOICE", q)
	c.hangUp(waiting)
	c.expectRules(waiting, "CREATED ABANDONED_CALL")
	c.crmSettings(map[string]any{"abandonedCallRecords": false})
	skipped := c.create("VOICE", q)
	c.hangUp(skipped)
	c.expectRules(skipped, "SKIPPED ABANDONED_CALL_OFF")
	if n := len(c.records(skipped)); n != 0 {
		t.Fatalf("skipped call has %d records", n)
	}
}

// C4: a chat's record waits for the customer's Nth message, so a chat in
// which the customer says nothing leaves no empty record.
func TestCRMChatRecordAfterMessages(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Chat", map[string]any{"acceptMode": "AUTO"})
	ann := c.agent("Ann", "", q)
	c.crmSettings(map[string]any{"chatRecordMinMessages": 2})
	_, sub := agentStream(t, c, ann)

	chat := c.createWith(map[string]any{"channel": "CHAT", "queueID": q})
	c.settle()
	c.postAsCustomer(chat.CustomerToken, chat.ID, 1)
	if n := len(c.records(chat.ID)); n != 0 {
		t.Fatalf("chat has %d records after 1 customer message; want none before 2", n)
	}
	c.postAsCustomer(chat.CustomerToken, chat.ID, 1)
	pop := nextTopic(t, sub, "crm_record.changed")
	rec := c.record(chat.ID)
	if pop.Payload["recordID"] != rec.ID || pop.Payload["rule"] != "CHAT_CUSTOMER_MESSAGES" {
		t.Fatalf("the agent heard %v; want record %s by CHAT_CUSTOMER_MESSAGES", pop.Payload, rec.ID)
	}
	c.postAsCustomer(chat.CustomerToken, chat.ID, 1)
	c.expectRules(chat.ID, "CREATED CHAT_CUSTOMER_MESSAGES")
	ann.finish(chat.ID)

	silent := c.create("CHAT", q)
	c.settle()
	ann.finish(silent)
	if n := len(c.records(silent)); n != 0 {
		t.Fatalf("a chat without customer messages has %d records", n)
	}
}

// C6: abandoned chats, by mode, wait (the short-abandonment threshold) and
// customer messages.
func TestCRMAbandonedChats(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Unstaffed", nil)
	for _, tc := range []struct {
		name     string
		mode     string
		wait     time.Duration
		messages int
		want     string
	}{
		{"off, short", "OFF", 5 * time.Second, 3, "SKIPPED SHORT_ABANDONMENT"},
		{"off, long", "OFF", 30 * time.Second, 3, "SKIPPED ABANDONED_CHAT_OFF"},
		{"all, short", "ALL", 5 * time.Second, 0, "CREATED ABANDONED_CHAT_ALL"},
		{"all, long", "ALL", 30 * time.Second, 0, "CREATED ABANDONED_CHAT_ALL"},
		{"min messages, short", "MIN_MESSAGES", 5 * time.Second, 3, "SKIPPED SHORT_ABANDONMENT"},
		{"min messages, too few", "MIN_MESSAGES", 30 * time.Second, 1, "SKIPPED TOO_FEW_MESSAGES"},
		{"min messages, enough", "MIN_MESSAGES", 30 * time.Second, 2, "CREATED ABANDONED_CHAT_MIN_MESSAGES"},
		{"threshold is exclusive", "MIN_MESSAGES", 10 * time.Second, 2, "CREATED ABANDONED_CHAT_MIN_MESSAGES"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			c.crmSettings(map[string]any{"abandonedChatRecords": tc.mode, "abandonedChatMinMessages": 2, "shortAbandonSeconds": 10})
			chat := c.createWith(map[string]any{"channel": "CHAT", "queueID": q})
			c.postAsCustomer(chat.CustomerToken, chat.ID, tc.messages)
			c.advance(tc.wait)
			c.hangUp(chat.ID)
			c.expectRules(chat.ID, tc.want)
			if n, created := len(c.records(chat.ID)), tc.want[:7] == "CREATED"; (n == 1) != created {
				t.Fatalf("abandoned chat has %d records; rule %s", n, tc.want)
			}
		})
	}
}

// C7, C8: the rendered title and the tags of a record, for every session
// type in every tag style.
func TestCRMTitleAndTagsEverySessionType(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Front desk", map[string]any{"acceptMode": "AUTO"})
	ann := c.agent("Ann", "", q)
	var ep struct {
		CreateEntryPoint struct{ EntryPoint struct{ ID string } }
	}
	c.must(c.s.Admin, `mutation($q: ID!) { createEntryPoint(input: {name: "Hotline", channel: VOICE, address: "+4930123456", defaultQueueID: $q}) { entryPoint { id } } }`,
		map[string]any{"q": q}, &ep)
	channelOf := map[string]string{
		"IVR_CALL": "VOICE", "INBOUND_CALL_APP": "VOICE", "INBOUND_CALL_WEB": "VOICE", "SCHEDULED_VOICE_APP": "VOICE",
		"SCHEDULED_CALL_WEB": "VOICE", "OUTBOUND_CALL": "VOICE", "INBOUND_WEB_CHAT": "CHAT", "INBOUND_APP_CHAT": "CHAT",
		"INBOUND_SMS": "SMS", "OUTBOUND_SMS": "SMS", "INBOUND_EMAIL": "EMAIL", "OUTBOUND_EMAIL": "EMAIL",
	}
	callType := map[string]string{
		"IVR_CALL": "IVR Call", "INBOUND_CALL_APP": "Inbound Call (App)", "INBOUND_CALL_WEB": "Inbound Call (Web)",
		"SCHEDULED_VOICE_APP": "Scheduled Voice (App)", "SCHEDULED_CALL_WEB": "Scheduled Call (Web)", "OUTBOUND_CALL": "Outbound Call",
		"INBOUND_WEB_CHAT": "Web Chat", "INBOUND_APP_CHAT": "App Chat", "INBOUND_SMS": "Inbound SMS", "OUTBOUND_SMS": "Outbound SMS",
		"INBOUND_EMAIL": "Inbound Email", "OUTBOUND_EMAIL": "Outbound Email",
	}
	zendesk := map[string]string{
		"IVR_CALL": "voice_inbound_ivr", "INBOUND_CALL_APP": "voice_inbound_app", "INBOUND_CALL_WEB": "voice_inbound_web",
		"SCHEDULED_VOICE_APP": "voice_scheduled_app", "SCHEDULED_CALL_WEB": "voice_scheduled_web", "OUTBOUND_CALL": "voice_outbound",
		"INBOUND_WEB_CHAT": "messaging_inbound_web_chat", "INBOUND_APP_CHAT": "messaging_inbound_app_chat",
		"INBOUND_SMS": "messaging_inbound_sms", "OUTBOUND_SMS": "messaging_outbound_sms", "INBOUND_EMAIL": "email_inbound", "OUTBOUND_EMAIL": "email_outbound",
	}
	var types struct {
		Type struct{ EnumValues []struct{ Name string } } `json:"__type"`
	}
	c.must(c.s.Admin, `{ __type(name: "SessionType") { enumValues { name } } }`, nil, &types)
	if len(types.Type.EnumValues) != len(channelOf) {
		t.Fatalf("SessionType has %d values; the table covers %d", len(types.Type.EnumValues), len(channelOf))
	}
	c.crmSettings(map[string]any{"titleTemplate": "{CALL_TYPE} #{CALL_ID} [{LANGUAGE}] {MENU_PATH} {PHONE_NUMBER} {TIMESTAMP}"})
	for _, style := range []string{"NONE", "ZENDESK", "KUSTOMER", "FRESHDESK"} {
		for _, v := range types.Type.EnumValues {
			st := v.Name
			t.Run(style+"/"+st, func(t *testing.T) {
				c.t = t
				in := map[string]any{"sessionType": st, "channel": channelOf[st], "language": "de", "queueID": q}
				if channelOf[st] == "VOICE" {
					in["entryPointID"] = ep.CreateEntryPoint.EntryPoint.ID
				}
				c.crmSettings(map[string]any{"sessionTypeTags": style, "platformTag": "switchboard"})
				started := c.clockNow()
				id := c.createWith(in).ID
				c.settle()
				rec := c.record(id)
				phone := ""
				if channelOf[st] == "VOICE" {
					phone = " +4930123456"
				}
				want := callType[st] + " #" + id + " [de] Front desk" + phone + " " + started.UTC().Format(time.RFC3339)
				if rec.Title != want {
					t.Errorf("title %q; want %q", rec.Title, want)
				}
				var tags []string
				switch style {
				case "ZENDESK":
					tags = []string{zendesk[st]}
				case "KUSTOMER", "FRESHDESK":
					// Derived from the Freshdesk form "Medium Direction (Detail)".
					tags = []string{crmTagOf(t, c, st, style)}
				}
				tags = append(tags, "switchboard")
				if !slices.Equal(rec.Tags, tags) {
					t.Errorf("tags %q; want %q", rec.Tags, tags)
				}
				ann.finish(id)
				c.advance(time.Minute)
			})
		}
	}
}

// crmTagOf is the expected Kustomer or Freshdesk tag of a session type.
func crmTagOf(t *testing.T, c *center, st, style string) string {
	freshdesk := map[string]string{
		"IVR_CALL": "Voice Inbound (IVR)", "INBOUND_CALL_APP": "Voice Inbound (App)", "INBOUND_CALL_WEB": "Voice Inbound (Web)",
		"SCHEDULED_VOICE_APP": "Voice Scheduled (App)", "SCHEDULED_CALL_WEB": "Voice Scheduled (Web)", "OUTBOUND_CALL": "Voice Outbound",
		"INBOUND_WEB_CHAT": "Messaging Inbound (Web Chat)", "INBOUND_APP_CHAT": "Messaging Inbound (App Chat)",
		"INBOUND_SMS": "Messaging Inbound (SMS)", "OUTBOUND_SMS": "Messaging Outbound (SMS)", "INBOUND_EMAIL": "Email Inbound", "OUTBOUND_EMAIL": "Email Outbound",
	}
	kustomer := map[string]string{
		"IVR_CALL": "Voice Inbound - IVR", "INBOUND_CALL_APP": "Voice Inbound - App", "INBOUND_CALL_WEB": "Voice Inbound - Web",
		"SCHEDULED_VOICE_APP": "Voice Scheduled - App", "SCHEDULED_CALL_WEB": "Voice Scheduled - Web", "OUTBOUND_CALL": "Voice Outbound",
		"INBOUND_WEB_CHAT": "Messaging Inbound - Web Chat", "INBOUND_APP_CHAT": "Messaging Inbound - App Chat",
		"INBOUND_SMS": "Messaging Inbound - SMS", "OUTBOUND_SMS": "Messaging Outbound - SMS", "INBOUND_EMAIL": "Email Inbound", "OUTBOUND_EMAIL": "Email Outbound",
	}
	if style == "KUSTOMER" {
		return kustomer[st]
	}
	return freshdesk[st]
}

// C1: the customer's earlier interactions are one query away from the
// engagement the agent is serving, newest first and paged; the agent sees
// their records.
func TestCRMRecordPopAndHistory(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", map[string]any{"acceptMode": "AUTO"})
	ann := c.agent("Ann", "", q)
	var earlier []string
	for range 3 {
		id := c.customerSession("CHAT", q, "+15550300003").ID
		c.settle()
		ann.finish(id)
		earlier = append(earlier, id)
		c.advance(time.Minute)
	}
	now := c.customerSession("CHAT", q, "+15550300003").ID
	c.settle()
	const history = `query($id: ID!, $after: Cursor) { node(id: $id) { ... on Engagement { records { id title status }
	  customer { engagements(first: 2, after: $after, orderBy: [{field: CREATED_AT, direction: DESC}]) {
	    pageInfo { hasNextPage endCursor } edges { node { id records { id title } } } } } } } }`
	type page struct {
		Node struct {
			Records  []struct{ ID, Title, Status string }
			Customer struct {
				Engagements struct {
					PageInfo struct {
						HasNextPage bool
						EndCursor   string
					}
					Edges []struct {
						Node struct {
							ID      string
							Records []struct{ ID, Title string }
						}
					}
				}
			}
		}
	}
	var got []string
	vars := map[string]any{"id": now}
	for {
		var p page
		c.must(ann.Client, history, vars, &p)
		if len(p.Node.Records) != 1 || p.Node.Records[0].Status != "OPEN" {
			t.Fatalf("the agent sees records %+v of its engagement", p.Node.Records)
		}
		for _, e := range p.Node.Customer.Engagements.Edges {
			if len(e.Node.Records) != 1 {
				t.Fatalf("engagement %s shows records %+v", e.Node.ID, e.Node.Records)
			}
			got = append(got, e.Node.ID)
		}
		if !p.Node.Customer.Engagements.PageInfo.HasNextPage {
			break
		}
		vars["after"] = p.Node.Customer.Engagements.PageInfo.EndCursor
	}
	want := []string{now, earlier[2], earlier[1], earlier[0]}
	if !slices.Equal(got, want) {
		t.Fatalf("interactions %v; want newest first %v", got, want)
	}
	ann.finish(now)
}
