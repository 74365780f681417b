package engine

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/offer"
	"github.com/switchboard/switchboard/ent/queue"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/routing"
)

// own runs fn on an engagement the caller holds, in a write transaction.
func (e *Engine) own(ctx context.Context, id int, fn func(ctx context.Context, w *writer, eg *ent.Engagement) (*ent.Engagement, error)) (*ent.Engagement, error) {
	me := viewer(ctx).AgentID
	var out *ent.Engagement
	err := e.write(ctx, func(ctx context.Context, w *writer) error {
		eg, err := w.Engagement.Get(ctx, id)
		if err != nil {
			return err
		}
		if deref(eg.AgentID) != me {
			return apperr.New(apperr.Forbidden, "engagement %d is not yours", id).WithReason(ReasonNotOwner)
		}
		out, err = fn(ctx, w, eg)
		return err
	})
	return unwrapped(out, err)
}

// PickEngagement gives the caller a waiting chat from one of its queues (R5).
func (e *Engine) PickEngagement(ctx context.Context, id int) (*ent.Engagement, error) {
	me := viewer(ctx).AgentID
	var out *ent.Engagement
	err := e.write(ctx, func(ctx context.Context, w *writer) error {
		eg, err := w.Engagement.Get(ctx, id)
		if err != nil {
			return err
		}
		switch {
		case eg.Channel != enum.ChannelChat:
			return precondition(ReasonIllegalTransition, "only chats can be picked; %s engagements are routed", eg.Channel)
		case eg.State == engagement.StateOffered:
			// Picking a chat that rings the caller is answering the ring.
			o, err := w.Offer.Query().Where(offer.EngagementID(id), offer.StateEQ(offer.StatePending)).Only(ctx)
			if err != nil {
				return err
			}
			if o.AgentID != me {
				return apperr.New(apperr.Conflict, "engagement %d is ringing another agent", id).WithReason(ReasonRingingOther)
			}
			out, err = w.accept(ctx, o)
			return err
		case eg.State != engagement.StateQueued:
			return illegal("engagement %d is %s, not QUEUED", id, eg.State)
		}
		a, err := w.Agent.Query().Where(agent.ID(me)).WithCapacityProfile().
			WithQueues(func(q *ent.QueueQuery) { q.Where(queue.ID(eg.QueueID)) }).Only(ctx)
		if err != nil {
			return err
		}
		if len(a.Edges.Queues) == 0 {
			return precondition(ReasonNotMember, "engagement %d waits in a queue you are not a member of", id)
		}
		if a.State == agent.StateOffline {
			return precondition(ReasonNotAvailable, "log in to routing (setAgentState) before picking")
		}
		if err := w.needCapacity(ctx, a, enum.ChannelChat); err != nil {
			return err
		}
		if err := w.touchAgent(ctx, me, a.Version, nil); err != nil {
			return err
		}
		if out, err = w.connect(ctx, eg, me, "PICKED"); err != nil {
			return err
		}
		return w.emitAssigned(ctx, out)
	})
	return unwrapped(out, err)
}

// needCapacity fails unless a can take one more engagement of ch now.
func (w *writer) needCapacity(ctx context.Context, a *ent.Agent, ch enum.Channel) error {
	l, err := loadOf(ctx, w.Client(), a.ID)
	if err != nil {
		return err
	}
	if !l.CanTake(routing.Capacity(a.Edges.CapacityProfile), ch, false) {
		if l.OnCall && ch.Live() {
			return precondition(ReasonOnCall, "%s is on a call", a.Name)
		}
		return precondition(ReasonCapacity, "%s has no free %s capacity", a.Name, ch)
	}
	return nil
}

// hasRoom reports whether an agent could take one more engagement of ch now.
func (w *writer) hasRoom(ctx context.Context, agentID int, ch enum.Channel) (bool, error) {
	a, err := w.Agent.Query().Where(agent.ID(agentID)).WithCapacityProfile().Only(ctx)
	if err != nil {
		return false, err
	}
	l, err := loadOf(ctx, w.Client(), agentID)
	if err != nil {
		return false, err
	}
	return l.CanTake(routing.Capacity(a.Edges.CapacityProfile), ch, false), nil
}

// emitAssigned tells an agent it has an engagement without a ring.
func (w *writer) emitAssigned(ctx context.Context, eg *ent.Engagement) error {
	r, err := w.logSession(ctx, eg, momentConnected)
	if err != nil {
		return err
	}
	return w.emit(ctx, events.Event{EngagementID: eg.ID, AgentID: deref(eg.AgentID), QueueID: eg.QueueID,
		Payload: events.EngagementAssignedDetails{Channel: eg.Channel, State: eg.State, Record: eventRecord(r)}})
}
