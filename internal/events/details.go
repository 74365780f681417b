package events

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/crmrecord"
	"github.com/switchboard/switchboard/ent/delivery"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/event"
	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/ent/offer"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/ent/transfer"
)

// Details is the typed payload of an event: one type per topic. Its JSON
// (IDs as strings) is what Event.payload shows and what the log stores;
// Event.details shows the same as a GraphQL union member.
type Details interface {
	// Topic is the topic of the events that carry it.
	Topic() string
}

// OfferCreatedDetails rings an agent, with what it needs to decide without
// another query (E2).
type OfferCreatedDetails struct {
	OfferID       int              `json:"offerID,string"`
	EngagementID  int              `json:"engagementID,string"`
	Channel       enum.Channel     `json:"channel"`
	Direction     enum.Direction   `json:"direction"`
	Deadline      time.Time        `json:"deadline"`
	Queue         *EventQueue      `json:"queue,omitempty"`
	MenuPath      string           `json:"menuPath"`
	Language      string           `json:"language"`
	SessionType   enum.SessionType `json:"sessionType,omitempty"`
	Customer      *EventCustomer   `json:"customer,omitempty"`
	FlowVariables map[string]any   `json:"flowVariables"`
	BotSummary    string           `json:"botSummary"`
	TransferID    *int             `json:"transferID,string,omitempty"`
	// Record is the session's CRM record when it has one (record pop, C1).
	Record *EventRecord `json:"record,omitempty"`
}

// EventRecord names a CRM record inside an event (record pop, C1).
type EventRecord struct {
	ID     int              `json:"id,string"`
	Title  string           `json:"title"`
	Status crmrecord.Status `json:"status"`
}

// EventQueue names a queue inside an event.
type EventQueue struct {
	ID   int    `json:"id,string"`
	Name string `json:"name"`
}

// EventCustomer is the customer's card inside a ring.
type EventCustomer struct {
	ID          int            `json:"id,string"`
	Name        string         `json:"name"`
	Phones      []string       `json:"phones"`
	Emails      []string       `json:"emails"`
	ExternalIDs map[string]any `json:"externalIDs"`
}

// OfferEndedDetails says how a ring or a transfer offer ended.
type OfferEndedDetails struct {
	OfferID    int         `json:"offerID,string"`
	State      offer.State `json:"state"`
	Reason     string      `json:"reason,omitempty"`
	TransferID *int        `json:"transferID,string,omitempty"`
}

// EngagementCreatedDetails records a new engagement entering its queue (or,
// started by an agent, its agent).
type EngagementCreatedDetails struct {
	Channel   enum.Channel     `json:"channel"`
	State     engagement.State `json:"state"`
	Direction enum.Direction   `json:"direction,omitempty"`
}

// EngagementAssignedDetails gives an agent an engagement without a ring.
type EngagementAssignedDetails struct {
	Channel enum.Channel     `json:"channel"`
	State   engagement.State `json:"state"`
	// Record is the session's CRM record when it has one (record pop, C1).
	Record *EventRecord `json:"record,omitempty"`
}

// EngagementStateChangedDetails records one lifecycle transition.
type EngagementStateChangedDetails struct {
	From    engagement.State `json:"from"`
	To      engagement.State `json:"to"`
	Channel enum.Channel     `json:"channel"`
	Reason  string           `json:"reason,omitempty"`
}

// AgentStateChangedDetails records an agent's routing state change.
type AgentStateChangedDetails struct {
	From   agent.State `json:"from"`
	To     agent.State `json:"to"`
	Reason string      `json:"reason,omitempty"`
}

// AgentDisconnectedDetails says an agent's last live connection dropped.
type AgentDisconnectedDetails struct {
	GraceSeconds int `json:"graceSeconds"`
}

// MessageCreatedDetails announces a new message. The event names the
// message (MessageID) and does not copy its text: Body and Subject are read
// from the messages table when the event is resolved (WithText). Events
// stored before that carry them, and keep them.
type MessageCreatedDetails struct {
	MessageID int            `json:"messageID,string"`
	Sender    message.Sender `json:"sender"`
	Body      string         `json:"body,omitempty"`
	Subject   string         `json:"subject,omitempty"`
	// Bytes is the size of the message's body and subject, which a
	// subscriber's byte bound counts (EventSize) though the event does not
	// hold them.
	Bytes int `json:"bytes,omitempty"`
	// DeliveryID is set for an agent's SMS or email sent to the customer.
	DeliveryID *int `json:"deliveryID,string,omitempty"`
	// RefusedReason says why an inbound email's content was refused (O6).
	RefusedReason string `json:"refusedReason,omitempty"`
}

// MessageRef returns the details of message.created for a message: its id
// and sender, and the size of body and subject, not their text.
func MessageRef(id int, sender message.Sender, body, subject string) MessageCreatedDetails {
	return MessageCreatedDetails{MessageID: id, Sender: sender, Bytes: len(body) + len(subject)}
}

// Referenced reports whether d names its message without its text (every
// event of a message that has text, since events reference messages).
func (d MessageCreatedDetails) Referenced() bool {
	return d.MessageID != 0 && d.Body == "" && d.Subject == "" && d.Bytes > 0
}

// DeliveryChangedDetails says how the delivery of a message stands.
type DeliveryChangedDetails struct {
	DeliveryID    int             `json:"deliveryID,string"`
	MessageID     int             `json:"messageID,string"`
	Channel       enum.Channel    `json:"channel"`
	Status        delivery.Status `json:"status"`
	Attempts      int             `json:"attempts"`
	DeadLettered  bool            `json:"deadLettered"`
	Error         string          `json:"error,omitempty"`
	NextAttemptAt *time.Time      `json:"nextAttemptAt,omitempty"`
}

// TransferChangedDetails says how a transfer stands, or that its sender
// completed the wrap-up it owed (SenderWrapUp COMPLETED).
type TransferChangedDetails struct {
	TransferID   *int            `json:"transferID,string,omitempty"`
	State        *transfer.State `json:"state,omitempty"`
	FromAgentID  *int            `json:"fromAgentID,string,omitempty"`
	ToQueueID    *int            `json:"toQueueID,string,omitempty"`
	ToAgentID    *int            `json:"toAgentID,string,omitempty"`
	SenderWrapUp string          `json:"senderWrapUp,omitempty"`
}

// NoteAddedDetails records a note.
type NoteAddedDetails struct {
	NoteID int `json:"noteID,string"`
}

// ConfigChangedDetails records a configuration change; it carries nothing:
// routing reads the configuration again.
type ConfigChangedDetails struct{}

// TranscriptAppendedDetails records new transcript segments.
type TranscriptAppendedDetails struct {
	Segments int `json:"segments"`
}

// CRMRecordChangedDetails says what the CRM rules did with a session's
// record and which rule fired (C1–C8). RecordID is nil when the rule
// skipped the record (an abandoned session the settings do not log).
type CRMRecordChangedDetails struct {
	RecordID *int             `json:"recordID,string,omitempty"`
	Action   string           `json:"action"`
	Rule     string           `json:"rule"`
	Title    string           `json:"title,omitempty"`
	Status   crmrecord.Status `json:"status,omitempty"`
	Version  int              `json:"version,omitempty"`
}

// PostSessionChangedDetails is one step of a post-session transfer (P1–P4).
type PostSessionChangedDetails struct {
	VirtualAgentID int                          `json:"virtualAgentID,string"`
	Status         engagement.PostSessionStatus `json:"status"`
	Channel        enum.Channel                 `json:"channel"`
	SessionType    enum.SessionType             `json:"sessionType,omitempty"`
	Reason         string                       `json:"reason,omitempty"`
	Parameters     map[string]any               `json:"parameters,omitempty"`
	Result         map[string]any               `json:"result,omitempty"`
	Deadline       *time.Time                   `json:"deadline,omitempty"`
}

// CredentialRevokedDetails says which credential stopped being valid: one
// login token (TokenID), all of an agent's tokens but ExceptTokenID (a
// password change, a deactivation), or an API key (APIKeyID).
type CredentialRevokedDetails struct {
	TokenID       *int   `json:"tokenID,string,omitempty"`
	ExceptTokenID *int   `json:"exceptTokenID,string,omitempty"`
	APIKeyID      *int   `json:"apiKeyID,string,omitempty"`
	Reason        string `json:"reason"`
}

// AgentAccessChangedDetails says an agent's role or active flag changed.
type AgentAccessChangedDetails struct {
	Role   enum.Role `json:"role"`
	Active bool      `json:"active"`
}

// TypingChangedDetails says the customer or the agent of a chat started or
// stopped typing.
type TypingChangedDetails struct {
	Typing bool            `json:"typing"`
	By     event.ActorKind `json:"by"`
}

// MessageReadDetails says the customer or the agent read an engagement's
// messages up to and including MessageID.
type MessageReadDetails struct {
	MessageID int             `json:"messageID,string"`
	By        event.ActorKind `json:"by"`
}

// QueuePositionDetails is a waiting chat's place in its queue and its
// estimated wait (nil when unknown).
type QueuePositionDetails struct {
	Position            int  `json:"position"`
	ExpectedWaitSeconds *int `json:"expectedWaitSeconds,omitempty"`
}

// Topic implementations: the topic each type belongs to.
func (OfferCreatedDetails) Topic() string           { return OfferCreated }
func (OfferEndedDetails) Topic() string             { return OfferEnded }
func (EngagementCreatedDetails) Topic() string      { return EngagementCreated }
func (EngagementAssignedDetails) Topic() string     { return EngagementAssigned }
func (EngagementStateChangedDetails) Topic() string { return EngagementStateChanged }
func (AgentStateChangedDetails) Topic() string      { return AgentStateChanged }
func (AgentDisconnectedDetails) Topic() string      { return AgentDisconnected }
func (MessageCreatedDetails) Topic() string         { return MessageCreated }
func (TransferChangedDetails) Topic() string        { return TransferChanged }
func (NoteAddedDetails) Topic() string              { return NoteAdded }
func (TranscriptAppendedDetails) Topic() string     { return TranscriptAppended }
func (DeliveryChangedDetails) Topic() string        { return DeliveryChanged }
func (ConfigChangedDetails) Topic() string          { return ConfigChanged }
func (CRMRecordChangedDetails) Topic() string       { return CRMRecordChanged }
func (PostSessionChangedDetails) Topic() string     { return PostSessionChanged }
func (CredentialRevokedDetails) Topic() string      { return CredentialRevoked }
func (AgentAccessChangedDetails) Topic() string     { return AgentAccessChanged }
func (TypingChangedDetails) Topic() string          { return TypingChanged }
func (MessageReadDetails) Topic() string            { return MessageRead }
func (QueuePositionDetails) Topic() string          { return QueuePosition }

// DetailsTypes are a zero value of every Details type, one per topic.
var DetailsTypes = []Details{
	OfferCreatedDetails{}, OfferEndedDetails{}, EngagementCreatedDetails{}, EngagementAssignedDetails{},
	EngagementStateChangedDetails{}, AgentStateChangedDetails{}, AgentDisconnectedDetails{},
	MessageCreatedDetails{}, TransferChangedDetails{}, NoteAddedDetails{}, TranscriptAppendedDetails{},
	DeliveryChangedDetails{}, ConfigChangedDetails{}, CRMRecordChangedDetails{}, PostSessionChangedDetails{},
	CredentialRevokedDetails{}, AgentAccessChangedDetails{}, TypingChangedDetails{}, MessageReadDetails{},
	QueuePositionDetails{},
}

// DetailsOf returns the typed details of a stored event, nil for a topic
// without a Details type and for config.changed, which carries nothing and
// reaches no client's stream.
func DetailsOf(e *ent.Event) (Details, error) {
	switch e.Topic {
	case OfferCreated:
		return decode[OfferCreatedDetails](e)
	case OfferEnded:
		return decode[OfferEndedDetails](e)
	case EngagementCreated:
		return decode[EngagementCreatedDetails](e)
	case EngagementAssigned:
		return decode[EngagementAssignedDetails](e)
	case EngagementStateChanged:
		return decode[EngagementStateChangedDetails](e)
	case AgentStateChanged:
		return decode[AgentStateChangedDetails](e)
	case AgentDisconnected:
		return decode[AgentDisconnectedDetails](e)
	case MessageCreated:
		return decode[MessageCreatedDetails](e)
	case TransferChanged:
		return decode[TransferChangedDetails](e)
	case NoteAdded:
		return decode[NoteAddedDetails](e)
	case TranscriptAppended:
		return decode[TranscriptAppendedDetails](e)
	case DeliveryChanged:
		return decode[DeliveryChangedDetails](e)
	case CRMRecordChanged:
		return decode[CRMRecordChangedDetails](e)
	case PostSessionChanged:
		return decode[PostSessionChangedDetails](e)
	case CredentialRevoked:
		return decode[CredentialRevokedDetails](e)
	case AgentAccessChanged:
		return decode[AgentAccessChangedDetails](e)
	case TypingChanged:
		return decode[TypingChangedDetails](e)
	case MessageRead:
		return decode[MessageReadDetails](e)
	case QueuePosition:
		return decode[QueuePositionDetails](e)
	}
	return nil, nil
}

func decode[T Details](e *ent.Event) (Details, error) {
	var d T
	if err := remarshal(e.Payload, &d); err != nil {
		return nil, fmt.Errorf("event %d (%s): %w", e.ID, e.Topic, err)
	}
	return d, nil
}

// payloadMap is what the log stores for a payload: a map as given, or the
// JSON object of a Details value.
func payloadMap(p any) (map[string]any, error) {
	switch p := p.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return p, nil
	}
	var m map[string]any
	return m, remarshal(p, &m)
}

func remarshal(from, to any) error {
	b, err := json.Marshal(from)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, to)
}
