package graph_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
)

type page struct {
	TotalCount int
	PageInfo   struct {
		HasNextPage, HasPreviousPage bool
		StartCursor, EndCursor       *string
	}
	Edges []struct {
		Cursor string
		Node   struct{ Name, Email, Role string }
	}
}

func (p page) names() string {
	var out []string
	for _, e := range p.Edges {
		out = append(out, e.Node.Name)
	}
	return strings.Join(out, ",")
}

const pageFields = `totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { name } }`

func TestQueuePagination(t *testing.T) {
	s := apitest.Start(t)
	parent := createQueue(t, s, map[string]any{"name": "Parent", "priority": 0})
	for i, name := range []string{"Golf", "Alpha", "Echo", "Bravo", "Foxtrot", "Delta", "Charlie"} {
		createQueue(t, s, map[string]any{"name": name, "priority": i * 10, "parentID": parent})
	}
	const q = `query($first: Int, $after: Cursor, $last: Int, $before: Cursor, $where: QueueWhereInput, $orderBy: [QueueOrder!]) {
	  queues(first: $first, after: $after, last: $last, before: $before, where: $where, orderBy: $orderBy) { ` + pageFields + ` } }`
	get := func(t *testing.T, vars map[string]any) page {
		return do[struct{ Queues page }](t, s.Admin, q, vars).Queues
	}
	byName := []map[string]any{{"field": "NAME"}}

	t.Run("walk forward by cursor", func(t *testing.T) {
		var got []string
		var after any
		for range 4 {
			p := get(t, map[string]any{"first": 3, "after": after, "where": map[string]any{"hasParent": true}, "orderBy": byName})
			if p.TotalCount != 7 {
				t.Fatalf("totalCount = %d; want 7", p.TotalCount)
			}
			got = append(got, p.names())
			if !p.PageInfo.HasNextPage {
				break
			}
			after = *p.PageInfo.EndCursor
		}
		if want := "Alpha,Bravo,Charlie|Delta,Echo,Foxtrot|Golf"; strings.Join(got, "|") != want {
			t.Fatalf("pages %q; want %q", strings.Join(got, "|"), want)
		}
	})
	t.Run("walk backward by cursor", func(t *testing.T) {
		p := get(t, map[string]any{"last": 2, "where": map[string]any{"hasParent": true}, "orderBy": byName})
		if p.names() != "Foxtrot,Golf" || !p.PageInfo.HasPreviousPage {
			t.Fatalf("last page %q (previous: %v)", p.names(), p.PageInfo.HasPreviousPage)
		}
		p = get(t, map[string]any{"last": 2, "before": *p.PageInfo.StartCursor, "where": map[string]any{"hasParent": true}, "orderBy": byName})
		if p.names() != "Delta,Echo" {
			t.Fatalf("page before = %q", p.names())
		}
	})

	for _, tc := range []struct {
		name    string
		vars    map[string]any
		want    string
		wantCnt int
	}{
		{"name prefix", map[string]any{"where": map[string]any{"nameHasPrefix": "D"}}, "Delta", 1},
		{"name in, descending", map[string]any{"where": map[string]any{"nameIn": []string{"Alpha", "Echo", "Golf"}},
			"orderBy": []map[string]any{{"field": "NAME", "direction": "DESC"}}}, "Golf,Echo,Alpha", 3},
		{"priority range, by priority", map[string]any{"where": map[string]any{"priorityGTE": 20, "priorityLT": 50},
			"orderBy": []map[string]any{{"field": "PRIORITY", "direction": "DESC"}}}, "Foxtrot,Bravo,Echo", 3},
		{"or and not", map[string]any{"where": map[string]any{"or": []map[string]any{{"name": "Alpha"}, {"name": "Golf"}},
			"not": map[string]any{"name": "Golf"}}}, "Alpha", 1},
		{"roots only", map[string]any{"where": map[string]any{"hasParent": false}}, "Parent", 1},
		{"children of a parent", map[string]any{"first": 2, "where": map[string]any{"hasParentWith": []map[string]any{{"name": "Parent"}}},
			"orderBy": []map[string]any{{"field": "PRIORITY"}}}, "Golf,Alpha", 7},
		{"first zero", map[string]any{"first": 0}, "", 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := get(t, tc.vars)
			if p.names() != tc.want || p.TotalCount != tc.wantCnt {
				t.Fatalf("got %q (total %d); want %q (total %d)", p.names(), p.TotalCount, tc.want, tc.wantCnt)
			}
		})
	}
}

func TestAgentPagination(t *testing.T) {
	s := apitest.Start(t)
	sales := createQueue(t, s, map[string]any{"name": "Sales"})
	for i := range 5 {
		role := "AGENT"
		if i == 3 {
			role = "SUPERVISOR"
		}
		createAgent(t, s, map[string]any{"name": fmt.Sprintf("Agent %d", i), "email": fmt.Sprintf("agent%d@example.com", i),
			"role": role, "queueIDs": []string{sales}})
	}
	const q = `query($first: Int, $after: Cursor, $where: AgentWhereInput, $orderBy: [AgentOrder!]) {
	  agents(first: $first, after: $after, where: $where, orderBy: $orderBy) { ` + pageFields + ` } }`
	for _, tc := range []struct {
		name string
		vars map[string]any
		want string
	}{
		{"by email descending", map[string]any{"first": 2, "orderBy": []map[string]any{{"field": "EMAIL", "direction": "DESC"}}}, "Agent 4,Agent 3"},
		{"role filter", map[string]any{"where": map[string]any{"role": "SUPERVISOR"}}, "Agent 3"},
		{"role and name order", map[string]any{"where": map[string]any{"roleNEQ": "ADMIN", "nameContains": "Agent"},
			"orderBy": []map[string]any{{"field": "ROLE"}, {"field": "NAME", "direction": "DESC"}}}, "Agent 4,Agent 2,Agent 1,Agent 0,Agent 3"},
		{"members of a queue", map[string]any{"where": map[string]any{"hasQueuesWith": []map[string]any{{"name": "Sales"}}, "emailHasSuffix": "1@example.com"}}, "Agent 1"},
		{"active state", map[string]any{"where": map[string]any{"active": true, "state": "OFFLINE", "license": "STANDARD"},
			"orderBy": []map[string]any{{"field": "NAME"}}, "first": 1}, "Agent 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := do[struct{ Agents page }](t, s.Admin, q, tc.vars).Agents
			if p.names() != tc.want {
				t.Fatalf("got %q; want %q", p.names(), tc.want)
			}
		})
	}
	t.Run("after the last cursor", func(t *testing.T) {
		p := do[struct{ Agents page }](t, s.Admin, q, map[string]any{"first": 100}).Agents
		last := p.Edges[len(p.Edges)-1].Cursor
		p = do[struct{ Agents page }](t, s.Admin, q, map[string]any{"first": 1, "after": last}).Agents
		if len(p.Edges) != 0 || p.PageInfo.HasNextPage {
			t.Fatalf("page after the end = %+v", p)
		}
	})
}

func TestPageSizeLimit(t *testing.T) {
	s := apitest.Start(t)
	createQueue(t, s, map[string]any{"name": "Q"})
	runErrorCases(t, s.Admin, []errorCase{
		{name: "first above the cap", query: `{ queues(first: 101) { totalCount } }`, code: "LIMIT_EXCEEDED", field: "first"},
		{name: "last above the cap", query: `{ agents(last: 101) { totalCount } }`, code: "LIMIT_EXCEEDED", field: "last"},
		{name: "cap through a variable", query: `query($n: Int) { templates(first: $n) { totalCount } }`, vars: map[string]any{"n": 1000}, code: "LIMIT_EXCEEDED"},
		{name: "nested connection above the cap", query: `{ queues(first: 1) { edges { node { agents(first: 1000) { totalCount } } } } }`, code: "LIMIT_EXCEEDED"},
		{name: "nested in a fragment", query: `{ me { ...a } } fragment a on Agent { queues(first: 5000) { totalCount } }`, code: "LIMIT_EXCEEDED"},
		{name: "negative first", query: `{ queues(first: -1) { totalCount } }`, code: "VALIDATION", field: "first"},
		{name: "negative nested last", query: `{ queues { edges { node { agents(last: -1) { totalCount } } } } }`, code: "VALIDATION"},
		{name: "too many node ids", query: `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, vars: map[string]any{"ids": make([]string, 101)}, code: "LIMIT_EXCEEDED"},
		{name: "invalid cursor", query: `{ queues(first: 1, after: "not a cursor") { totalCount } }`, code: "VALIDATION"},
	})
	do[any](t, s.Admin, `{ queues(first: 100) { edges { node { agents(first: 100) { totalCount } } } } }`, nil)

	t.Run("configured cap", func(t *testing.T) {
		small := apitest.Start(t, func(c *app.Config) { c.MaxPageSize = 5 })
		apitest.ExpectCode(t, small.Admin, "LIMIT_EXCEEDED", `{ queues(first: 6) { totalCount } }`, nil)
		do[any](t, small.Admin, `{ queues(first: 5) { totalCount } }`, nil)
	})
}
