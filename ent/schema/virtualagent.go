package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"github.com/switchboard/switchboard/ent/schema/enum"
)

// VirtualAgent is a bot that can take a session after its human part, for
// post-session tasks such as surveys.
type VirtualAgent struct{ ent.Schema }

// Mixin of the VirtualAgent.
func (VirtualAgent) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the VirtualAgent.
func (VirtualAgent) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200).Unique().Annotations(entgql.OrderField("NAME")),
		field.JSON("channels", []enum.Channel{}).Annotations(channelsGQL),
		field.Bool("active").Default(true),
	}
}

// Annotations of the VirtualAgent.
func (VirtualAgent) Annotations() []schema.Annotation { return configAnnotations(staff) }
