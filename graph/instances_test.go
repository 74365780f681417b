package graph_test

import (
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/gqlclient"
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
