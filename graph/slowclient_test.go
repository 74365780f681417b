package graph_test

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
)

// A client that announces a body and then sends it too slowly is cut off
// at -body-read-timeout instead of holding its connection open.
func TestSlowBodyIsCutOff(t *testing.T) {
	s := apitest.Start(t, func(c *app.Config) { c.BodyReadTimeout = 100 * time.Millisecond })
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.HTTP.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Headers and the first byte of a 1000-byte body; the rest never comes.
	_, err = conn.Write([]byte("POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"))
	if err != nil {
		t.Fatal(err)
	}
	// The test's own bound only fails it; the server must answer long before.
	_ = conn.SetReadDeadline(time.Now().Add(deliveryTimeout))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("the server still waits for the body")
		}
		return // the connection was closed: cut off
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d; want 400 for a body not sent in time", res.StatusCode)
	}
}
