package engine

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/events"
)

// emitOffer rings the offer's agent. The event carries what the agent needs
// to decide without another query (E2): the customer's details, the flow
// variables, the bot summary, the queue and the deadline.
func (w *writer) emitOffer(ctx context.Context, o *ent.Offer, eg *ent.Engagement) error {
	d := events.OfferCreatedDetails{
		OfferID: o.ID, EngagementID: eg.ID, Channel: eg.Channel, Direction: eg.Direction, Deadline: o.Deadline,
		MenuPath: eg.MenuPath, Language: eg.Language, SessionType: eg.SessionType,
		FlowVariables: eg.FlowVariables, BotSummary: eg.BotSummary, TransferID: o.TransferID,
	}
	// A ring is the moment a call's record is created by default (C3); a
	// record the session already has pops up with it (C1).
	r, err := w.logSession(ctx, eg, momentAssigned)
	if err != nil {
		return err
	}
	d.Record = eventRecord(r)
	if eg.CustomerID != 0 {
		c, err := w.Customer.Get(ctx, eg.CustomerID)
		if err != nil {
			return err
		}
		d.Customer = &events.EventCustomer{ID: c.ID, Name: c.Name, Phones: c.Phones, Emails: c.Emails, ExternalIDs: c.ExternalIds}
	}
	if eg.QueueID != 0 {
		q, err := w.queue(ctx, eg.QueueID)
		if err != nil {
			return err
		}
		d.Queue = &events.EventQueue{ID: q.ID, Name: q.Name}
	}
	return w.emit(ctx, events.Event{EngagementID: eg.ID, AgentID: o.AgentID, QueueID: eg.QueueID, Payload: d})
}
