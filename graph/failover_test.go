package graph_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/gqlclient"
)

// instance is a Switchboard server running as a child process of the test
// (TestCrashChild) on the shared PostgreSQL database.
type instance struct {
	t      *testing.T
	addr   string
	env    []string
	cmd    *exec.Cmd
	leads  atomic.Bool // it logged that it leads the dispatcher
	exited chan struct{}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// start runs the instance and waits until it is ready.
func (in *instance) start() {
	t := in.t
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(in.env, "SWITCHBOARD_ADDR="+in.addr)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	in.cmd, in.exited = cmd, make(chan struct{})
	in.leads.Store(false)
	go func() {
		defer close(in.exited)
		lines := bufio.NewScanner(stderr)
		for lines.Scan() {
			if strings.Contains(lines.Text(), "this instance leads the dispatcher") {
				in.leads.Store(true)
			}
			if testing.Verbose() {
				t.Log(in.addr, lines.Text())
			}
		}
		_ = cmd.Wait()
	}()
	t.Cleanup(in.kill)
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + in.addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance %s did not come up: %v", in.addr, err)
		}
		time.Sleep(20 * time.Millisecond) // waiting for another process, not a goroutine
	}
}

// kill ends the instance with SIGKILL and waits for it.
func (in *instance) kill() {
	if in.cmd == nil || in.cmd.Process == nil {
		return
	}
	_ = in.cmd.Process.Signal(syscall.SIGKILL)
	<-in.exited
	in.cmd = nil
}

func (in *instance) client(token string) *gqlclient.Client {
	return &gqlclient.Client{URL: "http://" + in.addr + "/graphql", Token: token, HTTP: http.DefaultClient}
}

func (in *instance) dial(token string) *gqlclient.Conn {
	in.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := gqlclient.Dial(ctx, "http://"+in.addr+"/graphql", token)
	if err != nil {
		in.t.Fatalf("dial %s: %v", in.addr, err)
	}
	return c
}

// Three instances on one PostgreSQL database; the leader is killed with
// SIGKILL ten times while chats keep coming: each time another instance
// takes over and the next chat rings an agent within 5 s.
// Agents are connected to every instance; the one on the instance about to
// die steps away first, so the ring reaches a live stream.
func TestFailoverAfterKillingTheLeader(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dsn := apitest.Postgres(t)
	env := append(os.Environ(), crashChildEnv+"=1", "SWITCHBOARD_DB="+dsn,
		"SWITCHBOARD_ADMIN_EMAIL=admin@example.com", "SWITCHBOARD_ADMIN_PASSWORD=failover test password",
		"SWITCHBOARD_BCRYPT_COST=4", "SWITCHBOARD_LOG_LEVEL=info")
	var ins []*instance
	for range 3 {
		in := &instance{t: t, addr: freeAddr(t), env: env}
		in.start()
		ins = append(ins, in)
	}
	var login struct{ Login struct{ Token string } }
	apitest.Must(t, ins[0].client(""), `mutation { login(email: "admin@example.com", password: "failover test password") { token } }`, nil, &login)
	admin := login.Login.Token
	var key struct{ CreateAPIKey struct{ Secret string } }
	apitest.Must(t, ins[0].client(admin), `mutation { createAPIKey(input: {name: "telephony", scopes: [ENGAGEMENTS]}) { secret } }`, nil, &key)
	var q struct {
		CreateQueue struct{ Queue struct{ ID string } }
	}
	apitest.Must(t, ins[0].client(admin), `mutation { createQueue(input: {name: "Support", ringTimeoutSeconds: 120}) { queue { id } } }`, nil, &q)
	queueID := q.CreateQueue.Queue.ID

	// One agent per instance, each following its own stream there.
	tokens := make([]string, len(ins))
	subs := make([]*gqlclient.Subscription, len(ins))
	conns := make([]*gqlclient.Conn, len(ins))
	follow := func(i int) {
		conns[i] = ins[i].dial(tokens[i])
		sub, err := conns[i].Subscribe(context.Background(), agentEventsQuery, map[string]any{"after": "0"}, 256)
		if err != nil {
			t.Fatalf("subscribe on %s: %v", ins[i].addr, err)
		}
		subs[i] = sub
	}
	for i := range ins {
		email := []string{"ann", "ben", "cem"}[i] + "@example.com"
		apitest.Must(t, ins[0].client(admin), `mutation($in: CreateAgentInput!) { createAgent(input: $in, password: "password of an agent") { agent { id } } }`,
			map[string]any{"in": map[string]any{"name": email, "email": email, "queueIDs": []string{queueID}}}, nil)
		apitest.Must(t, ins[i].client(""), `mutation($e: String!) { login(email: $e, password: "password of an agent") { token } }`,
			map[string]any{"e": email}, &login)
		tokens[i] = login.Login.Token
		follow(i)
		apitest.Must(t, ins[i].client(tokens[i]), `mutation { setAgentState(state: AVAILABLE) { agent { id } } }`, nil, nil)
	}
	setState := func(i int, state string) {
		apitest.Must(t, ins[(i+1)%len(ins)].client(tokens[i]), `mutation($s: AgentState!) { setAgentState(state: $s) { agent { id } } }`,
			map[string]any{"s": state}, nil)
	}
	leader := func() int {
		deadline := time.Now().Add(failoverTimeout)
		for time.Now().Before(deadline) {
			for i, in := range ins {
				if in.cmd != nil && in.leads.Load() {
					return i
				}
			}
			time.Sleep(20 * time.Millisecond) // reading another process's log
		}
		t.Fatal("no instance leads")
		return -1
	}

	const kills = 10
	var took []time.Duration
	defer func() {
		if len(took) == kills {
			slices.Sort(took)
			t.Logf("failover, kill to ring: median %v, max %v over %d kills", took[kills/2], took[kills-1], kills)
		}
	}()
	for round := range kills {
		dead := leader()
		setState(dead, "NOT_READY")
		conns[dead].CloseNow()
		ins[dead].kill()
		killedAt := time.Now()

		// A chat through a survivor rings a live agent; it is answered and
		// finished through the agent's instance.
		via := ins[(dead+1)%len(ins)]
		var out struct {
			CreateEngagement struct{ Engagement struct{ ID string } }
		}
		apitest.Must(t, via.client(key.CreateAPIKey.Secret), `mutation($q: ID!) { createEngagement(input: {channel: CHAT, queueID: $q}) { engagement { id } } }`,
			map[string]any{"q": queueID}, &out)
		id := out.CreateEngagement.Engagement.ID
		got := -1
		var ring event
		deadline := time.After(failoverTimeout)
		for got < 0 {
			for i, sub := range subs {
				if i == dead {
					continue
				}
				select {
				case r, ok := <-sub.C:
					if !ok {
						t.Fatalf("agentEvents on %s ended: %v", ins[i].addr, sub.Err)
					}
					if e := decode[event](t, r, "agentEvents"); e.Topic == "offer.created" && deref(e.EngagementID) == id {
						got, ring = i, e
					}
				case <-deadline:
					t.Fatalf("round %d: no ring for %s within %v of killing the leader", round, id, failoverTimeout)
				case <-time.After(10 * time.Millisecond): // look at the other stream
				}
			}
		}
		took = append(took, time.Since(killedAt).Round(time.Millisecond))
		if took[len(took)-1] > 5*time.Second {
			t.Errorf("round %d: the ring came %v after the kill; want within 5 s", round, took[len(took)-1])
		}
		cl := ins[got].client(tokens[got])
		apitest.Must(t, cl, `mutation($id: ID!) { acceptOffer(id: $id) { engagement { id } } }`, map[string]any{"id": ring.Payload["offerID"]}, nil)
		apitest.Must(t, cl, `mutation($id: ID!) { endEngagement(id: $id) { engagement { id } } }`, map[string]any{"id": id}, nil)
		apitest.Must(t, cl, `mutation($id: ID!) { completeWrapUp(input: {engagementID: $id}) { engagement { state } } }`, map[string]any{"id": id}, nil)

		// The killed instance comes back as a follower; its agent returns.
		ins[dead].start()
		follow(dead)
		setState(dead, "AVAILABLE")
	}
}
