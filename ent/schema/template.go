package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// Template is reusable message text for outbound SMS and email.
type Template struct{ ent.Schema }

// Mixin of the Template.
func (Template) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Template.
func (Template) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200).Unique().Annotations(entgql.OrderField("NAME")),
		field.Enum("channel").GoType(channelType).Annotations(entgql.Type("Channel")),
		field.String("subject").Optional().MaxLen(998),
		field.Text("body").NotEmpty().MaxLen(1 << 16),
		field.JSON("variables", []string{}).Optional().
			Comment("Names the subject and body may use as {{name}}; checked when saved, all required when sent."),
		field.Bool("active").Default(true),
	}
}

// Annotations of the Template.
func (Template) Annotations() []schema.Annotation { return configAnnotations(anyPrincipal) }
