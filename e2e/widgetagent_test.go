package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/gqlclient"
)

// chatCenter is the contact center of the widget test: a queue, a CHAT
// entry point with a pre-chat form, and one agent following its
// agentEvents, as an agent desktop written in Go would.
type chatCenter struct {
	s          *apitest.Server
	queue      string
	entryPoint string
	chatToken  string
	agent      *gqlclient.Client
	events     *gqlclient.Subscription
	last       string // the sequence of the agent's last event
}

// agentEvent is one event of the agent's stream.
type agentEvent struct {
	Sequence     string
	Topic        string
	EngagementID string
	Payload      map[string]any
}

// setUpChat creates the queue, the entry point and its pre-chat form, and
// an AVAILABLE agent of the queue listening to its events.
func setUpChat(t *testing.T, s *apitest.Server) *chatCenter {
	t.Helper()
	c := setUpEntryPoint(t, s)
	c.addAgent(t)
	return c
}

// setUpEntryPoint creates the queue and the entry point with its pre-chat
// form, with no agent: the chat is closed.
func setUpEntryPoint(t *testing.T, s *apitest.Server) *chatCenter {
	t.Helper()
	c := &chatCenter{s: s}
	var q struct {
		CreateQueue struct{ Queue struct{ ID string } }
	}
	apitest.Must(t, s.Admin, `mutation { createQueue(input: {name: "Web", channels: [CHAT]}) { queue { id } } }`, nil, &q)
	var ep struct {
		CreateEntryPoint struct {
			EntryPoint struct{ ID, ChatToken string }
		}
	}
	apitest.Must(t, s.Admin, `mutation($q: ID!) { createEntryPoint(input: {name: "Example Shop", channel: CHAT, defaultQueueID: $q}) { entryPoint { id chatToken } } }`,
		map[string]any{"q": q.CreateQueue.Queue.ID}, &ep)
	c.entryPoint, c.chatToken = ep.CreateEntryPoint.EntryPoint.ID, ep.CreateEntryPoint.EntryPoint.ChatToken
	apitest.Must(t, s.Admin, `mutation($e: ID!) { setChatSettings(entryPointID: $e, input: {preChatFields: [
		{name: "name", label: "Your name", type: TEXT, required: true},
		{name: "email", label: "Email", type: EMAIL}]}) { entryPoint { id } } }`, map[string]any{"e": c.entryPoint}, nil)
	c.queue = q.CreateQueue.Queue.ID
	return c
}

// askSurveyConsent sets up a post-session survey for the queue's chats
// that asks the customer's consent first, with question.
func (c *chatCenter) askSurveyConsent(t *testing.T, question string) {
	t.Helper()
	var va struct {
		CreateVirtualAgent struct{ VirtualAgent struct{ ID string } }
	}
	apitest.Must(t, c.s.Admin, `mutation { createVirtualAgent(input: {name: "Survey bot", channels: [CHAT]}) { virtualAgent { id } } }`, nil, &va)
	apitest.Must(t, c.s.Admin, `mutation($va: ID!, $q: ID!, $question: String!) { createPostSessionSetting(input: {channel: CHAT, enabled: true,
		virtualAgentID: $va, queueID: $q, askConsent: true, consentQuestion: $question}) { postSessionSetting { id } } }`,
		map[string]any{"va": va.CreateVirtualAgent.VirtualAgent.ID, "q": c.queue, "question": question}, nil)
}

// addAgent creates an agent of the queue, makes it AVAILABLE and follows
// its events.
func (c *chatCenter) addAgent(t *testing.T) {
	t.Helper()
	s := c.s
	apitest.Must(t, s.Admin, `mutation($q: ID!) { createAgent(input: {name: "Ann", email: "ann@example.com", queueIDs: [$q]}, password: "ann-password-123") { agent { id } } }`,
		map[string]any{"q": c.queue}, nil)
	c.agent = s.Client(s.Login(t, "ann@example.com", "ann-password-123"))
	c.last = "0"
	c.follow(t)
	apitest.Must(t, c.agent, `mutation { setAgentState(state: AVAILABLE) { agent { state } } }`, nil, nil)
	c.next(t, func(e agentEvent) bool { return e.Topic == "agent.state_changed" && e.Payload["to"] == "AVAILABLE" })
}

// follow (re)subscribes to the agent's events after the last one seen.
func (c *chatCenter) follow(t *testing.T) {
	t.Helper()
	conn := c.s.Dial(t, c.agent.Token)
	sub, err := conn.Subscribe(context.Background(), `subscription($after: String) { agentEvents(after: $after) { sequence topic engagementID payload } }`,
		map[string]any{"after": c.last}, 256)
	if err != nil {
		t.Fatal(err)
	}
	c.events = sub
}

// next returns the agent's next event that match accepts, skipping others.
func (c *chatCenter) next(t *testing.T, match func(agentEvent) bool) agentEvent {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case r, ok := <-c.events.C:
			if !ok {
				t.Fatalf("the agent's stream ended: %v", c.events.Err)
			}
			if len(r.Errors) > 0 {
				t.Fatalf("the agent's stream: %v", r.Errors)
			}
			var d struct{ AgentEvents agentEvent }
			if err := json.Unmarshal(r.Data, &d); err != nil {
				t.Fatal(err)
			}
			c.last = d.AgentEvents.Sequence
			if match(d.AgentEvents) {
				return d.AgentEvents
			}
		case <-timeout:
			t.Fatal("the agent waited a minute for an event")
		}
	}
}

// waitClosed waits for the agent's stream to end (its socket closed),
// taking the events still on the way.
func (c *chatCenter) waitClosed(t *testing.T) {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case r, ok := <-c.events.C:
			if !ok {
				return
			}
			var d struct{ AgentEvents agentEvent }
			if err := json.Unmarshal(r.Data, &d); err == nil && d.AgentEvents.Sequence != "" {
				c.last = d.AgentEvents.Sequence
			}
		case <-timeout:
			t.Fatal("the agent's stream did not end")
		}
	}
}

// acceptRing waits for the ring and accepts it, returning the engagement.
func (c *chatCenter) acceptRing(t *testing.T) string {
	t.Helper()
	ring := c.next(t, func(e agentEvent) bool { return e.Topic == "offer.created" })
	apitest.Must(t, c.agent, `mutation($o: ID!) { acceptOffer(id: $o) { engagement { state } } }`,
		map[string]any{"o": ring.Payload["offerID"]}, nil)
	return ring.EngagementID
}

// waitMessage waits for a message from sender with body and returns its ID.
func (c *chatCenter) waitMessage(t *testing.T, sender, body string) string {
	t.Helper()
	e := c.next(t, func(e agentEvent) bool {
		return e.Topic == "message.created" && e.Payload["sender"] == sender && e.Payload["body"] == body
	})
	id, _ := e.Payload["messageID"].(string)
	return id
}

// waitRead waits for the agent's stream to say by read messages.
func (c *chatCenter) waitRead(t *testing.T, by string) {
	t.Helper()
	c.next(t, func(e agentEvent) bool { return e.Topic == "message.read" && e.Payload["by"] == by })
}

// waitState waits for the engagement to reach state.
func (c *chatCenter) waitState(t *testing.T, state string) {
	t.Helper()
	c.next(t, func(e agentEvent) bool { return e.Topic == "engagement.state_changed" && e.Payload["to"] == state })
}

// agentDo runs a mutation as the agent.
func (c *chatCenter) agentDo(t *testing.T, query string, vars map[string]any) {
	t.Helper()
	apitest.Must(t, c.agent, query, vars, nil)
}

// post sends a chat message as the agent.
func (c *chatCenter) post(t *testing.T, engagement, body string) {
	t.Helper()
	c.agentDo(t, `mutation($e: ID!, $b: String!) { postMessage(input: {engagementID: $e, body: $b}) { message { id } } }`,
		map[string]any{"e": engagement, "b": body})
}
