package graph_test

import (
	"strconv"
	"testing"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/gqlclient"
)

// customerEventsQuery is the visitor's stream, with what a customer token
// may read of each event.
const customerEventsQuery = `subscription($id: ID!, $after: String) {
	engagementEvents(id: $id, after: $after) { sequence topic payload } }`

// chatEntryPoint creates a CHAT entry point into queue and returns its ID
// and chat token.
func chatEntryPoint(t *testing.T, s *apitest.Server, name, queue string) (id, token string) {
	t.Helper()
	out := do[struct {
		CreateEntryPoint struct {
			EntryPoint struct{ ID, ChatToken string }
		}
	}](t, s.Admin, `mutation($in: CreateEntryPointInput!) { createEntryPoint(input: $in) { entryPoint { id chatToken } } }`,
		map[string]any{"in": map[string]any{"name": name, "channel": "CHAT", "defaultQueueID": queue}})
	return out.CreateEntryPoint.EntryPoint.ID, out.CreateEntryPoint.EntryPoint.ChatToken
}

// setChatSettings sets an entry point's chat settings as admin.
func setChatSettings(t *testing.T, s *apitest.Server, entryPoint string, settings map[string]any) {
	t.Helper()
	do[map[string]any](t, s.Admin, `mutation($id: ID!, $in: ChatSettingsInput!) { setChatSettings(entryPointID: $id, input: $in) { entryPoint { id } } }`,
		map[string]any{"id": entryPoint, "in": settings})
}

const startChatMutation = `mutation($in: StartChatInput!) { startChat(input: $in) { engagement { id state channel } customerToken } }`

// visitorChat is a chat a visitor started, with its customer client.
type visitorChat struct {
	ID, State string
	client    *gqlclient.Client
	token     string
}

// startChat starts a chat as an anonymous visitor with input (token added).
func startChat(t *testing.T, s *apitest.Server, token string, input map[string]any) visitorChat {
	t.Helper()
	in := map[string]any{"token": token}
	for k, v := range input {
		in[k] = v
	}
	out := do[struct {
		StartChat struct {
			Engagement    struct{ ID, State, Channel string }
			CustomerToken string
		}
	}](t, s.Client(""), startChatMutation, map[string]any{"in": in})
	p := out.StartChat
	if p.Engagement.Channel != "CHAT" || p.CustomerToken == "" {
		t.Fatalf("startChat answered %+v", p)
	}
	return visitorChat{ID: p.Engagement.ID, State: p.Engagement.State, client: s.Client(p.CustomerToken), token: p.CustomerToken}
}

// post posts a message as c and returns its ID.
func post(t *testing.T, c *gqlclient.Client, engagementID, body string) string {
	t.Helper()
	out := do[struct {
		PostMessage struct{ Message struct{ ID string } }
	}](t, c, `mutation($id: ID!, $b: String!) { postMessage(input: {engagementID: $id, body: $b}) { message { id } } }`,
		map[string]any{"id": engagementID, "b": body})
	return out.PostMessage.Message.ID
}

// nextOf skips events on sub (of field) until one of topic arrives.
func nextOf(t *testing.T, sub *gqlclient.Subscription, field, topic string) event {
	t.Helper()
	for {
		if e := nextEvent(t, sub, field); e.Topic == topic {
			return e
		}
	}
}

func idVars(id string) map[string]any { return map[string]any{"id": id} }

func itoa(n int) string { return strconv.Itoa(n) }
