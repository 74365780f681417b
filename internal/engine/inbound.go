package engine

import (
	"context"
	"slices"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/entrypoint"
	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/ent/optout"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/messaging"
)

// ReceiveMessage files an inbound SMS or email from a provider (O5, O7).
// An SMS that is an opt-out keyword (STOP, START, ...) records or lifts the
// opt-out of its number for the entry point. Otherwise the message joins
// the open conversation it answers — for email the one whose message any of
// its In-Reply-To or References IDs names, if the sender is that
// conversation's customer; then the open conversation with the sender's
// address through the entry point — or opens a new inbound engagement,
// queued and assigned like any other (R6) and linked to the previous
// conversation with that address.
func (e *Engine) ReceiveMessage(ctx context.Context, in messaging.Inbound) (messaging.Received, error) {
	var out messaging.Received
	ch := enum.Channel(in.Channel)
	if ch != enum.ChannelSMS && ch != enum.ChannelEmail {
		return out, apperr.Invalid("channel", "inbound messages are SMS or EMAIL")
	}
	if !e.messaging.DigitalChannels {
		return out, precondition(ReasonDigitalDisabled, "digital channels (SMS and email conversations) are not enabled for this contact center")
	}
	from, err := messaging.NormalizeAddress(ch, "from", in.From)
	if err != nil {
		return out, err
	}
	var to []string
	for _, t := range in.To {
		if a, err := messaging.NormalizeAddress(ch, "to", t); err == nil {
			to = append(to, a)
		}
	}
	err = e.write(ctx, func(ctx context.Context, w *writer) error {
		ep, err := w.EntryPoint.Query().Where(entrypoint.ChannelEQ(ch), entrypoint.AddressIn(to...), entrypoint.Active(true)).
			Order(ent.Asc(entrypoint.FieldID)).First(ctx)
		if ent.IsNotFound(err) {
			return apperr.New(apperr.NotFound, "no active %s entry point has the address %v", ch, in.To).WithField("to")
		}
		if err != nil {
			return err
		}
		if ch == enum.ChannelSMS {
			if kind, word := messaging.Keyword(in.Body); kind != "" {
				out.OptOut = kind
				return w.optOut(ctx, from, ep.ID, kind, word)
			}
		}
		if ch == enum.ChannelEmail && in.MessageID != "" {
			// A provider retrying a delivery it already made.
			dup, err := w.Message.Query().Where(message.RfcMessageID(in.MessageID), message.SenderEQ(message.SenderCustomer),
				message.HasEngagementWith(engagement.CustomerAddress(from))).First(ctx)
			if err == nil {
				out.EngagementID, out.MessageID, out.Threaded = dup.EngagementID, dup.ID, true
				return nil
			}
			if !ent.IsNotFound(err) {
				return err
			}
		}
		answered, err := e.thread(ctx, w, in.ThreadIDs, from, ep.ID)
		if err != nil {
			return err
		}
		eg := answered
		if eg == nil || eg.EndedAt != nil || eg.ClosedAt != nil {
			// Not a reply, or to a conversation that is over: the open one
			// with the sender, if any, takes it.
			if eg, err = w.activeConversation(ctx, from, ep.ID); err != nil {
				return err
			}
		}
		out.Threaded = eg != nil
		if eg == nil {
			contact := &Contact{}
			if ch == enum.ChannelSMS {
				contact.Phone = from
			} else {
				contact.Email = from
			}
			customerID, err := w.customerFor(ctx, NewEngagement{Customer: contact})
			if err != nil {
				return err
			}
			conv := conversation{channel: ch, direction: enum.DirectionInbound, address: from, ep: ep, customerID: customerID}
			if answered != nil {
				conv.previousID = answered.ID
			}
			if eg, err = w.openConversation(ctx, conv); err != nil {
				return err
			}
		}
		m, err := w.Message.Create().SetEngagementID(eg.ID).SetSender(message.SenderCustomer).SetBody(in.Body).
			SetSubject(in.Subject).SetHTML(in.HTML).SetRfcMessageID(in.MessageID).SetRefusedReason(in.Refused).Save(ctx)
		if err != nil {
			return err
		}
		if err := w.Engagement.UpdateOneID(eg.ID).AddCustomerMessages(1).Exec(ctx); err != nil {
			return err
		}
		out.EngagementID, out.MessageID = eg.ID, m.ID
		details := events.MessageRef(m.ID, m.Sender, m.Body, m.Subject)
		details.RefusedReason = m.RefusedReason
		return w.emit(ctx, events.Event{EngagementID: eg.ID, AgentID: deref(eg.AgentID), QueueID: eg.QueueID, Payload: details})
	})
	return out, err
}

// thread finds the conversation an email answers by the IDs of its
// In-Reply-To and References headers, latest first: one of our signed
// Message-IDs, or an earlier message of the same customer. A match whose
// customer is not the sender does not count. A reply to a conversation that
// is over opens a new one linked to it (O7).
func (e *Engine) thread(ctx context.Context, w *writer, ids []string, from string, epID int) (*ent.Engagement, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var ours []int
	if s := e.messaging.MessageIDs; s != nil {
		for _, id := range ids {
			if n, ok := s.Verify(id); ok {
				ours = append(ours, n)
			}
		}
	}
	ms, err := w.Message.Query().Where(message.Or(message.IDIn(ours...), message.And(message.RfcMessageIDIn(ids...),
		message.SenderEQ(message.SenderCustomer)))).WithEngagement().All(ctx)
	if err != nil {
		return nil, err
	}
	// Latest reference first, as ids are ordered.
	slices.SortStableFunc(ms, func(a, b *ent.Message) int { return b.ID - a.ID })
	for _, m := range ms {
		eg := m.Edges.Engagement
		if m.Sender == message.SenderAgent && !slices.Contains(ids, m.RfcMessageID) {
			continue // a signed ID naming a message other than the one it was made for
		}
		if eg == nil || deref(eg.CustomerAddress) != from || eg.EntryPointID != epID {
			continue
		}
		return eg, nil
	}
	return nil, nil
}

// optOut records (STOP) or lifts (START) the opt-out of address from the
// SMS entry point epID.
func (w *writer) optOut(ctx context.Context, address string, epID int, kind, word string) error {
	if kind == "START" {
		_, err := w.OptOut.Delete().Where(optout.Address(address), optout.EntryPointID(epID)).Exec(ctx)
		return err
	}
	err := w.OptOut.Create().SetAddress(address).SetEntryPointID(epID).SetKeyword(word).SetCreatedAt(w.now).
		OnConflictColumns(optout.FieldAddress, optout.FieldEntryPointID).UpdateKeyword().Exec(ctx)
	return err
}
