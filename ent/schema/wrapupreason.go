package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// WrapUpReason is a disposition an agent picks in wrap-up. A reason linked
// to no queue applies to every queue.
type WrapUpReason struct{ ent.Schema }

// Mixin of the WrapUpReason.
func (WrapUpReason) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the WrapUpReason.
func (WrapUpReason) Fields() []ent.Field {
	return []ent.Field{
		field.String("code").NotEmpty().MaxLen(64).Unique().Annotations(entgql.OrderField("CODE")),
		field.String("label").NotEmpty().MaxLen(200),
		field.Bool("active").Default(true),
	}
}

// Edges of the WrapUpReason.
func (WrapUpReason) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("queues", Queue.Type).Ref("wrap_up_reasons"),
		edge.From("engagements", Engagement.Type).Ref("dispositions").Annotations(entgql.Skip()),
	}
}

// Annotations of the WrapUpReason.
func (WrapUpReason) Annotations() []schema.Annotation { return configAnnotations(anyPrincipal) }
