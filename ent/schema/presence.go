package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Presence says that an agent has at least one live event stream
// (agentEvents) on one server instance. The row lives while the stream
// does; a running instance renews renewed_at of its rows, and the
// dispatcher's leader removes those of an instance that stopped renewing
// them. An agent counts as connected while any row of a live instance
// names it; the disconnect grace (E6) starts when the last one goes.
type Presence struct{ ent.Schema }

// Fields of the Presence.
func (Presence) Fields() []ent.Field {
	return []ent.Field{
		field.String("instance").NotEmpty().MaxLen(64).Immutable().Comment("The server instance holding the stream (random at each start)."),
		field.Int("agent_id").Immutable(),
		field.Time("renewed_at").Comment("When the instance last proved itself alive (wall-clock time)."),
	}
}

// Indexes of the Presence.
func (Presence) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("instance", "agent_id").Unique(),
		index.Fields("agent_id"),
	}
}

// Annotations of the Presence.
func (Presence) Annotations() []schema.Annotation { return []schema.Annotation{entgql.Skip()} }
