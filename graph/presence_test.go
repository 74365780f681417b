package graph_test

import (
	"context"
	"database/sql"
	"strconv"
	"testing"
	"time"

	"github.com/switchboard/switchboard/ent/presence"
	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/engine"
	"github.com/switchboard/switchboard/internal/events"
)

// presencePair is two instances on one PostgreSQL database, A leading, with
// Ann in a chat queue.
type presencePair struct {
	t          *testing.T
	a, b       *apitest.Server
	key, queue string
	ann        string
	annID      int
	dsn        string
}

func newPresencePair(t *testing.T) *presencePair {
	dsn := apitest.Postgres(t)
	onPostgres := func(cfg *app.Config) { cfg.DatabaseURL = dsn }
	p := &presencePair{t: t, a: apitest.Start(t, onPostgres), dsn: dsn}
	eventually(t, "instance A to lead the dispatcher", p.a.App.Engine.Leading)
	p.b = apitest.Start(t, onPostgres)
	var key struct{ CreateAPIKey struct{ Secret string } }
	apitest.Must(t, p.a.Admin, `mutation { createAPIKey(input: {name: "telephony", scopes: [ENGAGEMENTS]}) { secret } }`, nil, &key)
	p.key = key.CreateAPIKey.Secret
	var q struct {
		CreateQueue struct{ Queue struct{ ID string } }
	}
	apitest.Must(t, p.a.Admin, `mutation { createQueue(input: {name: "Support"}) { queue { id } } }`, nil, &q)
	p.queue = q.CreateQueue.Queue.ID
	var ag struct {
		CreateAgent struct{ Agent struct{ ID string } }
	}
	apitest.Must(t, p.a.Admin, `mutation($in: CreateAgentInput!) { createAgent(input: $in, password: "password of ann") { agent { id } } }`,
		map[string]any{"in": map[string]any{"name": "Ann", "email": "ann@example.com", "queueIDs": []string{p.queue}}}, &ag)
	id, err := strconv.Atoi(ag.CreateAgent.Agent.ID)
	if err != nil {
		t.Fatal(err)
	}
	p.annID = id
	p.ann = p.a.Login(t, "ann@example.com", "password of ann")
	return p
}

// rows counts Ann's presence rows.
func (p *presencePair) rows() int {
	n, err := p.a.App.Client.Presence.Query().Where(presence.AgentID(p.annID)).Count(auth.SystemContext(context.Background()))
	if err != nil {
		p.t.Fatal(err)
	}
	return n
}

// advance moves both instances' clocks and lets the leader (A) settle.
func (p *presencePair) advance(d time.Duration) {
	p.t.Helper()
	p.a.Clock.Advance(d)
	p.b.Clock.Advance(d)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.a.App.Engine.Sync(ctx); err != nil {
		p.t.Fatal(err)
	}
}

// answeredChat creates a chat through B that rings Ann on sub, and
// accepts it.
func (p *presencePair) answeredChat(ringOn func(id string) event) string {
	var out struct {
		CreateEngagement struct{ Engagement struct{ ID string } }
	}
	apitest.Must(p.t, p.b.Client(p.key), `mutation($q: ID!) { createEngagement(input: {channel: CHAT, queueID: $q}) { engagement { id } } }`,
		map[string]any{"q": p.queue}, &out)
	id := out.CreateEngagement.Engagement.ID
	ring := ringOn(id)
	apitest.Must(p.t, p.b.Client(p.ann), `mutation($id: ID!) { acceptOffer(id: $id) { engagement { id } } }`,
		map[string]any{"id": ring.Payload["offerID"]}, nil)
	return id
}

// expect checks Ann's state and the chat's.
func (p *presencePair) expect(chat, annState, chatState string) {
	p.t.Helper()
	var out struct {
		Ann  struct{ State, StateReason string }
		Chat struct{ State string }
	}
	apitest.Must(p.t, p.a.Admin, `query($ann: ID!, $chat: ID!) { ann: node(id: $ann) { ... on Agent { state stateReason } } chat: node(id: $chat) { ... on Engagement { state } } }`,
		map[string]any{"ann": strconv.Itoa(p.annID), "chat": chat}, &out)
	if out.Ann.State != annState || out.Chat.State != chatState {
		p.t.Fatalf("Ann is %s (%s) and the chat %s; want %s and %s", out.Ann.State, out.Ann.StateReason, out.Chat.State, annState, chatState)
	}
}

// awaitDisconnected waits until the leader's bus carries agent.disconnected
// for Ann: then the leader's dispatcher has it too (Sync takes it in).
func (p *presencePair) awaitDisconnected(sub *events.Subscriber) {
	p.t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case ev := <-sub.C:
			if ev.Topic == events.AgentDisconnected && ev.AgentID != nil && *ev.AgentID == p.annID {
				return
			}
		case <-deadline:
			p.t.Fatal("the leader never heard that Ann lost her connection")
		}
	}
}

// E6 across instances: an agent counts as connected while it has a stream
// on any instance. Ann has one on A (the leader) and one on B; A's drops
// and the grace passes: she keeps her chat. B's drops: the leader applies
// the grace from the shared presence and returns her chat to the queue.
func TestPresenceAcrossInstances(t *testing.T) {
	p := newPresencePair(t)
	grace := p.a.App.Config.DisconnectGrace
	connA := p.a.Dial(t, p.ann)
	subscribe(t, connA, agentEventsQuery, nil)
	connB := p.b.Dial(t, p.ann)
	subB := subscribe(t, connB, agentEventsQuery, map[string]any{"after": "0"})
	eventually(t, "Ann's presence on both instances", func() bool { return p.rows() == 2 })
	apitest.Must(t, p.b.Client(p.ann), `mutation { setAgentState(state: AVAILABLE) { agent { state } } }`, nil, nil)
	chat := p.answeredChat(func(id string) event { return nextRing(t, subB, id) })

	connA.CloseNow()
	eventually(t, "Ann's stream on A to be gone", func() bool { return p.rows() == 1 })
	p.advance(grace + time.Second)
	p.expect(chat, "AVAILABLE", "CONNECTED")

	bus := p.a.App.Bus.Subscribe(events.Key{Kind: events.All}, 256)
	defer p.a.App.Bus.Unsubscribe(bus)
	connB.CloseNow()
	p.awaitDisconnected(bus)
	p.advance(grace - time.Second)
	p.expect(chat, "AVAILABLE", "CONNECTED")
	p.advance(time.Second)
	p.expect(chat, "OFFLINE", "QUEUED")
	if n := p.rows(); n != 0 {
		t.Fatalf("%d presence rows left for Ann", n)
	}
}

// An instance that dies leaves its presence rows behind, no longer
// renewed: once they are older than the lease, the leader removes them and
// starts the grace of their agents.
func TestPresenceOfAStoppedInstanceExpires(t *testing.T) {
	p := newPresencePair(t)
	grace := p.a.App.Config.DisconnectGrace
	conn := p.b.Dial(t, p.ann)
	sub := subscribe(t, conn, agentEventsQuery, map[string]any{"after": "0"})
	apitest.Must(t, p.b.Client(p.ann), `mutation { setAgentState(state: AVAILABLE) { agent { state } } }`, nil, nil)
	chat := p.answeredChat(func(id string) event { return nextRing(t, sub, id) })

	// B stops renewing Ann's row as if it had died (or been cut off): its
	// row, last renewed a lease ago, is all that is left of her stream.
	ctx := auth.SystemContext(context.Background())
	bus := p.a.App.Bus.Subscribe(events.Key{Kind: events.All}, 256)
	defer p.a.App.Bus.Unsubscribe(bus)
	db, err := sql.Open("pgx", p.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.ExecContext(ctx, `UPDATE presences SET instance = 'died', renewed_at = $1 WHERE agent_id = $2`,
		time.Now().Add(-engine.PresenceLease-time.Second), p.annID)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("%d rows of Ann's presence moved to a dead instance: %v", n, err)
	}
	p.awaitDisconnected(bus)
	p.advance(grace - time.Second)
	p.expect(chat, "AVAILABLE", "CONNECTED")
	p.advance(time.Second)
	p.advance(grace)
	p.expect(chat, "OFFLINE", "QUEUED")
	if n := p.rows(); n != 0 {
		t.Fatalf("%d presence rows left for Ann", n)
	}
}

// With -db-direct, the leader lock and the event listener use the direct
// connection string, not -db (which may be a transaction-mode pooler): the
// lock's session is the direct one, and rings still cross instances.
func TestDirectConnectionForLeaderAndListener(t *testing.T) {
	dsn := apitest.Postgres(t)
	name := "sb_direct_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	pooled, direct := dsn+"&application_name=sb_pooled", dsn+"&application_name="+name
	onPostgres := func(cfg *app.Config) { cfg.DatabaseURL, cfg.DirectURL = pooled, direct }
	a := apitest.Start(t, onPostgres)
	eventually(t, "instance A to lead the dispatcher", a.App.Engine.Leading)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var locks int
	err = db.QueryRow(`SELECT count(*) FROM pg_locks l JOIN pg_stat_activity s ON s.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND s.application_name = $1`, name).Scan(&locks)
	if err != nil || locks == 0 {
		t.Fatalf("no advisory lock held by the direct connection %q (%d, %v)", name, locks, err)
	}

	b := apitest.Start(t, onPostgres)
	var key struct{ CreateAPIKey struct{ Secret string } }
	apitest.Must(t, a.Admin, `mutation { createAPIKey(input: {name: "telephony", scopes: [ENGAGEMENTS]}) { secret } }`, nil, &key)
	var q struct {
		CreateQueue struct{ Queue struct{ ID string } }
	}
	apitest.Must(t, a.Admin, `mutation { createQueue(input: {name: "Support"}) { queue { id } } }`, nil, &q)
	ben := agentToken2(t, a, q.CreateQueue.Queue.ID)
	sub := subscribe(t, a.Dial(t, ben), agentEventsQuery, map[string]any{"after": "0"})
	apitest.Must(t, a.Client(ben), `mutation { setAgentState(state: AVAILABLE) { agent { state } } }`, nil, nil)
	var out struct {
		CreateEngagement struct{ Engagement struct{ ID string } }
	}
	apitest.Must(t, b.Client(key.CreateAPIKey.Secret), `mutation($q: ID!) { createEngagement(input: {channel: CHAT, queueID: $q}) { engagement { id } } }`,
		map[string]any{"q": q.CreateQueue.Queue.ID}, &out)
	nextRing(t, sub, out.CreateEngagement.Engagement.ID)
}
