package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// chromiumPath returns the browser named by $CHROMIUM, or skips the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		t.Skip("browser test skipped: CHROMIUM is unset; run " +
			`export CHROMIUM="$(scripts/install-chromium.sh)" first`)
	}
	return path
}

// browser is one headless Chromium tab that may reach only one server. It
// fails every request to another host and records what the page did.
type browser struct {
	tab    context.Context
	origin *url.URL        // the server under test
	hosts  map[string]bool // the only hosts the page may reach: origin's and those of also

	mu       sync.Mutex
	requests []*network.Request // every request the page sent
	frames   []string           // every websocket message the page sent
	blocked  []string           // URLs refused because they left origin
	console  []chromedp.ConsoleMessage
	failures []error // interception commands that failed
}

// startBrowser launches Debian's chromium headless with its own profile and
// no background traffic, and shuts it down when the test ends. The page may
// reach origin and the origins in also, nothing else.
func startBrowser(t *testing.T, chromium, origin string, also ...string) *browser {
	t.Helper()
	u, err := url.Parse(origin)
	if err != nil {
		t.Fatal(err)
	}
	hosts := map[string]bool{u.Host: true}
	exclude := []string{u.Hostname()}
	for _, o := range also {
		v, err := url.Parse(o)
		if err != nil {
			t.Fatal(err)
		}
		hosts[v.Host] = true
		exclude = append(exclude, v.Hostname())
	}
	var output lockedBuffer
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs as root, where the sandbox cannot start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// Name resolution fails for every host but the server's, so even
		// the browser's own traffic, which Fetch interception does not see,
		// stays local.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE "+strings.Join(exclude, ", EXCLUDE ")),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(&output),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	b := &browser{tab: tab, origin: u, hosts: hosts}

	var wg sync.WaitGroup
	t.Cleanup(func() {
		if err := chromedp.Cancel(tab); err != nil {
			t.Logf("closing chromium: %v", err)
		}
		cancelTab()
		cancelAlloc()
		wg.Wait()
		if t.Failed() {
			t.Logf("chromium output:\n%s", output.String())
		}
	})
	if err := chromedp.Do(tab); err != nil { // starts the browser, with no deadline
		t.Fatalf("start %s: %v\n%s", chromium, err, output.String())
	}

	paused := chromedp.Events(tab, fetch.RequestPaused)
	sockets := chromedp.Events(tab, network.WebSocketCreated)
	frames := chromedp.Events(tab, network.WebSocketFrameSent)
	console := chromedp.Console(tab)
	wg.Go(func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			b.intercept(ev)
		}
	})
	wg.Go(func() {
		for ev, err := range sockets {
			if err != nil {
				return
			}
			b.allow(ev.URL)
		}
	})
	wg.Go(func() {
		for ev, err := range frames {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.frames = append(b.frames, string(ev.Response.PayloadData))
			b.mu.Unlock()
		}
	})
	wg.Go(func() {
		for m, err := range console {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	})
	if _, err := chromedp.Call(tab, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	// No patterns: every request of the page pauses until intercept decides.
	if _, err := chromedp.Call(tab, fetch.Enable, fetch.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	return b
}

// intercept lets a paused request through if it stays on the origin, and
// fails it otherwise.
func (b *browser) intercept(ev fetch.EventRequestPaused) {
	var err error
	if b.allow(ev.Request.URL) {
		b.mu.Lock()
		b.requests = append(b.requests, ev.Request)
		b.mu.Unlock()
		_, err = chromedp.Call(b.tab, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
	} else {
		_, err = chromedp.Call(b.tab, fetch.FailRequest, fetch.FailRequestParams{
			RequestID: ev.RequestID, ErrorReason: network.ErrorReasonBlockedByClient,
		})
	}
	if err != nil && b.tab.Err() == nil {
		b.mu.Lock()
		b.failures = append(b.failures, fmt.Errorf("%s: %w", ev.Request.URL, err))
		b.mu.Unlock()
	}
}

// allow reports whether the page may reach raw, and records it if not.
// data: and blob: URLs never touch the network.
func (b *browser) allow(raw string) bool {
	u, err := url.Parse(raw)
	ok := err == nil && (u.Scheme == "data" || u.Scheme == "blob" ||
		((u.Scheme == "http" || u.Scheme == "ws") && b.hosts[u.Host]))
	if !ok {
		b.mu.Lock()
		b.blocked = append(b.blocked, raw)
		b.mu.Unlock()
	}
	return ok
}

// checkGuard shows that a request to another host is refused, since a
// check that passes because nothing watches would be worthless. Run it on
// the blank tab: a page's Content-Security-Policy could stop the request
// before the interception sees it.
func (b *browser) checkGuard(ctx context.Context, t *testing.T) {
	t.Helper()
	const elsewhere = "http://192.0.2.1/" // TEST-NET-1, by address: no name to resolve
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`fetch(`+jsString(elsewhere)+`).then(() => 'loaded', () => 'refused')`, chromedp.EvalAwaitPromise))
	if err != nil || got != "refused" {
		t.Fatalf("fetch %s from the blank tab: %q, %v; want refused", elsewhere, got, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !slices.Equal(b.blocked, []string{elsewhere}) {
		t.Fatalf("refused %q, want only %s", b.blocked, elsewhere)
	}
	b.blocked = nil
}

// check fails the test if the page tried to leave the origin or threw an
// uncaught exception, and logs the rest of the console.
func (b *browser) check(t *testing.T) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, u := range b.blocked {
		t.Errorf("the page tried to reach %s, outside %s", u, b.origin)
	}
	for _, err := range b.failures {
		t.Errorf("request interception: %v", err)
	}
	for _, m := range b.console {
		if m.IsException() {
			t.Errorf("uncaught exception at %s:%d: %s", m.URL, m.Line+1, m)
		} else {
			t.Logf("console %s at %s: %s", m.Type, m.URL, m)
		}
	}
}

// sent returns the requests the page sent so far.
func (b *browser) sent() []*network.Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*network.Request(nil), b.requests...)
}

// framesSent returns the websocket messages the page sent so far.
func (b *browser) framesSent() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.frames...)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	q, err := json.Marshal(s)
	if err != nil {
		panic(err) // a Go string always marshals
	}
	return string(q)
}

// lockedBuffer collects the browser's output, written from the process's
// pipe goroutines and read by the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
