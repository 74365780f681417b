package graph_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
)

// shortKeepAlive pings every 20 ms and waits 50 ms for the pong.
func shortKeepAlive(c *app.Config) {
	c.WebsocketPingInterval, c.WebsocketPongTimeout = 20*time.Millisecond, 50*time.Millisecond
}

// A graphql-transport-ws client that answers the server's pings stays
// connected; one that stops answering them is closed with 1008.
func TestWebsocketPongTimeout(t *testing.T) {
	s := apitest.Start(t, shortKeepAlive)
	r := dialRaw(t, s)
	r.init(s.Admin.Token)
	ctx, cancel := context.WithTimeout(context.Background(), deliveryTimeout)
	defer cancel()
	// Five pings answered: the connection is alive.
	for pings := 0; pings < 5; {
		var m map[string]any
		if err := wsjson.Read(ctx, r.ws, &m); err != nil {
			t.Fatalf("after %d pings answered: %v", pings, err)
		}
		if m["type"] == "ping" {
			pings++
			r.send(map[string]any{"type": "pong"})
		}
	}
	// Now it reads on but answers nothing.
	r.expectClose(app.CloseNoPong, "no pong")
}

// A graphql-ws (legacy) client gets "ka" after the ack and websocket pings
// it must answer; one that stops reading, so answers no ping, is closed
// with 1008.
func TestLegacyWebsocketPongTimeout(t *testing.T) {
	s := apitest.Start(t, shortKeepAlive)
	ws := dialProtocol(t, s, "graphql-ws", nil)
	ctx, cancel := context.WithTimeout(context.Background(), deliveryTimeout)
	defer cancel()
	if err := wsjson.Write(ctx, ws, map[string]any{"type": "connection_init", "payload": map[string]string{"authorization": "Bearer " + s.Admin.Token}}); err != nil {
		t.Fatal(err)
	}
	// Reading, the client answers pings: it gets the ack and several "ka".
	var types []string
	for ka := 0; ka < 3; {
		var m map[string]any
		if err := wsjson.Read(ctx, ws, &m); err != nil {
			t.Fatalf("after %v: %v", types, err)
		}
		types = append(types, m["type"].(string))
		if m["type"] == "ka" {
			ka++
		}
	}
	if types[0] != "connection_ack" || types[1] != "ka" {
		t.Fatalf("frames %v; want connection_ack, then ka", types)
	}
	// Not reading, it answers no ping: the server drops it.
	waitCtx, cancelWait := context.WithTimeout(context.Background(), 3*deliveryTimeout)
	defer cancelWait()
	if err := s.App.WaitWebsockets(waitCtx, 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), deliveryTimeout)
	defer cancel()
	for {
		_, _, err := ws.Read(ctx)
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != app.CloseNoPong {
			t.Fatalf("connection ended with %v; want close %d", err, app.CloseNoPong)
		}
		return
	}
}

// A client that stops reading while a frame is written to it is dropped
// once that frame takes longer than the write timeout.
func TestWebsocketWriteTimeout(t *testing.T) {
	s := apitest.Start(t, func(c *app.Config) { c.WebsocketWriteTimeout = 100 * time.Millisecond })
	// A 1 MB name, answered six times in one response: more than the
	// socket buffers hold (the server's send buffer grows to 4 MiB at
	// most, the client's receive buffer is small).
	write(t, s, func(ctx context.Context, tx *ent.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE agents SET name = ? WHERE email = ?", strings.Repeat("n", 1<<20), apitest.AdminEmail)
		return err
	})
	ws := dialProtocol(t, s, "graphql-transport-ws", smallReceiveBuffer)
	r := &rawSocket{t: t, ws: ws}
	r.init(s.Admin.Token)
	var q strings.Builder
	q.WriteString("{")
	for i := range 6 {
		q.WriteString(" a" + strconv.Itoa(i) + ": me { name }")
	}
	q.WriteString(" }")
	r.subscribe("big", q.String(), nil)
	// The client reads nothing until the server gave up on it (building
	// the response takes a while under the race detector).
	ctx, cancel := context.WithTimeout(context.Background(), 3*deliveryTimeout)
	defer cancel()
	if err := s.App.WaitWebsockets(ctx, 0); err != nil {
		t.Fatal(err)
	}
	for {
		_, _, err := ws.Read(ctx)
		if err == nil {
			t.Fatal("the whole response arrived; want the connection dropped while it was written")
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("the connection is still open: %v", err)
		}
		return
	}
}

// The graphql-ws (legacy) protocol ends connections as
// subscriptions-transport-ws does: a refused connection_init gets
// connection_error and close 1011, a frame that is not JSON a
// connection_error (the socket stays), an unknown type an error for its
// id, connection_terminate a normal close.
func TestLegacyWebsocketCloseCodes(t *testing.T) {
	s := apitest.Start(t)
	read := func(ws *websocket.Conn) map[string]any {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), deliveryTimeout)
		defer cancel()
		for {
			var m map[string]any
			if err := wsjson.Read(ctx, ws, &m); err != nil {
				t.Fatalf("reading: %v", err)
			}
			if m["type"] != "ka" {
				return m
			}
		}
	}
	closed := func(ws *websocket.Conn, code websocket.StatusCode) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), deliveryTimeout)
		defer cancel()
		for {
			_, frame, err := ws.Read(ctx)
			if err == nil {
				if !strings.Contains(string(frame), `"ka"`) {
					t.Fatalf("frame %s; want the close", frame)
				}
				continue
			}
			if websocket.CloseStatus(err) != code {
				t.Fatalf("connection ended with %v; want close %d", err, code)
			}
			return
		}
	}
	send := func(ws *websocket.Conn, v any) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), deliveryTimeout)
		defer cancel()
		if err := wsjson.Write(ctx, ws, v); err != nil {
			t.Fatal(err)
		}
	}
	initMsg := func(tok string) map[string]any {
		return map[string]any{"type": "connection_init", "payload": map[string]string{"authorization": "Bearer " + tok}}
	}

	t.Run("bad credential", func(t *testing.T) {
		ws := dialProtocol(t, s, "graphql-ws", nil)
		send(ws, initMsg("sbt_nonsense"))
		if m := read(ws); m["type"] != "connection_error" || !strings.Contains(m["payload"].(map[string]any)["message"].(string), "not valid") {
			t.Fatalf("got %v; want connection_error saying the token is not valid", m)
		}
		closed(ws, app.CloseLegacyRefused)
	})
	t.Run("no connection_init in time", func(t *testing.T) {
		ws := dialProtocol(t, s, "graphql-ws", nil)
		// A message that is not JSON is answered, and the socket stays.
		ctx, cancel := context.WithTimeout(context.Background(), deliveryTimeout)
		defer cancel()
		if err := ws.Write(ctx, websocket.MessageText, []byte("{not json")); err != nil {
			t.Fatal(err)
		}
		if m := read(ws); m["type"] != "connection_error" {
			t.Fatalf("got %v; want connection_error", m)
		}
		s.Clock.Advance(app.InitTimeout)
		if m := read(ws); m["type"] != "connection_error" || !strings.Contains(m["payload"].(map[string]any)["message"].(string), "timeout") {
			t.Fatalf("got %v; want connection_error for the timeout", m)
		}
		closed(ws, app.CloseLegacyRefused)
	})
	t.Run("unknown type, then terminate", func(t *testing.T) {
		ws := dialProtocol(t, s, "graphql-ws", nil)
		send(ws, initMsg(s.Admin.Token))
		if m := read(ws); m["type"] != "connection_ack" {
			t.Fatalf("got %v; want connection_ack", m)
		}
		send(ws, map[string]any{"type": "subscribe", "id": "7"})
		if m := read(ws); m["type"] != "error" || m["id"] != "7" {
			t.Fatalf("got %v; want an error for id 7", m)
		}
		// A start is served with data and complete.
		send(ws, map[string]any{"type": "start", "id": "q", "payload": map[string]any{"query": "{ me { name } }"}})
		if m := read(ws); m["type"] != "data" || m["id"] != "q" {
			t.Fatalf("got %v; want data for q", m)
		}
		if m := read(ws); m["type"] != "complete" || m["id"] != "q" {
			t.Fatalf("got %v; want complete for q", m)
		}
		send(ws, map[string]any{"type": "connection_terminate"})
		closed(ws, websocket.StatusNormalClosure)
	})
	t.Run("second connection_init", func(t *testing.T) {
		ws := dialProtocol(t, s, "graphql-ws", nil)
		send(ws, initMsg(s.Admin.Token))
		read(ws)
		send(ws, initMsg(s.Admin.Token))
		if m := read(ws); m["type"] != "connection_error" {
			t.Fatalf("got %v; want connection_error", m)
		}
		closed(ws, app.CloseLegacyRefused)
	})
}

// dialProtocol opens a websocket with one subprotocol; control, when set,
// adjusts the client's socket.
func dialProtocol(t *testing.T, s *apitest.Server, protocol string, control func(network, address string, c syscall.RawConn) error) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deliveryTimeout)
	defer cancel()
	opts := &websocket.DialOptions{Subprotocols: []string{protocol}}
	if control != nil {
		dialer := &net.Dialer{Control: control}
		opts.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	}
	ws, _, err := websocket.Dial(ctx, strings.Replace(s.URL, "http://", "ws://", 1), opts)
	if err != nil {
		t.Fatal(err)
	}
	ws.SetReadLimit(64 << 20)
	t.Cleanup(func() { ws.CloseNow() })
	return ws
}

// smallReceiveBuffer gives the client's socket a 64 KiB receive buffer, so
// what the server can send ahead of the client's reads is small.
func smallReceiveBuffer(_, _ string, c syscall.RawConn) error {
	var err error
	if cerr := c.Control(func(fd uintptr) {
		err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 64<<10)
	}); cerr != nil {
		return cerr
	}
	return err
}
