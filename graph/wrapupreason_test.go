package graph_test

import (
	"context"
	"testing"

	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/auth"
)

func TestWrapUpReason(t *testing.T) {
	s := apitest.Start(t)
	sales := createQueue(t, s, map[string]any{"name": "Sales"})
	const create = `mutation($in: CreateWrapUpReasonInput!) { createWrapUpReason(input: $in) { wrapUpReason { id code label active queues { id } } } }`
	const update = `mutation($id: ID!, $in: UpdateWrapUpReasonInput!) { updateWrapUpReason(id: $id, input: $in) { wrapUpReason { id code } } }`
	const remove = `mutation($id: ID!) { deleteWrapUpReason(id: $id) { deletedID } }`

	type reason struct {
		ID, Code, Label string
		Active          bool
		Queues          []struct{ ID string }
	}
	resolved := do[struct{ CreateWrapUpReason struct{ WrapUpReason reason } }](t, s.Admin, create, map[string]any{"in": map[string]any{
		"code": "RESOLVED", "label": "Resolved", "queueIDs": []string{sales},
	}}).CreateWrapUpReason.WrapUpReason
	if !resolved.Active || len(resolved.Queues) != 1 || resolved.Queues[0].ID != sales {
		t.Fatalf("created %s", jsonString(resolved))
	}
	callback := createNode(t, s.Admin, "wrapUpReason", "wrapUpReason", map[string]any{"code": "CALL_BACK_2", "label": "Call back"})

	in := func(code string) map[string]any {
		return map[string]any{"in": map[string]any{"code": code, "label": "L"}}
	}
	runErrorCases(t, s.Admin, []errorCase{
		{name: "lower case code", query: create, code: "VALIDATION", field: "code", vars: in("resolved")},
		{name: "code starting with a digit", query: create, code: "VALIDATION", field: "code", vars: in("2ND_CALL")},
		{name: "code with a space", query: create, code: "VALIDATION", field: "code", vars: in("NO ANSWER")},
		{name: "empty code", query: create, code: "VALIDATION", field: "code", vars: in("")},
		{name: "code too long", query: create, code: "VALIDATION", field: "code", vars: in("A" + string(make([]byte, 64)))},
		{name: "empty label", query: create, code: "VALIDATION", field: "label",
			vars: map[string]any{"in": map[string]any{"code": "EMPTY_LABEL", "label": ""}}},
		{name: "duplicate code", query: create, code: "CONFLICT", vars: in("RESOLVED")},
		{name: "update to an invalid code", query: update, code: "VALIDATION", field: "code",
			vars: map[string]any{"id": resolved.ID, "in": map[string]any{"code": "Resolved!"}}},
		{name: "update to a taken code", query: update, code: "CONFLICT",
			vars: map[string]any{"id": callback, "in": map[string]any{"code": "RESOLVED"}}},
		{name: "delete missing reason", query: remove, code: "NOT_FOUND", vars: map[string]any{"id": "1"}},
	})
	if n := count(t, s.Admin, "wrapUpReasons"); n != 2 {
		t.Errorf("%d reasons after refused creations; want 2", n)
	}

	t.Run("a recorded reason is deactivated, not deleted", func(t *testing.T) {
		e := insertEngagement(t, s, sales, engagement.StateClosed)
		if err := e.Update().AddDispositionIDs(intID(t, resolved.ID)).Exec(auth.SystemContext(context.Background())); err != nil {
			t.Fatal(err)
		}
		apitest.ExpectCode(t, s.Admin, "CONFLICT", remove, map[string]any{"id": resolved.ID})
		do[any](t, s.Admin, update, map[string]any{"id": resolved.ID, "in": map[string]any{"active": false}})
	})
	t.Run("an unused reason is deleted", func(t *testing.T) {
		do[any](t, s.Admin, remove, map[string]any{"id": callback})
		if n := count(t, s.Admin, "wrapUpReasons"); n != 1 {
			t.Fatalf("%d reasons after delete; want 1", n)
		}
	})
}
