package engine

import (
	"context"
	"slices"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/queue"
	"github.com/switchboard/switchboard/ent/transfer"
	"github.com/switchboard/switchboard/ent/wrapupreason"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/events"
)

// CompleteWrapUp completes the caller's wrap-up of an engagement: its own,
// or the sender's wrap-up after a transfer (T5).
func (e *Engine) CompleteWrapUp(ctx context.Context, id int, notes string, dispositions []int) (*ent.Engagement, error) {
	me := viewer(ctx).AgentID
	var out *ent.Engagement
	err := e.write(ctx, func(ctx context.Context, w *writer) error {
		eg, err := w.Engagement.Get(ctx, id)
		if err != nil {
			return err
		}
		// Whose wrap-up, first: the caller's own, or the one it owes as the
		// sender of a transfer; only then what it is completed with.
		own := deref(eg.AgentID) == me && eg.State == engagement.StateWrapUp
		if !own {
			if err := w.owesWrapUp(ctx, eg, me); err != nil {
				return err
			}
		}
		if err := w.checkDispositions(ctx, eg, dispositions); err != nil {
			return err
		}
		if notes != "" {
			if _, err := w.note(ctx, eg, me, notes); err != nil {
				return err
			}
		}
		if own {
			out, err = w.close(ctx, eg, "WRAP_UP_COMPLETED", dispositions)
			return err
		}
		n, err := w.Transfer.Update().Where(transfer.EngagementID(id), transfer.FromAgentID(me),
			transfer.StateEQ(transfer.StateCompleted), transfer.SenderWrappedUpAtIsNil()).
			SetSenderWrappedUpAt(w.now).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return conflict("the wrap-up of engagement %d was completed meanwhile", id)
		}
		if err := w.touchAgent(ctx, me, -1, func(m *ent.AgentMutation) { m.SetIdleSince(w.now) }); err != nil {
			return err
		}
		if len(dispositions) > 0 {
			if err := w.Engagement.UpdateOneID(id).AddDispositionIDs(dispositions...).Exec(ctx); err != nil {
				return err
			}
		}
		out = eg
		return w.emit(ctx, events.Event{EngagementID: id, AgentID: me,
			Payload: events.TransferChangedDetails{SenderWrapUp: "COMPLETED"}})
	})
	return unwrapped(out, err)
}

// owesWrapUp fails unless agentID owes a wrap-up of eg as the sender of a
// completed transfer: FORBIDDEN if eg is not and never was its own,
// PRECONDITION_FAILED if it has no wrap-up open on it.
func (w *writer) owesWrapUp(ctx context.Context, eg *ent.Engagement, agentID int) error {
	owed, err := w.Transfer.Query().Where(transfer.EngagementID(eg.ID), transfer.FromAgentID(agentID),
		transfer.StateEQ(transfer.StateCompleted), transfer.SenderWrappedUpAtIsNil()).Exist(ctx)
	if err != nil || owed {
		return err
	}
	if deref(eg.AgentID) != agentID {
		sent, err := w.Transfer.Query().Where(transfer.EngagementID(eg.ID), transfer.FromAgentID(agentID)).Exist(ctx)
		if err != nil {
			return err
		}
		if !sent {
			return apperr.New(apperr.Forbidden, "engagement %d is not yours", eg.ID).WithReason(ReasonNotOwner)
		}
	}
	return illegal("you have no wrap-up open on engagement %d (it is %s)", eg.ID, eg.State)
}

// checkDispositions validates the dispositions picked for eg: active,
// allowed for its queue (linked to it or to no queue), and present when
// the queue requires them.
func (w *writer) checkDispositions(ctx context.Context, eg *ent.Engagement, ids []int) error {
	q, err := w.queue(ctx, eg.QueueID)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		if q.DispositionsRequired {
			return apperr.Invalid("dispositionIDs", "queue %q requires at least one disposition", q.Name).WithReason(ReasonDispositions)
		}
		return nil
	}
	ok, err := w.WrapUpReason.Query().Where(wrapupreason.IDIn(ids...), wrapupreason.Active(true),
		wrapupreason.Or(wrapupreason.Not(wrapupreason.HasQueues()), wrapupreason.HasQueuesWith(queue.ID(q.ID)))).IDs(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !slices.Contains(ok, id) {
			return apperr.Invalid("dispositionIDs", "wrap-up reason %d does not exist, is inactive or does not apply to queue %q", id, q.Name)
		}
	}
	return nil
}

// AddNote adds a note to an engagement the caller holds or held.
func (e *Engine) AddNote(ctx context.Context, id int, body string) (*ent.Note, error) {
	v := viewer(ctx)
	var out *ent.Note
	err := e.write(ctx, func(ctx context.Context, w *writer) error {
		eg, err := w.Engagement.Get(ctx, id)
		if err != nil {
			return err
		}
		if !v.Staff() && deref(eg.AgentID) != v.AgentID {
			sent, err := w.Transfer.Query().Where(transfer.EngagementID(id), transfer.FromAgentID(v.AgentID)).Exist(ctx)
			if err != nil {
				return err
			}
			if !sent {
				return apperr.New(apperr.Forbidden, "engagement %d is not yours", id).WithReason(ReasonNotOwner)
			}
		}
		out, err = w.note(ctx, eg, v.AgentID, body)
		return err
	})
	return unwrapped(out, err)
}

func (w *writer) note(ctx context.Context, eg *ent.Engagement, agentID int, body string) (*ent.Note, error) {
	n, err := w.Note.Create().SetEngagementID(eg.ID).SetAgentID(agentID).SetBody(body).Save(ctx)
	if err != nil {
		return nil, err
	}
	return n, w.emit(ctx, events.Event{EngagementID: eg.ID, QueueID: eg.QueueID,
		Payload: events.NoteAddedDetails{NoteID: n.ID}})
}
