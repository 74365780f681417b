// Package engine is the routing engine and the engagement lifecycle: the
// dispatcher that pairs engagements with agents, and the agent and
// integration actions that move engagements through their states.
//
// Every action is one write transaction whose updates are conditional on the
// state (and version) it read; events are appended in the same transaction
// and published after the commit. The dispatcher is a single goroutine that
// keeps an in-memory view, rebuilt from the database at start and refreshed
// from the events it receives.
package engine

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/event"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/clock"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/store"
)

// Config is what the engine needs.
type Config struct {
	Client *ent.Client
	Bus    *events.Bus
	// Writer runs the engine's write transactions.
	Writer *store.Writer
	Clock  clock.Clock
	Log    *slog.Logger
	// MissedRingsLimit sets an agent NOT_READY (reason MISSED) after this
	// many rings in a row time out; 0 disables it.
	MissedRingsLimit int
	// DisconnectGrace is how long an agent may be without any live
	// connection before it is logged out (E6).
	DisconnectGrace time.Duration
	// MediaPriority orders channels when engagements of several channels
	// compete for agents (R2); earlier is served first.
	MediaPriority []enum.Channel
	// Messaging configures SMS and email conversations (outbound.go).
	Messaging Messaging
	// Lead, when set, runs its function while this instance leads the
	// dispatcher (several instances on PostgreSQL: store.Lead); the
	// dispatcher runs only then, and its writes are fenced by the epoch.
	// Without it this instance always leads.
	Lead func(ctx context.Context, lead func(ctx context.Context, epoch int64))
}

// Engine runs the lifecycle.
type Engine struct {
	client *ent.Client
	bus    *events.Bus
	store  *store.Writer
	clock  clock.Clock
	log    *slog.Logger
	missed int
	grace  time.Duration
	// mediaPriority orders channels competing for agents (R2).
	mediaPriority []enum.Channel
	messaging     Messaging
	// config is the configuration cache of the write transactions.
	config *configCache

	presenceMu sync.Mutex
	presence   map[int]int
	// instance names this instance's presence rows; presenceOrder orders
	// each agent's presence writes (presence.go).
	instance      string
	presenceOrder [presenceStripes]sync.Mutex
	// stopped and writes let Stop wait for presence writes, which run on
	// subscription goroutines that may outlive the dispatcher.
	stopped bool
	writes  sync.WaitGroup

	lead       func(ctx context.Context, lead func(ctx context.Context, epoch int64))
	dispatcher atomic.Pointer[dispatcher]
	stopLead   context.CancelFunc
	leading    sync.WaitGroup
}

// New returns an engine; Start runs its dispatcher.
func New(cfg Config) *Engine {
	if cfg.DisconnectGrace == 0 {
		cfg.DisconnectGrace = 60 * time.Second
	}
	e := &Engine{
		client: cfg.Client, bus: cfg.Bus, store: cfg.Writer, lead: cfg.Lead, clock: cfg.Clock, log: cfg.Log,
		missed: cfg.MissedRingsLimit, grace: cfg.DisconnectGrace, mediaPriority: cfg.MediaPriority,
		presence: map[int]int{}, messaging: cfg.Messaging, instance: newInstanceID(), config: newConfigCache(),
	}
	if cfg.Bus != nil {
		cfg.Bus.Watch(events.ConfigChanged, func(*ent.Event) { e.config.drop() })
	}
	return e
}

// writer is one write transaction of the engine (store.Tx), its actor for
// the event log and its time by the engine's clock.
type writer struct {
	*store.Tx
	actor events.Actor
	now   time.Time
	// config caches the configuration the transaction reads (config.go).
	config *configCache
}

// emit appends an event, attributed to the writer's actor.
func (w *writer) emit(ctx context.Context, e events.Event) error {
	e.Actor = w.actor
	e.At = w.now
	w.Emit(e)
	return nil
}

// epochKey marks the dispatcher's context with its leadership epoch: its
// writes are fenced by it (store.Fence).
type epochKey struct{}

// acting returns ctx for work the system does on its own, for reason (an
// events.Actor... constant): its events name the system and the reason.
func acting(ctx context.Context, reason string) context.Context {
	return auth.Acting(auth.SystemContext(ctx), reason)
}

// write runs fn in a write transaction (store.Writer): detached from
// request cancellation, its events published after the commit. The context
// fn gets sees every row.
func (e *Engine) write(ctx context.Context, fn func(ctx context.Context, w *writer) error) error {
	actor := auth.Actor(ctx)
	customerEngagement := 0
	if actor.Kind == event.ActorKindCUSTOMER {
		customerEngagement = auth.FromContext(ctx).EngagementID
	}
	epoch, _ := ctx.Value(epochKey{}).(int64)
	return e.store.Do(auth.SystemContext(ctx), func(ctx context.Context, tx *store.Tx) error {
		if epoch != 0 {
			if err := store.Fence(ctx, tx, epoch); err != nil {
				return err
			}
		}
		w := &writer{Tx: tx, actor: actor, now: e.clock.Now(), config: e.config}
		if customerEngagement != 0 {
			eg, err := tx.Engagement.Get(ctx, customerEngagement)
			if err != nil {
				return err
			}
			w.actor.CustomerID = eg.CustomerID
		}
		return fn(ctx, w)
	})
}

// viewer returns the caller, who must be an agent.
func viewer(ctx context.Context) *auth.Viewer { return auth.FromContext(ctx) }

// unwrapped detaches an entity written in a transaction from it, so that
// edges resolved after the commit (a mutation payload's nested fields) load
// through the client.
func unwrapped[T any](v T, err error) (T, error) {
	if err != nil {
		return v, err
	}
	return store.Unwrap(v), nil
}
