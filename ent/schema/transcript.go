package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// TranscriptSegment is one utterance of a live conversation's transcript,
// sent by the telephony adapter or the chat service while it runs.
type TranscriptSegment struct{ ent.Schema }

// Mixin of the TranscriptSegment.
func (TranscriptSegment) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the TranscriptSegment.
func (TranscriptSegment) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("speaker").NamedValues("Customer", "CUSTOMER", "Agent", "AGENT", "Bot", "BOT"),
		field.Text("text").MaxLen(1 << 16),
		field.Int64("offset_ms").Default(0).NonNegative().Comment("Offset from the start of the conversation."),
		field.Int("engagement_id"),
	}
}

// Edges of the TranscriptSegment.
func (TranscriptSegment) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("engagement", Engagement.Type).Field("engagement_id").Unique().Required(),
	}
}

// Indexes of the TranscriptSegment.
func (TranscriptSegment) Indexes() []ent.Index {
	return []ent.Index{index.Fields("engagement_id", "offset_ms")}
}
