package graph_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/apitest"
)

const createAPIKeyMutation = `mutation($in: CreateAPIKeyInput!) {
  createAPIKey(input: $in) { secret apiKey { id name prefix scopes revokedAt } } }`

// createAPIKey creates an API key with scopes as admin and returns its secret.
func createAPIKey(t testing.TB, s *apitest.Server, scopes ...string) string {
	t.Helper()
	in := map[string]any{"name": "key " + strings.Join(scopes, "+"), "scopes": scopes}
	if slices.Contains(scopes, "VIRTUAL_AGENT") {
		// Such a key acts as one virtual agent.
		in["virtualAgentID"] = createNode(t, s.Admin, "virtualAgent", "virtualAgent",
			map[string]any{"name": "bot for " + t.Name() + " " + strings.Join(scopes, "+"), "channels": []string{"CHAT"}})
	}
	out := do[struct{ CreateAPIKey struct{ Secret string } }](t, s.Admin, createAPIKeyMutation, map[string]any{"in": in})
	return out.CreateAPIKey.Secret
}

func TestAPIKey(t *testing.T) {
	s := apitest.Start(t)
	type key struct {
		ID, Name, Prefix string
		Scopes           []string
		RevokedAt        *string
	}
	created := do[struct {
		CreateAPIKey struct {
			Secret string
			APIKey key
		}
	}](t, s.Admin, createAPIKeyMutation, map[string]any{"in": map[string]any{"name": " Telephony ", "scopes": []string{"ENGAGEMENTS", "CRM"}}}).CreateAPIKey
	k, secret := created.APIKey, created.Secret

	t.Run("secret is shown once, only its prefix later", func(t *testing.T) {
		if !strings.HasPrefix(secret, "sbk_") || len(secret) < 40 || !strings.HasPrefix(secret, k.Prefix) || len(k.Prefix) >= len(secret) {
			t.Fatalf("secret %q, prefix %q", secret, k.Prefix)
		}
		if k.Name != "Telephony" || len(k.Scopes) != 2 || k.RevokedAt != nil {
			t.Fatalf("key = %s", jsonString(k))
		}
		listed := raw(t, s.Admin, `{ apiKeys { edges { node { id name prefix scopes revokedAt lastUsedAt } } } }`, nil)
		if strings.Contains(jsonString(listed), secret[len(k.Prefix):]) {
			t.Fatalf("listing shows the secret: %s", jsonString(listed))
		}
	})

	c := s.Client(secret)
	t.Run("the key authenticates within its scopes", func(t *testing.T) {
		do[any](t, c, `mutation { createCustomer(input: {name: "From IVR"}) { customer { id } } }`, nil)
		if n := count(t, c, "customers"); n != 1 {
			t.Errorf("key sees %d customers; want 1", n)
		}
		do[any](t, c, `{ crmRecords { totalCount } }`, nil)
	})
	t.Run("scopes are enforced", func(t *testing.T) {
		only := s.Client(createAPIKey(t, s, "VIRTUAL_AGENT"))
		runErrorCases(t, c, []errorCase{
			{name: "configure a queue", query: `mutation { createQueue(input: {name: "Q"}) { queue { id } } }`, code: "FORBIDDEN"},
			{name: "list agents", query: `{ agents { totalCount } }`, code: "FORBIDDEN"},
			{name: "me", query: `{ me { id } }`, code: "FORBIDDEN"},
			{name: "create another key", query: `mutation { createAPIKey(input: {name: "k", scopes: [CRM]}) { secret } }`, code: "FORBIDDEN"},
			{name: "set a password", query: `mutation { setPassword(agentID: "1", password: "long enough password") { agent { id } } }`, code: "FORBIDDEN"},
			{name: "revoke a login token", query: `mutation { revokeToken { revoked } }`, code: "FORBIDDEN"},
		})
		runErrorCases(t, s.Admin, []errorCase{
			{name: "virtual agent key without its virtual agent", query: createAPIKeyMutation, code: "VALIDATION", field: "virtualAgentID",
				vars: map[string]any{"in": map[string]any{"name": "bot", "scopes": []string{"VIRTUAL_AGENT"}}}},
			{name: "a virtual agent for another scope", query: createAPIKeyMutation, code: "VALIDATION", field: "virtualAgentID",
				vars: map[string]any{"in": map[string]any{"name": "crm", "scopes": []string{"CRM"}, "virtualAgentID": "1"}}},
			{name: "a virtual agent that does not exist", query: createAPIKeyMutation, code: "NOT_FOUND",
				vars: map[string]any{"in": map[string]any{"name": "bot", "scopes": []string{"VIRTUAL_AGENT"}, "virtualAgentID": "1"}}},
		})
		runErrorCases(t, only, []errorCase{
			{name: "customers without the scope", query: `{ customers { totalCount } }`, code: "FORBIDDEN"},
			{name: "CRM records without the scope", query: `{ crmRecords { totalCount } }`, code: "FORBIDDEN"},
		})
		// Integrations never see agents, even through edges of what they may read.
		if got := do[struct{ Queues struct{ Edges []any } }](t, c, `{ queues { edges { node { agents { totalCount } } } } }`, nil); len(got.Queues.Edges) != 0 {
			t.Logf("queues: %s", jsonString(got))
		}
	})

	runErrorCases(t, s.Admin, []errorCase{
		{name: "no scopes", query: createAPIKeyMutation, code: "VALIDATION", field: "scopes",
			vars: map[string]any{"in": map[string]any{"name": "k", "scopes": []string{}}}},
		{name: "blank name", query: createAPIKeyMutation, code: "VALIDATION", field: "name",
			vars: map[string]any{"in": map[string]any{"name": "  ", "scopes": []string{"CRM"}}}},
		{name: "unknown scope", query: createAPIKeyMutation, code: "VALIDATION",
			vars: map[string]any{"in": map[string]any{"name": "k", "scopes": []string{"ROOT"}}}},
		{name: "revoke missing key", query: `mutation { revokeAPIKey(id: "999") { apiKey { id } } }`, code: "NOT_FOUND"},
	})

	t.Run("only admins manage keys", func(t *testing.T) {
		_, sup := createAgent(t, s, map[string]any{"name": "Sup", "email": "sup@example.com", "role": "SUPERVISOR"})
		apitest.ExpectCode(t, sup, "FORBIDDEN", createAPIKeyMutation, map[string]any{"in": map[string]any{"name": "k", "scopes": []string{"CRM"}}})
		apitest.ExpectCode(t, sup, "FORBIDDEN", `{ apiKeys { totalCount } }`, nil)
	})

	t.Run("last use is recorded to the minute", func(t *testing.T) {
		lastUsed := func() string {
			n := node(t, s.Admin, k.ID, `... on APIKey { lastUsedAt updatedAt }`)
			if n["lastUsedAt"] == nil {
				t.Fatal("lastUsedAt not recorded")
			}
			return n["lastUsedAt"].(string)
		}
		before := node(t, s.Admin, k.ID, `... on APIKey { updatedAt }`)["updatedAt"]
		first := lastUsed()
		s.Clock.Advance(30 * time.Second)
		do[any](t, c, `{ customers { totalCount } }`, nil)
		if got := lastUsed(); got != first {
			t.Fatalf("lastUsedAt moved within a minute: %s -> %s", first, got)
		}
		s.Clock.Advance(31 * time.Second)
		do[any](t, c, `{ customers { totalCount } }`, nil)
		if got, want := lastUsed(), s.Clock.Now().Format(time.RFC3339); !strings.HasPrefix(got, want[:19]) {
			t.Fatalf("lastUsedAt = %s; want %s", got, want)
		}
		if after := node(t, s.Admin, k.ID, `... on APIKey { updatedAt }`)["updatedAt"]; after != before {
			t.Fatalf("use changed updatedAt: %v -> %v", before, after)
		}
	})

	t.Run("a revoked key is refused", func(t *testing.T) {
		const revoke = `mutation($id: ID!) { revokeAPIKey(id: $id) { apiKey { id revokedAt } } }`
		got := do[struct{ RevokeAPIKey struct{ APIKey key } }](t, s.Admin, revoke, map[string]any{"id": k.ID})
		if got.RevokeAPIKey.APIKey.RevokedAt == nil {
			t.Fatal("revokedAt not set")
		}
		apitest.ExpectCode(t, c, "UNAUTHENTICATED", `{ customers { totalCount } }`, nil)
		s.Clock.Advance(time.Hour)
		again := do[struct{ RevokeAPIKey struct{ APIKey key } }](t, s.Admin, revoke, map[string]any{"id": k.ID})
		if *again.RevokeAPIKey.APIKey.RevokedAt != *got.RevokeAPIKey.APIKey.RevokedAt {
			t.Fatalf("revoking again moved revokedAt to %s", *again.RevokeAPIKey.APIKey.RevokedAt)
		}
	})
}
