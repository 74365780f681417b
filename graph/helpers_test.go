package graph_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/gqlclient"
)

// agentPassword is the password of every agent the tests create.
const agentPassword = "agent password 123"

// errorCase is one operation that must fail with code (and, when set, name
// the input field at fault).
type errorCase struct {
	name  string
	query string
	vars  map[string]any
	code  string
	field string
}

// runErrorCases runs each case as a subtest with client c.
func runErrorCases(t *testing.T, c *gqlclient.Client, cases []errorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := apitest.ExpectCode(t, c, tc.code, tc.query, tc.vars)
			if tc.field != "" && e.Extensions.Field != tc.field {
				t.Errorf("error %q names field %q; want %q", e.Message, e.Extensions.Field, tc.field)
			}
		})
	}
}

// do runs an operation that must succeed and returns its data decoded as T.
func do[T any](t testing.TB, c *gqlclient.Client, query string, vars map[string]any) T {
	t.Helper()
	var out T
	apitest.Must(t, c, query, vars, &out)
	return out
}

// raw runs an operation that must succeed and returns its data as a JSON tree.
func raw(t testing.TB, c *gqlclient.Client, query string, vars map[string]any) map[string]any {
	t.Helper()
	return do[map[string]any](t, c, query, vars)
}

// count returns totalCount of the root connection field (e.g. "queues").
func count(t testing.TB, c *gqlclient.Client, field string) int {
	t.Helper()
	out := do[map[string]struct{ TotalCount int }](t, c, `{ `+field+` { totalCount } }`, nil)
	return out[field].TotalCount
}

// createQueue creates a queue as admin and returns its ID.
func createQueue(t testing.TB, s *apitest.Server, input map[string]any) string {
	t.Helper()
	out := do[struct {
		CreateQueue struct{ Queue struct{ ID string } }
	}](t, s.Admin,
		`mutation($in: CreateQueueInput!) { createQueue(input: $in) { queue { id } } }`, map[string]any{"in": input})
	return out.CreateQueue.Queue.ID
}

// createAgent creates an agent with agentPassword as admin, logs it in, and
// returns its ID and a client using its token.
func createAgent(t testing.TB, s *apitest.Server, input map[string]any) (string, *gqlclient.Client) {
	t.Helper()
	out := do[struct {
		CreateAgent struct{ Agent struct{ ID, Email string } }
	}](t, s.Admin,
		`mutation($in: CreateAgentInput!, $p: String) { createAgent(input: $in, password: $p) { agent { id email } } }`,
		map[string]any{"in": input, "p": agentPassword})
	return out.CreateAgent.Agent.ID, s.Client(s.Login(t, out.CreateAgent.Agent.Email, agentPassword))
}

// createNode runs a create mutation returning `{ <payload> { id } }` and
// returns the ID.
func createNode(t testing.TB, c *gqlclient.Client, mutation, payload string, input map[string]any) string {
	t.Helper()
	q := `mutation($in: Create` + upperFirst(mutation) + `Input!) { create` + upperFirst(mutation) + `(input: $in) { ` + payload + ` { id } } }`
	out := do[map[string]map[string]struct{ ID string }](t, c, q, map[string]any{"in": input})
	return out["create"+upperFirst(mutation)][payload].ID
}

func upperFirst(s string) string { return string(s[0]-'a'+'A') + s[1:] }

// intID converts a GraphQL ID to the ent ID.
func intID(t testing.TB, id string) int {
	t.Helper()
	n, err := strconv.Atoi(id)
	if err != nil {
		t.Fatalf("ID %q is not numeric: %v", id, err)
	}
	return n
}

// insertEngagement writes an engagement row directly, as the engine would,
// bypassing the API (which has no mutation for it yet).
func insertEngagement(t testing.TB, s *apitest.Server, queueID string, state engagement.State) *ent.Engagement {
	t.Helper()
	e, err := s.App.Client.Engagement.Create().
		SetChannel(enum.ChannelChat).SetQueueID(intID(t, queueID)).SetState(state).
		Save(auth.SystemContext(context.Background()))
	if err != nil {
		t.Fatalf("insert engagement: %v", err)
	}
	return e
}

// node fetches node(id:) and returns its JSON (nil when null).
func node(t testing.TB, c *gqlclient.Client, id, fields string) map[string]any {
	t.Helper()
	out := do[struct{ Node map[string]any }](t, c, `query($id: ID!) { node(id: $id) { id `+fields+` } }`, map[string]any{"id": id})
	return out.Node
}

// jsonString renders v for failure messages.
func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
