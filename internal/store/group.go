package store

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/events"
)

// Group commit on a single-writer store (SQLite).
//
// Every write transaction of the server (a Do) is an action. While one
// goroutine holds the writer, the actions that arrive queue, the
// dispatcher's (Urgent) first, then the others in arrival order. The
// goroutine holding the writer is the group's leader: it begins one SQLite
// transaction, runs its own action, then the queued actions one after
// another on its own goroutine, each in a SAVEPOINT of its own, so an
// action that fails (or panics) rolls back alone and only its caller sees
// its error. The leader commits the group once — its events inserted in
// action order and published after the commit, as one transaction's are —
// wakes each member with its result, and hands the writer to the goroutine
// of the next queued action, which leads the next group.
//
// Compared with one transaction per action handed from goroutine to
// goroutine, this saves the COMMIT of every action but the last and, under
// load, the wait of every woken goroutine for a CPU while the writer idles
// (docs/rules.md, W7; README, "Throughput: the one writer").
//
// A group ends after maxActions actions, when the queue is empty, after a
// dispatcher's pass (its rings are published at once), and after an action
// whose events a bus watcher acts on (config.changed drops the engine's
// configuration cache): those are published before the next action reads
// the configuration, as without grouping.

type urgentKey struct{}

// Urgent marks ctx as the dispatcher's: its writes go first.
func Urgent(ctx context.Context) context.Context { return context.WithValue(ctx, urgentKey{}, true) }

// NotUrgent unmarks ctx: its writes wait their turn behind everyone's
// (the dispatcher's queue positions, which can wait).
func NotUrgent(ctx context.Context) context.Context {
	return context.WithValue(ctx, urgentKey{}, nil)
}

// groups is the queue of a single-writer store's actions.
type groups struct {
	mu sync.Mutex
	// busy: a leader holds the writer.
	busy bool
	// urgent (the dispatcher's) and waiting are the queued actions.
	urgent, waiting []*action
	// maxActions bounds the actions of one transaction (1: no grouping).
	maxActions int
}

// action is one Do on a single-writer store.
type action struct {
	ctx    context.Context
	fn     func(ctx context.Context, tx *Tx) error
	urgent bool
	// wake hands the action's goroutine its outcome: true to lead the next
	// group (its action not yet run), false when its action ran.
	wake chan bool
	// err is the action's result; panicked, when set, a panic of fn to
	// raise again on the caller's goroutine.
	err      error
	panicked any
	tx       *Tx
}

// DefaultGroupActions is how many actions one SQLite transaction takes at
// most: measured with switchboard bench at 1, 8, 32 and 128 (README,
// "Throughput: the one writer").
const DefaultGroupActions = 32

// SetGroupActions bounds the actions one transaction of a single-writer
// store takes (1 commits each alone). Set it before the writer is used.
func (w *Writer) SetGroupActions(n int) {
	if w.groups != nil {
		w.groups.maxActions = max(n, 1)
	}
}

// Queued is how many write actions wait for the single writer (SQLite);
// 0 on a store with concurrent writers. /metrics serves it.
func (w *Writer) Queued() int {
	if w.groups == nil {
		return 0
	}
	w.groups.mu.Lock()
	defer w.groups.mu.Unlock()
	return len(w.groups.urgent) + len(w.groups.waiting)
}

// queued runs fn as an action of the single writer's groups.
func (w *Writer) queued(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	a := &action{ctx: ctx, fn: fn, urgent: ctx.Value(urgentKey{}) != nil}
	g := w.groups
	g.mu.Lock()
	if !g.busy {
		g.busy = true
		g.mu.Unlock()
		w.lead(a)
		return a.result()
	}
	a.wake = make(chan bool, 1)
	if a.urgent {
		g.urgent = append(g.urgent, a)
	} else {
		g.waiting = append(g.waiting, a)
	}
	g.mu.Unlock()
	select {
	case lead := <-a.wake:
		if lead {
			w.lead(a)
		}
		return a.result()
	case <-ctx.Done():
	}
	g.mu.Lock()
	queuedStill := slices.Contains(g.urgent, a) || slices.Contains(g.waiting, a)
	g.urgent = slices.DeleteFunc(g.urgent, func(x *action) bool { return x == a })
	g.waiting = slices.DeleteFunc(g.waiting, func(x *action) bool { return x == a })
	g.mu.Unlock()
	if queuedStill {
		return ctx.Err()
	}
	// Taken meanwhile: as a member its result comes; as the next leader it
	// must lead, or the queue behind it would wait for ever.
	if <-a.wake {
		w.lead(a)
	}
	return a.result()
}

// result returns the action's error, raising its panic again here.
func (a *action) result() error {
	if a.panicked != nil {
		panic(a.panicked)
	}
	return a.err
}

// next takes the next queued action, the dispatcher's first; nil when none
// waits (the writer stays held).
func (g *groups) next() *action {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pop()
}

// pop is next with g.mu held.
func (g *groups) pop() *action {
	var a *action
	switch {
	case len(g.urgent) > 0:
		a, g.urgent = g.urgent[0], g.urgent[1:]
	case len(g.waiting) > 0:
		a, g.waiting = g.waiting[0], g.waiting[1:]
	}
	return a
}

// handOver gives the writer to the next queued action's goroutine, or
// frees it.
func (g *groups) handOver() {
	g.mu.Lock()
	next := g.pop()
	if next == nil {
		g.busy = false
	}
	g.mu.Unlock()
	if next != nil {
		next.wake <- true
		// The send readies the next leader on this P; yielding runs it now
		// instead of leaving the writer idle until this goroutine blocks
		// (433 µs per hand-over under load; switchboard bench).
		runtime.Gosched()
	}
}

// lead runs one group beginning with first, commits it, tells every member
// its result and hands the writer on.
func (w *Writer) lead(first *action) {
	members := w.group(first)
	for _, m := range members {
		if m != first {
			m.wake <- false
		}
	}
	w.groups.handOver()
}

// group runs first and the actions queued behind it in one transaction and
// commits it; it returns every action it ran, each with its result.
func (w *Writer) group(first *action) []*action {
	// The group's own context: BEGIN and COMMIT must not end with any one
	// member's.
	ctx, cancel := context.WithTimeout(context.Background(), WriteTimeout)
	defer cancel()
	etx, err := w.Client.Tx(ctx)
	if err != nil {
		first.err = fmt.Errorf("begin: %w", err)
		return []*action{first}
	}
	ran := []*action{first}
	if w.runAction(etx, first, false) != actionDone {
		// Nothing else ran in the transaction: roll it all back.
		if rerr := etx.Rollback(); rerr != nil && first.panicked == nil {
			first.err = fmt.Errorf("%w (rollback: %v)", first.err, rerr)
		}
		return ran
	}
	ok := []*action{first}
	for len(ok) < w.groups.maxActions && !w.endsGroup(ok[len(ok)-1]) {
		a := w.groups.next()
		if a == nil {
			break
		}
		ran = append(ran, a)
		switch w.runAction(etx, a, true) {
		case actionDone:
			ok = append(ok, a)
		case actionLost:
			// Its savepoint could not be rolled back: the transaction is
			// gone, and with it the actions before.
			_ = etx.Rollback()
			for _, m := range ok {
				m.err = a.err
			}
			return ran
		}
	}
	batches := make([]*events.Batch, len(ok))
	for i, m := range ok {
		batches[i] = &m.tx.batch
	}
	if err := w.Bus.Commit(ctx, etx, batches...); err != nil {
		for _, m := range ok {
			m.err = err
		}
	}
	return ran
}

// endsGroup reports whether the group commits after a: the dispatcher's
// passes do, so that their rings are published without waiting for the
// actions queued behind them, and so do actions with events a bus watcher
// acts on (events.Bus.Watched).
func (w *Writer) endsGroup(a *action) bool {
	return a.urgent || w.Bus.Watched(&a.tx.batch)
}

// outcome is how an action ended inside its group's transaction.
type outcome int

const (
	actionDone   outcome = iota // ran and released: commits with the group
	actionFailed                // failed or panicked, rolled back alone
	actionLost                  // failed, and its savepoint could not be rolled back
)

// runAction runs a in etx, inside a savepoint when others ran before it.
// On failure a.err (or a.panicked) is set and its savepoint rolled back.
func (w *Writer) runAction(etx *ent.Tx, a *action, savepoint bool) outcome {
	if err := a.ctx.Err(); err != nil { // timed out while queued
		a.err = err
		return actionFailed
	}
	if savepoint {
		if _, err := etx.ExecContext(a.ctx, "SAVEPOINT action"); err != nil {
			a.err = err
			return actionLost
		}
	}
	a.tx = &Tx{Tx: etx, single: true}
	ctx := context.WithValue(ent.NewTxContext(a.ctx, etx), txKey{}, a.tx)
	func() {
		defer func() {
			if p := recover(); p != nil {
				// Raised again on the caller's goroutine, with this stack.
				a.panicked = fmt.Sprintf("%v\n\n(in a write action, run by the group's leader)\n%s", p, debug.Stack())
			}
		}()
		a.err = a.fn(ctx, a.tx)
	}()
	if a.err == nil && a.panicked == nil {
		if savepoint {
			if _, err := etx.ExecContext(a.ctx, "RELEASE action"); err != nil {
				a.err = err
				return actionLost
			}
		}
		return actionDone
	}
	if !savepoint {
		return actionFailed
	}
	// A failed statement can end SQLite's transaction by itself (a full
	// disk, an I/O error): then the savepoint is gone too.
	ctx = context.WithoutCancel(a.ctx)
	for _, stmt := range []string{"ROLLBACK TO action", "RELEASE action"} {
		if _, err := etx.ExecContext(ctx, stmt); err != nil {
			if a.err == nil {
				a.err = fmt.Errorf("rollback: %w", err)
			} else {
				a.err = fmt.Errorf("%w (rollback: %v)", a.err, err)
			}
			return actionLost
		}
	}
	return actionFailed
}
