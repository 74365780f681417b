// Package graph holds the GraphQL resolvers: thin adapters from the schema
// to the domain packages in internal/.
package graph

import (
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/admin"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/clock"
	"github.com/switchboard/switchboard/internal/crm"
	"github.com/switchboard/switchboard/internal/engine"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/live"
	"github.com/switchboard/switchboard/internal/messaging"
	"github.com/switchboard/switchboard/internal/sessionfile"
	"github.com/switchboard/switchboard/internal/webchat"
)

// Resolver is the resolver root; it only carries dependencies.
type Resolver struct {
	Client *ent.Client
	Auth   *auth.Service
	Admin  *admin.Service
	Bus    *events.Bus
	Clock  clock.Clock
	Engine *engine.Engine
	Live   *live.Service
	Outbox *messaging.Outbox
	// SessionFiles reads the session metadata files (C9).
	SessionFiles *sessionfile.Store
	// CRMWebhook is the external CRM adapter.
	CRMWebhook *crm.Webhook
	// WebChat is the visitor's side of web chat.
	WebChat *webchat.Service
}
