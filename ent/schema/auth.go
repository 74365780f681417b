package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"github.com/switchboard/switchboard/ent/schema/enum"
)

// AuthToken is a bearer token issued by login; only its hash is stored.
type AuthToken struct{ ent.Schema }

// Fields of the AuthToken.
func (AuthToken) Fields() []ent.Field {
	return []ent.Field{
		field.Bytes("hash").Unique().Immutable().Sensitive(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("expires_at"),
		field.Time("revoked_at").Optional().Nillable(),
		field.Int("agent_id").Immutable(),
	}
}

// Edges of the AuthToken.
func (AuthToken) Edges() []ent.Edge {
	return []ent.Edge{edge.To("agent", Agent.Type).Field("agent_id").Unique().Required().Immutable()}
}

// Annotations of the AuthToken.
func (AuthToken) Annotations() []schema.Annotation { return []schema.Annotation{entgql.Skip()} }

// APIKey lets an integration (telephony adapter, virtual agent, CRM) call the
// API with a set of scopes; only its hash is stored and the secret is shown once.
type APIKey struct{ ent.Schema }

// Mixin of the APIKey.
func (APIKey) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the APIKey.
func (APIKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200).Annotations(entgql.OrderField("NAME")),
		field.String("prefix").Immutable().Comment("First characters of the key, to recognise it in lists."),
		field.Bytes("hash").Unique().Immutable().Sensitive().Annotations(entgql.Skip()),
		field.JSON("scopes", []enum.Scope{}).Annotations(entgql.Type("[APIKeyScope!]")),
		field.Time("revoked_at").Optional().Nillable(),
		field.Time("last_used_at").Optional().Nillable(),
		field.Int("virtual_agent_id").Optional().Nillable().Immutable().Comment("Set for a key with scope VIRTUAL_AGENT: the one virtual agent it acts as."),
	}
}

// Annotations of the APIKey.
func (APIKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField("apiKeys").Directives(adminOnly)}
}
