package engine

import (
	"context"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/postsession"
)

// Reasons of refused post-session actions.
const (
	// ReasonNotPostSession: the engagement is not with a virtual agent, or
	// not at the step the action needs.
	ReasonNotPostSession = "NOT_IN_POST_SESSION"
	// ReasonNotYourSession: the engagement was handed to another virtual
	// agent, or the key is bound to none.
	ReasonNotYourSession = "NOT_YOUR_SESSION"
)

// handover is a post-session transfer about to happen: the setting that
// makes it, and what the engagement is given.
type handover struct {
	setting  *ent.PostSessionSetting
	params   map[string]any
	status   engagement.PostSessionStatus
	deadline time.Time
}

// postSessionFor returns the post-session transfer eg is due when its
// wrap-up ends (P1–P4), nil when none: not a CHAT or VOICE session, already
// handed over once, no enabled setting (a chat queue's own setting
// overrides the global one, P3), a deactivated virtual agent, or a session
// type the setting does not hand over (mobile-app sessions never, P4).
func (w *writer) postSessionFor(ctx context.Context, eg *ent.Engagement) (*handover, error) {
	if eg.State != engagement.StateWrapUp || eg.PostSessionStatus != nil ||
		(eg.Channel != enum.ChannelChat && eg.Channel != enum.ChannelVoice) {
		return nil, nil
	}
	var ps *ent.PostSessionSetting
	var err error
	if eg.Channel == enum.ChannelChat && eg.QueueID != 0 {
		if ps, err = w.cachedPostSession(ctx, eg.QueueID, eg.Channel); err != nil {
			return nil, err
		}
	}
	if ps == nil {
		if ps, err = w.cachedPostSession(ctx, 0, eg.Channel); err != nil || ps == nil {
			return nil, err
		}
	}
	if !ps.Enabled || ps.VirtualAgentID == nil || !postsession.Eligible(eg.Channel, eg.SessionType, ps.SessionTypes) {
		return nil, nil
	}
	va, err := w.VirtualAgent.Get(ctx, *ps.VirtualAgentID)
	if err != nil || !va.Active {
		return nil, err
	}
	s, err := w.sessionFields(ctx, eg)
	if err != nil {
		return nil, err
	}
	h := &handover{setting: ps, params: postsession.Resolve(ps.DataParameters, s),
		status: engagement.PostSessionStatusWaiting, deadline: w.now.Add(postsession.TakeTimeout)}
	if ps.AskConsent && eg.Channel == enum.ChannelChat {
		h.status, h.deadline = engagement.PostSessionStatusAwaitingConsent, w.now.Add(postsession.ConsentTimeout)
	}
	return h, nil
}

// sessionFields are the session fields data parameters may name.
func (w *writer) sessionFields(ctx context.Context, eg *ent.Engagement) (postsession.Session, error) {
	f := map[string]any{
		"engagementID": eg.ID, "channel": string(eg.Channel), "sessionType": string(eg.SessionType),
		"direction": string(eg.Direction), "menuPath": eg.MenuPath, "language": eg.Language,
		"waitMs": eg.WaitMs, "handleMs": eg.HandleMs, "wrapUpMs": eg.WrapUpMs, "botSummary": eg.BotSummary,
		"startedAt": eg.CreatedAt.UTC().Format(time.RFC3339),
	}
	if eg.EndedAt != nil {
		f["endedAt"] = eg.EndedAt.UTC().Format(time.RFC3339)
	}
	if eg.QueueID != 0 {
		q, err := w.queue(ctx, eg.QueueID)
		if err != nil {
			return postsession.Session{}, err
		}
		f["queueID"], f["queueName"] = q.ID, q.Name
	}
	if eg.CustomerID != 0 {
		c, err := w.Customer.Get(ctx, eg.CustomerID)
		if err != nil {
			return postsession.Session{}, err
		}
		f["customerID"], f["customerName"] = c.ID, c.Name
		if len(c.Phones) > 0 {
			f["customerPhone"] = c.Phones[0]
		}
		if len(c.Emails) > 0 {
			f["customerEmail"] = c.Emails[0]
		}
	}
	if eg.AgentID != nil {
		a, err := w.Agent.Get(ctx, *eg.AgentID)
		if err != nil {
			return postsession.Session{}, err
		}
		f["agentID"], f["agentName"] = a.ID, a.Name
	}
	return postsession.Session{Fields: f, FlowVariables: eg.FlowVariables}, nil
}

// set writes the hand-over into the engagement's update.
func (h *handover) set(m *ent.EngagementMutation) {
	m.SetVirtualAgentID(*h.setting.VirtualAgentID)
	m.SetPostSessionStatus(h.status)
	m.SetPostSessionDeadline(h.deadline)
	m.SetPostSessionParameters(h.params)
	m.SetPostSessionRecordIn(engagement.PostSessionRecordIn(h.setting.RecordIn))
}

// emitPostSession records a step of eg's post-session part; the customer
// and the virtual agent's stream hear it. The data parameters go only with
// the hand-over itself (WAITING), which the customer does not see: they
// are for the virtual agent.
func (w *writer) emitPostSession(ctx context.Context, eg *ent.Engagement, reason string) error {
	d := events.PostSessionChangedDetails{VirtualAgentID: deref(eg.VirtualAgentID), Status: deref(eg.PostSessionStatus),
		Channel: eg.Channel, SessionType: eg.SessionType, Reason: reason,
		Result: eg.PostSessionResult, Deadline: eg.PostSessionDeadline}
	if d.Status == engagement.PostSessionStatusWaiting {
		d.Parameters = eg.PostSessionParameters
		if d.Parameters == nil {
			d.Parameters = map[string]any{}
		}
	}
	return w.emit(ctx, events.Event{EngagementID: eg.ID, QueueID: eg.QueueID, Payload: d})
}

// stepPostSession changes the post-session status of eg, on the condition
// that it is still at the version it was read in.
func (w *writer) stepPostSession(ctx context.Context, eg *ent.Engagement, status engagement.PostSessionStatus, deadline time.Time) (*ent.Engagement, error) {
	n, err := w.Engagement.Update().Where(engagement.ID(eg.ID), engagement.Version(eg.Version), engagement.StateEQ(engagement.StatePostSession)).
		SetPostSessionStatus(status).SetPostSessionDeadline(deadline).AddVersion(1).Save(ctx)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, conflict("engagement %d changed meanwhile; reload it and retry", eg.ID)
	}
	next, err := w.Engagement.Get(ctx, eg.ID)
	if err != nil {
		return nil, err
	}
	return next, w.emitPostSession(ctx, next, "")
}

// finishPostSession closes eg's post-session part for reason with status;
// a virtual agent's result is stored on the engagement and in its record.
func (w *writer) finishPostSession(ctx context.Context, eg *ent.Engagement, reason string, status engagement.PostSessionStatus, result map[string]any) (*ent.Engagement, error) {
	next, err := w.move(ctx, eg, engagement.StateClosed, reason, func(m *ent.EngagementMutation) {
		m.SetClosedAt(w.now)
		m.SetPostSessionStatus(status)
		m.SetPostSessionReason(reason)
		m.ClearPostSessionDeadline()
		if result != nil {
			m.SetPostSessionResult(result)
		}
	})
	if err != nil {
		return nil, err
	}
	if err := w.emitPostSession(ctx, next, reason); err != nil {
		return nil, err
	}
	return next, w.recordPostSession(ctx, next)
}

// recordPostSession writes the post-session outcome into eg's CRM record:
// status, reason and result always; the data parameters when the setting
// records them in the CRM (P2).
func (w *writer) recordPostSession(ctx context.Context, eg *ent.Engagement) error {
	r, err := w.recordOf(ctx, eg)
	if r == nil || err != nil {
		return err
	}
	meta := map[string]any{}
	for k, v := range r.Metadata {
		meta[k] = v
	}
	ps := map[string]any{"engagementID": eg.ID, "status": string(deref(eg.PostSessionStatus)), "reason": eg.PostSessionReason}
	if eg.PostSessionResult != nil {
		ps["result"] = eg.PostSessionResult
	}
	if ri := deref(eg.PostSessionRecordIn); ri == engagement.PostSessionRecordInCRM || ri == engagement.PostSessionRecordInBoth {
		ps["parameters"] = eg.PostSessionParameters
	}
	meta["postSession"] = ps
	r, err = r.Update().SetMetadata(meta).AddVersion(1).SetUpdatedAt(w.now).Save(ctx)
	if err != nil {
		return err
	}
	return w.emitRecord(ctx, eg, r, actionUpdated, RulePostSessionResult)
}

// virtualAgentSession loads engagement id for the virtual agent the
// caller's API key is bound to, failing unless it was handed to it.
func (w *writer) virtualAgentSession(ctx context.Context, v *auth.Viewer, id int) (*ent.Engagement, error) {
	if !v.HasScope(enum.ScopeVirtualAgent) {
		return nil, apperr.New(apperr.Forbidden, "only virtual agents (API keys with scope VIRTUAL_AGENT) take post-session work")
	}
	key, err := w.APIKey.Get(ctx, v.APIKeyID)
	if err != nil {
		return nil, err
	}
	eg, err := w.Engagement.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if key.VirtualAgentID == nil || deref(eg.VirtualAgentID) != *key.VirtualAgentID {
		return nil, apperr.New(apperr.Forbidden, "engagement %d was not handed to this key's virtual agent", id).WithReason(ReasonNotYourSession)
	}
	if eg.State != engagement.StatePostSession {
		return nil, precondition(ReasonNotPostSession, "engagement %d is %s, not POST_SESSION", id, eg.State)
	}
	return eg, nil
}

// TakePostSession is a virtual agent taking a session handed to it: from
// now on it and the customer exchange messages on the engagement, until it
// ends the session (or the post-session limit passes).
func (e *Engine) TakePostSession(ctx context.Context, id int) (*ent.Engagement, error) {
	v := viewer(ctx)
	var out *ent.Engagement
	err := e.write(ctx, func(ctx context.Context, w *writer) error {
		eg, err := w.virtualAgentSession(ctx, v, id)
		if err != nil {
			return err
		}
		if deref(eg.PostSessionStatus) != engagement.PostSessionStatusWaiting {
			return precondition(ReasonNotPostSession, "engagement %d is %s, not WAITING for its virtual agent", id, deref(eg.PostSessionStatus))
		}
		out, err = w.stepPostSession(ctx, eg, engagement.PostSessionStatusTaken, w.now.Add(postsession.Limit))
		return err
	})
	return unwrapped(out, err)
}

// EndPostSession is a virtual agent ending a session it took, with its
// result (e.g. survey answers): the engagement closes.
func (e *Engine) EndPostSession(ctx context.Context, id int, result map[string]any) (*ent.Engagement, error) {
	v := viewer(ctx)
	var out *ent.Engagement
	err := e.write(ctx, func(ctx context.Context, w *writer) error {
		eg, err := w.virtualAgentSession(ctx, v, id)
		if err != nil {
			return err
		}
		if deref(eg.PostSessionStatus) != engagement.PostSessionStatusTaken {
			return precondition(ReasonNotPostSession, "engagement %d is %s; take it first", id, deref(eg.PostSessionStatus))
		}
		if result == nil {
			result = map[string]any{}
		}
		out, err = w.finishPostSession(ctx, eg, "POST_SESSION_COMPLETED", engagement.PostSessionStatusCompleted, result)
		return err
	})
	return unwrapped(out, err)
}

// AnswerPostSessionConsent is the customer's answer to whether its chat
// may go to the virtual agent: yes hands it over, no closes it.
func (e *Engine) AnswerPostSessionConsent(ctx context.Context, id int, accept bool) (*ent.Engagement, error) {
	v := viewer(ctx)
	if v.EngagementID != id && !v.HasScope(enum.ScopeEngagements) && !v.Staff() {
		return nil, apperr.New(apperr.Forbidden, "only the customer of engagement %d answers for it", id).WithReason(ReasonNotOwner)
	}
	var out *ent.Engagement
	err := e.write(ctx, func(ctx context.Context, w *writer) error {
		eg, err := w.Engagement.Get(ctx, id)
		if err != nil {
			return err
		}
		if eg.State != engagement.StatePostSession || deref(eg.PostSessionStatus) != engagement.PostSessionStatusAwaitingConsent {
			return precondition(ReasonNotPostSession, "engagement %d is not asking for consent", id)
		}
		if accept {
			out, err = w.stepPostSession(ctx, eg, engagement.PostSessionStatusWaiting, w.now.Add(postsession.TakeTimeout))
			return err
		}
		out, err = w.finishPostSession(ctx, eg, "CONSENT_REFUSED", engagement.PostSessionStatusConsentRefused, nil)
		return err
	})
	return unwrapped(out, err)
}

// expirePostSession closes a post-session part whose deadline passed:
// consent not given, the session not taken, or kept past the limit.
func (e *Engine) expirePostSession(ctx context.Context, id int) error {
	return e.write(ctx, func(ctx context.Context, w *writer) error {
		eg, err := w.Engagement.Get(ctx, id)
		if err != nil || eg.State != engagement.StatePostSession || eg.PostSessionDeadline == nil || eg.PostSessionDeadline.After(w.now) {
			return err
		}
		reason, status := "VIRTUAL_AGENT_TIMEOUT", engagement.PostSessionStatusTimedOut
		switch deref(eg.PostSessionStatus) {
		case engagement.PostSessionStatusAwaitingConsent:
			reason, status = "CONSENT_TIMED_OUT", engagement.PostSessionStatusConsentTimedOut
		case engagement.PostSessionStatusTaken:
			reason = "POST_SESSION_LIMIT"
		}
		_, err = w.finishPostSession(ctx, eg, reason, status, nil)
		return err
	})
}

// postMessageAsVirtualAgent stores a virtual agent's message on a session
// it took.
func (w *writer) postMessageAsVirtualAgent(ctx context.Context, v *auth.Viewer, id int, body string) (*ent.Message, error) {
	eg, err := w.virtualAgentSession(ctx, v, id)
	if err != nil {
		return nil, err
	}
	if deref(eg.PostSessionStatus) != engagement.PostSessionStatusTaken {
		return nil, precondition(ReasonNotPostSession, "take engagement %d before writing to the customer", id)
	}
	m, err := w.Message.Create().SetEngagementID(id).SetBody(body).SetSender("BOT").Save(ctx)
	if err != nil {
		return nil, err
	}
	return m, w.emit(ctx, events.Event{EngagementID: id,
		Payload: events.MessageRef(m.ID, m.Sender, m.Body, m.Subject)})
}
