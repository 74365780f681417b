package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// Note is an agent's note on an engagement, written during or after it.
type Note struct{ ent.Schema }

// Mixin of the Note.
func (Note) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Note.
func (Note) Fields() []ent.Field {
	return []ent.Field{
		field.Text("body").NotEmpty().MaxLen(1 << 16),
		field.Int("engagement_id"),
		field.Int("agent_id"),
	}
}

// Edges of the Note.
func (Note) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("engagement", Engagement.Type).Field("engagement_id").Unique().Required(),
		edge.To("agent", Agent.Type).Field("agent_id").Unique().Required(),
	}
}
