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
	// Changed is called after every committed configuration change, so the
	// routing engine refreshes its view (queue settings, memberships,
	// capacity profiles).
	Changed func()
}

// write runs fn in a write transaction and returns its result.
func write[T any](ctx context.Context, s *Service, fn func(ctx context.Context, tx *ent.Tx) (T, error)) (T, error) {
	var out T
	err := store.WithTx(ctx, s.Client, func(ctx context.Context, tx *ent.Tx) (err error) {
		out, err = fn(ctx, tx)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	if s.Changed != nil {
		s.Changed()
	}
	return out, nil
}
