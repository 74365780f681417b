package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/presence"
	"github.com/switchboard/switchboard/internal/events"
)

// An agent counts as connected while it has an event stream open on any
// instance (E6). Each instance keeps the count of its own streams in
// memory and a presence row per agent it has streams for in the database;
// on PostgreSQL it renews the rows' renewed_at every PresenceRenew, and the
// dispatcher's leader removes the rows of an instance that stopped renewing
// them for PresenceLease (it died), so its agents' grace starts. Rows of
// this instance always count. Lease times are wall-clock time: they
// measure processes, not the contact center's clock.
const (
	// PresenceRenew is how often an instance renews its presence rows.
	PresenceRenew = 2 * time.Second
	// PresenceLease is how long presence rows count after their last
	// renewal.
	PresenceLease = 10 * time.Second
)

// presenceStripes spreads agents over locks that order each agent's
// presence writes on this instance.
const presenceStripes = 64

// newInstanceID names this instance in its presence rows.
func newInstanceID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

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
	if first {
		e.recordPresence(ctx, agentID)
	}
}

// AgentDisconnected notes that one of an agent's event streams closed; when
// none is left on any instance for longer than the grace period, the agent
// is logged out (E6).
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
	if last {
		e.recordPresence(ctx, agentID)
	}
}

// recordPresence makes the database say what this instance knows of an
// agent's streams now: its row and a cleared disconnected_at while it has
// any, else no row and, unless another instance has the agent, the start of
// the grace. Each agent's writes take turns, so they land in order.
func (e *Engine) recordPresence(ctx context.Context, agentID int) {
	mu := &e.presenceOrder[agentID%presenceStripes]
	mu.Lock()
	defer mu.Unlock()
	open := e.connections(agentID) > 0
	err := e.write(ctx, func(ctx context.Context, w *writer) error {
		if err := e.lockAgent(ctx, w, agentID); err != nil {
			return err
		}
		if open {
			err := w.Presence.Create().SetInstance(e.instance).SetAgentID(agentID).SetRenewedAt(time.Now()).
				OnConflictColumns(presence.FieldInstance, presence.FieldAgentID).UpdateRenewedAt().Exec(ctx)
			if err != nil {
				return err
			}
			return w.Agent.Update().Where(agent.ID(agentID), agent.DisconnectedAtNotNil()).ClearDisconnectedAt().Exec(ctx)
		}
		if _, err := w.Presence.Delete().Where(presence.Instance(e.instance), presence.AgentID(agentID)).Exec(ctx); err != nil {
			return err
		}
		return e.startGrace(ctx, w, agentID)
	})
	if err != nil {
		e.log.Error("record agent presence", "agent", agentID, "connected", open, "err", err)
	}
}

// lockAgent holds the agent's row until the transaction ends, so that
// instances changing its presence at once take turns (PostgreSQL; SQLite
// has one writer).
func (e *Engine) lockAgent(ctx context.Context, w *writer, agentID int) error {
	if e.lead == nil {
		return nil
	}
	_, err := w.Agent.Query().Where(agent.ID(agentID)).ForUpdate().IDs(ctx)
	return err
}

// startGrace records that an agent has lost its last stream, unless a live
// presence row says it is connected somewhere: the dispatcher logs it out
// when the grace is over (expireGrace).
func (e *Engine) startGrace(ctx context.Context, w *writer, agentID int) error {
	if on, err := e.connectedAnywhere(ctx, w.Presence, agentID); err != nil || on {
		return err
	}
	n, err := w.Agent.Update().Where(agent.ID(agentID), agent.StateNEQ(agent.StateOffline)).
		SetDisconnectedAt(w.now).Save(ctx)
	if err != nil || n == 0 {
		return err
	}
	return w.emit(ctx, events.Event{AgentID: agentID,
		Payload: events.AgentDisconnectedDetails{GraceSeconds: int(e.grace.Seconds())}})
}

// connectedAnywhere reports whether a live presence row names the agent:
// one of this instance, or one renewed within the lease.
func (e *Engine) connectedAnywhere(ctx context.Context, c *ent.PresenceClient, agentID int) (bool, error) {
	return c.Query().Where(presence.AgentID(agentID),
		presence.Or(presence.Instance(e.instance), presence.RenewedAtGT(time.Now().Add(-PresenceLease)))).Exist(ctx)
}

// renewPresence renews this instance's presence rows every PresenceRenew
// until ctx ends (several instances).
func (e *Engine) renewPresence(ctx context.Context) {
	t := time.NewTicker(PresenceRenew)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := e.write(ctx, func(ctx context.Context, w *writer) error {
			return w.Presence.Update().Where(presence.Instance(e.instance)).SetRenewedAt(time.Now()).Exec(ctx)
		})
		if err != nil && ctx.Err() == nil {
			e.log.Warn("renew agent presence", "err", err)
		}
	}
}

// reapPresence runs on the leader while it leads: it removes the presence
// rows of other instances, at once when only one instance can run (SQLite:
// they are a previous run's), else once they are older than the lease, and
// starts the grace of the agents they leave without a live stream.
func (e *Engine) reapPresence(ctx context.Context, every time.Duration) {
	for {
		if err := e.reapOnce(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("remove the presence of stopped instances", "err", err)
		}
		if every == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

func (e *Engine) reapOnce(ctx context.Context) error {
	ctx = acting(ctx, events.ActorDisconnectGrace)
	return e.write(ctx, func(ctx context.Context, w *writer) error {
		q := w.Presence.Query().Where(presence.InstanceNEQ(e.instance))
		if e.lead != nil {
			q = q.Where(presence.RenewedAtLT(time.Now().Add(-PresenceLease)))
		}
		stale, err := q.All(ctx)
		if err != nil || len(stale) == 0 {
			return err
		}
		ids := make([]int, len(stale))
		agents := map[int]bool{}
		for i, p := range stale {
			ids[i] = p.ID
			agents[p.AgentID] = true
		}
		if _, err := w.Presence.Delete().Where(presence.IDIn(ids...)).Exec(ctx); err != nil {
			return err
		}
		for id := range agents {
			if err := e.lockAgent(ctx, w, id); err != nil {
				return err
			}
			if err := e.startGrace(ctx, w, id); err != nil {
				return err
			}
		}
		return nil
	})
}
