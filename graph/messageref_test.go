package graph_test

import (
	"context"
	"testing"

	entevent "github.com/switchboard/switchboard/ent/event"
	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gqlclient"
)

// message.created names its message in the event log instead of copying
// its text; the history (and every stream) reads body and subject from the
// message, for the admin and for the customer token alike.
func TestMessageEventReferencesItsMessage(t *testing.T) {
	s := apitest.Start(t)
	q := createQueue(t, s, map[string]any{"name": "Chat", "channels": []string{"CHAT"}})
	key := do[struct{ CreateAPIKey struct{ Secret string } }](t, s.Admin,
		`mutation { createAPIKey(input: {name: "web", scopes: [ENGAGEMENTS]}) { secret } }`, nil).CreateAPIKey.Secret
	created := do[struct {
		CreateEngagement struct {
			Engagement    struct{ ID string }
			CustomerToken string
		}
	}](t, s.Client(key), `mutation($q: ID!) { createEngagement(input: {channel: CHAT, queueID: $q, customer: {name: "Bo"}}) { engagement { id } customerToken } }`,
		map[string]any{"q": q}).CreateEngagement
	id := created.Engagement.ID
	customer := s.Client(created.CustomerToken)
	const body = "my order never came"
	apitest.Must(t, customer, `mutation($id: ID!, $b: String!) { postMessage(input: {engagementID: $id, body: $b}) { message { id } } }`,
		map[string]any{"id": id, "b": body}, nil)

	row, err := s.App.Client.Event.Query().Where(entevent.Topic(events.MessageCreated)).Only(auth.SystemContext(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	if _, copied := row.Payload["body"]; copied || row.Payload["messageID"] == nil {
		t.Fatalf("stored payload %v: want the message's id and no copy of its body", row.Payload)
	}

	type history struct {
		Node struct {
			History []struct {
				Topic   string
				Payload map[string]any
				Details struct{ MessageID, Body, Subject string }
			}
		}
	}
	const query = `query($id: ID!) { node(id: $id) { ... on Engagement { history { topic payload
		details { ... on MessageCreated { messageID body subject } } } } } }`
	for name, c := range map[string]*gqlclient.Client{"admin": s.Admin, "customer": customer} {
		var found bool
		for _, e := range do[history](t, c, query, map[string]any{"id": id}).Node.History {
			if e.Topic != events.MessageCreated {
				continue
			}
			found = true
			if e.Details.Body != body || e.Payload["body"] != body || e.Payload["subject"] != "" || e.Details.MessageID == "" {
				t.Errorf("%s: message.created details %+v, payload %v; want the body read from the message", name, e.Details, e.Payload)
			}
		}
		if !found {
			t.Errorf("%s: no message.created in the history", name)
		}
	}
}
