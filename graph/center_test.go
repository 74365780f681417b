package graph_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gqlclient"
)

// center is a contact center under test, driven through the public API: an
// admin who configures it, an integration (API key with scope ENGAGEMENTS)
// that brings customers in, and agents with their own logged-in clients.
type center struct {
	t     testing.TB
	s     *apitest.Server
	integ *gqlclient.Client
	seq   int
}

// newCenter starts a server; options adjust its configuration.
func newCenter(t testing.TB, options ...func(*app.Config)) *center {
	t.Helper()
	c := &center{t: t, s: apitest.Start(t, options...)}
	var key struct{ CreateAPIKey struct{ Secret string } }
	c.must(c.s.Admin, `mutation { createAPIKey(input: {name: "telephony", scopes: [ENGAGEMENTS]}) { secret } }`, nil, &key)
	c.integ = c.s.Client(key.CreateAPIKey.Secret)
	// Whatever a test did, the routing invariants hold at its end.
	t.Cleanup(func() {
		if !t.Failed() {
			c.settle()
			checkInvariants(t, c.s)
		}
	})
	return c
}

func (c *center) must(cl *gqlclient.Client, query string, vars map[string]any, out any) {
	c.t.Helper()
	apitest.Must(c.t, cl, query, vars, out)
}

// eventually polls f every few milliseconds for up to 5 s: for what the
// dispatcher goroutine does after a request returns.
func eventually(t testing.TB, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// settle waits until the dispatcher has handled everything that happened so
// far (events and due deadlines): after it, what has not happened will not.
func (c *center) settle() {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.s.App.Engine.Sync(ctx); err != nil {
		c.t.Fatalf("dispatcher did not settle: %v", err)
	}
}

// advance moves the fake clock and lets the dispatcher handle what fell due.
func (c *center) advance(d time.Duration) {
	c.t.Helper()
	c.s.Clock.Advance(d)
	c.settle()
}

// queue creates a leaf queue taking every channel; input adds fields of
// CreateQueueInput (acceptMode, priority, ringTimeoutSeconds, ...).
func (c *center) queue(name string, input map[string]any) string {
	c.t.Helper()
	in := map[string]any{"name": name}
	maps.Copy(in, input)
	var out struct {
		CreateQueue struct{ Queue struct{ ID string } }
	}
	c.must(c.s.Admin, `mutation($in: CreateQueueInput!) { createQueue(input: $in) { queue { id } } }`, map[string]any{"in": in}, &out)
	return out.CreateQueue.Queue.ID
}

// profile creates a capacity profile: fields of CreateCapacityProfileInput
// (voice, video, chat, email, sms); the others keep their defaults.
func (c *center) profile(caps map[string]any) string {
	c.t.Helper()
	c.seq++
	in := map[string]any{"name": fmt.Sprintf("profile %d", c.seq)}
	maps.Copy(in, caps)
	var out struct {
		CreateCapacityProfile struct{ CapacityProfile struct{ ID string } }
	}
	c.must(c.s.Admin, `mutation($in: CreateCapacityProfileInput!) { createCapacityProfile(input: $in) { capacityProfile { id } } }`,
		map[string]any{"in": in}, &out)
	return out.CreateCapacityProfile.CapacityProfile.ID
}

// agentClient is an agent and its logged-in client.
type agentClient struct {
	*gqlclient.Client
	c        *center
	id, name string
}

// agent creates an agent in queues, with a capacity profile ("" for the
// defaults: voice 1, video 1, chat 3, email 5, sms 5), logs it in and makes
// it AVAILABLE.
func (c *center) agent(name, profile string, queues ...string) *agentClient {
	c.t.Helper()
	in := map[string]any{"name": name, "email": strings.ToLower(name) + "@example.com", "queueIDs": queues}
	if profile != "" {
		in["capacityProfileID"] = profile
	}
	password := "password of " + name
	var out struct {
		CreateAgent struct{ Agent struct{ ID string } }
	}
	c.must(c.s.Admin, `mutation($in: CreateAgentInput!, $p: String!) { createAgent(input: $in, password: $p) { agent { id } } }`,
		map[string]any{"in": in, "p": password}, &out)
	a := &agentClient{Client: c.s.Client(c.s.Login(c.t, in["email"].(string), password)), c: c, id: out.CreateAgent.Agent.ID, name: name}
	a.setState("AVAILABLE", "")
	return a
}

// agents creates n agents named prefix1..prefixN like agent.
func (c *center) agents(prefix string, n int, profile string, queues ...string) []*agentClient {
	c.t.Helper()
	out := make([]*agentClient, n)
	for i := range out {
		out[i] = c.agent(fmt.Sprintf("%s%d", prefix, i+1), profile, queues...)
	}
	return out
}

// created is what createEngagement returns.
type created struct {
	ID, State     string
	CustomerToken string
}

// create queues an inbound engagement through the integration.
func (c *center) create(channel, queue string) string {
	c.t.Helper()
	return c.createWith(map[string]any{"channel": channel, "queueID": queue}).ID
}

// createWith queues an engagement from a CreateEngagementInput.
func (c *center) createWith(input map[string]any) created {
	c.t.Helper()
	var out struct {
		CreateEngagement struct {
			Engagement    struct{ ID, State string }
			CustomerToken *string
		}
	}
	c.must(c.integ, `mutation($in: CreateEngagementInput!) { createEngagement(input: $in) { engagement { id state } customerToken } }`,
		map[string]any{"in": input}, &out)
	e := out.CreateEngagement
	r := created{ID: e.Engagement.ID, State: e.Engagement.State}
	if e.CustomerToken != nil {
		r.CustomerToken = *e.CustomerToken
	}
	return r
}

// hangUp ends an engagement from the customer's side (the integration).
func (c *center) hangUp(id string) engagementView {
	c.t.Helper()
	var out struct {
		EndEngagement struct{ Engagement engagementView }
	}
	c.must(c.integ, `mutation($id: ID!) { endEngagement(id: $id) { engagement { `+engagementFields+` } } }`, map[string]any{"id": id}, &out)
	return out.EndEngagement.Engagement
}

// engagementView is what tests look at of an engagement.
type engagementView struct {
	ID, State      string
	AgentID        *string
	QueueID        string
	WaitMs         int64
	HandleMs       int64
	WrapUpMs       int64
	AutoParked     bool
	CustomerLeft   bool
	ParkedFrom     *string
	WrapUpDeadline *time.Time
}

const engagementFields = `id state agentID queueID waitMs handleMs wrapUpMs autoParked customerLeft parkedFrom wrapUpDeadline`

// agent returns the engagement's agent ID, "" without one.
func (e engagementView) agent() string {
	if e.AgentID == nil {
		return ""
	}
	return *e.AgentID
}

// engagement reads an engagement as the admin.
func (c *center) engagement(id string) engagementView {
	c.t.Helper()
	var out struct{ Node *engagementView }
	c.must(c.s.Admin, `query($id: ID!) { node(id: $id) { ... on Engagement { `+engagementFields+` } } }`, map[string]any{"id": id}, &out)
	if out.Node == nil {
		c.t.Fatalf("engagement %s not found", id)
	}
	return *out.Node
}

// expectEngagement checks an engagement's state and agent ("" for none).
func (c *center) expectEngagement(id, state, agentID string) engagementView {
	c.t.Helper()
	e := c.engagement(id)
	if e.State != state || e.agent() != agentID {
		c.t.Fatalf("engagement %s is %s with agent %q; want %s with agent %q", id, e.State, e.agent(), state, agentID)
	}
	return e
}

// waitState waits for an engagement to reach state.
func (c *center) waitState(id, state string) engagementView {
	c.t.Helper()
	var e engagementView
	eventually(c.t, "engagement "+id+" "+state, func() bool {
		e = c.engagement(id)
		return e.State == state
	})
	return e
}

// offerState reads an offer's state as the admin.
func (c *center) offerState(id string) string {
	c.t.Helper()
	var out struct{ Node *struct{ State string } }
	c.must(c.s.Admin, `query($id: ID!) { node(id: $id) { ... on Offer { state } } }`, map[string]any{"id": id}, &out)
	if out.Node == nil {
		c.t.Fatalf("offer %s not found", id)
	}
	return out.Node.State
}

// offer is a pending ring or transfer as its agent sees it.
type offer struct {
	ID         string
	TransferID *string
	Deadline   time.Time
	Engagement struct{ ID string }
}

func (a *agentClient) offers() []offer {
	a.c.t.Helper()
	var out struct {
		Me struct{ PendingOffers []offer }
	}
	a.c.must(a.Client, `{ me { pendingOffers { id transferID deadline engagement { id } } } }`, nil, &out)
	return out.Me.PendingOffers
}

// ring waits for the agent's one pending offer and returns it.
func (a *agentClient) ring() offer {
	a.c.t.Helper()
	// Every request has committed before it returned; once the dispatcher
	// has taken in what they committed, a ring that is not there will not
	// come.
	a.c.settle()
	os := a.offers()
	if len(os) != 1 {
		a.c.t.Fatalf("%s has %d pending offers; want 1", a.name, len(os))
	}
	return os[0]
}

// ringFor waits for the agent to be rung with engagement id.
func (a *agentClient) ringFor(id string) offer {
	a.c.t.Helper()
	o := a.ring()
	if o.Engagement.ID != id {
		a.c.t.Fatalf("%s is rung with engagement %s; want %s", a.name, o.Engagement.ID, id)
	}
	return o
}

// noRing checks, once the dispatcher has settled, that the agent is not rung.
func (a *agentClient) noRing() {
	a.c.t.Helper()
	a.c.settle()
	if os := a.offers(); len(os) != 0 {
		a.c.t.Fatalf("%s is rung with %+v; want no ring", a.name, os)
	}
}

// answer waits for a ring with engagement id and accepts it.
func (a *agentClient) answer(id string) engagementView {
	a.c.t.Helper()
	return a.accept(a.ringFor(id).ID)
}

func (a *agentClient) accept(offerID string) engagementView {
	a.c.t.Helper()
	var out struct {
		AcceptOffer struct{ Engagement engagementView }
	}
	a.c.must(a.Client, `mutation($id: ID!) { acceptOffer(id: $id) { engagement { `+engagementFields+` } } }`, map[string]any{"id": offerID}, &out)
	if e := out.AcceptOffer.Engagement; e.State != "CONNECTED" || e.agent() != a.id {
		a.c.t.Fatalf("%s accepted offer %s: engagement %s with agent %q", a.name, offerID, e.State, e.agent())
	}
	return out.AcceptOffer.Engagement
}

func (a *agentClient) decline(offerID string) {
	a.c.t.Helper()
	var out struct {
		DeclineOffer struct{ Offer struct{ State string } }
	}
	a.c.must(a.Client, `mutation($id: ID!) { declineOffer(id: $id) { offer { state } } }`, map[string]any{"id": offerID}, &out)
	if out.DeclineOffer.Offer.State != "DECLINED" {
		a.c.t.Fatalf("declined offer is %s", out.DeclineOffer.Offer.State)
	}
}

// act runs a lifecycle mutation taking an engagement ID and returning an
// EngagementPayload (endEngagement, parkEngagement, resumeEngagement,
// releaseEngagement, pickEngagement, acceptTransfer).
func (a *agentClient) act(mutation, id string) engagementView {
	a.c.t.Helper()
	var out map[string]struct{ Engagement engagementView }
	a.c.must(a.Client, `mutation($id: ID!) { `+mutation+`(id: $id) { engagement { `+engagementFields+` } } }`, map[string]any{"id": id}, &out)
	return out[mutation].Engagement
}

func (a *agentClient) end(id string) engagementView    { return a.act("endEngagement", id) }
func (a *agentClient) park(id string) engagementView   { return a.act("parkEngagement", id) }
func (a *agentClient) resume(id string) engagementView { return a.act("resumeEngagement", id) }
func (a *agentClient) pick(id string) engagementView   { return a.act("pickEngagement", id) }

// wrapUp completes the agent's wrap-up of an engagement.
func (a *agentClient) wrapUp(id string, dispositions ...string) engagementView {
	a.c.t.Helper()
	var out struct {
		CompleteWrapUp struct{ Engagement engagementView }
	}
	a.c.must(a.Client, `mutation($in: CompleteWrapUpInput!) { completeWrapUp(input: $in) { engagement { `+engagementFields+` } } }`,
		map[string]any{"in": map[string]any{"engagementID": id, "notes": "done", "dispositionIDs": dispositions}}, &out)
	return out.CompleteWrapUp.Engagement
}

// finish ends a connected engagement and completes its wrap-up.
func (a *agentClient) finish(id string) {
	a.c.t.Helper()
	a.end(id)
	if e := a.wrapUp(id); e.State != "CLOSED" {
		a.c.t.Fatalf("after wrap-up engagement %s is %s", id, e.State)
	}
}

// transfer transfers an engagement to a queue or an agent (one of them "").
func (a *agentClient) transfer(id, toQueue, toAgent string) (transferID, state string) {
	a.c.t.Helper()
	in := map[string]any{"engagementID": id}
	if toQueue != "" {
		in["toQueueID"] = toQueue
	}
	if toAgent != "" {
		in["toAgentID"] = toAgent
	}
	var out struct {
		TransferEngagement struct{ Transfer struct{ ID, State string } }
	}
	a.c.must(a.Client, `mutation($in: TransferEngagementInput!) { transferEngagement(input: $in) { transfer { id state } } }`, map[string]any{"in": in}, &out)
	return out.TransferEngagement.Transfer.ID, out.TransferEngagement.Transfer.State
}

func (a *agentClient) setState(state, reason string) {
	a.c.t.Helper()
	vars := map[string]any{"s": state}
	if reason != "" {
		vars["r"] = reason
	}
	a.c.must(a.Client, `mutation($s: AgentState!, $r: String) { setAgentState(state: $s, reason: $r) { agent { state } } }`, vars, nil)
}

// me is the agent's own view of its state and what it holds.
type me struct {
	State           string
	StateReason     *string
	MissedRings     int
	OpenEngagements []struct{ ID, State, Channel string }
}

func (a *agentClient) me() me {
	a.c.t.Helper()
	var out struct{ Me me }
	a.c.must(a.Client, `{ me { state stateReason missedRings openEngagements { id state channel } } }`, nil, &out)
	return out.Me
}

// open returns the IDs and states of the agent's open engagements, as
// "id:STATE", oldest first.
func (a *agentClient) open() []string {
	a.c.t.Helper()
	var out []string
	for _, e := range a.me().OpenEngagements {
		out = append(out, e.ID+":"+e.State)
	}
	return out
}

// expectError runs an operation that must fail with code and, when not
// empty, reason.
func expectError(t testing.TB, cl *gqlclient.Client, code, reason, query string, vars map[string]any) gqlclient.Error {
	t.Helper()
	e := apitest.ExpectCode(t, cl, code, query, vars)
	if reason != "" && e.Extensions.Reason != reason {
		t.Fatalf("%s\nerror %q has reason %q; want %s", query, e.Message, e.Extensions.Reason, reason)
	}
	return e
}

// refuse runs a lifecycle mutation like act that must fail with code and
// reason.
func (a *agentClient) refuse(code, reason, mutation, id string) gqlclient.Error {
	a.c.t.Helper()
	return expectError(a.c.t, a.Client, code, reason, `mutation($id: ID!) { `+mutation+`(id: $id) { __typename } }`, map[string]any{"id": id})
}

// clockNow is the server's (fake) time.
func (c *center) clockNow() time.Time { return c.s.Clock.Now() }

// agentStream opens an agentEvents subscription for a and returns once it
// is live: it replays from a marker appended first, so the state change it
// waits for cannot slip past it.
func agentStream(t *testing.T, c *center, a *agentClient) (*gqlclient.Conn, *gqlclient.Subscription) {
	t.Helper()
	start := appendEvents(t, c.s, events.Event{Topic: "test.start"})[0]
	conn := c.s.Dial(t, a.Token)
	sub := subscribe(t, conn, agentEventsQuery, map[string]any{"after": start})
	m := a.me()
	a.setState(m.State, deref(m.StateReason)) // no change but an event
	nextTopic(t, sub, "agent.state_changed")
	return conn, sub
}

// nextTopic skips agentEvents on sub until one of topic arrives.
func nextTopic(t *testing.T, sub *gqlclient.Subscription, topic string) event {
	t.Helper()
	for {
		if e := nextEvent(t, sub, "agentEvents"); e.Topic == topic {
			return e
		}
	}
}
