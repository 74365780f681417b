package app

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
)

// customerFields are the fields of the contact center's own types that a
// customer token may read: its conversation's state and messages, and the
// name of the agent it talks to, and where a post-session survey stands
// (its consent question). Flow variables, the bot's summary, the
// menu path, IDs of agents and queues, actors, notes and the rest are the
// contact center's business. Types not listed (payloads, connections,
// event details) are open: what they lead to is checked here in turn.
var customerFields = map[string]map[string]bool{
	"Engagement": set("id", "channel", "state", "createdAt", "queuedAt", "connectedAt", "endedAt", "closedAt", "messages", "agent", "history",
		"postSessionStatus", "postSessionDeadline"),
	"Agent":    set("name"),
	"Message":  set("id", "createdAt", "sender", "subject", "body", "html", "engagementID", "engagement"),
	"Event":    set("sequence", "topic", "at", "engagementID", "payload", "details", "engagement"),
	"Customer": set(),
	"Queue":    set(),
}

func set(names ...string) map[string]bool {
	m := map[string]bool{"__typename": true}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// limitCustomerFields answers FORBIDDEN for a field a customer token may
// not read.
func limitCustomerFields(ctx context.Context, next graphql.Resolver) (any, error) {
	if v := auth.FromContext(ctx); v.IsCustomer() {
		fc := graphql.GetFieldContext(ctx)
		if allowed, listed := customerFields[fc.Object]; listed && !allowed[fc.Field.Name] {
			return nil, apperr.New(apperr.Forbidden, "a customer token may not read %s.%s", fc.Object, fc.Field.Name)
		}
	}
	return next(ctx)
}
