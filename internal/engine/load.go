package engine

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/offer"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/ent/transfer"
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

// openStates are the states in which an engagement is with an agent.
var openStates = []engagement.State{engagement.StateConnected, engagement.StateTransferring, engagement.StateWrapUp, engagement.StateParked}

// loadOf reads an agent's load from the database (inside tx when given).
func loadOf(ctx context.Context, c *ent.Client, agentID int) (load, error) {
	var l load
	engs, err := c.Engagement.Query().
		Where(engagement.AgentID(agentID), engagement.StateIn(openStates...)).
		Select(engagement.FieldChannel, engagement.FieldState, engagement.FieldAutoParked).
		All(ctx)
	if err != nil {
		return l, err
	}
	for _, eg := range engs {
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
		Where(offer.AgentID(agentID), offer.StateEQ(offer.StatePending)).
		WithEngagement(func(q *ent.EngagementQuery) { q.Select(engagement.FieldChannel) }).
		All(ctx)
	if err != nil {
		return l, err
	}
	for _, o := range offers {
		l.occupy(o.Edges.Engagement.Channel, false)
	}
	wraps, err := c.Transfer.Query().
		Where(transfer.FromAgentID(agentID), transfer.StateEQ(transfer.StateCompleted), transfer.SenderWrappedUpAtIsNil()).
		WithEngagement(func(q *ent.EngagementQuery) { q.Select(engagement.FieldChannel) }).
		All(ctx)
	if err != nil {
		return l, err
	}
	for _, t := range wraps {
		l.occupy(t.Edges.Engagement.Channel, true)
	}
	return l, nil
}
