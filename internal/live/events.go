package live

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/event"
	"github.com/switchboard/switchboard/ent/offer"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/events"
)

// customerTopics are the events of its engagement a customer token sees:
// not rings, transfers, notes or transcript, which are the contact
// center's business.
var customerTopics = map[string]bool{
	events.EngagementStateChanged: true,
	events.MessageCreated:         true,
	// The consent question and the virtual agent's steps (P2).
	events.PostSessionChanged: true,
	// Web chat: typing, read receipts, the place in the queue.
	events.TypingChanged: true,
	events.MessageRead:   true,
	events.QueuePosition: true,
}

// AgentEvents streams the calling agent's events: those after the cursor
// first (when after is given), then live ones. The engine hears that the
// agent is connected while the stream is open.
func (s *Service) AgentEvents(ctx context.Context, after *string) (<-chan *ent.Event, error) {
	v := auth.FromContext(ctx)
	if !v.IsAgent() {
		return nil, apperr.New(apperr.Forbidden, "only agents have an event stream")
	}
	// keep runs for each event just before it is sent: the place to tell
	// the WithDelivered listener, in order.
	var keep events.Filter
	if delivered := deliveredFrom(ctx); delivered != nil {
		keep = func(e *ent.Event) (bool, error) { delivered(e); return true, nil }
	}
	return s.stream(ctx, "agentEvents", events.Key{Kind: events.Agent, ID: v.AgentID}, after, keep,
		func() { s.Presence.AgentConnected(ctx, v.AgentID) },
		func() { s.Presence.AgentDisconnected(context.WithoutCancel(ctx), v.AgentID) })
}

// EngagementEvents streams the events of one engagement, replaying those
// after the cursor first. Staff, integrations with scope ENGAGEMENTS, the
// agent who has the engagement or is being offered it, and the customer
// token of the engagement may follow it; the customer sees only state
// changes and messages, integrations no notes.
func (s *Service) EngagementEvents(ctx context.Context, id int, after *string) (<-chan *ent.Event, error) {
	keep, err := s.mayFollow(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.stream(ctx, "engagementEvents", events.Key{Kind: events.Engagement, ID: id}, after, keep, nil, nil)
}

// stream starts a subscription's goroutine: the events of key after the
// cursor from the log, then live ones, filtered by keep (nil keeps all).
// start runs once the subscription is accepted, done when its stream ends.
func (s *Service) stream(ctx context.Context, name string, key events.Key, after *string, keep events.Filter, start, done func()) (<-chan *ent.Event, error) {
	from, replay, err := events.ParseCursor(after)
	if err != nil {
		return nil, err
	}
	if err := overWebsocket(ctx); err != nil {
		return nil, err
	}
	// A transport that claims the operation delivers each event on this
	// stream's goroutine (Operation.Emit): the channel holds the one event
	// being delivered, and no other goroutine waits on it.
	op := operationFrom(ctx)
	if op != nil && !op.Claim() {
		op = nil
	}
	var out chan *ent.Event
	var sent func() error
	if op != nil {
		out = make(chan *ent.Event, 1)
		sent = func() error {
			if !op.Emit() {
				return events.ErrTooSlow
			}
			return nil
		}
	} else {
		out = make(chan *ent.Event)
	}
	if start != nil {
		start()
	}
	go func() {
		defer func() {
			close(out)
			if op != nil {
				op.Emit() // the end of the stream
			}
		}()
		if done != nil {
			defer done()
		}
		err := s.Bus.Stream(auth.SystemContext(ctx), s.Client, key, from, replay, keep, out, sent)
		s.finish(ctx, name, err)
	}()
	return out, nil
}

// ownershipTopics are the events after which an agent's right to follow an
// engagement is checked again: it may have been transferred away, or its
// ring may have ended.
var ownershipTopics = map[string]bool{
	events.EngagementStateChanged: true,
	events.EngagementAssigned:     true,
	events.TransferChanged:        true,
	events.OfferEnded:             true,
}

// ReasonAccessLost is the reason of the FORBIDDEN error that ends an
// engagementEvents stream whose agent no longer has the engagement (it was
// transferred away, or its ring ended).
const ReasonAccessLost = "ACCESS_LOST"

// errClosed ends a customer's stream after the engagement's CLOSED state
// change: there is nothing more for the customer to hear.
var errClosed = errors.New("the engagement is closed")

// mayFollow authorizes EngagementEvents and returns the filter of what the
// viewer sees and when its stream ends (nil: everything, for ever).
func (s *Service) mayFollow(ctx context.Context, id int) (events.Filter, error) {
	v := auth.FromContext(ctx)
	switch {
	case v == nil:
		return nil, apperr.New(apperr.Unauthenticated, "authentication required")
	case v.IsCustomer():
		if v.EngagementID != id {
			return nil, errHidden // as if it did not exist: no existence oracle
		}
		return customerFilter, nil
	case v.APIKeyID != 0 && !v.HasScope(enum.ScopeEngagements):
		return nil, apperr.New(apperr.Forbidden, "this API key lacks scope ENGAGEMENTS")
	case !v.Staff() && !v.IsAgent() && v.APIKeyID == 0:
		return nil, apperr.New(apperr.Forbidden, "not allowed to follow this engagement")
	}
	e, err := s.Client.Engagement.Query().Where(engagement.ID(id)).
		Select(engagement.FieldAgentID).Only(auth.SystemContext(ctx))
	if err != nil {
		return nil, err // NOT_FOUND when it does not exist
	}
	switch {
	case v.Staff():
		return nil, nil
	case v.APIKeyID != 0:
		return func(e *ent.Event) (bool, error) { return e.Topic != events.NoteAdded, nil }, nil
	}
	if has, err := s.agentHas(ctx, v.AgentID, e); err != nil || !has {
		return nil, cmp.Or(err, errHidden)
	}
	// The agent follows while it has the engagement or is offered it.
	return func(ev *ent.Event) (bool, error) {
		if !ownershipTopics[ev.Topic] {
			return true, nil
		}
		e, err := s.Client.Engagement.Query().Where(engagement.ID(id)).
			Select(engagement.FieldAgentID).Only(auth.SystemContext(ctx))
		if err != nil {
			return false, err
		}
		if has, err := s.agentHas(ctx, v.AgentID, e); err != nil || !has {
			return false, cmp.Or(err, errAccessLost)
		}
		return true, nil
	}, nil
}

// customerFilter passes the customer's topics and ends the stream with the
// engagement's CLOSED state change.
func customerFilter(e *ent.Event) (bool, error) {
	// The hand-over to the virtual agent carries the data parameters,
	// which are the contact center's business.
	if !customerTopics[e.Topic] || (e.Topic == events.PostSessionChanged && e.Payload["parameters"] != nil) {
		return false, nil
	}
	if e.Topic == events.EngagementStateChanged && e.Payload["to"] == string(engagement.StateClosed) {
		return true, errClosed
	}
	return true, nil
}

// errHidden refuses to follow an engagement the caller may not see, with
// the answer of one that does not exist.
var errHidden error = apperr.New(apperr.NotFound, "not found")

// errAccessLost ends an agent's stream of an engagement it no longer has.
var errAccessLost error = apperr.New(apperr.Forbidden, "this engagement is no longer yours or offered to you").WithReason(ReasonAccessLost)

// agentHas reports whether the agent has the engagement or is offered it.
func (s *Service) agentHas(ctx context.Context, agentID int, e *ent.Engagement) (bool, error) {
	if e.AgentID != nil && *e.AgentID == agentID {
		return true, nil
	}
	return s.Client.Offer.Query().
		Where(offer.EngagementID(e.ID), offer.AgentID(agentID), offer.StateEQ(offer.StatePending)).
		Exist(auth.SystemContext(ctx))
}

// EngagementOf loads the engagement an event belongs to, as the viewer may
// see it: nil when it has none or the viewer may not see it.
func (s *Service) EngagementOf(ctx context.Context, e *ent.Event) (*ent.Engagement, error) {
	if e.EngagementID == nil {
		return nil, nil
	}
	en, err := s.Client.Engagement.Get(ctx, *e.EngagementID)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return en, err
}

// historyPage is how many events History returns when first is not given.
const historyPage = 100

// History returns the events of an engagement the viewer can see, oldest
// first: the first events after the cursor. Customers see what their
// stream shows, integrations no notes (as EngagementEvents).
func (s *Service) History(ctx context.Context, engagementID int, first *int, after *string) ([]*ent.Event, error) {
	from, _, err := events.ParseCursor(after)
	if err != nil {
		return nil, err
	}
	n := historyPage
	if first != nil {
		if *first < 0 {
			return nil, apperr.Invalid("first", "must not be negative")
		}
		n = *first
	}
	q := s.Client.Event.Query().Where(event.EngagementID(engagementID), event.IDGT(from)).Order(ent.Asc(event.FieldID))
	switch v := auth.FromContext(ctx); {
	case v.IsCustomer():
		q.Where(event.TopicIn(slices.Collect(maps.Keys(customerTopics))...))
	case v != nil && v.APIKeyID != 0:
		q.Where(event.TopicNEQ(events.NoteAdded))
	}
	return q.Limit(n).All(auth.SystemContext(ctx))
}
