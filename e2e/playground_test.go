package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/switchboard/switchboard/internal/app"
)

const (
	adminEmail    = "admin@example.com"
	adminPassword = "correct horse battery staple"
)

// Where GraphiQL 4 keeps its editors and buttons.
const (
	queryEditor   = ".graphiql-query-editor .CodeMirror"
	headersButton = `.graphiql-editor-tools button[data-name="headers"]`
	headersEditor = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
	runButton     = ".graphiql-execute-button"
	responseView  = ".graphiql-response .CodeMirror"
)

// TestPlayground opens /playground in headless Chromium, enters a bearer
// token in GraphiQL's headers editor, runs `{ me { email } }` and reads the
// admin's email in the result, while every request stays on the test server.
func TestPlayground(t *testing.T) {
	chromium := chromiumPath(t)
	srv := startServer(t)
	token := login(t, srv.URL)
	b := startBrowser(t, chromium, srv.URL)

	ctx, cancel := context.WithTimeout(b.tab, 2*time.Minute)
	defer cancel()
	b.checkGuard(ctx, t)
	defer b.check(t) // also after a t.Fatal: the console often says why

	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(srv.URL+"/playground"))
	if err != nil {
		t.Fatalf("open /playground: %v", err)
	}
	if res == nil {
		t.Fatal("GET /playground: no response")
	}
	if res.Status != http.StatusOK {
		t.Fatalf("GET /playground: status %d %s, want 200", res.Status, res.StatusText)
	}
	loadCtx, cancelLoad := context.WithTimeout(ctx, 30*time.Second)
	defer cancelLoad()
	if err := chromedp.Do(loadCtx, chromedp.WaitVisible(chromedp.CSS(queryEditor))); err != nil {
		t.Fatalf("GraphiQL did not start: %v", err)
	}
	headers := `{"Authorization": "Bearer ` + token + `"}`
	err = chromedp.Do(ctx,
		setEditor(queryEditor, "{ me { email } }"),
		chromedp.Click(chromedp.CSS(headersButton)),
		chromedp.WaitVisible(chromedp.CSS(headersEditor)),
		setEditor(headersEditor, headers),
		chromedp.Click(chromedp.CSS(runButton)),
	)
	if err != nil {
		t.Fatalf("run the query in GraphiQL: %v", err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Poll[string](
		`(() => { const v = document.querySelector(`+jsString(responseView)+`).CodeMirror.getValue();
			return v.includes('"me"') || v.includes('"errors"') ? v : false })()`,
		chromedp.WithPollingTimeout(time.Minute)))
	if err != nil {
		t.Fatalf("wait for the result: %v", err)
	}
	var result struct {
		Data struct{ Me struct{ Email string } }
	}
	if err := json.Unmarshal([]byte(shown), &result); err != nil || result.Data.Me.Email != adminEmail {
		t.Errorf("GraphiQL shows %s, want me.email %q", shown, adminEmail)
	}

	t.Run("query sent with the token", func(t *testing.T) {
		for _, r := range b.sent() {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL, "/graphql") &&
				r.Headers["Authorization"] == "Bearer "+token {
				return
			}
		}
		t.Errorf("no POST /graphql carried the token from the headers editor")
	})
	t.Run("assets served locally", func(t *testing.T) {
		loaded := map[string]bool{}
		for _, r := range b.sent() {
			if i := strings.Index(r.URL, "/playground/assets/"); i >= 0 {
				loaded[r.URL[i+len("/playground/assets/"):]] = true
			}
		}
		for _, name := range []string{
			"graphiql@4.1.2/graphiql.min.js", "graphiql@4.1.2/graphiql.min.css",
			"react@18.2.0/umd/react.production.min.js", "react-dom@18.2.0/umd/react-dom.production.min.js",
		} {
			if !loaded[name] {
				t.Errorf("the page did not load /playground/assets/%s", name)
			}
		}
	})
	t.Run("subscription endpoint", func(t *testing.T) {
		// GraphiQL opens its websocket only for a subscription and sends the
		// headers as the connection_init payload; do the same by hand.
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`new Promise(resolve => {
			const ws = new WebSocket(subscriptionUrl, 'graphql-transport-ws');
			const done = r => { resolve(r); ws.close(); };
			ws.onopen = () => ws.send(JSON.stringify({type: 'connection_init', payload: `+headers+`}));
			ws.onmessage = e => done(JSON.parse(e.data).type);
			ws.onerror = () => done('error');
			ws.onclose = e => done('closed ' + e.code + ' ' + e.reason);
			setTimeout(() => done('timeout'), 10000);
		})`, chromedp.EvalAwaitPromise))
		if err != nil || got != "connection_ack" {
			t.Errorf("websocket to the page's subscriptionUrl: %q, %v; want connection_ack", got, err)
		}
	})
}

// setEditor replaces the text of the CodeMirror editor sel, as typing would,
// without the editor's bracket completion getting in the way.
func setEditor(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](
		`document.querySelector(` + jsString(sel) + `).CodeMirror.setValue(` + jsString(text) + `)`)
}

// startServer runs the whole application on a fresh SQLite file in
// development mode, where the playground needs no admin session.
func startServer(t *testing.T) *httptest.Server {
	t.Helper()
	a, err := app.New(t.Context(), app.Config{
		DatabaseURL:   filepath.Join(t.TempDir(), "switchboard.db"),
		AdminEmail:    adminEmail,
		AdminPassword: adminPassword,
		Dev:           true,
		BcryptCost:    bcrypt.MinCost,
		Log:           slog.New(slog.NewTextHandler(t.Output(), nil)),
	})
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		srv.Close()
		a.Close()
	})
	return srv
}

// login returns a bearer token for the admin.
func login(t *testing.T, base string) string {
	t.Helper()
	body, err := json.Marshal(map[string]any{
		"query":     `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }`,
		"variables": map[string]string{"email": adminEmail, "password": adminPassword},
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Post(base+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Data   struct{ Login struct{ Token string } }
		Errors []struct{ Message string }
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("login: status %d: %v", res.StatusCode, err)
	}
	if out.Data.Login.Token == "" {
		t.Fatalf("login: status %d, errors %v", res.StatusCode, out.Errors)
	}
	return out.Data.Login.Token
}
