package graph_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/authtoken"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gqlclient"
)

// expectClosed waits for the server to close c with code and a reason
// containing reason (or one of reason's alternatives, split by |).
func expectClosed(t *testing.T, c *gqlclient.Conn, code int, reason string) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(deliveryTimeout):
		t.Fatalf("the websocket is still open %v after the change; want it closed with %d", deliveryTimeout, code)
	}
	err := c.Err()
	matches := false
	for _, r := range strings.Split(reason, "|") {
		matches = matches || strings.Contains(err.Error(), r)
	}
	if got := int(gqlclient.CloseStatus(err)); got != code || !matches {
		t.Fatalf("websocket ended with %v (code %d); want code %d and a reason with %q", err, got, code, reason)
	}
}

// A credential that stops being valid ends the websockets opened with it:
// revocation, logout, a password change, deactivation, a role change, an
// API key's revocation and a token's expiry each close them with 4403 and
// the reason, through the events committed with the change.
func TestCredentialChangesCloseOpenSockets(t *testing.T) {
	for _, tc := range []struct {
		name string
		// open returns the credential to dial with; change revokes it.
		open   func(t *testing.T, s *apitest.Server) (cred string, change func())
		reason string
	}{
		{"revokeToken", func(t *testing.T, s *apitest.Server) (string, func()) {
			_, tok := newAgent(t, s, "Ann")
			return tok, func() {
				apitest.Must(t, s.Client(tok), `mutation { revokeToken { revoked } }`, nil, nil)
			}
		}, "revoked"},
		{"logout", func(t *testing.T, s *apitest.Server) (string, func()) {
			_, tok := newAgent(t, s, "Ann")
			return tok, func() {
				apitest.Must(t, s.Client(tok), `mutation { logout { agent { state } } }`, nil, nil)
			}
		}, "revoked"},
		{"setPassword by an admin", func(t *testing.T, s *apitest.Server) (string, func()) {
			id, tok := newAgent(t, s, "Ann")
			return tok, func() {
				apitest.Must(t, s.Admin, `mutation($id: ID!) { setPassword(agentID: $id, password: "another long password") { agent { id } } }`,
					map[string]any{"id": strconv.Itoa(id)}, nil)
			}
		}, "revoked"},
		{"deactivation", func(t *testing.T, s *apitest.Server) (string, func()) {
			id, tok := newAgent(t, s, "Ann")
			return tok, func() {
				apitest.Must(t, s.Admin, `mutation($id: ID!) { updateAgent(id: $id, input: {active: false}) { agent { id } } }`,
					map[string]any{"id": strconv.Itoa(id)}, nil)
			}
			// A check that reads the token just before the commit and the
			// agent just after it says deactivated.
		}, "revoked|deactivated"},
		{"demotion", func(t *testing.T, s *apitest.Server) (string, func()) {
			id, tok := newAgent(t, s, "Sue")
			apitest.Must(t, s.Admin, `mutation($id: ID!) { updateAgent(id: $id, input: {role: SUPERVISOR}) { agent { id } } }`,
				map[string]any{"id": strconv.Itoa(id)}, nil)
			return tok, func() {
				apitest.Must(t, s.Admin, `mutation($id: ID!) { updateAgent(id: $id, input: {role: AGENT}) { agent { id } } }`,
					map[string]any{"id": strconv.Itoa(id)}, nil)
			}
		}, "role changed to AGENT"},
		{"revokeAPIKey", func(t *testing.T, s *apitest.Server) (string, func()) {
			var out struct {
				CreateAPIKey struct {
					Secret string
					APIKey struct{ ID string }
				}
			}
			apitest.Must(t, s.Admin, `mutation { createAPIKey(input: {name: "ivr", scopes: [ENGAGEMENTS]}) { secret apiKey { id } } }`, nil, &out)
			return out.CreateAPIKey.Secret, func() {
				apitest.Must(t, s.Admin, `mutation($id: ID!) { revokeAPIKey(id: $id) { apiKey { id } } }`,
					map[string]any{"id": out.CreateAPIKey.APIKey.ID}, nil)
			}
		}, "revoked"},
		{"expiry", func(t *testing.T, s *apitest.Server) (string, func()) {
			_, tok := newAgent(t, s, "Ann")
			return tok, func() { s.Clock.Advance(s.App.Config.TokenTTL) }
		}, "expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := apitest.Start(t)
			cred, change := tc.open(t, s)
			c := s.Dial(t, cred)
			if !strings.HasPrefix(cred, "sbk_") {
				subscribe(t, c, agentEventsQuery, nil)
			}
			change()
			expectClosed(t, c, 4403, tc.reason)
			// The same credential no longer opens a socket.
			if tc.name != "demotion" {
				ctx, cancel := context.WithTimeout(context.Background(), deliveryTimeout)
				defer cancel()
				if c, err := gqlclient.Dial(ctx, s.URL, cred); err == nil {
					c.CloseNow()
					t.Fatal("the changed credential opened a websocket again")
				}
			}
		})
	}
}

// A change to another agent's credential leaves a socket open.
func TestOtherAgentsRevocationKeepsSocket(t *testing.T) {
	s := apitest.Start(t)
	annID, ann := newAgent(t, s, "Ann")
	_, bob := newAgent(t, s, "Bob")
	c := s.Dial(t, ann)
	sub := subscribe(t, c, agentEventsQuery, map[string]any{"after": "0"})
	apitest.Must(t, s.Client(bob), `mutation { revokeToken { revoked } }`, nil, nil)
	// Ann's stream still delivers her own events, after Bob's revocation.
	want := appendEvents(t, s, events.Event{Topic: "test.ping", AgentID: annID})
	expectSequences(t, sub, "agentEvents", want)
}

// A subscribe checks the credential again: a token revoked where this
// instance heard nothing of it (no event: another instance's write before
// the event reaches it, here a bare write) refuses the subscription with
// UNAUTHENTICATED and closes the socket with 4403.
func TestSubscribeChecksCredentialAgain(t *testing.T) {
	s := apitest.Start(t)
	id, tok := newAgent(t, s, "Ann")
	c := s.Dial(t, tok)
	write(t, s, func(ctx context.Context, tx *ent.Tx) error {
		return tx.AuthToken.Update().Where(authtoken.AgentID(id)).SetRevokedAt(s.Clock.Now()).Exec(ctx)
	})
	sub := subscribe(t, c, agentEventsQuery, nil)
	expectRefused(t, sub, "UNAUTHENTICATED")
	expectClosed(t, c, 4403, "revoked")
}

// An agent's engagementEvents stream ends (FORBIDDEN, ACCESS_LOST) when the
// engagement goes to another agent: it hears nothing of the next agent's
// conversation.
func TestEngagementStreamEndsWhenAgentLosesIt(t *testing.T) {
	s := apitest.Start(t)
	annID, ann := newAgent(t, s, "Ann")
	bobID, _ := newAgent(t, s, "Bob")
	e := newEngagement(t, s, func(c *ent.EngagementCreate) {
		c.SetAgentID(annID).SetState(engagement.StateConnected)
	})
	c := s.Dial(t, ann)
	sub := subscribe(t, c, engagementEventsQuery, map[string]any{"id": strconv.Itoa(e.ID), "after": "0"})
	first := appendEvents(t, s, events.Event{Topic: events.MessageCreated, EngagementID: e.ID,
		Payload: events.MessageCreatedDetails{MessageID: 1, Sender: "CUSTOMER", Body: "hello"}})
	expectSequences(t, sub, "engagementEvents", first)

	write(t, s, func(ctx context.Context, tx *ent.Tx) error {
		return tx.Engagement.UpdateOneID(e.ID).SetAgentID(bobID).Exec(ctx)
	})
	appendEvents(t, s,
		events.Event{Topic: events.EngagementStateChanged, EngagementID: e.ID,
			Payload: events.EngagementStateChangedDetails{From: engagement.StateConnected, To: engagement.StateConnected, Channel: "CHAT", Reason: "TRANSFERRED"}},
		events.Event{Topic: events.MessageCreated, EngagementID: e.ID,
			Payload: events.MessageCreatedDetails{MessageID: 2, Sender: "CUSTOMER", Body: "for Bob only"}})
	if r, ok := receive(t, sub); ok {
		t.Fatalf("after the transfer the old agent received %s", r.Data)
	}
	if len(sub.Err) == 0 || sub.Err[0].Extensions.Code != "FORBIDDEN" || sub.Err[0].Extensions.Reason != "ACCESS_LOST" {
		t.Fatalf("stream ended with %v; want FORBIDDEN, reason ACCESS_LOST", sub.Err)
	}
	// The socket itself stays open for the agent's other streams.
	select {
	case <-c.Done():
		t.Fatalf("the socket closed: %v", c.Err())
	default:
	}
}

// A customer's engagementEvents stream ends with the CLOSED state change.
func TestCustomerStreamEndsAtClose(t *testing.T) {
	s := apitest.Start(t)
	tok, id := newCustomerEngagement(t, s)
	c := s.Dial(t, tok)
	sub := subscribe(t, c, engagementEventsQuery, map[string]any{"id": strconv.Itoa(id), "after": "0"})
	closed := appendEvents(t, s, events.Event{Topic: events.EngagementStateChanged, EngagementID: id,
		Payload: events.EngagementStateChangedDetails{From: engagement.StateWrapUp, To: engagement.StateClosed, Channel: "CHAT"}})
	expectSequences(t, sub, "engagementEvents", closed)
	if r, ok := receive(t, sub); ok {
		t.Fatalf("after CLOSED the customer received %s", r.Data)
	}
	if len(sub.Err) != 0 {
		t.Fatalf("stream ended with %v; want complete", sub.Err)
	}
}
