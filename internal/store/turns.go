package store

import (
	"context"
	"runtime"
	"slices"
	"sync"
)

// turns orders the write transactions when the store has a single writer
// (SQLite): one at a time, the dispatcher's first, then the others
// in arrival order. Without it, every routing decision waited behind all
// the agents' writes queued for the one connection, in no particular order,
// and the time from a new engagement to its ring grew with the load
// (switchboard bench).
type turns struct {
	mu   sync.Mutex
	busy bool
	// urgent (the dispatcher's) and waiting are queued turns; closing the
	// channel hands the turn over.
	urgent, waiting []chan struct{}
}

type urgentKey struct{}

// Urgent marks ctx as the dispatcher's: its writes go first.
func Urgent(ctx context.Context) context.Context { return context.WithValue(ctx, urgentKey{}, true) }

// NotUrgent unmarks ctx: its writes wait their turn behind everyone's
// (the dispatcher's queue positions, which can wait).
func NotUrgent(ctx context.Context) context.Context {
	return context.WithValue(ctx, urgentKey{}, nil)
}

// take waits for the turn, or for ctx to end.
func (t *turns) take(ctx context.Context) error {
	t.mu.Lock()
	if !t.busy {
		t.busy = true
		t.mu.Unlock()
		return nil
	}
	turn := make(chan struct{})
	first := ctx.Value(urgentKey{}) != nil
	if first {
		t.urgent = append(t.urgent, turn)
	} else {
		t.waiting = append(t.waiting, turn)
	}
	t.mu.Unlock()
	select {
	case <-turn:
		return nil
	case <-ctx.Done():
	}
	t.mu.Lock()
	queued := slices.Contains(t.urgent, turn) || slices.Contains(t.waiting, turn)
	t.urgent = slices.DeleteFunc(t.urgent, func(c chan struct{}) bool { return c == turn })
	t.waiting = slices.DeleteFunc(t.waiting, func(c chan struct{}) bool { return c == turn })
	t.mu.Unlock()
	if !queued { // handed over meanwhile: pass it on
		t.give()
	}
	return ctx.Err()
}

// give ends the current turn and hands it to the next in line.
func (t *turns) give() {
	t.mu.Lock()
	var next chan struct{}
	switch {
	case len(t.urgent) > 0:
		next, t.urgent = t.urgent[0], t.urgent[1:]
	case len(t.waiting) > 0:
		next, t.waiting = t.waiting[0], t.waiting[1:]
	default:
		t.busy = false
	}
	t.mu.Unlock()
	if next != nil {
		close(next)
		// Closing the channel readies the next writer on this P; yielding
		// runs it now instead of leaving the writer idle until this
		// goroutine blocks or is preempted (433 µs per hand-over under load,
		// +46% lifecycles/s with the yield: switchboard bench).
		runtime.Gosched()
	}
}
