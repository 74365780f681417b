// Package auth authenticates requests (bearer tokens from login, integration
// API keys) and authorizes them: roles and scopes on fields through the
// @auth directive, and row-level visibility through ent interceptors.
package auth

import (
	"context"
	"slices"
	"time"

	"github.com/switchboard/switchboard/ent/schema/enum"
)

// Viewer is the principal behind a request.
type Viewer struct {
	// AgentID is set for a logged-in agent (of any role).
	AgentID int
	Role    enum.Role
	// TokenID is the login token used, so it can be revoked.
	TokenID int
	// ExpiresAt is when that token expires (zero for other credentials):
	// a websocket opened with it is closed then.
	ExpiresAt time.Time
	// APIKeyID and Scopes are set for an integration.
	APIKeyID int
	Scopes   []enum.Scope
	// EngagementID is set for a customer token: the one engagement the
	// customer side (chat widget) may follow, post to and end.
	EngagementID int
	// system marks the engine's own work, which sees everything.
	system bool
}

// IsAgent reports whether v is a logged-in agent (of any role).
func (v *Viewer) IsAgent() bool { return v != nil && v.AgentID != 0 }

// IsSystem reports whether v is the engine's own work (SystemContext).
func (v *Viewer) IsSystem() bool { return v != nil && v.system }

// IsCustomer reports whether v is a customer token, scoped to the engagement
// v.EngagementID.
func (v *Viewer) IsCustomer() bool { return v != nil && !v.system && v.EngagementID != 0 }

// Staff reports whether v is an ADMIN or SUPERVISOR, or the system.
func (v *Viewer) Staff() bool {
	return v != nil && (v.system || v.Role == enum.RoleAdmin || v.Role == enum.RoleSupervisor)
}

// HasScope reports whether v is an API key with scope s.
func (v *Viewer) HasScope(s enum.Scope) bool {
	return v != nil && v.APIKeyID != 0 && slices.Contains(v.Scopes, s)
}

// Allowed reports whether v passes @auth(roles:, scopes:): nil lists mean
// any agent or API key. A customer token passes no @auth: the fields it may
// use carry none and check the engagement themselves.
func (v *Viewer) Allowed(roles []enum.Role, scopes []enum.Scope) bool {
	switch {
	case v == nil:
		return false
	case v.system:
		return true
	case v.IsCustomer():
		return false
	case roles == nil && scopes == nil:
		return true
	case v.AgentID != 0:
		return slices.Contains(roles, v.Role)
	default:
		return slices.ContainsFunc(scopes, v.HasScope)
	}
}

type viewerKey struct{}

// NewContext returns ctx carrying v.
func NewContext(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// FromContext returns the viewer of ctx, or nil when unauthenticated.
func FromContext(ctx context.Context) *Viewer {
	v, _ := ctx.Value(viewerKey{}).(*Viewer)
	return v
}

// SystemContext returns ctx for the engine's own reads and writes, which
// row-level rules do not restrict. The original viewer stays available
// through Actor for the event log.
func SystemContext(ctx context.Context) context.Context {
	actor := FromContext(ctx)
	if actor != nil && actor.system {
		return ctx
	}
	sys := &Viewer{system: true}
	if actor != nil {
		sys.AgentID, sys.Role, sys.APIKeyID, sys.EngagementID = actor.AgentID, actor.Role, actor.APIKeyID, actor.EngagementID
	}
	return NewContext(ctx, sys)
}
