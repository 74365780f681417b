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

// Engagement is one contact session on one channel, from queue to close.
// The engine owns every field after creation; see internal/engine.
type Engagement struct{ ent.Schema }

// Mixin of the Engagement.
func (Engagement) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Engagement.
func (Engagement) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("channel").GoType(channelType).Immutable().Annotations(entgql.Type("Channel")),
		field.Enum("direction").GoType(enum.Direction("")).Default(string(enum.DirectionInbound)).Immutable().
			Annotations(entgql.Type("Direction")),
		field.Enum("state").NamedValues(
			"Queued", "QUEUED",
			"Offered", "OFFERED",
			"Connected", "CONNECTED",
			"Parked", "PARKED",
			"WrapUp", "WRAP_UP",
			"Closed", "CLOSED",
			"Abandoned", "ABANDONED",
			"Transferring", "TRANSFERRING",
			"PostSession", "POST_SESSION",
		).Default("QUEUED").Annotations(entgql.OrderField("STATE")),
		field.Enum("session_type").GoType(enum.SessionType("")).Optional().Annotations(entgql.Type("SessionType")),
		field.JSON("flow_variables", map[string]any{}).Optional().Annotations(entgql.Type("Map")),
		field.Text("bot_summary").Optional(),
		field.String("language").Optional().MaxLen(35),
		field.String("menu_path").Optional().Comment("Queue names from the root to the leaf, joined by ' > '."),
		field.Int("priority").Default(0).Comment("Routing priority, copied from the queue when queued."),
		field.Time("queued_at").Optional().Nillable().Comment("Start of the current wait; older waits are served first.").Annotations(entgql.OrderField("QUEUED_AT")),
		field.Time("connected_at").Optional().Nillable(),
		field.Time("ended_at").Optional().Nillable().Comment("When the conversation ended (wrap-up began)."),
		field.Time("closed_at").Optional().Nillable(),
		field.Int64("wait_ms").Default(0).Comment("Total time spent waiting in queues."),
		field.Int64("handle_ms").Default(0).Comment("Handle time accumulated across parks."),
		field.Int64("wrap_up_ms").Default(0).Comment("Wrap-up time accumulated across parks."),
		field.Time("timer_started_at").Optional().Nillable().Comment("Start of the running handle or wrap-up timer; nil while parked or queued.").Annotations(entgql.Skip()),
		field.Time("wrap_up_deadline").Optional().Nillable(),
		field.Enum("parked_from").NamedValues("Connected", "CONNECTED", "WrapUp", "WRAP_UP").Optional().Nillable().
			Comment("The state a parked engagement resumes to."),
		field.Bool("auto_parked").Default(false).Comment("Parked by a call interrupting the agent (R3); resumed when the call ends."),
		field.Bool("customer_left").Default(false).Comment("The customer ended the engagement."),
		field.Bool("front_of_queue").Default(false).Comment("Returned to its queue by logout or release: served before others of its priority.").Annotations(entgql.Skip()),
		field.Int("released_by_id").Optional().Nillable().Comment("The agent who last released it: others are asked first (T4).").Annotations(entgql.Skip()),
		field.String("idempotency_key").Optional().Nillable().Unique().MaxLen(200).Annotations(entgql.Skip()),
		field.String("customer_token_hash").Optional().Sensitive().Annotations(entgql.Skip()),
		field.Int("version").Default(0).Annotations(entgql.Skip()),
		field.Int("customer_messages").Default(0).NonNegative().Comment("Messages the customer sent."),
		field.Int("customer_id").Optional(),
		field.Int("queue_id").Optional(),
		field.Int("agent_id").Optional().Nillable(),
		field.Int("entry_point_id").Optional(),
		field.String("customer_address").Optional().Nillable().MaxLen(320).
			Comment("SMS and email: the customer's number (E.164) or email address, normalised; one active conversation per address and entry point (O4)."),
		field.Int("virtual_agent_id").Optional().Nillable().Comment("The virtual agent the session was handed to after its human part (P1)."),
		field.Enum("post_session_status").NamedValues(
			"AwaitingConsent", "AWAITING_CONSENT",
			"Waiting", "WAITING",
			"Taken", "TAKEN",
			"Completed", "COMPLETED",
			"ConsentRefused", "CONSENT_REFUSED",
			"ConsentTimedOut", "CONSENT_TIMED_OUT",
			"TimedOut", "TIMED_OUT",
			"CustomerLeft", "CUSTOMER_LEFT",
		).Optional().Nillable().Comment("How the post-session part stands; set once, when the session is handed over (at most one post-session transfer per engagement)."),
		field.Time("post_session_deadline").Optional().Nillable().Comment("When the customer's consent, or the virtual agent's take, is due."),
		field.JSON("post_session_parameters", map[string]any{}).Optional().Annotations(entgql.Type("Map")).
			Comment("The data parameters passed to the virtual agent, resolved when the session was handed over."),
		field.Enum("post_session_record_in").NamedValues("Metadata", "METADATA", "CRM", "CRM", "Both", "BOTH").Optional().Nillable().
			Comment("Where the data parameters and the result are recorded, from the post-session setting."),
		field.JSON("post_session_result", map[string]any{}).Optional().Annotations(entgql.Type("Map")).
			Comment("What the virtual agent ended the session with (e.g. survey answers)."),
		field.String("post_session_reason").Optional().Comment("Why the post-session part ended: POST_SESSION_COMPLETED, CUSTOMER_ENDED, CONSENT_REFUSED, CONSENT_TIMED_OUT, VIRTUAL_AGENT_TIMEOUT, POST_SESSION_LIMIT."),
		field.Int("previous_id").Optional().Nillable().
			Comment("The earlier conversation with the same customer address and entry point this one continues (O7)."),
	}
}

// Edges of the Engagement.
func (Engagement) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("customer", Customer.Type).Field("customer_id").Unique(),
		edge.To("queue", Queue.Type).Field("queue_id").Unique(),
		edge.To("agent", Agent.Type).Field("agent_id").Unique(),
		edge.To("entry_point", EntryPoint.Type).Field("entry_point_id").Unique(),
		edge.From("offers", Offer.Type).Ref("engagement"),
		edge.From("transfers", Transfer.Type).Ref("engagement"),
		edge.From("messages", Message.Type).Ref("engagement").Annotations(entgql.RelayConnection()),
		edge.From("transcript", TranscriptSegment.Type).Ref("engagement"),
		edge.From("notes", Note.Type).Ref("engagement"),
		edge.To("dispositions", WrapUpReason.Type),
		edge.From("records", CRMRecord.Type).Ref("engagements"),
		edge.To("virtual_agent", VirtualAgent.Type).Field("virtual_agent_id").Unique(),
		edge.To("next", Engagement.Type).From("previous").Field("previous_id").Unique().
			Comment("previous: the conversation this one continues; next: those continuing it."),
	}
}

// Indexes of the Engagement.
func (Engagement) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("agent_id", "state"),
		index.Fields("queue_id", "state", "queued_at"),
		index.Fields("customer_id", "created_at"),
		index.Fields("state"),
		// O4's safety net: one open conversation per (customer address, entry
		// point); an ended one (wrap-up, closed) no longer counts.
		index.Fields("customer_address", "entry_point_id").Unique().
			Annotations(entsql.IndexWhere("customer_address IS NOT NULL AND ended_at IS NULL AND closed_at IS NULL")).
			StorageKey("engagement_one_active_conversation"),
	}
}

// Annotations of the Engagement.
func (Engagement) Annotations() []schema.Annotation {
	return readAnnotations(auth([]string{"ADMIN", "SUPERVISOR"}, []string{"ENGAGEMENTS"}))
}
