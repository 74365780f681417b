package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	entoffer "github.com/switchboard/switchboard/ent/offer"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/gqlclient"
)

// traffic is a crowd of agents and an integration working one center at
// once, each goroutine doing random lifecycle actions; the clock moves
// meanwhile, so rings time out, wrap-ups reach their limit and lost
// connections their grace period.
type traffic struct {
	c       *center
	queues  []string
	agents  []*agentClient
	created []string
	mu      sync.Mutex // guards created, failures, presence and agents' clients
	ops     atomic.Int64
	// outcomes counts results by mutation and error code.
	outcomes sync.Map
	failures []string
	presence []bool // agents whose (simulated) event stream is open
	stop     chan struct{}
	wg       sync.WaitGroup
	// srv guards the server's fields against a restart (write-locked then).
	srv sync.RWMutex
	// restarting: requests may fail at the transport while it is set.
	restarting atomic.Bool
}

// expected are the error codes a racing action may get, and "down" for a
// request that could not reach the server while it restarted. INTERNAL,
// UNAUTHENTICATED or another transport error is a failure.
var expected = map[string]bool{"CONFLICT": true, "PRECONDITION_FAILED": true, "FORBIDDEN": true, "VALIDATION": true, "down": true}

func newTraffic(c *center, agents int) *traffic {
	tr := &traffic{c: c, stop: make(chan struct{})}
	tr.queues = []string{
		c.queue("Manual", map[string]any{"ringTimeoutSeconds": 15, "wrapUpLimitSeconds": 90}),
		c.queue("Auto", map[string]any{"acceptMode": "AUTO", "priority": 2}),
		c.queue("Urgent", map[string]any{"priority": 5, "ringTimeoutSeconds": 10}),
	}
	profiles := []string{"", c.profile(map[string]any{"chat": 2, "email": 2, "sms": 1}), c.profile(map[string]any{"chat": 1, "voice": 1, "video": 0})}
	for i := range agents {
		qs := []string{tr.queues[i%3], tr.queues[(i+1)%3]}
		tr.agents = append(tr.agents, c.agent(fmt.Sprintf("Agent%02d", i+1), profiles[i%3], qs...))
	}
	tr.presence = make([]bool, agents)
	return tr
}

// do runs one operation for the crowd and records its outcome.
func (tr *traffic) do(cl *gqlclient.Client, name, query string, vars map[string]any, out ...any) bool {
	tr.ops.Add(1)
	restarting := tr.restarting.Load()
	res, err := cl.Do(context.Background(), query, vars)
	outcome := "ok"
	switch {
	case err != nil && (restarting || tr.restarting.Load()):
		outcome = "down"
	case err != nil:
		outcome = "transport: " + err.Error()
	case len(res.Errors) > 0:
		outcome = res.Errors[0].Extensions.Code
		// The state machine's own refusal means an action let through a
		// transition it should have refused with its own words: a bug.
		if !expected[outcome] || strings.Contains(res.Errors[0].Message, "an engagement cannot go from") {
			outcome += ": " + res.Errors[0].Message
		}
	}
	n, _ := tr.outcomes.LoadOrStore(name+" "+outcome, new(atomic.Int64))
	n.(*atomic.Int64).Add(1)
	if outcome != "ok" && !expected[outcome] {
		tr.fail("%s %v: %s", name, vars, outcome)
		return false
	}
	if outcome == "ok" && len(out) > 0 {
		if err := json.Unmarshal(res.Data, out[0]); err != nil {
			tr.fail("%s: decode %s: %v", name, res.Data, err)
			return false
		}
	}
	return outcome == "ok"
}

func (tr *traffic) fail(format string, args ...any) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.failures = append(tr.failures, fmt.Sprintf(format, args...))
}

// login starts a new session of a and makes it the agent's client.
func (tr *traffic) login(a *agentClient) *gqlclient.Client {
	tr.srv.RLock()
	cl := tr.c.s.Client("")
	tr.srv.RUnlock()
	var out struct{ Login struct{ Token string } }
	vars := map[string]any{"e": strings.ToLower(a.name) + "@example.com", "p": "password of " + a.name}
	for attempt := 0; !tr.do(cl, "login", `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }`, vars, &out); attempt++ {
		if attempt == 500 {
			return cl
		}
		time.Sleep(10 * time.Millisecond) // the server is restarting
	}
	cl.Token = out.Login.Token
	tr.mu.Lock()
	a.Client = cl
	tr.mu.Unlock()
	return cl
}

// integration creates engagements and sometimes hangs up on one. Creates
// carry idempotency keys named after name, so one retried while the server
// restarts is created once.
func (tr *traffic) integration(name string, total int, rnd *rand.Rand) {
	channels := []string{"VOICE", "CHAT", "CHAT", "CHAT", "EMAIL", "SMS", "VIDEO"}
	for i := range total {
		var out struct {
			CreateEngagement struct{ Engagement struct{ ID string } }
		}
		in := map[string]any{"channel": channels[rnd.IntN(len(channels))], "queueID": tr.queues[rnd.IntN(len(tr.queues))],
			"customer": map[string]any{"phone": fmt.Sprintf("+49301%05d", rnd.IntN(50))}, "idempotencyKey": fmt.Sprintf("%s-%d", name, i)}
		for attempt := 0; !tr.do(tr.c.integ, "createEngagement", `mutation($in: CreateEngagementInput!) { createEngagement(input: $in) { engagement { id } } }`,
			map[string]any{"in": in}, &out); attempt++ {
			if attempt == 500 {
				tr.fail("engagement %s-%d not created", name, i)
				return
			}
			time.Sleep(10 * time.Millisecond) // the server is restarting
		}
		tr.mu.Lock()
		tr.created = append(tr.created, out.CreateEngagement.Engagement.ID)
		id := tr.created[rnd.IntN(len(tr.created))]
		tr.mu.Unlock()
		if rnd.IntN(6) == 0 {
			tr.do(tr.c.integ, "customerEnd", `mutation($id: ID!) { endEngagement(id: $id) { engagement { id } } }`, map[string]any{"id": id})
		}
	}
}

// agent acts as agent i until stopped.
func (tr *traffic) agent(i int, rnd *rand.Rand) {
	a := tr.agents[i]
	for {
		select {
		case <-tr.stop:
			return
		default:
		}
		var me struct {
			Me struct {
				State           string
				PendingOffers   []struct{ ID string }
				OpenEngagements []struct{ ID, State string }
			}
		}
		tr.mu.Lock()
		cl := a.Client
		tr.mu.Unlock()
		if !tr.do(cl, "me", `{ me { state pendingOffers { id } openEngagements { id state } } }`, nil, &me) {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		m := me.Me
		idVar := func(id string) map[string]any { return map[string]any{"id": id} }
		switch r := rnd.IntN(100); {
		case len(m.PendingOffers) > 0 && r < 55:
			o := m.PendingOffers[rnd.IntN(len(m.PendingOffers))]
			tr.do(cl, "acceptOffer", `mutation($id: ID!) { acceptOffer(id: $id) { engagement { id } } }`, idVar(o.ID))
		case len(m.PendingOffers) > 0 && r < 70:
			o := m.PendingOffers[rnd.IntN(len(m.PendingOffers))]
			tr.do(cl, "declineOffer", `mutation($id: ID!) { declineOffer(id: $id) { offer { id } } }`, idVar(o.ID))
		case len(m.OpenEngagements) > 0 && r < 90:
			e := m.OpenEngagements[rnd.IntN(len(m.OpenEngagements))]
			tr.engagementAction(a, cl, e.ID, rnd)
		case r < 94:
			// Pick one of the engagements created so far: mostly refused
			// (not a waiting chat, not in the agent's queues, full), now and
			// then a waiting chat, or one ringing this agent.
			tr.mu.Lock()
			n := len(tr.created)
			id := ""
			if n > 0 {
				id = tr.created[rnd.IntN(n)]
			}
			tr.mu.Unlock()
			if id != "" {
				tr.do(cl, "pickEngagement", `mutation($id: ID!) { pickEngagement(id: $id) { engagement { id } } }`, idVar(id))
			}
		default:
			tr.sessionAction(i, a, cl, rnd)
			if len(m.PendingOffers)+len(m.OpenEngagements) == 0 {
				time.Sleep(10 * time.Millisecond) // idle: poll less often
			}
		}
		time.Sleep(2 * time.Millisecond) // a person, not a loop
		if m.State == "OFFLINE" && rnd.IntN(3) == 0 {
			tr.mu.Lock()
			cl = a.Client // a new session if it logged out just now
			tr.mu.Unlock()
			tr.do(cl, "setAgentState", `mutation { setAgentState(state: AVAILABLE) { agent { id } } }`, nil)
		}
	}
}

// sessionAction changes the agent's state or session now and then: routing
// state, logout and login, its event stream dropping or coming back.
func (tr *traffic) sessionAction(i int, a *agentClient, cl *gqlclient.Client, rnd *rand.Rand) {
	ctx := context.Background()
	switch r := rnd.IntN(100); {
	case r < 10:
		state := []string{"AVAILABLE", "AVAILABLE", "AVAILABLE", "NOT_READY", "NOT_READY", "OFFLINE"}[rnd.IntN(6)]
		vars := map[string]any{"s": state}
		if state == "NOT_READY" {
			vars["r"] = "BREAK"
		}
		tr.do(cl, "setAgentState", `mutation($s: AgentState!, $r: String) { setAgentState(state: $s, reason: $r) { agent { id } } }`, vars)
	case r < 13:
		if tr.do(cl, "logout", `mutation { logout { agent { id } } }`, nil) {
			// A new session: log in again and become available.
			cl = tr.login(a)
			tr.do(cl, "setAgentState", `mutation { setAgentState(state: AVAILABLE) { agent { id } } }`, nil)
		}
	case r < 18:
		// The agent's event stream drops or comes back (E6); the
		// websocket-level version is TestLostConnectionBeyondGraceReturnsChats.
		agentID, _ := strconv.Atoi(a.id)
		tr.mu.Lock()
		open := tr.presence[i]
		tr.presence[i] = !open
		tr.mu.Unlock()
		tr.srv.RLock()
		if open {
			tr.c.s.App.Engine.AgentDisconnected(ctx, agentID)
		} else {
			tr.c.s.App.Engine.AgentConnected(ctx, agentID)
		}
		tr.srv.RUnlock()
	}
}

// engagementAction does something to one of the agent's engagements.
func (tr *traffic) engagementAction(a *agentClient, cl *gqlclient.Client, id string, rnd *rand.Rand) {
	idVar := map[string]any{"id": id}
	switch r := rnd.IntN(100); {
	case r < 25:
		tr.do(cl, "endEngagement", `mutation($id: ID!) { endEngagement(id: $id) { engagement { id } } }`, idVar)
	case r < 50:
		tr.do(cl, "completeWrapUp", `mutation($id: ID!) { completeWrapUp(input: {engagementID: $id, notes: "done"}) { engagement { id } } }`, idVar)
	case r < 60:
		tr.do(cl, "parkEngagement", `mutation($id: ID!) { parkEngagement(id: $id) { engagement { id } } }`, idVar)
	case r < 72:
		tr.do(cl, "resumeEngagement", `mutation($id: ID!) { resumeEngagement(id: $id) { engagement { id } } }`, idVar)
	case r < 80:
		tr.do(cl, "releaseEngagement", `mutation($id: ID!) { releaseEngagement(id: $id) { engagement { id } } }`, idVar)
	case r < 88:
		in := map[string]any{"engagementID": id, "toQueueID": tr.queues[rnd.IntN(len(tr.queues))]}
		tr.do(cl, "transferEngagement", `mutation($in: TransferEngagementInput!) { transferEngagement(input: $in) { transfer { id } } }`, map[string]any{"in": in})
	default:
		in := map[string]any{"engagementID": id, "toAgentID": tr.agents[rnd.IntN(len(tr.agents))].id}
		tr.do(cl, "transferEngagement", `mutation($in: TransferEngagementInput!) { transferEngagement(input: $in) { transfer { id } } }`, map[string]any{"in": in})
	}
}

// clock moves the fake clock a second at a time while the crowd works.
func (tr *traffic) clock() {
	for {
		select {
		case <-tr.stop:
			return
		case <-time.After(5 * time.Millisecond):
			tr.c.s.Clock.Advance(time.Second)
		}
	}
}

// run starts the crowd, the integration and the clock; the returned
// function stops them once the integration has created total engagements
// and the agents have made at least minOps requests more.
func (tr *traffic) run(seed uint64, total, minOps int) (wait func()) {
	for i := range tr.agents {
		tr.wg.Go(func() { tr.agent(i, rand.New(rand.NewPCG(seed, uint64(i)))) })
	}
	tr.wg.Go(tr.clock)
	var creators sync.WaitGroup
	const integrations = 4
	for i := range integrations {
		creators.Go(func() {
			tr.integration(fmt.Sprintf("%d-%d", seed, i), total/integrations, rand.New(rand.NewPCG(seed, 1<<32+uint64(i))))
		})
	}
	return func() {
		began := time.Now()
		creators.Wait()
		tr.c.t.Logf("created %d engagements in %v, %d requests", total, time.Since(began), tr.ops.Load())
		for start := tr.ops.Load(); tr.ops.Load() < start+int64(minOps); {
			time.Sleep(5 * time.Millisecond)
		}
		close(tr.stop)
		tr.wg.Wait()
	}
}

// report fails the test on unexpected errors and logs what the crowd did.
func (tr *traffic) report(t *testing.T) {
	t.Helper()
	tr.outcomes.Range(func(k, v any) bool {
		t.Logf("%6d  %s", v.(*atomic.Int64).Load(), k)
		return true
	})
	for _, f := range tr.failures {
		t.Error(f)
	}
}

// drain makes every agent NOT_READY and moves the clock past every ring
// and wrap-up deadline: then no ring may be left pending.
func (tr *traffic) drain(t *testing.T) {
	t.Helper()
	c := tr.c
	for _, a := range tr.agents {
		c.must(a.Client, `mutation { setAgentState(state: NOT_READY, reason: "END_OF_SHIFT") { agent { id } } }`, nil, nil)
	}
	c.settle()
	c.advance(10 * time.Minute)
	c.settle()
	checkInvariants(t, c.s)
	pending, err := c.s.App.Client.Offer.Query().Where(entoffer.StateEQ(entoffer.StatePending)).Count(auth.SystemContext(context.Background()))
	if err != nil || pending != 0 {
		t.Fatalf("%d offers still pending after every deadline passed (%v)", pending, err)
	}
}

// Many agents and engagements at once, a seeded random mix of everything
// the API allows: MANUAL and AUTO queues, all five channels, interrupting
// calls, accept, decline, pick, end, park, resume, release, transfers to
// queues and agents, wrap-up, state changes, logout, going OFFLINE and lost
// connections, interleaved with ring timeouts and wrap-up limits.
// Afterwards the routing invariants, liveness included, hold in the
// database. A failure prints its seed; SWITCHBOARD_TEST_SEED=<seed> plays
// the same mix again (the interleaving of the goroutines still varies).
func TestConcurrentTrafficKeepsInvariants(t *testing.T) {
	c, tr, seed := trafficCenter(t)
	tr.run(seed, 120, 200)()
	tr.report(t)
	c.settle()
	checkInvariants(t, c.s)
	tr.drain(t)
}

// trafficCenter starts a center with 20 agents' traffic and a logged seed;
// -short skips the test.
func trafficCenter(t *testing.T) (*center, *traffic, uint64) {
	if testing.Short() {
		t.Skip("concurrency test")
	}
	c := newCenter(t)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SWITCHBOARD_TEST_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("SWITCHBOARD_TEST_SEED=%q: %v", s, err)
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replay with SWITCHBOARD_TEST_SEED=%d", seed)
		}
	})
	return c, newTraffic(c, 20), seed
}
