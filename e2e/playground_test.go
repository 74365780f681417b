package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
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
	queryEditor  = ".graphiql-query-editor .CodeMirror"
	runButton    = ".graphiql-execute-button"
	responseView = ".graphiql-response .CodeMirror"
)

// TestPlayground opens /playground of a server outside development mode in
// headless Chromium and signs in as the admin. Then, without anything typed
// into headers: the docs explorer lists Engagement (introspection, which
// only admins may run, works), the default query runs and shows the admin,
// and a subscription receives an event replayed from the log and a live
// one, its websocket opened with the token. Signing out revokes the token;
// an agent's sign-in is refused. Every request stays on the test server.
func TestPlayground(t *testing.T) {
	chromium := chromiumPath(t)
	srv := startServer(t, false)
	b := startBrowser(t, chromium, srv.URL)

	ctx, cancel := context.WithTimeout(b.tab, 2*time.Minute)
	defer cancel()
	b.checkGuard(ctx, t)
	defer b.check(t) // also after a t.Fatal: the console often says why

	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(srv.URL+"/playground"))
	if err != nil {
		t.Fatalf("open /playground: %v", err)
	}
	if res == nil || res.Status != http.StatusOK {
		t.Fatalf("GET /playground: %+v, want status 200", res)
	}
	signIn(ctx, t, adminEmail, adminPassword)
	loadCtx, cancelLoad := context.WithTimeout(ctx, 30*time.Second)
	defer cancelLoad()
	if err := chromedp.Do(loadCtx, chromedp.WaitVisible(chromedp.CSS(queryEditor))); err != nil {
		t.Fatalf("GraphiQL did not start after signing in: %v", err)
	}
	token, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`JSON.parse(sessionStorage.getItem('switchboard.playground.session')).token`))
	if err != nil || !strings.HasPrefix(token, "sbt_") {
		t.Fatalf("token in sessionStorage: %q, %v", token, err)
	}
	if got := gql(t, srv.URL, token, `{ me { email } }`); !strings.Contains(got, adminEmail) {
		t.Fatalf("the page's token: me = %s", got)
	}

	t.Run("default query", func(t *testing.T) {
		text, err := chromedp.Run(ctx, chromedp.Evaluate[string](
			`document.querySelector(`+jsString(queryEditor)+`).CodeMirror.getValue()`))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"query Me", "me {", "# subscription AgentEvents", "agentEvents"} {
			if !strings.Contains(text, want) {
				t.Errorf("the query editor starts with %q, which lacks %q", text, want)
			}
		}
	})
	t.Run("docs explorer", func(t *testing.T) {
		shown, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => {
			const explorer = document.querySelector('.graphiql-doc-explorer');
			if (!explorer) {
				const docs = [...document.querySelectorAll('.graphiql-sidebar button')]
					.find(b => /Documentation/.test(b.getAttribute('aria-label') || ''));
				if (docs) docs.click();
				return false;
			}
			const err = explorer.querySelector('.graphiql-doc-explorer-error');
			if (err) return 'error: ' + err.textContent;
			const names = [...explorer.querySelectorAll('.graphiql-doc-explorer-type-name')].map(a => a.textContent);
			return names.includes('Engagement') ? 'Engagement' : false;
		})()`, chromedp.WithPollingTimeout(30*time.Second)))
		if err != nil || shown != "Engagement" {
			t.Errorf("docs explorer: %q, %v; want it to list Engagement", shown, err)
		}
	})
	t.Run("query", func(t *testing.T) {
		shown := run(ctx, t, "", `"me"`)
		var result struct {
			Data struct{ Me struct{ Email string } }
		}
		if err := json.Unmarshal([]byte(shown), &result); err != nil || result.Data.Me.Email != adminEmail {
			t.Errorf("GraphiQL shows %s, want me.email %q", shown, adminEmail)
		}
		for _, r := range b.sent() {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL, "/graphql") &&
				r.Headers["Authorization"] == "Bearer "+token {
				return
			}
		}
		t.Errorf("no POST /graphql carried the token")
	})
	t.Run("subscription", func(t *testing.T) {
		// An event in the log to replay, so the subscription's first event
		// does not race its start.
		gql(t, srv.URL, token, `mutation { setAgentState(state: AVAILABLE) { agent { state } } }`)
		shown := run(ctx, t, `subscription AgentEvents { agentEvents(after: "0") { sequence topic agentID } }`, `agent.state_changed`)
		var first struct {
			Data struct {
				AgentEvents struct{ Sequence, Topic string }
			}
		}
		if err := json.Unmarshal([]byte(shown), &first); err != nil || first.Data.AgentEvents.Topic != "agent.state_changed" {
			t.Fatalf("GraphiQL shows %s, want an agent.state_changed event", shown)
		}
		// The stream is live now: a new event arrives while it runs.
		gql(t, srv.URL, token, `mutation { setAgentState(state: NOT_READY) { agent { state } } }`)
		live, err := chromedp.Run(ctx, chromedp.Poll[string](
			`(() => { const v = document.querySelector(`+jsString(responseView)+`).CodeMirror.getValue();
				return v.includes('"sequence"') && !v.includes(`+jsString(`"`+first.Data.AgentEvents.Sequence+`"`)+`) ? v : false })()`,
			chromedp.WithPollingTimeout(30*time.Second)))
		if err != nil {
			t.Fatalf("no live event after %s: %v", shown, err)
		}
		t.Logf("live event: %s", live)
		want := `"authorization":"Bearer ` + token + `"`
		for _, f := range b.framesSent() {
			if strings.Contains(f, `"connection_init"`) && strings.Contains(f, want) {
				return
			}
		}
		t.Errorf("no connection_init carried %s; frames sent: %q", want, b.framesSent())
	})
	t.Run("sign out", func(t *testing.T) {
		err := chromedp.Do(ctx,
			chromedp.Click(chromedp.ID("signout")),
			chromedp.WaitVisible(chromedp.ID("signin")),
		)
		if err != nil {
			t.Fatal(err)
		}
		left, err := chromedp.Run(ctx, chromedp.Evaluate[int](`sessionStorage.length`))
		if err != nil || left != 0 {
			t.Errorf("sessionStorage keeps %d items, %v", left, err)
		}
		if got := gql(t, srv.URL, token, `{ me { email } }`); !strings.Contains(got, "UNAUTHENTICATED") {
			t.Errorf("the token after signing out: %s, want UNAUTHENTICATED", got)
		}
	})
	t.Run("agents are refused", func(t *testing.T) {
		admin := login(t, srv.URL)
		gql(t, srv.URL, admin, `mutation { createAgent(input: {name: "Ann", email: "ann@example.com"}, password: "ann-password-123") { agent { id } } }`)
		signIn(ctx, t, "ann@example.com", "ann-password-123")
		msg, err := chromedp.Run(ctx, chromedp.Poll[string](
			`(() => { const e = document.getElementById('signin-error'); return !e.hidden && e.textContent.includes('for admins') && e.textContent })()`,
			chromedp.WithPollingTimeout(30*time.Second)))
		if err != nil || !strings.Contains(msg, "for admins") {
			t.Errorf("signing in as an agent shows %q, %v; want a refusal", msg, err)
		}
		if stored, err := chromedp.Run(ctx, chromedp.Evaluate[int](`sessionStorage.length`)); err != nil || stored != 0 {
			t.Errorf("sessionStorage holds %d items, %v", stored, err)
		}
	})
	t.Run("assets served locally", func(t *testing.T) {
		loaded := map[string]bool{}
		for _, r := range b.sent() {
			if i := strings.Index(r.URL, "/playground/"); i >= 0 {
				loaded[r.URL[i+len("/playground/"):]] = true
			}
		}
		for _, name := range []string{
			"assets/graphiql@4.1.2/graphiql.min.js", "assets/graphiql@4.1.2/graphiql.min.css",
			"assets/react@18.2.0/umd/react.production.min.js", "assets/react-dom@18.2.0/umd/react-dom.production.min.js",
			"playground.js", "playground.css",
		} {
			if !loaded[name] {
				t.Errorf("the page did not load /playground/%s", name)
			}
		}
	})
}

// signIn fills in and submits the playground's sign-in form.
func signIn(ctx context.Context, t *testing.T, email, password string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.ID("signin")),
		chromedp.SetValue(chromedp.ID("signin-email"), email),
		chromedp.SetValue(chromedp.ID("signin-password"), password),
		chromedp.Click(chromedp.ID("signin-submit")),
	)
	if err != nil {
		t.Fatalf("sign in as %s: %v", email, err)
	}
}

// run puts query, a named operation, into GraphiQL's editor (unless empty:
// what is there), runs it and returns the response view once it contains
// want or an error.
func run(ctx context.Context, t *testing.T, query, want string) string {
	t.Helper()
	if query != "" {
		if err := chromedp.Do(ctx, setEditor(queryEditor, query)); err != nil {
			t.Fatal(err)
		}
		// GraphiQL reads the operation's name from the editor after a
		// debounce and runs the operation of that name; its tab shows it.
		name := strings.Fields(query)[1]
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](
			`[...document.querySelectorAll('.graphiql-tab')].some(t => t.textContent.includes(`+jsString(name)+`))`,
			chromedp.WithPollingTimeout(30*time.Second)))
		if err != nil {
			t.Fatalf("GraphiQL's tab does not show the operation %s: %v", name, err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(runButton))); err != nil {
		t.Fatalf("run %q in GraphiQL: %v", query, err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Poll[string](
		`(() => { const v = document.querySelector(`+jsString(responseView)+`).CodeMirror.getValue();
			return v.includes(`+jsString(want)+`) || v.includes('"errors"') ? v : false })()`,
		chromedp.WithPollingTimeout(time.Minute)))
	if err != nil {
		t.Fatalf("wait for the result of %q: %v", query, err)
	}
	return shown
}

// setEditor replaces the text of the CodeMirror editor sel, as typing would,
// without the editor's bracket completion getting in the way.
func setEditor(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](
		`document.querySelector(` + jsString(sel) + `).CodeMirror.setValue(` + jsString(text) + `)`)
}

// startServer runs the whole application on a fresh SQLite file, in
// development mode (introspection open to all) when dev is set.
func startServer(t *testing.T, dev bool) *httptest.Server {
	t.Helper()
	a, err := app.New(t.Context(), app.Config{
		DatabaseURL:   filepath.Join(t.TempDir(), "switchboard.db"),
		AdminEmail:    adminEmail,
		AdminPassword: adminPassword,
		Dev:           dev,
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

// gql runs one operation with a bearer token and returns the response body.
func gql(t *testing.T, base, token, query string) string {
	t.Helper()
	body, err := json.Marshal(map[string]string{"query": query})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
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
