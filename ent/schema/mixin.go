// Package schema holds the ent schemas of Switchboard's domain (SPEC §1).
package schema

import (
	"slices"
	"strings"

	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"

	"github.com/switchboard/switchboard/ent/schema/enum"
)

// TimeMixin adds created_at and updated_at, both orderable.
type TimeMixin struct{ mixin.Schema }

// Fields of the TimeMixin.
func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(time.Now).Immutable().
			Annotations(entgql.OrderField("CREATED_AT"), entgql.Skip(entgql.SkipMutationCreateInput)),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now).
			Annotations(entgql.OrderField("UPDATED_AT"), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// Who may list an entity through its Query connection. The @auth directive
// is enforced in internal/auth; row-level visibility (an agent sees only its
// own data) is enforced by ent interceptors installed there too.
var (
	anyPrincipal = auth(nil, nil)
	staff        = auth([]string{"ADMIN", "SUPERVISOR"}, nil)
	adminOnly    = auth([]string{"ADMIN"}, nil)
)

// auth builds an @auth(roles:, scopes:) directive; nil lists are omitted.
func auth(roles, scopes []string) entgql.Directive {
	var args []*ast.Argument
	for name, list := range map[string][]string{"roles": roles, "scopes": scopes} {
		if list == nil {
			continue
		}
		v := &ast.Value{Kind: ast.ListValue}
		for _, r := range list {
			v.Children = append(v.Children, &ast.ChildValue{Value: &ast.Value{Kind: ast.EnumValue, Raw: r}})
		}
		args = append(args, &ast.Argument{Name: name, Value: v})
	}
	slices.SortFunc(args, func(a, b *ast.Argument) int { return strings.Compare(a.Name, b.Name) })
	return entgql.NewDirective("auth", args...)
}

// configAnnotations marks a configuration entity: a Relay connection on
// Query (readable as the directive says), where filters, orderBy and
// generated create/update inputs.
func configAnnotations(read entgql.Directive, name ...string) []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(name...).Directives(read),
		entgql.MultiOrder(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}

// readAnnotations marks an entity that is read through the API but written
// only by the engine.
func readAnnotations(read entgql.Directive, name ...string) []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(name...).Directives(read),
		entgql.MultiOrder(),
	}
}

// channelType makes an enum field typed enum.Channel, shown as GraphQL Channel.
var channelType = enum.Channel("")

// channelGQL shows a JSON field as GraphQL [Channel!].
var channelsGQL = entgql.Type("[Channel!]")

// engineOwned hides a field from the generated mutation inputs: only the
// engine writes it.
func engineOwned() entgql.Annotation {
	return entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)
}
