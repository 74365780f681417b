package engine

import (
	"context"
	"errors"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/routing"
	"github.com/switchboard/switchboard/internal/store"
)

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
	var tx *store.Tx // its events are stored once committed
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
		tx = w.Tx
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
	for _, ev := range tx.Committed() {
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
