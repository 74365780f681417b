package engine

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/offer"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/ent/transfer"
	"github.com/switchboard/switchboard/internal/lifecycle"
)

// perChannel is a count per channel, indexed by enum.Channel.Index.
type perChannel [5]int

// load is what an agent holds at one moment, as routing sees it.
type load struct {
	// held counts engagements occupying a slot: connected, transferring, in
	// wrap-up (its own or a sender's wrap-up after a transfer), or ringing.
	// Parked chats do not occupy a slot (E5).
	held perChannel
	// onCall: a call (VOICE/VIDEO) is connected, ringing or in wrap-up.
	onCall bool
	// chatWrapUp: a chat is in wrap-up (R4: no calls until it completes).
	chatWrapUp bool
	// live: any live engagement is connected, ringing or in wrap-up.
	live bool
	// connectedChats are the chats a call would park (R3).
	connectedChats []int
	// autoParked are the chats parked by a call, resumed when it ends.
	autoParked []int
}

// occupy adds one slot-holding engagement of ch in state st.
func (l *load) occupy(ch enum.Channel, wrapUp bool) {
	l.held[ch.Index()]++
	if ch.Call() {
		l.onCall = true
	}
	if ch == enum.ChannelChat && wrapUp {
		l.chatWrapUp = true
	}
	if ch.Live() {
		l.live = true
	}
}

// capacity is the per-channel limit of an agent's profile.
func capacity(p *ent.CapacityProfile) perChannel {
	if p == nil {
		// Agents without a profile get the schema defaults.
		return perChannel{1, 1, 3, 5, 5}
	}
	return perChannel{p.Voice, p.Video, p.Chat, p.Email, p.Sms}
}

// canTake reports whether an agent with load l and capacity c may receive
// one more engagement of ch. interrupt allows a call to reach an agent busy
// with chats (R3); without it a call needs a free agent.
func (l *load) canTake(c perChannel, ch enum.Channel, interrupt bool) bool {
	if l.held[ch.Index()] >= c[ch.Index()] {
		return false
	}
	switch {
	case ch.Call():
		if l.onCall || l.chatWrapUp {
			return false
		}
		return !l.live || (interrupt && len(l.connectedChats) > 0)
	case ch == enum.ChannelChat:
		return !l.onCall
	}
	return true
}

// loadOf reads an agent's load from the database (inside tx when given).
func loadOf(ctx context.Context, c *ent.Client, agentID int) (load, error) {
	loads, err := loadsOf(ctx, c, []int{agentID})
	return loads[agentID], err
}

// loadsOf reads the load of several agents with a fixed number of queries.
func loadsOf(ctx context.Context, c *ent.Client, agentIDs []int) (map[int]load, error) {
	loads := make(map[int]*load, len(agentIDs))
	of := func(id int) *load {
		l := loads[id]
		if l == nil {
			l = &load{}
			loads[id] = l
		}
		return l
	}
	engs, err := c.Engagement.Query().
		Where(engagement.AgentIDIn(agentIDs...), engagement.StateIn(lifecycle.WithAgent...)).
		Select(engagement.FieldAgentID, engagement.FieldChannel, engagement.FieldState, engagement.FieldAutoParked).
		Order(ent.Asc(engagement.FieldID)).
		All(ctx)
	if err != nil {
		return nil, err
	}
	for _, eg := range engs {
		l := of(deref(eg.AgentID))
		switch eg.State {
		case engagement.StateParked:
			if eg.AutoParked {
				l.autoParked = append(l.autoParked, eg.ID)
			}
		default:
			l.occupy(eg.Channel, eg.State == engagement.StateWrapUp)
			if eg.Channel == enum.ChannelChat && eg.State == engagement.StateConnected {
				l.connectedChats = append(l.connectedChats, eg.ID)
			}
		}
	}
	offers, err := c.Offer.Query().
		Where(offer.AgentIDIn(agentIDs...), offer.StateEQ(offer.StatePending)).
		WithEngagement(func(q *ent.EngagementQuery) { q.Select(engagement.FieldChannel) }).
		All(ctx)
	if err != nil {
		return nil, err
	}
	for _, o := range offers {
		of(o.AgentID).occupy(o.Edges.Engagement.Channel, false)
	}
	wraps, err := c.Transfer.Query().
		Where(transfer.FromAgentIDIn(agentIDs...), transfer.StateEQ(transfer.StateCompleted), transfer.SenderWrappedUpAtIsNil()).
		WithEngagement(func(q *ent.EngagementQuery) { q.Select(engagement.FieldChannel) }).
		All(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range wraps {
		of(t.FromAgentID).occupy(t.Edges.Engagement.Channel, true)
	}
	out := make(map[int]load, len(loads))
	for id, l := range loads {
		out[id] = *l
	}
	return out, nil
}
