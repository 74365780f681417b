package engine

import (
	"container/heap"
	"context"
	"errors"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/offer"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/lifecycle"
	"github.com/switchboard/switchboard/internal/routing"
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
	wake chan struct{}
	// reload asks for the configuration (queues, agents) to be read again.
	reload chan struct{}
	// syncs receives requests to settle (Sync).
	syncs chan chan struct{}

	// view is what routing decides on (internal/routing).
	view      *routing.View
	timers    timers
	scheduled map[timer]bool

	dirtyAgents, dirtyEngagements, dirtyQueues map[int]bool
	// own are the sequence numbers of events of the dispatcher's own
	// decisions not received yet: the view already holds their changes.
	own map[int]bool
}

// Start runs the dispatcher until Stop.
func (e *Engine) Start() {
	d := &dispatcher{
		e:    e,
		ctx:  urgent(acting(context.Background(), events.ActorDispatcher)),
		sub:  e.bus.Subscribe(events.Key{Kind: events.All}, 1<<16),
		stop: make(chan struct{}), done: make(chan struct{}), wake: make(chan struct{}, 1), reload: make(chan struct{}, 1),
		syncs: make(chan chan struct{}),
	}
	e.dispatcher = d
	go d.run()
}

// Stop stops the dispatcher and waits for it and for presence writes in
// flight; later presence changes are not recorded.
func (e *Engine) Stop() {
	e.presenceMu.Lock()
	e.stopped = true
	e.presenceMu.Unlock()
	e.writes.Wait()
	if d := e.dispatcher; d != nil {
		close(d.stop)
		<-d.done
		e.bus.Unsubscribe(d.sub)
		e.dispatcher = nil
	}
}

func (d *dispatcher) run() {
	defer close(d.done)
	d.rebuild()
	for {
		d.refresh()
		d.match()
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
		case <-d.reload:
			d.reloadConfig()
		case <-d.wake:
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
	d := e.dispatcher
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
		select {
		case <-d.reload:
			d.reloadConfig()
			busy = true
		default:
		}
		if len(d.timers) > 0 && !d.timers[0].at.After(d.e.clock.Now()) {
			d.fire()
			busy = true
		}
		d.refresh()
		d.match()
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
	c := d.e.client
	qs, err := c.Queue.Query().All(d.ctx)
	if err != nil {
		d.retry("load queues", err)
		return
	}
	for _, q := range qs {
		d.setQueue(q)
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
	}
	for id := range d.view.Agents {
		d.dirtyAgents[id] = true
	}
}

// ConfigChanged tells the dispatcher that queues, agents or capacity
// profiles were reconfigured.
func (e *Engine) ConfigChanged() {
	if d := e.dispatcher; d != nil {
		select {
		case d.reload <- struct{}{}:
		default:
		}
	}
}

// note marks what an event says changed.
func (d *dispatcher) note(ev *ent.Event) {
	if d.own[ev.ID] {
		delete(d.own, ev.ID)
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
		}
		if err != nil && !apperr.Is(err, apperr.Conflict) {
			d.e.log.Error("dispatcher: deadline", "kind", t.kind, "id", t.id, "err", err)
		}
	}
}

// A pass of the dispatcher commits its decisions in one transaction: with
// one transaction per decision, each waited its turn for SQLite's single
// writer behind the agents' own writes, and routing could not keep up with
// them (switchboard bench). The bounds keep a pass short enough that
// agents' writes do not wait long behind it.
const (
	maxPass    = 32
	passBudget = 2 * time.Millisecond
)

// match pairs waiting engagements with agents until no more pairs exist.
// After every pairing it starts again from the first line: the head of a
// line served before another comes before that other line's head, even if
// its own line has just been served (R2, R8).
func (d *dispatcher) match() {
	// A pairing the database refuses twice is skipped until the next round,
	// so a view that disagrees with the database cannot spin.
	refused := map[[2]int]int{}
	for {
		more, err := d.pass(refused)
		if err != nil {
			d.retry("decide", err)
			return
		}
		if !more {
			return
		}
	}
}

// pairing is one decision of a pass.
type pairing struct {
	it    *routing.Waiting
	a     *routing.Agent
	offer *ent.Offer
}

// pass makes the next decisions, in routing order, in one transaction, and
// reports whether it made or tried any. Each decision changes the view at
// once, so the next one sees it; when the transaction fails, what it
// changed is read again.
func (d *dispatcher) pass(refused map[[2]int]int) (bool, error) {
	if it, _ := d.next(refused); it == nil {
		return false, nil // nothing to decide: no transaction
	}
	var made []pairing
	var batch *events.Batch // its rows are there once committed
	tried := false
	err := d.e.write(d.ctx, func(ctx context.Context, w *writer) error {
		start := time.Now()
		for len(made) < maxPass && time.Since(start) < passBudget {
			it, a := d.next(refused)
			if it == nil {
				break
			}
			tried = true
			o, err := w.decide(ctx, it.ID, it.Version, a.ID, a.Version, d.view.Queues[it.QueueID])
			if errors.Is(err, errStaleView) {
				// Nothing was written: commit the others, then refresh
				// both and go on.
				refused[[2]int{it.ID, a.ID}]++
				d.dirtyAgents[a.ID] = true
				d.dirtyEngagements[it.ID] = true
				break
			}
			if err != nil {
				if apperr.Is(err, apperr.Conflict) || apperr.Is(err, apperr.PreconditionFailed) {
					refused[[2]int{it.ID, a.ID}]++
					d.dirtyAgents[a.ID] = true
					d.dirtyEngagements[it.ID] = true
				}
				return err
			}
			made = append(made, pairing{it, a, o})
			if d.view.Take(it, a, o != nil) {
				d.dirtyAgents[a.ID] = true
			}
		}
		batch = &w.batch
		return nil
	})
	if err != nil {
		for _, p := range made {
			d.dirtyAgents[p.a.ID] = true
			d.dirtyEngagements[p.it.ID] = true
		}
		d.refresh()
		if apperr.Is(err, apperr.Conflict) || apperr.Is(err, apperr.PreconditionFailed) {
			return true, nil // decided on a stale view: refreshed, go on
		}
		return false, err
	}
	// The view already holds what the decisions themselves did (take); what
	// else they changed on the way (the chats an interrupting call parked,
	// the chat ring it rescinded, which waits again) is read again like any
	// other change, so no engagement the dispatcher moved is lost to its
	// view.
	decided := make(map[int]int, len(made))
	for _, p := range made {
		decided[p.it.ID] = p.a.ID
	}
	for _, ev := range batch.Rows() {
		d.own[ev.ID] = true
		if !covered(ev, decided) {
			d.mark(ev)
		}
	}
	for _, p := range made {
		if p.offer != nil {
			d.schedule(timer{at: p.offer.Deadline, kind: timerOffer, id: p.offer.ID})
		}
	}
	d.refresh()
	return tried, nil
}

// covered reports whether ev is about one of the decisions of a pass
// (engagement → agent) and nothing else: take has brought it into the view.
func covered(ev *ent.Event, decided map[int]int) bool {
	if ev.EngagementID == nil {
		return false
	}
	agentID, ok := decided[*ev.EngagementID]
	return ok && (ev.AgentID == nil || *ev.AgentID == agentID)
}

// next is the first waiting engagement, in routing order, that an agent
// can take, and that agent, leaving out pairings refused twice this round.
func (d *dispatcher) next(refused map[[2]int]int) (*routing.Waiting, *routing.Agent) {
	return d.view.Next(func(eg, a int) bool { return refused[[2]int{eg, a}] >= 2 })
}
