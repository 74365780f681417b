package app

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/live"
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
	MaxSubscriptions      = 100 // running subscriptions on one socket
	MaxSocketsPerAgent    = 10  // open sockets of one agent (tabs, devices)
	MaxSocketsPerCustomer = 3   // open sockets of one customer token
	MaxSocketsPerAPIKey   = 200 // open sockets of one integration
)

// Close codes of both protocols that are not graphql-transport-ws's own.
const (
	// CloseNoPong closes a connection that did not answer a ping within
	// Config.WebsocketPongTimeout (1008, policy violation).
	CloseNoPong = 1008
	// CloseLegacyRefused follows graphql-ws's connection_error, as
	// subscriptions-transport-ws closes a refused connection (1011).
	CloseLegacyRefused = 1011
	// CloseLegacyTerminate answers graphql-ws's connection_terminate.
	CloseLegacyTerminate = 1000
	closeTooSlow         = live.CloseTooSlow
	graphqlWS            = "graphql-ws"
)

// clientMessage is a message from the client, in either protocol.
type clientMessage struct {
	Type    string          `json:"type"`
	ID      *string         `json:"id"`
	Payload json.RawMessage `json:"payload"`
}

// transportState is what a graphql-transport-ws connection has seen.
type transportState struct {
	initSeen, acked bool
	running         func(id string) bool
}

// check judges a graphql-transport-ws message against the protocol: the
// close code and reason it breaks it with (0 when it does not), and the
// message.
func (s transportState) check(data []byte) (m clientMessage, code int, reason string) {
	if err := json.Unmarshal(data, &m); err != nil {
		return m, CloseBadRequest, "Invalid message received: not a JSON object"
	}
	switch m.Type {
	case "connection_init":
		if s.initSeen {
			return m, CloseTooManyInits, "Too many initialisation requests"
		}
	case "subscribe":
		switch {
		case !s.acked:
			return m, CloseUnauthorized, "Unauthorized"
		case m.ID == nil || *m.ID == "":
			return m, CloseBadRequest, "Invalid message received: subscribe without an id"
		case s.running(*m.ID):
			return m, CloseDuplicateID, auth.CloseReason("Subscriber for " + *m.ID + " already exists")
		}
	case "complete", "ping", "pong":
	default:
		return m, CloseBadRequest, auth.CloseReason(fmt.Sprintf("Invalid message received: type %q", m.Type))
	}
	return m, 0, ""
}

// transportMessage handles one graphql-transport-ws message.
func (c *wsConn) transportMessage(data []byte) {
	c.mu.Lock()
	st := transportState{initSeen: c.initSeen, acked: c.acked, running: func(id string) bool { return c.ops[id] != nil }}
	m, code, reason := st.check(data)
	if code == 0 && m.Type == "connection_init" {
		c.initSeen = true
	}
	c.mu.Unlock()
	if code != 0 {
		c.closeWith(code, reason, true)
		return
	}
	switch m.Type {
	case "connection_init":
		c.init(m.Payload)
	case "subscribe":
		c.subscribe(*m.ID, m.Payload)
	case "complete":
		if m.ID != nil {
			c.stop(*m.ID, false)
		}
	case "ping":
		c.send(pongFrame)
	case "pong":
		c.mu.Lock()
		c.awaiting = false
		c.mu.Unlock()
	}
}

// legacyMessage handles one graphql-ws message as
// subscriptions-transport-ws's server does: a message that does not parse
// is answered with connection_error, an unknown type with an error, a
// start with a running id replaces that operation, stop ends one without
// a complete, connection_terminate closes the socket.
func (c *wsConn) legacyMessage(data []byte) {
	var m clientMessage
	if err := json.Unmarshal(data, &m); err != nil {
		c.sendJSON(map[string]any{"type": "connection_error", "payload": map[string]any{"message": "Invalid message received: not a JSON object"}})
		return
	}
	id := ""
	if m.ID != nil {
		id = *m.ID
	}
	c.mu.Lock()
	initSeen, acked := c.initSeen, c.acked
	if m.Type == "connection_init" {
		c.initSeen = true
	}
	c.mu.Unlock()
	switch m.Type {
	case "connection_init":
		if initSeen {
			c.refuse(CloseTooManyInits, "Too many initialisation requests")
			return
		}
		c.init(m.Payload)
	case "start":
		switch {
		case !acked:
			c.sendError(id, apperr.New(apperr.Unauthenticated, "send connection_init first"))
		case id == "":
			c.sendError(id, apperr.New(apperr.Validation, "start without an id"))
		default:
			c.stop(id, true)
			c.subscribe(id, m.Payload)
		}
	case "stop":
		c.stop(id, true)
	case "connection_terminate":
		c.closeWith(CloseLegacyTerminate, "", true)
	default:
		c.sendError(id, apperr.New(apperr.Validation, "Invalid message type!"))
	}
}

// refuse ends a connection that breaks the protocol or may not stay: with
// code and reason in graphql-transport-ws; with connection_error carrying
// the reason and 1011 in graphql-ws.
func (c *wsConn) refuse(code int, reason string) {
	if c.legacy {
		c.sendJSON(map[string]any{"type": "connection_error", "payload": map[string]any{"message": reason, "code": code}})
		c.closeWith(CloseLegacyRefused, reason, true)
		return
	}
	c.closeWith(code, reason, true)
}

// init authenticates connection_init and acknowledges it.
func (c *wsConn) init(payload json.RawMessage) {
	var p transport.InitPayload
	if len(payload) > 0 && string(payload) != "null" {
		if err := json.Unmarshal(payload, &p); err != nil {
			c.refuse(CloseBadRequest, "Invalid message received: connection_init payload is not an object")
			return
		}
	}
	ctx, code, reason := c.a.websocketInit(c.ctx, c, p)
	if code != 0 {
		c.refuse(code, reason)
		return
	}
	c.mu.Lock()
	c.acked, c.initCtx = true, ctx
	c.mu.Unlock()
	c.endInit()
	c.send(ackFrame)
	c.startKeepAlive()
}

var (
	ackFrame  = []byte(`{"type":"connection_ack"}`)
	pingFrame = []byte(`{"type":"ping"}`)
	pongFrame = []byte(`{"type":"pong"}`)
	kaFrame   = []byte(`{"type":"ka"}`)
)

// sendError sends an operation's error message.
func (c *wsConn) sendError(id string, e *apperr.Error) {
	c.sendJSON(map[string]any{"id": id, "type": "error", "payload": []map[string]any{{
		"message": e.Message, "extensions": map[string]any{"code": string(e.Code)},
	}}})
}
