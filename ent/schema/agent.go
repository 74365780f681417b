package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/switchboard/switchboard/ent/schema/enum"
)

// Agent is a person who handles engagements, and a principal of the API.
type Agent struct{ ent.Schema }

// Mixin of the Agent.
func (Agent) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Agent.
func (Agent) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200).Annotations(entgql.OrderField("NAME")),
		field.String("email").NotEmpty().MaxLen(320).Unique().Annotations(entgql.OrderField("EMAIL")),
		field.String("password_hash").Sensitive().Optional().Annotations(entgql.Skip()),
		field.Enum("role").GoType(enum.Role("")).Default(string(enum.RoleAgent)).
			Annotations(entgql.Type("Role"), entgql.OrderField("ROLE")),
		field.Enum("license").NamedValues("Standard", "STANDARD", "Premium", "PREMIUM").Default("STANDARD"),
		field.Bool("active").Default(true).Comment("Deactivated agents cannot log in and are never routed to."),
		field.JSON("skills", []string{}).Optional(),
		field.Enum("state").NamedValues("Offline", "OFFLINE", "Available", "AVAILABLE", "NotReady", "NOT_READY").
			Default("OFFLINE").Annotations(engineOwned(), entgql.OrderField("STATE")),
		field.String("state_reason").Optional().Comment("Reason code of NOT_READY, e.g. BREAK or MISSED.").Annotations(engineOwned()),
		field.Time("state_changed_at").Optional().Annotations(engineOwned()),
		field.Time("idle_since").Optional().Comment("When the agent last became free of live work; longest idle is routed first.").Annotations(engineOwned()),
		field.Int("missed_rings").Default(0).NonNegative().Comment("Rings missed in a row.").Annotations(engineOwned()),
		field.Time("disconnected_at").Optional().Nillable().Comment("When the agent's last live connection dropped; cleared on reconnect.").Annotations(entgql.Skip()),
		field.Int("version").Default(0).Annotations(entgql.Skip()),
		field.Int("capacity_profile_id").Optional(),
	}
}

// Edges of the Agent.
func (Agent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("capacity_profile", CapacityProfile.Type).Field("capacity_profile_id").Unique(),
		edge.To("queues", Queue.Type).Annotations(entgql.RelayConnection()),
		edge.From("engagements", Engagement.Type).Ref("agent").Annotations(entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.From("offers", Offer.Type).Ref("agent").Annotations(entgql.Skip()),
		edge.From("tokens", AuthToken.Type).Ref("agent").Annotations(entgql.Skip()),
	}
}

// Indexes of the Agent.
func (Agent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("state", "idle_since")}
}

// Annotations of the Agent.
func (Agent) Annotations() []schema.Annotation { return configAnnotations(staff) }
