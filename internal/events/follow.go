package events

import (
	"context"
	"log/slog"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/event"
)

// Several instances on one PostgreSQL database share one event log. Each
// instance then publishes to its subscribers what it reads from the log, in
// sequence order, its own commits included: as event order is commit order
// (Commit), a reader that follows the table by sequence sees every event
// once and in the same order on every instance. A commit wakes the
// instance's own follower at once and the others through PostgreSQL's
// NOTIFY (a notification carries nothing; the log is the truth); a slow
// poll catches up should a notification be lost.

// NotifyChannel is the PostgreSQL channel commits notify.
const NotifyChannel = "switchboard_events"

// followPage bounds the events one read of the log takes.
const followPage = 500

// Poke wakes the follower: events may have been committed.
func (b *Bus) Poke() {
	select {
	case b.poke <- struct{}{}:
	default:
	}
}

// Follow publishes the log's events from the newest one at its start on,
// in sequence order, until ctx ends. It reads after every Poke and at least
// every poll. ctx must see every event row (auth.SystemContext).
func (b *Bus) Follow(ctx context.Context, client *ent.Client, poll time.Duration, log *slog.Logger) {
	last, err := Latest(ctx, client)
	for err != nil && ctx.Err() == nil {
		log.Error("event log: cannot read its end; retrying", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(poll):
		}
		last, err = Latest(ctx, client)
	}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.poke:
		case <-tick.C:
		}
		for ctx.Err() == nil {
			rows, err := client.Event.Query().Where(event.IDGT(last)).Order(ent.Asc(event.FieldID)).Limit(followPage).All(ctx)
			if err != nil {
				if ctx.Err() == nil {
					log.Error("event log: follow", "after", last, "err", err)
				}
				break
			}
			if len(rows) == 0 {
				break
			}
			b.Publish(rows)
			last = rows[len(rows)-1].ID
			if len(rows) < followPage {
				break
			}
		}
	}
}
