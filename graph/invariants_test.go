package graph_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/switchboard/switchboard/ent"
	entagent "github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/engagement"
	entevent "github.com/switchboard/switchboard/ent/event"
	entoffer "github.com/switchboard/switchboard/ent/offer"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/ent/transfer"
	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/auth"
)

// checkInvariants checks the routing invariants of DESIGN.md directly in
// the database, once the dispatcher has settled:
//   - every engagement not CLOSED or ABANDONED is in exactly one place:
//     waiting (QUEUED, no agent, no ring), ringing one agent (OFFERED), with
//     its agent (CONNECTED, PARKED, WRAP_UP) or with its agent while one
//     transfer to another agent is pending (TRANSFERRING);
//   - an engagement is connected to at most one agent at a time: its state
//     changes, replayed from the event log, form one unbroken chain ending in
//     its current state, and every accepted offer connected it exactly once;
//   - no agent holds more than its capacity on any channel (connected,
//     transferring, in wrap-up, owed wrap-ups of transfers, rings; parked
//     chats do not count);
//   - every offer has ended, or is pending with a deadline still to come;
//   - liveness: no engagement is QUEUED in an active queue while an
//     AVAILABLE member agent of that queue could take it (capacity, no
//     chat during a call, no call during a call or a chat's wrap-up, a call
//     reaches an agent busy with live engagements only to interrupt
//     connected chats). Agents who declined it are still asked, last.
func checkInvariants(t testing.TB, s *apitest.Server) {
	t.Helper()
	ctx := auth.SystemContext(context.Background())
	db := s.App.Client
	now := s.Clock.Now()
	engs, err := db.Engagement.Query().WithOffers(func(q *ent.OfferQuery) { q.WithEngagement() }).WithQueue().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ agent, channel int }
	held := map[key]int{}
	loads := map[int]*agentLoad{}
	loadOf := func(id int) *agentLoad {
		if loads[id] == nil {
			loads[id] = &agentLoad{}
		}
		return loads[id]
	}
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for _, eg := range engs {
		var pending []*ent.Offer
		for _, o := range eg.Edges.Offers {
			switch {
			case o.State == entoffer.StatePending:
				pending = append(pending, o)
				if !o.Deadline.After(now) {
					fail("offer %d of engagement %d is pending past its deadline", o.ID, eg.ID)
				}
				held[key{o.AgentID, eg.Channel.Index()}]++
				loadOf(o.AgentID).occupy(eg.Channel, false)
			case o.EndedAt == nil:
				fail("offer %d is %s without an end time", o.ID, o.State)
			}
		}
		agentID := deref(eg.AgentID)
		switch eg.State {
		case engagement.StateQueued:
			if agentID != 0 || len(pending) != 0 {
				fail("QUEUED engagement %d has agent %d and %d pending offers", eg.ID, agentID, len(pending))
			}
		case engagement.StateOffered:
			if agentID != 0 || len(pending) != 1 || pending[0].TransferID != nil {
				fail("OFFERED engagement %d has agent %d and pending offers %v", eg.ID, agentID, pending)
			}
		case engagement.StateConnected, engagement.StateParked, engagement.StateWrapUp:
			if agentID == 0 || len(pending) != 0 {
				fail("%s engagement %d has agent %d and %d pending offers", eg.State, eg.ID, agentID, len(pending))
			}
			if (eg.State == engagement.StateParked) != (eg.ParkedFrom != nil) {
				fail("%s engagement %d has parkedFrom %v", eg.State, eg.ID, eg.ParkedFrom)
			}
			if eg.State != engagement.StateParked {
				held[key{agentID, eg.Channel.Index()}]++
				loadOf(agentID).occupy(eg.Channel, eg.State == engagement.StateWrapUp)
			}
			if eg.State == engagement.StateConnected && eg.Channel == enum.ChannelChat {
				loadOf(agentID).connectedChats++
			}
		case engagement.StateTransferring:
			if agentID == 0 || len(pending) != 1 || pending[0].TransferID == nil || pending[0].AgentID == agentID {
				fail("TRANSFERRING engagement %d has agent %d and pending offers %v", eg.ID, agentID, pending)
			}
			held[key{agentID, eg.Channel.Index()}]++
			loadOf(agentID).occupy(eg.Channel, false)
		case engagement.StatePostSession:
			// With its virtual agent (P1): no ring, no slot of its agent.
			if eg.VirtualAgentID == nil || eg.PostSessionStatus == nil || eg.PostSessionDeadline == nil || len(pending) != 0 {
				fail("POST_SESSION engagement %d has virtual agent %v, status %v, deadline %v, %d pending offers",
					eg.ID, eg.VirtualAgentID, eg.PostSessionStatus, eg.PostSessionDeadline, len(pending))
			}
		case engagement.StateClosed, engagement.StateAbandoned:
			if len(pending) != 0 {
				fail("%s engagement %d has pending offers", eg.State, eg.ID)
			}
		default:
			fail("engagement %d is %s", eg.ID, eg.State)
		}
	}

	// Owed wrap-ups of transfers hold a slot of their sender.
	owed, err := db.Transfer.Query().Where(transfer.StateEQ(transfer.StateCompleted), transfer.SenderWrappedUpAtIsNil()).
		WithEngagement().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range owed {
		held[key{tr.FromAgentID, tr.Edges.Engagement.Channel.Index()}]++
		loadOf(tr.FromAgentID).occupy(tr.Edges.Engagement.Channel, true)
	}
	agents, err := db.Agent.Query().WithCapacityProfile().WithQueues().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range agents {
		caps := [5]int{1, 1, 3, 5, 5}
		if p := a.Edges.CapacityProfile; p != nil {
			caps = [5]int{p.Voice, p.Video, p.Chat, p.Email, p.Sms}
		}
		for _, ch := range enum.AllChannels {
			if n := held[key{a.ID, ch.Index()}]; n > caps[ch.Index()] {
				fail("agent %d (%s) holds %d %s engagements, capacity %d", a.ID, a.Name, n, ch, caps[ch.Index()])
			}
		}
		if !a.Active || a.State != entagent.StateAvailable {
			continue
		}
		l := loadOf(a.ID)
		for _, eg := range engs {
			if eg.State != engagement.StateQueued || eg.Edges.Queue == nil || !eg.Edges.Queue.Active {
				continue
			}
			member := slices.ContainsFunc(a.Edges.Queues, func(q *ent.Queue) bool { return q.ID == eg.QueueID })
			if member && l.canTake(caps, eg.Channel) {
				fail("liveness: %s engagement %d waits in queue %d while agent %d (%s) is AVAILABLE and could take it (load %+v)",
					eg.Channel, eg.ID, eg.QueueID, a.ID, a.Name, *l)
			}
		}
	}

	// The event log replays every engagement's life without a gap or a
	// double transition.
	evs, err := db.Event.Query().Where(entevent.TopicIn("engagement.created", "engagement.state_changed")).
		Order(ent.Asc(entevent.FieldID)).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	state := map[int]string{}
	connects := map[int]int{}
	for _, ev := range evs {
		id := deref(ev.EngagementID)
		if ev.Topic == "engagement.created" {
			state[id] = fmt.Sprint(ev.Payload["state"])
			continue
		}
		from, to := fmt.Sprint(ev.Payload["from"]), fmt.Sprint(ev.Payload["to"])
		if state[id] != from {
			fail("engagement %d changed %s → %s (event %d) while it was %s", id, from, to, ev.ID, state[id])
		}
		state[id] = to
		if r := ev.Payload["reason"]; r == "ACCEPTED" || r == "TRANSFER_ACCEPTED" {
			connects[id]++
		}
	}
	for _, eg := range engs {
		if state[eg.ID] != string(eg.State) {
			fail("engagement %d is %s but its events end in %s", eg.ID, eg.State, state[eg.ID])
		}
		accepted := 0
		for _, o := range eg.Edges.Offers {
			if o.State == entoffer.StateAccepted {
				accepted++
			}
		}
		if accepted != connects[eg.ID] {
			fail("engagement %d has %d accepted offers but was connected by %d", eg.ID, accepted, connects[eg.ID])
		}
	}
	for i, p := range problems {
		if i == 20 {
			t.Errorf("... and %d more", len(problems)-i)
			break
		}
		t.Error(p)
	}
	if len(problems) > 0 {
		t.FailNow()
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// agentLoad is what an agent holds, as the invariants see it; kept apart
// from the engine's own bookkeeping so that the check can catch it out.
type agentLoad struct {
	held           [5]int
	onCall         bool // a call connected, ringing, transferring or in wrap-up
	chatWrapUp     bool // a chat in wrap-up (no call may come then)
	live           bool // any call or chat held or ringing
	connectedChats int  // chats a call would interrupt
}

func (l *agentLoad) occupy(ch enum.Channel, wrapUp bool) {
	l.held[ch.Index()]++
	l.onCall = l.onCall || ch == enum.ChannelVoice || ch == enum.ChannelVideo
	l.chatWrapUp = l.chatWrapUp || (ch == enum.ChannelChat && wrapUp)
	l.live = l.live || ch == enum.ChannelVoice || ch == enum.ChannelVideo || ch == enum.ChannelChat
}

// canTake says whether the routing rules let an agent with load l and
// capacities caps be given one more engagement of ch.
func (l *agentLoad) canTake(caps [5]int, ch enum.Channel) bool {
	if l.held[ch.Index()] >= caps[ch.Index()] {
		return false
	}
	switch ch {
	case enum.ChannelVoice, enum.ChannelVideo:
		return !l.onCall && !l.chatWrapUp && (!l.live || l.connectedChats > 0)
	case enum.ChannelChat:
		return !l.onCall
	}
	return true
}
