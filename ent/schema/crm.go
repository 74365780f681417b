package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// CRMSetting is the single row of CRM logging rules (SPEC §7).
type CRMSetting struct{ ent.Schema }

// Mixin of the CRMSetting.
func (CRMSetting) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the CRMSetting.
func (CRMSetting) Fields() []ent.Field {
	return []ent.Field{
		field.Bool("attach_to_open_record").Default(false).Comment("C2: attach a session to the last open record of the same leaf queue."),
		field.Int("reopen_within_days").Default(0).Range(0, 365).Comment("C2: also attach to a record closed fewer than N days ago, reopening it; 0 is off."),
		field.Bool("delay_call_record_until_connected").Default(false).Comment("C3."),
		field.Int("chat_record_min_messages").Default(0).Range(0, 1000).Comment("C4: create a chat record after N customer messages."),
		field.Bool("abandoned_call_records").Default(true).Comment("C5."),
		field.Enum("abandoned_chat_records").NamedValues("Off", "OFF", "All", "ALL", "MinMessages", "MIN_MESSAGES").Default("OFF").Comment("C6."),
		field.Int("abandoned_chat_min_messages").Default(1).Range(0, 1000),
		field.Int("short_abandon_seconds").Default(10).Range(0, 3600),
		field.String("title_template").Default("{CALL_TYPE} {CALL_ID}").MaxLen(500).Comment("C7: variables CALL_TYPE, CALL_ID, MENU_PATH, PHONE_NUMBER, LANGUAGE, TIMESTAMP."),
		field.Enum("session_type_tags").NamedValues("None", "NONE", "Zendesk", "ZENDESK", "Kustomer", "KUSTOMER", "Freshdesk", "FRESHDESK").Default("NONE").Comment("C8."),
		field.String("platform_tag").Optional().MaxLen(100),
		field.String("webhook_url").Optional().MaxLen(2048).Comment("External CRM adapter; empty uses the built-in store."),
	}
}

// Annotations of the CRMSetting.
func (CRMSetting) Annotations() []schema.Annotation {
	return configAnnotations(staff, "crmSettings")
}

// CRMRecord is a ticket or case that sessions are attached to.
type CRMRecord struct{ ent.Schema }

// Mixin of the CRMRecord.
func (CRMRecord) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the CRMRecord.
func (CRMRecord) Fields() []ent.Field {
	return []ent.Field{
		field.String("title").MaxLen(500),
		field.Enum("status").NamedValues("Open", "OPEN", "Pending", "PENDING", "Solved", "SOLVED", "Closed", "CLOSED").Default("OPEN").
			Annotations(entgql.OrderField("STATUS")),
		field.JSON("tags", []string{}).Optional(),
		field.JSON("metadata", map[string]any{}).Optional().Annotations(entgql.Type("Map")),
		field.Time("closed_at").Optional().Nillable(),
		field.Int("queue_id").Optional(),
		field.Int("customer_id").Optional(),
		field.Int("version").Default(1).Comment("Bumped by every change of the record; external CRMs drop updates older than the version they have."),
	}
}

// Edges of the CRMRecord.
func (CRMRecord) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("queue", Queue.Type).Field("queue_id").Unique(),
		edge.To("customer", Customer.Type).Field("customer_id").Unique(),
		edge.To("engagements", Engagement.Type),
	}
}

// Indexes of the CRMRecord.
func (CRMRecord) Indexes() []ent.Index {
	return []ent.Index{index.Fields("queue_id", "status", "updated_at")}
}

// Annotations of the CRMRecord.
func (CRMRecord) Annotations() []schema.Annotation {
	return readAnnotations(auth([]string{"ADMIN", "SUPERVISOR"}, []string{"CRM"}), "crmRecords")
}
