package store

import "context"

// DoOnContext runs fn as a queued action on ctx itself (Do gives every action a
// context of its own, which the caller cannot end).
func (w *Writer) DoOnContext(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	return w.queued(ctx, fn)
}
