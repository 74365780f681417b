package engine

import (
	"context"
	"slices"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/offer"
	"github.com/switchboard/switchboard/ent/queue"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/ent/transfer"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/events"
)

// TransferEngagement transfers an engagement the caller holds to a queue or
// to an agent (T1–T3, T5).
func (e *Engine) TransferEngagement(ctx context.Context, id int, toQueue, toAgent *int) (*ent.Transfer, error) {
	me := viewer(ctx).AgentID
	if (toQueue == nil) == (toAgent == nil) {
		return nil, apperr.Invalid("toQueueID", "give exactly one of toQueueID and toAgentID")
	}
	var out *ent.Transfer
	_, err := e.own(ctx, id, func(ctx context.Context, w *writer, eg *ent.Engagement) (*ent.Engagement, error) {
		switch eg.State {
		case engagement.StateConnected:
		case engagement.StateTransferring:
			return nil, apperr.New(apperr.Conflict, "engagement %d already has a pending transfer", id).WithReason(ReasonTransferPending)
		default:
			return nil, illegal("engagement %d is %s; only CONNECTED engagements can be transferred", id, eg.State)
		}
		var err error
		if toQueue != nil {
			out, err = w.transferToQueue(ctx, eg, me, *toQueue)
		} else {
			out, err = w.transferToAgent(ctx, eg, me, *toAgent)
		}
		return nil, err
	})
	return unwrapped(out, err)
}

// transferToQueue queues eg in another leaf queue at once; the sender owes
// a wrap-up.
func (w *writer) transferToQueue(ctx context.Context, eg *ent.Engagement, me, queueID int) (*ent.Transfer, error) {
	q, err := leafQueue(ctx, w.Client(), queueID, eg.Channel)
	if err != nil {
		return nil, err
	}
	t, err := w.Transfer.Create().SetEngagementID(eg.ID).SetFromAgentID(me).SetToQueueID(q.ID).
		SetState(transfer.StateCompleted).SetEndedAt(w.now).Save(ctx)
	if err != nil {
		return nil, err
	}
	if err := w.touchAgent(ctx, me, -1, nil); err != nil {
		return nil, err
	}
	_, err = w.move(ctx, eg, engagement.StateQueued, "TRANSFERRED_TO_QUEUE", func(m *ent.EngagementMutation) {
		w.stopTimer(eg, m)
		m.ClearAgentID()
		m.SetQueueID(q.ID)
		m.SetPriority(q.Priority)
		m.SetQueuedAt(w.now)
		m.SetFrontOfQueue(false)
	})
	if err != nil {
		return nil, err
	}
	if err := w.callLeft(ctx, eg, me); err != nil {
		return nil, err
	}
	return t, w.emitTransfer(ctx, t, me)
}

// transferToAgent rings another agent with eg; the engagement stays with the
// sender (TRANSFERRING) until the target answers.
func (w *writer) transferToAgent(ctx context.Context, eg *ent.Engagement, me, targetID int) (*ent.Transfer, error) {
	if targetID == me {
		return nil, apperr.Invalid("toAgentID", "you cannot transfer to yourself")
	}
	target, err := w.Agent.Query().Where(agent.ID(targetID)).WithCapacityProfile().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "agent %d does not exist", targetID).WithField("toAgentID")
	}
	if err != nil {
		return nil, err
	}
	if !target.Active || target.State != agent.StateAvailable {
		return nil, precondition(ReasonNotAvailable, "%s is not available", target.Name)
	}
	if err := w.needCapacity(ctx, target, eg.Channel); err != nil {
		return nil, err
	}
	ring := 20 * time.Second
	if q, err := w.Queue.Get(ctx, eg.QueueID); err == nil {
		ring = time.Duration(q.RingTimeoutSeconds) * time.Second
	}
	t, err := w.Transfer.Create().SetEngagementID(eg.ID).SetFromAgentID(me).SetToAgentID(targetID).Save(ctx)
	if err != nil {
		return nil, err
	}
	o, err := w.Offer.Create().SetEngagementID(eg.ID).SetAgentID(targetID).SetTransferID(t.ID).SetCreatedAt(w.now).
		SetDeadline(w.now.Add(ring)).Save(ctx)
	if err != nil {
		return nil, err
	}
	if err := w.touchAgent(ctx, targetID, target.Version, nil); err != nil {
		return nil, err
	}
	next, err := w.move(ctx, eg, engagement.StateTransferring, "TRANSFER_TO_AGENT", nil)
	if err != nil {
		return nil, err
	}
	if err := w.emitOffer(ctx, o, next); err != nil {
		return nil, err
	}
	return t, w.emitTransfer(ctx, t, me)
}

// cancelTransfer drops the pending transfer of eg (the engagement is ending
// or its agent leaves) and returns eg CONNECTED to its sender.
func (w *writer) cancelTransfer(ctx context.Context, eg *ent.Engagement, reason string) (*ent.Engagement, error) {
	o, err := w.Offer.Query().Where(offer.EngagementID(eg.ID), offer.StateEQ(offer.StatePending), offer.TransferIDNotNil()).Only(ctx)
	if err != nil {
		return nil, err
	}
	return w.dropOffer(ctx, o, offer.StateRescinded, reason)
}

// transferOffer finds the pending offer of a transfer to the caller.
func (w *writer) transferOffer(ctx context.Context, transferID, me int) (*ent.Offer, error) {
	o, err := w.Offer.Query().Where(offer.TransferID(transferID)).Only(ctx)
	if err != nil {
		return nil, err
	}
	return w.pendingOffer(ctx, o.ID, me)
}

// AcceptTransfer accepts a transfer offered to the caller.
func (e *Engine) AcceptTransfer(ctx context.Context, transferID int) (*ent.Engagement, error) {
	me := viewer(ctx).AgentID
	var out *ent.Engagement
	err := e.write(ctx, func(ctx context.Context, w *writer) error {
		o, err := w.transferOffer(ctx, transferID, me)
		if err != nil {
			return err
		}
		out, err = w.accept(ctx, o)
		return err
	})
	return unwrapped(out, err)
}

// transferAccepted tells the sender of an accepted transfer; the sender
// owes a wrap-up now (T5), and a call that left it resumes the chats it
// interrupted (R3).
func (w *writer) transferAccepted(ctx context.Context, eg *ent.Engagement, transferID int) error {
	t, err := w.Transfer.Get(ctx, transferID)
	if err != nil {
		return err
	}
	if err := w.touchAgent(ctx, t.FromAgentID, -1, nil); err != nil {
		return err
	}
	if err := w.callLeft(ctx, eg, t.FromAgentID); err != nil {
		return err
	}
	return w.emitTransfer(ctx, t, t.FromAgentID)
}

// DeclineTransfer declines a transfer offered to the caller.
func (e *Engine) DeclineTransfer(ctx context.Context, transferID int) (*ent.Transfer, error) {
	me := viewer(ctx).AgentID
	var out *ent.Transfer
	err := e.write(ctx, func(ctx context.Context, w *writer) error {
		o, err := w.transferOffer(ctx, transferID, me)
		if err != nil {
			return err
		}
		if _, err := w.dropOffer(ctx, o, offer.StateDeclined, ""); err != nil {
			return err
		}
		out, err = w.Transfer.Get(ctx, transferID)
		return err
	})
	return unwrapped(out, err)
}

// emitTransfer tells agentID how a transfer stands.
func (w *writer) emitTransfer(ctx context.Context, t *ent.Transfer, agentID int) error {
	return w.emit(ctx, events.Event{EngagementID: t.EngagementID, AgentID: agentID, Payload: events.TransferChangedDetails{
		TransferID: &t.ID, State: &t.State, FromAgentID: &t.FromAgentID, ToQueueID: t.ToQueueID, ToAgentID: t.ToAgentID}})
}

// leafQueue loads an active leaf queue that takes ch.
func leafQueue(ctx context.Context, c *ent.Client, id int, ch enum.Channel) (*ent.Queue, error) {
	q, err := c.Queue.Query().Where(queue.ID(id)).WithChildren(func(q *ent.QueueQuery) { q.Limit(1) }).Only(ctx)
	if err != nil {
		return nil, leafQueueError(id, err)
	}
	return q, checkLeafQueue(q, len(q.Edges.Children) == 0, ch)
}

// leafQueueError says a queue could not be read: NOT_FOUND when it does not
// exist.
func leafQueueError(id int, err error) error {
	if ent.IsNotFound(err) {
		return apperr.New(apperr.NotFound, "queue %d does not exist", id).WithField("queueID")
	}
	return err
}

// checkLeafQueue fails unless q (leaf: without children) takes new
// engagements of ch.
func checkLeafQueue(q *ent.Queue, leaf bool, ch enum.Channel) error {
	if !leaf {
		return precondition(ReasonNotLeaf, "queue %q has child queues; engagements land only in leaf queues", q.Name)
	}
	if !q.Active {
		return precondition(ReasonNotAvailable, "queue %q is deactivated", q.Name)
	}
	if len(q.Channels) > 0 && !slices.Contains(q.Channels, ch) {
		return apperr.Invalid("queueID", "queue %q does not take %s", q.Name, ch)
	}
	return nil
}

// ReleaseEngagement gives an engagement the caller cannot finish back to the
// front of its queue (T4).
func (e *Engine) ReleaseEngagement(ctx context.Context, id int) (*ent.Engagement, error) {
	return e.own(ctx, id, func(ctx context.Context, w *writer, eg *ent.Engagement) (*ent.Engagement, error) {
		if (eg.State != engagement.StateConnected && eg.State != engagement.StateParked) || inWrapUp(eg) {
			return nil, illegal("engagement %d is %s and its conversation is over; only CONNECTED or PARKED conversations can be released", id, eg.State)
		}
		next, err := w.requeue(ctx, eg, true, "RELEASED")
		if err != nil {
			return nil, err
		}
		if next, err = next.Update().SetReleasedByID(*eg.AgentID).Save(ctx); err != nil {
			return nil, err
		}
		return next, w.callLeft(ctx, eg, *eg.AgentID)
	})
}
