package graph_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gqlclient"
)

const virtualAgentEventsQuery = `subscription($after: String) { virtualAgentEvents(after: $after) { sequence topic engagementID payload } }`

// bot is a virtual agent: its own API key and client.
type bot struct {
	*gqlclient.Client
	c      *center
	id     string
	secret string
}

// virtualAgent creates a virtual agent serving channels and an API key
// bound to it.
func (c *center) virtualAgent(name string, channels ...string) *bot {
	c.t.Helper()
	id := createNode(c.t, c.s.Admin, "virtualAgent", "virtualAgent", map[string]any{"name": name, "channels": channels})
	var key struct{ CreateAPIKey struct{ Secret string } }
	c.must(c.s.Admin, `mutation($va: ID!, $n: String!) { createAPIKey(input: {name: $n, scopes: [VIRTUAL_AGENT], virtualAgentID: $va}) { secret } }`,
		map[string]any{"va": id, "n": name + " key"}, &key)
	return &bot{Client: c.s.Client(key.CreateAPIKey.Secret), c: c, id: id, secret: key.CreateAPIKey.Secret}
}

// postSessionSetting creates a post-session setting from fields of
// CreatePostSessionSettingInput.
func (c *center) postSessionSetting(in map[string]any) string {
	c.t.Helper()
	return createNode(c.t, c.s.Admin, "postSessionSetting", "postSessionSetting", in)
}

// postSession is an engagement's post-session fields.
type postSession struct {
	State                 string
	PostSessionStatus     *string
	PostSessionReason     string
	PostSessionParameters map[string]any
	PostSessionResult     map[string]any
	VirtualAgent          *struct{ ID string }
	Messages              struct {
		Edges []struct{ Node struct{ Sender, Body string } }
	}
}

func (c *center) postSession(id string) postSession {
	c.t.Helper()
	var out struct{ Node postSession }
	c.must(c.s.Admin, `query($id: ID!) { node(id: $id) { ... on Engagement { state postSessionStatus postSessionReason
	  postSessionParameters postSessionResult virtualAgent { id } messages { edges { node { sender body } } } } } }`, map[string]any{"id": id}, &out)
	return out.Node
}

func (c *center) expectPostSession(id, state, status, reason string) postSession {
	c.t.Helper()
	p := c.postSession(id)
	if p.State != state || deref(p.PostSessionStatus) != status || p.PostSessionReason != reason {
		c.t.Fatalf("engagement %s is %s, post-session %q, reason %q; want %s, %q, %q", id, p.State, deref(p.PostSessionStatus), p.PostSessionReason, state, status, reason)
	}
	return p
}

func (b *bot) take(id string) {
	b.c.t.Helper()
	b.c.must(b.Client, `mutation($id: ID!) { takePostSession(engagementID: $id) { engagement { id } } }`, map[string]any{"id": id}, nil)
}

func (b *bot) say(id, body string) {
	b.c.t.Helper()
	b.c.must(b.Client, `mutation($id: ID!, $b: String!) { postMessage(input: {engagementID: $id, body: $b}) { message { id } } }`,
		map[string]any{"id": id, "b": body}, nil)
}

func (b *bot) end(id string, result map[string]any) {
	b.c.t.Helper()
	b.c.must(b.Client, `mutation($id: ID!, $r: Map) { endPostSession(engagementID: $id, result: $r) { engagement { id } } }`,
		map[string]any{"id": id, "r": result}, nil)
}

// nextOn waits on sub (a subscription to field) for an event of topic
// matching ok.
func nextOn(t *testing.T, sub *gqlclient.Subscription, field, topic string, ok func(event) bool) event {
	t.Helper()
	for {
		if e := nextEvent(t, sub, field); e.Topic == topic && (ok == nil || ok(e)) {
			return e
		}
	}
}

// P1–P4 end to end: the customer ends a web chat; after the agent's wrap-up
// it goes to the survey bot, which the customer consents to; the bot (a
// websocket client with its own API key) takes it, asks two questions on
// the engagement's stream, and ends it with the answers, which appear on
// the engagement and in the CRM record.
func TestPostSessionSurveyByScriptedVirtualAgent(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Web chat", nil)
	ann := c.agent("Ann", "", q)
	survey := c.virtualAgent("Survey bot", "CHAT")
	c.postSessionSetting(map[string]any{"channel": "CHAT", "enabled": true, "virtualAgentID": survey.id,
		"sessionTypes": []string{"INBOUND_WEB_CHAT"}, "recordIn": "BOTH", "askConsent": true,
		"dataParameters": []map[string]any{{"name": "survey", "value": "csat"}, {"name": "agent", "field": "agentName"},
			{"name": "order", "field": "flowVariables.order"}}})

	start := appendEvents(t, c.s, events.Event{Topic: "test.start"})[0]
	botConn := c.s.Dial(t, survey.secret)
	defer botConn.CloseNow()
	botEvents := subscribe(t, botConn, virtualAgentEventsQuery, map[string]any{"after": start})

	chat := c.createWith(map[string]any{"channel": "CHAT", "queueID": q, "flowVariables": map[string]any{"order": "A-17"},
		"customer": map[string]any{"name": "Carla"}})
	customer := c.s.Client(chat.CustomerToken)
	custConn := c.s.Dial(t, chat.CustomerToken)
	defer custConn.CloseNow()
	custEvents := subscribe(t, custConn, `subscription($id: ID!, $after: String) { engagementEvents(id: $id, after: $after) { sequence topic payload } }`,
		map[string]any{"id": chat.ID, "after": start})
	// What the customer hears; never the data parameters, which are for
	// the virtual agent.
	customerNext := func(topic string, ok func(event) bool) event {
		t.Helper()
		for {
			e := nextEvent(t, custEvents, "engagementEvents")
			if e.Topic == "post_session.changed" && e.Payload["parameters"] != nil {
				t.Fatalf("the customer heard the data parameters: %v", e.Payload)
			}
			if e.Topic == topic && (ok == nil || ok(e)) {
				return e
			}
		}
	}
	ann.answer(chat.ID)
	c.postAsCustomer(chat.CustomerToken, chat.ID, 1)
	c.must(customer, `mutation($id: ID!) { endEngagement(id: $id) { engagement { state } } }`, map[string]any{"id": chat.ID}, nil)
	if e := ann.wrapUp(chat.ID); e.State != "POST_SESSION" {
		t.Fatalf("after wrap-up the chat is %s; want POST_SESSION", e.State)
	}
	ann.noRing()

	// The customer is asked first.
	asked := customerNext("post_session.changed", nil)
	if asked.Payload["status"] != "AWAITING_CONSENT" {
		t.Fatalf("customer heard %v; want the consent question", asked.Payload)
	}
	c.must(customer, `mutation($id: ID!) { answerPostSessionConsent(engagementID: $id, accept: true) { engagement { postSessionStatus } } }`,
		map[string]any{"id": chat.ID}, nil)

	// The bot hears of the session with its data parameters, and takes it.
	handed := nextOn(t, botEvents, "virtualAgentEvents", "post_session.changed", func(e event) bool { return e.Payload["status"] == "WAITING" })
	if deref(handed.EngagementID) != chat.ID {
		t.Fatalf("bot was handed %v; want %s", handed.EngagementID, chat.ID)
	}
	params, _ := handed.Payload["parameters"].(map[string]any)
	if params["survey"] != "csat" || params["agent"] != "Ann" || params["order"] != "A-17" {
		t.Fatalf("data parameters %v", params)
	}
	survey.take(chat.ID)

	answers := map[string]any{}
	for _, question := range []string{"How satisfied are you, 1 to 5?", "Would you recommend us?"} {
		survey.say(chat.ID, question)
		got := customerNext("message.created", func(e event) bool { return e.Payload["sender"] == "BOT" })
		if got.Payload["body"] != question {
			t.Fatalf("customer got %v; want %q", got.Payload, question)
		}
		reply := map[string]string{"How satisfied are you, 1 to 5?": "5", "Would you recommend us?": "yes"}[question]
		c.postAsCustomerBody(chat.CustomerToken, chat.ID, reply)
		heard := nextOn(t, botEvents, "virtualAgentEvents", "message.created", func(e event) bool { return e.Payload["sender"] == "CUSTOMER" })
		answers[question] = heard.Payload["body"]
	}
	survey.end(chat.ID, answers)

	p := c.expectPostSession(chat.ID, "CLOSED", "COMPLETED", "POST_SESSION_COMPLETED")
	if p.PostSessionResult["How satisfied are you, 1 to 5?"] != "5" || p.PostSessionResult["Would you recommend us?"] != "yes" {
		t.Fatalf("result on the engagement %v", p.PostSessionResult)
	}
	if p.VirtualAgent == nil || p.VirtualAgent.ID != survey.id {
		t.Fatalf("virtual agent %v; want %s", p.VirtualAgent, survey.id)
	}
	var bodies []string
	for _, m := range p.Messages.Edges {
		bodies = append(bodies, m.Node.Sender+":"+m.Node.Body)
	}
	if jsonString(bodies) != `["CUSTOMER:hello","BOT:How satisfied are you, 1 to 5?","CUSTOMER:5","BOT:Would you recommend us?","CUSTOMER:yes"]` {
		t.Fatalf("messages %v", bodies)
	}
	var rec struct {
		Node struct {
			Records []struct {
				Metadata map[string]any
				Version  int
			}
		}
	}
	c.must(c.s.Admin, `query($id: ID!) { node(id: $id) { ... on Engagement { records { metadata version } } } }`, map[string]any{"id": chat.ID}, &rec)
	if len(rec.Node.Records) != 1 {
		t.Fatalf("records %v", rec.Node.Records)
	}
	ps, _ := rec.Node.Records[0].Metadata["postSession"].(map[string]any)
	result, _ := ps["result"].(map[string]any)
	recorded, _ := ps["parameters"].(map[string]any)
	if result["Would you recommend us?"] != "yes" || recorded["order"] != "A-17" || ps["status"] != "COMPLETED" {
		t.Fatalf("record metadata %v", rec.Node.Records[0].Metadata)
	}
	c.expectRules(chat.ID, "CREATED CHAT_CONNECTED", "UPDATED POST_SESSION_RESULT")
	var file struct{ Node struct{ MetadataFile string } }
	c.must(c.s.Admin, `query($id: ID!) { node(id: $id) { ... on Engagement { metadataFile } } }`, map[string]any{"id": chat.ID}, &file)
	var doc struct {
		PostSession struct {
			Status string
			Result map[string]any
		}
		DataParameters map[string]any
	}
	if err := json.Unmarshal([]byte(file.Node.MetadataFile), &doc); err != nil {
		t.Fatalf("metadata file %q: %v", file.Node.MetadataFile, err)
	}
	if doc.PostSession.Status != "COMPLETED" || doc.PostSession.Result["How satisfied are you, 1 to 5?"] != "5" || doc.DataParameters["agent"] != "Ann" {
		t.Fatalf("metadata file %s", file.Node.MetadataFile)
	}
	done := nextOn(t, botEvents, "virtualAgentEvents", "post_session.changed", func(e event) bool { return e.Payload["status"] == "COMPLETED" })
	if deref(done.EngagementID) != chat.ID {
		t.Fatalf("bot heard the end of %v", done.EngagementID)
	}
}

// postAsCustomerBody posts one message with body from the customer side.
func (c *center) postAsCustomerBody(token, id, body string) {
	c.t.Helper()
	c.must(c.s.Client(token), `mutation($id: ID!, $b: String!) { postMessage(input: {engagementID: $id, body: $b}) { message { id } } }`,
		map[string]any{"id": id, "b": body}, nil)
}

// P2 consent and the deadlines, on the fake clock: a refusal closes the
// chat; no answer closes it after 2 minutes; a session the bot does not
// take closes after 1 minute; one it keeps closes after 30 minutes. Each
// reason is recorded.
func TestPostSessionConsentAndDeadlines(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Chat", map[string]any{"acceptMode": "AUTO"})
	ann := c.agent("Ann", "", q)
	survey := c.virtualAgent("Survey bot", "CHAT")
	c.postSessionSetting(map[string]any{"channel": "CHAT", "enabled": true, "virtualAgentID": survey.id, "askConsent": true})
	ended := func() created {
		t.Helper()
		chat := c.createWith(map[string]any{"channel": "CHAT", "queueID": q})
		c.settle()
		ann.end(chat.ID)
		if e := ann.wrapUp(chat.ID); e.State != "POST_SESSION" {
			t.Fatalf("after wrap-up %s", e.State)
		}
		c.expectPostSession(chat.ID, "POST_SESSION", "AWAITING_CONSENT", "")
		return chat
	}
	consent := `mutation($id: ID!, $a: Boolean!) { answerPostSessionConsent(engagementID: $id, accept: $a) { engagement { state } } }`

	refused := ended()
	expectError(t, survey.Client, "PRECONDITION_FAILED", "NOT_IN_POST_SESSION",
		`mutation($id: ID!) { takePostSession(engagementID: $id) { engagement { id } } }`, map[string]any{"id": refused.ID})
	c.must(c.s.Client(refused.CustomerToken), consent, map[string]any{"id": refused.ID, "a": false}, nil)
	c.expectPostSession(refused.ID, "CLOSED", "CONSENT_REFUSED", "CONSENT_REFUSED")
	expectError(t, c.s.Client(refused.CustomerToken), "PRECONDITION_FAILED", "NOT_IN_POST_SESSION", consent, map[string]any{"id": refused.ID, "a": true})

	silent := ended()
	c.advance(2*time.Minute - time.Second)
	c.expectPostSession(silent.ID, "POST_SESSION", "AWAITING_CONSENT", "")
	c.advance(time.Second)
	c.expectPostSession(silent.ID, "CLOSED", "CONSENT_TIMED_OUT", "CONSENT_TIMED_OUT")

	untaken := ended()
	other := ended()
	expectError(t, c.s.Client(other.CustomerToken), "FORBIDDEN", "", consent, map[string]any{"id": untaken.ID, "a": true})
	c.must(c.s.Client(untaken.CustomerToken), consent, map[string]any{"id": untaken.ID, "a": true}, nil)
	c.must(c.s.Client(other.CustomerToken), consent, map[string]any{"id": other.ID, "a": true}, nil)
	c.advance(30 * time.Second)
	survey.take(other.ID)
	c.advance(30 * time.Second)
	c.expectPostSession(untaken.ID, "CLOSED", "TIMED_OUT", "VIRTUAL_AGENT_TIMEOUT")
	c.expectPostSession(other.ID, "POST_SESSION", "TAKEN", "")
	c.advance(30 * time.Minute)
	c.expectPostSession(other.ID, "CLOSED", "TIMED_OUT", "POST_SESSION_LIMIT")
}

// P1, P3, P4: which sessions are handed over, by whom they were ended, and
// by which setting; another virtual agent's key may not touch them; the
// customer may leave the bot.
func TestPostSessionEligibility(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Web", map[string]any{"acceptMode": "AUTO"})
	vip := c.queue("VIP", map[string]any{"acceptMode": "AUTO"})
	quiet := c.queue("Quiet", map[string]any{"acceptMode": "AUTO"})
	ann := c.agent("Ann", "", q, vip, quiet)
	survey := c.virtualAgent("Survey bot", "CHAT", "VOICE")
	concierge := c.virtualAgent("Concierge", "CHAT")
	c.postSessionSetting(map[string]any{"channel": "CHAT", "enabled": true, "virtualAgentID": survey.id})
	c.postSessionSetting(map[string]any{"channel": "VOICE", "enabled": true, "virtualAgentID": survey.id, "sessionTypes": []string{"INBOUND_CALL_WEB"}})
	c.postSessionSetting(map[string]any{"channel": "CHAT", "enabled": true, "virtualAgentID": concierge.id, "queueID": vip})
	c.postSessionSetting(map[string]any{"channel": "CHAT", "enabled": false, "queueID": quiet})

	for _, tc := range []struct {
		name, channel, sessionType, queue string
		byCustomer                        bool
		wantVA                            *bot
	}{
		{"web chat ended by the agent", "CHAT", "INBOUND_WEB_CHAT", q, false, survey},
		{"web chat ended by the customer", "CHAT", "INBOUND_WEB_CHAT", q, true, survey},
		{"mobile-app chat", "CHAT", "INBOUND_APP_CHAT", q, false, nil},
		{"queue override", "CHAT", "INBOUND_WEB_CHAT", vip, false, concierge},
		{"disabled queue override", "CHAT", "INBOUND_WEB_CHAT", quiet, true, nil},
		{"web call of a listed type", "VOICE", "INBOUND_CALL_WEB", q, true, survey},
		{"IVR call not listed", "VOICE", "IVR_CALL", q, false, nil},
		{"mobile-app call", "VOICE", "INBOUND_CALL_APP", q, false, nil},
		{"SMS", "SMS", "INBOUND_SMS", q, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			eg := c.createWith(map[string]any{"channel": tc.channel, "sessionType": tc.sessionType, "queueID": tc.queue})
			c.settle()
			if tc.byCustomer {
				c.hangUp(eg.ID)
			} else {
				ann.end(eg.ID)
			}
			e := ann.wrapUp(eg.ID)
			if tc.wantVA == nil {
				if e.State != "CLOSED" {
					t.Fatalf("after wrap-up %s; want CLOSED", e.State)
				}
				return
			}
			p := c.expectPostSession(eg.ID, "POST_SESSION", "WAITING", "")
			if p.VirtualAgent == nil || p.VirtualAgent.ID != tc.wantVA.id {
				t.Fatalf("handed to %v; want %s", p.VirtualAgent, tc.wantVA.id)
			}
			other := survey
			if tc.wantVA == survey {
				other = concierge
			}
			expectError(t, other.Client, "FORBIDDEN", "NOT_YOUR_SESSION",
				`mutation($id: ID!) { takePostSession(engagementID: $id) { engagement { id } } }`, map[string]any{"id": eg.ID})
			tc.wantVA.take(eg.ID)
			if tc.channel == "CHAT" {
				expectError(t, other.Client, "FORBIDDEN", "NOT_YOUR_SESSION",
					`mutation($id: ID!) { postMessage(input: {engagementID: $id, body: "hi"}) { message { id } } }`, map[string]any{"id": eg.ID})
			}
			// The customer leaves the bot.
			c.hangUp(eg.ID)
			c.expectPostSession(eg.ID, "CLOSED", "CUSTOMER_LEFT", "CUSTOMER_ENDED")
		})
	}
}

// A restart loses no post-session deadline: they are stored and scheduled
// again when the dispatcher rebuilds its view.
func TestPostSessionDeadlinesSurviveRestart(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Chat", map[string]any{"acceptMode": "AUTO"})
	ann := c.agent("Ann", "", q)
	survey := c.virtualAgent("Survey bot", "CHAT")
	c.postSessionSetting(map[string]any{"channel": "CHAT", "enabled": true, "virtualAgentID": survey.id})
	chat := c.create("CHAT", q)
	c.settle()
	ann.end(chat)
	ann.wrapUp(chat)
	c.expectPostSession(chat, "POST_SESSION", "WAITING", "")
	checkInvariants(t, c.s)

	apitest.Restart(t, c.s)
	c.advance(59 * time.Second)
	c.expectPostSession(chat, "POST_SESSION", "WAITING", "")
	c.advance(time.Second)
	c.expectPostSession(chat, "CLOSED", "TIMED_OUT", "VIRTUAL_AGENT_TIMEOUT")
}
