package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Delivery is the outbox row of one outgoing SMS or email message: it
// commits with the message, and a worker hands it to the provider after the
// commit. Its status only moves forward (QUEUED → SENT → DELIVERED or
// FAILED); provider callbacks that arrive late or twice change nothing.
type Delivery struct{ ent.Schema }

// Mixin of the Delivery.
func (Delivery) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Delivery.
func (Delivery) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("channel").GoType(channelType).Immutable().Annotations(entgql.Type("Channel")),
		field.Enum("status").NamedValues(
			"Queued", "QUEUED",
			"Sent", "SENT",
			"Delivered", "DELIVERED",
			"Failed", "FAILED",
		).Default("QUEUED").Annotations(entgql.OrderField("STATUS")),
		field.String("from_address").Immutable().MaxLen(320).Comment("The entry point's address the message is sent from."),
		field.String("to_address").Immutable().MaxLen(320).Comment("The customer's address: E.164 number or email address."),
		field.Int("attempts").Default(0).NonNegative().Comment("Hand-overs to the provider tried so far."),
		field.Time("next_attempt_at").Optional().Nillable().Comment("When the worker tries (again); nil when nothing is left to try.").Annotations(entgql.OrderField("NEXT_ATTEMPT_AT")),
		field.Time("lease_until").Optional().Nillable().Comment("A worker is sending it until then; after, another may retry.").Annotations(entgql.Skip()),
		field.Time("sent_at").Optional().Nillable(),
		field.Time("delivered_at").Optional().Nillable(),
		field.Time("failed_at").Optional().Nillable(),
		field.Time("dead_lettered_at").Optional().Nillable().Comment("Set when the worker gave up (attempts exhausted or a permanent refusal); retryDelivery queues it again."),
		field.String("last_error").Optional().MaxLen(2000).Comment("The provider's (or the connection's) last error."),
		field.String("provider_message_id").Optional().MaxLen(200).Comment("The provider's id of the message, from its answer or callbacks."),
		field.Int("message_id").Unique().Immutable(),
	}
}

// Edges of the Delivery.
func (Delivery) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("message", Message.Type).Ref("delivery").Field("message_id").Unique().Required().Immutable(),
	}
}

// Indexes of the Delivery: the worker's scan of what is due.
func (Delivery) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("status", "next_attempt_at"),
		index.Fields("dead_lettered_at"),
	}
}

// Annotations of the Delivery.
func (Delivery) Annotations() []schema.Annotation {
	return readAnnotations(auth([]string{"ADMIN", "SUPERVISOR"}, []string{"MESSAGING"}))
}

// OptOut records that a phone number sent STOP (or a similar keyword) to an
// SMS entry point: nothing more is sent to it from there until it sends START.
type OptOut struct{ ent.Schema }

// Fields of the OptOut.
func (OptOut) Fields() []ent.Field {
	return []ent.Field{
		field.String("address").NotEmpty().Immutable().MaxLen(320).Comment("The customer's number, E.164."),
		field.String("keyword").MaxLen(50).Comment("The keyword received, e.g. STOP."),
		field.Time("created_at").Immutable(),
		field.Int("entry_point_id").Immutable(),
	}
}

// Edges of the OptOut.
func (OptOut) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("entry_point", EntryPoint.Type).Field("entry_point_id").Unique().Required().Immutable(),
	}
}

// Indexes of the OptOut.
func (OptOut) Indexes() []ent.Index {
	return []ent.Index{index.Fields("address", "entry_point_id").Unique()}
}

// Annotations of the OptOut.
func (OptOut) Annotations() []schema.Annotation {
	return readAnnotations(auth([]string{"ADMIN", "SUPERVISOR"}, []string{"MESSAGING"}), "optOuts")
}

// ServerSecret is a secret the server generates once and keeps, such as the
// key that signs the Message-IDs of outgoing email.
type ServerSecret struct{ ent.Schema }

// Fields of the ServerSecret.
func (ServerSecret) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").Unique().Immutable().NotEmpty(),
		field.Bytes("value").Immutable().Sensitive(),
	}
}

// Annotations of the ServerSecret.
func (ServerSecret) Annotations() []schema.Annotation { return []schema.Annotation{entgql.Skip()} }
