package app

import (
	"context"
	"fmt"
	"sync"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/live"
)

// socketTracker remembers open websockets, so shutdown can close them with
// a code clients retry, and tells who waits when one closes.
type socketTracker struct {
	mu      sync.Mutex
	conns   map[*wsConn]struct{}
	changed chan struct{} // closed and replaced at each close
}

func newSocketTracker() *socketTracker {
	return &socketTracker{conns: map[*wsConn]struct{}{}, changed: make(chan struct{})}
}

func (t *socketTracker) add(c *wsConn) {
	t.mu.Lock()
	t.conns[c] = struct{}{}
	t.mu.Unlock()
}

func (t *socketTracker) remove(c *wsConn) {
	t.mu.Lock()
	delete(t.conns, c)
	close(t.changed)
	t.changed = make(chan struct{})
	t.mu.Unlock()
}

func (t *socketTracker) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.conns)
}

// waitAtMost returns once at most n websockets are open, or ctx ends.
func (t *socketTracker) waitAtMost(ctx context.Context, n int) error {
	for {
		t.mu.Lock()
		open, changed := len(t.conns), t.changed
		t.mu.Unlock()
		if open <= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("%d websockets still open: %w", open, ctx.Err())
		}
	}
}

func (t *socketTracker) closeAll(code int, reason string) {
	t.mu.Lock()
	conns := make([]*wsConn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	for _, c := range conns {
		c.closeWith(code, reason, false)
	}
}

// WaitWebsockets returns once at most n websockets are open (tests wait on
// it for the server to drop a connection), or ctx ends.
func (a *App) WaitWebsockets(ctx context.Context, n int) error { return a.sockets.waitAtMost(ctx, n) }

// websocketInit authenticates a connection (auth.Service.WebsocketInit),
// caps the sockets of its credential, keeps the credential checked for
// the life of the socket (socketguard.go), and gives the context a way for
// subscriptions to close the connection with a code and reason
// (live.WithCloseFunc). A refused connection gets its close code and
// reason.
func (a *App) websocketInit(ctx context.Context, c *wsConn, p transport.InitPayload) (context.Context, int, string) {
	ctx, code, err := a.Auth.WebsocketInit(ctx, p)
	if err != nil {
		return ctx, code, auth.CloseReason(apperr.From(err).Message)
	}
	v := auth.FromContext(ctx)
	if n, limit := a.guard.open(v); n >= limit {
		return ctx, CloseTooManyInits, fmt.Sprintf("too many open websockets for this credential (at most %d)", limit)
	}
	// Frames already queued (a refused subscription's error) go first,
	// except for a client too far behind, whose queue is what is dropped.
	closeFunc := func(code int, reason string) { c.closeWith(code, reason, code != live.CloseTooSlow) }
	guarded := a.guard.watch(c.ctx, auth.InitCredential(p), v, closeFunc)
	ctx = context.WithValue(ctx, guardedSocketKey{}, guarded)
	return live.WithCloseFunc(ctx, closeFunc), 0, ""
}
