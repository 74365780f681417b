package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// nodeTools returns the folder holding the JavaScript packages
// ($SWITCHBOARD_NODE_TOOLS, installed by scripts/install-node-tools.sh) and
// the node binary, or skips the test.
func nodeTools(t *testing.T) (dir, node string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("Node test skipped: node is not installed; run scripts/install-node-tools.sh")
	}
	dir = os.Getenv("SWITCHBOARD_NODE_TOOLS")
	if dir == "" {
		t.Skip("Node test skipped: SWITCHBOARD_NODE_TOOLS is unset; run " +
			`export SWITCHBOARD_NODE_TOOLS="$(scripts/install-node-tools.sh)" first`)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "graphql")); err != nil {
		t.Fatalf("SWITCHBOARD_NODE_TOOLS=%s has no node_modules/graphql: run scripts/install-node-tools.sh", dir)
	}
	return dir, node
}

// runNode runs a script of dir with node and returns stdout, stderr and
// whether it exited 0.
func runNode(t *testing.T, dir, node string, env []string, args ...string) (string, string, bool) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), node, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		t.Fatalf("run node %v: %v", args, err)
	}
	return stdout.String(), stderr.String(), err == nil
}

// TestSchemaValidatesWithGraphQLJS feeds the committed SDL to graphql-js:
// the printed schema frontends use, and the hand-written files read
// together, must both build; SDL extending an undefined type must not (so
// the check is known to bite).
func TestSchemaValidatesWithGraphQLJS(t *testing.T) {
	dir, node := nodeTools(t)
	schemaDir, err := filepath.Abs("../schema")
	if err != nil {
		t.Fatal(err)
	}
	parts, err := filepath.Glob(filepath.Join(schemaDir, "*.graphqls"))
	if err != nil || len(parts) == 0 {
		t.Fatalf("no schema/*.graphqls: %v", err)
	}
	broken := filepath.Join(t.TempDir(), "broken.graphql")
	if err := os.WriteFile(broken, []byte("type Query { a: Int }\nextend type Mutation { b: Int }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		files []string
		valid bool
	}{
		{"schema/schema.graphql", []string{filepath.Join(schemaDir, "schema.graphql")}, true},
		{"schema/*.graphqls together", parts, true},
		{"an extension of an undefined type", []string{broken}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, ok := runNode(t, dir, node, nil, append([]string{"validate-schema.mjs"}, tc.files...)...)
			switch {
			case ok != tc.valid:
				t.Fatalf("graphql-js says valid=%v, want %v: %s%s", ok, tc.valid, stdout, stderr)
			case !tc.valid && !strings.Contains(stderr, "Cannot extend type"):
				t.Fatalf("refused for another reason: %s", stderr)
			}
			t.Log(strings.TrimSpace(stdout + stderr))
		})
	}
}

// TestJavaScriptClients runs Apollo Client 4 with PersistedQueryLink and the
// graphql-ws client (e2e/node/clients.mjs) against a server.
func TestJavaScriptClients(t *testing.T) {
	dir, node := nodeTools(t)
	srv := startServer(t, true)
	token := login(t, srv.URL)
	stdout, stderr, ok := runNode(t, dir, node,
		[]string{"SWITCHBOARD_URL=" + srv.URL + "/graphql", "SWITCHBOARD_TOKEN=" + token}, "clients.mjs")
	if !ok {
		t.Fatalf("clients.mjs failed:\n%s%s", stdout, stderr)
	}
	type exchange struct {
		HashOnly bool
		Hash     string
		Status   int
		Codes    []*string
	}
	var out struct {
		Apollo struct {
			First, Second struct {
				Data      struct{ Me struct{ Email, Role string } }
				Exchanges []exchange
			}
			Mutation struct {
				SetAgentState struct{ Agent struct{ State string } }
			}
		}
		GraphqlWs struct {
			Event struct{ Sequence, Topic string }
			Ack   any
		}
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("clients.mjs printed %q: %v", stdout, err)
	}
	first, second := out.Apollo.First, out.Apollo.Second
	t.Run("persisted query: hash, PERSISTED_QUERY_NOT_FOUND, hash and query", func(t *testing.T) {
		ex := first.Exchanges
		if len(ex) != 2 || !ex[0].HashOnly || ex[0].Hash == "" || len(ex[0].Codes) != 1 || ex[0].Codes[0] == nil ||
			*ex[0].Codes[0] != "PERSISTED_QUERY_NOT_FOUND" || ex[1].HashOnly || ex[1].Hash != ex[0].Hash || len(ex[1].Codes) != 0 {
			t.Fatalf("exchanges %s", mustJSON(ex))
		}
		if first.Data.Me.Email != adminEmail || first.Data.Me.Role != "ADMIN" {
			t.Fatalf("data %+v", first.Data)
		}
	})
	t.Run("persisted query: the hash alone once the server knows it", func(t *testing.T) {
		ex := second.Exchanges
		if len(ex) != 1 || !ex[0].HashOnly || ex[0].Status != 200 || len(ex[0].Codes) != 0 {
			t.Fatalf("exchanges %s", mustJSON(ex))
		}
		if second.Data.Me.Email != adminEmail {
			t.Fatalf("data %+v", second.Data)
		}
	})
	t.Run("mutation through Apollo", func(t *testing.T) {
		if got := out.Apollo.Mutation.SetAgentState.Agent.State; got != "AVAILABLE" {
			t.Fatalf("state %q", got)
		}
	})
	t.Run("graphql-ws subscription replays the state change", func(t *testing.T) {
		if out.GraphqlWs.Event.Topic != "agent.state_changed" || out.GraphqlWs.Event.Sequence == "" {
			t.Fatalf("event %+v", out.GraphqlWs.Event)
		}
		if ack := mustJSON(out.GraphqlWs.Ack); strings.Contains(ack, token) {
			t.Fatalf("connection_ack payload %s echoes the token", ack)
		}
	})
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // values decoded from JSON always marshal
	}
	return string(b)
}
