package graph_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/gqlclient"
)

func TestAuthentication(t *testing.T) {
	s := apitest.Start(t)
	anon := s.Client("")
	runErrorCases(t, anon, []errorCase{
		{name: "query without token", query: `{ queues { totalCount } }`, code: "UNAUTHENTICATED"},
		{name: "node without token", query: `{ node(id: "1") { id } }`, code: "UNAUTHENTICATED"},
		{name: "filter without token", query: `{ queues(first: 1000, where: {hasAgents: true}) { totalCount } }`, code: "UNAUTHENTICATED"},
		{name: "mutation without token", query: `mutation { createQueue(input: {name: "Q"}) { queue { id } } }`, code: "UNAUTHENTICATED"},
		{name: "wrong password", query: `mutation { login(email: "admin@example.com", password: "wrong password!") { token } }`, code: "UNAUTHENTICATED"},
		{name: "unknown email", query: `mutation { login(email: "nobody@example.com", password: "wrong password!") { token } }`, code: "UNAUTHENTICATED"},
	})
	runErrorCases(t, s.Client("sbt_forged"), []errorCase{{name: "forged token", query: `{ me { id } }`, code: "UNAUTHENTICATED"}})
	runErrorCases(t, s.Client("sbk_forged"), []errorCase{{name: "forged API key", query: `{ queues { totalCount } }`, code: "UNAUTHENTICATED"}})
	runErrorCases(t, s.Client("basic"), []errorCase{{name: "unknown credential", query: `{ queues { totalCount } }`, code: "UNAUTHENTICATED"}})

	var me struct{ Me struct{ Email, Role string } }
	apitest.Must(t, s.Admin, `{ me { email role } }`, nil, &me)
	if me.Me.Email != apitest.AdminEmail || me.Me.Role != "ADMIN" {
		t.Fatalf("me = %+v", me.Me)
	}
	// A failed root field does not hide the others' data, and vice versa.
	res, err := anon.Do(context.Background(), `mutation { login(email: "admin@example.com", password: "correct horse battery staple") { token } }`, nil)
	if err != nil || len(res.Errors) > 0 {
		t.Fatalf("login: %v %v", err, res.Errors)
	}
}

func TestTokenLifetime(t *testing.T) {
	s := apitest.Start(t)
	ttl := s.App.Config.TokenTTL
	_, agent := createAgent(t, s, map[string]any{"name": "A", "email": "a@example.com"})
	other := s.Client(s.Login(t, "a@example.com", agentPassword))

	t.Run("valid until just before expiry", func(t *testing.T) {
		s.Clock.Advance(ttl - time.Second)
		do[any](t, agent, `{ me { id } }`, nil)
	})
	t.Run("expired at expiresAt", func(t *testing.T) {
		s.Clock.Advance(time.Second)
		apitest.ExpectCode(t, agent, "UNAUTHENTICATED", `{ me { id } }`, nil)
		apitest.ExpectCode(t, other, "UNAUTHENTICATED", `{ me { id } }`, nil)
	})
	t.Run("expiresAt is reported at login", func(t *testing.T) {
		out := do[struct{ Login struct{ ExpiresAt time.Time } }](t, s.Client(""),
			`mutation { login(email: "a@example.com", password: "`+agentPassword+`") { expiresAt } }`, nil)
		if want := s.Clock.Now().Add(ttl); !out.Login.ExpiresAt.Equal(want) {
			t.Fatalf("expiresAt = %v; want %v", out.Login.ExpiresAt, want)
		}
	})
	t.Run("revokeToken revokes only the token used", func(t *testing.T) {
		first := s.Client(s.Login(t, "a@example.com", agentPassword))
		second := s.Client(s.Login(t, "a@example.com", agentPassword))
		out := do[struct{ RevokeToken struct{ Revoked bool } }](t, first, `mutation { revokeToken { revoked } }`, nil)
		if !out.RevokeToken.Revoked {
			t.Fatal("revoked = false")
		}
		apitest.ExpectCode(t, first, "UNAUTHENTICATED", `{ me { id } }`, nil)
		apitest.ExpectCode(t, first, "UNAUTHENTICATED", `mutation { revokeToken { revoked } }`, nil)
		do[any](t, second, `{ me { id } }`, nil)
	})
}

func TestSetPassword(t *testing.T) {
	s := apitest.Start(t)
	const setPassword = `mutation($id: ID!, $p: String!) { setPassword(agentID: $id, password: $p) { agent { id } } }`
	alice, aliceClient := createAgent(t, s, map[string]any{"name": "Alice", "email": "alice@example.com"})
	bob, bobClient := createAgent(t, s, map[string]any{"name": "Bob", "email": "bob@example.com"})
	_, supClient := createAgent(t, s, map[string]any{"name": "Sup", "email": "sup@example.com", "role": "SUPERVISOR"})
	aliceOther := s.Client(s.Login(t, "alice@example.com", agentPassword))

	vars := func(id, p string) map[string]any { return map[string]any{"id": id, "p": p} }
	t.Run("refused", func(t *testing.T) {
		runErrorCases(t, aliceClient, []errorCase{
			{name: "agent sets another agent's password", query: setPassword, code: "FORBIDDEN", vars: vars(bob, "a long new password")},
			{name: "too short", query: setPassword, code: "VALIDATION", field: "password", vars: vars(alice, "short")},
		})
		runErrorCases(t, supClient, []errorCase{
			{name: "supervisor sets an agent's password", query: setPassword, code: "FORBIDDEN", vars: vars(alice, "a long new password")},
		})
		runErrorCases(t, s.Admin, []errorCase{
			{name: "missing agent", query: setPassword, code: "NOT_FOUND", vars: vars("1", "a long new password")},
		})
		s.Login(t, "alice@example.com", agentPassword) // unchanged
	})

	t.Run("an agent changes its own password", func(t *testing.T) {
		do[any](t, aliceClient, setPassword, vars(alice, "alice's new password"))
		do[any](t, aliceClient, `{ me { id } }`, nil) // the token used stays valid
		apitest.ExpectCode(t, aliceOther, "UNAUTHENTICATED", `{ me { id } }`, nil)
		apitest.ExpectCode(t, s.Client(""), "UNAUTHENTICATED",
			`mutation { login(email: "alice@example.com", password: "`+agentPassword+`") { token } }`, nil)
		s.Login(t, "alice@example.com", "alice's new password")
	})
	t.Run("an admin resets an agent's password", func(t *testing.T) {
		do[any](t, s.Admin, setPassword, vars(bob, "bob's reset password"))
		apitest.ExpectCode(t, bobClient, "UNAUTHENTICATED", `{ me { id } }`, nil)
		s.Login(t, "bob@example.com", "bob's reset password")
		do[any](t, s.Admin, `{ me { id } }`, nil)
	})
}

func TestWebsocketAuthentication(t *testing.T) {
	s := apitest.Start(t)
	_, agent := createAgent(t, s, map[string]any{"name": "A", "email": "a@example.com"})
	revoked := s.Login(t, "a@example.com", agentPassword)
	do[any](t, s.Client(revoked), `mutation { revokeToken { revoked } }`, nil)

	for _, tc := range []struct{ name, token string }{
		{"no token", ""},
		{"forged token", "sbt_forged"},
		{"revoked token", revoked},
		{"forged API key", "sbk_forged"},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, err := gqlclient.Dial(ctx, s.URL, tc.token)
			if err == nil {
				c.CloseNow()
				t.Fatal("connection accepted")
			}
			if code := gqlclient.CloseStatus(err); code != 4403 {
				t.Fatalf("closed with %d (%v); want 4403", code, err)
			}
		})
	}
	t.Run("accepts a valid token and runs operations as its agent", func(t *testing.T) {
		conn := s.Dial(t, agent.Token)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		sub, err := conn.Subscribe(ctx, `{ me { email } }`, nil, 1)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case res := <-sub.C:
			if res == nil || len(res.Errors) > 0 || string(res.Data) != `{"me":{"email":"a@example.com"}}` {
				t.Fatalf("result %+v", res)
			}
		case <-ctx.Done():
			t.Fatal("no result")
		}
	})
}

// The server honours a shorter configured token lifetime.
func TestTokenTTLConfig(t *testing.T) {
	s := apitest.Start(t, func(c *app.Config) { c.TokenTTL = time.Minute })
	s.Clock.Advance(time.Minute)
	apitest.ExpectCode(t, s.Admin, "UNAUTHENTICATED", `{ me { id } }`, nil)
}

// HTTP requests take a login token that authenticated before from a cache
// (docs/rules.md W8): a role change, a deactivation and a password reset
// apply to the very next request made with a token used just before.
func TestTokenCacheFollowsChanges(t *testing.T) {
	s := apitest.Start(t)
	const updateAgent = `mutation($id: ID!, $in: UpdateAgentInput!) { updateAgent(id: $id, input: $in) { agent { id } } }`
	const createQueue = `mutation($name: String!) { createQueue(input: {name: $name}) { queue { id } } }`
	id, ann := createAgent(t, s, map[string]any{"name": "Ann", "email": "ann@example.com"})
	_, bob := createAgent(t, s, map[string]any{"name": "Bob", "email": "bob@example.com"})
	bobID := do[struct{ Me struct{ ID string } }](t, bob, `{ me { id } }`, nil).Me.ID

	apitest.ExpectCode(t, ann, "FORBIDDEN", createQueue, map[string]any{"name": "Q1"})
	do[any](t, s.Admin, updateAgent, map[string]any{"id": id, "in": map[string]any{"role": "ADMIN"}})
	do[any](t, ann, createQueue, map[string]any{"name": "Q2"}) // an admin now
	do[any](t, s.Admin, updateAgent, map[string]any{"id": id, "in": map[string]any{"role": "AGENT"}})
	apitest.ExpectCode(t, ann, "FORBIDDEN", createQueue, map[string]any{"name": "Q3"})

	do[any](t, ann, `{ me { id } }`, nil)
	do[any](t, s.Admin, updateAgent, map[string]any{"id": id, "in": map[string]any{"active": false}})
	apitest.ExpectCode(t, ann, "UNAUTHENTICATED", `{ me { id } }`, nil)

	do[any](t, s.Admin, `mutation($id: ID!) { setPassword(agentID: $id, password: "bob's reset password") { agent { id } } }`,
		map[string]any{"id": bobID})
	apitest.ExpectCode(t, bob, "UNAUTHENTICATED", `{ me { id } }`, nil)
}
