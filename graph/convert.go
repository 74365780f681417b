package graph

import (
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/graph/model"
	"github.com/switchboard/switchboard/internal/engine"
)

// newEngagement maps the API input onto the engine's request.
func newEngagement(in model.CreateEngagementInput) engine.NewEngagement {
	out := engine.NewEngagement{
		Channel:        in.Channel,
		EntryPointID:   deref(in.EntryPointID),
		QueueID:        deref(in.QueueID),
		CustomerID:     deref(in.CustomerID),
		SessionType:    deref(in.SessionType),
		FlowVariables:  in.FlowVariables,
		BotSummary:     deref(in.BotSummary),
		Language:       deref(in.Language),
		MenuPath:       deref(in.MenuPath),
		IdempotencyKey: deref(in.IdempotencyKey),
	}
	if c := in.Customer; c != nil {
		out.Customer = &engine.Contact{Name: deref(c.Name), Phone: deref(c.Phone), Email: deref(c.Email)}
	}
	return out
}

func engineSegments(in []*model.TranscriptSegmentInput) []engine.Segment {
	out := make([]engine.Segment, len(in))
	for i, s := range in {
		out[i] = engine.Segment{Speaker: s.Speaker, Text: s.Text, OffsetMs: int64(deref(s.OffsetMs))}
	}
	return out
}

func transferTargets(qs []engine.QueueAvailability, as []engine.AgentAvailability) *model.TransferTargets {
	out := &model.TransferTargets{Queues: []*model.QueueAvailability{}, Agents: []*model.AgentAvailability{}}
	for _, q := range qs {
		out.Queues = append(out.Queues, &model.QueueAvailability{Queue: q.Queue, Waiting: q.Waiting, AgentsAvailable: q.AgentsAvailable})
	}
	for _, a := range as {
		out.Agents = append(out.Agents, &model.AgentAvailability{AgentID: a.ID, Name: a.Name, State: a.State, CanTake: a.CanTake})
	}
	return out
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// eventActor shows who caused an event.
func eventActor(e *ent.Event) *model.EventActor {
	a := &model.EventActor{Kind: e.ActorKind, AgentID: e.ActorID, APIKeyID: e.ActorAPIKeyID, CustomerID: e.ActorCustomerID}
	if e.ActorReason != "" {
		a.Reason = &e.ActorReason
	}
	return a
}

// messageText maps a message's content onto the engine's.
func messageText(body, subject *string, templateID *int, variables map[string]any) engine.Text {
	return engine.Text{Body: deref(body), Subject: deref(subject), TemplateID: deref(templateID), Variables: variables}
}

// outbound maps startOutbound's input onto the engine's request.
func outbound(in model.StartOutboundInput) engine.Outbound {
	return engine.Outbound{Channel: in.Channel, To: in.To, EntryPointID: deref(in.EntryPointID),
		Text:         messageText(in.Body, in.Subject, in.TemplateID, in.Variables),
		CustomerName: deref(in.CustomerName), IdempotencyKey: deref(in.IdempotencyKey)}
}
