package routing

import (
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/schema/enum"
)

// PerChannel is a count per channel, indexed by enum.Channel.Index.
type PerChannel [5]int

// Load is what an agent holds at one moment, as routing sees it.
type Load struct {
	// Held counts engagements occupying a slot: connected, transferring, in
	// wrap-up (its own or a sender's wrap-up after a transfer), or ringing.
	// Parked chats do not occupy a slot (E5).
	Held PerChannel
	// OnCall: a call (VOICE/VIDEO) is connected, ringing or in wrap-up.
	OnCall bool
	// ChatWrapUp: a chat is in wrap-up (R4: no calls until it completes).
	ChatWrapUp bool
	// Live: any live engagement is connected, ringing or in wrap-up.
	Live bool
	// ConnectedChats are the chats a call would park (R3).
	ConnectedChats []int
	// AutoParked are the chats parked by a call, resumed when it ends.
	AutoParked []int
}

// Occupy adds one slot-holding engagement of ch, in wrap-up or not.
func (l *Load) Occupy(ch enum.Channel, wrapUp bool) {
	l.Held[ch.Index()]++
	if ch.Call() {
		l.OnCall = true
	}
	if ch == enum.ChannelChat && wrapUp {
		l.ChatWrapUp = true
	}
	if ch.Live() {
		l.Live = true
	}
}

// Capacity is the per-channel limit of an agent's profile (docs/rules.md
// R7); agents without a profile get the schema's defaults.
func Capacity(p *ent.CapacityProfile) PerChannel {
	if p == nil {
		return PerChannel{1, 1, 3, 5, 5}
	}
	return PerChannel{p.Voice, p.Video, p.Chat, p.Email, p.Sms}
}

// CanTake reports whether an agent with load l and capacity c may receive
// one more engagement of ch (R3, R4, R7). interrupt allows a call to reach
// an agent busy with chats (R3); without it a call needs a free agent.
// Routing and the agents' own actions (pick, resume, end) ask this same
// question.
func (l *Load) CanTake(c PerChannel, ch enum.Channel, interrupt bool) bool {
	if l.Held[ch.Index()] >= c[ch.Index()] {
		return false
	}
	switch {
	case ch.Call():
		if l.OnCall || l.ChatWrapUp {
			return false
		}
		return !l.Live || (interrupt && len(l.ConnectedChats) > 0)
	case ch == enum.ChannelChat:
		return !l.OnCall
	}
	return true
}
