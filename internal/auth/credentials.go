package auth

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/event"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/store"
)

// Reasons of credential.revoked events.
const (
	ReasonRevoked         = "REVOKED"
	ReasonLogout          = "LOGOUT"
	ReasonPasswordChanged = "PASSWORD_CHANGED"
	ReasonDeactivated     = "DEACTIVATED"
)

// TokenRevoked is the credential.revoked event of one login token of an
// agent.
func TokenRevoked(ctx context.Context, agentID, tokenID int, reason string) events.Event {
	return events.Event{AgentID: agentID, Actor: Actor(ctx), Payload: events.CredentialRevokedDetails{TokenID: &tokenID, Reason: reason}}
}

// AccessChanged is the agent.access_changed event of an agent whose role or
// active flag a write changed.
func AccessChanged(ctx context.Context, a *ent.Agent) events.Event {
	return events.Event{AgentID: a.ID, Actor: Actor(ctx), Payload: events.AgentAccessChangedDetails{Role: a.Role, Active: a.Active}}
}

type systemReasonKey struct{}

// Acting returns ctx for work the system does on its own, for reason (an
// events.Actor... constant): Actor names the system and the reason.
func Acting(ctx context.Context, reason string) context.Context {
	return context.WithValue(ctx, systemReasonKey{}, reason)
}

// Actor is who the event log records for a write made in ctx: the agent,
// the API key, the customer token (its customer is the caller's to fill
// in), or the system with the reason Acting gave.
func Actor(ctx context.Context) events.Actor {
	switch v := FromContext(ctx); {
	case v.IsAgent():
		return events.Actor{Kind: event.ActorKindAGENT, AgentID: v.AgentID}
	case v != nil && v.APIKeyID != 0:
		return events.Actor{Kind: event.ActorKindAPI_KEY, APIKeyID: v.APIKeyID}
	case v != nil && v.EngagementID != 0:
		return events.Actor{Kind: event.ActorKindCUSTOMER}
	}
	reason, _ := ctx.Value(systemReasonKey{}).(string)
	return events.Actor{Kind: event.ActorKindSYSTEM, Reason: reason}
}

// WriteWithEvents runs fn in a write transaction (store.Writer) with the
// transaction's batch of events, so what fn appends is stored in the same
// transaction and published after it. An entity fn returns is unwrapped
// after the commit.
func WriteWithEvents[T any](ctx context.Context, s *Service, fn func(ctx context.Context, tx *ent.Tx, b *events.Batch) (T, error)) (T, error) {
	return store.Write(ctx, s.Writer, func(ctx context.Context, tx *store.Tx) (T, error) {
		return fn(ctx, tx.Tx, tx.Batch())
	})
}
