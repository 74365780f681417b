package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Message is one message of a chat, SMS or email engagement.
type Message struct{ ent.Schema }

// Mixin of the Message.
func (Message) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Message.
func (Message) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("sender").NamedValues("Customer", "CUSTOMER", "Agent", "AGENT", "Bot", "BOT", "System", "SYSTEM"),
		field.String("subject").Optional().MaxLen(998),
		field.Text("body").MaxLen(1 << 20),
		field.Int("engagement_id"),
		field.Int("agent_id").Optional().Nillable(),
	}
}

// Edges of the Message.
func (Message) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("engagement", Engagement.Type).Field("engagement_id").Unique().Required(),
		edge.To("agent", Agent.Type).Field("agent_id").Unique(),
	}
}

// Indexes of the Message.
func (Message) Indexes() []ent.Index { return []ent.Index{index.Fields("engagement_id", "created_at")} }

// Annotations of the Message.
func (Message) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
