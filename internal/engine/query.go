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
//
// The transfers are read first: one query with the two conditions joined
// by OR and a subquery on transfers made SQLite test every stored
// engagement against the transfers table (minutes with a million stored;
// BenchmarkQuery in internal/bench).
func (e *Engine) OpenEngagements(ctx context.Context, agentID int) ([]*ent.Engagement, error) {
	ctx = auth.SystemContext(ctx)
	owed, err := e.client.Transfer.Query().
		Where(transfer.FromAgentID(agentID), transfer.StateEQ(transfer.StateCompleted), transfer.SenderWrappedUpAtIsNil()).
		Select(transfer.FieldEngagementID).Ints(ctx)
	if err != nil {
		return nil, err
	}
	held := engagement.And(engagement.AgentID(agentID), engagement.StateIn(lifecycle.WithAgent...))
	if len(owed) > 0 {
		held = engagement.Or(held, engagement.IDIn(owed...))
	}
	return e.client.Engagement.Query().Where(held).Order(ent.Asc(engagement.FieldID)).All(ctx)
}

// PendingOffers returns the rings and transfers waiting for an agent.
func (e *Engine) PendingOffers(ctx context.Context, agentID int) ([]*ent.Offer, error) {
	return e.client.Offer.Query().Where(offer.AgentID(agentID), offer.StateEQ(offer.StatePending)).
		Order(ent.Asc(offer.FieldID)).All(auth.SystemContext(ctx))
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
// the other logged-in agents, with their availability now (T1).
func (e *Engine) TransferTargets(ctx context.Context, ch *enum.Channel) ([]QueueAvailability, []AgentAvailability, error) {
	me := viewer(ctx).AgentID
	ctx = auth.SystemContext(ctx)
	qs, err := e.client.Queue.Query().Where(queue.Active(true), queue.Not(queue.HasChildren())).
		Order(ent.Asc(queue.FieldName)).All(ctx)
	if err != nil {
		return nil, nil, err
	}
	var queues []QueueAvailability
	for _, q := range qs {
		if ch != nil && len(q.Channels) > 0 && !slices.Contains(q.Channels, *ch) {
			continue
		}
		waiting, err := q.QueryEngagements().Where(engagement.StateIn(lifecycle.BeforeConnection...)).Count(ctx)
		if err != nil {
			return nil, nil, err
		}
		avail, err := q.QueryAgents().Where(agent.StateEQ(agent.StateAvailable), agent.Active(true)).Count(ctx)
		if err != nil {
			return nil, nil, err
		}
		queues = append(queues, QueueAvailability{Queue: q, Waiting: waiting, AgentsAvailable: avail})
	}
	as, err := e.client.Agent.Query().Where(agent.IDNEQ(me), agent.Active(true), agent.StateNEQ(agent.StateOffline)).
		WithCapacityProfile().Order(ent.Asc(agent.FieldName)).All(ctx)
	if err != nil {
		return nil, nil, err
	}
	agents := make([]AgentAvailability, 0, len(as))
	for _, a := range as {
		can := false
		if a.State == agent.StateAvailable {
			l, err := loadOf(ctx, e.client, a.ID)
			if err != nil {
				return nil, nil, err
			}
			want := enum.ChannelChat
			if ch != nil {
				want = *ch
			}
			can = l.CanTake(routing.Capacity(a.Edges.CapacityProfile), want, false)
		}
		agents = append(agents, AgentAvailability{ID: a.ID, Name: a.Name, State: a.State, CanTake: can})
	}
	return queues, agents, nil
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
