package engine

import (
	"context"
	"errors"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/queue"
	"github.com/switchboard/switchboard/internal/routing"
)

// errStaleView says a decision was refused before it wrote anything: the
// engagement or the agent is no longer what the dispatcher's view says.
var errStaleView = errors.New("the dispatcher's view is stale")

// decide makes one routing decision taken on the dispatcher's view, in w:
// the engagement (still QUEUED at version engVersion) rings the agent (still
// AVAILABLE at version agentVersion) in a MANUAL queue, or is assigned to it
// without a ring in an AUTO queue and for email and SMS (R6). It returns the
// ring, nil for an assignment. A stale view fails with errStaleView, before
// anything is written, so the transaction may go on with other decisions.
func (w *writer) decide(ctx context.Context, engID, engVersion, agentID, agentVersion int, q *routing.Queue) (*ent.Offer, error) {
	eg, err := w.Engagement.Get(ctx, engID)
	if err != nil {
		return nil, err
	}
	if eg.State != engagement.StateQueued || eg.Version != engVersion {
		return nil, errStaleView
	}
	n, err := w.Agent.Update().Where(agent.ID(agentID), agent.Version(agentVersion),
		agent.StateEQ(agent.StateAvailable), agent.Active(true)).AddVersion(1).Save(ctx)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errStaleView
	}
	if q.Mode == queue.AcceptModeAuto || !eg.Channel.Live() {
		next, err := w.connect(ctx, eg, agentID, "ASSIGNED")
		if err != nil {
			return nil, err
		}
		return nil, w.emitAssigned(ctx, next)
	}
	o, err := w.Offer.Create().SetEngagementID(engID).SetAgentID(agentID).SetCreatedAt(w.now).SetDeadline(w.now.Add(q.Ring)).Save(ctx)
	if err != nil {
		return nil, err
	}
	next, err := w.move(ctx, eg, engagement.StateOffered, "RINGING", nil)
	if err != nil {
		return nil, err
	}
	return o, w.emitOffer(ctx, o, next)
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
// period (E6): with no live stream on any instance (presence.go).
func (e *Engine) expireGrace(ctx context.Context, agentID int) error {
	if e.connections(agentID) > 0 {
		return nil
	}
	if elsewhere, err := e.connectedAnywhere(ctx, e.client.Presence, agentID); err != nil || elsewhere {
		return err
	}
	a, err := e.client.Agent.Get(ctx, agentID)
	if err != nil || a.DisconnectedAt == nil || a.State == agent.StateOffline || a.DisconnectedAt.Add(e.grace).After(e.clock.Now()) {
		return err
	}
	_, err = e.leave(ctx, agentID, ReasonConnectionLost, 0)
	return err
}
