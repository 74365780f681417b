package graph_test

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gqlclient"
	"github.com/switchboard/switchboard/internal/live"
)

func TestAgentEventsLiveOnlyWithoutCursor(t *testing.T) {
	verifyNoLeaks(t)
	s := apitest.Start(t)
	alice, aliceToken := newAgent(t, s, "Alice")
	before := appendEvents(t, s, events.Event{Topic: "test.before", AgentID: alice})[0]

	sub := subscribe(t, s.Dial(t, aliceToken), agentEventsQuery, nil)
	// Without a cursor the stream starts when the server subscribes, a
	// moment the client cannot see: probe until the first probe arrives.
	var first event
	for probe := 0; first.Sequence == ""; probe++ {
		if probe == 50 {
			t.Fatal("no probe event arrived")
		}
		appendEvents(t, s, events.Event{Topic: "test.probe", AgentID: alice})
		select {
		case r, ok := <-sub.C:
			if !ok {
				t.Fatalf("subscription ended: %v", sub.Err)
			}
			first = decode[event](t, r, "agentEvents")
		case <-time.After(100 * time.Millisecond):
		}
	}
	if first.Topic != "test.probe" || seq(t, first.Sequence) <= seq(t, before) {
		t.Fatalf("first event = %+v; want a probe after %s, never the event from before subscribing", first, before)
	}
	// Later probes may still be in flight; after them, the next event is
	// the one appended now, exactly once.
	want := appendEvents(t, s, events.Event{Topic: "test.after", AgentID: alice})[0]
	for {
		e := nextEvent(t, sub, "agentEvents")
		if e.Topic == "test.probe" {
			continue
		}
		if e.Sequence != want {
			t.Fatalf("got %+v; want sequence %s", e, want)
		}
		break
	}
}

func TestAgentEventsFields(t *testing.T) {
	verifyNoLeaks(t)
	s := apitest.Start(t)
	alice, aliceToken := newAgent(t, s, "Alice")
	bob, _ := newAgent(t, s, "Bob")
	hers := newEngagement(t, s, func(c *ent.EngagementCreate) { c.SetAgentID(alice).SetState(engagement.StateConnected) })
	his := newEngagement(t, s, func(c *ent.EngagementCreate) { c.SetAgentID(bob).SetState(engagement.StateConnected) })
	start := appendEvents(t, s, events.Event{Topic: "test.start"})[0]

	sub := subscribe(t, s.Dial(t, aliceToken), agentEventsQuery, map[string]any{"after": start})
	seqs := appendEvents(t, s,
		events.Event{Topic: events.EngagementAssigned, AgentID: alice, EngagementID: hers.ID, QueueID: 7, Payload: map[string]any{"note": "yours"}},
		// An event about an engagement she may not see: its engagement is null.
		events.Event{Topic: events.AgentStateChanged, AgentID: alice, EngagementID: his.ID},
	)
	e := nextEvent(t, sub, "agentEvents")
	if e.Sequence != seqs[0] || e.Topic != events.EngagementAssigned || *e.AgentID != strconv.Itoa(alice) ||
		*e.EngagementID != strconv.Itoa(hers.ID) || *e.QueueID != "7" || e.Payload["note"] != "yours" || e.At.IsZero() {
		t.Fatalf("event = %+v", e)
	}
	if e.Engagement == nil || e.Engagement.ID != strconv.Itoa(hers.ID) || e.Engagement.State != "CONNECTED" {
		t.Fatalf("engagement = %+v; want hers", e.Engagement)
	}
	if e := nextEvent(t, sub, "agentEvents"); e.Sequence != seqs[1] || e.Engagement != nil {
		t.Fatalf("event = %+v; want %s with a null engagement", e, seqs[1])
	}
}

func TestAgentEventsReplayAfterReconnect(t *testing.T) {
	verifyNoLeaks(t)
	s := apitest.Start(t)
	alice, aliceToken := newAgent(t, s, "Alice")
	bob, _ := newAgent(t, s, "Bob")
	start := appendEvents(t, s, events.Event{Topic: "test.start"})[0]

	conn := s.Dial(t, aliceToken)
	sub := subscribe(t, conn, agentEventsQuery, map[string]any{"after": start})
	first := appendEvents(t, s, events.Event{Topic: "test.one", AgentID: alice}, events.Event{Topic: "test.two", AgentID: alice})
	expectSequences(t, sub, "agentEvents", first)
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	<-conn.Done()

	// Missed while away, interleaved with Bob's events she must never get.
	var missed []string
	for i := range 3 {
		seqs := appendEvents(t, s,
			events.Event{Topic: "test.missed", AgentID: alice, Payload: map[string]any{"i": i}},
			events.Event{Topic: "test.other", AgentID: bob})
		missed = append(missed, seqs[0])
	}
	sub = subscribe(t, s.Dial(t, aliceToken), agentEventsQuery, map[string]any{"after": first[len(first)-1]})
	expectSequences(t, sub, "agentEvents", missed)
	for range 2 {
		live := appendEvents(t, s, events.Event{Topic: "test.other", AgentID: bob}, events.Event{Topic: "test.live", AgentID: alice})
		expectSequences(t, sub, "agentEvents", live[1:])
	}
}

func TestAgentEventsRefusals(t *testing.T) {
	verifyNoLeaks(t)
	s := apitest.Start(t)
	key := newAPIKey(t, s, "ENGAGEMENTS")
	customer, _ := newCustomerEngagement(t, s)
	for _, tc := range []struct{ name, token, after, code string }{
		{"integration", key, "", "FORBIDDEN"},
		{"customer", customer, "", "FORBIDDEN"},
		{"bad cursor", s.Admin.Token, "yesterday", "VALIDATION"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]any{}
			if tc.after != "" {
				vars["after"] = tc.after
			}
			expectRefused(t, subscribe(t, s.Dial(t, tc.token), agentEventsQuery, vars), tc.code)
		})
	}
	// Over HTTP a subscription would hold the request until its first event.
	apitest.ExpectCode(t, s.Admin, "VALIDATION", `subscription { agentEvents { sequence } }`, nil)
}

func TestEngagementEventsAuthorization(t *testing.T) {
	verifyNoLeaks(t)
	s := apitest.Start(t)
	alice, aliceToken := newAgent(t, s, "Alice")
	bob, bobToken := newAgent(t, s, "Bob")
	_, carolToken := newAgent(t, s, "Carol")
	customer, chat := newCustomerEngagement(t, s)
	otherCustomer, other := newCustomerEngagement(t, s)
	write(t, s, func(ctx context.Context, tx *ent.Tx) error {
		if err := tx.Engagement.UpdateOneID(chat).SetAgentID(alice).SetState(engagement.StateConnected).Exec(ctx); err != nil {
			return err
		}
		return tx.Offer.Create().SetEngagementID(chat).SetAgentID(bob).SetDeadline(s.Clock.Now().Add(time.Minute)).Exec(ctx)
	})
	integration := newAPIKey(t, s, "ENGAGEMENTS")
	crm := newAPIKey(t, s, "CRM")
	start := appendEvents(t, s, events.Event{Topic: "test.start"})[0]

	for _, tc := range []struct {
		name, token string
		id          int
		code        string
	}{
		// An engagement the caller may not see answers as one that does
		// not exist: no existence oracle.
		{"unrelated agent", carolToken, chat, "NOT_FOUND"},
		{"agent, another engagement", aliceToken, other, "NOT_FOUND"},
		{"customer token, another engagement", otherCustomer, chat, "NOT_FOUND"},
		{"integration without scope ENGAGEMENTS", crm, chat, "FORBIDDEN"},
		{"unknown engagement", s.Admin.Token, chat + 1000, "NOT_FOUND"},
	} {
		t.Run("refused/"+tc.name, func(t *testing.T) {
			sub := subscribe(t, s.Dial(t, tc.token), engagementEventsQuery, map[string]any{"id": strconv.Itoa(tc.id)})
			expectRefused(t, sub, tc.code)
		})
	}

	// Allowed followers see what concerns them: the customer sees messages
	// and state changes only, integrations everything but notes.
	allowed := []struct {
		name, token string
		id          int
		sees        []int // indexes into the events appended below
	}{
		{"staff", s.Admin.Token, chat, []int{0, 1, 2, 4}},
		{"agent who has it", aliceToken, chat, []int{0, 1, 2, 4}},
		{"agent offered it", bobToken, chat, []int{0, 1, 2, 4}},
		{"integration", integration, chat, []int{0, 2, 4}},
		{"its customer token", customer, chat, []int{2, 4}},
		{"the other customer token", otherCustomer, other, []int{3}},
	}
	subs := make([]*gqlclient.Subscription, len(allowed))
	for i, tc := range allowed {
		subs[i] = subscribe(t, s.Dial(t, tc.token), engagementEventsQuery, map[string]any{"id": strconv.Itoa(tc.id), "after": start})
	}
	seqs := appendEvents(t, s,
		events.Event{Topic: events.OfferCreated, AgentID: bob, EngagementID: chat},
		events.Event{Topic: events.NoteAdded, AgentID: alice, EngagementID: chat},
		events.Event{Topic: events.MessageCreated, EngagementID: chat},
		events.Event{Topic: events.EngagementStateChanged, EngagementID: other},
		events.Event{Topic: events.EngagementStateChanged, EngagementID: chat},
	)
	// A last event per engagement, so that "nothing else" is checked too.
	last := appendEvents(t, s,
		events.Event{Topic: events.MessageCreated, EngagementID: chat},
		events.Event{Topic: events.MessageCreated, EngagementID: other})
	for i, tc := range allowed {
		t.Run("sees/"+tc.name, func(t *testing.T) {
			var want []string
			for _, k := range tc.sees {
				want = append(want, seqs[k])
			}
			if tc.id == chat {
				want = append(want, last[0])
			} else {
				want = append(want, last[1])
			}
			expectSequences(t, subs[i], "engagementEvents", want)
		})
	}
}

func TestCustomerTokenScope(t *testing.T) {
	s := apitest.Start(t)
	token, id := newCustomerEngagement(t, s)
	_, other := newCustomerEngagement(t, s)
	c := s.Client(token)
	var out struct{ Node *struct{ ID string } }
	apitest.Must(t, c, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": strconv.Itoa(id)}, &out)
	if out.Node == nil || out.Node.ID != strconv.Itoa(id) {
		t.Fatalf("own engagement = %+v", out.Node)
	}
	apitest.ExpectCode(t, c, "NOT_FOUND", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": strconv.Itoa(other)})
	apitest.ExpectCode(t, c, "FORBIDDEN", `{ me { id } }`, nil)
	apitest.ExpectCode(t, c, "FORBIDDEN", `{ queues { totalCount } }`, nil)
	apitest.ExpectCode(t, s.Client(token[:len(token)-2]+"xx"), "UNAUTHENTICATED", `{ me { id } }`, nil)
	apitest.ExpectCode(t, s.Client("sbc_"+strconv.Itoa(id)), "UNAUTHENTICATED", `{ me { id } }`, nil)
}

func TestWebsocketRefusesBadCredentials(t *testing.T) {
	verifyNoLeaks(t)
	s := apitest.Start(t)
	for _, token := range []string{"", "sbt_forged", "sbc_1.forged"} {
		ctx, cancel := context.WithTimeout(context.Background(), deliveryTimeout)
		_, err := gqlclient.Dial(ctx, s.URL, token)
		cancel()
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != auth.CloseForbidden || ce.Reason == "" {
			t.Errorf("token %q: dial error %v; want close code %d with a reason", token, err, auth.CloseForbidden)
		}
	}
}

func TestQueueEventsSnapshotAndUpdates(t *testing.T) {
	verifyNoLeaks(t)
	s := apitest.Start(t)
	var sales, support *ent.Queue
	alice, _ := newAgent(t, s, "Alice")
	bob, _ := newAgent(t, s, "Bob")
	carol, _ := newAgent(t, s, "Carol")
	write(t, s, func(ctx context.Context, tx *ent.Tx) (err error) {
		if sales, err = tx.Queue.Create().SetName("Sales").Save(ctx); err != nil {
			return err
		}
		if support, err = tx.Queue.Create().SetName("Support").Save(ctx); err != nil {
			return err
		}
		for _, id := range []int{alice, bob} {
			if err := tx.Agent.UpdateOneID(id).AddQueueIDs(sales.ID).Exec(ctx); err != nil {
				return err
			}
		}
		if err := tx.Agent.UpdateOneID(carol).AddQueueIDs(support.ID).SetState(agent.StateAvailable).Exec(ctx); err != nil {
			return err
		}
		if err := tx.Agent.UpdateOneID(alice).SetState(agent.StateAvailable).Exec(ctx); err != nil {
			return err
		}
		now := s.Clock.Now()
		for i, st := range []engagement.State{engagement.StateQueued, engagement.StateOffered, engagement.StateClosed} {
			if err := tx.Engagement.Create().SetChannel(enum.ChannelChat).SetQueueID(sales.ID).SetState(st).
				SetQueuedAt(now.Add(-time.Duration(90-i*30) * time.Second)).Exec(ctx); err != nil {
				return err
			}
		}
		return tx.Engagement.Create().SetChannel(enum.ChannelVoice).SetQueueID(sales.ID).SetAgentID(bob).
			SetState(engagement.StateWrapUp).Exec(ctx)
	})
	start := appendEvents(t, s, events.Event{Topic: "test.start"})[0]
	s.Clock.Advance(10 * time.Second)

	sub := subscribe(t, s.Dial(t, s.Admin.Token), queueEventsQuery, map[string]any{"ids": []string{strconv.Itoa(support.ID), strconv.Itoa(sales.ID)}})
	snapshots := map[string]queueStats{}
	for range 2 {
		st := nextQueueStats(t, sub)
		snapshots[st.Queue.Name] = st
	}
	expectStats(t, snapshots["Sales"], queueStats{Sequence: start, Waiting: 2, LongestWaitSeconds: 100, AgentsAvailable: 1, AgentsBusy: 1})
	expectStats(t, snapshots["Support"], queueStats{Sequence: start, Waiting: 0, LongestWaitSeconds: 0, AgentsAvailable: 1, AgentsBusy: 0})

	// A new engagement in Sales: only Sales gets a fresh snapshot.
	write(t, s, func(ctx context.Context, tx *ent.Tx) error {
		return tx.Engagement.Create().SetChannel(enum.ChannelChat).SetQueueID(sales.ID).SetQueuedAt(s.Clock.Now()).Exec(ctx)
	})
	created := appendEvents(t, s, events.Event{Topic: events.EngagementCreated, QueueID: sales.ID})[0]
	st := nextQueueStats(t, sub)
	if st.Queue.Name != "Sales" {
		t.Fatalf("snapshot of %s; want Sales", st.Queue.Name)
	}
	expectStats(t, st, queueStats{Sequence: created, Waiting: 3, LongestWaitSeconds: 100, AgentsAvailable: 1, AgentsBusy: 1})

	// Events of other queues and of agents of no watched queue change nothing;
	// Carol going NOT_READY refreshes Support only.
	outsider, _ := newAgent(t, s, "Dave")
	write(t, s, func(ctx context.Context, tx *ent.Tx) error {
		return tx.Agent.UpdateOneID(carol).SetState(agent.StateNotReady).Exec(ctx)
	})
	changed := appendEvents(t, s,
		events.Event{Topic: events.EngagementCreated, QueueID: sales.ID + 1000},
		events.Event{Topic: events.AgentStateChanged, AgentID: outsider},
		events.Event{Topic: events.AgentStateChanged, AgentID: carol},
	)
	st = nextQueueStats(t, sub)
	if st.Queue.Name != "Support" {
		t.Fatalf("snapshot of %s; want Support", st.Queue.Name)
	}
	expectStats(t, st, queueStats{Sequence: changed[2], AgentsAvailable: 0})

	// A burst on one queue coalesces: the last snapshot has the final figures.
	var last string
	for i := range 20 {
		write(t, s, func(ctx context.Context, tx *ent.Tx) error {
			return tx.Engagement.Create().SetChannel(enum.ChannelChat).SetQueueID(support.ID).SetQueuedAt(s.Clock.Now()).Exec(ctx)
		})
		last = appendEvents(t, s, events.Event{Topic: events.EngagementCreated, QueueID: support.ID, Payload: map[string]any{"i": i}})[0]
	}
	var snapshotsSeen int
	for st.Sequence != last {
		st = nextQueueStats(t, sub)
		snapshotsSeen++
		if st.Queue.Name != "Support" {
			t.Fatalf("snapshot of %s; want Support", st.Queue.Name)
		}
	}
	expectStats(t, st, queueStats{Sequence: last, Waiting: 20})
	t.Logf("20 changes gave %d snapshots", snapshotsSeen)

	refused := subscribe(t, s.Dial(t, s.Admin.Token), queueEventsQuery, map[string]any{"ids": []string{strconv.Itoa(sales.ID + 1000)}})
	expectRefused(t, refused, "NOT_FOUND")
	_, erinToken := newAgentToken(t, s, "erin@example.com")
	expectRefused(t, subscribe(t, s.Dial(t, erinToken), queueEventsQuery, map[string]any{"ids": []string{strconv.Itoa(sales.ID)}}), "FORBIDDEN")
}

func TestSlowSubscriberIsClosed(t *testing.T) {
	verifyNoLeaks(t)
	dropped := &tooSlowSignal{c: make(chan struct{})}
	s := apitest.Start(t, func(c *app.Config) { c.Log = slog.New(dropped) })
	alice, token := newAgent(t, s, "Alice")
	start := appendEvents(t, s, events.Event{Topic: "test.start"})[0]

	// The slow client takes one message and then stops reading (its
	// subscription channel has no room); the fast one reads everything.
	slowConn := s.Dial(t, token)
	slow := subscribe(t, slowConn, `subscription($after: String) { agentEvents(after: $after) { sequence payload } }`, map[string]any{"after": start}, 0)
	fast := subscribe(t, s.Dial(t, token), `subscription($after: String) { agentEvents(after: $after) { sequence } }`, map[string]any{"after": start}, 1024)

	// Large payloads fill the socket buffers sooner; then the server's
	// buffer (events.BufferSize events, events.BufferBytes) fills and the
	// bus drops the subscriber.
	blob := strings.Repeat("x", 8<<10)
	const batch, maxBatches = 250, 40
	burst := make([]events.Event, batch)
	for i := range burst {
		burst[i] = events.Event{Topic: "test.burst", AgentID: alice, Payload: map[string]any{"blob": blob}}
	}
	var published []string
	for n := 0; ; n++ {
		if n == maxBatches {
			t.Fatalf("the slow subscriber was not dropped after %d events", len(published))
		}
		seqs := appendEvents(t, s, burst...)
		expectSequences(t, fast, "agentEvents", seqs)
		published = append(published, seqs...)
		select {
		case <-dropped.c:
		default:
			continue
		}
		break
	}
	// Not before either bound was passed: events.BufferSize events or
	// events.BufferBytes of them.
	fit := min(events.BufferSize, int(events.BufferBytes/events.EventSize(&ent.Event{Payload: burst[0].Payload.(map[string]any)})))
	if len(published) <= fit {
		t.Fatalf("dropped after %d events; the buffer holds %d of them", len(published), fit)
	}
	// The slow subscription's goroutine ends at once, though gqlgen's writer
	// is still stuck on the client that does not read; the fast one stays.
	waitForGoroutines(t, "live.(*Service).stream.func", 1)

	// Reading again, the slow client gets a gapless prefix of the events,
	// then the close frame that tells it to resume.
	var got []string
	for {
		r, ok := receive(t, slow)
		if !ok {
			break
		}
		got = append(got, decode[event](t, r, "agentEvents").Sequence)
	}
	// It may have got nothing at all: a stream that had not yet taken the
	// first burst when the bytes waiting for it passed the bound.
	if len(got) >= len(published) {
		t.Fatalf("slow client got %d of %d events", len(got), len(published))
	}
	for i := range got {
		if got[i] != published[i] {
			t.Fatalf("slow client's event %d is %s; want %s (no gap, no reordering)", i, got[i], published[i])
		}
	}
	var ce websocket.CloseError
	if err := slowConn.Err(); !errors.As(err, &ce) || ce.Code != live.CloseTooSlow || !strings.Contains(ce.Reason, "resume with after") {
		t.Fatalf("slow connection ended with %v; want close code %d telling it to resume", err, live.CloseTooSlow)
	}
	t.Logf("dropped after %d events; the slow client had %d", len(published), len(got))

	// The fast client is unaffected and the slow one can resume.
	more := appendEvents(t, s, events.Event{Topic: "test.after", AgentID: alice})
	expectSequences(t, fast, "agentEvents", more)
	cursor := start
	if len(got) > 0 {
		cursor = got[len(got)-1]
	}
	resumed := subscribe(t, s.Dial(t, token), `subscription($after: String) { agentEvents(after: $after) { sequence } }`, map[string]any{"after": cursor}, 4096)
	expectSequences(t, resumed, "agentEvents", append(published[len(got):], more...))
}

// TestChatThroughSubscriptions follows a chat made by the engine: the agent
// is rung on agentEvents, the customer token from createEngagement follows
// the engagement, and both see the customer's message.
func TestChatThroughSubscriptions(t *testing.T) {
	verifyNoLeaks(t)
	s := apitest.Start(t)
	var q struct {
		CreateQueue struct{ Queue struct{ ID string } }
	}
	apitest.Must(t, s.Admin, `mutation { createQueue(input: {name: "Support", channels: [CHAT]}) { queue { id } } }`, nil, &q)
	apitest.Must(t, s.Admin, `mutation($q: ID!) { createAgent(input: {name: "Ann", email: "ann@example.com", queueIDs: [$q]}, password: "ann-password-123") { agent { id } } }`,
		map[string]any{"q": q.CreateQueue.Queue.ID}, nil)
	annToken := s.Login(t, "ann@example.com", "ann-password-123")
	ann := s.Client(annToken)
	start := appendEvents(t, s, events.Event{Topic: "test.start"})[0]
	rings := subscribe(t, s.Dial(t, annToken), agentEventsQuery, map[string]any{"after": start})
	apitest.Must(t, ann, `mutation { setAgentState(state: AVAILABLE) { agent { state } } }`, nil, nil)

	var created struct {
		CreateEngagement struct {
			Engagement    struct{ ID string }
			CustomerToken string
		}
	}
	apitest.Must(t, s.Client(newAPIKey(t, s, "ENGAGEMENTS")), `mutation($q: ID!) {
		createEngagement(input: {channel: CHAT, queueID: $q, customer: {name: "Bob"}}) { engagement { id } customerToken } }`,
		map[string]any{"q": q.CreateQueue.Queue.ID}, &created)
	id, token := created.CreateEngagement.Engagement.ID, created.CreateEngagement.CustomerToken
	customer := subscribe(t, s.Dial(t, token), engagementEventsQuery, map[string]any{"id": id, "after": start})

	waitFor := func(sub *gqlclient.Subscription, field, topic string) event {
		t.Helper()
		for {
			if e := nextEvent(t, sub, field); e.Topic == topic {
				return e
			}
		}
	}
	ring := waitFor(rings, "agentEvents", events.OfferCreated)
	if ring.Engagement == nil || ring.Engagement.ID != id || ring.Payload["customer"] == nil {
		t.Fatalf("ring = %+v", ring)
	}
	var me struct {
		Me struct{ PendingOffers []struct{ ID string } }
	}
	apitest.Must(t, ann, `{ me { pendingOffers { id } } }`, nil, &me)
	apitest.Must(t, ann, `mutation($o: ID!) { acceptOffer(id: $o) { engagement { state } } }`, map[string]any{"o": me.Me.PendingOffers[0].ID}, nil)
	apitest.Must(t, s.Client(token), `mutation($e: ID!) { postMessage(input: {engagementID: $e, body: "hello"}) { message { id } } }`,
		map[string]any{"e": id}, nil)

	msg := waitFor(rings, "agentEvents", events.MessageCreated)
	var seen []string
	for {
		e := nextEvent(t, customer, "engagementEvents")
		seen = append(seen, e.Topic)
		if e.Topic == events.MessageCreated {
			if e.Sequence != msg.Sequence {
				t.Fatalf("customer got message %s; the agent %s", e.Sequence, msg.Sequence)
			}
			break
		}
		if e.Topic != events.EngagementStateChanged && e.Topic != events.QueuePosition {
			t.Fatalf("the customer got a %s event; it sees state changes, its queue position and messages only", e.Topic)
		}
	}
	if len(seen) < 2 {
		t.Fatalf("customer saw %v; want the connection before the message", seen)
	}
}
