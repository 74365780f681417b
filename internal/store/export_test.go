package store

import "context"

// QueuedActions is how many actions wait for the single writer.
func (w *Writer) QueuedActions() int {
	w.groups.mu.Lock()
	defer w.groups.mu.Unlock()
	return len(w.groups.urgent) + len(w.groups.waiting)
}

// Queued runs fn as a queued action on ctx itself (Do gives every action a
// context of its own, which the caller cannot end).
func (w *Writer) Queued(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	return w.queued(ctx, fn)
}
