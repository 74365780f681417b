package engine

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/offer"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/ent/transfer"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/events"
)

// transferEnd is what a transfer becomes when its offer ends that way.
var transferEnd = map[offer.State]transfer.State{
	offer.StateAccepted:  transfer.StateCompleted,
	offer.StateDeclined:  transfer.StateDeclined,
	offer.StateTimedOut:  transfer.StateExpired,
	offer.StateRescinded: transfer.StateCancelled,
}

// finishOffer ends a pending offer (and its transfer) and tells its agent;
// the engagement is the caller's business.
func (w *writer) finishOffer(ctx context.Context, o *ent.Offer, state offer.State, reason string, setAgent func(m *ent.AgentMutation)) error {
	n, err := w.Offer.Update().Where(offer.ID(o.ID), offer.StateEQ(offer.StatePending)).
		SetState(state).SetEndedAt(w.now).Save(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return precondition(ReasonOfferEnded, "offer %d has already ended", o.ID)
	}
	if o.TransferID != nil {
		err := w.Transfer.UpdateOneID(*o.TransferID).SetState(transferEnd[state]).SetEndedAt(w.now).Exec(ctx)
		if err != nil {
			return err
		}
	}
	if err := w.touchAgent(ctx, o.AgentID, -1, setAgent); err != nil {
		return err
	}
	return w.emit(ctx, events.Event{EngagementID: o.EngagementID, AgentID: o.AgentID,
		Payload: events.OfferEndedDetails{OfferID: o.ID, State: state, Reason: reason, TransferID: o.TransferID}})
}

// dropOffer ends a pending offer that did not connect: a ring's engagement
// waits in its queue again; a transfer's stays with its sender (T2).
func (w *writer) dropOffer(ctx context.Context, o *ent.Offer, state offer.State, reason string) (*ent.Engagement, error) {
	if err := w.finishOffer(ctx, o, state, reason, nil); err != nil {
		return nil, err
	}
	eg, err := w.Engagement.Get(ctx, o.EngagementID)
	if err != nil {
		return nil, err
	}
	if o.TransferID != nil {
		// The sender hears how its transfer ended, however it ended.
		t, err := w.Transfer.Get(ctx, *o.TransferID)
		if err != nil {
			return nil, err
		}
		if err := w.emitTransfer(ctx, t, t.FromAgentID); err != nil {
			return nil, err
		}
		if eg.State != engagement.StateTransferring {
			return eg, nil
		}
		return w.move(ctx, eg, engagement.StateConnected, "TRANSFER_"+string(transferEnd[state]), nil)
	}
	if eg.State != engagement.StateOffered {
		return eg, nil
	}
	return w.move(ctx, eg, engagement.StateQueued, "OFFER_"+string(state), nil)
}

// pendingOffer loads a pending offer addressed to the caller.
func (w *writer) pendingOffer(ctx context.Context, id, me int) (*ent.Offer, error) {
	o, err := w.Offer.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if o.AgentID != me {
		return nil, apperr.New(apperr.Forbidden, "offer %d is not addressed to you", id).WithReason(ReasonNotOwner)
	}
	if o.State != offer.StatePending {
		return nil, precondition(ReasonOfferEnded, "offer %d is %s, no longer pending", id, o.State)
	}
	return o, nil
}

// AcceptOffer accepts a ring or a transfer offered to the caller.
func (e *Engine) AcceptOffer(ctx context.Context, offerID int) (*ent.Engagement, error) {
	me := viewer(ctx).AgentID
	var out *ent.Engagement
	err := e.write(ctx, func(ctx context.Context, w *writer) error {
		o, err := w.pendingOffer(ctx, offerID, me)
		if err != nil {
			return err
		}
		out, err = w.accept(ctx, o)
		return err
	})
	return unwrapped(out, err)
}

// accept connects the engagement of a pending offer to its agent.
func (w *writer) accept(ctx context.Context, o *ent.Offer) (*ent.Engagement, error) {
	// One update of the agent: its version, and its missed rings reset.
	if err := w.finishOffer(ctx, o, offer.StateAccepted, "", func(m *ent.AgentMutation) { m.SetMissedRings(0) }); err != nil {
		return nil, err
	}
	eg, err := w.Engagement.Get(ctx, o.EngagementID)
	if err != nil {
		return nil, err
	}
	if o.TransferID != nil {
		if eg.State != engagement.StateTransferring {
			return nil, illegal("engagement %d is %s, not TRANSFERRING", eg.ID, eg.State)
		}
		next, err := w.connect(ctx, eg, o.AgentID, "TRANSFER_ACCEPTED")
		if err != nil {
			return nil, err
		}
		return next, w.transferAccepted(ctx, next, *o.TransferID)
	}
	if eg.State != engagement.StateOffered {
		return nil, illegal("engagement %d is %s, not OFFERED", eg.ID, eg.State)
	}
	return w.connect(ctx, eg, o.AgentID, "ACCEPTED")
}

// connect gives eg to an agent: CONNECTED, handle timer running, wait time
// counted. A call parks the agent's connected chats (R3).
func (w *writer) connect(ctx context.Context, eg *ent.Engagement, agentID int, reason string) (*ent.Engagement, error) {
	if eg.Channel.Call() {
		if err := w.parkChatsFor(ctx, agentID); err != nil {
			return nil, err
		}
	}
	next, err := w.move(ctx, eg, engagement.StateConnected, reason, func(m *ent.EngagementMutation) {
		w.restartTimer(eg, m)
		m.SetAgentID(agentID)
		m.ClearReleasedByID()
		m.SetFrontOfQueue(false)
		if eg.ConnectedAt == nil {
			m.SetConnectedAt(w.now)
		}
		if eg.QueuedAt != nil && (eg.State == engagement.StateQueued || eg.State == engagement.StateOffered) {
			m.AddWaitMs(w.now.Sub(*eg.QueuedAt).Milliseconds())
		}
	})
	if err != nil {
		return nil, err
	}
	// Connecting is when a chat's record is due, and a call's with C3.
	if _, err := w.logSession(ctx, next, momentConnected); err != nil {
		return nil, err
	}
	return next, nil
}

// parkChatsFor parks the agent's connected chats because a call reached it,
// and rescinds the chats still ringing it: no chat connects during a call.
func (w *writer) parkChatsFor(ctx context.Context, agentID int) error {
	chats, err := w.Engagement.Query().Where(engagement.AgentID(agentID), engagement.ChannelEQ(enum.ChannelChat),
		engagement.StateEQ(engagement.StateConnected)).All(ctx)
	if err != nil {
		return err
	}
	for _, c := range chats {
		if _, err := w.park(ctx, c, true); err != nil {
			return err
		}
	}
	rings, err := w.Offer.Query().Where(offer.AgentID(agentID), offer.StateEQ(offer.StatePending),
		offer.HasEngagementWith(engagement.ChannelEQ(enum.ChannelChat))).All(ctx)
	if err != nil {
		return err
	}
	for _, o := range rings {
		if _, err := w.dropOffer(ctx, o, offer.StateRescinded, "INTERRUPTED_BY_CALL"); err != nil {
			return err
		}
	}
	return nil
}

// DeclineOffer declines a ring or transfer offered to the caller.
func (e *Engine) DeclineOffer(ctx context.Context, offerID int) (*ent.Offer, error) {
	me := viewer(ctx).AgentID
	var out *ent.Offer
	err := e.write(ctx, func(ctx context.Context, w *writer) error {
		o, err := w.pendingOffer(ctx, offerID, me)
		if err != nil {
			return err
		}
		if _, err := w.dropOffer(ctx, o, offer.StateDeclined, ""); err != nil {
			return err
		}
		// A declined ring was answered, not missed: the streak of missed
		// rings is broken.
		if err := w.touchAgent(ctx, me, -1, func(m *ent.AgentMutation) { m.SetMissedRings(0) }); err != nil {
			return err
		}
		out, err = w.Offer.Get(ctx, offerID)
		return err
	})
	return unwrapped(out, err)
}

// expireOffer times out a pending offer; missing MissedRingsLimit rings in
// a row sets the agent NOT_READY with reason MISSED.
func (e *Engine) expireOffer(ctx context.Context, offerID int) error {
	return e.write(ctx, func(ctx context.Context, w *writer) error {
		o, err := w.Offer.Get(ctx, offerID)
		if err != nil || o.State != offer.StatePending || o.Deadline.After(w.now) {
			return err // ended or extended meanwhile: nothing to do
		}
		if _, err := w.dropOffer(ctx, o, offer.StateTimedOut, "RING_TIMEOUT"); err != nil {
			return err
		}
		if o.TransferID != nil {
			return nil
		}
		a, err := w.Agent.UpdateOneID(o.AgentID).AddMissedRings(1).Save(ctx)
		if err != nil {
			return err
		}
		if e.missed > 0 && a.MissedRings >= e.missed && a.State == agent.StateAvailable {
			_, err = w.setState(ctx, a, agent.StateNotReady, ReasonMissed)
		}
		return err
	})
}
