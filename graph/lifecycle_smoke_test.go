package graph_test

import (
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/apitest"
)

func TestChatLifecycleSmoke(t *testing.T) {
	s := apitest.Start(t)
	var q struct {
		CreateQueue struct{ Queue struct{ ID string } }
	}
	apitest.Must(t, s.Admin, `mutation { createQueue(input: {name: "Support", channels: [CHAT]}) { queue { id } } }`, nil, &q)
	var a struct {
		CreateAgent struct{ Agent struct{ ID string } }
	}
	apitest.Must(t, s.Admin, `mutation($q: ID!) { createAgent(input: {name: "Ann", email: "ann@example.com", queueIDs: [$q]}, password: "ann-password-123") { agent { id } } }`,
		map[string]any{"q": q.CreateQueue.Queue.ID}, &a)
	ann := s.Client(s.Login(t, "ann@example.com", "ann-password-123"))
	apitest.Must(t, ann, `mutation { setAgentState(state: AVAILABLE) { agent { state } } }`, nil, nil)
	var key struct{ CreateAPIKey struct{ Secret string } }
	apitest.Must(t, s.Admin, `mutation { createAPIKey(input: {name: "chat", scopes: [ENGAGEMENTS]}) { secret } }`, nil, &key)
	integ := s.Client(key.CreateAPIKey.Secret)
	var eg struct {
		CreateEngagement struct{ Engagement struct{ ID, State string } }
	}
	apitest.Must(t, integ, `mutation($q: ID!) { createEngagement(input: {channel: CHAT, queueID: $q, customer: {name: "Bob", email: "bob@example.com"}, botSummary: "wants a refund"}) { engagement { id state } } }`,
		map[string]any{"q": q.CreateQueue.Queue.ID}, &eg)

	var me struct {
		Me struct{ PendingOffers []struct{ ID string } }
	}
	eventually(t, "a ring", func() bool {
		apitest.Must(t, ann, `{ me { pendingOffers { id } } }`, nil, &me)
		return len(me.Me.PendingOffers) == 1
	})
	var acc struct {
		AcceptOffer struct{ Engagement struct{ State string } }
	}
	apitest.Must(t, ann, `mutation($o: ID!) { acceptOffer(id: $o) { engagement { state } } }`, map[string]any{"o": me.Me.PendingOffers[0].ID}, &acc)
	if acc.AcceptOffer.Engagement.State != "CONNECTED" {
		t.Fatalf("state %s", acc.AcceptOffer.Engagement.State)
	}
	s.Clock.Advance(90 * time.Second)
	apitest.Must(t, ann, `mutation($e: ID!) { endEngagement(id: $e) { engagement { state } } }`, map[string]any{"e": eg.CreateEngagement.Engagement.ID}, nil)
	var done struct {
		CompleteWrapUp struct {
			Engagement struct {
				State    string
				HandleMs int64
			}
		}
	}
	apitest.Must(t, ann, `mutation($e: ID!) { completeWrapUp(input: {engagementID: $e, notes: "refunded"}) { engagement { state handleMs } } }`, map[string]any{"e": eg.CreateEngagement.Engagement.ID}, &done)
	if done.CompleteWrapUp.Engagement.State != "CLOSED" || done.CompleteWrapUp.Engagement.HandleMs != 90000 {
		t.Fatalf("after wrap-up: %+v", done.CompleteWrapUp.Engagement)
	}
}
