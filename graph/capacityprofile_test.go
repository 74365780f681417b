package graph_test

import (
	"testing"

	"github.com/switchboard/switchboard/internal/apitest"
)

func TestCapacityProfile(t *testing.T) {
	s := apitest.Start(t)
	const create = `mutation($in: CreateCapacityProfileInput!) {
	  createCapacityProfile(input: $in) { capacityProfile { id name voice video chat email sms outboundMax } } }`
	const update = `mutation($id: ID!, $in: UpdateCapacityProfileInput!) {
	  updateCapacityProfile(id: $id, input: $in) { capacityProfile { id chat } } }`
	const remove = `mutation($id: ID!) { deleteCapacityProfile(id: $id) { deletedID } }`

	type profile struct {
		ID, Name                                    string
		Voice, Video, Chat, Email, Sms, OutboundMax int
	}
	p := do[struct {
		CreateCapacityProfile struct{ CapacityProfile profile }
	}](t, s.Admin, create,
		map[string]any{"in": map[string]any{"name": "Default", "chat": 4}}).CreateCapacityProfile.CapacityProfile
	if p.Voice != 1 || p.Video != 1 || p.Chat != 4 || p.Email != 5 || p.Sms != 5 || p.OutboundMax != 2 {
		t.Fatalf("defaults not applied: %+v", p)
	}
	edge := do[struct {
		CreateCapacityProfile struct{ CapacityProfile profile }
	}](t, s.Admin, create,
		map[string]any{"in": map[string]any{"name": "Edge", "voice": 0, "chat": 50}}).CreateCapacityProfile.CapacityProfile
	if edge.Voice != 0 || edge.Chat != 50 {
		t.Fatalf("bounds 0 and 50 are allowed: %+v", edge)
	}

	runErrorCases(t, s.Admin, []errorCase{
		{name: "chat above 50", query: create, code: "VALIDATION", field: "chat",
			vars: map[string]any{"in": map[string]any{"name": "Big", "chat": 51}}},
		{name: "negative voice", query: create, code: "VALIDATION", field: "voice",
			vars: map[string]any{"in": map[string]any{"name": "Neg", "voice": -1}}},
		{name: "outbound max above 50", query: create, code: "VALIDATION", field: "outboundMax",
			vars: map[string]any{"in": map[string]any{"name": "Out", "outboundMax": 99}}},
		{name: "empty name", query: create, code: "VALIDATION", field: "name",
			vars: map[string]any{"in": map[string]any{"name": ""}}},
		{name: "duplicate name", query: create, code: "CONFLICT",
			vars: map[string]any{"in": map[string]any{"name": "Default"}}},
		{name: "update above 50", query: update, code: "VALIDATION", field: "chat",
			vars: map[string]any{"id": p.ID, "in": map[string]any{"chat": 60}}},
		{name: "update missing profile", query: update, code: "NOT_FOUND",
			vars: map[string]any{"id": "1", "in": map[string]any{"chat": 2}}},
		{name: "delete missing profile", query: remove, code: "NOT_FOUND",
			vars: map[string]any{"id": "1"}},
	})
	if got := node(t, s.Admin, p.ID, `... on CapacityProfile { chat }`); got["chat"] != 4.0 {
		t.Errorf("refused update changed the profile: %v", got)
	}
	if n := count(t, s.Admin, "capacityProfiles"); n != 2 {
		t.Errorf("%d profiles after refused creations; want 2", n)
	}

	t.Run("update", func(t *testing.T) {
		got := do[struct {
			UpdateCapacityProfile struct{ CapacityProfile profile }
		}](t, s.Admin, update,
			map[string]any{"id": p.ID, "in": map[string]any{"chat": 7}}).UpdateCapacityProfile.CapacityProfile
		if got.Chat != 7 {
			t.Fatalf("chat = %d; want 7", got.Chat)
		}
	})
	t.Run("delete in use is a conflict", func(t *testing.T) {
		createAgent(t, s, map[string]any{"name": "User", "email": "user@example.com", "capacityProfileID": p.ID})
		apitest.ExpectCode(t, s.Admin, "CONFLICT", remove, map[string]any{"id": p.ID})
		if node(t, s.Admin, p.ID, "") == nil {
			t.Fatal("profile in use was deleted")
		}
	})
	t.Run("delete unused", func(t *testing.T) {
		got := do[struct{ DeleteCapacityProfile struct{ DeletedID string } }](t, s.Admin, remove, map[string]any{"id": edge.ID})
		if got.DeleteCapacityProfile.DeletedID != edge.ID {
			t.Fatalf("deletedID = %q", got.DeleteCapacityProfile.DeletedID)
		}
		apitest.ExpectCode(t, s.Admin, "NOT_FOUND", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": edge.ID})
	})
}
