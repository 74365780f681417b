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
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/lifecycle"
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
	d.agents, d.queues, d.waiting = map[int]*agentView{}, map[int]*queueView{}, map[int]*waitItem{}
	d.lines, d.order, d.timers, d.scheduled = map[lineKey]*line{}, nil, nil, map[timer]bool{}
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
	if ev.QueueID != nil && d.queues[*ev.QueueID] == nil {
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
	v := d.queues[q.ID]
	if v == nil {
		v = &queueView{id: q.ID}
		d.queues[q.ID] = v
	}
	v.mode, v.ring, v.priority, v.active = q.AcceptMode, time.Duration(q.RingTimeoutSeconds)*time.Second, q.Priority, q.Active
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
			err = d.e.expireOffer(acting(d.ctx, events.ActorRingTimeout), t.id)
		case timerWrapUp:
			err = d.e.expireWrapUp(acting(d.ctx, events.ActorWrapUpLimit), t.id)
		case timerGrace:
			err = d.e.expireGrace(acting(d.ctx, events.ActorDisconnectGrace), t.id)
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
	it    *waitItem
	a     *agentView
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
			o, err := w.decide(ctx, it.id, it.version, a.id, a.version, d.queues[it.queueID])
			if errors.Is(err, errStaleView) {
				// Nothing was written: commit the others, then refresh
				// both and go on.
				refused[[2]int{it.id, a.id}]++
				d.dirtyAgents[a.id] = true
				d.dirtyEngagements[it.id] = true
				break
			}
			if err != nil {
				if apperr.Is(err, apperr.Conflict) || apperr.Is(err, apperr.PreconditionFailed) {
					refused[[2]int{it.id, a.id}]++
					d.dirtyAgents[a.id] = true
					d.dirtyEngagements[it.id] = true
				}
				return err
			}
			made = append(made, pairing{it, a, o})
			d.take(it, a, o)
		}
		batch = &w.batch
		return nil
	})
	if err != nil {
		for _, p := range made {
			d.dirtyAgents[p.a.id] = true
			d.dirtyEngagements[p.it.id] = true
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
		decided[p.it.id] = p.a.id
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
// can take, and that agent.
func (d *dispatcher) next(refused map[[2]int]int) (*waitItem, *agentView) {
	for _, l := range d.order {
		it := l.head()
		if a := d.pick(it); a != nil && refused[[2]int{it.id, a.id}] < 2 {
			return it, a
		}
	}
	return nil, nil
}

// take brings a decision into the view instead of reading back the rows
// it wrote: the engagement leaves its line and the agent holds one more
// engagement at its next version. A call assigned without a ring may have
// parked chats: then the agent is read again.
func (d *dispatcher) take(it *waitItem, a *agentView, ring *ent.Offer) {
	d.unqueue(it.id)
	if ring == nil && it.channel.Call() {
		d.dirtyAgents[a.id] = true
		return
	}
	a.version++
	a.load.occupy(it.channel, false)
	if ring == nil && it.channel == enum.ChannelChat {
		a.load.connectedChats = append(a.load.connectedChats, it.id)
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
