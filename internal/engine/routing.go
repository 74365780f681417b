package engine

import (
	"context"

	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/queue"
)

// decide commits one routing decision taken on the dispatcher's view: the
// engagement (still QUEUED at version engVersion) rings the agent (still
// AVAILABLE at version agentVersion) in a MANUAL queue, or is assigned to it
// without a ring in an AUTO queue and for email and SMS (R6). A stale view
// fails with CONFLICT.
func (e *Engine) decide(ctx context.Context, engID, engVersion, agentID, agentVersion int, q *queueView) error {
	return e.write(ctx, func(ctx context.Context, w *writer) error {
		eg, err := w.Engagement.Get(ctx, engID)
		if err != nil {
			return err
		}
		if eg.State != engagement.StateQueued || eg.Version != engVersion {
			return conflict("engagement %d changed", engID)
		}
		n, err := w.Agent.Update().Where(agent.ID(agentID), agent.Version(agentVersion),
			agent.StateEQ(agent.StateAvailable), agent.Active(true)).AddVersion(1).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return conflict("agent %d changed", agentID)
		}
		if q.mode == queue.AcceptModeAuto || !eg.Channel.Live() {
			next, err := w.connect(ctx, eg, agentID, "ASSIGNED")
			if err != nil {
				return err
			}
			return w.emitAssigned(ctx, next)
		}
		o, err := w.Offer.Create().SetEngagementID(engID).SetAgentID(agentID).SetCreatedAt(w.now).SetDeadline(w.now.Add(q.ring)).Save(ctx)
		if err != nil {
			return err
		}
		next, err := w.move(ctx, eg, engagement.StateOffered, "RINGING", nil)
		if err != nil {
			return err
		}
		return w.emitOffer(ctx, o, next)
	})
}

// expireWrapUp completes a wrap-up that reached its queue's limit.
func (e *Engine) expireWrapUp(ctx context.Context, id int) error {
	return e.write(ctx, func(ctx context.Context, w *writer) error {
		eg, err := w.Engagement.Get(ctx, id)
		if err != nil || eg.State != engagement.StateWrapUp || eg.WrapUpDeadline == nil || eg.WrapUpDeadline.After(w.now) {
			return err
		}
		_, err = w.close(ctx, eg, "WRAP_UP_LIMIT", nil)
		return err
	})
}

// expireGrace logs out an agent whose connection stayed lost for the grace
// period (E6).
func (e *Engine) expireGrace(ctx context.Context, agentID int) error {
	if e.connections(agentID) > 0 {
		return nil
	}
	a, err := e.client.Agent.Get(ctx, agentID)
	if err != nil || a.DisconnectedAt == nil || a.State == agent.StateOffline || a.DisconnectedAt.Add(e.grace).After(e.clock.Now()) {
		return err
	}
	_, err = e.logout(ctx, agentID, "CONNECTION_LOST")
	return err
}
