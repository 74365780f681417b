package graph

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/events"
)

// withText returns an event's details with a referenced message's body and
// subject read from the messages table (events.MessageRef): message.created
// names its message instead of copying its text into the event log. The
// caller may already see the event (its stream's filter and the customer
// token's scope decided that), so the text is read as the system.
func withText(ctx context.Context, client *ent.Client, d events.Details) (events.Details, error) {
	m, ok := d.(events.MessageCreatedDetails)
	if !ok || !m.Referenced() {
		return d, nil
	}
	row, err := loadMessageText(ctx, client, m.MessageID)
	if err != nil {
		return nil, err
	}
	m.Body, m.Subject = row.Body, row.Subject
	return m, nil
}

// payloadWithText is an event's payload, with a referenced message's body
// and subject added as withText adds them to its details.
func payloadWithText(ctx context.Context, client *ent.Client, e *ent.Event) (map[string]any, error) {
	if e.Topic != events.MessageCreated {
		return e.Payload, nil
	}
	d, err := events.DetailsOf(e)
	if err != nil {
		return nil, err
	}
	if m, ok := d.(events.MessageCreatedDetails); !ok || !m.Referenced() {
		return e.Payload, nil
	}
	row, err := loadMessageText(ctx, client, d.(events.MessageCreatedDetails).MessageID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(e.Payload)+2)
	for k, v := range e.Payload {
		out[k] = v
	}
	out["body"], out["subject"] = row.Body, row.Subject
	return out, nil
}

func loadMessageText(ctx context.Context, client *ent.Client, id int) (*ent.Message, error) {
	return client.Message.Query().Where(message.ID(id)).
		Select(message.FieldBody, message.FieldSubject).Only(auth.SystemContext(ctx))
}
