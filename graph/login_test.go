package graph_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/gqlclient"
)

const loginMutation = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }`

func login(c *gqlclient.Client, email, password string) (*gqlclient.Response, error) {
	return c.Do(context.Background(), loginMutation, map[string]any{"e": email, "p": password})
}

// One login per request: aliases would let one request try hundreds of
// passwords.
func TestOneLoginPerRequest(t *testing.T) {
	s := apitest.Start(t)
	for name, q := range map[string]string{
		"aliases": `mutation { a: login(email: "admin@example.com", password: "one guess at it") { token }
			b: login(email: "admin@example.com", password: "another guess") { token } }`,
		"through a fragment": `mutation { a: login(email: "admin@example.com", password: "one guess at it") { token } ...L }
			fragment L on Mutation { b: login(email: "admin@example.com", password: "another guess") { token } }`,
	} {
		t.Run(name, func(t *testing.T) {
			e := apitest.ExpectCode(t, s.Client(""), "LIMIT_EXCEEDED", q, nil)
			if e.Extensions.Reason != "ONE_LOGIN_PER_REQUEST" {
				t.Fatalf("reason %q", e.Extensions.Reason)
			}
		})
	}
}

// expectThrottled expects a login attempt to be refused with
// LOGIN_THROTTLED and retryAfter seconds.
func expectThrottled(t *testing.T, c *gqlclient.Client, email, password string, retryAfter int) {
	t.Helper()
	res, err := login(c, email, password)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) == 0 {
		t.Fatalf("login of %s succeeded; want it throttled", email)
	}
	e := res.Errors[0].Extensions
	if e.Code != "LIMIT_EXCEEDED" || e.Reason != "LOGIN_THROTTLED" || e.RetryAfter != retryAfter {
		t.Fatalf("login of %s: %v (%+v); want LIMIT_EXCEEDED, LOGIN_THROTTLED, retryAfter %d", email, res.Errors, e, retryAfter)
	}
}

func expectLoginCode(t *testing.T, c *gqlclient.Client, email, password, code string) {
	t.Helper()
	res, err := login(c, email, password)
	if err != nil {
		t.Fatal(err)
	}
	got := "OK"
	if len(res.Errors) > 0 {
		got = res.Errors[0].Extensions.Code
	}
	if got != code {
		t.Fatalf("login of %s: %s %v; want %s", email, got, res.Errors, code)
	}
}

// Failed logins to one account back off exponentially, whatever the
// password of the next attempt; the wait ends on the clock.
func TestLoginThrottledPerAccount(t *testing.T) {
	s := apitest.Start(t)
	c := s.Client("")
	for range 5 {
		expectLoginCode(t, c, apitest.AdminEmail, "a wrong password!", "UNAUTHENTICATED")
	}
	// Even the right password waits: the throttle answers before checking.
	expectThrottled(t, c, apitest.AdminEmail, apitest.AdminPassword, 1)
	// Another account from the same address is not held up.
	expectLoginCode(t, c, "nobody@example.com", "a wrong password!", "UNAUTHENTICATED")

	s.Clock.Advance(time.Second)
	expectLoginCode(t, c, apitest.AdminEmail, "a wrong password!", "UNAUTHENTICATED")
	expectThrottled(t, c, apitest.AdminEmail, apitest.AdminPassword, 2) // doubled
	s.Clock.Advance(2 * time.Second)
	expectLoginCode(t, c, apitest.AdminEmail, "a wrong password!", "UNAUTHENTICATED")
	expectThrottled(t, c, apitest.AdminEmail, apitest.AdminPassword, 4)
	s.Clock.Advance(4 * time.Second)
	// The right password works once the wait is over, and clears the count.
	expectLoginCode(t, c, apitest.AdminEmail, apitest.AdminPassword, "OK")
	expectLoginCode(t, c, apitest.AdminEmail, "a wrong password!", "UNAUTHENTICATED")
	expectLoginCode(t, c, apitest.AdminEmail, apitest.AdminPassword, "OK")
}

// Failed logins from one address across many accounts are throttled too.
func TestLoginThrottledPerAddress(t *testing.T) {
	s := apitest.Start(t)
	c := s.Client("")
	for i := range 20 {
		expectLoginCode(t, c, fmt.Sprintf("guess%d@example.com", i), "a wrong password!", "UNAUTHENTICATED")
	}
	expectThrottled(t, c, "fresh@example.com", "a wrong password!", 1)
	s.Clock.Advance(time.Second)
	expectLoginCode(t, c, apitest.AdminEmail, apitest.AdminPassword, "OK")
}

// An unknown email, an agent without a password and a deactivated agent
// with its right password answer exactly as a wrong password does, after
// the same bcrypt work.
func TestLoginAnswersAlike(t *testing.T) {
	const cost = 10 // enough for a comparison to take milliseconds
	s := apitest.Start(t, func(c *app.Config) { c.BcryptCost = cost })
	const password = "a long enough password"
	createAgent(t, s, map[string]any{"name": "Nopass", "email": "nopass@example.com"})
	var out struct {
		CreateAgent struct{ Agent struct{ ID string } }
	}
	apitest.Must(t, s.Admin, `mutation($p: String) { createAgent(input: {name: "Dee", email: "dee@example.com"}, password: $p) { agent { id } } }`,
		map[string]any{"p": password}, &out)
	apitest.Must(t, s.Admin, `mutation($id: ID!) { updateAgent(id: $id, input: {active: false}) { agent { id } } }`,
		map[string]any{"id": out.CreateAgent.Agent.ID}, nil)

	c := s.Client("")
	cases := []struct{ name, email, password string }{
		{"wrong password", apitest.AdminEmail, "a wrong password!"},
		{"unknown email", "nobody@example.com", password},
		{"agent without a password", "nopass@example.com", password},
		{"deactivated agent, right password", "dee@example.com", password},
	}
	var want gqlclient.Error
	took := map[string]time.Duration{}
	for i, tc := range cases {
		var times []time.Duration
		for range 3 {
			start := time.Now()
			res, err := login(c, tc.email, tc.password)
			times = append(times, time.Since(start))
			if err != nil || len(res.Errors) != 1 {
				t.Fatalf("%s: %v %v", tc.name, res, err)
			}
			got := res.Errors[0]
			got.Path = nil
			if i == 0 {
				want = got
			}
			if got.Message != want.Message || got.Extensions != want.Extensions {
				t.Fatalf("%s answers %+v; a wrong password answers %+v", tc.name, got, want)
			}
		}
		slices.Sort(times)
		took[tc.name] = times[1]
	}
	// Each does one bcrypt comparison at the configured cost: none is
	// answered in a fraction of the time of the others.
	hash, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil {
		t.Fatal("bcrypt does not match its own hash")
	}
	compare := time.Since(start)
	for name, d := range took {
		if d < compare/3 {
			t.Errorf("%s took %v; a bcrypt comparison takes %v", name, d, compare)
		}
	}
}
