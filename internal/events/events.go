// Package events is the append-only event log and its live fan-out. Every
// state change appends typed events in the transaction that makes it; after
// the commit the bus hands them to subscribers in sequence order. A
// subscriber that reconnects replays what it missed from the table.
package events

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/event"
)

// Topics. Payload keys per topic are documented in the README.
const (
	// OfferCreated rings an agent (or offers it a transfer): Offer payload.
	OfferCreated = "offer.created"
	// OfferEnded says a ring was accepted, declined, timed out or rescinded.
	OfferEnded = "offer.ended"
	// EngagementAssigned gives an agent an engagement without a ring (AUTO
	// queues, email, SMS, pick).
	EngagementAssigned = "engagement.assigned"
	// EngagementStateChanged records every lifecycle transition.
	EngagementStateChanged = "engagement.state_changed"
	// EngagementCreated records a new engagement entering its queue.
	EngagementCreated = "engagement.created"
	// AgentStateChanged records AVAILABLE / NOT_READY / OFFLINE changes.
	AgentStateChanged = "agent.state_changed"
	// AgentDisconnected says an agent's last live connection dropped; it is
	// logged out when it does not come back within the grace period (E6).
	AgentDisconnected = "agent.disconnected"
	// MessageCreated carries a new message of an engagement.
	MessageCreated = "message.created"
	// TransferChanged records a transfer starting, completing or dropping.
	TransferChanged = "transfer.changed"
	// NoteAdded records a note on an engagement.
	NoteAdded = "note.added"
	// ConfigChanged records a change of the contact center's configuration
	// (queues, agents, capacity profiles, entry points, settings): routing
	// reads it again.
	ConfigChanged = "config.changed"
	// DeliveryChanged records every change of a message's delivery:
	// queued, attempted, sent, delivered, failed, dead-lettered.
	DeliveryChanged = "delivery.changed"
	// TranscriptAppended records new transcript segments.
	TranscriptAppended = "transcript.appended"
	// CRMRecordChanged records what the CRM rules did with a session's
	// record (created, attached, reopened, skipped, updated) and which rule
	// fired.
	CRMRecordChanged = "crm_record.changed"
	// PostSessionChanged records every step of a post-session transfer to
	// a virtual agent (P1–P4): consent asked, handed over, taken, ended.
	PostSessionChanged = "post_session.changed"
	// CredentialRevoked says login tokens or an API key stopped being
	// valid: open websockets that authenticated with them are closed.
	CredentialRevoked = "credential.revoked"
	// AgentAccessChanged says an agent was deactivated, reactivated or
	// given another role: its open websockets are closed.
	AgentAccessChanged = "agent.access_changed"
	// TypingChanged says the customer or the agent of a chat started or
	// stopped typing.
	TypingChanged = "typing.changed"
	// MessageRead is a read receipt: the customer or the agent read an
	// engagement's messages up to one.
	MessageRead = "message.read"
	// QueuePosition tells a waiting chat its place in the queue and its
	// expected wait, when they change.
	QueuePosition = "queue.position"
)

// Actor is who caused an event: an agent (of any role), an integration's
// API key, a customer token, or the system with the reason it acted.
type Actor struct {
	Kind       event.ActorKind
	AgentID    int
	APIKeyID   int
	CustomerID int
	// Reason says what the system acted on (ReasonDispatcher, ...).
	Reason string
}

// What the system acts on when it is the actor.
const (
	// ActorDispatcher: a routing decision and what it entailed.
	ActorDispatcher = "DISPATCHER"
	// ActorRingTimeout: a ring reached its deadline.
	ActorRingTimeout = "RING_TIMEOUT"
	// ActorWrapUpLimit: a wrap-up reached its queue's limit.
	ActorWrapUpLimit = "WRAP_UP_LIMIT"
	// ActorDisconnectGrace: an agent stayed disconnected past the grace.
	ActorDisconnectGrace = "DISCONNECT_GRACE"
	// ActorPostSessionDeadline: a post-session part reached its deadline
	// (consent, the virtual agent's take, or its limit).
	ActorPostSessionDeadline = "POST_SESSION_DEADLINE"
)

// Event is an event to append. The IDs say who it concerns: the agent whose
// agentEvents stream gets it, the engagement and queue it belongs to; Actor
// says who caused it.
type Event struct {
	Topic        string
	EngagementID int
	AgentID      int
	QueueID      int
	Actor        Actor
	// Payload is the event's Details (or, for events of tests and tools
	// without a type, a map).
	Payload any
	// At is when it happened, by the engine's clock; zero means now.
	At time.Time
}

// Batch collects the events of one transaction. They are inserted when the
// bus commits the transaction (Bus.Commit), all in one statement.
type Batch struct {
	events []Event
	rows   []*ent.Event
}

// Append adds e to the batch; a Details payload gives the topic when e has
// none.
func (b *Batch) Append(e Event) {
	if d, ok := e.Payload.(Details); ok && e.Topic == "" {
		e.Topic = d.Topic()
	}
	b.events = append(b.events, e)
}

// Has reports whether an event of topic was appended.
func (b *Batch) Has(topic string) bool {
	for _, e := range b.events {
		if e.Topic == topic {
			return true
		}
	}
	return false
}

// insert writes the batch's events in tx.
func (b *Batch) insert(ctx context.Context, tx *ent.Tx) error {
	creates := make([]*ent.EventCreate, len(b.events))
	for i, e := range b.events {
		payload, err := payloadMap(e.Payload)
		if err != nil {
			return fmt.Errorf("event %s: %w", e.Topic, err)
		}
		c := tx.Event.Create().SetTopic(e.Topic).SetPayload(payload)
		if !e.At.IsZero() {
			c.SetCreatedAt(e.At)
		}
		if e.EngagementID != 0 {
			c.SetEngagementID(e.EngagementID)
		}
		if e.AgentID != 0 {
			c.SetAgentID(e.AgentID)
		}
		if e.QueueID != 0 {
			c.SetQueueID(e.QueueID)
		}
		if e.Actor.Kind != "" {
			c.SetActorKind(e.Actor.Kind)
		}
		if e.Actor.AgentID != 0 {
			c.SetActorID(e.Actor.AgentID)
		}
		if e.Actor.APIKeyID != 0 {
			c.SetActorAPIKeyID(e.Actor.APIKeyID)
		}
		if e.Actor.CustomerID != 0 {
			c.SetActorCustomerID(e.Actor.CustomerID)
		}
		if e.Actor.Reason != "" {
			c.SetActorReason(e.Actor.Reason)
		}
		creates[i] = c
	}
	rows, err := tx.Event.CreateBulk(creates...).Save(ctx)
	if err != nil {
		return err
	}
	b.rows = rows
	return nil
}

// Rows returns the events as stored, once the batch is committed.
func (b *Batch) Rows() []*ent.Event { return b.rows }
