package app

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/clock"
	"github.com/switchboard/switchboard/internal/live"
)

// socketTracker remembers open websockets so shutdown can close them with a
// code clients retry; gqlgen would otherwise close them with 1000 ("normal").
type socketTracker struct {
	transport.CoderWebsocketImplementation
	mu    sync.Mutex
	conns map[transport.WebsocketConn]struct{}
	rings *ringLatency // times ring frames; nil: not timed
	clock clock.Clock  // times the init timeout
}

func newSocketTracker(clk clock.Clock) *socketTracker {
	return &socketTracker{conns: map[transport.WebsocketConn]struct{}{}, clock: clk}
}

// Accept accepts and tracks a connection.
func (t *socketTracker) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c, err := t.CoderWebsocketImplementation.Accept(w, r, o)
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{WebsocketConn: c, t: t}
	if c.Subprotocol() == graphqlTransportWS {
		tc.protocol = newProtocolState()
		t.closeAtInitTimeout(tc)
	}
	if slot, ok := r.Context().Value(socketSlotKey{}).(*socketSlot); ok {
		slot.conn = tc
	}
	t.mu.Lock()
	t.conns[tc] = struct{}{}
	t.mu.Unlock()
	return tc, nil
}

func (t *socketTracker) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.conns)
}

func (t *socketTracker) closeAll(code int, reason string) {
	t.mu.Lock()
	conns := make([]transport.WebsocketConn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	for _, c := range conns {
		_ = c.WriteClose(code, reason)
	}
}

type trackedConn struct {
	transport.WebsocketConn
	t *socketTracker

	pendingMu sync.Mutex
	pending   []pendingFrame // ring frames to time when written

	// protocol enforces graphql-transport-ws (wsprotocol.go); nil for the
	// legacy graphql-ws.
	protocol *protocolState
}

// Close forgets the connection and closes it.
func (c *trackedConn) Close() error {
	c.t.mu.Lock()
	delete(c.t.conns, c)
	c.t.mu.Unlock()
	if c.protocol != nil {
		c.protocol.endInit()
	}
	return c.WebsocketConn.Close()
}

type socketSlotKey struct{}

// socketSlot carries an accepted connection from Accept to the init
// function: gqlgen gives both the same request context and nothing else.
type socketSlot struct{ conn transport.WebsocketConn }

// withSocketSlot gives websocket upgrade requests a slot for their
// connection.
func withSocketSlot(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			r = r.WithContext(context.WithValue(r.Context(), socketSlotKey{}, &socketSlot{}))
		}
		next.ServeHTTP(w, r)
	})
}

// websocketInit authenticates a connection (auth.Service.WebsocketInit)
// and gives its context a way for subscriptions to close it with a code
// and reason (live.WithCloseFunc). The close frame is written first and
// the context cancelled after, so that gqlgen's own close on cancellation
// (1000 "terminated") is not what the client sees, and every subscription
// of the connection ends even when a client that stopped reading holds
// gqlgen's writer.
func (a *App) websocketInit(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	ctx, ack, err := a.Auth.WebsocketInit(ctx, p)
	if err != nil {
		return ctx, ack, err
	}
	slot, _ := ctx.Value(socketSlotKey{}).(*socketSlot)
	ctx, cancel := context.WithCancel(ctx)
	closeFunc := func(code int, reason string) {
		if slot != nil && slot.conn != nil {
			_ = slot.conn.WriteClose(code, reason)
		}
		cancel()
	}
	v := auth.FromContext(ctx)
	if n, limit := a.guard.open(v); n >= limit {
		cancel()
		ctx = transport.WithWebsocketCloseCode(transport.AppendCloseReason(ctx,
			fmt.Sprintf("too many open websockets for this credential (at most %d)", limit)), CloseTooManyInits)
		return ctx, nil, apperr.New(apperr.LimitExceeded, "too many open websockets for this credential")
	}
	guarded := a.guard.watch(ctx, auth.InitCredential(p), v, closeFunc)
	ctx = context.WithValue(ctx, guardedSocketKey{}, guarded)
	return live.WithCloseFunc(ctx, closeFunc), ack, nil
}
