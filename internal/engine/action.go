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
	"github.com/switchboard/switchboard/ent/wrapupreason"
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

// ParkEngagement parks a chat the caller holds (E5).
func (e *Engine) ParkEngagement(ctx context.Context, id int) (*ent.Engagement, error) {
	return e.own(ctx, id, func(ctx context.Context, w *writer, eg *ent.Engagement) (*ent.Engagement, error) {
		return w.park(ctx, eg, false)
	})
}

// park stops a chat's timers and keeps it with its agent, out of its
// capacity; auto marks a park by an interrupting call (R3).
func (w *writer) park(ctx context.Context, eg *ent.Engagement, auto bool) (*ent.Engagement, error) {
	if eg.Channel != enum.ChannelChat {
		return nil, illegal("only chats can be parked, not %s", eg.Channel)
	}
	from := engagement.ParkedFromConnected
	switch eg.State {
	case engagement.StateConnected:
	case engagement.StateWrapUp:
		from = engagement.ParkedFromWrapUp
	default:
		return nil, illegal("engagement %d is %s; only CONNECTED or WRAP_UP chats can be parked", eg.ID, eg.State)
	}
	if err := w.touchAgent(ctx, *eg.AgentID, -1, nil); err != nil {
		return nil, err
	}
	reason := "PARKED"
	if auto {
		reason = "INTERRUPTED_BY_CALL"
	}
	return w.move(ctx, eg, engagement.StateParked, reason, func(m *ent.EngagementMutation) {
		w.stopTimer(eg, m)
		m.SetParkedFrom(from)
		m.SetAutoParked(auto)
		m.ClearWrapUpDeadline()
	})
}

// ResumeEngagement resumes a chat the caller parked.
func (e *Engine) ResumeEngagement(ctx context.Context, id int) (*ent.Engagement, error) {
	return e.own(ctx, id, func(ctx context.Context, w *writer, eg *ent.Engagement) (*ent.Engagement, error) {
		if eg.State != engagement.StateParked {
			return nil, illegal("engagement %d is %s, not PARKED", id, eg.State)
		}
		a, err := w.Agent.Query().Where(agent.ID(*eg.AgentID)).WithCapacityProfile().Only(ctx)
		if err != nil {
			return nil, err
		}
		if err := w.needCapacity(ctx, a, eg.Channel); err != nil {
			return nil, err
		}
		return w.resume(ctx, eg, "RESUMED")
	})
}

// resume returns a parked chat to the state it was parked from, restarting
// its timer; a chat resumed into wrap-up gets the rest of its wrap-up time.
func (w *writer) resume(ctx context.Context, eg *ent.Engagement, reason string) (*ent.Engagement, error) {
	to := engagement.StateConnected
	if deref(eg.ParkedFrom) == engagement.ParkedFromWrapUp {
		to = engagement.StateWrapUp
	}
	var deadline *time.Time
	if to == engagement.StateWrapUp {
		var err error
		if deadline, err = w.wrapUpDeadline(ctx, eg); err != nil {
			return nil, err
		}
	}
	if err := w.touchAgent(ctx, *eg.AgentID, -1, nil); err != nil {
		return nil, err
	}
	return w.move(ctx, eg, to, reason, func(m *ent.EngagementMutation) {
		m.ClearParkedFrom()
		m.SetAutoParked(false)
		m.SetTimerStartedAt(w.now)
		if deadline != nil {
			m.SetWrapUpDeadline(*deadline)
		}
	})
}

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
		w.stopTimer(eg, m)
		m.SetEndedAt(w.now)
		m.SetTimerStartedAt(w.now)
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
		if err := w.finishOffer(ctx, o, offer.StateRescinded, "CUSTOMER_ABANDONED"); err != nil {
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
	q, err := w.Queue.Get(ctx, eg.QueueID)
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
