package graph_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/switchboard/switchboard/internal/apitest"
)

// TestConnectionAckCarriesNoCredential reads the raw connection_ack of both
// websocket protocols: it must not echo the token sent in connection_init.
func TestConnectionAckCarriesNoCredential(t *testing.T) {
	s := apitest.Start(t)
	for _, protocol := range []string{"graphql-transport-ws", "graphql-ws"} {
		t.Run(protocol, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			ws, _, err := websocket.Dial(ctx, strings.Replace(s.URL, "http://", "ws://", 1),
				&websocket.DialOptions{Subprotocols: []string{protocol}})
			if err != nil {
				t.Fatal(err)
			}
			defer ws.CloseNow()
			init := map[string]any{"type": "connection_init", "payload": map[string]string{"authorization": "Bearer " + s.Admin.Token}}
			if err := wsjson.Write(ctx, ws, init); err != nil {
				t.Fatal(err)
			}
			for {
				_, frame, err := ws.Read(ctx)
				if err != nil {
					t.Fatalf("waiting for connection_ack: %v", err)
				}
				text := string(frame)
				if strings.Contains(text, `"ka"`) || strings.Contains(text, `"ping"`) {
					continue
				}
				if !strings.Contains(text, `"connection_ack"`) {
					t.Fatalf("first frame %s; want connection_ack", text)
				}
				if strings.Contains(text, s.Admin.Token) || strings.Contains(text, "sbt_") || strings.Contains(text, "payload") {
					t.Fatalf("connection_ack %s carries a payload; want none (no credential echoed)", text)
				}
				return
			}
		})
	}
}
