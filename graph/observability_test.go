package graph_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/auth"
)

// TestOperationLog: one JSON line per operation with its name, type,
// duration, outcome and principal, and never its variables, document or
// the token.
func TestOperationLog(t *testing.T) {
	logs := &syncBuffer{}
	s := apitest.Start(t, func(c *app.Config) {
		c.LogFormat = "json"
		c.Log = c.NewLogger(logs)
	})
	signedIn := do[struct{ Login struct{ Token string } }](t, s.Client(""),
		`mutation SignIn($e: String!, $p: String!) { login(email: $e, password: $p) { token } }`,
		map[string]any{"e": apitest.AdminEmail, "p": apitest.AdminPassword}).Login.Token
	apitest.ExpectCode(t, s.Admin, "NOT_FOUND", `query Missing { node(id: "123456789") { id } }`, nil)
	apitest.ExpectCode(t, s.Client(""), "UNAUTHENTICATED", `{ me { id } }`, nil)
	adminID := do[struct{ Me struct{ ID string } }](t, s.Admin, `query Who { me { id } }`, nil).Me.ID

	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("a log line is not JSON: %s", sc.Text())
		}
		if line["msg"] == "graphql operation" {
			lines = append(lines, line)
		}
	}
	if len(lines) < 5 {
		t.Fatalf("%d operation lines; want one per operation:\n%s", len(lines), logs)
	}
	want := []struct{ operation, kind, outcome, principal string }{
		{"SignIn", "mutation", "OK", "anonymous"},
		{"Missing", "query", "NOT_FOUND", "agent:" + adminID},
		{"", "query", "UNAUTHENTICATED", "anonymous"},
		{"Who", "query", "OK", "agent:" + adminID},
	}
	// The last lines are the operations above (the test server's login came first).
	got := lines[len(lines)-len(want):]
	for i, w := range want {
		l := got[i]
		if l["operation"] != w.operation || l["type"] != w.kind || l["outcome"] != w.outcome || l["principal"] != w.principal || l["level"] != "INFO" {
			t.Errorf("line %v; want operation %q, type %s, outcome %s, principal %s", l, w.operation, w.kind, w.outcome, w.principal)
		}
		if _, ok := l["duration_ms"].(float64); !ok {
			t.Errorf("line %v has no duration_ms", l)
		}
	}
	for _, leak := range []string{signedIn, s.Admin.Token, "me { id }", apitest.AdminPassword} {
		if strings.Contains(logs.String(), leak) {
			t.Errorf("the log contains %q", leak)
		}
	}
}

// TestMetrics scrapes /metrics after some traffic: every metric the README
// lists is there with the right figures, and the exposition passes the
// lint that `promtool check metrics` runs (promlint).
func TestMetrics(t *testing.T) {
	s := apitest.Start(t)
	queueID := createQueue(t, s, map[string]any{"name": "Support", "channels": []string{"CHAT"}})
	e := insertEngagement(t, s, queueID, engagement.StateQueued)
	if err := s.App.Client.Engagement.UpdateOne(e).SetQueuedAt(s.Clock.Now().Add(-90 * time.Second)).
		Exec(auth.SystemContext(context.Background())); err != nil {
		t.Fatal(err)
	}
	conn := s.Dial(t, s.Admin.Token)
	defer conn.CloseNow()

	body := scrape(t, s.HTTP.URL+"/metrics", s.HTTP.Client())
	problems, err := promlint.New(strings.NewReader(body)).Lint()
	if err != nil {
		t.Fatalf("promlint: %v", err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "switchboard_") {
			t.Errorf("promlint: %s: %s", p.Metric, p.Text)
		}
	}
	for _, want := range []string{
		`switchboard_queue_waiting_engagements{queue="Support",queue_id="` + queueID + `"} 1`,
		`switchboard_queue_longest_wait_seconds{queue="Support",queue_id="` + queueID + `"} 90`,
		`switchboard_agents{state="OFFLINE"} 1`,
		`switchboard_agents{state="AVAILABLE"} 0`,
		`switchboard_offers_total{outcome="TIMED_OUT"} 0`,
		`switchboard_websocket_connections 1`,
		`switchboard_websocket_slow_subscriber_disconnects_total 0`,
		`switchboard_ring_latency_seconds_count `,
		`switchboard_write_transaction_wait_seconds_count `,
		`switchboard_write_transaction_hold_seconds_count `,
		`switchboard_graphql_operation_seconds_count{outcome="ok",type="mutation"} `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, "switchboard_write_transaction_hold_seconds_count 0\n") {
		t.Error("no write transaction was timed")
	}
}

// TestMetricsListener: with -metrics-addr the API's listener has no
// /metrics, and the separate handler serves them.
func TestMetricsListener(t *testing.T) {
	s := apitest.Start(t, func(c *app.Config) { c.MetricsAddr = "127.0.0.1:0" })
	res, err := s.HTTP.Client().Get(s.HTTP.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /metrics on the API port: %d; want 404", res.StatusCode)
	}
	m := httptest.NewServer(s.App.MetricsHandler())
	defer m.Close()
	if body := scrape(t, m.URL+"/metrics", m.Client()); !strings.Contains(body, "switchboard_agents{") {
		t.Fatalf("the metrics listener serves %q", body)
	}
}

func scrape(t *testing.T, url string, c *http.Client) string {
	t.Helper()
	res, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, b)
	}
	return string(b)
}

// TestRingLatencyMetric: a ring through the API is timed once, from its
// commit to the write of its frame on the agent's websocket; other events
// on the stream, and a ring replayed to another connection, are not.
func TestRingLatencyMetric(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", map[string]any{"channels": []string{"CHAT"}})
	ann := c.agent("Ann", "", q)
	_, stream := agentStream(t, c, ann)
	ringCount := func() (count int, sum float64) {
		body := scrape(t, c.s.HTTP.URL+"/metrics", c.s.HTTP.Client())
		for line := range strings.Lines(body) {
			if v, ok := strings.CutPrefix(line, "switchboard_ring_latency_seconds_count "); ok {
				count, _ = strconv.Atoi(strings.TrimSpace(v))
			}
			if v, ok := strings.CutPrefix(line, "switchboard_ring_latency_seconds_sum "); ok {
				sum, _ = strconv.ParseFloat(strings.TrimSpace(v), 64)
			}
		}
		return count, sum
	}
	if n, _ := ringCount(); n != 0 {
		t.Fatalf("before any ring: count %d, want 0", n)
	}

	id := c.create("CHAT", q)
	ann.ringFor(id)
	nextTopic(t, stream, "offer.created")
	// The server writes a connection's frames one after the other, and
	// observes a ring's latency right after its write: once a later frame
	// arrived, the observation is done.
	ann.setState("AVAILABLE", "")
	nextTopic(t, stream, "agent.state_changed")
	if n, sum := ringCount(); n != 1 || sum <= 0 {
		t.Fatalf("after one ring: count %d, sum %g; want 1 and a positive sum", n, sum)
	}

	// A second connection replays the ring from the log: not timed.
	conn := c.s.Dial(t, ann.Token)
	defer conn.CloseNow()
	replay := subscribe(t, conn, agentEventsQuery, map[string]any{"after": "0"})
	nextTopic(t, replay, "offer.created")
	nextTopic(t, replay, "agent.state_changed") // written after the ring's frame
	if n, _ := ringCount(); n != 1 {
		t.Fatalf("after a replayed ring: count %d, want still 1", n)
	}
}
