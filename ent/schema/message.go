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
		field.Text("html").Optional().MaxLen(1 << 20).Comment("Inbound email: the HTML part, sanitised; the text is in body."),
		field.String("rfc_message_id").Optional().MaxLen(998).Comment("Email: the Message-ID header, ours (signed) for outgoing mail.").Annotations(entgql.Skip()),
		field.String("refused_reason").Optional().MaxLen(200).
			Comment("Why part of an inbound message was refused, e.g. CONTENT_ID_PARTS or INLINE_IMAGE_TOO_LARGE (O6); its text is kept."),
		field.Int("engagement_id"),
		field.Int("agent_id").Optional().Nillable(),
	}
}

// Edges of the Message.
func (Message) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("engagement", Engagement.Type).Field("engagement_id").Unique().Required(),
		edge.To("agent", Agent.Type).Field("agent_id").Unique(),
		edge.To("delivery", Delivery.Type).Unique().
			Comment("How an outgoing SMS or email reached the customer; nil for chat and inbound messages."),
	}
}

// Indexes of the Message.
func (Message) Indexes() []ent.Index {
	return []ent.Index{index.Fields("engagement_id", "created_at"), index.Fields("rfc_message_id")}
}

// Annotations of the Message.
func (Message) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
