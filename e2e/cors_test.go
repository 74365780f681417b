package e2e

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/switchboard/switchboard/internal/app"
)

// TestCORS loads pages from two other loopback origins in headless Chromium
// and calls POST /graphql from each with a bearer token: the origin listed
// in -allowed-origins gets its answer (after a preflight), the unlisted one
// is refused by the browser, and its request never runs.
func TestCORS(t *testing.T) {
	chromium := chromiumPath(t)
	listen := func(addr string) net.Listener {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Skipf("CORS test skipped: cannot listen on %s: %v", addr, err)
		}
		return ln
	}
	allowedLn, unlistedLn := listen("127.0.0.2:0"), listen("127.0.0.3:0")
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><title>a page on another origin</title><p>chat widget"))
	})
	allowed, unlisted := servePage(t, allowedLn, page), servePage(t, unlistedLn, page)

	a, err := app.New(t.Context(), app.Config{
		DatabaseURL:    filepath.Join(t.TempDir(), "switchboard.db"),
		AdminEmail:     adminEmail,
		AdminPassword:  adminPassword,
		AllowedOrigins: []string{allowedLn.Addr().String()},
		BcryptCost:     bcrypt.MinCost,
		Log:            slog.New(slog.NewTextHandler(t.Output(), nil)),
	})
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	var mu sync.Mutex
	seen := map[string][]string{} // origin -> methods that reached the server
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Header.Get("Origin")] = append(seen[r.Header.Get("Origin")], r.Method)
		mu.Unlock()
		a.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(func() { api.Close(); a.Close() })
	token := login(t, api.URL)

	b := startBrowser(t, chromium, api.URL, allowed, unlisted)
	ctx, cancel := context.WithTimeout(b.tab, 2*time.Minute)
	defer cancel()
	defer b.check(t)

	call := `fetch(` + jsString(api.URL+"/graphql") + `, {method: 'POST',
		headers: {'Content-Type': 'application/json', 'Authorization': ` + jsString("Bearer "+token) + `},
		body: JSON.stringify({query: '{ me { email } }'})})
		.then(r => r.json()).then(j => j.data.me.email, e => 'refused: ' + e.message)`
	for _, tc := range []struct {
		name, origin, want string
		methods            []string
	}{
		{"listed origin", allowed, adminEmail, []string{"OPTIONS", "POST"}},
		{"unlisted origin", unlisted, "refused: Failed to fetch", []string{"OPTIONS"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := chromedp.Do(ctx, chromedp.Navigate(tc.origin+"/")); err != nil {
				t.Fatal(err)
			}
			got, err := chromedp.Run(ctx, chromedp.Evaluate[string](call, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("fetch from %s: %q; want %q", tc.origin, got, tc.want)
			}
			mu.Lock()
			methods := seen[tc.origin]
			mu.Unlock()
			if len(methods) != len(tc.methods) {
				t.Fatalf("the server saw %v from %s; want %v", methods, tc.origin, tc.methods)
			}
			for i := range methods {
				if methods[i] != tc.methods[i] {
					t.Fatalf("the server saw %v from %s; want %v", methods, tc.origin, tc.methods)
				}
			}
		})
	}
}

// servePage serves h on ln until the test ends and returns its origin.
func servePage(t *testing.T, ln net.Listener, h http.Handler) string {
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h}}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}
