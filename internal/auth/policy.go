package auth

import (
	"context"

	"entgo.io/ent/dialect/sql"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/crmrecord"
	"github.com/switchboard/switchboard/ent/customer"
	"github.com/switchboard/switchboard/ent/delivery"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/intercept"
	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/ent/note"
	"github.com/switchboard/switchboard/ent/offer"
	"github.com/switchboard/switchboard/ent/predicate"
	"github.com/switchboard/switchboard/ent/queue"
	"github.com/switchboard/switchboard/ent/transcriptsegment"
	"github.com/switchboard/switchboard/ent/transfer"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/lifecycle"
)

// InstallPolicies adds the row-level rules to every query of client, edge
// traversals included, so no GraphQL path (node, nested edges, filters) shows
// a viewer what it may not see. Staff and the system see everything.
func InstallPolicies(client *ent.Client) {
	client.Intercept(intercept.TraverseFunc(restrict))
}

// Types with no row restriction for agents: configuration they work with.
var sharedConfig = map[string]bool{
	ent.TypeQueue: true, ent.TypeCapacityProfile: true, ent.TypeEntryPoint: true,
	ent.TypeWrapUpReason: true, ent.TypeTemplate: true,
}

// Types integrations (API keys) may not read.
var hiddenFromIntegrations = map[string]bool{
	ent.TypeAgent: true, ent.TypeAPIKey: true, ent.TypeAuthToken: true, ent.TypeEvent: true, ent.TypeNote: true,
	ent.TypeServerSecret: true,
}

// seesAll reports whether the viewer sees every row of an ent type: then a
// filter may reach it without revealing anything.
func (v *Viewer) seesAll(typ string) bool {
	switch {
	case v == nil:
		return false
	case v.Staff():
		return true
	case v.APIKeyID != 0:
		return !hiddenFromIntegrations[typ]
	case v.IsCustomer():
		return false
	}
	return sharedConfig[typ]
}

func restrict(ctx context.Context, q intercept.Query) error {
	v := FromContext(ctx)
	switch {
	case v == nil:
		return apperr.New(apperr.Unauthenticated, "authentication required")
	case v.Staff():
		return nil
	case v.APIKeyID != 0:
		if hiddenFromIntegrations[q.Type()] {
			q.WhereP(nothing)
		}
		return nil
	case v.IsCustomer():
		restrictCustomer(v.EngagementID, q)
		return nil
	case sharedConfig[q.Type()]:
		return nil
	}
	me := v.AgentID
	switch q.Type() {
	case ent.TypeAgent:
		q.WhereP(agent.ID(me))
	case ent.TypeEngagement:
		q.WhereP(EngagementVisibleTo(me))
	case ent.TypeCustomer:
		q.WhereP(customer.HasEngagementsWith(EngagementVisibleTo(me)))
	case ent.TypeMessage:
		q.WhereP(message.HasEngagementWith(EngagementVisibleTo(me)))
	case ent.TypeNote:
		q.WhereP(note.HasEngagementWith(EngagementVisibleTo(me)))
	case ent.TypeTranscriptSegment:
		q.WhereP(transcriptsegment.HasEngagementWith(EngagementVisibleTo(me)))
	case ent.TypeOffer:
		q.WhereP(offer.AgentID(me))
	case ent.TypeTransfer:
		q.WhereP(transfer.Or(transfer.FromAgentID(me), transfer.ToAgentID(me)))
	case ent.TypeDelivery:
		q.WhereP(delivery.HasMessageWith(message.HasEngagementWith(EngagementVisibleTo(me))))
	case ent.TypeCRMRecord:
		q.WhereP(crmrecord.HasEngagementsWith(EngagementVisibleTo(me)))
	default:
		q.WhereP(nothing)
	}
	return nil
}

// restrictCustomer shows a customer token its engagement, that
// engagement's messages and the agent it is with (whose fields the API
// limits to the name), nothing else.
func restrictCustomer(engagementID int, q intercept.Query) {
	switch q.Type() {
	case ent.TypeEngagement:
		q.WhereP(engagement.ID(engagementID))
	case ent.TypeMessage:
		q.WhereP(message.EngagementID(engagementID))
	case ent.TypeAgent:
		q.WhereP(agent.HasEngagementsWith(engagement.ID(engagementID)))
	default:
		q.WhereP(nothing)
	}
}

func nothing(s *sql.Selector) { s.Where(sql.False()) }

// EngagementVisibleTo is what an agent may see of engagements: its own, those
// ringing it or being transferred to it, those waiting in its queues (to pick,
// R5), and the earlier engagements of customers it is serving now (E3).
func EngagementVisibleTo(agentID int) predicate.Engagement {
	serving := engagement.And(engagement.AgentID(agentID),
		engagement.StateNotIn(lifecycle.Terminal...))
	return engagement.Or(
		engagement.AgentID(agentID),
		engagement.HasOffersWith(offer.AgentID(agentID), offer.StateEQ(offer.StatePending)),
		engagement.HasTransfersWith(transfer.ToAgentID(agentID), transfer.StateEQ(transfer.StatePending)),
		engagement.And(engagement.StateEQ(engagement.StateQueued), engagement.HasQueueWith(queue.HasAgentsWith(agent.ID(agentID)))),
		engagement.HasCustomerWith(customer.HasEngagementsWith(serving)),
	)
}
