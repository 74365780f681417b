package graph_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/events"
)

// A customer token reads its conversation's state and messages and its
// agent's name, not the contact center's data about it.
func TestCustomerTokenSeesOnlyItsConversation(t *testing.T) {
	s := apitest.Start(t)
	agentID, _ := newAgent(t, s, "Ann")
	tok, id := newCustomerEngagement(t, s)
	write(t, s, func(ctx context.Context, tx *ent.Tx) error {
		return tx.Engagement.UpdateOneID(id).SetAgentID(agentID).SetState(engagement.StateConnected).
			SetBotSummary("wants a refund, angry").SetFlowVariables(map[string]any{"vip": true}).Exec(ctx)
	})
	appendEvents(t, s, events.Event{Topic: events.MessageCreated, EngagementID: id, AgentID: agentID,
		Payload: events.MessageCreatedDetails{MessageID: 1, Sender: "AGENT", Body: "hello"}})
	c := s.Client(tok)
	vars := map[string]any{"id": strconv.Itoa(id)}
	var out struct {
		Node struct {
			State string
			Agent struct{ Name string }
		}
	}
	apitest.Must(t, c, `query($id: ID!) { node(id: $id) { ... on Engagement { state agent { name } messages { totalCount } } } }`, vars, &out)
	if out.Node.State != "CONNECTED" || out.Node.Agent.Name != "ann@example.com" {
		t.Fatalf("the customer reads %+v", out.Node)
	}
	for _, field := range []string{"botSummary", "flowVariables", "agentID", "menuPath", "queueID", "customerID",
		"agent { email }", "agent { id }", "notes { id }", "history { actor { kind } }", "history { agentID }"} {
		t.Run(field, func(t *testing.T) {
			apitest.ExpectCode(t, c, "FORBIDDEN", `query($id: ID!) { node(id: $id) { ... on Engagement { `+field+` } } }`, vars)
		})
	}
}

// A customer token works until its engagement closed plus
// auth.CustomerTokenGrace; then HTTP answers UNAUTHENTICATED and its
// websockets are closed with 4403.
func TestCustomerTokenEndsAfterClose(t *testing.T) {
	s := apitest.Start(t)
	tok, id := newCustomerEngagement(t, s)
	c := s.Client(tok)
	query := `query($id: ID!) { node(id: $id) { ... on Engagement { state } } }`
	vars := map[string]any{"id": strconv.Itoa(id)}
	conn := s.Dial(t, tok)
	write(t, s, func(ctx context.Context, tx *ent.Tx) error {
		return tx.Engagement.UpdateOneID(id).SetState(engagement.StateClosed).SetClosedAt(s.Clock.Now()).Exec(ctx)
	})
	appendEvents(t, s, events.Event{Topic: events.EngagementStateChanged, EngagementID: id,
		Payload: events.EngagementStateChangedDetails{From: engagement.StateWrapUp, To: engagement.StateClosed, Channel: "CHAT"}})

	// Within the grace (for the survey) the token still reads.
	s.Clock.Advance(auth.CustomerTokenGrace / 2)
	apitest.Must(t, c, query, vars, nil)
	select {
	case <-conn.Done():
		t.Fatalf("the socket closed within the grace: %v", conn.Err())
	default:
	}
	s.Clock.Advance(auth.CustomerTokenGrace / 2)
	apitest.ExpectCode(t, c, "UNAUTHENTICATED", query, vars)
	expectClosed(t, conn, 4403, "conversation is over")
}
