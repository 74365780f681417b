package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// artifactsDir is where the browser tests keep screenshots: the folder in
// $SWITCHBOARD_TEST_ARTIFACTS, or e2e/artifacts (ignored by git).
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SWITCHBOARD_TEST_ARTIFACTS")
	if dir == "" {
		dir = "artifacts"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifacts folder: %v", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// screenshot saves what the tab shows as name.png in the artifacts folder.
func screenshot(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(artifactsDir(t), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	t.Logf("screenshot saved: %s", path)
}

// axeSource returns axe-core from the Node packages in
// $SWITCHBOARD_NODE_TOOLS, or skips the test.
func axeSource(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SWITCHBOARD_NODE_TOOLS")
	if dir == "" {
		t.Skip("widget test skipped: SWITCHBOARD_NODE_TOOLS is unset (axe-core); run " +
			`export SWITCHBOARD_NODE_TOOLS="$(scripts/install-node-tools.sh)" first`)
	}
	src, err := os.ReadFile(filepath.Join(dir, "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatalf("axe-core: %v; run scripts/install-node-tools.sh", err)
	}
	return string(src)
}

// switchProxy forwards TCP connections to a server and can go offline:
// then it cuts every open connection and refuses new ones at once, as a
// lost network does to the browser's sockets and requests.
type switchProxy struct {
	ln      net.Listener
	target  string
	URL     string // http://host:port of the proxy
	mu      sync.Mutex
	offline bool
	conns   map[net.Conn]bool
	refused int // connections refused while offline
	wg      sync.WaitGroup
}

// startProxy listens on a loopback port and forwards to target (host:port).
func startProxy(t *testing.T, target string) *switchProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &switchProxy{ln: ln, target: target, URL: "http://" + ln.Addr().String(), conns: map[net.Conn]bool{}}
	p.wg.Go(p.serve)
	t.Cleanup(func() {
		ln.Close()
		p.SetOffline(true)
		p.wg.Wait()
	})
	return p
}

func (p *switchProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.offline {
			p.refused++
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c] = true
		p.mu.Unlock()
		p.wg.Go(func() { p.forward(c) })
	}
}

// forward copies both ways between c and a new connection to the target
// until either side closes or the proxy goes offline.
func (p *switchProxy) forward(c net.Conn) {
	defer func() {
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
		c.Close()
	}()
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	p.mu.Lock()
	if p.offline {
		p.mu.Unlock()
		up.Close()
		return
	}
	p.conns[up] = true
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.conns, up)
		p.mu.Unlock()
		up.Close()
	}()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
}

// SetOffline cuts the network (true) or restores it (false).
func (p *switchProxy) SetOffline(off bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.offline = off
	if off {
		for c := range p.conns {
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // a reset, not a goodbye
			}
			c.Close()
		}
	}
}

// Refused returns how many connections were refused while offline.
func (p *switchProxy) Refused() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refused
}

// cspWatch collects the Content-Security-Policy and Trusted Types
// violations of every document the tab loads, through a binding the page
// cannot block, and the reports the browser posts to the page's server.
type cspWatch struct {
	seen       chan struct{} // signalled on each violation
	mu         sync.Mutex
	violations []string
	reports    []string
}

// cspBinding is the function the watcher adds to every document.
const cspBinding = "switchboardTestCSPViolation"

// watchCSP installs the listener on every new document of the tab.
func watchCSP(ctx context.Context, t *testing.T, w *cspWatch) {
	t.Helper()
	if _, err := chromedp.Call(ctx, runtime.AddBinding, runtime.AddBindingParams{Name: cspBinding}); err != nil {
		t.Fatal(err)
	}
	listener := `addEventListener('securitypolicyviolation', e => ` + cspBinding + `(JSON.stringify({
		directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber, sample: e.sample})), true);`
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: listener}); err != nil {
		t.Fatal(err)
	}
	go func() {
		for ev, err := range chromedp.Events(ctx, runtime.BindingCalled) {
			if err != nil {
				return
			}
			if ev.Name == cspBinding {
				w.mu.Lock()
				w.violations = append(w.violations, ev.Payload)
				w.mu.Unlock()
				w.signal()
			}
		}
	}()
}

// Violations returns the violations seen so far.
func (w *cspWatch) Violations() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append(w.violations, w.reports...)
}

// report records a CSP report the browser posted.
func (w *cspWatch) report(body string) {
	w.mu.Lock()
	w.reports = append(w.reports, body)
	w.mu.Unlock()
	w.signal()
}

// signal wakes a waiter of seen without blocking.
func (w *cspWatch) signal() {
	select {
	case w.seen <- struct{}{}:
	default:
	}
}

// sitePage serves the company's site on ln: a page that carries only the
// snippet (and /no-chat, without it), under a strict
// Content-Security-Policy that lets scripts and connections reach the chat
// server (proxy) and nothing else.
func sitePage(t *testing.T, ln net.Listener, snippet, server string, w *cspWatch) *httptest.Server {
	t.Helper()
	wsOrigin := "ws" + strings.TrimPrefix(server, "http")
	csp := strings.Join([]string{
		"default-src 'none'",
		"script-src " + server,
		"connect-src " + server + " " + wsOrigin,
		"style-src 'none'",
		"img-src 'none'",
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
		"require-trusted-types-for 'script'",
		"trusted-types 'none'",
		"report-uri /csp-report",
	}, "; ")
	mux := http.NewServeMux()
	mux.HandleFunc("POST /csp-report", func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		w.report(string(body))
		rw.WriteHeader(http.StatusNoContent)
	})
	for path, heading := range map[string]string{"/": "Example Shop", "/no-chat": "Terms"} {
		snippet := snippet
		if path == "/no-chat" {
			snippet = "" // a page of the site without the widget
		}
		mux.HandleFunc("GET "+path, func(rw http.ResponseWriter, r *http.Request) {
			if r.URL.Path != path {
				http.NotFound(rw, r)
				return
			}
			rw.Header().Set("Content-Security-Policy", csp)
			rw.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(rw, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>`+heading+`</title></head>`+
				`<body><main><h1>`+heading+`</h1><p>Questions? Chat with us.</p></main>`+
				snippet+"</body></html>")
		})
	}
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// inWidget evaluates a JavaScript expression with r bound to the widget's
// shadow root.
func inWidget[T any](expr string) chromedp.Action[T] {
	return chromedp.Evaluate[T](`(() => { const r = document.querySelector('aside[aria-label="Chat"]').shadowRoot; return ` + expr + ` })()`)
}

// waitWidget polls expr (with r the widget's shadow root, null while the
// widget is absent) until it is truthy and returns its value.
func waitWidget[T any](ctx context.Context, t *testing.T, what, expr string) T {
	t.Helper()
	poll := chromedp.Poll[T](`(() => { const h = document.querySelector('aside[aria-label="Chat"]');
		const r = h && h.shadowRoot; if (!r) return false; return `+expr+` })()`, chromedp.WithPollingTimeout(time.Minute))
	v, err := chromedp.Run(ctx, poll)
	// A poll started just before a navigation's new document replaced the
	// old one loses its context: poll again in the new document.
	for i := 0; i < 3 && err != nil && strings.Contains(err.Error(), "Cannot find context"); i++ {
		v, err = chromedp.Run(ctx, poll)
	}
	if err != nil {
		shown, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const h = document.querySelector('aside[aria-label="Chat"]');
			return h ? h.shadowRoot.textContent : 'no widget: ' + document.body.textContent })()`))
		t.Fatalf("waiting for %s: %v; the widget shows: %s", what, err, shown)
	}
	return v
}

// messagesShown returns the text of each message in the widget's log, in
// order, without the sender's label.
const messagesShown = `[...r.querySelectorAll('ol li:not(.note)')].map(li => li.childNodes[1].textContent)`

// runAxe runs axe-core on the widget and returns its violations as JSON
// ("[]" for none). axe is evaluated through the DevTools protocol, like an
// extension, not loaded by the page.
func runAxe(ctx context.Context, t *testing.T, axe string) string {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axe+";void 0")); err != nil {
		t.Fatalf("load axe-core: %v", err)
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document.querySelector('aside[aria-label="Chat"]'), {
		runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']},
	}).then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
		nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)}))))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe.run: %v", err)
	}
	var list []json.RawMessage
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("axe result %s: %v", out, err)
	}
	return out
}
