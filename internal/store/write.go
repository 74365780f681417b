package store

import (
	"context"
	"fmt"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/events"
)

// Writer runs every write transaction of the server: the engine's, the
// admin service's, authentication's and the outbox's. A transaction
// request cancellation cannot cut short (it has its own timeout), that
// takes its turn for a single-writer store (the dispatcher's first), and
// whose events are inserted and published when it commits (events.Bus).
// Mutations do not use entgql.Transactioner: it would hold SQLite's single
// writer for the whole request, resolving the payload included, on a
// cancellable context.
type Writer struct {
	Client *ent.Client
	Bus    *events.Bus
	// turns orders writes on a single-writer store; nil otherwise.
	turns *turns
}

// NewWriter returns the writer of client; singleWriter says the store takes
// one write transaction at a time (SQLite), so the writer queues them
// itself, the dispatcher's (Urgent) first. Without it every routing
// decision waited behind all the agents' writes queued for the one
// connection, in no particular order (switchboard bench).
func NewWriter(client *ent.Client, bus *events.Bus, singleWriter bool) *Writer {
	w := &Writer{Client: client, Bus: bus}
	if singleWriter {
		w.turns = &turns{}
	}
	return w
}

// Tx is one write transaction: ent's Tx and the events appended in it.
// Hooks registered with OnCommit run after the commit.
type Tx struct {
	*ent.Tx
	batch events.Batch
	// single: the store has one writer (SQLite).
	single bool
}

// SingleWriter reports whether the store takes one write transaction at a
// time (SQLite): no other writer changed a row between this transaction's
// reads and writes.
func (tx *Tx) SingleWriter() bool { return tx.single }

// Emit appends an event, inserted and published when the transaction
// commits.
func (tx *Tx) Emit(e events.Event) { tx.batch.Append(e) }

// Emitted reports whether an event of topic was appended already.
func (tx *Tx) Emitted(topic string) bool { return tx.batch.Has(topic) }

// Batch is the transaction's batch of events, for code that appends to an
// events.Batch.
func (tx *Tx) Batch() *events.Batch { return &tx.batch }

// Committed returns the transaction's events as stored, once it committed.
func (tx *Tx) Committed() []*ent.Event { return tx.batch.Rows() }

type txKey struct{}

// Do runs fn in a write transaction and commits it when fn returns nil.
// Called inside another Do (ctx carries its Tx), fn joins that transaction.
func (w *Writer) Do(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	if tx, _ := ctx.Value(txKey{}).(*Tx); tx != nil {
		return fn(ctx, tx)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), WriteTimeout)
	defer cancel()
	if w.turns != nil {
		if err := w.turns.take(ctx); err != nil {
			return err
		}
		defer w.turns.give()
	}
	etx, err := w.Client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{Tx: etx, single: w.turns != nil}
	ctx = context.WithValue(ent.NewTxContext(ctx, etx), txKey{}, tx)
	if err := fn(ctx, tx); err != nil {
		if rerr := etx.Rollback(); rerr != nil {
			return fmt.Errorf("%w (rollback: %v)", err, rerr)
		}
		return err
	}
	return w.Bus.Commit(ctx, etx, &tx.batch)
}

// Write runs fn in a write transaction, as Do does, and returns its
// result. When this call owns the transaction, an ent entity fn returns is
// unwrapped after the commit, so that edges resolved later (a mutation
// payload's nested fields) load through the client instead of failing on
// the closed transaction. Inside another transaction the owner unwraps.
func Write[T any](ctx context.Context, w *Writer, fn func(ctx context.Context, tx *Tx) (T, error)) (T, error) {
	owned := ctx.Value(txKey{}) == nil
	var out T
	err := w.Do(ctx, func(ctx context.Context, tx *Tx) (err error) {
		out, err = fn(ctx, tx)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	if owned {
		out = Unwrap(out)
	}
	return out, nil
}
