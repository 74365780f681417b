package engine

import (
	"context"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/schema/enum"
)

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
