package graph_test

import (
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/gqlclient"
	"github.com/switchboard/switchboard/internal/store"
)

// failoverTimeout bounds the wait for a ring across instances: the events
// travel through the log and NOTIFY, and after a leader stops another takes
// over within about two seconds (it tries for the lock every second).
const failoverTimeout = 15 * time.Second

// nextRing waits on an agentEvents subscription for a ring of engagement id.
func nextRing(t *testing.T, sub *gqlclient.Subscription, id string) event {
	t.Helper()
	deadline := time.After(failoverTimeout)
	for {
		select {
		case r, ok := <-sub.C:
			if !ok {
				t.Fatalf("agentEvents ended: %v", sub.Err)
			}
			if e := decode[event](t, r, "agentEvents"); e.Topic == "offer.created" && deref(e.EngagementID) == id {
				return e
			}
		case <-deadline:
			t.Fatalf("no ring for engagement %s within %v", id, failoverTimeout)
		}
	}
}

// Two instances on one PostgreSQL database are one contact center: an
// agent connected to A is rung for an engagement created on B and answers
// through B; one dispatcher decides for both; when an instance stops, the
// other routes alone.
func TestTwoInstancesOnPostgres(t *testing.T) {
	dsn := apitest.Postgres(t)
	onPostgres := func(cfg *app.Config) { cfg.DatabaseURL = dsn }
	a := apitest.Start(t, onPostgres)
	b := apitest.Start(t, onPostgres)

	var key struct{ CreateAPIKey struct{ Secret string } }
	apitest.Must(t, a.Admin, `mutation { createAPIKey(input: {name: "telephony", scopes: [ENGAGEMENTS]}) { secret } }`, nil, &key)
	var q struct {
		CreateQueue struct{ Queue struct{ ID string } }
	}
	apitest.Must(t, a.Admin, `mutation { createQueue(input: {name: "Support"}) { queue { id } } }`, nil, &q)
	queueID := q.CreateQueue.Queue.ID
	agentToken := func(name string) string {
		apitest.Must(t, a.Admin, `mutation($in: CreateAgentInput!) { createAgent(input: $in, password: "password of agent") { agent { id } } }`,
			map[string]any{"in": map[string]any{"name": name, "email": name + "@example.com", "queueIDs": []string{queueID}}}, nil)
		return a.Login(t, name+"@example.com", "password of agent")
	}
	ann := agentToken("ann")
	create := func(s *apitest.Server) string {
		var out struct {
			CreateEngagement struct{ Engagement struct{ ID string } }
		}
		apitest.Must(t, s.Client(key.CreateAPIKey.Secret), `mutation($q: ID!) { createEngagement(input: {channel: CHAT, queueID: $q}) { engagement { id } } }`,
			map[string]any{"q": queueID}, &out)
		return out.CreateEngagement.Engagement.ID
	}

	// Ann is connected to A; the chat comes in through B.
	conn := a.Dial(t, ann)
	sub := subscribe(t, conn, agentEventsQuery, map[string]any{"after": "0"}) // replayed from the start: nothing slips past
	apitest.Must(t, b.Client(ann), `mutation { setAgentState(state: AVAILABLE) { agent { state } } }`, nil, nil)
	first := create(b)
	ring := nextRing(t, sub, first)
	var accepted struct {
		AcceptOffer struct{ Engagement struct{ State string } }
	}
	apitest.Must(t, b.Client(ann), `mutation($id: ID!) { acceptOffer(id: $id) { engagement { state } } }`,
		map[string]any{"id": ring.Payload["offerID"]}, &accepted)
	if accepted.AcceptOffer.Engagement.State != "CONNECTED" {
		t.Fatalf("accepted through B: %s", accepted.AcceptOffer.Engagement.State)
	}

	// A stops, whichever of the two led: B routes alone.
	conn.CloseNow()
	a.Stop()
	ben := agentToken2(t, b, queueID)
	bconn := b.Dial(t, ben)
	bsub := subscribe(t, bconn, agentEventsQuery, map[string]any{"after": "0"})
	apitest.Must(t, b.Client(ben), `mutation { setAgentState(state: AVAILABLE) { agent { state } } }`, nil, nil)
	second := create(b)
	nextRing(t, bsub, second)
}

// agentToken2 creates Ben on s, in queue, and logs him in there.
func agentToken2(t *testing.T, s *apitest.Server, queueID string) string {
	t.Helper()
	apitest.Must(t, s.Admin, `mutation($in: CreateAgentInput!) { createAgent(input: $in, password: "password of ben") { agent { id } } }`,
		map[string]any{"in": map[string]any{"name": "Ben", "email": "ben@example.com", "queueIDs": []string{queueID}}}, nil)
	return s.Login(t, "ben@example.com", "password of ben")
}

// The listener's database session is terminated every 2 s while chats
// created on instance B ring, 1,000 times, an agent connected to instance
// A, who accepts, ends and wraps up each: A's stream still gets every ring
// exactly once, in order (the listener reconnects and catches up; a poll
// covers the gaps).
func TestListenerLossMissesNothing(t *testing.T) {
	dsn := apitest.Postgres(t)
	onPostgres := func(cfg *app.Config) { cfg.DatabaseURL = dsn }
	a := apitest.Start(t, onPostgres)
	b := apitest.Start(t, onPostgres)
	var key struct{ CreateAPIKey struct{ Secret string } }
	apitest.Must(t, a.Admin, `mutation { createAPIKey(input: {name: "chat", scopes: [ENGAGEMENTS]}) { secret } }`, nil, &key)
	var q struct {
		CreateQueue struct{ Queue struct{ ID string } }
	}
	apitest.Must(t, a.Admin, `mutation { createQueue(input: {name: "Chat", channels: [CHAT], acceptMode: MANUAL}) { queue { id } } }`, nil, &q)
	var p struct {
		CreateCapacityProfile struct{ CapacityProfile struct{ ID string } }
	}
	apitest.Must(t, a.Admin, `mutation { createCapacityProfile(input: {name: "chat", chat: 50}) { capacityProfile { id } } }`, nil, &p)
	apitest.Must(t, a.Admin, `mutation($in: CreateAgentInput!) { createAgent(input: $in, password: "password of ann") { agent { id } } }`,
		map[string]any{"in": map[string]any{"name": "Ann", "email": "ann@example.com", "queueIDs": []string{q.CreateQueue.Queue.ID},
			"capacityProfileID": p.CreateCapacityProfile.CapacityProfile.ID}}, nil)
	ann := a.Login(t, "ann@example.com", "password of ann")
	conn := a.Dial(t, ann)
	sub := subscribe(t, conn, agentEventsQuery, map[string]any{"after": "0"}, 4096)
	apitest.Must(t, a.Client(ann), `mutation { setAgentState(state: AVAILABLE) { agent { id } } }`, nil, nil)

	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stop := make(chan struct{})
	terminated := make(chan int)
	go func() {
		n := 0
		defer func() { terminated <- n }()
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Second):
			}
			res, err := db.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, store.ListenerName)
			if err == nil {
				k, _ := res.RowsAffected()
				n += int(k)
			}
		}
	}()

	const total = 1000
	integ := b.Client(key.CreateAPIKey.Secret)
	seen := map[string]int{}
	var order []int
	created := 0
	for len(seen) < total {
		for created < total && created-len(seen) < 40 {
			apitest.Must(t, integ, `mutation($q: ID!) { createEngagement(input: {channel: CHAT, queueID: $q}) { engagement { id } } }`,
				map[string]any{"q": q.CreateQueue.Queue.ID}, nil)
			created++
		}
		select {
		case r, ok := <-sub.C:
			if !ok {
				t.Fatalf("agentEvents ended: %v", sub.Err)
			}
			e := decode[event](t, r, "agentEvents")
			seq, _ := strconv.Atoi(e.Sequence)
			order = append(order, seq)
			if e.Topic != "offer.created" {
				continue
			}
			id := deref(e.EngagementID)
			seen[id]++
			cl := a.Client(ann)
			apitest.Must(t, cl, `mutation($id: ID!) { acceptOffer(id: $id) { engagement { id } } }`, map[string]any{"id": fmt.Sprint(e.Payload["offerID"])}, nil)
			apitest.Must(t, cl, `mutation($id: ID!) { endEngagement(id: $id) { engagement { id } } }`, map[string]any{"id": id}, nil)
			apitest.Must(t, cl, `mutation($id: ID!) { completeWrapUp(input: {engagementID: $id}) { engagement { id } } }`, map[string]any{"id": id}, nil)
		case <-time.After(failoverTimeout):
			t.Fatalf("after %d of %d rings nothing more within %v", len(seen), total, failoverTimeout)
		}
	}
	close(stop)
	n := <-terminated
	for id, k := range seen {
		if k != 1 {
			t.Errorf("engagement %s rang %d times on the stream", id, k)
		}
	}
	if !slices.IsSorted(order) {
		t.Errorf("events out of order: %v", order)
	}
	if n == 0 {
		t.Fatal("no listener session was terminated: the test proved nothing")
	}
	t.Logf("%d rings, all once and in order, across %d terminated listener sessions", total, n)
}
