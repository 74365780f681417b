package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Event is one row of the append-only event log. Its ID is the sequence
// number that subscription cursors refer to.
type Event struct{ ent.Schema }

// Fields of the Event.
func (Event) Fields() []ent.Field {
	return []ent.Field{
		field.String("topic").NotEmpty().Immutable().Comment("Typed name such as engagement:offered."),
		field.JSON("payload", map[string]any{}).Immutable().Optional(),
		field.Int("engagement_id").Optional().Nillable().Immutable(),
		field.Int("agent_id").Optional().Nillable().Immutable(),
		field.Int("queue_id").Optional().Nillable().Immutable(),
		field.Enum("actor_kind").Values("AGENT", "API_KEY", "CUSTOMER", "SYSTEM").Default("SYSTEM").Immutable().
			Comment("Who caused it: an agent (any role), an integration's API key, a customer token, or the system."),
		field.Int("actor_id").Optional().Nillable().Immutable().Comment("The agent who caused it, when actor_kind is AGENT."),
		field.Int("actor_api_key_id").Optional().Nillable().Immutable().Comment("The API key that caused it, when actor_kind is API_KEY."),
		field.Int("actor_customer_id").Optional().Nillable().Immutable().Comment("The customer whose token caused it, when actor_kind is CUSTOMER."),
		field.String("actor_reason").Optional().Immutable().Comment("Why the system did it, when actor_kind is SYSTEM: DISPATCHER, RING_TIMEOUT, WRAP_UP_LIMIT, DISCONNECT_GRACE."),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the Event: replay by agent, engagement and queue.
func (Event) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("agent_id"),
		index.Fields("engagement_id"),
		index.Fields("queue_id"),
	}
}

// Annotations of the Event.
func (Event) Annotations() []schema.Annotation { return []schema.Annotation{entgql.Skip()} }
