package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// MaxCapacity bounds every per-channel concurrency of a capacity profile.
const MaxCapacity = 50

// CapacityProfile ("multimedia profile") says how many engagements of each
// channel an agent may hold at once, and how many outbound ones it may start.
type CapacityProfile struct{ ent.Schema }

// Mixin of the CapacityProfile.
func (CapacityProfile) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the CapacityProfile.
func (CapacityProfile) Fields() []ent.Field {
	capacity := func(name string, def int) ent.Field {
		return field.Int(name).Default(def).Range(0, MaxCapacity)
	}
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200).Unique().Annotations(entgql.OrderField("NAME")),
		capacity("voice", 1),
		capacity("video", 1),
		capacity("chat", 3),
		capacity("email", 5),
		capacity("sms", 5),
		capacity("outbound_max", 2),
	}
}

// Edges of the CapacityProfile.
func (CapacityProfile) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("agents", Agent.Type).Ref("capacity_profile").Annotations(entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// Annotations of the CapacityProfile.
func (CapacityProfile) Annotations() []schema.Annotation { return configAnnotations(anyPrincipal) }
