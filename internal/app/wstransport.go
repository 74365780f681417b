package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/coder/websocket"

	"github.com/switchboard/switchboard/internal/events"
)

// wsTransport serves GraphQL over a websocket (graphql-transport-ws, and
// the legacy graphql-ws of subscriptions-transport-ws) on coder/websocket.
// It replaces gqlgen's transport.Websocket, which runs four to five
// goroutines for every connection: here an idle connection has one,
// reading; a subscription of the live package has the
// goroutine of its stream, which builds each response itself
// (live.Operation); frames go out through a queue that a goroutine writes
// only while it holds frames.
type wsTransport struct{ a *App }

// Supports takes websocket upgrades.
func (wsTransport) Supports(r *http.Request) bool { return r.Header.Get("Upgrade") != "" }

// Do upgrades the request and serves the connection until it ends.
func (t wsTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	a := t.a
	ws, err := websocket.Accept(smallBuffers{w}, r, &websocket.AcceptOptions{
		Subprotocols:   []string{graphqlTransportWS, graphqlWS},
		OriginPatterns: a.Config.AllowedOrigins,
	})
	if err != nil {
		return // Accept answered the request
	}
	ws.SetReadLimit(a.Config.MaxBodyBytes)
	c := &wsConn{a: a, ws: ws, exec: exec, headers: r.Header, ops: map[string]*wsOperation{},
		legacy: ws.Subprotocol() != graphqlTransportWS, initDone: make(chan struct{})}
	// The connection outlives the request: its context keeps the
	// request's values (not its end), and it is read on a goroutine of
	// its own, so the request's goroutine, whose stack grew through every
	// middleware, ends now.
	c.ctx, c.cancel = context.WithCancel(context.WithValue(context.WithoutCancel(r.Context()), wsConnKey{}, c))
	a.sockets.add(c)
	go func() {
		defer a.sockets.remove(c)
		c.serve()
	}()
}

type wsConnKey struct{}

// smallBuffers hands coder/websocket, which keeps for the life of the
// connection the reader and writer the HTTP server hijacks with (4 KiB
// each), smaller ones: an idle connection holds them, and frames larger
// than a buffer bypass it.
type smallBuffers struct{ http.ResponseWriter }

// Buffer sizes of a websocket's connection (smallBuffers): a client's
// messages are small; a response frame is written as its header and its
// payload.
const (
	wsReadBuffer  = 512
	wsWriteBuffer = 1024
)

// Hijack takes over the connection with smaller buffers.
func (w smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil {
		_ = conn.Close()
		return nil, nil, err
	}
	br := bufio.NewReaderSize(conn, wsReadBuffer)
	if n := brw.Reader.Buffered(); n > 0 {
		// What the client sent after the upgrade request is read first:
		// it stays buffered, where coder/websocket looks for it.
		b, _ := brw.Reader.Peek(n)
		br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(b)), conn), max(wsReadBuffer, n))
		if _, err := br.Peek(n); err != nil {
			_ = conn.Close()
			return nil, nil, err
		}
	}
	return conn, bufio.NewReadWriter(br, bufio.NewWriterSize(conn, wsWriteBuffer)), nil
}

// wsConn is one websocket connection.
type wsConn struct {
	a       *App
	ws      *websocket.Conn
	exec    graphql.GraphExecutor
	headers http.Header
	legacy  bool // graphql-ws (subscriptions-transport-ws), not graphql-transport-ws
	// ctx is the connection's: its end (cancel) ends every operation.
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	initSeen bool
	acked    bool
	initCtx  context.Context // the authenticated context, once acked
	ops      map[string]*wsOperation
	ending   bool // a close was decided: nothing more is queued
	queue    []outFrame
	queued   int64 // bytes in queue
	writing  bool  // a goroutine is writing the queue
	// keep-alive (keepalive.go)
	timer     *time.Timer
	awaiting  bool // a ping went out and its pong has not come
	checking  bool // the timer's next run checks the pong
	initDone  chan struct{}
	closeOnce sync.Once

	pendingMu sync.Mutex
	pending   []pendingFrame // ring frames to time when written
}

// outFrame is a queued frame, or a close to send after the frames before it.
type outFrame struct {
	data   []byte
	close  bool
	code   int
	reason string
}

// maxQueuedBytes bounds the frames waiting for one connection: a client
// that stops reading while its subscriptions get events is closed with
// 1013 (live.CloseTooSlow) once this much waits, and resumes from its
// cursors.
const maxQueuedBytes = events.BufferBytes

// serve reads until the connection ends.
func (c *wsConn) serve() {
	defer c.end()
	go c.closeAtInitTimeout()
	for {
		_, data, err := c.ws.Read(context.Background())
		if err != nil {
			return
		}
		if c.legacy {
			c.legacyMessage(data)
		} else {
			c.transportMessage(data)
		}
	}
}

// end releases the connection once its reader stopped.
func (c *wsConn) end() {
	c.mu.Lock()
	closing := c.ending
	c.ending = true
	if c.timer != nil {
		c.timer.Stop()
	}
	c.mu.Unlock()
	c.endInit()
	c.cancel()
	if !closing {
		_ = c.ws.CloseNow()
	}
}

func (c *wsConn) endInit() { c.closeOnce.Do(func() { close(c.initDone) }) }

// send queues a frame that is not a response (an ack, ping, pong,
// complete or error): small, and never refused.
func (c *wsConn) send(frame []byte) bool { return c.queueFrame(frame, false) }

// queueFrame queues a frame. A response (bounded) that would make the
// frames waiting pass maxQueuedBytes is refused: queueFrame reports false
// and the caller closes the connection with 1013.
func (c *wsConn) queueFrame(frame []byte, bounded bool) bool {
	c.mu.Lock()
	if c.ending {
		c.mu.Unlock()
		return true // closing: the frame is not wanted any more
	}
	// One frame may be larger than the bound (a large query result); what
	// waits behind it may not.
	if bounded && c.queued > 0 && c.queued+int64(len(frame)) > maxQueuedBytes {
		// The caller closes the connection with 1013: a stream through
		// live's slow-subscriber path (logged and counted), any other
		// operation in wsOperation.run.
		c.mu.Unlock()
		return false
	}
	c.queue = append(c.queue, outFrame{data: frame})
	c.queued += int64(len(frame))
	c.startWriter()
	c.mu.Unlock()
	return true
}

// sendJSON queues v as a frame.
func (c *wsConn) sendJSON(v any) bool {
	b, err := json.Marshal(v)
	if err != nil {
		return true
	}
	return c.send(b)
}

// closeWith closes the connection with code and reason, once: after the
// frames already queued when flush is set, else at once (what is queued is
// dropped). Every operation of the connection ends.
func (c *wsConn) closeWith(code int, reason string, flush bool) {
	c.mu.Lock()
	if c.ending {
		c.mu.Unlock()
		return
	}
	c.ending = true
	if c.timer != nil {
		c.timer.Stop()
	}
	if !flush {
		c.queue, c.queued = nil, 0
	}
	c.queue = append(c.queue, outFrame{close: true, code: code, reason: reason})
	c.startWriter()
	c.mu.Unlock()
	c.endInit()
	c.cancel()
}

// startWriter starts the writing goroutine unless it runs; c.mu is held.
func (c *wsConn) startWriter() {
	if !c.writing {
		c.writing = true
		go c.writeQueue()
	}
}

// writeQueue writes the queued frames, each within the write timeout (a
// client that stops reading has its connection dropped), and returns when
// the queue is empty.
func (c *wsConn) writeQueue() {
	for {
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.queue, c.writing = nil, false
			c.mu.Unlock()
			return
		}
		f := c.queue[0]
		c.queue[0] = outFrame{}
		c.queue = c.queue[1:]
		c.queued -= int64(len(f.data))
		c.mu.Unlock()
		if f.close {
			// Close writes the close frame under the same write timeout
			// and waits for the client's, then drops the connection.
			_ = c.ws.Close(websocket.StatusCode(f.code), f.reason)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.a.Config.WebsocketWriteTimeout)
		err := c.ws.Write(ctx, websocket.MessageText, f.data)
		cancel()
		if err != nil {
			// coder/websocket closed the connection; the reader ends.
			c.mu.Lock()
			c.ending, c.queue, c.queued, c.writing = true, nil, 0, false
			c.mu.Unlock()
			c.cancel()
			_ = c.ws.CloseNow()
			return
		}
		c.written(f.data)
	}
}

// written times a ring's frame once written (ringlatency.go).
func (c *wsConn) written(frame []byte) {
	rings := c.a.metrics.rings
	if rings == nil {
		return
	}
	c.pendingMu.Lock()
	defer c.pendingMu.Unlock()
	if len(c.pending) == 0 {
		return
	}
	at := time.Now()
	for i, p := range c.pending {
		if bytes.Contains(frame, p.data) {
			rings.hist.Observe(at.Sub(p.committed).Seconds())
			c.pending = append(c.pending[:i], c.pending[i+1:]...)
			return
		}
	}
}

// closeAtInitTimeout closes the connection with 4408 (graphql-transport-ws)
// or connection_error and 1011 (graphql-ws) when it was not acknowledged
// InitTimeout after it opened, on the engine's clock.
func (c *wsConn) closeAtInitTimeout() {
	select {
	case <-c.a.Config.Clock.At(c.a.Config.Clock.Now().Add(InitTimeout)):
		c.mu.Lock()
		acked := c.acked
		c.mu.Unlock()
		if !acked {
			c.refuse(CloseInitTimeout, "Connection initialisation timeout")
		}
	case <-c.initDone:
	}
}
