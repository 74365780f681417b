package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/switchboard/switchboard/internal/schedule"
)

// PreChatField is one field of a web chat entry point's pre-chat form.
type PreChatField struct {
	Name     string `json:"name"`
	Label    string `json:"label"`
	Type     string `json:"type"`
	Required bool   `json:"required"`
}

// EntryPoint is an address through which customers reach the center (a phone
// number, an email address or a web chat token), pointing at a default queue.
type EntryPoint struct{ ent.Schema }

// Mixin of the EntryPoint.
func (EntryPoint) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the EntryPoint.
func (EntryPoint) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200).Annotations(entgql.OrderField("NAME")),
		field.Enum("channel").GoType(channelType).Immutable().Annotations(entgql.Type("Channel")),
		field.String("address").Optional().MaxLen(320).Comment("Phone number (E.164) or email address; empty for CHAT."),
		field.String("chat_token").Optional().Unique().Immutable().Comment("Generated for CHAT entry points: 128 random bits, base64url.").Annotations(engineOwned()),
		field.Bool("active").Default(true),
		field.Int("default_queue_id"),
		field.JSON("opening_hours", &schedule.Hours{}).Optional().
			Comment("CHAT: when the web chat is open (setChatSettings); unset means always, when an agent is staffed.").
			Annotations(entgql.Skip()),
		field.JSON("pre_chat_fields", []PreChatField{}).Optional().
			Comment("CHAT: the widget's pre-chat form (setChatSettings).").
			Annotations(entgql.Skip()),
		field.Int("offline_email_entry_point_id").Optional().Nillable().
			Comment("CHAT: the EMAIL entry point that receives the offline form's messages from visitors who give an email address (setChatSettings).").
			Annotations(entgql.Skip()),
	}
}

// Edges of the EntryPoint.
func (EntryPoint) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("default_queue", Queue.Type).Field("default_queue_id").Unique().Required(),
	}
}

// Indexes of the EntryPoint.
func (EntryPoint) Indexes() []ent.Index {
	return []ent.Index{index.Fields("channel", "address").Unique()}
}

// Annotations of the EntryPoint.
func (EntryPoint) Annotations() []schema.Annotation { return configAnnotations(anyPrincipal) }
