package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/switchboard/switchboard/ent/schema/enum"
)

// DataParameter is a value passed to a virtual agent: a literal or a session
// field.
type DataParameter struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
	Field string `json:"field,omitempty"`
}

// PostSessionSetting says whether sessions of a channel are handed to a
// virtual agent when they end (SPEC §6): global per channel, or per chat queue.
type PostSessionSetting struct{ ent.Schema }

// Mixin of the PostSessionSetting.
func (PostSessionSetting) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the PostSessionSetting.
func (PostSessionSetting) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("channel").GoType(channelType).Annotations(entgql.Type("Channel")),
		field.Bool("enabled").Default(false),
		field.JSON("session_types", []enum.SessionType{}).Optional().Annotations(entgql.Type("[SessionType!]")),
		field.JSON("data_parameters", []DataParameter{}).Optional(),
		field.Enum("record_in").NamedValues("Metadata", "METADATA", "CRM", "CRM", "Both", "BOTH").Default("METADATA"),
		field.Bool("ask_consent").Default(false),
		field.String("consent_question").Optional().MaxLen(500).
			Comment("The question a chat customer is asked when ask_consent is set; empty asks the README's default."),
		field.Int("queue_id").Optional().Nillable().Comment("Set for a queue-level override of a chat queue."),
		field.Int("virtual_agent_id").Optional().Nillable(),
	}
}

// Edges of the PostSessionSetting.
func (PostSessionSetting) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("queue", Queue.Type).Field("queue_id").Unique(),
		edge.To("virtual_agent", VirtualAgent.Type).Field("virtual_agent_id").Unique(),
	}
}

// Indexes of the PostSessionSetting: one global setting per channel, one
// override per queue.
func (PostSessionSetting) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("channel").Unique().Annotations(entsql.IndexWhere("queue_id IS NULL")).StorageKey("post_session_one_global"),
		index.Fields("queue_id").Unique().Annotations(entsql.IndexWhere("queue_id IS NOT NULL")).StorageKey("post_session_one_per_queue"),
	}
}

// Annotations of the PostSessionSetting.
func (PostSessionSetting) Annotations() []schema.Annotation { return configAnnotations(staff) }
