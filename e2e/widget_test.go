package e2e

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/gqlclient"
)

// outage is how long the visitor's network is gone while the agent writes.
const outage = 20 * time.Second

// TestWidget runs the chat widget in headless Chromium on a company's page
// (a second loopback origin) that carries only the snippet, under a strict
// Content-Security-Policy with Trusted Types. The visitor opens a chat with
// the keyboard; an agent client in Go gets the ring, accepts and replies,
// and the page shows the reply. Then the visitor's network goes away for
// 20 s (a proxy in front of the server cuts its sockets and refuses new
// ones) while the agent sends 10 messages, and the page is reloaded in the
// middle of it: all 10 appear once each, in order. The visitor ends the
// chat and the agent wraps up. No CSP violation is recorded, and axe-core
// finds no accessibility violation in the open widget. Screenshots of a
// failure are kept in the artifacts folder (artifactsDir). After the
// wrap-up the visitor declines the survey's consent question; a reconnect
// after the server's 1012 and a stale chat refused with 4403 are covered
// too.
func TestWidget(t *testing.T) {
	chromium := chromiumPath(t)
	axe := axeSource(t)
	siteLn, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("widget test skipped: cannot listen on 127.0.0.2: %v", err)
	}
	s := apitest.Start(t, func(c *app.Config) { c.AllowedOrigins = []string{siteLn.Addr().String()} })
	proxy := startProxy(t, s.HTTP.Listener.Addr().String())
	c := setUpChat(t, s)
	const question = "May we ask you two questions about this chat?"
	c.askSurveyConsent(t, question)

	// The snippet, asked for through the address visitors reach the server by.
	admin := &gqlclient.Client{URL: proxy.URL + "/graphql", Token: s.Admin.Token, HTTP: s.HTTP.Client()}
	var snip struct{ ChatSnippet string }
	apitest.Must(t, admin, `query($e: ID!) { chatSnippet(entryPointID: $e) }`, map[string]any{"e": c.entryPoint}, &snip)
	want := `<script src="` + proxy.URL + `/widget.js" data-switchboard-token="` + c.chatToken + `" async></script>`
	if snip.ChatSnippet != want {
		t.Fatalf("chatSnippet = %s, want %s", snip.ChatSnippet, want)
	}
	csp := &cspWatch{seen: make(chan struct{}, 1)}
	site := sitePage(t, siteLn, snip.ChatSnippet, proxy.URL, csp)

	b := startBrowser(t, chromium, proxy.URL, site.URL)
	ctx, cancel := context.WithTimeout(b.tab, 4*time.Minute)
	defer cancel()
	b.checkGuard(ctx, t)
	defer b.check(t)
	t.Cleanup(func() {
		if t.Failed() {
			screenshot(b.tab, t, "TestWidget-failure")
		}
	})
	watchCSP(ctx, t, csp)
	sockets := countSockets(ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(site.URL+"/")); err != nil {
		t.Fatal(err)
	}

	// The launcher is the page's first stop for Tab; Enter opens the
	// pre-chat form with the focus on its first field.
	waitWidget[bool](ctx, t, "the launcher", `!!r.querySelector('button.launch')`)
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	waitWidget[bool](ctx, t, "the pre-chat form, focused", `r.activeElement && r.activeElement.id === 'sb-pre-name'`)
	if v := runAxe(ctx, t, axe); v != "[]" {
		t.Errorf("axe-core on the pre-chat form: %s", v)
	}
	err = chromedp.Do(ctx, chromedp.KeyEvent("Bob Visitor"), chromedp.KeyEvent(kb.Tab),
		chromedp.KeyEvent("bob@example.com"), chromedp.KeyEvent(kb.Enter))
	if err != nil {
		t.Fatal(err)
	}
	waitWidget[bool](ctx, t, "the composer, focused", `r.activeElement && r.activeElement.id === 'sb-message'`)
	waitWidget[bool](ctx, t, "the place in the queue", `/You are number 1 in the queue/.test(r.querySelector('.status').textContent)`)

	// The agent is rung, accepts and replies; the page shows the reply.
	engagement := c.acceptRing(t)
	waitWidget[bool](ctx, t, "the agent joined", `r.querySelector('ol').textContent.includes('An agent joined')`)
	if err := chromedp.Do(ctx, chromedp.KeyEvent("Hello, where is my parcel?"), chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	visitorMsg := c.waitMessage(t, "CUSTOMER", "Hello, where is my parcel?")
	c.agentDo(t, `mutation($e: ID!) { setTyping(engagementID: $e, typing: true) }`, map[string]any{"e": engagement})
	waitWidget[bool](ctx, t, "the agent typing", `!r.querySelector('.typing').hidden`)
	c.agentDo(t, `mutation($e: ID!, $m: ID!) { markRead(engagementID: $e, messageID: $m) }`, map[string]any{"e": engagement, "m": visitorMsg})
	waitWidget[bool](ctx, t, "the visitor's message marked read", `r.querySelector('li.me .read') !== null`)
	c.post(t, engagement, "Hi Bob, I am Ann. Let me look.")
	shown := waitWidget[[]string](ctx, t, "the reply", messagesShown+`.includes('Hi Bob, I am Ann. Let me look.') && `+messagesShown)
	if !slices.Equal(shown, []string{"Hello, where is my parcel?", "Hi Bob, I am Ann. Let me look."}) {
		t.Errorf("the widget shows %q", shown)
	}
	waitWidget[bool](ctx, t, "typing hidden by the reply", `r.querySelector('.typing').hidden`)
	c.waitRead(t, "CUSTOMER")
	if v := runAxe(ctx, t, axe); v != "[]" {
		t.Errorf("axe-core on the conversation: %s", v)
	}
	screenshot(ctx, t, "widget-conversation")

	// The network goes: sockets are cut, new connections refused.
	offlineAt := time.Now()
	proxy.SetOffline(true)
	setOnline(ctx, t, false)
	waitWidget[bool](ctx, t, "the widget noticing", `/offline|Reconnecting/.test(r.querySelector('.status').textContent)`)
	var sent []string
	for i := 1; i <= 10; i++ {
		if i == 6 {
			// Mid-stream, the page is reloaded (the site is still there;
			// the chat server is not). widget.js comes from the cache and
			// the conversation from sessionStorage.
			if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
				t.Fatalf("reload: %v", err)
			}
			got := waitWidget[[]string](ctx, t, "the conversation restored after the reload", messagesShown+`.length >= 2 && `+messagesShown)
			if !slices.Equal(got, shown) {
				t.Errorf("after the reload the widget shows %q, want %q", got, shown)
			}
		}
		msg := fmt.Sprintf("Update %d of 10", i)
		c.post(t, engagement, msg)
		sent = append(sent, msg)
	}
	if got, err := chromedp.Run(ctx, inWidget[[]string](messagesShown)); err != nil || len(got) != 2 {
		t.Fatalf("while offline the widget shows %q, %v: the network was not gone", got, err)
	}
	// The outage lasts its length; what follows waits on the page, not on time.
	select {
	case <-time.After(time.Until(offlineAt.Add(outage))):
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	refused := proxy.Refused()
	proxy.SetOffline(false)
	setOnline(ctx, t, true)
	t.Logf("connections refused during the %s outage: %d", outage, refused)
	if refused < 2 || refused > 20 {
		t.Errorf("%d connections tried during the outage; want retries, backing off (2 to 20)", refused)
	}
	got := waitWidget[[]string](ctx, t, "all 10 messages", messagesShown+`.includes('Update 10 of 10') && `+messagesShown)
	if want := append(slices.Clone(shown), sent...); !slices.Equal(got, want) {
		t.Errorf("after the outage the widget shows\n%q\nwant\n%q", got, want)
	}

	// The server restarts its sockets (close code 1012): the widget
	// reconnects after its cursor, and so does the agent.
	before := sockets()
	s.App.Shutdown(ctx)
	c.waitClosed(t)
	c.follow(t)
	c.post(t, engagement, "Back after the restart")
	got = waitWidget[[]string](ctx, t, "the message after the restart", messagesShown+`.includes('Back after the restart') && `+messagesShown)
	if n := len(got); n != 13 || got[n-1] != "Back after the restart" {
		t.Errorf("after the restart the widget shows %q", got)
	}
	if sockets() <= before {
		t.Errorf("the widget opened no new websocket after the 1012 close")
	}

	// The visitor ends the chat; the agent wraps up.
	if _, err := chromedp.Run(ctx, inWidget[chromedp.Void](`[...r.querySelectorAll('button')].find(b => b.textContent === 'End chat').click()`)); err != nil {
		t.Fatal(err)
	}
	waitWidget[bool](ctx, t, "the end of the chat", `r.textContent.includes('The chat has ended. Thank you!')`)
	c.waitState(t, "WRAP_UP")
	var wrapped struct {
		CompleteWrapUp struct{ Engagement struct{ State string } }
	}
	apitest.Must(t, c.agent, `mutation($e: ID!) { completeWrapUp(input: {engagementID: $e, notes: "parcel traced"}) { engagement { state } } }`,
		map[string]any{"e": engagement}, &wrapped)
	if wrapped.CompleteWrapUp.Engagement.State != "POST_SESSION" {
		t.Errorf("after the wrap-up the engagement is %s, want POST_SESSION (the survey)", wrapped.CompleteWrapUp.Engagement.State)
	}
	// The survey asks the visitor's consent first; the visitor declines
	// and the engagement closes.
	waitWidget[bool](ctx, t, "the consent question", `r.querySelector('#sb-consent') !== null && r.querySelector('#sb-consent').textContent === `+jsString(question))
	if v := runAxe(ctx, t, axe); v != "[]" {
		t.Errorf("axe-core on the consent question: %s", v)
	}
	if _, err := chromedp.Run(ctx, inWidget[chromedp.Void](`[...r.querySelectorAll('button')].find(b => b.textContent === 'No').click()`)); err != nil {
		t.Fatal(err)
	}
	c.waitState(t, "CLOSED")
	waitWidget[bool](ctx, t, "the stream completed", `JSON.parse(sessionStorage.getItem('switchboard.chat.`+c.chatToken+`')).done === true`)

	// A tab that kept a chat whose token the server no longer accepts (here:
	// its state from before the end, 11 minutes after the close) is refused
	// with 4403, and the widget clears it and offers a new chat. The state
	// is set on a page of the site without the widget, so no widget writes
	// it meanwhile.
	// The state is read before the clock moves: a widget still on the page
	// may hear of the expiry first and clear it.
	key := jsString("switchboard.chat." + c.chatToken)
	stored, err := chromedp.Run(ctx, chromedp.Evaluate[string](`sessionStorage.getItem(`+key+`)`))
	if err != nil || stored == "" {
		t.Fatalf("the chat's stored state: %q, %v", stored, err)
	}
	s.Clock.Advance(11 * time.Minute)
	err = chromedp.Do(ctx, chromedp.Navigate(site.URL+"/no-chat"), chromedp.Evaluate[chromedp.Void](`(() => {
		const st = JSON.parse(`+jsString(stored)+`); st.done = false; sessionStorage.setItem(`+key+`, JSON.stringify(st)) })()`),
		chromedp.Navigate(site.URL+"/"))
	if err != nil {
		t.Fatal(err)
	}
	waitWidget[bool](ctx, t, "a new chat offered after 4403", `r.querySelector('.status').textContent.includes('You can start a new chat') &&
		sessionStorage.getItem(`+key+`) === null && !!r.querySelector('#sb-pre-name, #sb-off-name')`)

	checkCSP(ctx, t, csp)
}

// countSockets counts the websockets the tab opens from now on.
func countSockets(ctx context.Context) func() int {
	var mu sync.Mutex
	n := 0
	go func() {
		for _, err := range chromedp.Events(ctx, network.WebSocketCreated) {
			if err != nil {
				return
			}
			mu.Lock()
			n++
			mu.Unlock()
		}
	}()
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

// setOnline tells the page the network is there or gone (navigator.onLine
// and the online/offline events); the proxy does the cutting.
func setOnline(ctx context.Context, t *testing.T, online bool) {
	t.Helper()
	_, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
		Offline: !online, DownloadThroughput: -1, UploadThroughput: -1})
	if err != nil {
		t.Fatal(err)
	}
}

// checkCSP fails the test on any CSP violation, then shows that the
// watcher sees one: an image the policy forbids.
func checkCSP(ctx context.Context, t *testing.T, w *cspWatch) {
	t.Helper()
	if v := w.Violations(); len(v) > 0 {
		t.Errorf("Content-Security-Policy violations:\n%s", strings.Join(v, "\n"))
		return
	}
	_, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		const img = document.createElement('img'); img.alt = ''; img.src = '/forbidden.png'; document.body.append(img) })()`))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.seen:
	case <-time.After(30 * time.Second):
		t.Fatal("the CSP watcher did not see a forbidden image: it would miss the widget's violations too")
	}
	if v := w.Violations(); !strings.Contains(v[0], "img-src") {
		t.Errorf("the control violation: %s", v[0])
	}
}

// TestWidgetOffline opens the widget while no agent is staffed: the
// offline form appears with the pre-chat fields, and the visitor's message
// becomes a queued CHAT engagement for an agent to pick (no offline email
// entry point is set), under the same strict policy, with no CSP or
// axe-core violation.
func TestWidgetOffline(t *testing.T) {
	chromium := chromiumPath(t)
	axe := axeSource(t)
	siteLn, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("widget test skipped: cannot listen on 127.0.0.2: %v", err)
	}
	s := apitest.Start(t, func(c *app.Config) { c.AllowedOrigins = []string{siteLn.Addr().String()} })
	c := setUpEntryPoint(t, s)
	var snip struct{ ChatSnippet string }
	apitest.Must(t, s.Admin, `query($e: ID!) { chatSnippet(entryPointID: $e) }`, map[string]any{"e": c.entryPoint}, &snip)
	if want := `<script src="` + s.HTTP.URL + `/widget.js" `; !strings.HasPrefix(snip.ChatSnippet, want) {
		t.Fatalf("chatSnippet = %s, want it to start with %s (the request's scheme and host)", snip.ChatSnippet, want)
	}
	csp := &cspWatch{seen: make(chan struct{}, 1)}
	site := sitePage(t, siteLn, snip.ChatSnippet, s.HTTP.URL, csp)
	b := startBrowser(t, chromium, s.HTTP.URL, site.URL)
	ctx, cancel := context.WithTimeout(b.tab, 2*time.Minute)
	defer cancel()
	b.checkGuard(ctx, t)
	defer b.check(t)
	t.Cleanup(func() {
		if t.Failed() {
			screenshot(b.tab, t, "TestWidgetOffline-failure")
		}
	})
	watchCSP(ctx, t, csp)
	if err := chromedp.Do(ctx, chromedp.Navigate(site.URL+"/")); err != nil {
		t.Fatal(err)
	}
	waitWidget[bool](ctx, t, "the launcher", `!!r.querySelector('button.launch')`)
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	waitWidget[bool](ctx, t, "the offline form, focused", `r.activeElement && r.activeElement.id === 'sb-off-name'`)
	if v := runAxe(ctx, t, axe); v != "[]" {
		t.Errorf("axe-core on the offline form: %s", v)
	}
	err = chromedp.Do(ctx, chromedp.KeyEvent("Carla Visitor"), chromedp.KeyEvent(kb.Tab),
		chromedp.KeyEvent("carla@example.com"), chromedp.KeyEvent(kb.Tab),
		chromedp.KeyEvent("Please call me back about order A-17."), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Enter))
	if err != nil {
		t.Fatal(err)
	}
	waitWidget[bool](ctx, t, "the thank-you", `r.textContent.includes('We received your message')`)
	var out struct {
		Engagements struct {
			Edges []struct {
				Node struct {
					Channel, State string
					FlowVariables  map[string]any
					Messages       struct {
						Edges []struct{ Node struct{ Body string } }
					}
				}
			}
		}
	}
	apitest.Must(t, s.Admin, `{ engagements(first: 10) { edges { node { channel state flowVariables messages(first: 10) { edges { node { body } } } } } } }`, nil, &out)
	if len(out.Engagements.Edges) != 1 {
		t.Fatalf("after the offline form there are %d engagements, want 1", len(out.Engagements.Edges))
	}
	n := out.Engagements.Edges[0].Node
	if n.Channel != "CHAT" || n.State != "QUEUED" || n.FlowVariables["offline"] != "true" || n.FlowVariables["name"] != "Carla Visitor" ||
		len(n.Messages.Edges) != 1 || n.Messages.Edges[0].Node.Body != "Please call me back about order A-17." {
		t.Errorf("the offline form left %+v; want a QUEUED CHAT engagement (offline) with the visitor's answers and message", n)
	}
	checkCSP(ctx, t, csp)
}
