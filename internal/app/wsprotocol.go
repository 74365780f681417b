package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
)

// Close codes of graphql-transport-ws, as its specification names them,
// and the limits this server adds.
const (
	CloseBadRequest       = 4400 // a message that is not JSON, has an unknown type, or a subscribe without id
	CloseUnauthorized     = 4401 // subscribe before connection_ack
	CloseInitTimeout      = 4408 // no connection_init within InitTimeout
	CloseDuplicateID      = 4409 // subscribe with the id of a running subscription
	CloseTooManyInits     = 4429 // a second connection_init; also too many sockets for one credential
	graphqlTransportWS    = "graphql-transport-ws"
	InitTimeout           = 3 * time.Second
	WriteTimeout          = 10 * time.Second
	MaxSubscriptions      = 100 // running subscriptions on one socket
	MaxSocketsPerAgent    = 10  // open sockets of one agent (tabs, devices)
	MaxSocketsPerCustomer = 3   // open sockets of one customer token
	MaxSocketsPerAPIKey   = 200 // open sockets of one integration
)

// protocolState is what a graphql-transport-ws connection has seen, to
// enforce the protocol where gqlgen's transport is lenient: it closes with
// the specification's codes, refuses duplicate and missing ids, and caps
// the subscriptions of a socket.
type protocolState struct {
	mu       sync.Mutex
	initSeen bool
	acked    bool
	active   map[string]bool
	initDone chan struct{}
	doneOnce sync.Once
}

func newProtocolState() *protocolState {
	return &protocolState{active: map[string]bool{}, initDone: make(chan struct{})}
}

func (p *protocolState) endInit() { p.doneOnce.Do(func() { close(p.initDone) }) }

// clientMessage is a graphql-transport-ws message from the client.
type clientMessage struct {
	Type    string          `json:"type"`
	ID      *string         `json:"id"`
	Payload json.RawMessage `json:"payload"`
}

// SetReadLimit passes gqlgen's read limit to the connection, which the
// embedded interface would hide.
func (c *trackedConn) SetReadLimit(limit int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(limit)
	}
}

// SetReadDeadline passes gqlgen's pong deadline to the connection: a
// client that does not answer pings is dropped.
func (c *trackedConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}

// NextReader reads the next message, checking it against the protocol
// first; a message the protocol forbids closes the connection with its code.
func (c *trackedConn) NextReader() (int, io.Reader, error) {
	for {
		typ, r, err := c.WebsocketConn.NextReader()
		if err != nil || c.protocol == nil {
			return typ, r, err
		}
		data, err := io.ReadAll(r)
		if err != nil {
			return typ, nil, err
		}
		pass, code, reason := c.check(data)
		if code != 0 {
			_ = c.WebsocketConn.WriteClose(code, reason)
			return typ, nil, transport.ErrWebsocketClosed
		}
		if pass {
			return typ, bytes.NewReader(data), nil
		}
	}
}

// check judges a client message: pass it to gqlgen, drop it (after
// answering it here), or close the connection with code and reason.
func (c *trackedConn) check(data []byte) (pass bool, code int, reason string) {
	var m clientMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return false, CloseBadRequest, "Invalid message received: not a JSON object"
	}
	p := c.protocol
	p.mu.Lock()
	defer p.mu.Unlock()
	switch m.Type {
	case "connection_init":
		if p.initSeen {
			return false, CloseTooManyInits, "Too many initialisation requests"
		}
		p.initSeen = true
	case "subscribe":
		switch {
		case !p.acked:
			return false, CloseUnauthorized, "Unauthorized"
		case m.ID == nil || *m.ID == "":
			return false, CloseBadRequest, "Invalid message received: subscribe without an id"
		case p.active[*m.ID]:
			return false, CloseDuplicateID, auth.CloseReason("Subscriber for " + *m.ID + " already exists")
		case len(p.active) >= MaxSubscriptions:
			go c.refuseSubscription(*m.ID)
			return false, 0, ""
		}
		p.active[*m.ID] = true
	case "complete":
		// The id stays taken until the server's complete for it: gqlgen
		// forgets an id when its subscription's goroutine ends, which
		// would also forget a new subscription reusing it before then.
	case "ping":
		if !p.acked {
			// gqlgen expects connection_init first; the protocol allows a
			// ping at any time, so it is answered here.
			go func() { _ = c.writeFrame(map[string]any{"type": "pong"}) }()
			return false, 0, ""
		}
	case "pong":
	default:
		return false, CloseBadRequest, auth.CloseReason(fmt.Sprintf("Invalid message received: type %q", m.Type))
	}
	return true, 0, ""
}

// refuseSubscription answers a subscribe over the cap with an error.
func (c *trackedConn) refuseSubscription(id string) {
	payload, _ := json.Marshal([]map[string]any{{
		"message":    fmt.Sprintf("at most %d subscriptions may run on one websocket", MaxSubscriptions),
		"extensions": map[string]any{"code": string(apperr.LimitExceeded)},
	}})
	_ = c.writeFrame(map[string]any{"id": id, "type": "error", "payload": json.RawMessage(payload)})
}

// observe follows what the server sends: the ack opens the connection, a
// complete or error ends a subscription's id.
func (c *trackedConn) observe(v any) {
	if c.protocol == nil {
		return
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return
	}
	typ, id := rv.FieldByName("Type"), rv.FieldByName("ID")
	if !typ.IsValid() || !id.IsValid() || typ.Kind() != reflect.String || id.Kind() != reflect.String {
		return
	}
	p := c.protocol
	switch typ.String() {
	case "connection_ack":
		p.mu.Lock()
		p.acked = true
		p.mu.Unlock()
		p.endInit()
	case "complete", "error":
		p.mu.Lock()
		delete(p.active, id.String())
		p.mu.Unlock()
	}
}

// WriteJSON writes a frame from gqlgen.
func (c *trackedConn) WriteJSON(v any) error {
	c.observe(v)
	return c.writeTimed(v)
}

// writeFrame writes one frame within WriteTimeout: a client that stops
// reading has its connection dropped rather than holding the writer (and
// every subscription of the socket) for ever.
func (c *trackedConn) writeFrame(v any) error {
	timer := time.AfterFunc(WriteTimeout, func() { _ = c.WebsocketConn.Close() })
	defer timer.Stop()
	return c.WebsocketConn.WriteJSON(v)
}

// closeAtInitTimeout closes the connection with 4408 when no
// connection_ack was sent InitTimeout after it opened.
func (t *socketTracker) closeAtInitTimeout(c *trackedConn) {
	deadline := t.clock.At(t.clock.Now().Add(InitTimeout))
	go func() {
		select {
		case <-deadline:
			c.protocol.mu.Lock()
			acked := c.protocol.acked
			c.protocol.mu.Unlock()
			if !acked {
				_ = c.WebsocketConn.WriteClose(CloseInitTimeout, "Connection initialisation timeout")
			}
		case <-c.protocol.initDone:
		}
	}()
}
