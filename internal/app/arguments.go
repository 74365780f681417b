package app

import (
	"context"
	"encoding/json"
	"strings"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
)

// checkArguments returns a root field interceptor that checks the arguments
// of every field beneath a root field, fragments included, before it runs:
// the bounds of inputs.go (strings, lists, Map values, empty filters,
// contact details), page sizes (first/last at most maxPage, nodes(ids:) as
// many) and, through auth.CheckFilter, where filters. Checking each field as it resolves would
// be too late: the root resolver's CollectFields already loads the nested
// connections with their arguments.
func checkArguments(schema *ast.Schema, maxPage int) graphql.RootFieldMiddleware {
	return func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
		oc := graphql.GetOperationContext(ctx)
		root := graphql.GetRootFieldContext(ctx)
		c := argumentChecker{ctx: ctx, schema: schema, vars: oc.Variables, maxPage: maxPage, seen: map[string]bool{}}
		if err := c.field(root.Field.Field); err != nil {
			graphql.AddError(ctx, err)
			return graphql.Null
		}
		return next(ctx)
	}
}

type argumentChecker struct {
	ctx     context.Context
	schema  *ast.Schema
	vars    map[string]any
	maxPage int
	// seen fragments are checked once: their arguments do not depend on
	// where they are spread, and this keeps nested spreads from blowing up.
	seen map[string]bool
}

func (c *argumentChecker) field(f *ast.Field) error {
	if f.Definition == nil {
		return nil
	}
	args := f.ArgumentMap(c.vars)
	for _, def := range f.Definition.Arguments {
		if err := c.input(def.Name, def.Type, args[def.Name]); err != nil {
			return err
		}
	}
	if err := c.connection(f, args); err != nil {
		return err
	}
	if ids, ok := args["ids"].([]any); ok && f.Name == "nodes" && len(ids) > c.maxPage {
		return apperr.New(apperr.LimitExceeded, "ids: at most %d per request", c.maxPage).WithField("ids")
	}
	if where, ok := args["where"]; ok && where != nil {
		if err := auth.CheckFilter(c.ctx, c.schema, f.Definition.Arguments.ForName("where").Type.Name(), where); err != nil {
			return err
		}
	}
	return c.selections(f.SelectionSet)
}

// connection checks the paging arguments of a Relay connection field; other
// fields (such as subscriptions' after) have their own meaning for them.
func (c *argumentChecker) connection(f *ast.Field, args map[string]any) error {
	if !strings.HasSuffix(f.Definition.Type.Name(), "Connection") {
		return nil
	}
	for _, name := range []string{"first", "last"} {
		n, ok := toInt(args[name])
		switch {
		case !ok:
		case n < 0:
			return apperr.Invalid(name, "must not be negative")
		case n > int64(c.maxPage):
			return apperr.New(apperr.LimitExceeded, "%s must be at most %d; page through the rest with after/before", name, c.maxPage).WithField(name)
		}
	}
	for _, name := range []string{"after", "before"} {
		// entgql's CollectFields panics on a nested cursor it cannot decode.
		if v, ok := args[name]; ok && v != nil {
			var c entgql.Cursor[int]
			if c.UnmarshalGQL(v) != nil {
				return apperr.Invalid(name, "not a cursor this API returned")
			}
		}
	}
	return nil
}

func (c *argumentChecker) selections(set ast.SelectionSet) error {
	for _, s := range set {
		var err error
		switch s := s.(type) {
		case *ast.Field:
			err = c.field(s)
		case *ast.InlineFragment:
			err = c.selections(s.SelectionSet)
		case *ast.FragmentSpread:
			if s.Definition != nil && !c.seen[s.Name] {
				c.seen[s.Name] = true
				err = c.selections(s.Definition.SelectionSet)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// toInt reads an Int argument, which gqlparser gives as int64 from literals
// and as the decoded JSON value from variables.
func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case float64:
		return int64(n), true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}
