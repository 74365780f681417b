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
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/store"
)

// Service holds what configuration changes need.
type Service struct {
	Client *ent.Client
	// Writer runs its write transactions.
	Writer *store.Writer
	Auth   *auth.Service
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
// from the transaction (see store.Write). The transaction records that the
// configuration changed (config.changed, once per transaction): the routing
// engine hears it in the event log like every other change and reads queue
// settings, memberships and capacity profiles again.
func write[T any](ctx context.Context, s *Service, fn func(ctx context.Context, tx *ent.Tx) (T, error)) (T, error) {
	return writeWithEvents(ctx, s, func(ctx context.Context, tx *ent.Tx, _ *events.Batch) (T, error) { return fn(ctx, tx) })
}

// writeWithEvents is write for changes that append events of their own to
// the transaction's batch as well.
func writeWithEvents[T any](ctx context.Context, s *Service, fn func(ctx context.Context, tx *ent.Tx, b *events.Batch) (T, error)) (T, error) {
	return store.Write(ctx, s.Writer, func(ctx context.Context, tx *store.Tx) (T, error) {
		out, err := fn(ctx, tx.Tx, tx.Batch())
		if err == nil && !tx.Emitted(events.ConfigChanged) {
			tx.Emit(events.Event{Payload: events.ConfigChangedDetails{}})
		}
		return out, err
	})
}
