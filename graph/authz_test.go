package graph_test

import (
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/gqlclient"
)

// Agents configure nothing and see no other agent, by any path.
func TestAgentAuthorization(t *testing.T) {
	s := apitest.Start(t)
	profile := createNode(t, s.Admin, "capacityProfile", "capacityProfile", map[string]any{"name": "Shared"})
	queue := createQueue(t, s, map[string]any{"name": "Shared queue"})
	me, agent := createAgent(t, s, map[string]any{"name": "Me", "email": "me@example.com", "queueIDs": []string{queue}, "capacityProfileID": profile})
	other, _ := createAgent(t, s, map[string]any{"name": "Secret Colleague", "email": "colleague@example.com", "queueIDs": []string{queue}, "capacityProfileID": profile, "skills": []string{"vip"}})
	bot := createNode(t, s.Admin, "virtualAgent", "virtualAgent", map[string]any{"name": "Bot", "channels": []string{"CHAT"}})
	key := createAPIKey(t, s, "CRM")
	keyID := do[struct {
		APIKeys struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}](t, s.Admin, `{ apiKeys { edges { node { id } } } }`, nil).APIKeys.Edges[0].Node.ID
	vars := map[string]any{"id": queue}

	t.Run("configuration is forbidden", func(t *testing.T) {
		runErrorCases(t, agent, []errorCase{
			{name: "create a queue", query: `mutation { createQueue(input: {name: "Mine"}) { queue { id } } }`, code: "FORBIDDEN"},
			{name: "rename a queue", query: `mutation($id: ID!) { updateQueue(id: $id, input: {name: "Mine"}) { queue { id } } }`, vars: vars, code: "FORBIDDEN"},
			{name: "join a queue", query: `mutation($id: ID!) { updateQueue(id: $id, input: {addAgentIDs: ["1"]}) { queue { id } } }`, vars: vars, code: "FORBIDDEN"},
			{name: "delete a queue", query: `mutation($id: ID!) { deleteQueue(id: $id) { deletedID } }`, vars: vars, code: "FORBIDDEN"},
			{name: "promote itself", query: `mutation($id: ID!) { updateAgent(id: $id, input: {role: ADMIN}) { agent { id } } }`, vars: map[string]any{"id": me}, code: "FORBIDDEN"},
			{name: "create an agent", query: `mutation { createAgent(input: {name: "X", email: "x@example.com"}) { agent { id } } }`, code: "FORBIDDEN"},
			{name: "raise its capacity", query: `mutation($id: ID!) { updateCapacityProfile(id: $id, input: {chat: 50}) { capacityProfile { id } } }`, vars: map[string]any{"id": profile}, code: "FORBIDDEN"},
			{name: "create an API key", query: `mutation { createAPIKey(input: {name: "k", scopes: [CRM]}) { secret } }`, code: "FORBIDDEN"},
			{name: "change CRM settings", query: `mutation { updateCRMSetting(input: {attachToOpenRecord: true}) { crmSetting { id } } }`, code: "FORBIDDEN"},
		})
		got := node(t, s.Admin, queue, `... on Queue { name }`)
		if got["name"] != "Shared queue" {
			t.Fatalf("queue changed: %v", got)
		}
	})

	t.Run("staff lists are forbidden", func(t *testing.T) {
		runErrorCases(t, agent, []errorCase{
			{name: "agents", query: `{ agents { edges { node { email } } } }`, code: "FORBIDDEN"},
			{name: "customers", query: `{ customers { totalCount } }`, code: "FORBIDDEN"},
			{name: "engagements", query: `{ engagements { totalCount } }`, code: "FORBIDDEN"},
			{name: "API keys", query: `{ apiKeys { totalCount } }`, code: "FORBIDDEN"},
			{name: "post-session settings", query: `{ postSessionSettings { totalCount } }`, code: "FORBIDDEN"},
		})
	})

	// Paths that reach another agent, or configuration the agent may not
	// read, must come back empty, null or NOT_FOUND: never with the data.
	for _, tc := range []struct {
		name, query string
		vars        map[string]any
	}{
		{"node of another agent", `query($id: ID!) { node(id: $id) { id ... on Agent { email } } }`, map[string]any{"id": other}},
		{"nodes of another agent", `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Agent { email } } }`, map[string]any{"ids": []string{me, other}}},
		{"agents of a shared queue", `{ queues { edges { node { agents { totalCount edges { node { id email skills } } } } } } }`, nil},
		{"agents of a shared queue by node", `query($id: ID!) { node(id: $id) { ... on Queue { agents(first: 10) { totalCount edges { node { email } } } } } }`, vars},
		{"agents of its own queues", `{ me { queues { edges { node { agents { totalCount edges { node { email } } } } } } } }`, nil},
		{"agents of a shared capacity profile", `{ capacityProfiles { edges { node { agents { totalCount edges { node { email } } } } } } }`, nil},
		{"virtual agent by node", `query($id: ID!) { node(id: $id) { id ... on VirtualAgent { name } } }`, map[string]any{"id": bot}},
		{"API key by node", `query($id: ID!) { node(id: $id) { id ... on APIKey { name prefix } } }`, map[string]any{"id": keyID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := agent.Do(t.Context(), tc.query, tc.vars)
			if err != nil {
				t.Fatal(err)
			}
			body := string(res.Data)
			for _, secret := range []string{"colleague", "Colleague", other, "vip", `"Bot"`, "sbk_", "key CRM"} {
				if strings.Contains(body, secret) {
					t.Fatalf("response shows %q: %s", secret, body)
				}
			}
			for _, e := range res.Errors {
				if e.Extensions.Code != "NOT_FOUND" && e.Extensions.Code != "FORBIDDEN" {
					t.Fatalf("error %q has code %q", e.Message, e.Extensions.Code)
				}
			}
			if strings.Contains(body, `"totalCount":2`) {
				t.Fatalf("count reveals the other agent: %s", body)
			}
		})
	}

	// A filter through an edge would tell whether hidden rows exist even
	// though the rows themselves stay hidden: it is refused.
	t.Run("filters reaching other agents", func(t *testing.T) {
		runErrorCases(t, agent, []errorCase{
			{name: "hasAgentsWith", query: `{ queues(where: {hasAgentsWith: {emailContains: "colleague"}}) { totalCount } }`, code: "FORBIDDEN"},
			{name: "hasAgents", query: `{ queues(where: {hasAgents: true}) { totalCount } }`, code: "FORBIDDEN"},
			{name: "nested in or", query: `{ queues(where: {or: [{nameContains: "x"}, {hasAgentsWith: {nameContains: "Secret"}}]}) { totalCount } }`, code: "FORBIDDEN"},
			{name: "on a nested connection", query: `{ me { queues(where: {hasAgentsWith: {nameHasPrefix: "S"}}) { totalCount } } }`, code: "FORBIDDEN"},
			{name: "in a fragment", query: `{ me { ...q } } fragment q on Agent { queues(where: {hasEngagements: true}) { totalCount } }`, code: "FORBIDDEN"},
		})
		got := do[struct{ Queues struct{ TotalCount int } }](t, agent, `{ queues(where: {hasChildren: false, hasParent: false}) { totalCount } }`, nil)
		if got.Queues.TotalCount != 1 {
			t.Fatalf("filters on shared configuration: %d queues; want 1", got.Queues.TotalCount)
		}
		apitest.ExpectCode(t, s.Client(key), "FORBIDDEN", `{ customers(where: {hasEngagementsWith: {hasAgentWith: {name: "x"}}}) { totalCount } }`, nil)
		do[any](t, s.Admin, `{ queues(where: {hasAgentsWith: {emailContains: "colleague"}}) { totalCount } }`, nil)
	})

	t.Run("the agent sees itself", func(t *testing.T) {
		got := do[struct {
			Me struct {
				Email  string
				Queues struct{ TotalCount int }
			}
		}](t, agent, `{ me { email queues { totalCount } } }`, nil)
		if got.Me.Email != "me@example.com" || got.Me.Queues.TotalCount != 1 {
			t.Fatalf("me = %+v", got.Me)
		}
		if n := node(t, agent, me, `... on Agent { email }`); n["email"] != "me@example.com" {
			t.Fatalf("own node = %v", n)
		}
	})
}

// Supervisors read everything an admin reads but change nothing.
func TestSupervisorAuthorization(t *testing.T) {
	s := apitest.Start(t)
	queue := createQueue(t, s, map[string]any{"name": "Q"})
	agentID, _ := createAgent(t, s, map[string]any{"name": "Agent", "email": "agent@example.com", "queueIDs": []string{queue}})
	_, sup := createAgent(t, s, map[string]any{"name": "Sup", "email": "sup@example.com", "role": "SUPERVISOR"})

	t.Run("reads", func(t *testing.T) {
		for _, q := range []string{
			`{ agents { totalCount } }`, `{ queues { edges { node { agents { totalCount } } } } }`,
			`{ customers { totalCount } }`, `{ engagements { totalCount } }`, `{ virtualAgents { totalCount } }`,
			`{ postSessionSettings { totalCount } }`, `{ crmSettings { totalCount } }`, `{ crmRecords { totalCount } }`,
		} {
			do[any](t, sup, q, nil)
		}
		if n := node(t, sup, agentID, `... on Agent { email }`); n["email"] != "agent@example.com" {
			t.Fatalf("agent node = %v", n)
		}
	})
	runErrorCases(t, sup, []errorCase{
		{name: "create a queue", query: `mutation { createQueue(input: {name: "X"}) { queue { id } } }`, code: "FORBIDDEN"},
		{name: "update an agent", query: `mutation($id: ID!) { updateAgent(id: $id, input: {active: false}) { agent { id } } }`, vars: map[string]any{"id": agentID}, code: "FORBIDDEN"},
		{name: "create an entry point", query: `mutation($q: ID!) { createEntryPoint(input: {name: "E", channel: CHAT, defaultQueueID: $q}) { entryPoint { id } } }`, vars: map[string]any{"q": queue}, code: "FORBIDDEN"},
		{name: "create a wrap-up reason", query: `mutation { createWrapUpReason(input: {code: "X", label: "X"}) { wrapUpReason { id } } }`, code: "FORBIDDEN"},
		{name: "create a template", query: `mutation { createTemplate(input: {name: "T", channel: SMS, body: "b"}) { template { id } } }`, code: "FORBIDDEN"},
		{name: "update CRM settings", query: `mutation { updateCRMSetting(input: {reopenWithinDays: 1}) { crmSetting { id } } }`, code: "FORBIDDEN"},
		{name: "list API keys", query: `{ apiKeys { totalCount } }`, code: "FORBIDDEN"},
	})
	if n := count(t, s.Admin, "queues"); n != 1 {
		t.Fatalf("%d queues after refused creations", n)
	}
}

// Schema introspection is for admins outside development mode.
func TestIntrospection(t *testing.T) {
	s := apitest.Start(t)
	_, agent := createAgent(t, s, map[string]any{"name": "A", "email": "a@example.com"})
	const q = `{ __schema { queryType { name } } }`
	do[any](t, s.Admin, q, nil)
	for name, c := range map[string]*gqlclient.Client{"agent": agent, "anonymous": s.Client("")} {
		t.Run(name, func(t *testing.T) {
			e := apitest.Fail(t, c, q, nil)
			if e.Extensions.Code != "FORBIDDEN" && e.Extensions.Code != "UNAUTHENTICATED" {
				t.Fatalf("error %q has code %q", e.Message, e.Extensions.Code)
			}
		})
	}
	t.Run("development mode", func(t *testing.T) {
		dev := apitest.Start(t, func(c *app.Config) { c.Dev = true })
		do[any](t, dev.Client(""), q, nil)
	})
}
