package graph_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
)

// TestCORSHeaders checks the answers to browsers on other origins: a listed
// origin is echoed (never "*", never with credentials) and its preflight
// allowed; an unlisted one gets no CORS headers and a refused preflight.
func TestCORSHeaders(t *testing.T) {
	s := apitest.Start(t, func(c *app.Config) { c.AllowedOrigins = []string{"localhost:5173", "*.example.com"} })
	for _, tc := range []struct {
		name, method, origin string
		status               int
		allowOrigin          string
	}{
		{"preflight from a listed origin", "OPTIONS", "http://localhost:5173", 204, "http://localhost:5173"},
		{"preflight from a listed pattern", "OPTIONS", "https://chat.example.com", 204, "https://chat.example.com"},
		{"preflight from an unlisted origin", "OPTIONS", "http://evil.test", 403, ""},
		{"preflight from a lookalike", "OPTIONS", "http://example.com.evil.test", 403, ""},
		{"POST from a listed origin", "POST", "http://localhost:5173", 200, "http://localhost:5173"},
		{"POST from an unlisted origin", "POST", "http://evil.test", 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), tc.method, s.URL, strings.NewReader(`{"query":"{ __typename }"}`))
			req.Header.Set("Origin", tc.origin)
			req.Header.Set("Content-Type", "application/json")
			if tc.method == "OPTIONS" {
				req.Header.Set("Access-Control-Request-Method", "POST")
				req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
			}
			res, err := s.HTTP.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			h := res.Header
			if res.StatusCode != tc.status || h.Get("Access-Control-Allow-Origin") != tc.allowOrigin {
				t.Fatalf("status %d, Access-Control-Allow-Origin %q; want %d, %q", res.StatusCode, h.Get("Access-Control-Allow-Origin"), tc.status, tc.allowOrigin)
			}
			if h.Get("Access-Control-Allow-Credentials") != "" || !strings.Contains(h.Get("Vary"), "Origin") {
				t.Fatalf("headers %v: no credentials mode, Vary: Origin", h)
			}
			if tc.method == "OPTIONS" && tc.status == 204 &&
				(!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST")) {
				t.Fatalf("preflight headers %v", h)
			}
		})
	}
}
