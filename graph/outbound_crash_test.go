package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/gqlclient"
	"github.com/switchboard/switchboard/internal/messaging"
)

// crashChildEnv makes the test binary serve Switchboard (TestCrashChild)
// instead of running tests: the server the crash test kills.
const crashChildEnv = "SWITCHBOARD_CRASH_CHILD"

// TestCrashChild is the child process of TestOutboxSurvivesKill: it serves
// the configuration in its environment until it is killed.
func TestCrashChild(t *testing.T) {
	if os.Getenv(crashChildEnv) == "" {
		t.Skip("runs only as the child process of TestOutboxSurvivesKill")
	}
	cfg, err := app.LoadConfig(nil, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Fatal(http.Serve(l, a.Handler()))
}

// blockingGateway is an SMS gateway that holds every request open while
// hanging is set, and accepts them otherwise, counting acceptances per
// idempotency key.
type blockingGateway struct {
	mu       sync.Mutex
	hanging  bool
	received chan string
	accepted map[string]int
}

func (g *blockingGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	ts := r.Header.Get(messaging.HeaderTimestamp)
	var n int64
	fmt.Sscan(ts, &n)
	if r.Header.Get(messaging.HeaderSignature) != messaging.Sign(smsSecret, n, raw) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	key := r.Header.Get(messaging.HeaderIdempotencyKey)
	g.mu.Lock()
	hang := g.hanging
	g.mu.Unlock()
	g.received <- key
	if hang {
		<-r.Context().Done()
		return
	}
	g.mu.Lock()
	g.accepted[key]++
	g.mu.Unlock()
	_, _ = w.Write([]byte(`{"id": "gw-` + key + `"}`))
}

// TestOutboxSurvivesKill: the server, a child process, commits three SMS
// and is killed with SIGKILL while the gateway holds the first one's
// request open (the others never left). Restarted on the same database, it
// delivers each message, and the gateway accepts each exactly once.
func TestOutboxSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	gw := &blockingGateway{hanging: true, received: make(chan string, 16), accepted: map[string]int{}}
	gateway := &http.Server{Handler: gw}
	gl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go gateway.Serve(gl)
	t.Cleanup(func() { gateway.Close() })

	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := probe.Addr().String()
	probe.Close()
	env := append(os.Environ(), crashChildEnv+"=1",
		"SWITCHBOARD_ADDR="+addr, "SWITCHBOARD_DB="+filepath.Join(t.TempDir(), "crash.db"),
		"SWITCHBOARD_ADMIN_EMAIL=admin@example.com", "SWITCHBOARD_ADMIN_PASSWORD=crash test password",
		"SWITCHBOARD_BCRYPT_COST=4", "SWITCHBOARD_SMS_WEBHOOK_URL=http://"+gl.Addr().String(),
		"SWITCHBOARD_SMS_WEBHOOK_SECRET="+smsSecret, "SWITCHBOARD_SMS_WEBHOOK_TIMEOUT=1s",
		"SWITCHBOARD_DELIVERY_BACKOFF=1h")
	start := func() *exec.Cmd {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if testing.Verbose() {
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		deadline := time.Now().Add(30 * time.Second)
		for {
			res, err := http.Get("http://" + addr + "/readyz")
			if err == nil {
				res.Body.Close()
				if res.StatusCode == 200 {
					return cmd
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("the server did not come up: %v", err)
			}
			time.Sleep(20 * time.Millisecond) // waiting for another process, not a goroutine
		}
	}
	child := start()
	url := "http://" + addr + "/graphql"
	client := func(token string) *gqlclient.Client {
		return &gqlclient.Client{URL: url, Token: token, HTTP: http.DefaultClient}
	}
	run := func(c *gqlclient.Client, q string, vars map[string]any) map[string]json.RawMessage {
		t.Helper()
		var out map[string]json.RawMessage
		if err := c.Run(context.Background(), q, vars, &out); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return out
	}
	id := func(raw json.RawMessage, path ...string) string {
		t.Helper()
		var v any
		_ = json.Unmarshal(raw, &v)
		for _, p := range path {
			v = v.(map[string]any)[p]
		}
		return v.(string)
	}
	login := func(email, password string) string {
		return id(run(client(""), `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }`,
			map[string]any{"e": email, "p": password})["login"], "token")
	}
	admin := client(login("admin@example.com", "crash test password"))
	queue := id(run(admin, `mutation { createQueue(input: {name: "M", channels: [SMS]}) { queue { id } } }`, nil)["createQueue"], "queue", "id")
	run(admin, `mutation($q: ID!) { createEntryPoint(input: {name: "SMS", channel: SMS, address: "`+smsNumber+`", defaultQueueID: $q}) { entryPoint { id } } }`, map[string]any{"q": queue})
	profile := id(run(admin, `mutation { createCapacityProfile(input: {name: "P", outboundMax: 5}) { capacityProfile { id } } }`, nil)["createCapacityProfile"], "capacityProfile", "id")
	run(admin, `mutation($p: ID!) { createAgent(input: {name: "Ann", email: "ann@example.com", license: PREMIUM, capacityProfileID: $p}, password: "agent password 123") { agent { id } } }`,
		map[string]any{"p": profile})
	agent := client(login("ann@example.com", "agent password 123"))
	run(agent, `mutation { setAgentState(state: NOT_READY) { agent { id } } }`, nil)
	var deliveries []string
	for _, to := range []string{"+14155550100", "+14155550101"} {
		out := run(agent, `mutation($to: String!) { startOutbound(input: {channel: SMS, to: $to, body: "Hello"}) { message { delivery { id } } } }`, map[string]any{"to": to})
		deliveries = append(deliveries, id(out["startOutbound"], "message", "delivery", "id"))
	}
	// The first attempt is in flight, held open by the gateway.
	if got := <-gw.received; got != deliveries[0] {
		t.Fatalf("gateway got %s first; want %s", got, deliveries[0])
	}
	// Committed while the worker is stuck on the first: never attempted.
	out := run(agent, `mutation { startOutbound(input: {channel: SMS, to: "+14155550102", body: "Hello"}) { message { delivery { id } } } }`, nil)
	deliveries = append(deliveries, id(out["startOutbound"], "message", "delivery", "id"))

	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	gw.mu.Lock()
	gw.hanging = false
	gw.mu.Unlock()

	start()
	staff := client(login("admin@example.com", "crash test password"))
	for _, d := range deliveries {
		deadline := time.Now().Add(30 * time.Second)
		for {
			st := id(run(staff, `query($id: ID!) { node(id: $id) { ... on Delivery { status } } }`, map[string]any{"id": d})["node"], "status")
			if st == "SENT" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("delivery %s is %s 30 s after the restart; want SENT", d, st)
			}
			select {
			case <-gw.received: // an attempt reached the gateway: look again
			case <-time.After(time.Second): // the first one's lease must run out
			}
		}
	}
	gw.mu.Lock()
	defer gw.mu.Unlock()
	for _, d := range deliveries {
		if gw.accepted[d] != 1 {
			t.Errorf("gateway accepted delivery %s %d times; want exactly once (all: %v)", d, gw.accepted[d], gw.accepted)
		}
	}
	if len(gw.accepted) != len(deliveries) {
		t.Errorf("gateway accepted %v; want only %v", gw.accepted, deliveries)
	}
}
