// Package apitest starts Switchboard in-process on a fresh SQLite file with
// a fake clock, for tests that go through the public GraphQL API.
package apitest

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/clock"
	"github.com/switchboard/switchboard/internal/gqlclient"
)

// Admin credentials of every test server.
const (
	AdminEmail    = "admin@example.com"
	AdminPassword = "correct horse battery staple"
)

// Server is a running test instance.
type Server struct {
	App   *app.App
	HTTP  *httptest.Server
	Clock *clock.Fake
	URL   string // the GraphQL endpoint
	// Admin is a client logged in as the first admin.
	Admin *gqlclient.Client

	cfg     app.Config
	stopped bool
}

// Start starts a server; options adjust its configuration.
func Start(t testing.TB, options ...func(*app.Config)) *Server {
	t.Helper()
	fake := clock.NewFake(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	cfg := app.Defaults()
	cfg.DatabaseURL = filepath.Join(t.TempDir(), "switchboard.db")
	cfg.SessionFilesDir = filepath.Join(t.TempDir(), "sessions")
	cfg.AdminEmail, cfg.AdminPassword = AdminEmail, AdminPassword
	cfg.BcryptCost = bcrypt.MinCost
	cfg.Clock = fake
	cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		cfg.Log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	for _, o := range options {
		o(&cfg)
	}
	s := &Server{Clock: fake, cfg: cfg}
	s.start(t, "")
	t.Cleanup(s.stop)
	s.Admin = s.Client("")
	s.Admin.Token = s.Login(t, AdminEmail, AdminPassword)
	return s
}

// start opens the app on s.cfg and serves it, on addr when not empty.
func (s *Server) start(t testing.TB, addr string) {
	t.Helper()
	a, err := app.New(context.Background(), s.cfg)
	if err != nil {
		t.Fatalf("start app: %v", err)
	}
	hs := httptest.NewUnstartedServer(a.Handler())
	if addr != "" {
		hs.Listener.Close()
		if hs.Listener, err = net.Listen("tcp", addr); err != nil {
			a.Close()
			t.Fatalf("listen again on %s: %v", addr, err)
		}
	}
	hs.Start()
	s.App, s.HTTP, s.URL, s.stopped = a, hs, hs.URL+"/graphql", false
}

// stop stops the server as a process would on SIGTERM: websockets are told
// to reconnect, requests in flight finish, the dispatcher stops and the
// store closes.
func (s *Server) stop() {
	if s.stopped {
		return
	}
	s.stopped = true
	s.App.Shutdown(context.Background())
	s.HTTP.Close()
	s.App.Close()
}

// Restart stops the server and starts a new app on the same database file,
// clock and address, as after a process restart: clients keep working with
// their tokens once it is back.
func Restart(t testing.TB, s *Server) {
	t.Helper()
	addr := s.HTTP.Listener.Addr().String()
	s.stop()
	s.start(t, addr)
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// Client returns a client with a credential ("" for anonymous).
func (s *Server) Client(token string) *gqlclient.Client {
	return &gqlclient.Client{URL: s.URL, Token: token, HTTP: s.HTTP.Client()}
}

// Login logs in and returns the token.
func (s *Server) Login(t testing.TB, email, password string) string {
	t.Helper()
	var out struct{ Login struct{ Token string } }
	Must(t, s.Client(""), `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }`,
		map[string]any{"e": email, "p": password}, &out)
	return out.Login.Token
}

// Must runs an operation that must succeed and decodes its data into out.
func Must(t testing.TB, c *gqlclient.Client, query string, vars map[string]any, out any) {
	t.Helper()
	if err := c.Run(context.Background(), query, vars, out); err != nil {
		t.Fatalf("%s\nfailed: %v", query, err)
	}
}

// Fail runs an operation that must fail and returns its first error.
func Fail(t testing.TB, c *gqlclient.Client, query string, vars map[string]any) gqlclient.Error {
	t.Helper()
	res, err := c.Do(context.Background(), query, vars)
	if err != nil {
		t.Fatalf("%s\ntransport error: %v", query, err)
	}
	if len(res.Errors) == 0 {
		t.Fatalf("%s\nsucceeded with %s; want an error", query, res.Data)
	}
	return res.Errors[0]
}

// ExpectCode runs an operation that must fail with code.
func ExpectCode(t testing.TB, c *gqlclient.Client, code, query string, vars map[string]any) gqlclient.Error {
	t.Helper()
	e := Fail(t, c, query, vars)
	if e.Extensions.Code != code {
		t.Fatalf("%s\nerror %q has code %q; want %s", query, e.Message, e.Extensions.Code, code)
	}
	return e
}

// Dial opens a subscription connection with a credential.
func (s *Server) Dial(t testing.TB, token string) *gqlclient.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := gqlclient.Dial(ctx, s.URL, token)
	if err != nil {
		t.Fatalf("dial websocket: %v", err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// Stop stops the server now, as at the end of the test.
func (s *Server) Stop() { s.stop() }

// Postgres returns the DSN of a schema of its own on the PostgreSQL server
// in SWITCHBOARD_TEST_POSTGRES, dropped after the test; without the
// variable the test is skipped (.ci/run sets it).
func Postgres(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("SWITCHBOARD_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("SWITCHBOARD_TEST_POSTGRES is not set (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable); .ci/run sets it")
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := fmt.Sprintf("sb_test_%d", time.Now().UnixNano())
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
		db.Close()
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}
