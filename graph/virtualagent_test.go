package graph_test

import (
	"testing"

	"github.com/switchboard/switchboard/internal/apitest"
)

func TestVirtualAgent(t *testing.T) {
	s := apitest.Start(t)
	const create = `mutation($in: CreateVirtualAgentInput!) { createVirtualAgent(input: $in) { virtualAgent { id name channels active } } }`
	const update = `mutation($id: ID!, $in: UpdateVirtualAgentInput!) { updateVirtualAgent(id: $id, input: $in) { virtualAgent { id channels active } } }`
	const remove = `mutation($id: ID!) { deleteVirtualAgent(id: $id) { deletedID } }`

	survey := createNode(t, s.Admin, "virtualAgent", "virtualAgent", map[string]any{
		"name": "Survey", "channels": []string{"CHAT", "VOICE"},
	})
	spare := createNode(t, s.Admin, "virtualAgent", "virtualAgent", map[string]any{"name": "Spare", "channels": []string{"CHAT"}})
	createNode(t, s.Admin, "postSessionSetting", "postSessionSetting", map[string]any{"channel": "CHAT", "enabled": true, "virtualAgentID": survey})

	in := func(name string, channels []string) map[string]any {
		return map[string]any{"in": map[string]any{"name": name, "channels": channels}}
	}
	runErrorCases(t, s.Admin, []errorCase{
		{name: "no channels", query: create, code: "VALIDATION", field: "channels", vars: in("Mute", []string{})},
		{name: "empty name", query: create, code: "VALIDATION", field: "name", vars: in("", []string{"CHAT"})},
		{name: "duplicate name", query: create, code: "CONFLICT", vars: in("Survey", []string{"CHAT"})},
		{name: "drop a channel a setting uses", query: update, code: "CONFLICT",
			vars: map[string]any{"id": survey, "in": map[string]any{"channels": []string{"VOICE"}}}},
		{name: "clear all channels", query: update, code: "VALIDATION", field: "channels",
			vars: map[string]any{"id": spare, "in": map[string]any{"channels": []string{}}}},
		{name: "deactivate while an enabled setting uses it", query: update, code: "CONFLICT",
			vars: map[string]any{"id": survey, "in": map[string]any{"active": false}}},
		{name: "delete while a setting uses it", query: remove, code: "CONFLICT", vars: map[string]any{"id": survey}},
		{name: "update missing", query: update, code: "NOT_FOUND", vars: map[string]any{"id": "1", "in": map[string]any{"name": "X"}}},
	})
	got := node(t, s.Admin, survey, `... on VirtualAgent { channels active }`)
	if jsonString(got["channels"]) != `["CHAT","VOICE"]` || got["active"] != true {
		t.Errorf("refused updates changed the virtual agent: %v", got)
	}
	if n := count(t, s.Admin, "virtualAgents"); n != 2 {
		t.Errorf("%d virtual agents after refused creations; want 2", n)
	}

	t.Run("update and delete an unused one", func(t *testing.T) {
		do[any](t, s.Admin, update, map[string]any{"id": spare, "in": map[string]any{"channels": []string{"VOICE"}, "active": false}})
		do[any](t, s.Admin, remove, map[string]any{"id": spare})
		if n := count(t, s.Admin, "virtualAgents"); n != 1 {
			t.Fatalf("%d virtual agents after delete; want 1", n)
		}
	})
	t.Run("supervisors read, agents do not", func(t *testing.T) {
		_, sup := createAgent(t, s, map[string]any{"name": "Sup", "email": "sup@example.com", "role": "SUPERVISOR"})
		_, agent := createAgent(t, s, map[string]any{"name": "Agt", "email": "agt@example.com"})
		if n := count(t, sup, "virtualAgents"); n != 1 {
			t.Errorf("supervisor sees %d virtual agents", n)
		}
		apitest.ExpectCode(t, sup, "FORBIDDEN", remove, map[string]any{"id": survey})
		apitest.ExpectCode(t, agent, "FORBIDDEN", `{ virtualAgents { totalCount } }`, nil)
	})
}
