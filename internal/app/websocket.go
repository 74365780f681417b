package app

import (
	"net/http"
	"sync"

	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// socketTracker remembers open websockets so shutdown can close them with a
// code clients retry; gqlgen would otherwise close them with 1000 ("normal").
type socketTracker struct {
	transport.CoderWebsocketImplementation
	mu    sync.Mutex
	conns map[transport.WebsocketConn]struct{}
}

func newSocketTracker() *socketTracker {
	return &socketTracker{conns: map[transport.WebsocketConn]struct{}{}}
}

// Accept accepts and tracks a connection.
func (t *socketTracker) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c, err := t.CoderWebsocketImplementation.Accept(w, r, o)
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{WebsocketConn: c, t: t}
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
}

// Close forgets the connection and closes it.
func (c *trackedConn) Close() error {
	c.t.mu.Lock()
	delete(c.t.conns, c)
	c.t.mu.Unlock()
	return c.WebsocketConn.Close()
}
