package engine

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/offer"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/ent/transfer"
	"github.com/switchboard/switchboard/internal/lifecycle"
	"github.com/switchboard/switchboard/internal/routing"
)

// loadOf reads an agent's load from the database (inside tx when given).
func loadOf(ctx context.Context, c *ent.Client, agentID int) (routing.Load, error) {
	loads, err := loadsOf(ctx, c, []int{agentID})
	return loads[agentID], err
}

// loadsOf reads the load of several agents with a fixed number of queries.
func loadsOf(ctx context.Context, c *ent.Client, agentIDs []int) (map[int]routing.Load, error) {
	loads := make(map[int]*routing.Load, len(agentIDs))
	of := func(id int) *routing.Load {
		l := loads[id]
		if l == nil {
			l = &routing.Load{}
			loads[id] = l
		}
		return l
	}
	engs, err := c.Engagement.Query().
		Where(engagement.AgentIDIn(agentIDs...), engagement.StateIn(lifecycle.WithAgent...)).
		Select(engagement.FieldAgentID, engagement.FieldChannel, engagement.FieldState, engagement.FieldAutoParked).
		Order(ent.Asc(engagement.FieldID)).
		All(ctx)
	if err != nil {
		return nil, err
	}
	for _, eg := range engs {
		l := of(deref(eg.AgentID))
		switch eg.State {
		case engagement.StateParked:
			if eg.AutoParked {
				l.AutoParked = append(l.AutoParked, eg.ID)
			}
		default:
			l.Occupy(eg.Channel, eg.State == engagement.StateWrapUp)
			if eg.Channel == enum.ChannelChat && eg.State == engagement.StateConnected {
				l.ConnectedChats = append(l.ConnectedChats, eg.ID)
			}
		}
	}
	offers, err := c.Offer.Query().
		Where(offer.AgentIDIn(agentIDs...), offer.StateEQ(offer.StatePending)).
		WithEngagement(func(q *ent.EngagementQuery) { q.Select(engagement.FieldChannel) }).
		All(ctx)
	if err != nil {
		return nil, err
	}
	for _, o := range offers {
		of(o.AgentID).Occupy(o.Edges.Engagement.Channel, false)
	}
	wraps, err := c.Transfer.Query().
		Where(transfer.FromAgentIDIn(agentIDs...), transfer.StateEQ(transfer.StateCompleted), transfer.SenderWrappedUpAtIsNil()).
		WithEngagement(func(q *ent.EngagementQuery) { q.Select(engagement.FieldChannel) }).
		All(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range wraps {
		of(t.FromAgentID).Occupy(t.Edges.Engagement.Channel, true)
	}
	out := make(map[int]routing.Load, len(loads))
	for id, l := range loads {
		out[id] = *l
	}
	return out, nil
}
