package engine

import (
	"slices"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/offer"
	"github.com/switchboard/switchboard/ent/queue"
	"github.com/switchboard/switchboard/internal/routing"
)

// Under load many agents and engagements change between two rounds of the
// dispatcher. Reading each with its own handful of queries made the
// dispatcher, one goroutine, the bottleneck of routing; a round reads every
// dirty row with a fixed number of queries per chunk instead.

// reloadChunk bounds the IDs in one query (SQLite allows 32766 variables).
const reloadChunk = 500

// loadIn loads the IDs marked in dirty, a chunk at a time, and unmarks
// each chunk once loaded.
func loadIn(dirty map[int]bool, load func(ids []int) error) error {
	if len(dirty) == 0 {
		return nil
	}
	ids := make([]int, 0, len(dirty))
	for id := range dirty {
		ids = append(ids, id)
	}
	for chunk := range slices.Chunk(ids, reloadChunk) {
		if err := load(chunk); err != nil {
			return err
		}
		for _, id := range chunk {
			delete(dirty, id)
		}
	}
	return nil
}

// loadEngagements refreshes engagements: waiting ones join their line,
// others leave it; ring and wrap-up deadlines are scheduled.
func (d *dispatcher) loadEngagements(ids []int) error {
	c := d.e.client
	egs, err := c.Engagement.Query().Where(engagement.IDIn(ids...)).All(d.ctx)
	if err != nil {
		return err
	}
	byID := make(map[int]*ent.Engagement, len(egs))
	var queued, ringing []int
	for _, eg := range egs {
		byID[eg.ID] = eg
		switch eg.State {
		case engagement.StateQueued:
			queued = append(queued, eg.ID)
		case engagement.StateOffered, engagement.StateTransferring:
			ringing = append(ringing, eg.ID)
		}
	}
	for _, id := range ids {
		if byID[id] == nil {
			d.view.Unqueue(id)
		}
	}
	// Agents who declined or missed a waiting engagement since it was
	// queued, or released it, are asked again only when nobody else can
	// take it. Offers carry the engine's clock in created_at, like
	// queued_at.
	tried := map[int]map[int]bool{}
	if len(queued) > 0 {
		missed, err := c.Offer.Query().Where(offer.EngagementIDIn(queued...), offer.TransferIDIsNil(),
			offer.StateIn(offer.StateDeclined, offer.StateTimedOut)).
			Select(offer.FieldEngagementID, offer.FieldAgentID, offer.FieldCreatedAt).All(d.ctx)
		if err != nil {
			return err
		}
		for _, o := range missed {
			if o.CreatedAt.Before(deref(byID[o.EngagementID].QueuedAt)) {
				continue
			}
			if tried[o.EngagementID] == nil {
				tried[o.EngagementID] = map[int]bool{}
			}
			tried[o.EngagementID][o.AgentID] = true
		}
	}
	if len(ringing) > 0 {
		pending, err := c.Offer.Query().Where(offer.EngagementIDIn(ringing...), offer.StateEQ(offer.StatePending)).All(d.ctx)
		if err != nil {
			return err
		}
		for _, o := range pending {
			d.schedule(timer{at: o.Deadline, kind: timerOffer, id: o.ID})
		}
	}
	for _, eg := range egs {
		switch eg.State {
		case engagement.StateQueued:
			if err := d.enqueue(eg, tried[eg.ID]); err != nil {
				return err
			}
		case engagement.StateWrapUp:
			d.view.Unqueue(eg.ID)
			if eg.WrapUpDeadline != nil {
				d.schedule(timer{at: *eg.WrapUpDeadline, kind: timerWrapUp, id: eg.ID})
			}
		case engagement.StatePostSession:
			d.view.Unqueue(eg.ID)
			if eg.PostSessionDeadline != nil {
				d.schedule(timer{at: *eg.PostSessionDeadline, kind: timerPostSession, id: eg.ID})
			}
		default:
			d.view.Unqueue(eg.ID)
		}
	}
	return nil
}

// enqueue puts a QUEUED engagement in its line (again).
func (d *dispatcher) enqueue(eg *ent.Engagement, tried map[int]bool) error {
	if d.view.Queues[eg.QueueID] == nil {
		q, err := d.e.client.Queue.Get(d.ctx, eg.QueueID)
		if err != nil {
			return err
		}
		d.setQueue(q)
	}
	if tried == nil {
		tried = map[int]bool{}
	}
	if eg.ReleasedByID != nil {
		tried[*eg.ReleasedByID] = true
	}
	d.view.Push(&routing.Waiting{ID: eg.ID, Version: eg.Version, QueueID: eg.QueueID, Channel: eg.Channel, Priority: eg.Priority,
		Front: eg.FrontOfQueue, QueuedAt: deref(eg.QueuedAt), Tried: tried})
	return nil
}

// loadAgents refreshes agents: state, capacity, memberships, load.
func (d *dispatcher) loadAgents(ids []int) error {
	as, err := d.e.client.Agent.Query().Where(agent.IDIn(ids...)).WithCapacityProfile().
		WithQueues(func(q *ent.QueueQuery) { q.Select(queue.FieldID) }).All(d.ctx)
	if err != nil {
		return err
	}
	loads, err := loadsOf(d.ctx, d.e.client, ids)
	if err != nil {
		return err
	}
	seen := make(map[int]bool, len(as))
	for _, a := range as {
		seen[a.ID] = true
		d.setAgent(a, loads[a.ID])
	}
	for _, id := range ids {
		if !seen[id] {
			d.view.DropAgent(id)
		}
	}
	return nil
}

// setAgent puts an agent read from the database into the view. An offline
// agent holding nothing leaves it.
func (d *dispatcher) setAgent(a *ent.Agent, l routing.Load) {
	if a.State == agent.StateOffline && !l.Live && l.Held == (routing.PerChannel{}) {
		d.view.DropAgent(a.ID)
		return
	}
	queues := make([]int, len(a.Edges.Queues))
	for i, q := range a.Edges.Queues {
		queues[i] = q.ID
	}
	slices.Sort(queues)
	if a.DisconnectedAt != nil && a.State != agent.StateOffline {
		d.schedule(timer{at: a.DisconnectedAt.Add(d.e.grace), kind: timerGrace, id: a.ID})
	}
	unknown := d.view.SetAgent(routing.Agent{ID: a.ID, Version: a.Version, Name: a.Name, State: a.State, Active: a.Active,
		IdleSince: a.IdleSince, Caps: routing.Capacity(a.Edges.CapacityProfile), Load: l, Queues: queues})
	for _, id := range unknown {
		d.dirtyQueues[id] = true
	}
}
