package gqlclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

// Conn is a graphql-transport-ws connection carrying any number of
// subscriptions.
type Conn struct {
	ws     *websocket.Conn
	mu     sync.Mutex
	subs   map[string]*Subscription
	nextID int
	done   chan struct{}
	err    error
}

// Subscription receives the payloads of one subscription.
type Subscription struct {
	ID string
	// C delivers each result; it is closed on complete, error or when the
	// connection ends.
	C chan *Response
	// Err is set before C is closed when the server sent an error.
	Err Errors
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Dial opens a websocket to url (ws:// or http://), authenticates with
// token in connection_init and waits for the ack.
func Dial(ctx context.Context, url, token string) (*Conn, error) {
	url = strings.Replace(strings.Replace(url, "http://", "ws://", 1), "https://", "wss://", 1)
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(4 << 20)
	init, _ := json.Marshal(map[string]string{"authorization": "Bearer " + token})
	if err := wsjson.Write(ctx, ws, wsMessage{Type: "connection_init", Payload: init}); err != nil {
		ws.CloseNow()
		return nil, err
	}
	for {
		var m wsMessage
		if err := wsjson.Read(ctx, ws, &m); err != nil {
			ws.CloseNow()
			return nil, fmt.Errorf("waiting for connection_ack: %w", err)
		}
		if m.Type == "connection_ack" {
			break
		}
		if m.Type == "ping" {
			_ = wsjson.Write(ctx, ws, wsMessage{Type: "pong"})
		}
	}
	c := &Conn{ws: ws, subs: map[string]*Subscription{}, done: make(chan struct{})}
	go c.read()
	return c, nil
}

// Subscribe starts a subscription. Results arrive on the returned
// Subscription's channel, which buffers up to buffer results; a reader that
// falls further behind stalls the connection, as a slow client would.
func (c *Conn) Subscribe(ctx context.Context, query string, vars map[string]any, buffer int) (*Subscription, error) {
	c.mu.Lock()
	c.nextID++
	s := &Subscription{ID: strconv.Itoa(c.nextID), C: make(chan *Response, buffer)}
	c.subs[s.ID] = s
	c.mu.Unlock()
	payload, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, err
	}
	if err := wsjson.Write(ctx, c.ws, wsMessage{ID: s.ID, Type: "subscribe", Payload: payload}); err != nil {
		return nil, err
	}
	return s, nil
}

// Unsubscribe stops a subscription.
func (c *Conn) Unsubscribe(ctx context.Context, s *Subscription) error {
	return wsjson.Write(ctx, c.ws, wsMessage{ID: s.ID, Type: "complete"})
}

// Done is closed when the connection ends; Err then says why.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended (a websocket.CloseError for a close
// frame).
func (c *Conn) Err() error {
	<-c.done
	return c.err
}

// Close closes the connection normally.
func (c *Conn) Close() error { return c.ws.Close(websocket.StatusNormalClosure, "bye") }

// CloseNow drops the connection without a close handshake, like a lost network.
func (c *Conn) CloseNow() error { return c.ws.CloseNow() }

func (c *Conn) read() {
	ctx := context.Background()
	defer func() {
		c.mu.Lock()
		for id, s := range c.subs {
			close(s.C)
			delete(c.subs, id)
		}
		c.mu.Unlock()
		close(c.done)
	}()
	for {
		var m wsMessage
		if err := wsjson.Read(ctx, c.ws, &m); err != nil {
			c.err = err
			return
		}
		switch m.Type {
		case "ping":
			_ = wsjson.Write(ctx, c.ws, wsMessage{Type: "pong"})
		case "next":
			var r Response
			if err := json.Unmarshal(m.Payload, &r); err != nil {
				c.err = err
				return
			}
			c.mu.Lock()
			s := c.subs[m.ID]
			c.mu.Unlock()
			if s != nil {
				s.C <- &r
			}
		case "error", "complete":
			c.mu.Lock()
			s := c.subs[m.ID]
			delete(c.subs, m.ID)
			c.mu.Unlock()
			if s == nil {
				continue
			}
			if m.Type == "error" {
				_ = json.Unmarshal(m.Payload, &s.Err)
			}
			close(s.C)
		}
	}
}

// CloseStatus returns the close code of err, or -1.
func CloseStatus(err error) websocket.StatusCode {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}
