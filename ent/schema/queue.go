package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"github.com/switchboard/switchboard/ent/schema/enum"
)

// Queue is where engagements wait. Queues form a tree; engagements land only
// in leaves, and the names from the root form the menu path.
type Queue struct{ ent.Schema }

// Mixin of the Queue.
func (Queue) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Queue.
func (Queue) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200).Annotations(entgql.OrderField("NAME")),
		field.Int("parent_id").Optional(),
		field.JSON("channels", []enum.Channel{}).Optional().Annotations(channelsGQL),
		field.Int("priority").Default(0).Range(-1000, 1000).Comment("Higher is served first across queues.").Annotations(entgql.OrderField("PRIORITY")),
		field.Enum("accept_mode").NamedValues("Manual", "MANUAL", "Auto", "AUTO").Default("MANUAL"),
		field.Int("ring_timeout_seconds").Default(20).Range(1, 600),
		field.Enum("routing_strategy").NamedValues("LongestIdle", "LONGEST_IDLE").Default("LONGEST_IDLE"),
		field.Bool("dispositions_required").Default(false),
		field.Int("wrap_up_limit_seconds").Default(0).Range(0, 86400).Comment("0 means no limit."),
		field.Bool("active").Default(true),
		field.String("menu_path").Default("").
			Comment("The names from the root to this queue, joined by ' > ': derived from the tree and kept by the admin service on every create, rename and move (for the whole subtree), so reading it costs no query.").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the Queue.
func (Queue) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("children", Queue.Type).From("parent").Field("parent_id").Unique(),
		edge.From("agents", Agent.Type).Ref("queues").Annotations(entgql.RelayConnection()),
		edge.From("engagements", Engagement.Type).Ref("queue").Annotations(entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.To("wrap_up_reasons", WrapUpReason.Type),
		edge.From("post_session_settings", PostSessionSetting.Type).Ref("queue").Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// Annotations of the Queue.
func (Queue) Annotations() []schema.Annotation { return configAnnotations(anyPrincipal) }
