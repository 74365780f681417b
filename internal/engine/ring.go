package engine

import (
	"context"
	"strconv"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/events"
)

// emitOffer rings the offer's agent. The event carries what the agent needs
// to decide without another query (E2): the customer's details, the flow
// variables, the bot summary, the queue and the deadline.
func (w *writer) emitOffer(ctx context.Context, o *ent.Offer, eg *ent.Engagement) error {
	payload := map[string]any{
		"offerID":       gid(o.ID),
		"engagementID":  gid(eg.ID),
		"channel":       string(eg.Channel),
		"direction":     string(eg.Direction),
		"deadline":      o.Deadline,
		"menuPath":      eg.MenuPath,
		"language":      eg.Language,
		"flowVariables": eg.FlowVariables,
		"botSummary":    eg.BotSummary,
	}
	if eg.SessionType != "" {
		payload["sessionType"] = string(eg.SessionType)
	}
	if o.TransferID != nil {
		payload["transferID"] = gid(*o.TransferID)
	}
	if eg.CustomerID != 0 {
		c, err := w.Customer.Get(ctx, eg.CustomerID)
		if err != nil {
			return err
		}
		payload["customer"] = map[string]any{"id": gid(c.ID), "name": c.Name, "phones": c.Phones, "emails": c.Emails, "externalIDs": c.ExternalIds}
	}
	if eg.QueueID != 0 {
		q, err := w.Queue.Get(ctx, eg.QueueID)
		if err != nil {
			return err
		}
		payload["queue"] = map[string]any{"id": gid(q.ID), "name": q.Name}
	}
	return w.emit(ctx, events.Event{Topic: events.OfferCreated, EngagementID: eg.ID, AgentID: o.AgentID, QueueID: eg.QueueID, Payload: payload})
}

// gid formats an ID inside an event payload as GraphQL shows IDs: a string.
func gid(id int) string { return strconv.Itoa(id) }
