package engine

import (
	"context"
	"slices"
	"strings"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/offer"
	"github.com/switchboard/switchboard/ent/queue"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/ent/transcriptsegment"
	"github.com/switchboard/switchboard/ent/transfer"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/lifecycle"
	"github.com/switchboard/switchboard/internal/routing"
)

// OpenEngagements returns what an agent holds, oldest first: connected,
// parked, transferring, in wrap-up, and engagements it transferred whose
// wrap-up it still owes. The caller has authorized reading the agent.
// Within a scope of WithAgentScope it is loaded in one batch with the other
// agents of the request.
func (e *Engine) OpenEngagements(ctx context.Context, agentID int) ([]*ent.Engagement, error) {
	return perAgent(ctx, agentID, func(s *agentScope) *agentBatch[*ent.Engagement] { return &s.open }, e.openEngagementsOf)
}

// openEngagementsOf reads the open engagements of several agents with two
// queries. The transfers are read first: one query with the two conditions
// joined by OR and a subquery on transfers made SQLite test every stored
// engagement against the transfers table (minutes with a million stored;
// BenchmarkQuery in internal/bench). An engagement transferred from one of
// the agents to another is in both lists.
func (e *Engine) openEngagementsOf(ctx context.Context, agentIDs []int) (map[int][]*ent.Engagement, error) {
	ctx = auth.SystemContext(ctx)
	var owed []struct {
		FromAgentID  int `json:"from_agent_id"`
		EngagementID int `json:"engagement_id"`
	}
	err := e.client.Transfer.Query().
		Where(transfer.FromAgentIDIn(agentIDs...), transfer.StateEQ(transfer.StateCompleted), transfer.SenderWrappedUpAtIsNil()).
		Select(transfer.FieldFromAgentID, transfer.FieldEngagementID).Scan(ctx, &owed)
	if err != nil {
		return nil, err
	}
	owedTo := make(map[int][]int, len(owed))
	var owedIDs []int
	for _, t := range owed {
		owedTo[t.EngagementID] = append(owedTo[t.EngagementID], t.FromAgentID)
		owedIDs = append(owedIDs, t.EngagementID)
	}
	held := engagement.And(engagement.AgentIDIn(agentIDs...), engagement.StateIn(lifecycle.WithAgent...))
	if len(owedIDs) > 0 {
		held = engagement.Or(held, engagement.IDIn(owedIDs...))
	}
	engs, err := e.client.Engagement.Query().Where(held).Order(ent.Asc(engagement.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	asked := make(map[int]bool, len(agentIDs))
	for _, id := range agentIDs {
		asked[id] = true
	}
	out := make(map[int][]*ent.Engagement, len(agentIDs))
	for _, eg := range engs {
		holder := 0
		if eg.AgentID != nil && asked[*eg.AgentID] && slices.Contains(lifecycle.WithAgent, eg.State) {
			holder = *eg.AgentID
			out[holder] = append(out[holder], eg)
		}
		for _, from := range owedTo[eg.ID] {
			if from != holder && !slices.Contains(out[from], eg) {
				out[from] = append(out[from], eg)
			}
		}
	}
	return out, nil
}

// PendingOffers returns the rings and transfers waiting for an agent,
// oldest first; batched like OpenEngagements.
func (e *Engine) PendingOffers(ctx context.Context, agentID int) ([]*ent.Offer, error) {
	return perAgent(ctx, agentID, func(s *agentScope) *agentBatch[*ent.Offer] { return &s.offs }, e.pendingOffersOf)
}

// pendingOffersOf reads the pending offers of several agents in one query.
func (e *Engine) pendingOffersOf(ctx context.Context, agentIDs []int) (map[int][]*ent.Offer, error) {
	offers, err := e.client.Offer.Query().Where(offer.AgentIDIn(agentIDs...), offer.StateEQ(offer.StatePending)).
		Order(ent.Asc(offer.FieldID)).All(auth.SystemContext(ctx))
	if err != nil {
		return nil, err
	}
	out := make(map[int][]*ent.Offer, len(agentIDs))
	for _, o := range offers {
		out[o.AgentID] = append(out[o.AgentID], o)
	}
	return out, nil
}

// perAgent answers a per-agent list field from the request's batch when
// ctx has a scope, and with a batch of agentID alone when not.
func perAgent[V any](ctx context.Context, agentID int, batch func(*agentScope) *agentBatch[V], fetch func(context.Context, []int) (map[int][]V, error)) ([]V, error) {
	if s := agentScopeOf(ctx); s != nil {
		return loadBatch(ctx, s, batch(s), agentID, fetch)
	}
	got, err := fetch(ctx, []int{agentID})
	if err != nil {
		return nil, err
	}
	return nonNil(got[agentID]), nil
}

// QueueAvailability is a queue with its live figures.
type QueueAvailability struct {
	Queue           *ent.Queue
	Waiting         int
	AgentsAvailable int
}

// AgentAvailability is an agent with what it could take now.
type AgentAvailability struct {
	ID      int
	Name    string
	State   agent.State
	CanTake bool
}

// TransferTargets lists the active leaf queues (taking ch, when given) and
// the other logged-in agents, with their availability now (T1), with a
// fixed number of queries however many queues and agents there are.
func (e *Engine) TransferTargets(ctx context.Context, ch *enum.Channel) ([]QueueAvailability, []AgentAvailability, error) {
	me := viewer(ctx).AgentID
	ctx = auth.SystemContext(ctx)
	qs, err := e.client.Queue.Query().Where(queue.Active(true), queue.Not(queue.HasChildren())).
		Order(ent.Asc(queue.FieldName)).All(ctx)
	if err != nil {
		return nil, nil, err
	}
	qs = slices.DeleteFunc(qs, func(q *ent.Queue) bool {
		return ch != nil && len(q.Channels) > 0 && !slices.Contains(q.Channels, *ch)
	})
	waiting, avail, err := e.queueFigures(ctx, qs)
	if err != nil {
		return nil, nil, err
	}
	var queues []QueueAvailability
	for _, q := range qs {
		queues = append(queues, QueueAvailability{Queue: q, Waiting: waiting[q.ID], AgentsAvailable: avail[q.ID]})
	}
	as, err := e.client.Agent.Query().Where(agent.IDNEQ(me), agent.Active(true), agent.StateNEQ(agent.StateOffline)).
		WithCapacityProfile().Order(ent.Asc(agent.FieldName)).All(ctx)
	if err != nil {
		return nil, nil, err
	}
	var availableIDs []int
	for _, a := range as {
		if a.State == agent.StateAvailable {
			availableIDs = append(availableIDs, a.ID)
		}
	}
	var loads map[int]routing.Load
	if len(availableIDs) > 0 {
		if loads, err = loadsOf(ctx, e.client, availableIDs); err != nil {
			return nil, nil, err
		}
	}
	want := enum.ChannelChat
	if ch != nil {
		want = *ch
	}
	agents := make([]AgentAvailability, 0, len(as))
	for _, a := range as {
		l := loads[a.ID]
		can := a.State == agent.StateAvailable && l.CanTake(routing.Capacity(a.Edges.CapacityProfile), want, false)
		agents = append(agents, AgentAvailability{ID: a.ID, Name: a.Name, State: a.State, CanTake: can})
	}
	return queues, agents, nil
}

// queueFigures counts, for each of qs, the engagements waiting (before a
// connection) and the active AVAILABLE member agents: two grouped queries.
func (e *Engine) queueFigures(ctx context.Context, qs []*ent.Queue) (waiting, avail map[int]int, err error) {
	waiting, avail = map[int]int{}, map[int]int{}
	if len(qs) == 0 {
		return waiting, avail, nil
	}
	ids := make([]int, len(qs))
	for i, q := range qs {
		ids[i] = q.ID
	}
	var counts []struct {
		QueueID int `json:"queue_id"`
		Count   int `json:"count"`
	}
	err = e.client.Engagement.Query().Where(engagement.QueueIDIn(ids...), engagement.StateIn(lifecycle.BeforeConnection...)).
		GroupBy(engagement.FieldQueueID).Aggregate(ent.Count()).Scan(ctx, &counts)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range counts {
		waiting[c.QueueID] = c.Count
	}
	members, err := e.client.Queue.Query().Where(queue.IDIn(ids...)).Select(queue.FieldID).
		WithAgents(func(q *ent.AgentQuery) {
			q.Where(agent.StateEQ(agent.StateAvailable), agent.Active(true)).Select(agent.FieldID)
		}).All(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, q := range members {
		avail[q.ID] = len(q.Edges.Agents)
	}
	return waiting, avail, nil
}

// SearchTranscript returns the segments of an engagement containing every
// word of query, case-insensitively, in order.
func (e *Engine) SearchTranscript(ctx context.Context, engagementID int, query string) ([]*ent.TranscriptSegment, error) {
	q := e.client.TranscriptSegment.Query().Where(transcriptsegment.EngagementID(engagementID))
	for _, word := range strings.Fields(query) {
		q.Where(transcriptsegment.TextContainsFold(word))
	}
	return q.Order(ent.Asc(transcriptsegment.FieldOffsetMs), ent.Asc(transcriptsegment.FieldID)).All(ctx)
}
