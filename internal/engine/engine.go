// Package engine is the routing engine and the engagement lifecycle: the
// dispatcher that pairs engagements with agents, and the agent and
// integration actions that move engagements through their states.
package engine

import (
	"context"
	"log/slog"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/clock"
	"github.com/switchboard/switchboard/internal/events"
)

// Config is what the engine needs.
type Config struct {
	Client *ent.Client
	Bus    *events.Bus
	Clock  clock.Clock
	Log    *slog.Logger
}

// Engine runs the lifecycle.
type Engine struct {
	client *ent.Client
	bus    *events.Bus
	clock  clock.Clock
	log    *slog.Logger
}

// New returns an engine; Start runs its dispatcher.
func New(cfg Config) *Engine {
	return &Engine{client: cfg.Client, bus: cfg.Bus, clock: cfg.Clock, log: cfg.Log}
}

// AgentConnected notes that an agent's event stream is open (a live
// connection); the grace period of a lost connection is cancelled.
func (e *Engine) AgentConnected(ctx context.Context, agentID int) {}

// AgentDisconnected notes that one of the agent's event streams closed; when
// none is left for longer than the grace period, the agent is logged out (E6).
func (e *Engine) AgentDisconnected(ctx context.Context, agentID int) {}
