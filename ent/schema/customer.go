package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// Customer is an end user in the address book.
type Customer struct{ ent.Schema }

// Mixin of the Customer.
func (Customer) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Customer.
func (Customer) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").Optional().MaxLen(200).Annotations(entgql.OrderField("NAME")),
		field.JSON("phones", []string{}).Optional(),
		field.JSON("emails", []string{}).Optional(),
		field.JSON("external_ids", map[string]any{}).Optional().Annotations(entgql.Type("Map")),
	}
}

// Edges of the Customer.
func (Customer) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("engagements", Engagement.Type).Ref("customer").Annotations(entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.From("records", CRMRecord.Type).Ref("customer").Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// Annotations of the Customer.
func (Customer) Annotations() []schema.Annotation {
	return configAnnotations(auth([]string{"ADMIN", "SUPERVISOR"}, []string{"ENGAGEMENTS", "CRM"}))
}
