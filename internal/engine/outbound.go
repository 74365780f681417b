package engine

import (
	"context"
	"regexp"
	"strings"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/entrypoint"
	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/ent/optout"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/admin"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/lifecycle"
	"github.com/switchboard/switchboard/internal/messaging"
	"github.com/switchboard/switchboard/internal/routing"
	"github.com/switchboard/switchboard/internal/store"
)

// Messaging configures SMS and email conversations.
type Messaging struct {
	// DigitalChannels says the center has SMS and email conversations
	// enabled; without it no agent may start one (O1).
	DigitalChannels bool
	// MessageIDs signs the Message-IDs of outgoing email.
	MessageIDs *messaging.MessageIDs
}

// Reasons of refused outbound conversations and messages (O1–O6).
const (
	ReasonPremiumRequired     = "PREMIUM_LICENSE_REQUIRED"
	ReasonDigitalDisabled     = "DIGITAL_CHANNELS_DISABLED"
	ReasonChannelNotInProfile = "CHANNEL_NOT_IN_PROFILE"
	ReasonNoEntryPoint        = "NO_ENTRY_POINT"
	ReasonActiveConversation  = "ACTIVE_CONVERSATION_EXISTS"
	ReasonOutboundLimit       = "OUTBOUND_LIMIT_REACHED"
	ReasonOptedOut            = "OPTED_OUT"
	ReasonSubjectUsed         = "SUBJECT_ALREADY_USED"
)

// Outbound is what an agent gives to start a conversation.
type Outbound struct {
	Channel        enum.Channel
	To             string
	EntryPointID   int
	Text           Text
	CustomerName   string
	IdempotencyKey string
}

// Text is a message's content: a body, or a template with its variables.
type Text struct {
	Body       string
	Subject    string
	TemplateID int
	Variables  map[string]any
}

// StartOutbound starts an SMS or email conversation for the caller (O1–O5):
// the engagement is CONNECTED to the caller at once, and its first message
// is queued for delivery in the same transaction.
func (e *Engine) StartOutbound(ctx context.Context, in Outbound) (*ent.Engagement, *ent.Message, error) {
	me := viewer(ctx).AgentID
	if in.Channel != enum.ChannelSMS && in.Channel != enum.ChannelEmail {
		return nil, nil, apperr.Invalid("channel", "outbound conversations are SMS or EMAIL, not %s", in.Channel)
	}
	to, err := messaging.NormalizeAddress(in.Channel, "to", in.To)
	if err != nil {
		return nil, nil, err
	}
	var eg *ent.Engagement
	var msg *ent.Message
	err = e.write(ctx, func(ctx context.Context, w *writer) error {
		if in.IdempotencyKey != "" {
			prev, err := w.Engagement.Query().Where(engagement.IdempotencyKey(in.IdempotencyKey)).Only(ctx)
			if err == nil {
				if prev.Direction != enum.DirectionOutbound {
					return apperr.New(apperr.Conflict, "idempotency key %q was used for another engagement", in.IdempotencyKey)
				}
				eg = prev
				msg, err = w.Message.Query().Where(message.EngagementID(prev.ID)).Order(ent.Asc(message.FieldID)).First(ctx)
				return err
			}
			if !ent.IsNotFound(err) {
				return err
			}
		}
		// The input first: a malformed request is refused as such.
		body, subject, err := w.compose(ctx, in.Channel, in.Text)
		if err != nil {
			return err
		}
		if in.Channel == enum.ChannelEmail && subject == "" {
			return apperr.Invalid("subject", "an email needs a subject")
		}
		a, err := w.Agent.Query().Where(agent.ID(me)).WithCapacityProfile().Only(ctx)
		if err != nil {
			return err
		}
		if err := e.mayStart(ctx, w, a, in.Channel); err != nil {
			return err
		}
		ep, err := w.outboundEntryPoint(ctx, in.Channel, in.EntryPointID)
		if err != nil {
			return err
		}
		if err := w.checkOptOut(ctx, in.Channel, to, ep.ID); err != nil {
			return err
		}
		active, err := w.activeConversation(ctx, to, ep.ID)
		if err != nil {
			return err
		}
		if active != nil {
			return apperr.New(apperr.Conflict, "engagement %d is already an active conversation with %s from %s", active.ID, to, ep.Address).
				WithReason(ReasonActiveConversation).WithField("to")
		}
		if err := w.checkOutboundLimit(ctx, a); err != nil {
			return err
		}
		if err := w.needCapacity(ctx, a, in.Channel); err != nil {
			return err
		}
		contact := &Contact{Name: in.CustomerName}
		if in.Channel == enum.ChannelSMS {
			contact.Phone = to
		} else {
			contact.Email = to
		}
		customerID, err := w.customerFor(ctx, NewEngagement{Customer: contact})
		if err != nil {
			return err
		}
		if in.Channel == enum.ChannelEmail {
			if err := w.checkSubject(ctx, customerID, 0, subject); err != nil {
				return err
			}
		}
		if eg, err = w.openConversation(ctx, conversation{channel: in.Channel, direction: enum.DirectionOutbound, address: to, ep: ep,
			customerID: customerID, agent: a, idempotencyKey: in.IdempotencyKey}); err != nil {
			return err
		}
		msg, err = w.agentMessage(ctx, e, eg, ep, me, body, subject)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return store.Unwrap(eg), store.Unwrap(msg), nil
}

// mayStart checks who may start an outbound conversation (O1, O2).
func (e *Engine) mayStart(ctx context.Context, w *writer, a *ent.Agent, ch enum.Channel) error {
	if a.License != agent.LicensePremium {
		return apperr.New(apperr.Forbidden, "outbound conversations need a PREMIUM license; %s has %s", a.Name, a.License).WithReason(ReasonPremiumRequired)
	}
	if !e.messaging.DigitalChannels {
		return precondition(ReasonDigitalDisabled, "digital channels (SMS and email conversations) are not enabled for this contact center")
	}
	if routing.Capacity(a.Edges.CapacityProfile)[ch.Index()] == 0 {
		return precondition(ReasonChannelNotInProfile, "the capacity profile of %s does not cover %s", a.Name, ch)
	}
	if a.State == agent.StateOffline {
		return precondition(ReasonNotAvailable, "%s is OFFLINE; become AVAILABLE or NOT_READY first", a.Name)
	}
	return nil
}

// outboundEntryPoint resolves the "from" of an outbound conversation (O3):
// the given entry point, or the only active one of the channel.
func (w *writer) outboundEntryPoint(ctx context.Context, ch enum.Channel, id int) (*ent.EntryPoint, error) {
	if id != 0 {
		ep, err := w.EntryPoint.Get(ctx, id)
		if ent.IsNotFound(err) {
			return nil, apperr.New(apperr.NotFound, "entry point %d does not exist", id).WithField("entryPointID")
		}
		if err != nil {
			return nil, err
		}
		if ep.Channel != ch {
			return nil, apperr.Invalid("entryPointID", "entry point %q is for %s, not %s", ep.Name, ep.Channel, ch)
		}
		if !ep.Active {
			return nil, precondition(ReasonNoEntryPoint, "entry point %q is deactivated", ep.Name)
		}
		return ep, nil
	}
	eps, err := w.EntryPoint.Query().Where(entrypoint.ChannelEQ(ch), entrypoint.Active(true)).Limit(2).All(ctx)
	if err != nil {
		return nil, err
	}
	switch len(eps) {
	case 0:
		return nil, precondition(ReasonNoEntryPoint, "no %s entry point is configured to send from", ch)
	case 1:
		return eps[0], nil
	}
	return nil, apperr.Invalid("entryPointID", "several %s entry points exist; choose the one to send from", ch)
}

// checkOptOut refuses an SMS to a number that opted out of the entry point.
func (w *writer) checkOptOut(ctx context.Context, ch enum.Channel, address string, epID int) error {
	if ch != enum.ChannelSMS {
		return nil
	}
	out, err := w.OptOut.Query().Where(optout.Address(address), optout.EntryPointID(epID)).Exist(ctx)
	if err != nil {
		return err
	}
	if out {
		return precondition(ReasonOptedOut, "%s opted out of messages from this number (STOP); they must send START first", address)
	}
	return nil
}

// activeConversation returns the open conversation with address through
// entry point epID, or nil (O4).
func (w *writer) activeConversation(ctx context.Context, address string, epID int) (*ent.Engagement, error) {
	eg, err := w.Engagement.Query().Where(engagement.CustomerAddress(address), engagement.EntryPointID(epID),
		engagement.EndedAtIsNil(), engagement.ClosedAtIsNil()).First(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return eg, err
}

// checkOutboundLimit refuses an agent holding its profile's maximum of open
// outbound engagements (O4).
func (w *writer) checkOutboundLimit(ctx context.Context, a *ent.Agent) error {
	limit := 2
	if p := a.Edges.CapacityProfile; p != nil {
		limit = p.OutboundMax
	}
	n, err := w.Engagement.Query().Where(engagement.AgentID(a.ID), engagement.DirectionEQ(enum.DirectionOutbound),
		engagement.StateIn(lifecycle.WithAgent...)).Count(ctx)
	if err != nil {
		return err
	}
	if n >= limit {
		return precondition(ReasonOutboundLimit, "%s holds %d outbound conversations, the most its capacity profile allows (%d)", a.Name, n, limit)
	}
	return nil
}

// compose returns the body and subject of a message: given, or rendered
// from a template of the channel.
func (w *writer) compose(ctx context.Context, ch enum.Channel, t Text) (string, string, error) {
	if t.Subject != "" && ch != enum.ChannelEmail {
		return "", "", apperr.Invalid("subject", "only EMAIL messages have a subject")
	}
	if t.TemplateID == 0 {
		if len(t.Variables) > 0 {
			return "", "", apperr.Invalid("variables", "variables fill a template; give templateID")
		}
		if strings.TrimSpace(t.Body) == "" {
			return "", "", apperr.Invalid("body", "a message needs a body or a template")
		}
		return t.Body, strings.TrimSpace(t.Subject), nil
	}
	if t.Body != "" {
		return "", "", apperr.Invalid("body", "give either a body or a template, not both")
	}
	tmpl, err := w.Template.Get(ctx, t.TemplateID)
	if ent.IsNotFound(err) {
		return "", "", apperr.New(apperr.NotFound, "template %d does not exist", t.TemplateID).WithField("templateID")
	}
	if err != nil {
		return "", "", err
	}
	if !tmpl.Active {
		return "", "", apperr.Invalid("templateID", "template %q is deactivated", tmpl.Name)
	}
	if tmpl.Channel != ch {
		return "", "", apperr.Invalid("templateID", "template %q is for %s, not %s", tmpl.Name, tmpl.Channel, ch)
	}
	body, err := messaging.RenderTemplate(tmpl.Body, tmpl.Variables, t.Variables)
	if err != nil {
		return "", "", err
	}
	subject := strings.TrimSpace(t.Subject)
	if subject == "" {
		if subject, err = messaging.RenderTemplate(tmpl.Subject, tmpl.Variables, t.Variables); err != nil {
			return "", "", err
		}
	}
	return body, strings.TrimSpace(subject), nil
}

// replyPrefix matches the reply and forward markers mail clients put
// before a subject, in several languages.
var replyPrefix = regexp.MustCompile(`(?i)^\s*((re|fw|fwd|aw|wg|sv|vs|antw|r)\s*(\[\d+\])?\s*:\s*)+`)

// normalSubject is a subject as O6 compares them: without reply markers,
// case or repeated spaces.
func normalSubject(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(replyPrefix.ReplaceAllString(s, ""))), " ")
}

// checkSubject refuses a subject used in an earlier email conversation
// with the customer, other than except (O6).
func (w *writer) checkSubject(ctx context.Context, customerID, except int, subject string) error {
	want := normalSubject(subject)
	used, err := w.Message.Query().Where(message.SubjectNEQ(""), message.HasEngagementWith(
		engagement.CustomerID(customerID), engagement.ChannelEQ(enum.ChannelEmail), engagement.IDNEQ(except))).
		Select(message.FieldSubject, message.FieldEngagementID).All(ctx)
	if err != nil {
		return err
	}
	for _, m := range used {
		if normalSubject(m.Subject) == want {
			return apperr.New(apperr.PreconditionFailed, "the subject %q was used in an earlier conversation with this customer (engagement %d); choose a new one",
				subject, m.EngagementID).WithReason(ReasonSubjectUsed).WithField("subject")
		}
	}
	return nil
}

// conversation is a new SMS or email engagement.
type conversation struct {
	channel        enum.Channel
	direction      enum.Direction
	address        string
	ep             *ent.EntryPoint
	customerID     int
	agent          *ent.Agent // outbound: the agent who has it at once
	idempotencyKey string
	// previousID is the conversation this one continues; by default the
	// last one with the address through the entry point.
	previousID int
}

// openConversation creates an SMS or email engagement linked to the last
// conversation with the same address and entry point (O7). An outbound one
// is CONNECTED to its agent (auto-accepted, O5); an inbound one is queued
// and assigned by the dispatcher (R6).
func (w *writer) openConversation(ctx context.Context, c conversation) (*ent.Engagement, error) {
	q, err := leafQueue(ctx, w.Client(), c.ep.DefaultQueueID, c.channel)
	if err != nil {
		return nil, err
	}
	menu, err := admin.MenuPath(ctx, w.Client(), q)
	if err != nil {
		return nil, err
	}
	st := enum.SessionInboundSMS
	switch {
	case c.direction == enum.DirectionOutbound && c.channel == enum.ChannelSMS:
		st = enum.SessionOutboundSMS
	case c.direction == enum.DirectionOutbound:
		st = enum.SessionOutboundEmail
	case c.channel == enum.ChannelEmail:
		st = enum.SessionInboundEmail
	}
	create := w.Engagement.Create().SetChannel(c.channel).SetDirection(c.direction).SetQueueID(q.ID).SetPriority(q.Priority).
		SetEntryPointID(c.ep.ID).SetCustomerID(c.customerID).SetCustomerAddress(c.address).SetSessionType(st).SetMenuPath(menu).SetCreatedAt(w.now)
	if c.previousID != 0 {
		create.SetPreviousID(c.previousID)
	} else {
		prev, err := w.Engagement.Query().Where(engagement.CustomerAddress(c.address), engagement.EntryPointID(c.ep.ID)).
			Order(ent.Desc(engagement.FieldID)).First(ctx)
		switch {
		case err == nil:
			create.SetPreviousID(prev.ID)
		case !ent.IsNotFound(err):
			return nil, err
		}
	}
	if c.idempotencyKey != "" {
		create.SetIdempotencyKey(c.idempotencyKey)
	}
	if c.agent != nil {
		create.SetState(engagement.StateConnected).SetAgentID(c.agent.ID).SetConnectedAt(w.now).SetTimerStartedAt(w.now)
		if err := w.touchAgent(ctx, c.agent.ID, c.agent.Version, nil); err != nil {
			return nil, err
		}
	} else {
		create.SetQueuedAt(w.now)
	}
	eg, err := create.Save(ctx)
	if err != nil {
		return nil, err
	}
	if err := w.emit(ctx, events.Event{EngagementID: eg.ID, QueueID: q.ID,
		Payload: events.EngagementCreatedDetails{Channel: eg.Channel, State: eg.State, Direction: eg.Direction}}); err != nil {
		return nil, err
	}
	if c.agent != nil {
		return eg, w.emitAssigned(ctx, eg)
	}
	return eg, nil
}

// agentMessage stores an agent's message on an SMS or email engagement and
// queues its delivery in the same transaction (the outbox): the worker
// sends it after the commit, so a crash in between loses nothing.
func (w *writer) agentMessage(ctx context.Context, e *Engine, eg *ent.Engagement, ep *ent.EntryPoint, agentID int, body, subject string) (*ent.Message, error) {
	m, err := w.Message.Create().SetEngagementID(eg.ID).SetSender(message.SenderAgent).SetAgentID(agentID).
		SetBody(body).SetSubject(subject).Save(ctx)
	if err != nil {
		return nil, err
	}
	var d *ent.Delivery
	if eg.CustomerAddress != nil && ep != nil && ep.Address != "" {
		if eg.Channel == enum.ChannelEmail && e.messaging.MessageIDs != nil {
			if m, err = m.Update().SetRfcMessageID(e.messaging.MessageIDs.For(m.ID, ep.Address)).Save(ctx); err != nil {
				return nil, err
			}
		}
		d, err = w.Delivery.Create().SetMessageID(m.ID).SetChannel(eg.Channel).SetFromAddress(ep.Address).
			SetToAddress(*eg.CustomerAddress).SetNextAttemptAt(w.now).Save(ctx)
		if err != nil {
			return nil, err
		}
	}
	details := events.MessageRef(m.ID, m.Sender, body, subject)
	if d != nil {
		details.DeliveryID = &d.ID
	}
	if err := w.emit(ctx, events.Event{EngagementID: eg.ID, AgentID: deref(eg.AgentID), Payload: details}); err != nil {
		return nil, err
	}
	if d != nil {
		if err := messaging.AppendDeliveryEvent(ctx, w.Tx, d, w.now); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// agentReply is an agent's message on an engagement it holds: composed
// (template), refused to an opted-out number, with an email reply keeping
// the conversation's subject, and queued for delivery when the engagement
// has a customer address.
func (w *writer) agentReply(ctx context.Context, e *Engine, eg *ent.Engagement, agentID int, t Text) (*ent.Message, error) {
	body, subject, err := w.compose(ctx, eg.Channel, t)
	if err != nil {
		return nil, err
	}
	var ep *ent.EntryPoint
	if eg.EntryPointID != 0 {
		if ep, err = w.EntryPoint.Get(ctx, eg.EntryPointID); err != nil {
			return nil, err
		}
		if eg.CustomerAddress != nil {
			if err := w.checkOptOut(ctx, eg.Channel, *eg.CustomerAddress, ep.ID); err != nil {
				return nil, err
			}
		}
	}
	if eg.Channel == enum.ChannelEmail {
		last, err := w.Message.Query().Where(message.EngagementID(eg.ID), message.SubjectNEQ("")).
			Order(ent.Desc(message.FieldID)).First(ctx)
		switch {
		case err == nil && subject == "":
			subject = last.Subject
			if !replyPrefix.MatchString(subject) {
				subject = "Re: " + subject
			}
		case err == nil && normalSubject(subject) != normalSubject(last.Subject) && eg.CustomerID != 0:
			if err := w.checkSubject(ctx, eg.CustomerID, eg.ID, subject); err != nil {
				return nil, err
			}
		case err != nil && !ent.IsNotFound(err):
			return nil, err
		}
	}
	return w.agentMessage(ctx, e, eg, ep, agentID, body, subject)
}
