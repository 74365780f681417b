package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/switchboard/switchboard/internal/apperr"
)

// Reasons of the errors documentShape and costLimit answer.
const (
	ReasonFieldLimit      = "FIELD_LIMIT"
	ReasonDepthLimit      = "DEPTH_LIMIT"
	ReasonComplexityLimit = "COMPLEXITY_LIMIT"
	ReasonOneLogin        = "ONE_LOGIN_PER_REQUEST"
)

// documentShape refuses, before the document is validated or run, one
// whose operations select more than maxFields fields once every fragment
// spread is expanded, nest deeper than maxDepth, or call login more than
// once. Each fragment is measured once and its figures reused wherever it
// is spread, so a fragment bomb (each fragment spreading the previous one
// twice) costs time linear in its size here, where validating or running
// it would double with every level.
//
// A document found in accepted (the parsed-query cache, which holds only
// documents that passed this check, parsing and validation) is not
// measured again: its shape depends on its text alone.
type documentShape struct {
	maxFields, maxDepth, tokenLimit int
	accepted                        graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = documentShape{}

// ExtensionName names the extension.
func (documentShape) ExtensionName() string { return "DocumentShape" }

// Validate accepts any schema.
func (documentShape) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters measures the document.
func (d documentShape) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if d.accepted != nil {
		if _, ok := d.accepted.Get(ctx, p.Query); ok {
			return nil
		}
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, d.tokenLimit)
	if err != nil {
		return nil // gqlgen parses it again and reports why
	}
	m := shapeMeter{doc: doc, fragments: map[string]*shape{}}
	for _, op := range doc.Operations {
		s := m.selections(op.SelectionSet)
		switch {
		case s.fields > d.maxFields:
			return limitError(ReasonFieldLimit, "the operation selects more than %d fields once its fragments are expanded", d.maxFields)
		case s.depth > d.maxDepth:
			return limitError(ReasonDepthLimit, "the operation nests fields deeper than %d levels", d.maxDepth)
		case op.Operation == ast.Mutation && s.logins > 1:
			return limitError(ReasonOneLogin, "at most one login per request")
		}
	}
	return nil
}

func limitError(reason, format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, args...),
		Extensions: map[string]any{"code": string(apperr.LimitExceeded), "reason": reason}}
}

// shape is what a selection set amounts to with its fragments expanded:
// fields, the depth of its deepest field, and root login fields.
type shape struct {
	fields, depth, logins int
}

type shapeMeter struct {
	doc       *ast.QueryDocument
	fragments map[string]*shape // measured fragments; in progress while nil-valued
}

// saturated bounds the counts so that a bomb does not overflow them.
const saturated = 1 << 40

func (m *shapeMeter) selections(set ast.SelectionSet) shape {
	var out shape
	add := func(s shape, nested int) {
		out.fields = min(out.fields+s.fields, saturated)
		out.depth = max(out.depth, s.depth+nested)
		out.logins = min(out.logins+s.logins, saturated)
	}
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			inner := m.selections(sel.SelectionSet)
			add(shape{fields: 1 + inner.fields, depth: inner.depth}, 1)
			if sel.Name == "login" {
				out.logins++
			}
		case *ast.InlineFragment:
			add(m.selections(sel.SelectionSet), 0)
		case *ast.FragmentSpread:
			add(m.fragment(sel.Name), 0)
		}
	}
	return out
}

// fragment measures a named fragment once; a cycle (which validation
// refuses) counts as nothing.
func (m *shapeMeter) fragment(name string) shape {
	if s, seen := m.fragments[name]; seen {
		if s == nil {
			return shape{}
		}
		return *s
	}
	def := m.doc.Fragments.ForName(name)
	if def == nil {
		return shape{}
	}
	m.fragments[name] = nil
	s := m.selections(def.SelectionSet)
	m.fragments[name] = &s
	return s
}

// costLimit refuses, after validation and before execution, an operation
// whose cost exceeds limit. A field costs 1 plus what it selects; below a
// connection, what its edges and nodes select counts once per item it may
// return (first or last, or maxPage when neither is given), and so does a
// list field taking first. Fragments count as expanded: documentShape has
// bounded how far they expand.
type costLimit struct {
	limit, maxPage int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = costLimit{}

// ExtensionName names the extension.
func (costLimit) ExtensionName() string { return "CostLimit" }

// Validate accepts any schema.
func (costLimit) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext computes the operation's cost.
func (c costLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if cost := c.selections(oc, oc.Operation.SelectionSet, 1); cost > c.limit {
		return limitError(ReasonComplexityLimit, "the operation's complexity %d is above the limit %d: ask for smaller pages (first) or fewer nested connections", min(cost, saturated), c.limit)
	}
	return nil
}

// selections is the cost of a selection set whose fields are each
// resolved per times.
func (c costLimit) selections(oc *graphql.OperationContext, set ast.SelectionSet, times int) int {
	total := 0
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			total += c.field(oc, sel)
		case *ast.InlineFragment:
			total += c.selections(oc, sel.SelectionSet, 1)
		case *ast.FragmentSpread:
			if sel.Definition != nil {
				total += c.selections(oc, sel.Definition.SelectionSet, 1)
			}
		}
		if total > saturated {
			return saturated
		}
	}
	return min(total*times, saturated)
}

func (c costLimit) field(oc *graphql.OperationContext, f *ast.Field) int {
	if f.Definition == nil || len(f.SelectionSet) == 0 {
		return 1
	}
	items := 1
	connection := strings.HasSuffix(f.Definition.Type.Name(), "Connection")
	if connection || f.Definition.Type.Elem != nil && f.Definition.Arguments.ForName("first") != nil {
		items = c.pageSize(f.ArgumentMap(oc.Variables))
	}
	if !connection {
		return 1 + c.selections(oc, f.SelectionSet, items)
	}
	return min(1+c.connection(oc, f.SelectionSet, items), saturated)
}

// connection is the cost of what a connection selects: totalCount and
// pageInfo once, what its edges and nodes select once per item, fragments
// on the connection type included.
func (c costLimit) connection(oc *graphql.OperationContext, set ast.SelectionSet, items int) int {
	total := 0
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if sel.Name == "edges" || sel.Name == "nodes" {
				total += 1 + c.selections(oc, sel.SelectionSet, items)
			} else {
				total += c.field(oc, sel)
			}
		case *ast.InlineFragment:
			total += c.connection(oc, sel.SelectionSet, items)
		case *ast.FragmentSpread:
			if sel.Definition != nil {
				total += c.connection(oc, sel.Definition.SelectionSet, items)
			}
		}
		if total > saturated {
			return saturated
		}
	}
	return total
}

// pageSize is how many items a paged field may return.
func (c costLimit) pageSize(args map[string]any) int {
	n := c.maxPage
	for _, name := range []string{"first", "last"} {
		if v, ok := toInt(args[name]); ok && v >= 0 && v < int64(n) {
			n = int(v)
		}
	}
	return max(n, 1)
}
