package engine

import (
	"context"

	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/internal/events"
)

// connections returns how many live event streams an agent has open here.
func (e *Engine) connections(agentID int) int {
	e.presenceMu.Lock()
	defer e.presenceMu.Unlock()
	return e.presence[agentID]
}

// AgentConnected notes that an agent's event stream is open; a pending
// lost-connection logout is called off.
func (e *Engine) AgentConnected(ctx context.Context, agentID int) {
	e.presenceMu.Lock()
	e.presence[agentID]++
	first := e.presence[agentID] == 1 && !e.stopped
	if first {
		e.writes.Add(1)
		defer e.writes.Done()
	}
	e.presenceMu.Unlock()
	if !first {
		return
	}
	err := e.write(ctx, func(ctx context.Context, w *writer) error {
		return w.Agent.Update().Where(agent.ID(agentID), agent.DisconnectedAtNotNil()).ClearDisconnectedAt().Exec(ctx)
	})
	if err != nil {
		e.log.Error("record agent connection", "agent", agentID, "err", err)
	}
}

// AgentDisconnected notes that one of an agent's event streams closed; when
// none is left for longer than the grace period, the agent is logged out (E6).
func (e *Engine) AgentDisconnected(ctx context.Context, agentID int) {
	e.presenceMu.Lock()
	e.presence[agentID]--
	last := e.presence[agentID] <= 0
	if last {
		delete(e.presence, agentID)
	}
	last = last && !e.stopped
	if last {
		e.writes.Add(1)
		defer e.writes.Done()
	}
	e.presenceMu.Unlock()
	if !last {
		return
	}
	err := e.write(ctx, func(ctx context.Context, w *writer) error {
		n, err := w.Agent.Update().Where(agent.ID(agentID), agent.StateNEQ(agent.StateOffline)).
			SetDisconnectedAt(w.now).Save(ctx)
		if err != nil || n == 0 {
			return err
		}
		return w.emit(ctx, events.Event{AgentID: agentID,
			Payload: events.AgentDisconnectedDetails{GraceSeconds: int(e.grace.Seconds())}})
	})
	if err != nil {
		e.log.Error("record agent disconnection", "agent", agentID, "err", err)
	}
}
