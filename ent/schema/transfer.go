package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Transfer moves an engagement from an agent to a queue or another agent.
type Transfer struct{ ent.Schema }

// Mixin of the Transfer.
func (Transfer) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Transfer.
func (Transfer) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("state").NamedValues(
			"Pending", "PENDING",
			"Completed", "COMPLETED",
			"Declined", "DECLINED",
			"Expired", "EXPIRED",
			"Cancelled", "CANCELLED",
		).Default("PENDING"),
		field.Time("ended_at").Optional().Nillable(),
		field.Time("sender_wrapped_up_at").Optional().Nillable().Comment("When the sender finished wrap-up after a completed transfer (T5)."),
		field.Int("engagement_id"),
		field.Int("from_agent_id"),
		field.Int("to_queue_id").Optional().Nillable(),
		field.Int("to_agent_id").Optional().Nillable(),
	}
}

// Edges of the Transfer.
func (Transfer) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("engagement", Engagement.Type).Field("engagement_id").Unique().Required(),
		edge.To("from_agent", Agent.Type).Field("from_agent_id").Unique().Required(),
		edge.To("to_queue", Queue.Type).Field("to_queue_id").Unique(),
		edge.To("to_agent", Agent.Type).Field("to_agent_id").Unique(),
	}
}

// Indexes of the Transfer: one pending transfer per engagement (T3).
func (Transfer) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("engagement_id").Unique().Annotations(entsql.IndexWhere("state = 'PENDING'")).StorageKey("transfer_one_pending"),
		// The wrap-ups an agent owes after its transfers (open list, load).
		index.Fields("from_agent_id", "state"),
	}
}

// Annotations of the Transfer.
func (Transfer) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
