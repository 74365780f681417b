package graph_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/messaging"
)

const smsSecret = "webhook secret for tests"

// smsGateway is a local HTTP receiver standing in for an SMS provider. It
// checks every request's signature and answers from a script: "fail" (503),
// "hang" (no answer until the client gives up), "ok" (200 with an id).
type smsGateway struct {
	t        *testing.T
	mu       sync.Mutex
	script   []string
	requests []smsRequest
	url      string
}

type smsRequest struct {
	idempotencyKey string
	timestamp      int64
	body           messaging.SMSRequest
	answered       int
}

func startSMSGateway(t *testing.T, script ...string) *smsGateway {
	g := &smsGateway{t: t, script: script}
	srv := httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(srv.Close)
	g.url = srv.URL
	return g
}

func (g *smsGateway) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	ts, err := strconv.ParseInt(r.Header.Get(messaging.HeaderTimestamp), 10, 64)
	if err != nil || r.Header.Get(messaging.HeaderSignature) != messaging.Sign(smsSecret, ts, raw) {
		g.t.Errorf("request with a bad signature: %q %q", r.Header.Get(messaging.HeaderTimestamp), r.Header.Get(messaging.HeaderSignature))
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	req := smsRequest{idempotencyKey: r.Header.Get(messaging.HeaderIdempotencyKey), timestamp: ts}
	if err := json.Unmarshal(raw, &req.body); err != nil {
		g.t.Errorf("body %q: %v", raw, err)
	}
	g.mu.Lock()
	step := "ok"
	if len(g.script) > 0 {
		step, g.script = g.script[0], g.script[1:]
	}
	g.mu.Unlock()
	switch step {
	case "fail":
		req.answered = http.StatusServiceUnavailable
		http.Error(w, "overloaded", req.answered)
	case "hang":
		<-r.Context().Done()
	default:
		req.answered = http.StatusOK
		w.Header().Set("Content-Type", "application/json")
		g.mu.Lock()
		id := "gw-" + strconv.Itoa(len(g.requests)+1)
		g.mu.Unlock()
		_, _ = w.Write([]byte(`{"id": "` + id + `"}`))
	}
	g.mu.Lock()
	g.requests = append(g.requests, req)
	g.mu.Unlock()
}

func (g *smsGateway) log() []smsRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]smsRequest(nil), g.requests...)
}

// TestSMSDelivery: SMS go to the gateway as signed JSON; a gateway that
// fails and hangs is retried with backoff until it recovers, with the same
// idempotency key; status callbacks that arrive twice or out of order
// never move a delivery's status backwards.
func TestSMSDelivery(t *testing.T) {
	gw := startSMSGateway(t, "fail", "hang", "ok")
	c := newMessagingCenter(t, func(cfg *app.Config) {
		cfg.SMSWebhook = messaging.SMSWebhookConfig{URL: gw.url, Secret: smsSecret, Timeout: 300 * time.Millisecond}
		cfg.DeliveryBackoff = time.Minute
	})
	events := subscribe(t, c.s.Dial(t, c.agentToken), agentEventsQuery, map[string]any{"after": "0"})
	started := c.start(t, c.agent, map[string]any{"channel": "SMS", "to": "+1 415 555 0100", "body": "Your code is 1234"}).StartOutbound
	id := started.Message.Delivery.ID

	if d := awaitDelivery(t, events, id, func(d deliveryEvent) bool { return d.attempts == 1 }); d.status != "QUEUED" || !strings.Contains(d.errText, "503") {
		t.Fatalf("gateway failing: %+v", d)
	}
	c.s.Clock.Advance(90 * time.Second)
	if d := awaitDelivery(t, events, id, func(d deliveryEvent) bool { return d.attempts == 2 }); d.status != "QUEUED" || d.errText == "" {
		t.Fatalf("gateway hanging: %+v", d)
	}
	c.s.Clock.Advance(3 * time.Minute)
	if d := awaitDelivery(t, events, id, func(d deliveryEvent) bool { return d.status != "QUEUED" }); d.status != "SENT" || d.attempts != 3 {
		t.Fatalf("gateway recovered: %+v", d)
	}
	reqs := gw.log()
	if len(reqs) != 3 {
		t.Fatalf("gateway got %d requests; want 3", len(reqs))
	}
	ok := 0
	for _, r := range reqs {
		if r.idempotencyKey != id || r.body.ID != id {
			t.Errorf("request keyed %q / %q; want the delivery id %s on every attempt", r.idempotencyKey, r.body.ID, id)
		}
		if r.body.From != smsNumber || r.body.To != "+14155550100" || r.body.Body != "Your code is 1234" {
			t.Errorf("request body %+v", r.body)
		}
		if r.answered == http.StatusOK {
			ok++
		}
	}
	if ok != 1 {
		t.Errorf("gateway accepted the message %d times; want once", ok)
	}
	if got := c.delivery(t, id); got["providerMessageID"] != "gw-3" || got["status"] != "SENT" {
		t.Errorf("delivery %v; want SENT with the gateway's id gw-3", got)
	}

	// Callbacks: delivered (by the gateway's id), then a late "sent", a
	// duplicate "delivered" and a "failed": the status stays DELIVERED.
	for _, cb := range []string{
		`{"providerMessageID": "gw-3", "status": "DELIVERED"}`,
		`{"id": "` + id + `", "status": "SENT"}`,
		`{"id": "` + id + `", "status": "delivered"}`,
		`{"id": "` + id + `", "status": "FAILED", "error": "late failure"}`,
	} {
		code, out := c.post(t, "/messaging/status", "application/json", cb)
		if code != 200 || out["status"] != "DELIVERED" {
			t.Errorf("callback %s answered %d %v; want 200 and DELIVERED", cb, code, out)
		}
	}
	if d := awaitDelivery(t, events, id, func(d deliveryEvent) bool { return d.status != "SENT" }); d.status != "DELIVERED" {
		t.Errorf("agentEvents: %+v; want DELIVERED", d)
	}

	// A message whose first news is a failure, then a "sent" out of order.
	second := c.start(t, c.agent, map[string]any{"channel": "SMS", "to": "+14155550101", "body": "Hi"}).StartOutbound
	awaitDelivery(t, events, second.Message.Delivery.ID, func(d deliveryEvent) bool { return d.status == "SENT" })
	for _, cb := range []string{`status=FAILED&id=` + second.Message.Delivery.ID + `&error=unreachable`, `status=SENT&id=` + second.Message.Delivery.ID} {
		if code, out := c.post(t, "/messaging/status", "application/x-www-form-urlencoded", cb); code != 200 || out["status"] != "FAILED" {
			t.Errorf("form callback %s answered %d %v; want FAILED", cb, code, out)
		}
	}
	if got := c.delivery(t, second.Message.Delivery.ID); got["lastError"] != "unreachable" {
		t.Errorf("failed delivery %v; want the provider's error", got)
	}

	t.Run("authentication", func(t *testing.T) {
		if code, out := postWith(t, c.s, "", "/messaging/status", "application/json", `{}`); code != 401 || out["code"] != "UNAUTHENTICATED" {
			t.Errorf("without a key: %d %v", code, out)
		}
		other := newAPIKey(t, c.s, "ENGAGEMENTS")
		if code, out := postWith(t, c.s, other, "/messaging/sms", "application/json", `{}`); code != 403 || out["code"] != "FORBIDDEN" {
			t.Errorf("with an ENGAGEMENTS key: %d %v", code, out)
		}
		if code, out := c.post(t, "/messaging/status", "application/json", `{"id": "`+id+`", "status": "QUEUED"}`); code != 400 || out["code"] != "VALIDATION" {
			t.Errorf("status QUEUED: %d %v", code, out)
		}
	})
}
