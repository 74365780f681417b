package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/gqlclient"
)

// TestShutdownClosesWebsocketsForRetry checks that clients are told to
// reconnect (1012, service restart) rather than that the stream ended.
func TestShutdownClosesWebsocketsForRetry(t *testing.T) {
	s := apitest.Start(t)
	conn := s.Dial(t, s.Admin.Token)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := conn.Subscribe(ctx, `subscription { agentEvents { sequence } }`, nil, 1); err != nil {
		t.Fatal(err)
	}
	s.App.Shutdown(ctx)
	select {
	case <-conn.Done():
	case <-ctx.Done():
		t.Fatal("the websocket stayed open after shutdown")
	}
	if code := gqlclient.CloseStatus(conn.Err()); code != websocket.StatusServiceRestart {
		t.Fatalf("close code %d (%v), want %d", code, conn.Err(), websocket.StatusServiceRestart)
	}
}
