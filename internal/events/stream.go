package events

import (
	"context"
	"errors"
	"strconv"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/event"
	"github.com/switchboard/switchboard/ent/predicate"
	"github.com/switchboard/switchboard/internal/apperr"
)

// ErrTooSlow ends a stream whose subscriber fell too far behind; the client
// reconnects and resumes from its cursor.
var ErrTooSlow = errors.New("subscriber fell too far behind; reconnect and resume with after: <last sequence>")

// BufferSize is how many events may wait for a stream before it counts as
// too slow. They wait in a queue that grows with them (Bus.SubscribeQueue),
// so an idle stream holds no buffer; a lifecycle is about seven events of
// its agent, and BufferBytes is the bound that matters for large events. A
// websocket stream takes each event off as it comes (its goroutine encodes
// it and queues the frame), so only a stream whose goroutine is starved
// holds many.
const BufferSize = 1024

// BufferBytes bounds the estimated size (EventSize) of the events waiting
// for one stream's subscriber: a client that stops reading while large
// messages arrive is dropped (and resumes from its cursor) before it holds
// much memory.
const BufferBytes = 4 << 20

// Filter decides, for Stream, whether an event is sent and whether the
// stream ends with it (a non-nil error).
type Filter func(*ent.Event) (send bool, end error)

// replayPage is how many events a replay reads per query.
const replayPage = 500

// ParseCursor parses an `after` argument; nil means "from now on". A
// malformed cursor is a VALIDATION error on the field "after".
func ParseCursor(after *string) (int, bool, error) {
	if after == nil || *after == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(*after)
	if err != nil || n < 0 {
		return 0, false, apperr.Invalid("after", "not a sequence returned by this server")
	}
	return n, true, nil
}

// Cursor is the sequence of e as subscriptions show it and ParseCursor reads
// it back.
func Cursor(e *ent.Event) string { return strconv.Itoa(e.ID) }

// Latest returns the sequence of the newest event, 0 when there is none.
// ctx must see every event row (auth.SystemContext).
func Latest(ctx context.Context, client *ent.Client) (int, error) {
	id, err := client.Event.Query().Order(ent.Desc(event.FieldID)).FirstID(ctx)
	if ent.IsNotFound(err) {
		return 0, nil
	}
	return id, err
}

// Stream sends the events of key to out: first those after the cursor from
// the table (when replay is set), then live ones, each exactly once and in
// order. It returns when ctx ends (nil) or the subscriber is dropped
// (ErrTooSlow). keep filters events further (nil keeps all): it says
// whether to send an event and whether the stream ends with it (a non-nil
// error, returned once the event is sent or skipped). sent, when set, runs
// after each event sent, on the stream's goroutine: a transport delivers
// the event there, and its error (ErrTooSlow) ends the stream. ctx must
// see every event row (auth.SystemContext).
func (b *Bus) Stream(ctx context.Context, client *ent.Client, key Key, after int, replay bool, keep Filter, out chan<- *ent.Event, sent func() error) error {
	sub := b.SubscribeQueue(key, BufferSize, BufferBytes)
	defer b.Unsubscribe(sub)
	last := after
	send := func(e *ent.Event) error {
		if e.ID <= last {
			return nil
		}
		ok, end := true, error(nil)
		if keep != nil {
			ok, end = keep(e)
		}
		if !ok {
			last = e.ID
			return end
		}
		select {
		case out <- e:
			last = e.ID
			if sent != nil {
				if err := sent(); err != nil {
					return err
				}
			}
			return end
		case <-sub.Dropped:
			return ErrTooSlow
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if replay {
		for {
			page, err := client.Event.Query().Where(keyPredicate(key), event.IDGT(last)).
				Order(ent.Asc(event.FieldID)).Limit(replayPage).All(ctx)
			if err != nil {
				return ended(ctx, err)
			}
			for _, e := range page {
				if err := send(e); err != nil {
					return ended(ctx, err)
				}
			}
			if len(page) < replayPage {
				break
			}
		}
	} else {
		// Live from now: skip what was committed before we subscribed.
		latest, err := Latest(ctx, client)
		if err != nil {
			return ended(ctx, err)
		}
		last = max(last, latest)
	}
	var taken []*ent.Event
	for {
		select {
		case <-sub.Ready:
			taken = sub.Take(taken)
			for i, e := range taken {
				sub.Received(e)
				taken[i] = nil
				if err := send(e); err != nil {
					return ended(ctx, err)
				}
			}
			if cap(taken) > 64 {
				taken = nil
			}
		case <-sub.Dropped:
			return ErrTooSlow
		case <-ctx.Done():
			return nil
		}
	}
}

// ended maps the error that stopped a stream: the end of ctx is a normal end
// (the client went away), whatever error it surfaced as; a database driver
// may report an interrupted query in its own words.
func ended(ctx context.Context, err error) error {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return err
}

func keyPredicate(k Key) predicate.Event {
	switch k.Kind {
	case Agent:
		return event.AgentID(k.ID)
	case Engagement:
		return event.EngagementID(k.ID)
	}
	return event.IDGT(0)
}
