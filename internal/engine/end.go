package engine

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/offer"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/apperr"
)

// EndEngagement ends an engagement. Its agent ends the conversation (wrap-up
// follows); anyone else allowed to end it (integration, customer, staff)
// ends it from the customer's side.
func (e *Engine) EndEngagement(ctx context.Context, id int) (*ent.Engagement, error) {
	v := viewer(ctx)
	var out *ent.Engagement
	err := e.write(ctx, func(ctx context.Context, w *writer) error {
		eg, err := w.Engagement.Get(ctx, id)
		if err != nil {
			return err
		}
		if v.AgentID != 0 && deref(eg.AgentID) == v.AgentID {
			out, err = w.end(ctx, eg, "AGENT_ENDED", false)
			return err
		}
		if !v.Staff() && !v.HasScope(enum.ScopeEngagements) && v.EngagementID != id {
			return apperr.New(apperr.Forbidden, "engagement %d is not yours", id).WithReason(ReasonNotOwner)
		}
		out, err = w.end(ctx, eg, "CUSTOMER_ENDED", true)
		return err
	})
	return unwrapped(out, err)
}

// end finishes the conversation of eg. Before connection the customer
// abandons it; a parked chat the customer leaves resumes into wrap-up later
// (R3); otherwise wrap-up begins, and a call that ends resumes the chats it
// interrupted.
func (w *writer) end(ctx context.Context, eg *ent.Engagement, reason string, byCustomer bool) (*ent.Engagement, error) {
	switch eg.State {
	case engagement.StateQueued, engagement.StateOffered:
		if !byCustomer {
			return nil, illegal("engagement %d is %s; release or decline it instead", eg.ID, eg.State)
		}
		return w.abandon(ctx, eg)
	case engagement.StateParked:
		if inWrapUp(eg) {
			return nil, illegal("engagement %d has already ended; resume it to complete its wrap-up", eg.ID)
		}
		room := false
		if !byCustomer {
			var err error
			if room, err = w.hasRoom(ctx, *eg.AgentID, eg.Channel); err != nil {
				return nil, err
			}
		}
		if !room {
			// Its wrap-up would take a slot the agent does not have free (or
			// the agent is on a call): it stays parked and resumes into
			// wrap-up.
			if err := w.touchAgent(ctx, *eg.AgentID, -1, nil); err != nil {
				return nil, err
			}
			return w.move(ctx, eg, engagement.StateParked, reason, func(m *ent.EngagementMutation) {
				m.SetParkedFrom(engagement.ParkedFromWrapUp)
				m.SetCustomerLeft(byCustomer)
				m.SetEndedAt(w.now)
			})
		}
	case engagement.StateTransferring:
		var err error
		if eg, err = w.cancelTransfer(ctx, eg, reason); err != nil {
			return nil, err
		}
	case engagement.StateConnected:
	case engagement.StatePostSession:
		if !byCustomer {
			return nil, illegal("engagement %d is with its virtual agent", eg.ID)
		}
		return w.finishPostSession(ctx, eg, "CUSTOMER_ENDED", engagement.PostSessionStatusCustomerLeft, nil)
	default:
		return nil, illegal("engagement %d is %s; it has already ended", eg.ID, eg.State)
	}
	deadline, err := w.wrapUpDeadline(ctx, eg)
	if err != nil {
		return nil, err
	}
	if err := w.touchAgent(ctx, *eg.AgentID, -1, nil); err != nil {
		return nil, err
	}
	next, err := w.move(ctx, eg, engagement.StateWrapUp, reason, func(m *ent.EngagementMutation) {
		w.restartTimer(eg, m)
		m.SetEndedAt(w.now)
		m.ClearParkedFrom()
		m.SetAutoParked(false)
		if byCustomer {
			m.SetCustomerLeft(true)
		}
		if deadline != nil {
			m.SetWrapUpDeadline(*deadline)
		}
	})
	if err != nil {
		return nil, err
	}
	return next, w.callLeft(ctx, eg, *eg.AgentID)
}

// callLeft resumes the chats a call parked (R3) once the call has left its
// agent: ended, transferred or released.
func (w *writer) callLeft(ctx context.Context, eg *ent.Engagement, agentID int) error {
	if !eg.Channel.Call() {
		return nil
	}
	parked, err := w.Engagement.Query().Where(engagement.AgentID(agentID), engagement.StateEQ(engagement.StateParked),
		engagement.AutoParked(true)).All(ctx)
	if err != nil {
		return err
	}
	for _, p := range parked {
		if _, err := w.resume(ctx, p, "CALL_ENDED"); err != nil {
			return err
		}
	}
	return nil
}

// abandon ends an engagement whose customer left before it connected.
func (w *writer) abandon(ctx context.Context, eg *ent.Engagement) (*ent.Engagement, error) {
	o, err := w.Offer.Query().Where(offer.EngagementID(eg.ID), offer.StateEQ(offer.StatePending)).Only(ctx)
	switch {
	case err == nil:
		if err := w.finishOffer(ctx, o, offer.StateRescinded, "CUSTOMER_ABANDONED", nil); err != nil {
			return nil, err
		}
	case !ent.IsNotFound(err):
		return nil, err
	}
	next, err := w.move(ctx, eg, engagement.StateAbandoned, "CUSTOMER_ABANDONED", func(m *ent.EngagementMutation) {
		if eg.QueuedAt != nil {
			m.AddWaitMs(w.now.Sub(*eg.QueuedAt).Milliseconds())
		}
		m.SetCustomerLeft(true)
		m.SetEndedAt(w.now)
		m.SetClosedAt(w.now)
	})
	if err != nil {
		return nil, err
	}
	_, err = w.logSession(ctx, next, momentAbandoned)
	return next, err
}
