package engine

import (
	"context"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/lifecycle"
)

// move changes an engagement's state, on the condition that the state
// machine allows it (docs/rules.md E1) and that it is still in the state and
// version eg was read in (CONFLICT otherwise), applies set to the same
// update, records the transition and returns the new row.
func (w *writer) move(ctx context.Context, eg *ent.Engagement, to engagement.State, reason string, set func(m *ent.EngagementMutation)) (*ent.Engagement, error) {
	if err := lifecycle.Check(eg.State, to, reason); err != nil {
		// The actions check their preconditions first, with clearer words:
		// reaching this is a bug in the engine, refused all the same.
		return nil, illegal("engagement %d: %v", eg.ID, err)
	}
	u := w.Engagement.Update().
		Where(engagement.ID(eg.ID), engagement.Version(eg.Version), engagement.StateEQ(eg.State)).
		SetState(to).AddVersion(1)
	if set != nil {
		set(u.Mutation())
	}
	n, err := u.Save(ctx)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, conflict("engagement %d changed meanwhile; reload it and retry", eg.ID)
	}
	next, err := w.reread(ctx, eg, u.Mutation())
	if err != nil {
		return nil, err
	}
	// The agent who had it hears that it left; the one who has it now hears
	// the new state.
	agentID := deref(next.AgentID)
	if agentID == 0 {
		agentID = deref(eg.AgentID)
	}
	return next, w.emit(ctx, events.Event{EngagementID: eg.ID, AgentID: agentID, QueueID: next.QueueID,
		Payload: events.EngagementStateChangedDetails{From: eg.State, To: to, Channel: eg.Channel, Reason: reason}})
}

// reread returns the engagement eg as the conditional update m just made
// left it: applied in memory on SQLite (the re-read was a ninth of the
// statements of a lifecycle on the one writer: switchboard bench), read
// back on PostgreSQL, whose timestamps keep microseconds only.
func (w *writer) reread(ctx context.Context, eg *ent.Engagement, m *ent.EngagementMutation) (*ent.Engagement, error) {
	if w.SingleWriter() {
		if next, ok := applied(eg, m); ok {
			return next, nil
		}
	}
	return w.Engagement.Get(ctx, eg.ID)
}

// stopTimer adds the running handle or wrap-up time of eg to its totals.
func (w *writer) stopTimer(eg *ent.Engagement, m *ent.EngagementMutation) {
	if eg.TimerStartedAt == nil {
		return
	}
	elapsed := w.now.Sub(*eg.TimerStartedAt).Milliseconds()
	switch eg.State {
	case engagement.StateWrapUp:
		m.AddWrapUpMs(elapsed)
	case engagement.StateConnected, engagement.StateTransferring:
		m.AddHandleMs(elapsed)
	}
	m.ClearTimerStartedAt()
}

// restartTimer stops the running timer of eg (adding its time to its
// totals) and starts it again from now. The update then sets
// timer_started_at once: PostgreSQL refuses an UPDATE that clears and sets
// the same column.
func (w *writer) restartTimer(eg *ent.Engagement, m *ent.EngagementMutation) {
	w.stopTimer(eg, m)
	m.ResetTimerStartedAt()
	m.SetTimerStartedAt(w.now)
}

// wrapUpDeadline is when the wrap-up of eg must end, given the wrap-up time
// it already spent; nil without a limit.
func (w *writer) wrapUpDeadline(ctx context.Context, eg *ent.Engagement) (*time.Time, error) {
	if eg.QueueID == 0 {
		return nil, nil
	}
	q, err := w.queue(ctx, eg.QueueID)
	if err != nil || q.WrapUpLimitSeconds == 0 {
		return nil, err
	}
	left := time.Duration(q.WrapUpLimitSeconds)*time.Second - time.Duration(eg.WrapUpMs)*time.Millisecond
	at := w.now.Add(max(left, 0))
	return &at, nil
}

// touchAgent bumps an agent's version, on the condition that it is still
// at version (when version >= 0): every change of what an agent holds does
// this, so a routing decision taken on a stale view of the agent fails.
func (w *writer) touchAgent(ctx context.Context, agentID, version int, set func(m *ent.AgentMutation)) error {
	u := w.Agent.Update().Where(agent.ID(agentID)).AddVersion(1)
	if version >= 0 {
		u.Where(agent.Version(version))
	}
	if set != nil {
		set(u.Mutation())
	}
	n, err := u.Save(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return conflict("agent %d changed meanwhile; retry", agentID)
	}
	return nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
