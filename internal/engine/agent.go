package engine

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/offer"
	"github.com/switchboard/switchboard/ent/transfer"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/lifecycle"
)

// Reason codes of NOT_READY set by the engine.
const (
	// ReasonMissed: the agent let MissedRingsLimit rings in a row time out.
	ReasonMissed = "MISSED"
)

// SetAgentState sets the caller AVAILABLE, NOT_READY (with a reason code)
// or OFFLINE. OFFLINE leaves routing as logout does but keeps the token.
func (e *Engine) SetAgentState(ctx context.Context, state agent.State, reason string) (*ent.Agent, error) {
	me := viewer(ctx).AgentID
	if state != agent.StateNotReady && reason != "" {
		return nil, apperr.Invalid("reason", "only NOT_READY takes a reason")
	}
	if state == agent.StateOffline {
		return e.leave(ctx, me, ReasonOffline, 0)
	}
	var out *ent.Agent
	err := e.write(ctx, func(ctx context.Context, w *writer) (err error) {
		a, err := w.Agent.Get(ctx, me)
		if err != nil {
			return err
		}
		out, err = w.setState(ctx, a, state, reason)
		return err
	})
	return unwrapped(out, err)
}

// setState moves an agent to state with reason and records it. An agent
// that is not AVAILABLE is rung no more: its pending rings are rescinded
// and pass to the next agent at once (transfers offered to it stay).
func (w *writer) setState(ctx context.Context, a *ent.Agent, state agent.State, reason string) (*ent.Agent, error) {
	if state != agent.StateAvailable {
		rings, err := w.Offer.Query().Where(offer.AgentID(a.ID), offer.StateEQ(offer.StatePending), offer.TransferIDIsNil()).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range rings {
			if _, err := w.dropOffer(ctx, o, offer.StateRescinded, "AGENT_"+string(state)); err != nil {
				return nil, err
			}
		}
	}
	u := w.Agent.UpdateOneID(a.ID).SetState(state).SetStateChangedAt(w.now).AddVersion(1)
	if reason == "" {
		u.ClearStateReason()
	} else {
		u.SetStateReason(reason)
	}
	if state == agent.StateAvailable {
		u.SetMissedRings(0)
		if a.State != agent.StateAvailable {
			u.SetIdleSince(w.now)
		}
	}
	next, err := u.Save(ctx)
	if err != nil {
		return nil, err
	}
	return next, w.emit(ctx, events.Event{AgentID: a.ID, Payload: events.AgentStateChangedDetails{From: a.State, To: state, Reason: reason}})
}

// Reasons an agent leaves routing, recorded as its state reason and on the
// transitions of what it held.
const (
	// ReasonOffline: setAgentState(OFFLINE).
	ReasonOffline = "OFFLINE"
	// ReasonLogout: logout.
	ReasonLogout = "LOGOUT"
	// ReasonConnectionLost: no live connection for the grace period (E6).
	ReasonConnectionLost = "CONNECTION_LOST"
)

// Logout sets the caller OFFLINE (E6), like setAgentState(OFFLINE), and
// revokes the token it used, in the same transaction.
func (e *Engine) Logout(ctx context.Context) (*ent.Agent, error) {
	v := viewer(ctx)
	return e.leave(ctx, v.AgentID, ReasonLogout, v.TokenID)
}

// leave takes an agent out of routing: what it holds goes back to the front
// of its queues, wrap-ups are completed, rings are rescinded, and it is
// OFFLINE with reason why. A token ID other than 0 is revoked with it.
func (e *Engine) leave(ctx context.Context, agentID int, why string, tokenID int) (*ent.Agent, error) {
	var out *ent.Agent
	err := e.write(ctx, func(ctx context.Context, w *writer) error {
		a, err := w.Agent.Get(ctx, agentID)
		if err != nil {
			return err
		}
		if err := w.returnAll(ctx, agentID, why); err != nil {
			return err
		}
		out, err = w.setState(ctx, a, agent.StateOffline, why)
		if err != nil {
			return err
		}
		if tokenID != 0 {
			if err := w.AuthToken.UpdateOneID(tokenID).SetRevokedAt(w.now).Exec(ctx); err != nil {
				return err
			}
			if err := w.emit(ctx, auth.TokenRevoked(ctx, agentID, tokenID, auth.ReasonLogout)); err != nil {
				return err
			}
		}
		return w.Agent.UpdateOneID(agentID).ClearDisconnectedAt().Exec(ctx)
	})
	return unwrapped(out, err)
}

// returnAll gives back everything an agent holds: engagements to the front
// of their queues, wrap-ups completed, rings and transfers to it ended.
func (w *writer) returnAll(ctx context.Context, agentID int, why string) error {
	offers, err := w.Offer.Query().Where(offer.AgentID(agentID), offer.StateEQ(offer.StatePending)).All(ctx)
	if err != nil {
		return err
	}
	for _, o := range offers {
		if _, err := w.dropOffer(ctx, o, offer.StateRescinded, why); err != nil {
			return err
		}
	}
	held, err := w.Engagement.Query().Where(engagement.AgentID(agentID), engagement.StateIn(lifecycle.WithAgent...)).
		Order(ent.Asc(engagement.FieldID)).All(ctx)
	if err != nil {
		return err
	}
	for _, eg := range held {
		switch {
		case eg.State == engagement.StateWrapUp, inWrapUp(eg):
			_, err = w.close(ctx, eg, why, nil)
		case eg.State == engagement.StateTransferring:
			if eg, err = w.cancelTransfer(ctx, eg, why); err == nil {
				_, err = w.requeue(ctx, eg, true, why)
			}
		default:
			_, err = w.requeue(ctx, eg, true, why)
		}
		if err != nil {
			return err
		}
	}
	return w.Transfer.Update().
		Where(transfer.FromAgentID(agentID), transfer.StateEQ(transfer.StateCompleted), transfer.SenderWrappedUpAtIsNil()).
		SetSenderWrappedUpAt(w.now).Exec(ctx)
}

// inWrapUp reports whether eg is parked with its conversation over: parked
// during wrap-up, or left by its customer while parked.
func inWrapUp(eg *ent.Engagement) bool {
	return eg.State == engagement.StateParked && deref(eg.ParkedFrom) == engagement.ParkedFromWrapUp
}

// requeue puts an engagement back in its queue without an agent; front puts
// it before the others of its priority (E6, T4).
func (w *writer) requeue(ctx context.Context, eg *ent.Engagement, front bool, reason string) (*ent.Engagement, error) {
	if eg.AgentID != nil {
		if err := w.touchAgent(ctx, *eg.AgentID, -1, nil); err != nil {
			return nil, err
		}
	}
	return w.move(ctx, eg, engagement.StateQueued, reason, func(m *ent.EngagementMutation) {
		w.stopTimer(eg, m)
		m.ClearAgentID()
		m.ClearParkedFrom()
		m.SetAutoParked(false)
		m.ClearWrapUpDeadline()
		m.SetQueuedAt(w.now)
		m.SetFrontOfQueue(front)
	})
}

// close ends the wrap-up of eg: CLOSED, wrap-up time counted, dispositions
// recorded; the agent counts as idle from now.
func (w *writer) close(ctx context.Context, eg *ent.Engagement, reason string, dispositions []int) (*ent.Engagement, error) {
	if eg.AgentID != nil {
		err := w.touchAgent(ctx, *eg.AgentID, -1, func(m *ent.AgentMutation) { m.SetIdleSince(w.now) })
		if err != nil {
			return nil, err
		}
	}
	// P1: an eligible session goes to its virtual agent instead of closing.
	h, err := w.postSessionFor(ctx, eg)
	if err != nil {
		return nil, err
	}
	to := engagement.StateClosed
	if h != nil {
		to = engagement.StatePostSession
	}
	next, err := w.move(ctx, eg, to, reason, func(m *ent.EngagementMutation) {
		w.stopTimer(eg, m)
		if h != nil {
			h.set(m)
		} else {
			m.SetClosedAt(w.now)
		}
		m.ClearWrapUpDeadline()
		m.ClearParkedFrom()
		m.SetAutoParked(false)
		m.AddDispositionIDs(dispositions...)
	})
	if err != nil || h == nil {
		return next, err
	}
	return next, w.emitPostSession(ctx, next, "")
}
