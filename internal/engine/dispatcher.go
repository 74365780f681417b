package engine

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/offer"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/lifecycle"
	"github.com/switchboard/switchboard/internal/routing"
	"github.com/switchboard/switchboard/internal/store"
)

// retryAfter is how long the dispatcher waits after an unexpected error
// (e.g. the database is unreachable) before it tries again.
const retryAfter = time.Second

// dispatcher decides every pairing of an engagement with an agent. It is
// one goroutine; its view is rebuilt from the database at start and
// refreshed from the rows named by the events it receives.
type dispatcher struct {
	e    *Engine
	ctx  context.Context
	sub  *events.Subscriber
	stop chan struct{}
	done chan struct{}
	// syncs receives requests to settle (Sync).
	syncs chan chan struct{}

	// view is what routing decides on (internal/routing).
	view      *routing.View
	timers    timers
	scheduled map[timer]bool

	dirtyAgents, dirtyEngagements, dirtyQueues map[int]bool
	// positionQueues are queues whose waiting chats may have moved;
	// sentPositions what each waiting chat was last told (positions.go).
	positionQueues map[int]bool
	sentPositions  map[int]sentPosition
	positionsSent  map[int]time.Time
	// own are the sequence numbers of events of the dispatcher's own
	// decisions not received yet: the view already holds their changes.
	own map[int]bool
}

// Start runs the dispatcher until Stop: at once, or, with Config.Lead,
// whenever this instance leads.
// The leader also removes the presence rows of instances that stopped
// (presence.go); with Config.Lead every instance renews its own.
func (e *Engine) Start() {
	if e.lead == nil {
		d := e.startDispatcher(0)
		e.reapPresence(d.ctx, 0)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.stopLead = cancel
	e.leading.Go(func() { e.renewPresence(auth.SystemContext(ctx)) })
	e.leading.Go(func() {
		e.lead(ctx, func(ctx context.Context, epoch int64) {
			d := e.startDispatcher(epoch)
			var reaping sync.WaitGroup
			reaping.Go(func() { e.reapPresence(leaderContext(ctx, d.ctx), PresenceRenew) })
			<-ctx.Done()
			reaping.Wait()
			e.stopDispatcher(d)
		})
	})
}

// leaderContext is the dispatcher's context (its actor and fencing epoch)
// ending with ctx, the leadership.
func leaderContext(ctx, dispatcher context.Context) context.Context {
	out, cancel := context.WithCancel(dispatcher)
	context.AfterFunc(ctx, cancel)
	return out
}

// startDispatcher runs a dispatcher for a leadership epoch (0: unfenced).
// It rebuilds its view from the database first, as after any takeover.
func (e *Engine) startDispatcher(epoch int64) *dispatcher {
	ctx := store.Urgent(acting(context.Background(), events.ActorDispatcher))
	if epoch != 0 {
		ctx = context.WithValue(ctx, epochKey{}, epoch)
	}
	d := &dispatcher{
		e:    e,
		ctx:  ctx,
		sub:  e.bus.Subscribe(events.Key{Kind: events.All}, 1<<16),
		stop: make(chan struct{}), done: make(chan struct{}),
		syncs: make(chan chan struct{}),
	}
	e.dispatcher.Store(d)
	go d.run()
	return d
}

// stopDispatcher stops d and waits for it.
func (e *Engine) stopDispatcher(d *dispatcher) {
	e.dispatcher.CompareAndSwap(d, nil)
	close(d.stop)
	<-d.done
	e.bus.Unsubscribe(d.sub)
}

// Stop stops the dispatcher and waits for it and for presence writes in
// flight; later presence changes are not recorded.
func (e *Engine) Stop() {
	e.presenceMu.Lock()
	e.stopped = true
	e.presenceMu.Unlock()
	e.writes.Wait()
	if e.stopLead != nil {
		e.stopLead()
		e.leading.Wait()
		return
	}
	if d := e.dispatcher.Load(); d != nil {
		e.stopDispatcher(d)
	}
}

func (d *dispatcher) run() {
	defer close(d.done)
	d.rebuild()
	for {
		d.refresh()
		d.match()
		d.pushPositions()
		var alarm <-chan time.Time
		if len(d.timers) > 0 {
			alarm = d.e.clock.At(d.timers[0].at)
		}
		select {
		case <-d.stop:
			return
		case ev := <-d.sub.C:
			d.note(ev)
			for more := true; more; {
				select {
				case ev := <-d.sub.C:
					d.note(ev)
				default:
					more = false
				}
			}
		case <-d.sub.Dropped:
			// Fell behind the bus: start over from the database.
			d.e.log.Warn("dispatcher fell behind the event bus; rebuilding its view")
			d.sub = d.e.bus.Subscribe(events.Key{Kind: events.All}, 1<<16)
			d.rebuild()
		case <-alarm:
			d.fire()
		case done := <-d.syncs:
			d.settle()
			close(done)
		}
	}
}

// Sync waits until the dispatcher has taken in every event committed before
// the call, handled every deadline that has passed and made every pairing it
// can. Tests use it to see that nothing (more) happens; it returns at once
// when the dispatcher is not running.
func (e *Engine) Sync(ctx context.Context) error {
	d := e.dispatcher.Load()
	if d == nil {
		return nil
	}
	done := make(chan struct{})
	select {
	case d.syncs <- done:
	case <-d.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// settle works until no event is waiting and no deadline is due; the events
// of its own decisions are taken in too.
func (d *dispatcher) settle() {
	for {
		busy := false
		for more := true; more; {
			select {
			case ev := <-d.sub.C:
				d.note(ev)
				busy = true
			default:
				more = false
			}
		}
		if len(d.timers) > 0 && !d.timers[0].at.After(d.e.clock.Now()) {
			d.fire()
			busy = true
		}
		d.refresh()
		d.match()
		d.pushPositions()
		if !busy && len(d.sub.C) == 0 {
			return
		}
	}
}

// rebuild loads the whole view from the database.
func (d *dispatcher) rebuild() {
	d.view = routing.NewView(d.e.mediaPriority)
	d.timers, d.scheduled = nil, map[timer]bool{}
	d.dirtyAgents, d.dirtyEngagements, d.dirtyQueues = map[int]bool{}, map[int]bool{}, map[int]bool{}
	d.own = map[int]bool{}
	d.positionQueues, d.sentPositions, d.positionsSent = map[int]bool{}, map[int]sentPosition{}, map[int]time.Time{}
	c := d.e.client
	qs, err := c.Queue.Query().All(d.ctx)
	if err != nil {
		d.retry("load queues", err)
		return
	}
	for _, q := range qs {
		d.setQueue(q)
		d.positionQueues[q.ID] = true
	}
	ids, err := c.Agent.Query().Where(agent.Or(agent.StateNEQ(agent.StateOffline),
		agent.HasEngagementsWith(engagement.StateIn(lifecycle.WithAgent...)),
		agent.HasOffersWith(offer.StateEQ(offer.StatePending)))).IDs(d.ctx)
	if err != nil {
		d.retry("load agents", err)
		return
	}
	for _, id := range ids {
		d.dirtyAgents[id] = true
	}
	engs, err := c.Engagement.Query().Where(engagement.StateIn(lifecycle.Routed...)).IDs(d.ctx)
	if err != nil {
		d.retry("load engagements", err)
		return
	}
	for _, id := range engs {
		d.dirtyEngagements[id] = true
	}
}

// reloadConfig marks every queue and agent in the view to be read again.
func (d *dispatcher) reloadConfig() {
	for id := range d.view.Queues {
		d.dirtyQueues[id] = true
		d.positionQueues[id] = true
	}
	for id := range d.view.Agents {
		d.dirtyAgents[id] = true
	}
}

// note marks what an event says changed.
func (d *dispatcher) note(ev *ent.Event) {
	if silentTopics[ev.Topic] {
		return
	}
	d.markPositions(ev)
	if d.own[ev.ID] {
		delete(d.own, ev.ID)
		return
	}
	if ev.Topic == events.ConfigChanged {
		d.reloadConfig()
		return
	}
	d.mark(ev)
}

// mark marks the agent, engagement and unknown queue an event names as
// dirty, to be read again.
func (d *dispatcher) mark(ev *ent.Event) {
	if ev.AgentID != nil {
		d.dirtyAgents[*ev.AgentID] = true
	}
	if ev.EngagementID != nil {
		d.dirtyEngagements[*ev.EngagementID] = true
	}
	if ev.QueueID != nil && d.view.Queues[*ev.QueueID] == nil {
		d.dirtyQueues[*ev.QueueID] = true
	}
}

// refresh reloads what is dirty, many rows per query (reload.go).
func (d *dispatcher) refresh() {
	for id := range d.dirtyQueues {
		if q, err := d.e.client.Queue.Get(d.ctx, id); err == nil {
			d.setQueue(q)
		}
		delete(d.dirtyQueues, id)
	}
	if err := loadIn(d.dirtyEngagements, d.loadEngagements); err != nil {
		d.retry("load engagements", err)
		return
	}
	if err := loadIn(d.dirtyAgents, d.loadAgents); err != nil {
		d.retry("load agents", err)
	}
}

func (d *dispatcher) setQueue(q *ent.Queue) {
	v, _ := d.view.Queue(q.ID)
	v.Mode, v.Ring, v.Priority, v.Active = q.AcceptMode, time.Duration(q.RingTimeoutSeconds)*time.Second, q.Priority, q.Active
}

func (d *dispatcher) schedule(t timer) {
	if !d.scheduled[t] {
		d.scheduled[t] = true
		heap.Push(&d.timers, t)
	}
}

func (d *dispatcher) retry(what string, err error) {
	d.e.log.Error("dispatcher: "+what, "err", err)
	d.schedule(timer{at: d.e.clock.Now().Add(retryAfter), kind: timerRetry})
}

// fire handles every deadline that has passed.
func (d *dispatcher) fire() {
	now := d.e.clock.Now()
	for len(d.timers) > 0 && !d.timers[0].at.After(now) {
		t := heap.Pop(&d.timers).(timer)
		delete(d.scheduled, t)
		var err error
		switch t.kind {
		case timerOffer:
			err = d.e.expireOffer(acting(d.ctx, events.ActorRingTimeout), t.id)
		case timerWrapUp:
			err = d.e.expireWrapUp(acting(d.ctx, events.ActorWrapUpLimit), t.id)
		case timerGrace:
			err = d.e.expireGrace(acting(d.ctx, events.ActorDisconnectGrace), t.id)
		case timerPostSession:
			err = d.e.expirePostSession(acting(d.ctx, events.ActorPostSessionDeadline), t.id)
		case timerRetry:
			d.rebuild()
		case timerPositions:
			// The queue is still marked: pushPositions, after this, sends.
		}
		if err != nil && !apperr.Is(err, apperr.Conflict) {
			d.e.log.Error("dispatcher: deadline", "kind", t.kind, "id", t.id, "err", err)
		}
	}
}

// Leading reports whether this instance runs the dispatcher now.
func (e *Engine) Leading() bool { return e.dispatcher.Load() != nil }
