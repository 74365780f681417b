package auth

import (
	"context"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/switchboard/switchboard/internal/apperr"
)

// CheckFilter refuses a `where` filter (value, of the GraphQL input type
// named input) that reaches through an edge (hasXWith, hasX) a type whose
// rows the viewer may not all see. The interceptors in policy.go hide such
// rows from results but not from the SQL of an edge predicate, so whether
// the filter matched would tell about them: an agent could find colleagues
// by email through queues(where: {hasAgentsWith: ...}).
func CheckFilter(ctx context.Context, schema *ast.Schema, input string, value any) error {
	v := FromContext(ctx)
	if v.Staff() {
		return nil
	}
	return checkFilter(v, schema, schema.Types[input], value)
}

func checkFilter(v *Viewer, schema *ast.Schema, def *ast.Definition, value any) error {
	if list, ok := value.([]any); ok {
		for _, item := range list {
			if err := checkFilter(v, schema, def, item); err != nil {
				return err
			}
		}
		return nil
	}
	obj, ok := value.(map[string]any)
	if !ok || def == nil {
		return nil
	}
	for key, val := range obj {
		f := def.Fields.ForName(key)
		if f == nil {
			continue
		}
		typ := f.Type.Name()
		if typ == "Boolean" && strings.HasPrefix(key, "has") {
			// hasX: true|false, typed by its sibling hasXWith.
			if with := def.Fields.ForName(key + "With"); with != nil {
				typ = with.Type.Name()
			}
		}
		entity, isFilter := strings.CutSuffix(typ, "WhereInput")
		if !isFilter {
			continue
		}
		// not/and/or combine filters of the same type without leaving it.
		if typ != def.Name && !v.seesAll(entity) {
			return apperr.New(apperr.Forbidden, "%s is not allowed to filter by %s", describe(v), entity).WithField(key)
		}
		if err := checkFilter(v, schema, schema.Types[typ], val); err != nil {
			return err
		}
	}
	return nil
}
