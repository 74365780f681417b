package events

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard/switchboard/ent"
)

// Key selects the events a subscriber receives.
type Key struct {
	Kind Kind
	ID   int
}

// Kind is what a Key's ID refers to.
type Kind uint8

// Kinds of keys.
const (
	// All receives every event (the dispatcher, queue figures).
	All Kind = iota
	// Agent receives events whose AgentID is the ID.
	Agent
	// Engagement receives events whose EngagementID is the ID.
	Engagement
)

// Subscriber receives events on C until it is unsubscribed or falls
// behind: when C is full the bus drops it, closes Dropped and sends no more.
// A queue subscriber (SubscribeQueue) has no C: its events wait in a queue
// that grows with them, Ready tells that there are some, and Take takes
// them.
type Subscriber struct {
	C       chan *ent.Event
	Dropped chan struct{}
	Ready   chan struct{}
	qmu     sync.Mutex
	queue   []*ent.Event
	maxLen  int
	key     Key
	// failed is set at the first event that did not fit; from then on the
	// subscriber gets nothing, so what it got has no gap.
	failed  atomic.Bool
	dropped bool
	// maxBytes, when set, bounds the estimated size (EventSize) of the
	// events waiting in C; bytes is that size now.
	maxBytes int64
	bytes    atomic.Int64
}

// Received tells s that an event taken from C is no longer waiting.
func (s *Subscriber) Received(e *ent.Event) {
	if s.maxBytes > 0 {
		s.bytes.Add(-EventSize(e))
	}
}

// EventSize estimates the memory an event holds: a fixed part and the
// strings of its payload.
func EventSize(e *ent.Event) int64 {
	n := 256 + valueSize(e.Payload)
	if e.Topic == MessageCreated {
		// The message's text, which the event references (MessageRef) and
		// the subscriber's stream reads when it sends the event.
		n += numberOf(e.Payload["bytes"])
	}
	return n
}

func numberOf(v any) int64 {
	switch v := v.(type) {
	case float64:
		return int64(v)
	case int:
		return int64(v)
	case int64:
		return v
	case json.Number:
		n, _ := v.Int64()
		return n
	}
	return 0
}

func valueSize(v any) int64 {
	switch v := v.(type) {
	case string:
		return int64(len(v))
	case map[string]any:
		n := int64(0)
		for k, item := range v {
			n += int64(len(k)) + 16 + valueSize(item)
		}
		return n
	case []any:
		n := int64(0)
		for _, item := range v {
			n += 16 + valueSize(item)
		}
		return n
	}
	return 8
}

// Bus fans committed events out to subscribers. Publishing never blocks.
type Bus struct {
	// serial: the store is PostgreSQL; see Commit. Its events are then
	// published by Follow, which poke wakes.
	serial bool
	poke   chan struct{}
	// commit serialises commit-and-publish so subscribers see events in
	// sequence order.
	commit sync.Mutex
	mu     sync.RWMutex
	subs   map[Key]map[*Subscriber]struct{}
	// committed, when set, hears each batch with the time its commit
	// returned, before the batch is published (metrics time rings from it).
	committed func(rows []*ent.Event, at time.Time)
	// watchers hear the events of their topic as they are published.
	watchers map[string][]func(*ent.Event)
}

// NewBus returns an empty bus. postgres says the store is PostgreSQL, whose
// event sequence needs the ordering Commit describes.
func NewBus(postgres bool) *Bus {
	return &Bus{serial: postgres, poke: make(chan struct{}, 1), subs: map[Key]map[*Subscriber]struct{}{}}
}

// eventLogLock is the PostgreSQL advisory lock key that orders the commits
// of transactions with events.
const eventLogLock = 0x5357_4254_4556

// OnCommit sets f to hear every committed batch, with the time its commit
// returned, before the batch is published. Call it before the bus is used.
func (b *Bus) OnCommit(f func(rows []*ent.Event, at time.Time)) { b.committed = f }

// Subscribe registers a subscriber for key with a buffer of size events.
func (b *Bus) Subscribe(key Key, size int) *Subscriber {
	return b.SubscribeBytes(key, size, 0)
}

// SubscribeBytes registers a subscriber for key with a buffer of size
// events and, when maxBytes is set, of at most maxBytes (EventSize) in
// all: it is dropped when either is full. Its reader calls Received for
// each event it takes.
func (b *Bus) SubscribeBytes(key Key, size int, maxBytes int64) *Subscriber {
	s := &Subscriber{C: make(chan *ent.Event, size), Dropped: make(chan struct{}), key: key, maxBytes: maxBytes}
	b.add(key, s)
	return s
}

// SubscribeQueue registers a queue subscriber for key: at most maxLen
// events, and at most maxBytes (EventSize) of them when maxBytes is set,
// wait for it; past either it is dropped. An idle one holds no buffer. Its
// reader takes the events with Take, once Ready has a signal, and calls
// Received for each.
func (b *Bus) SubscribeQueue(key Key, maxLen int, maxBytes int64) *Subscriber {
	s := &Subscriber{Ready: make(chan struct{}, 1), Dropped: make(chan struct{}), key: key, maxLen: maxLen, maxBytes: maxBytes}
	b.add(key, s)
	return s
}

// add registers s for key.
func (b *Bus) add(key Key, s *Subscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	set := b.subs[key]
	if set == nil {
		set = map[*Subscriber]struct{}{}
		b.subs[key] = set
	}
	set[s] = struct{}{}
}

// Take returns the events waiting for a queue subscriber, oldest first,
// appended to buf[:0].
func (s *Subscriber) Take(buf []*ent.Event) []*ent.Event {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	buf = append(buf[:0], s.queue...)
	clear(s.queue)
	s.queue = s.queue[:0]
	if cap(s.queue) > 64 {
		s.queue = nil // a burst's room is given back
	}
	return buf
}

// enqueue adds e to a queue subscriber; false when it is full.
func (s *Subscriber) enqueue(e *ent.Event) bool {
	s.qmu.Lock()
	if len(s.queue) >= s.maxLen {
		s.qmu.Unlock()
		return false
	}
	s.queue = append(s.queue, e)
	s.qmu.Unlock()
	select {
	case s.Ready <- struct{}{}:
	default:
	}
	return true
}

// Unsubscribe removes s; it is safe to call more than once.
func (b *Bus) Unsubscribe(s *Subscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.remove(s)
}

func (b *Bus) remove(s *Subscriber) {
	if set := b.subs[s.key]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(b.subs, s.key)
		}
	}
}

// Commit inserts the batches' events in tx (one transaction's batch, or
// those of a group of actions sharing it, in order: store.Writer), commits
// it and then publishes them, holding the commit lock so that publication
// order is commit order. Each batch's Rows are its own events as stored.
// On failure tx is rolled back.
//
// Event order must be commit order: a reader that has seen event n never
// looks below n again (subscription cursors, and every instance catching up
// from the table). SQLite commits one transaction at a time, so the order
// in which it gives out IDs is the commit order. PostgreSQL gives out IDs
// from a sequence at insert time while transactions commit in any order: a
// reader could see event 11, move its cursor past it, and skip event 10
// when that commits a moment later. So events are inserted last, just
// before the commit, and on PostgreSQL under a transaction-level advisory
// lock that is held until the commit: between taking IDs and committing,
// transactions with events go one at a time. The lock is taken after the
// transaction's other writes, so it never waits for a row lock while held
// (no deadlock), and it is held only for one INSERT and the COMMIT.
func (b *Bus) Commit(ctx context.Context, tx *ent.Tx, batches ...*Batch) error {
	var all Batch
	if len(batches) == 1 {
		all = *batches[0]
	} else {
		for _, batch := range batches {
			all.events = append(all.events, batch.events...)
		}
	}
	if len(all.events) > 0 {
		if b.serial {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", eventLogLock); err != nil {
				_ = tx.Rollback()
				return err
			}
		}
		if err := all.insert(ctx, tx); err != nil {
			_ = tx.Rollback()
			return err
		}
		if b.serial {
			// Delivered to every instance's listener when the transaction
			// commits (follow.go).
			if _, err := tx.ExecContext(ctx, "NOTIFY "+NotifyChannel); err != nil {
				_ = tx.Rollback()
				return err
			}
		}
	}
	b.commit.Lock()
	defer b.commit.Unlock()
	if err := tx.Commit(); err != nil {
		return err
	}
	rows := all.rows
	for _, batch := range batches { // each batch its own rows, in order
		batch.rows, rows = rows[:len(batch.events):len(batch.events)], rows[len(batch.events):]
	}
	if b.committed != nil && len(all.rows) > 0 {
		b.committed(all.rows, time.Now())
	}
	if b.serial {
		b.Poke() // the follower publishes, in the log's order
		return nil
	}
	b.Publish(all.rows)
	return nil
}

// Watched reports whether batch holds an event a watcher acts on (Watch):
// a single-writer store commits it before running another write, so that
// what the watcher drops is not read stale by it (store.Writer).
func (b *Bus) Watched(batch *Batch) bool {
	for topic := range b.watchers {
		if batch.Has(topic) {
			return true
		}
	}
	return false
}

// Watch calls f with every event of topic as it is published, before the
// subscribers get it; f must not block. On SQLite an event is published
// before the writer's next transaction begins (store.Writer), so a cache
// dropped by f is never read stale by a later write. Call it before the
// bus is used.
func (b *Bus) Watch(topic string, f func(e *ent.Event)) {
	if b.watchers == nil {
		b.watchers = map[string][]func(*ent.Event){}
	}
	b.watchers[topic] = append(b.watchers[topic], f)
}

// Publish hands events to their subscribers without blocking.
func (b *Bus) Publish(rows []*ent.Event) {
	if len(rows) == 0 {
		return
	}
	if len(b.watchers) > 0 {
		for _, e := range rows {
			for _, f := range b.watchers[e.Topic] {
				f(e)
			}
		}
	}
	var drop []*Subscriber
	b.mu.RLock()
	for _, e := range rows {
		drop = b.deliver(Key{All, 0}, e, drop)
		if e.AgentID != nil {
			drop = b.deliver(Key{Agent, *e.AgentID}, e, drop)
		}
		if e.EngagementID != nil {
			drop = b.deliver(Key{Engagement, *e.EngagementID}, e, drop)
		}
	}
	b.mu.RUnlock()
	if len(drop) == 0 {
		return
	}
	b.mu.Lock()
	for _, s := range drop {
		if !s.dropped {
			s.dropped = true
			close(s.Dropped)
			b.remove(s)
		}
	}
	b.mu.Unlock()
}

func (b *Bus) deliver(k Key, e *ent.Event, drop []*Subscriber) []*Subscriber {
	for s := range b.subs[k] {
		if s.failed.Load() {
			continue
		}
		if s.maxBytes > 0 && s.bytes.Add(EventSize(e)) > s.maxBytes {
			s.failed.Store(true)
			drop = append(drop, s)
			continue
		}
		if s.C == nil {
			if !s.enqueue(e) {
				s.failed.Store(true)
				drop = append(drop, s)
			}
			continue
		}
		select {
		case s.C <- e:
		default:
			s.failed.Store(true)
			drop = append(drop, s)
		}
	}
	return drop
}
