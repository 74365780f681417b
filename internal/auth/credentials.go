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

// Actor is who the event log records for a credential change made in ctx.
func Actor(ctx context.Context) events.Actor {
	switch v := FromContext(ctx); {
	case v != nil && v.AgentID != 0:
		return events.Actor{Kind: event.ActorKindAGENT, AgentID: v.AgentID}
	case v != nil && v.APIKeyID != 0:
		return events.Actor{Kind: event.ActorKindAPI_KEY, APIKeyID: v.APIKeyID}
	}
	return events.Actor{Kind: event.ActorKindSYSTEM}
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
