package engine

import (
	"container/heap"
	"context"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/offer"
	"github.com/switchboard/switchboard/ent/queue"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/events"
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

	agents    map[int]*agentView
	queues    map[int]*queueView
	waiting   map[int]*waitItem
	lines     map[lineKey]*line
	order     lineOrder
	timers    timers
	scheduled map[timer]bool

	dirtyAgents, dirtyEngagements, dirtyQueues map[int]bool
}

// Start runs the dispatcher until Stop.
func (e *Engine) Start() {
	d := &dispatcher{
		e:    e,
		ctx:  auth.SystemContext(context.Background()),
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
	d.agents, d.queues, d.waiting = map[int]*agentView{}, map[int]*queueView{}, map[int]*waitItem{}
	d.lines, d.order, d.timers, d.scheduled = map[lineKey]*line{}, nil, nil, map[timer]bool{}
	d.dirtyAgents, d.dirtyEngagements, d.dirtyQueues = map[int]bool{}, map[int]bool{}, map[int]bool{}
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
		agent.HasEngagementsWith(engagement.StateIn(openStates...)),
		agent.HasOffersWith(offer.StateEQ(offer.StatePending)))).IDs(d.ctx)
	if err != nil {
		d.retry("load agents", err)
		return
	}
	for _, id := range ids {
		d.dirtyAgents[id] = true
	}
	engs, err := c.Engagement.Query().Where(engagement.StateIn(engagement.StateQueued, engagement.StateOffered, engagement.StateTransferring, engagement.StateWrapUp)).IDs(d.ctx)
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
	for id := range d.queues {
		d.dirtyQueues[id] = true
	}
	for id := range d.agents {
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
	if ev.AgentID != nil {
		d.dirtyAgents[*ev.AgentID] = true
	}
	if ev.EngagementID != nil {
		d.dirtyEngagements[*ev.EngagementID] = true
	}
	if ev.QueueID != nil && d.queues[*ev.QueueID] == nil {
		d.dirtyQueues[*ev.QueueID] = true
	}
}

// refresh reloads what is dirty.
func (d *dispatcher) refresh() {
	for id := range d.dirtyQueues {
		if q, err := d.e.client.Queue.Get(d.ctx, id); err == nil {
			d.setQueue(q)
		}
		delete(d.dirtyQueues, id)
	}
	for id := range d.dirtyEngagements {
		if err := d.loadEngagement(id); err != nil {
			d.retry("load engagement", err)
			return
		}
		delete(d.dirtyEngagements, id)
	}
	for id := range d.dirtyAgents {
		if err := d.loadAgent(id); err != nil {
			d.retry("load agent", err)
			return
		}
		delete(d.dirtyAgents, id)
	}
}

func (d *dispatcher) setQueue(q *ent.Queue) {
	v := d.queues[q.ID]
	if v == nil {
		v = &queueView{id: q.ID}
		d.queues[q.ID] = v
	}
	v.mode, v.ring, v.priority, v.active = q.AcceptMode, time.Duration(q.RingTimeoutSeconds)*time.Second, q.Priority, q.Active
}

// loadEngagement refreshes one engagement: waiting ones join their line,
// others leave it; deadlines are scheduled.
func (d *dispatcher) loadEngagement(id int) error {
	eg, err := d.e.client.Engagement.Get(d.ctx, id)
	if ent.IsNotFound(err) {
		d.unqueue(id)
		return nil
	}
	if err != nil {
		return err
	}
	switch eg.State {
	case engagement.StateQueued:
		return d.enqueue(eg)
	case engagement.StateOffered, engagement.StateTransferring:
		d.unqueue(id)
		o, err := d.e.client.Offer.Query().Where(offer.EngagementID(id), offer.StateEQ(offer.StatePending)).Only(d.ctx)
		if err == nil {
			d.schedule(timer{at: o.Deadline, kind: timerOffer, id: o.ID})
		} else if !ent.IsNotFound(err) {
			return err
		}
	case engagement.StateWrapUp:
		d.unqueue(id)
		if eg.WrapUpDeadline != nil {
			d.schedule(timer{at: *eg.WrapUpDeadline, kind: timerWrapUp, id: id})
		}
	default:
		d.unqueue(id)
	}
	return nil
}

func (d *dispatcher) enqueue(eg *ent.Engagement) error {
	if d.queues[eg.QueueID] == nil {
		q, err := d.e.client.Queue.Get(d.ctx, eg.QueueID)
		if err != nil {
			return err
		}
		d.setQueue(q)
	}
	// Offers carry the engine's clock in created_at, like queued_at.
	tried := map[int]bool{}
	since := deref(eg.QueuedAt)
	missed, err := d.e.client.Offer.Query().Where(offer.EngagementID(eg.ID), offer.TransferIDIsNil(),
		offer.StateIn(offer.StateDeclined, offer.StateTimedOut), offer.CreatedAtGTE(since)).
		Select(offer.FieldAgentID).All(d.ctx)
	if err != nil {
		return err
	}
	for _, o := range missed {
		tried[o.AgentID] = true
	}
	if eg.ReleasedByID != nil {
		tried[*eg.ReleasedByID] = true
	}
	d.unqueue(eg.ID)
	d.push(&waitItem{id: eg.ID, version: eg.Version, queueID: eg.QueueID, channel: eg.Channel, priority: eg.Priority,
		front: eg.FrontOfQueue, queuedAt: since, tried: tried, index: -1})
	return nil
}

// push adds a waiting engagement to its line.
func (d *dispatcher) push(it *waitItem) {
	key := lineKey{it.queueID, it.channel}
	l := d.lines[key]
	if l == nil {
		l = &line{key: key, rank: d.e.mediaRank[it.channel.Index()], pos: -1}
		d.lines[key] = l
	}
	var head *waitItem
	if l.Len() > 0 {
		head = l.head()
	}
	l.add(it)
	if l.head() != head {
		d.order.fix(l)
	}
	d.waiting[it.id] = it
}

// unqueue takes an engagement out of its line.
func (d *dispatcher) unqueue(id int) {
	it := d.waiting[id]
	if it == nil {
		return
	}
	l := it.line
	wasHead := l.head() == it
	l.remove(it)
	if wasHead {
		d.order.fix(l)
	}
	if l.Len() == 0 {
		delete(d.lines, l.key)
	}
	delete(d.waiting, id)
}

// loadAgent refreshes one agent: state, capacity, memberships, load.
func (d *dispatcher) loadAgent(id int) error {
	a, err := d.e.client.Agent.Query().Where(agent.ID(id)).WithCapacityProfile().
		WithQueues(func(q *ent.QueueQuery) { q.Select(queue.FieldID) }).Only(d.ctx)
	if ent.IsNotFound(err) {
		d.dropAgent(id)
		return nil
	}
	if err != nil {
		return err
	}
	l, err := loadOf(d.ctx, d.e.client, id)
	if err != nil {
		return err
	}
	d.dropAgent(id)
	if a.State == agent.StateOffline && !l.live && l.held == (perChannel{}) {
		return nil
	}
	v := &agentView{id: id, version: a.Version, name: a.Name, state: a.State, active: a.Active,
		idleSince: a.IdleSince, caps: capacity(a.Edges.CapacityProfile), load: l}
	for _, q := range a.Edges.Queues {
		v.queues = append(v.queues, q.ID)
		qv := d.queues[q.ID]
		if qv == nil {
			d.dirtyQueues[q.ID] = true
			qv = &queueView{id: q.ID}
			d.queues[q.ID] = qv
		}
		qv.join(v)
	}
	d.agents[id] = v
	if a.DisconnectedAt != nil && a.State != agent.StateOffline {
		d.schedule(timer{at: a.DisconnectedAt.Add(d.e.grace), kind: timerGrace, id: id})
	}
	return nil
}

func (d *dispatcher) dropAgent(id int) {
	if v := d.agents[id]; v != nil {
		for _, q := range v.queues {
			if qv := d.queues[q]; qv != nil {
				qv.leave(id)
			}
		}
		delete(d.agents, id)
	}
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
			err = d.e.expireOffer(d.ctx, t.id)
		case timerWrapUp:
			err = d.e.expireWrapUp(d.ctx, t.id)
		case timerGrace:
			err = d.e.expireGrace(d.ctx, t.id)
		case timerRetry:
			d.rebuild()
		}
		if err != nil && !apperr.Is(err, apperr.Conflict) {
			d.e.log.Error("dispatcher: deadline", "kind", t.kind, "id", t.id, "err", err)
		}
	}
}

// match pairs waiting engagements with agents until no more pairs exist.
// After every pairing it starts again from the first line: the head of a
// line served before another comes before that other line's head, even if
// its own line has just been served (R2, R8).
func (d *dispatcher) match() {
	// A pairing the database refuses twice is skipped until the next round,
	// so a view that disagrees with the database cannot spin.
	refused := map[[2]int]int{}
	for {
		progressed := false
	lines:
		// Every pairing ends the pass (break lines), so d.order does not
		// change under it.
		for _, l := range d.order {
			if l.Len() == 0 {
				continue
			}
			it := l.head()
			a := d.pick(it)
			if a == nil || refused[[2]int{it.id, a.id}] >= 2 {
				continue
			}
			err := d.e.decide(d.ctx, it.id, it.version, a.id, a.version, d.queues[it.queueID])
			switch {
			case err == nil, apperr.Is(err, apperr.Conflict), apperr.Is(err, apperr.PreconditionFailed):
				// Decided, or decided on a stale view: refresh both and go on.
				if err != nil {
					refused[[2]int{it.id, a.id}]++
				}
				d.dirtyAgents[a.id] = true
				d.dirtyEngagements[it.id] = true
				d.refresh()
				progressed = true
				break lines
			default:
				d.retry("decide", err)
				return
			}
		}
		if !progressed {
			return
		}
	}
}

// pick chooses the agent for a waiting engagement: among available members
// of its queue with capacity, free agents before chat-busy ones for calls
// (R3), those who have not declined it before those who have, then the
// least loaded on the channel, then the longest idle (R8).
func (d *dispatcher) pick(it *waitItem) *agentView {
	q := d.queues[it.queueID]
	if q == nil || !q.active {
		return nil
	}
	type rank struct {
		tier, held int
		idle       time.Time
		id         int
	}
	var best *agentView
	var bestRank rank
	ch := it.channel
	for _, a := range q.members {
		id := a.id
		if !a.active || a.state != agent.StateAvailable {
			continue
		}
		tier := 0
		if !a.load.canTake(a.caps, ch, false) {
			if !ch.Call() || !a.load.canTake(a.caps, ch, true) {
				continue
			}
			tier = 1
		}
		if it.tried[id] {
			tier += 2
		}
		r := rank{tier, a.load.held[ch.Index()], a.idleSince, id}
		if best == nil || less(r.tier, bestRank.tier, r.held, bestRank.held, r.idle, bestRank.idle, r.id, bestRank.id) {
			best, bestRank = a, r
		}
	}
	return best
}

func less(t1, t2, h1, h2 int, i1, i2 time.Time, id1, id2 int) bool {
	switch {
	case t1 != t2:
		return t1 < t2
	case h1 != h2:
		return h1 < h2
	case !i1.Equal(i2):
		return i1.Before(i2)
	}
	return id1 < id2
}
