// Package admin configures the contact center: agents, capacity profiles,
// queues, entry points, wrap-up reasons, virtual agents, post-session and
// CRM settings, templates. Each function validates its input, writes in one
// transaction and returns typed errors (internal/apperr).
package admin

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/store"
)

// Service holds what configuration changes need.
type Service struct {
	Client *ent.Client
	Auth   *auth.Service
}

// write runs fn in a write transaction and returns its result, unwrapped
// from the transaction (see store.Write).
func write[T any](ctx context.Context, s *Service, fn func(ctx context.Context, tx *ent.Tx) (T, error)) (T, error) {
	return store.Write(ctx, s.Client, fn)
}
