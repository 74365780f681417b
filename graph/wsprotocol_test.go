package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
)

// rawSocket is a graphql-transport-ws connection driven frame by frame;
// each read and write waits at most deliveryTimeout.
type rawSocket struct {
	t  *testing.T
	ws *websocket.Conn
}

func (r *rawSocket) op() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), deliveryTimeout)
}

func dialRaw(t *testing.T, s *apitest.Server) *rawSocket {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deliveryTimeout)
	t.Cleanup(cancel)
	ws, _, err := websocket.Dial(ctx, strings.Replace(s.URL, "http://", "ws://", 1),
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	ws.SetReadLimit(8 << 20)
	t.Cleanup(func() { ws.CloseNow() })
	return &rawSocket{t: t, ws: ws}
}

func (r *rawSocket) send(v any) {
	r.t.Helper()
	ctx, cancel := r.op()
	defer cancel()
	if err := wsjson.Write(ctx, r.ws, v); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rawSocket) sendText(text string) {
	r.t.Helper()
	ctx, cancel := r.op()
	defer cancel()
	if err := r.ws.Write(ctx, websocket.MessageText, []byte(text)); err != nil {
		r.t.Fatal(err)
	}
}

// next returns the next frame that is not a ping.
func (r *rawSocket) next() (map[string]any, error) {
	ctx, cancel := r.op()
	defer cancel()
	for {
		var m map[string]any
		if err := wsjson.Read(ctx, r.ws, &m); err != nil {
			return nil, err
		}
		if m["type"] != "ping" {
			return m, nil
		}
	}
}

func (r *rawSocket) expect(typ string) map[string]any {
	r.t.Helper()
	m, err := r.next()
	if err != nil || m["type"] != typ {
		r.t.Fatalf("got %v, %v; want a %s message", m, err, typ)
	}
	return m
}

func (r *rawSocket) init(token string) {
	r.t.Helper()
	r.send(map[string]any{"type": "connection_init", "payload": map[string]string{"authorization": "Bearer " + token}})
	r.expect("connection_ack")
}

func (r *rawSocket) subscribe(id, query string, vars map[string]any) {
	r.t.Helper()
	r.send(map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": query, "variables": vars}})
}

// expectClose reads until the server closes, and checks the close code.
func (r *rawSocket) expectClose(code websocket.StatusCode, reason string) {
	r.t.Helper()
	ctx, cancel := r.op()
	defer cancel()
	for {
		_, _, err := r.ws.Read(ctx)
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != code || !strings.Contains(ce.Reason, reason) {
			r.t.Fatalf("connection ended with %v; want close %d with a reason containing %q", err, code, reason)
		}
		return
	}
}

// The server speaks graphql-transport-ws as its specification says: each
// breach of the protocol closes the socket with the code the specification
// gives it.
func TestWebsocketProtocolCloseCodes(t *testing.T) {
	s := apitest.Start(t)
	const sub = `subscription { agentEvents { sequence } }`
	for _, tc := range []struct {
		name   string
		run    func(r *rawSocket)
		code   websocket.StatusCode
		reason string
	}{
		{"no connection_init in time", func(r *rawSocket) {
			// A ping before the init is answered: the server is listening.
			r.send(map[string]any{"type": "ping"})
			r.expect("pong")
			s.Clock.Advance(app.InitTimeout)
		}, app.CloseInitTimeout, "initialisation timeout"},
		{"subscribe before the ack", func(r *rawSocket) { r.subscribe("1", sub, nil) }, app.CloseUnauthorized, "Unauthorized"},
		{"second connection_init", func(r *rawSocket) {
			r.init(s.Admin.Token)
			r.send(map[string]any{"type": "connection_init"})
		}, app.CloseTooManyInits, "Too many initialisation requests"},
		{"not JSON", func(r *rawSocket) { r.sendText("{not json") }, app.CloseBadRequest, "not a JSON object"},
		{"not JSON after the ack", func(r *rawSocket) { r.init(s.Admin.Token); r.sendText("[1, 2") }, app.CloseBadRequest, "not a JSON object"},
		{"unknown message type", func(r *rawSocket) { r.init(s.Admin.Token); r.send(map[string]any{"type": "start", "id": "1"}) }, app.CloseBadRequest, "type"},
		{"subscribe without an id", func(r *rawSocket) {
			r.init(s.Admin.Token)
			r.send(map[string]any{"type": "subscribe", "payload": map[string]any{"query": sub}})
		}, app.CloseBadRequest, "without an id"},
		{"duplicate subscription id", func(r *rawSocket) {
			r.init(s.Admin.Token)
			r.subscribe("a", sub, nil)
			r.subscribe("a", sub, nil)
		}, app.CloseDuplicateID, "Subscriber for a already exists"},
		{"bad credential", func(r *rawSocket) {
			r.send(map[string]any{"type": "connection_init", "payload": map[string]string{"authorization": "Bearer sbt_nonsense"}})
		}, 4403, "not valid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := dialRaw(t, s)
			tc.run(r)
			r.expectClose(tc.code, tc.reason)
		})
	}
}

// An id whose subscription completed may be used again.
func TestWebsocketIDReusableAfterComplete(t *testing.T) {
	s := apitest.Start(t)
	r := dialRaw(t, s)
	r.init(s.Admin.Token)
	q := `subscription($id: ID!) { engagementEvents(id: $id) { sequence } }`
	// A refused subscription ends at once (NOT_FOUND): its id is free again.
	r.subscribe("x", q, map[string]any{"id": "999999"})
	r.expect("next")
	r.expect("complete")
	r.subscribe("x", q, map[string]any{"id": "999999"})
	r.expect("next")
	r.expect("complete")
	// A running one is freed by the client's complete, once the server
	// confirms it.
	r.subscribe("y", `subscription { agentEvents { sequence } }`, nil)
	r.send(map[string]any{"type": "complete", "id": "y"})
	if m := r.expect("complete"); m["id"] != "y" {
		t.Fatalf("complete for %v; want y", m["id"])
	}
	r.subscribe("y", `subscription { agentEvents { sequence } }`, nil)
	r.send(map[string]any{"type": "ping"})
	for {
		m, err := r.next()
		if err != nil {
			t.Fatalf("the socket ended: %v", err)
		}
		if m["type"] == "pong" {
			return
		}
	}
}

// A socket runs at most app.MaxSubscriptions subscriptions; one more is
// answered with LIMIT_EXCEEDED and the socket stays open.
func TestWebsocketSubscriptionCap(t *testing.T) {
	s := apitest.Start(t)
	tok, id := newCustomerEngagement(t, s)
	r := dialRaw(t, s)
	r.init(tok)
	q := `subscription($id: ID!) { engagementEvents(id: $id) { sequence } }`
	for i := range app.MaxSubscriptions {
		r.subscribe(strconv.Itoa(i), q, map[string]any{"id": strconv.Itoa(id)})
	}
	r.subscribe("over", q, map[string]any{"id": strconv.Itoa(id)})
	m := r.expect("error")
	var errs []struct{ Extensions struct{ Code string } }
	raw, _ := json.Marshal(m["payload"])
	if json.Unmarshal(raw, &errs) != nil || len(errs) == 0 || errs[0].Extensions.Code != "LIMIT_EXCEEDED" || m["id"] != "over" {
		t.Fatalf("the subscription over the cap got %v; want an error LIMIT_EXCEEDED", m)
	}
	// Ending one makes room.
	r.send(map[string]any{"type": "complete", "id": "0"})
	r.expect("complete")
	r.subscribe("again", q, map[string]any{"id": strconv.Itoa(id)})
	r.send(map[string]any{"type": "ping"})
	r.expect("pong")
}

// One credential opens a bounded number of sockets.
func TestWebsocketSocketsPerCredential(t *testing.T) {
	s := apitest.Start(t)
	tok, _ := newCustomerEngagement(t, s)
	for range app.MaxSocketsPerCustomer {
		s.Dial(t, tok)
	}
	r := dialRaw(t, s)
	r.send(map[string]any{"type": "connection_init", "payload": map[string]string{"authorization": "Bearer " + tok}})
	r.expectClose(app.CloseTooManyInits, "too many open websockets")
}

// The read limit is the configured body limit (1 MiB by default), not the
// websocket library's 32 KiB.
func TestWebsocketReadLimit(t *testing.T) {
	s := apitest.Start(t)
	r := dialRaw(t, s)
	r.init(s.Admin.Token)
	pad := strings.Repeat("x", 200<<10)
	r.subscribe("big", `subscription { agentEvents { sequence } } # `+pad, nil)
	r.send(map[string]any{"type": "ping"})
	r.expect("pong")
	r.subscribe("huge", `subscription { agentEvents { sequence } } # `+pad+strings.Repeat("y", 1<<20), nil)
	r.expectClose(websocket.StatusMessageTooBig, "")
}
