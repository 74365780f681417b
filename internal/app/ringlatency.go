package app

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/live"
)

// ringLatency times each offer.created event (a ring, or a transfer
// offered) from the commit that created it to the moment the websocket
// library's Write of its agentEvents frame returned:
//
//  1. the bus reports the commit (events.Bus.OnCommit), and committed
//     remembers when, by event;
//  2. the agentEvents stream tells, in order, which event it hands to
//     gqlgen next (live.WithDelivered), so the operation interceptor knows
//     the event behind each response it returns, and expects a frame with
//     that response's data on the connection;
//  3. the connection (wsConn.written), after writing a frame that carries
//     that data, observes the histogram.
//
// Only rings committed on this instance after the subscription began are
// timed: not replayed ones.
type ringLatency struct {
	hist prometheus.Histogram

	mu        sync.Mutex
	committed map[int]time.Time // offer.created event ID → its commit
	// order holds the remembered rings in commit order, oldest first, so
	// that forgetting them is not a walk of the whole map on every commit
	// (it ran inside the commit lock: switchboard bench).
	order []committedRing
}

type committedRing struct {
	id int
	at time.Time
}

// ringMemory is how long a ring's commit time is kept for a frame that is
// still to be written; far longer than any ring lasts.
const ringMemory = 10 * time.Minute

func newRingLatency() *ringLatency {
	return &ringLatency{
		hist: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "switchboard_ring_latency_seconds",
			Help: "Time from the commit that created an offer.created event (a ring or transfer offer) " +
				"to the return of the websocket write of its agentEvents frame to the agent.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		committed: map[int]time.Time{},
	}
}

// commit is the bus's OnCommit hook: it remembers when rings committed.
func (r *ringLatency) commit(rows []*ent.Event, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range rows {
		if e.Topic == events.OfferCreated {
			r.committed[e.ID] = at
			r.order = append(r.order, committedRing{e.ID, at})
		}
	}
	old := 0
	for old < len(r.order) && at.Sub(r.order[old].at) > ringMemory {
		delete(r.committed, r.order[old].id)
		old++
	}
	r.order = r.order[old:]
}

func (r *ringLatency) committedAt(id int) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.committed[id]
	return t, ok
}

// aroundOperations follows subscriptions over a websocket: for each
// response built from a ring it tells the connection which frame to time.
func (r *ringLatency) aroundOperations(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	conn, _ := ctx.Value(wsConnKey{}).(*wsConn)
	if oc.Operation == nil || oc.Operation.Operation != ast.Subscription || conn == nil {
		return next(ctx)
	}
	// A ring committed before the subscription began can reach it only
	// by replay (after a reconnect): its age is not latency.
	start := time.Now()
	var mu sync.Mutex
	var queue []*ent.Event // handed to gqlgen, response not built yet
	responses := next(live.WithDelivered(ctx, func(e *ent.Event) {
		mu.Lock()
		queue = append(queue, e)
		mu.Unlock()
	}))
	return func(ctx context.Context) *graphql.Response {
		resp := responses(ctx)
		if resp == nil {
			return nil
		}
		mu.Lock()
		var e *ent.Event
		if len(queue) > 0 {
			e, queue = queue[0], queue[1:]
		}
		mu.Unlock()
		if e == nil || e.Topic != events.OfferCreated {
			return resp
		}
		if at, ok := r.committedAt(e.ID); ok && !at.Before(start) {
			// gqlgen writes the response with encoding/json, which writes
			// the data as json.Marshal does here.
			if data, err := json.Marshal(resp.Data); err == nil {
				conn.expect(data, at)
			}
		}
		return resp
	}
}

// pendingFrame is a frame a connection is to time once written.
type pendingFrame struct {
	data      []byte // the response data the frame carries
	committed time.Time
}

// maxPendingFrames bounds what a connection that never writes them keeps.
const maxPendingFrames = 64

// expect tells c to time the frame carrying data once it is written.
func (c *wsConn) expect(data []byte, committed time.Time) {
	c.pendingMu.Lock()
	defer c.pendingMu.Unlock()
	if len(c.pending) == maxPendingFrames {
		c.pending = c.pending[1:]
	}
	c.pending = append(c.pending, pendingFrame{data: data, committed: committed})
}
