package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/switchboard/switchboard/ent/schema/enum"
)

// Phase is what one load phase measured.
type Phase struct {
	Name string `json:"name"`
	// Rate is the arrival rate asked for (engagements per second); 0 is as
	// fast as possible.
	Rate    float64 `json:"rate"`
	Seconds float64 `json:"seconds"`
	Created int     `json:"created"`
	// Completed lifecycles: created, rung (or assigned), accepted, ended,
	// wrapped up. Failed ones hit an error; Unfinished ones were still open
	// when the drain ended.
	Completed  int `json:"completed"`
	Failed     int `json:"failed"`
	Unfinished int `json:"unfinished"`
	// LifecyclesPerSecond is Completed over the time from the phase's start
	// to its last completion.
	LifecyclesPerSecond float64 `json:"lifecyclesPerSecond"`
	// Ring is createEngagement's response (the commit happened before it)
	// to the offer.created frame at the agent; a frame that beats the
	// response counts as 0. RingFromRequest starts at the request instead:
	// an upper bound.
	Ring            Latency `json:"ringLatency"`
	RingFromRequest Latency `json:"ringLatencyFromRequest"`
	// Assign is the same for engagement.assigned (EMAIL, SMS: no ring).
	Assign Latency `json:"assignLatency"`
	// Create is createEngagement's round trip.
	Create Latency `json:"createLatency"`
	// RSSPeak is the server's largest RSS during the phase (0: not measured).
	RSSPeak int64 `json:"rssPeakBytes"`
	// ServerCores is the server's CPU time over the phase's wall time.
	ServerCores float64 `json:"serverCores"`
	// GeneratorCores is the same for the generator.
	GeneratorCores float64 `json:"generatorCores"`
	// Work is the server's transactions and statements per lifecycle and
	// its writer's busy share (nil when its /metrics could not be read).
	Work *Work `json:"work,omitempty"`
}

// lifecycle is one engagement the generator created.
type lifecycle struct {
	sent, created, rang time.Time
	assigned            bool
	// slot: the engagement holds one of the tracker's slots (its creation
	// answered); done: its agent finished with it (the two may come in
	// either order).
	slot, done bool
}

// tracker follows the open engagements of a run and collects the samples
// of the current phase.
type tracker struct {
	mu sync.Mutex
	// open holds engagements created or rung and not both answered and
	// finished.
	open map[string]*lifecycle
	// slots bounds open engagements: a send takes one, a receive frees one.
	slots chan struct{}

	ring, ringReq, assign, create []time.Duration
	completed, failedN            int
	lastDone                      time.Time
}

func newTracker(maxOpen int) *tracker {
	return &tracker{open: map[string]*lifecycle{}, slots: make(chan struct{}, maxOpen)}
}

// reset starts a new phase's samples.
func (t *tracker) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ring, t.ringReq, t.assign, t.create = nil, nil, nil, nil
	t.completed, t.failedN, t.lastDone = 0, 0, time.Time{}
}

func (t *tracker) get(id string) *lifecycle {
	lc := t.open[id]
	if lc == nil {
		lc = &lifecycle{}
		t.open[id] = lc
	}
	return lc
}

// created records createEngagement's request and response times; the
// engagement holds a slot from now until it is finished.
func (t *tracker) created(id string, sent, got time.Time) {
	t.mu.Lock()
	lc := t.get(id)
	lc.sent, lc.created, lc.slot = sent, got, true
	t.create = append(t.create, got.Sub(sent))
	if !lc.rang.IsZero() {
		t.sample(lc)
	}
	release := lc.done
	if release {
		delete(t.open, id)
	}
	t.mu.Unlock()
	if release {
		<-t.slots
	}
}

func (t *tracker) rang(id string, at time.Time, assigned bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	lc := t.get(id)
	if !lc.rang.IsZero() {
		return
	}
	lc.rang, lc.assigned = at, assigned
	if !lc.created.IsZero() {
		t.sample(lc)
	}
}

func (t *tracker) sample(lc *lifecycle) {
	if lc.assigned {
		t.assign = append(t.assign, max(lc.rang.Sub(lc.created), 0))
		return
	}
	t.ring = append(t.ring, max(lc.rang.Sub(lc.created), 0))
	t.ringReq = append(t.ringReq, lc.rang.Sub(lc.sent))
}

func (t *tracker) finished(id string) { t.end(id, true) }
func (t *tracker) failed(id string)   { t.end(id, false) }

func (t *tracker) end(id string, ok bool) {
	t.mu.Lock()
	lc := t.open[id]
	if lc == nil || lc.done {
		t.mu.Unlock()
		return
	}
	lc.done = true
	if ok {
		t.completed++
		t.lastDone = time.Now()
	} else {
		t.failedN++
	}
	release := lc.slot
	if release {
		delete(t.open, id)
	}
	t.mu.Unlock()
	if release {
		<-t.slots
	}
}

// abandon stops following the open engagements (the phase's drain
// ended) and returns how many created ones were not finished.
func (t *tracker) abandon() int {
	t.mu.Lock()
	n := 0
	for _, lc := range t.open {
		if lc.slot && !lc.done {
			n++
		}
	}
	clear(t.open)
	t.mu.Unlock()
	for range n {
		<-t.slots
	}
	return n
}

// mix spreads the channels over a cycle by weight (smooth weighted round
// robin), so every stretch of arrivals has the configured proportions.
func mix(ws []ChannelWeight) []enum.Channel {
	total := 0
	for _, w := range ws {
		total += w.Weight
	}
	cur := make([]int, len(ws))
	out := make([]enum.Channel, 0, total)
	for range total {
		best := 0
		for i, w := range ws {
			cur[i] += w.Weight
			if cur[i] > cur[best] {
				best = i
			}
		}
		cur[best] -= total
		out = append(out, ws[best].Channel)
	}
	return out
}

// loader creates engagements for the load phases.
type loader struct {
	o      Options
	site   *site
	t      *tracker
	queues map[enum.Channel]string
	mix    []enum.Channel
	pid    int
	seq    int
	// metrics is the server's /metrics.
	metrics string
}

const createQuery = `mutation($in: CreateEngagementInput!) { createEngagement(input: $in) { engagement { id } } }`

// customers is how many distinct customers the engagements come from;
// they return, as customers do.
const customers = 1000

func (l *loader) create(ctx context.Context, i int) {
	ch := l.mix[i%len(l.mix)]
	n := i % customers
	contact := map[string]any{"name": fmt.Sprintf("Customer %d", n)}
	if ch.Call() || ch == enum.ChannelSMS {
		contact["phone"] = fmt.Sprintf("+1555%07d", n)
	} else {
		contact["email"] = fmt.Sprintf("customer-%d@bench.example", n)
	}
	in := map[string]any{
		"channel": ch, "queueID": l.queues[ch], "customer": contact,
		"flowVariables": map[string]any{"orderId": fmt.Sprintf("B-%d", i)},
		"botSummary":    "load generator",
	}
	var out struct {
		CreateEngagement struct{ Engagement struct{ ID string } }
	}
	sent := time.Now()
	if err := l.site.do(ctx, l.site.integ, "createEngagement", createQuery, map[string]any{"in": in}, &out); err != nil {
		<-l.t.slots
		return
	}
	l.t.created(out.CreateEngagement.Engagement.ID, sent, time.Now())
}

// phase runs one load phase at rate (0: as fast as open slots allow).
func (l *loader) phase(ctx context.Context, rate float64) Phase {
	p := Phase{Name: "max", Rate: rate}
	if rate > 0 {
		p.Name = fmt.Sprintf("%g/s", rate)
	}
	l.t.reset()
	before, scraped := scrape(ctx, l.metrics)
	cpu0, gen0 := cpuSeconds(l.pid), cpuSeconds(0)
	peak := sampleRSS(l.pid, 250*time.Millisecond)
	start := time.Now()
	arrivals, cancel := context.WithTimeout(ctx, l.o.Duration)
	defer cancel()
	tickets := make(chan int)
	var wg sync.WaitGroup
	for range l.o.Creators {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range tickets {
				l.create(ctx, i)
			}
		}()
	}
send:
	for i := 0; i < l.o.Engagements; i++ {
		if rate > 0 {
			at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
			select {
			case <-time.After(time.Until(at)):
			case <-arrivals.Done():
				break send
			}
		}
		select {
		case l.t.slots <- struct{}{}:
		case <-arrivals.Done():
			break send
		}
		select {
		case tickets <- l.seq:
			l.seq++
			p.Created++
		case <-arrivals.Done():
			<-l.t.slots
			break send
		}
	}
	close(tickets)
	wg.Wait()
	drain := time.Now().Add(l.o.Drain)
	for len(l.t.slots) > 0 && time.Now().Before(drain) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	wall := time.Since(start).Seconds()
	p.RSSPeak = peak.end()
	if cpu1 := cpuSeconds(l.pid); l.pid > 0 && cpu1 > 0 {
		p.ServerCores = (cpu1 - cpu0) / wall
	}
	p.GeneratorCores = (cpuSeconds(0) - gen0) / wall
	after, err := scrape(ctx, l.metrics)
	if err = errors.Join(scraped, err); err != nil {
		l.site.errs.countN("METRICS", 1, err.Error())
	}

	if p.Unfinished = l.t.abandon(); p.Unfinished > 0 {
		l.site.errs.countN("UNFINISHED", p.Unfinished, fmt.Sprintf("%d lifecycles still open %s after the arrivals of phase %s", p.Unfinished, l.o.Drain, p.Name))
	}
	t := l.t
	t.mu.Lock()
	defer t.mu.Unlock()
	p.Completed, p.Failed = t.completed, t.failedN
	if !t.lastDone.IsZero() {
		p.Seconds = t.lastDone.Sub(start).Seconds()
		p.LifecyclesPerSecond = float64(p.Completed) / p.Seconds
	}
	p.Ring, p.RingFromRequest = summarise(t.ring), summarise(t.ringReq)
	p.Assign, p.Create = summarise(t.assign), summarise(t.create)
	if err == nil {
		p.Work = work(before, after, p.Completed, wall)
	}
	return p
}
