package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// CRMDelivery is one record change to mirror to the external CRM's webhook:
// the outbox of the CRM adapter, filled from the event log (one row per
// crm_record.changed event), so a crash between a change and its delivery
// loses nothing. Delivered rows stay as the log of what the CRM was told.
type CRMDelivery struct{ ent.Schema }

// Mixin of the CRMDelivery.
func (CRMDelivery) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the CRMDelivery.
func (CRMDelivery) Fields() []ent.Field {
	return []ent.Field{
		field.Int("event_id").Unique().Immutable().Comment("The crm_record.changed event it mirrors: its sequence number."),
		field.Int("record_id").Immutable(),
		field.Int("record_version").Immutable().Comment("The record's version in the payload; receivers drop older ones."),
		field.JSON("payload", map[string]any{}).Immutable().Annotations(entgql.Type("Map")),
		field.Int("attempts").Default(0).NonNegative(),
		field.Time("next_attempt_at").Optional().Nillable().Comment("When the adapter tries (again); nil once delivered or dead-lettered."),
		field.Time("delivered_at").Optional().Nillable(),
		field.Time("dead_lettered_at").Optional().Nillable().Comment("Set when the adapter gave up; redriveCRMDeliveries queues it again."),
		field.String("last_error").Optional().MaxLen(2000),
	}
}

// Indexes of the CRMDelivery: the adapter's scan of what is due.
func (CRMDelivery) Indexes() []ent.Index {
	return []ent.Index{index.Fields("next_attempt_at"), index.Fields("dead_lettered_at")}
}

// Annotations of the CRMDelivery.
func (CRMDelivery) Annotations() []schema.Annotation {
	return readAnnotations(auth([]string{"ADMIN", "SUPERVISOR"}, []string{"CRM"}), "crmDeliveries")
}
