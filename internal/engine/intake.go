package engine

import (
	"context"
	"slices"
	"strings"

	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqljson"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/customer"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/event"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/ent/transcriptsegment"
	"github.com/switchboard/switchboard/internal/admin"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/lifecycle"
	"github.com/switchboard/switchboard/internal/store"
)

// Contact finds or creates a customer by phone or email.
type Contact struct {
	Name, Phone, Email string
}

// NewEngagement is what an integration says about a new contact.
type NewEngagement struct {
	Channel        enum.Channel
	EntryPointID   int
	QueueID        int
	CustomerID     int
	Customer       *Contact
	SessionType    enum.SessionType
	FlowVariables  map[string]any
	BotSummary     string
	Language       string
	MenuPath       string
	IdempotencyKey string
	// ByCustomer: the customer opened it (web chat's startChat): the event
	// log names the customer as its actor.
	ByCustomer bool
	// FirstMessage, when set, is the customer's first message, added in
	// the same transaction (web chat's offline form).
	FirstMessage string
	// known is the customer found by contact before the transaction.
	known knownCustomer
}

// knownCustomer is a customer found by phone or email on the reader pool
// before the write transaction: the scan of the customers' contact lists
// (about 120 µs) then no longer holds the single writer, and the
// transaction only checks the row by its id (customerFor).
type knownCustomer struct {
	id           int
	field, value string
}

// defaultSessionType is the session type of an inbound engagement that
// names none.
var defaultSessionType = map[enum.Channel]enum.SessionType{
	enum.ChannelVoice: enum.SessionIVRCall,
	enum.ChannelVideo: enum.SessionInboundCallWeb,
	enum.ChannelChat:  enum.SessionInboundWebChat,
	enum.ChannelSMS:   enum.SessionInboundSMS,
	enum.ChannelEmail: enum.SessionInboundEmail,
}

// CreateEngagement queues a new inbound engagement. It returns the customer
// token, empty when an idempotency key returned an earlier engagement.
func (e *Engine) CreateEngagement(ctx context.Context, in NewEngagement) (*ent.Engagement, string, error) {
	var out *ent.Engagement
	var token string
	if in.CustomerID == 0 && in.Customer != nil {
		phone, email := contactOf(in.Customer)
		known, err := lookupCustomer(auth.SystemContext(ctx), e.client.Customer.Query, phone, email)
		if err != nil {
			return nil, "", err
		}
		// Found by email although a phone was given: a customer with that
		// phone may be created before the transaction, and it comes first.
		if known.field == customer.FieldPhones || phone == "" {
			in.known = known
		}
	}
	err := e.write(ctx, func(ctx context.Context, w *writer) error {
		if in.IdempotencyKey != "" {
			prev, err := w.Engagement.Query().Where(engagement.IdempotencyKey(in.IdempotencyKey)).Only(ctx)
			if err == nil {
				if prev.Channel != in.Channel {
					return apperr.New(apperr.Conflict, "idempotency key %q was used for a %s engagement", in.IdempotencyKey, prev.Channel)
				}
				out = prev
				return nil
			}
			if !ent.IsNotFound(err) {
				return err
			}
		}
		q, err := w.targetQueue(ctx, in)
		if err != nil {
			return err
		}
		customerID, err := w.customerFor(ctx, in)
		if err != nil {
			return err
		}
		if in.ByCustomer {
			w.actor = events.Actor{Kind: event.ActorKindCUSTOMER, CustomerID: customerID}
		}
		menu := in.MenuPath
		if menu == "" {
			if menu, err = admin.MenuPath(ctx, w.Client(), q); err != nil {
				return err
			}
		}
		st := in.SessionType
		if st == "" {
			st = defaultSessionType[in.Channel]
		}
		c := w.Engagement.Create().SetChannel(in.Channel).SetQueueID(q.ID).SetPriority(q.Priority).
			SetQueuedAt(w.now).SetSessionType(st).SetFlowVariables(in.FlowVariables).SetBotSummary(in.BotSummary).
			SetLanguage(in.Language).SetMenuPath(menu).SetCustomerID(customerID).SetCreatedAt(w.now)
		if in.EntryPointID != 0 {
			c.SetEntryPointID(in.EntryPointID)
		}
		if in.IdempotencyKey != "" {
			c.SetIdempotencyKey(in.IdempotencyKey)
		}
		if out, err = c.Save(ctx); err != nil {
			return err
		}
		// The token names the engagement, so it exists only after the insert.
		var hash string
		token, hash = auth.NewCustomerToken(out.ID)
		// Written without reading the row back (its updated_at kept): out is
		// the row with the hash.
		if err = w.Engagement.Update().Where(engagement.ID(out.ID)).SetCustomerTokenHash(hash).SetUpdatedAt(out.UpdatedAt).Exec(ctx); err != nil {
			return err
		}
		out.CustomerTokenHash = hash
		if err := w.emit(ctx, events.Event{EngagementID: out.ID, QueueID: q.ID,
			Payload: events.EngagementCreatedDetails{Channel: in.Channel, State: out.State}}); err != nil {
			return err
		}
		if in.FirstMessage != "" {
			_, err = w.customerMessage(ctx, out.ID, in.FirstMessage, "", 0)
		}
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return store.Unwrap(out), token, nil
}

// targetQueue resolves the leaf queue of a new engagement.
func (w *writer) targetQueue(ctx context.Context, in NewEngagement) (*ent.Queue, error) {
	queueID := in.QueueID
	if in.EntryPointID != 0 {
		ep, err := w.EntryPoint.Get(ctx, in.EntryPointID)
		if ent.IsNotFound(err) {
			return nil, apperr.New(apperr.NotFound, "entry point %d does not exist", in.EntryPointID).WithField("entryPointID")
		}
		if err != nil {
			return nil, err
		}
		if !ep.Active {
			return nil, precondition(ReasonNotAvailable, "entry point %q is deactivated", ep.Name)
		}
		if ep.Channel != in.Channel && !(ep.Channel == enum.ChannelVoice && in.Channel == enum.ChannelVideo) {
			return nil, apperr.Invalid("entryPointID", "entry point %q is for %s, not %s", ep.Name, ep.Channel, in.Channel)
		}
		if queueID == 0 {
			queueID = ep.DefaultQueueID
		}
	}
	if queueID == 0 {
		return nil, apperr.Invalid("queueID", "give an entry point or a leaf queue")
	}
	cq, err := w.cachedQueue(ctx, queueID)
	if err != nil {
		return nil, leafQueueError(queueID, err)
	}
	return cq.q, checkLeafQueue(cq.q, cq.leaf, in.Channel)
}

// customerFor returns the customer of a new engagement: the given one, one
// found by phone or email, or a new one.
func (w *writer) customerFor(ctx context.Context, in NewEngagement) (int, error) {
	if in.CustomerID != 0 {
		if _, err := w.Customer.Get(ctx, in.CustomerID); err != nil {
			if ent.IsNotFound(err) {
				return 0, apperr.New(apperr.NotFound, "customer %d does not exist", in.CustomerID).WithField("customerID")
			}
			return 0, err
		}
		return in.CustomerID, nil
	}
	c := in.Customer
	if c == nil {
		c = &Contact{}
	}
	phone, email := contactOf(c)
	if k := in.known; k.id != 0 {
		// Found before the transaction: still there with that contact?
		row, err := w.Customer.Get(ctx, k.id)
		if err != nil && !ent.IsNotFound(err) {
			return 0, err
		}
		if err == nil && ((k.field == customer.FieldPhones && slices.Contains(row.Phones, k.value)) ||
			(k.field == customer.FieldEmails && slices.Contains(row.Emails, k.value))) {
			return k.id, nil
		}
	}
	known, err := lookupCustomer(ctx, w.Customer.Query, phone, email)
	if err != nil || known.id != 0 {
		return known.id, err
	}
	create := w.Customer.Create().SetName(strings.TrimSpace(c.Name))
	if phone != "" {
		create.SetPhones([]string{phone})
	}
	if email != "" {
		create.SetEmails([]string{email})
	}
	n, err := create.Save(ctx)
	if err != nil {
		return 0, err
	}
	return n.ID, nil
}

// contactOf returns a contact's phone and email as customers keep them.
func contactOf(c *Contact) (phone, email string) {
	return strings.TrimSpace(c.Phone), strings.ToLower(strings.TrimSpace(c.Email))
}

// lookupCustomer finds the customer with the phone number (the first
// customer that has it), else with the email address; a zero id when none
// has either.
func lookupCustomer(ctx context.Context, query func() *ent.CustomerQuery, phone, email string) (knownCustomer, error) {
	for _, known := range []knownCustomer{{field: customer.FieldPhones, value: phone}, {field: customer.FieldEmails, value: email}} {
		if known.value == "" {
			continue
		}
		found, err := query().Where(func(s *sql.Selector) {
			s.Where(sqljson.ValueContains(known.field, known.value))
		}).Order(ent.Asc(customer.FieldID)).Select(customer.FieldID).First(ctx)
		if err == nil {
			known.id = found.ID
			return known, nil
		}
		if !ent.IsNotFound(err) {
			return knownCustomer{}, err
		}
	}
	return knownCustomer{}, nil
}

// PostMessage adds a message to an engagement: from its agent, or from the
// customer side (integration or customer token). An agent's SMS or email
// message is queued for delivery to the customer (outbound.go).
func (e *Engine) PostMessage(ctx context.Context, id int, t Text) (*ent.Message, error) {
	v := viewer(ctx)
	if t.TemplateID == 0 && strings.TrimSpace(t.Body) == "" {
		return nil, apperr.Invalid("body", "a message needs a body")
	}
	var out *ent.Message
	err := e.write(ctx, func(ctx context.Context, w *writer) error {
		eg, err := w.Engagement.Get(ctx, id)
		if err != nil {
			return err
		}
		if eg.Channel.Call() {
			return apperr.Invalid("engagementID", "%s engagements carry no messages; use appendTranscript", eg.Channel)
		}
		if t.Subject != "" && eg.Channel != enum.ChannelEmail {
			return apperr.Invalid("subject", "only EMAIL messages have a subject")
		}
		switch {
		case v.AgentID != 0 && deref(eg.AgentID) == v.AgentID:
			if eg.State != engagement.StateConnected && eg.State != engagement.StateTransferring {
				return illegal("engagement %d is %s; messages are sent while CONNECTED", id, eg.State)
			}
			out, err = w.agentReply(ctx, e, eg, v.AgentID, t)
			return err
		case v.HasScope(enum.ScopeVirtualAgent):
			out, err = w.postMessageAsVirtualAgent(ctx, v, id, t.Body)
			return err
		case v.HasScope(enum.ScopeEngagements) || v.EngagementID == id:
			withBot := eg.State == engagement.StatePostSession
			if withBot && deref(eg.PostSessionStatus) != engagement.PostSessionStatusTaken {
				return precondition(ReasonNotPostSession, "engagement %d waits for its virtual agent", id)
			}
			if !withBot && (lifecycle.Is(eg.State, lifecycle.Terminal) || eg.CustomerLeft) {
				return illegal("engagement %d has ended", id)
			}
			if t.TemplateID != 0 {
				return apperr.Invalid("templateID", "templates are for agents' messages")
			}
			to := deref(eg.AgentID)
			if withBot {
				to = 0 // the human part is over: the answers are the virtual agent's
			}
			out, err = w.customerMessage(ctx, id, t.Body, t.Subject, to)
			return err
		default:
			return apperr.New(apperr.Forbidden, "engagement %d is not yours", id).WithReason(ReasonNotOwner)
		}
	})
	return unwrapped(out, err)
}

// customerMessage adds a message from the customer side to engagement id
// and tells the engagement's stream and agent to (none when 0).
func (w *writer) customerMessage(ctx context.Context, id int, body, subject string, to int) (*ent.Message, error) {
	out, err := w.Message.Create().SetEngagementID(id).SetBody(body).SetSubject(subject).SetSender("CUSTOMER").Save(ctx)
	if err != nil {
		return nil, err
	}
	counted, err := w.Engagement.UpdateOneID(id).AddCustomerMessages(1).Save(ctx)
	if err != nil {
		return nil, err
	}
	// C4: a chat's record may wait for the customer's messages.
	if _, err := w.logSession(ctx, counted, momentMessage); err != nil {
		return nil, err
	}
	return out, w.emit(ctx, events.Event{EngagementID: id, AgentID: to,
		Payload: events.MessageRef(out.ID, out.Sender, out.Body, out.Subject)})
}

// Segment is one transcript segment to append.
type Segment struct {
	Speaker  transcriptsegment.Speaker
	Text     string
	OffsetMs int64
}

// AppendTranscript appends live transcript segments to an engagement.
func (e *Engine) AppendTranscript(ctx context.Context, id int, segs []Segment) ([]*ent.TranscriptSegment, error) {
	var out []*ent.TranscriptSegment
	err := e.write(ctx, func(ctx context.Context, w *writer) error {
		eg, err := w.Engagement.Get(ctx, id)
		if err != nil {
			return err
		}
		if !eg.Channel.Live() {
			return apperr.Invalid("engagementID", "%s engagements have no live transcript", eg.Channel)
		}
		if lifecycle.Is(eg.State, lifecycle.Terminal) {
			return illegal("engagement %d has ended", id)
		}
		creates := make([]*ent.TranscriptSegmentCreate, len(segs))
		for i, s := range segs {
			creates[i] = w.TranscriptSegment.Create().SetEngagementID(id).SetSpeaker(s.Speaker).SetText(s.Text).SetOffsetMs(s.OffsetMs)
		}
		if out, err = w.TranscriptSegment.CreateBulk(creates...).Save(ctx); err != nil {
			return err
		}
		return w.emit(ctx, events.Event{EngagementID: id, AgentID: deref(eg.AgentID),
			Payload: events.TranscriptAppendedDetails{Segments: len(out)}})
	})
	return unwrapped(out, err)
}
