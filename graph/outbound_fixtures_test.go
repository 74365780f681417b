package graph_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/gqlclient"
)

// Addresses of the messaging center's entry points.
const (
	smsNumber    = "+4930111111"
	supportEmail = "support@example.com"
)

// messagingCenter is a contact center set up for SMS and email: a queue
// taking both, one entry point of each, a capacity profile, and a PREMIUM
// agent who is a member of the queue and NOT_READY.
type messagingCenter struct {
	s                     *apitest.Server
	queue, sms, email     string
	profile               string
	agentID               string
	agent                 *gqlclient.Client
	agentToken, messaging string
}

const startOutboundMutation = `mutation($in: StartOutboundInput!) { startOutbound(input: $in) {
	engagement { id state direction channel customerAddress agent { id } customer { id name phones emails } previous { id } }
	message { id body subject sender delivery { id status } } } }`

// startedOutbound is startOutbound's payload as the tests read it.
type startedOutbound struct {
	StartOutbound struct {
		Engagement struct {
			ID, State, Direction, Channel, CustomerAddress string
			Agent                                          struct{ ID string }
			Customer                                       struct {
				ID, Name       string
				Phones, Emails []string
			}
			Previous *struct{ ID string }
		}
		Message struct {
			ID, Body, Subject, Sender string
			Delivery                  *struct{ ID, Status string }
		}
	}
}

func newMessagingCenter(t *testing.T, options ...func(*app.Config)) *messagingCenter {
	t.Helper()
	s := apitest.Start(t, options...)
	c := &messagingCenter{s: s}
	c.queue = createQueue(t, s, map[string]any{"name": "Messages", "channels": []string{"SMS", "EMAIL"}, "acceptMode": "AUTO"})
	c.sms = createNode(t, s.Admin, "entryPoint", "entryPoint", map[string]any{"name": "SMS", "channel": "SMS", "address": smsNumber, "defaultQueueID": c.queue})
	c.email = createNode(t, s.Admin, "entryPoint", "entryPoint", map[string]any{"name": "Support mail", "channel": "EMAIL", "address": supportEmail, "defaultQueueID": c.queue})
	c.profile = createNode(t, s.Admin, "capacityProfile", "capacityProfile", map[string]any{"name": "Digital", "sms": 5, "email": 5, "outboundMax": 5})
	c.agentID, c.agent = c.newAgent(t, "ann@example.com", "PREMIUM", c.profile)
	c.agentToken = c.agent.Token
	c.messaging = newAPIKey(t, s, "MESSAGING")
	return c
}

// newAgent creates an agent of the queue with a license and profile, NOT_READY.
func (c *messagingCenter) newAgent(t *testing.T, email, license, profile string) (string, *gqlclient.Client) {
	t.Helper()
	id, cl := createAgent(t, c.s, map[string]any{"name": email, "email": email, "license": license,
		"capacityProfileID": profile, "queueIDs": []string{c.queue}})
	do[any](t, cl, `mutation { setAgentState(state: NOT_READY, reason: "BREAK") { agent { state } } }`, nil)
	return id, cl
}

// start runs startOutbound as cl, which must succeed.
func (c *messagingCenter) start(t *testing.T, cl *gqlclient.Client, in map[string]any) startedOutbound {
	t.Helper()
	return do[startedOutbound](t, cl, startOutboundMutation, map[string]any{"in": in})
}

// post sends a request to a messaging endpoint with the MESSAGING key and
// returns the status and the decoded JSON answer.
func (c *messagingCenter) post(t *testing.T, path, contentType, body string) (int, map[string]any) {
	t.Helper()
	return postWith(t, c.s, c.messaging, path, contentType, body)
}

func postWith(t *testing.T, s *apitest.Server, key, path, contentType, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.HTTP.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := s.HTTP.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("POST %s answered %d with %q, not JSON", path, res.StatusCode, raw)
	}
	return res.StatusCode, out
}

// rows counts what startOutbound may write, to show a refusal wrote nothing.
type rows struct{ engagements, customers, messages, deliveries, events int }

func (c *messagingCenter) rows(t *testing.T) rows {
	t.Helper()
	ctx := auth.SystemContext(context.Background())
	cl := c.s.App.Client
	var r rows
	var err error
	for _, f := range []func() error{
		func() (e error) { r.engagements, e = cl.Engagement.Query().Count(ctx); return },
		func() (e error) { r.customers, e = cl.Customer.Query().Count(ctx); return },
		func() (e error) { r.messages, e = cl.Message.Query().Count(ctx); return },
		func() (e error) { r.deliveries, e = cl.Delivery.Query().Count(ctx); return },
		func() (e error) { r.events, e = cl.Event.Query().Count(ctx); return },
	} {
		if err = f(); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// deliveryStatus reads a delivery through the API as staff.
func (c *messagingCenter) delivery(t *testing.T, id string) map[string]any {
	t.Helper()
	return node(t, c.s.Admin, id, `... on Delivery { status attempts lastError deadLetteredAt providerMessageID toAddress fromAddress }`)
}

// syncEngine waits until the dispatcher has taken in every change.
func syncEngine(t *testing.T, s *apitest.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deliveryTimeout)
	defer cancel()
	if err := s.App.Engine.Sync(ctx); err != nil {
		t.Fatal(err)
	}
}
