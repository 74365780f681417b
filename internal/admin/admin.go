// Package admin configures the contact center: agents, capacity profiles,
// queues, entry points, wrap-up reasons, virtual agents, post-session and
// CRM settings, templates. Each function validates its input, writes in one
// transaction and returns typed errors (internal/apperr).
package admin

import (
	"context"
	"slices"

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

// Append fields of update inputs (appendSkills, appendChannels, ...) are
// applied by the services after SetInput, which is given them as nil:
// entgql v0.7.0's generated Mutate appends the Set field's value instead of
// the Append field's (ent/contrib#639), so appends were lost or doubled.
// listUpdate prepares them.

// listUpdate folds the clear, set and append operations of one list field
// into what ent runs correctly in one UPDATE: a set that absorbs the append
// (ent would append to the old value, losing the set), or an append alone.
func listUpdate[T any](clear bool, set, add []T) (newSet, newAdd []T) {
	if clear && set == nil && add != nil {
		set = []T{}
	}
	if set != nil && add != nil {
		return slices.Concat(set, add), nil
	}
	return set, add
}

// write runs fn in a write transaction and returns its result, unwrapped
// from the transaction (see store.Write). When it owned the transaction it
// tells Changed; inside another transaction its owner does, after commit.
func write[T any](ctx context.Context, s *Service, fn func(ctx context.Context, tx *ent.Tx) (T, error)) (T, error) {
	owned := ent.TxFromContext(ctx) == nil
	out, err := store.Write(ctx, s.Client, fn)
	if err == nil && owned {
		s.changed()
	}
	return out, err
}

// changed calls Changed when it is set.
func (s *Service) changed() {
	if s.Changed != nil {
		s.Changed()
	}
}
