// Package lifecycle is the engagement state machine as data: which state
// may follow which, and for which reasons (the reason is what the
// transition's event records). Every state change of the engine goes
// through Allowed; the README's state diagram is checked against
// Transitions by a test; docs/rules.md says the rules in words.
package lifecycle

import (
	"fmt"
	"slices"

	"github.com/switchboard/switchboard/ent/engagement"
)

// State is an engagement's state.
type State = engagement.State

// Transition is one allowed change of state and the reasons it may happen
// for.
type Transition struct {
	From, To State
	Reasons  []string
}

const (
	queued       = engagement.StateQueued
	offered      = engagement.StateOffered
	connected    = engagement.StateConnected
	parked       = engagement.StateParked
	transferring = engagement.StateTransferring
	wrapUp       = engagement.StateWrapUp
	closed       = engagement.StateClosed
	abandoned    = engagement.StateAbandoned
	postSession  = engagement.StatePostSession
)

// leaving are the reasons an agent's engagements go back to their queues,
// or their wrap-ups are completed, when the agent leaves routing.
var leaving = []string{"LOGOUT", "OFFLINE", "CONNECTION_LOST"}

// Transitions is the state machine. A transition not listed is refused.
var Transitions = []Transition{
	{queued, offered, []string{"RINGING"}},
	{queued, connected, []string{"ASSIGNED", "PICKED"}},
	{queued, abandoned, []string{"CUSTOMER_ABANDONED"}},
	{offered, connected, []string{"ACCEPTED"}},
	{offered, queued, []string{"OFFER_DECLINED", "OFFER_TIMED_OUT", "OFFER_RESCINDED"}},
	{offered, abandoned, []string{"CUSTOMER_ABANDONED"}},
	{connected, parked, []string{"PARKED", "INTERRUPTED_BY_CALL"}},
	{connected, transferring, []string{"TRANSFER_TO_AGENT"}},
	{connected, queued, append([]string{"TRANSFERRED_TO_QUEUE", "RELEASED"}, leaving...)},
	{connected, wrapUp, []string{"AGENT_ENDED", "CUSTOMER_ENDED"}},
	{transferring, connected, []string{"TRANSFER_ACCEPTED", "TRANSFER_DECLINED", "TRANSFER_EXPIRED", "TRANSFER_CANCELLED"}},
	{parked, connected, []string{"RESUMED", "CALL_ENDED"}},
	{parked, wrapUp, []string{"RESUMED", "CALL_ENDED", "AGENT_ENDED"}},
	{parked, parked, []string{"AGENT_ENDED", "CUSTOMER_ENDED"}},
	{parked, queued, append([]string{"RELEASED"}, leaving...)},
	{parked, closed, leaving},
	{wrapUp, parked, []string{"PARKED"}},
	{wrapUp, closed, append([]string{"WRAP_UP_COMPLETED", "WRAP_UP_LIMIT"}, leaving...)},
	// P1: instead of closing, an eligible session goes to its virtual agent
	// when its wrap-up ends; it is over when the virtual agent ends it, the
	// customer leaves or refuses, or a deadline passes.
	{wrapUp, postSession, append([]string{"WRAP_UP_COMPLETED", "WRAP_UP_LIMIT"}, leaving...)},
	{postSession, closed, []string{"POST_SESSION_COMPLETED", "CUSTOMER_ENDED", "CONSENT_REFUSED", "CONSENT_TIMED_OUT",
		"VIRTUAL_AGENT_TIMEOUT", "POST_SESSION_LIMIT"}},
}

// Allowed reports whether an engagement in state from may go to state to
// for reason.
func Allowed(from, to State, reason string) bool {
	for _, t := range Transitions {
		if t.From == from && t.To == to {
			return slices.Contains(t.Reasons, reason)
		}
	}
	return false
}

// Check returns an error saying why a transition is refused, nil when it is
// allowed.
func Check(from, to State, reason string) error {
	if Allowed(from, to, reason) {
		return nil
	}
	return fmt.Errorf("an engagement cannot go from %s to %s (%s)", from, to, reason)
}

// Named sets of states, used wherever code asks "is it …?".
var (
	// Waiting: in its queue, without an agent or a ring.
	Waiting = []State{queued}
	// Routed: what the dispatcher keeps in its view (waiting, ringing, or
	// with a deadline it schedules).
	Routed = []State{queued, offered, transferring, wrapUp, postSession}
	// WithAgent: held by an agent (connected, parked, transferring, in
	// wrap-up).
	WithAgent = []State{connected, transferring, wrapUp, parked}
	// BeforeConnection: the customer has not reached an agent yet.
	BeforeConnection = []State{queued, offered}
	// WithVirtualAgent: in its post-session part, with a virtual agent.
	WithVirtualAgent = []State{postSession}
	// Terminal: over; nothing follows.
	Terminal = []State{closed, abandoned}
)

// Is reports whether s is one of set.
func Is(s State, set []State) bool { return slices.Contains(set, s) }
