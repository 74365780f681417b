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

// Offer is a ring: one engagement offered to one agent until a deadline.
type Offer struct{ ent.Schema }

// Mixin of the Offer.
func (Offer) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Offer.
func (Offer) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("state").NamedValues(
			"Pending", "PENDING",
			"Accepted", "ACCEPTED",
			"Declined", "DECLINED",
			"TimedOut", "TIMED_OUT",
			"Rescinded", "RESCINDED",
		).Default("PENDING"),
		field.Time("deadline"),
		field.Time("ended_at").Optional().Nillable(),
		field.Int("engagement_id"),
		field.Int("agent_id"),
		field.Int("transfer_id").Optional().Nillable().Comment("Set when the offer is a transfer to an agent."),
	}
}

// Edges of the Offer.
func (Offer) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("engagement", Engagement.Type).Field("engagement_id").Unique().Required(),
		edge.To("agent", Agent.Type).Field("agent_id").Unique().Required(),
		edge.To("transfer", Transfer.Type).Field("transfer_id").Unique(),
	}
}

// Indexes of the Offer: at most one pending offer per engagement.
func (Offer) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("engagement_id").Unique().Annotations(entsql.IndexWhere("state = 'PENDING'")).StorageKey("offer_one_pending"),
		index.Fields("agent_id", "state"),
		index.Fields("engagement_id", "state"),
		index.Fields("state", "deadline"),
	}
}

// Annotations of the Offer.
func (Offer) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
