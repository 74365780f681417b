package graph_test

import (
	"testing"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/gqlclient"
)

const createAgentMutation = `mutation($in: CreateAgentInput!, $p: String) {
  createAgent(input: $in, password: $p) {
    agent { id name email role license active capacityProfile { name } queues { totalCount } }
  }
}`

func TestAgentCRUD(t *testing.T) {
	s := apitest.Start(t)
	profile := createNode(t, s.Admin, "capacityProfile", "capacityProfile", map[string]any{"name": "Chat heavy", "chat": 5})
	sales := createQueue(t, s, map[string]any{"name": "Sales"})

	type agentJSON struct {
		ID, Name, Email, Role, License string
		Active                         bool
		CapacityProfile                *struct{ Name string }
		Queues                         struct{ TotalCount int }
	}
	created := do[struct{ CreateAgent struct{ Agent agentJSON } }](t, s.Admin, createAgentMutation, map[string]any{
		"in": map[string]any{
			"name": "Ada", "email": "  Ada@Example.COM ", "role": "SUPERVISOR", "license": "PREMIUM",
			"capacityProfileID": profile, "queueIDs": []string{sales},
		},
		"p": agentPassword,
	}).CreateAgent.Agent
	if created.Email != "ada@example.com" || created.Role != "SUPERVISOR" || created.License != "PREMIUM" || !created.Active ||
		created.CapacityProfile == nil || created.CapacityProfile.Name != "Chat heavy" || created.Queues.TotalCount != 1 {
		t.Fatalf("created agent = %+v", created)
	}

	t.Run("logs in with the password, email case-insensitive", func(t *testing.T) {
		c := s.Client(s.Login(t, "ADA@example.com", agentPassword))
		me := do[struct{ Me struct{ ID string } }](t, c, `{ me { id } }`, nil)
		if me.Me.ID != created.ID {
			t.Fatalf("me = %s; want %s", me.Me.ID, created.ID)
		}
	})

	t.Run("without a password cannot log in", func(t *testing.T) {
		do[any](t, s.Admin, createAgentMutation, map[string]any{"in": map[string]any{"name": "No Pass", "email": "nopass@example.com"}})
		apitest.ExpectCode(t, s.Client(""), "UNAUTHENTICATED",
			`mutation { login(email: "nopass@example.com", password: "") { token } }`, nil)
	})

	t.Run("update", func(t *testing.T) {
		updated := do[struct{ UpdateAgent struct{ Agent agentJSON } }](t, s.Admin,
			`mutation($id: ID!, $in: UpdateAgentInput!) { updateAgent(id: $id, input: $in) {
			  agent { id name email role license active capacityProfile { name } queues { totalCount } } } }`,
			map[string]any{"id": created.ID, "in": map[string]any{
				"name": "Ada L.", "role": "AGENT", "license": "STANDARD", "clearCapacityProfile": true, "removeQueueIDs": []string{sales},
			}}).UpdateAgent.Agent
		if updated.Name != "Ada L." || updated.Role != "AGENT" || updated.License != "STANDARD" ||
			updated.CapacityProfile != nil || updated.Queues.TotalCount != 0 {
			t.Fatalf("updated agent = %+v", updated)
		}
	})

	missingProfile := sales // an ID of another type never names a capacity profile
	agentsBefore := count(t, s.Admin, "agents")
	runErrorCases(t, s.Admin, []errorCase{
		{name: "invalid email", query: createAgentMutation, code: "VALIDATION", field: "email",
			vars: map[string]any{"in": map[string]any{"name": "X", "email": "not an email"}}},
		{name: "email with display name", query: createAgentMutation, code: "VALIDATION", field: "email",
			vars: map[string]any{"in": map[string]any{"name": "X", "email": "X <x@example.com>"}}},
		{name: "empty name", query: createAgentMutation, code: "VALIDATION", field: "name",
			vars: map[string]any{"in": map[string]any{"name": "", "email": "x@example.com"}}},
		{name: "short password", query: createAgentMutation, code: "VALIDATION", field: "password",
			vars: map[string]any{"in": map[string]any{"name": "X", "email": "x@example.com"}, "p": "short"}},
		{name: "password over 72 bytes", query: createAgentMutation, code: "VALIDATION", field: "password",
			vars: map[string]any{"in": map[string]any{"name": "X", "email": "x@example.com"}, "p": string(make([]byte, 73))}},
		{name: "duplicate email in another case", query: createAgentMutation, code: "CONFLICT",
			vars: map[string]any{"in": map[string]any{"name": "X", "email": "ADA@EXAMPLE.COM"}}},
		{name: "missing capacity profile", query: createAgentMutation, code: "NOT_FOUND",
			vars: map[string]any{"in": map[string]any{"name": "X", "email": "x@example.com", "capacityProfileID": missingProfile}}},
		{name: "missing queue", query: createAgentMutation, code: "NOT_FOUND",
			vars: map[string]any{"in": map[string]any{"name": "X", "email": "x@example.com", "queueIDs": []string{sales, profile}}}},
		{name: "unknown role", query: createAgentMutation, code: "VALIDATION",
			vars: map[string]any{"in": map[string]any{"name": "X", "email": "x@example.com", "role": "OWNER"}}},
		{name: "update missing agent", code: "NOT_FOUND",
			query: `mutation { updateAgent(id: "1", input: {name: "Nobody"}) { agent { id } } }`},
		{name: "update with invalid email", code: "VALIDATION", field: "email",
			query: `mutation($id: ID!) { updateAgent(id: $id, input: {email: "@"}) { agent { id } } }`,
			vars:  map[string]any{"id": created.ID}},
	})
	if n := count(t, s.Admin, "agents"); n != agentsBefore {
		t.Errorf("failed creations left agents behind: %d agents, want %d", n, agentsBefore)
	}
}

func TestAgentDeactivation(t *testing.T) {
	s := apitest.Start(t)
	id, first := createAgent(t, s, map[string]any{"name": "Bo", "email": "bo@example.com"})
	second := s.Client(s.Login(t, "bo@example.com", agentPassword))
	const setActive = `mutation($id: ID!, $on: Boolean!) { updateAgent(id: $id, input: {active: $on}) { agent { active } } }`
	const login = `mutation { login(email: "bo@example.com", password: "` + agentPassword + `") { token } }`

	do[any](t, s.Admin, setActive, map[string]any{"id": id, "on": false})
	for name, c := range map[string]*gqlclient.Client{"first token": first, "second token": second} {
		t.Run(name+" is revoked", func(t *testing.T) {
			apitest.ExpectCode(t, c, "UNAUTHENTICATED", `{ me { id } }`, nil)
		})
	}
	t.Run("login is refused like a wrong password", func(t *testing.T) {
		// Saying "deactivated" would tell a guesser the password was right.
		apitest.ExpectCode(t, s.Client(""), "UNAUTHENTICATED", login, nil)
	})
	t.Run("reactivated agent logs in again, old tokens stay revoked", func(t *testing.T) {
		do[any](t, s.Admin, setActive, map[string]any{"id": id, "on": true})
		apitest.ExpectCode(t, first, "UNAUTHENTICATED", `{ me { id } }`, nil)
		do[any](t, s.Client(s.Login(t, "bo@example.com", agentPassword)), `{ me { id } }`, nil)
	})
}

func TestLastAdminIsKept(t *testing.T) {
	s := apitest.Start(t)
	me := do[struct{ Me struct{ ID string } }](t, s.Admin, `{ me { id } }`, nil).Me.ID
	const update = `mutation($id: ID!, $in: UpdateAgentInput!) { updateAgent(id: $id, input: $in) { agent { role active } } }`
	runErrorCases(t, s.Admin, []errorCase{
		{name: "deactivate the only admin", query: update, code: "PRECONDITION_FAILED",
			vars: map[string]any{"id": me, "in": map[string]any{"active": false}}},
		{name: "demote the only admin", query: update, code: "PRECONDITION_FAILED",
			vars: map[string]any{"id": me, "in": map[string]any{"role": "SUPERVISOR"}}},
	})
	// The refused updates changed nothing, and the admin still works.
	got := do[struct {
		Me struct {
			Role   string
			Active bool
		}
	}](t, s.Admin, `{ me { role active } }`, nil).Me
	if got.Role != "ADMIN" || !got.Active {
		t.Fatalf("admin after refused updates = %+v", got)
	}
	t.Run("with a second admin, the first may step down", func(t *testing.T) {
		createAgent(t, s, map[string]any{"name": "Second", "email": "second@example.com", "role": "ADMIN"})
		do[any](t, s.Admin, update, map[string]any{"id": me, "in": map[string]any{"role": "SUPERVISOR"}})
	})
}
