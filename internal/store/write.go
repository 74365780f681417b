package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/apperr"
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
	// groups queues and groups the writes of a single-writer store
	// (group.go); nil otherwise.
	groups *groups
	// faulted is set when a write failed because the store could not take
	// it (apperr.IsStorageFault: a full disk, an I/O error) and cleared by
	// the next write that commits.
	faulted atomic.Bool
}

// NewWriter returns the writer of client; singleWriter says the store takes
// one write transaction at a time (SQLite), so the writer queues the
// writes itself, the dispatcher's (Urgent) first, and commits those queued
// together in one transaction (group.go). Without the queue every routing
// decision waited behind all the agents' writes queued for the one
// connection, in no particular order (switchboard bench).
func NewWriter(client *ent.Client, bus *events.Bus, singleWriter bool) *Writer {
	w := &Writer{Client: client, Bus: bus}
	if singleWriter {
		w.groups = &groups{maxActions: DefaultGroupActions}
	}
	return w
}

// Tx is one write transaction (on SQLite, one action of a group sharing
// a transaction: group.go): ent's Tx and the events appended in it.
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
	var err error
	if w.groups != nil {
		err = w.queued(ctx, fn)
	} else {
		err = w.run(ctx, fn)
	}
	switch {
	case err == nil:
		w.faulted.Store(false)
	case apperr.IsStorageFault(err):
		w.faulted.Store(true)
	}
	return err
}

// run is one transaction of Do on a store with concurrent writers.
func (w *Writer) run(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	etx, err := w.Client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{Tx: etx}
	ctx = context.WithValue(ent.NewTxContext(ctx, etx), txKey{}, tx)
	if err := fn(ctx, tx); err != nil {
		if rerr := etx.Rollback(); rerr != nil {
			return fmt.Errorf("%w (rollback: %v)", err, rerr)
		}
		return err
	}
	return w.Bus.Commit(ctx, etx, &tx.batch)
}

// Ready reports whether the store takes writes. After a write failed for
// the store's sake (a full disk, an I/O error) it tries a small write of
// its own, so an idle server notices when space is back; until a write
// commits it returns the fault.
func (w *Writer) Ready(ctx context.Context) error {
	if !w.faulted.Load() {
		return nil
	}
	return w.Do(ctx, func(ctx context.Context, tx *Tx) error {
		if w.groups == nil {
			// PostgreSQL: a transaction id makes the commit write to the WAL.
			_, err := tx.ExecContext(ctx, "SELECT txid_current()")
			return err
		}
		// SQLite: rewriting the header's user_version writes a page.
		rows, err := tx.QueryContext(ctx, "PRAGMA user_version")
		if err != nil {
			return err
		}
		var version int
		err = scanOne(rows, &version)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version))
		return err
	})
}

// scanOne reads the single value of a one-row result and closes it.
func scanOne(rows *sql.Rows, v any) error {
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(v); err != nil {
		return err
	}
	return rows.Close()
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
