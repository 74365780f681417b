package app

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/switchboard/switchboard/graph"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/messaging"
)

// The request body check never panics, and what it accepts is one JSON
// object with a query or a persisted query.
func FuzzPostBody(f *testing.F) {
	for _, seed := range []string{`{"query": "{ me { id } }"}`, `[{"query": "{ a }"}]`, `{"query": 1}`, ``, `{"extensions": {"persistedQuery": {"sha256Hash": "x"}}}`, `null`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if checkPostBody(body) != nil {
			return
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
			t.Fatalf("accepted a body that is not a JSON object: %q", body)
		}
	})
}

// Measuring a document never panics and its work is linear in the
// document, whatever its fragments do (the fuzzer reports hangs).
func FuzzDocumentShape(f *testing.F) {
	f.Add("query { ...F2 } fragment F0 on Query { __typename } fragment F1 on Query { ...F0 ...F0 } fragment F2 on Query { ...F1 ...F1 }")
	f.Add("{ a { b { c } } }")
	f.Add("mutation { a: login(email: \"x\", password: \"y\") { token } b: login(email: \"x\", password: \"y\") { token } }")
	f.Add("fragment A on Q { ...A } { ...A }")
	shape := documentShape{maxFields: 5000, maxDepth: 20, tokenLimit: 5000}
	f.Fuzz(func(t *testing.T, query string) {
		_ = shape.MutateOperationParameters(context.Background(), &graphql.RawParams{Query: query})
	})
}

// A websocket frame never panics the protocol check, and a connection is
// only closed with the codes of graphql-transport-ws.
func FuzzWebsocketFrame(f *testing.F) {
	for _, seed := range []string{`{"type":"connection_init"}`, `{"type":"subscribe","id":"1","payload":{"query":"subscription { agentEvents { sequence } }"}}`,
		`{"type":"subscribe"}`, `{"type":"complete","id":"1"}`, `{"type":"ping"}`, `{not json`, `{"type":"next","id":"1"}`} {
		f.Add([]byte(seed), true)
	}
	f.Fuzz(func(t *testing.T, frame []byte, acked bool) {
		st := transportState{initSeen: acked, acked: acked, running: func(id string) bool { return id == "1" }}
		_, code, reason := st.check(frame)
		switch code {
		case 0, CloseBadRequest, CloseUnauthorized, CloseDuplicateID, CloseTooManyInits:
		default:
			t.Fatalf("closed with %d", code)
		}
		if len(reason) > 123 {
			t.Fatalf("close reason of %d bytes", len(reason))
		}
	})
}

// What the contact check accepts is a phone in E.164 form and an email
// address without line breaks.
func FuzzContact(f *testing.F) {
	for _, seed := range [][2]string{{"+14155550100", "carla@example.com"}, {"+1", "not-an-email"}, {"0049301234567", "a@b.c\r\nBcc: x@y.z"}, {"", "Carla <c@example.com>"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, phone, email string) {
		if checkContact(map[string]any{"phone": phone}) == nil && phone != "" {
			if normal, err := messaging.NormalizePhone("phone", phone); err != nil || normal != phone {
				t.Fatalf("accepted phone %q", phone)
			}
		}
		if checkContact(map[string]any{"email": email}) == nil && strings.ContainsAny(email, "\r\n") {
			t.Fatalf("accepted email %q", email)
		}
	})
}

// variablesDocument takes the inputs that carry strings, lists, Map values,
// nested input objects and filters.
const variablesDocument = `mutation Create($in: CreateEngagementInput!, $segs: [TranscriptSegmentInput!]!) {
	createEngagement(input: $in) { engagement { id } }
	appendTranscript(engagementID: "1", segments: $segs) { segments { id } }
}
query Queues($w: QueueWhereInput, $first: Int) { queues(where: $w, first: $first) { totalCount } }`

// Variables, whatever JSON they are, never panic coercion or the input
// checks, and what the checks accept is within the documented bounds:
// strings at most MaxStringBytes of valid UTF-8, lists at most
// MaxListLength items, Map values at most MaxMapDepth deep.
func FuzzVariables(f *testing.F) {
	for _, seed := range []string{
		`{"in": {"channel": "CHAT", "flowVariables": {"a": [1, {"b": "c"}]}, "customer": {"phone": "+14155550100"}}, "segs": [{"text": "hi", "speaker": "CUSTOMER"}]}`,
		`{"in": {"channel": "VOICE", "customer": {"email": "a@b.c\r\nBcc: x@y.z"}}, "segs": []}`,
		`{"w": {"not": {}}, "first": 5}`, `{"w": {"and": [{"nameContains": "x"}, {"or": []}]}}`,
		`{"in": {"channel": "SMS", "flowVariables": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": 1}}}}}}}}}}, "segs": null}`,
		`{"in": {"channel": "CHAT", "language": "\xff"}}`, `[]`, `null`, `{"first": -1}`,
	} {
		f.Add([]byte(seed))
	}
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
	doc, errs := gqlparser.LoadQuery(schema, variablesDocument)
	if errs != nil {
		f.Fatal(errs)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var vars map[string]any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if d.Decode(&vars) != nil {
			return
		}
		for _, op := range doc.Operations {
			coerced, err := validator.VariableValues(schema, op, vars)
			if err != nil {
				continue
			}
			c := argumentChecker{ctx: auth.SystemContext(context.Background()), schema: schema, vars: coerced, maxPage: 100, seen: map[string]bool{}}
			accepted := true
			for _, sel := range op.SelectionSet {
				if c.field(sel.(*ast.Field)) != nil {
					accepted = false
				}
			}
			if !accepted {
				continue
			}
			for name, v := range coerced {
				if err := withinBounds(v, 1); err != "" {
					t.Fatalf("accepted $%s with %s", name, err)
				}
			}
		}
	})
}

// withinBounds walks a coerced variable value independently of the
// checker and says what exceeds a bound.
func withinBounds(v any, depth int) string {
	switch v := v.(type) {
	case string:
		if len(v) > MaxStringBytes {
			return "a string too long"
		}
		if !utf8.ValidString(v) {
			return "a string that is not UTF-8"
		}
	case []any:
		if len(v) > MaxListLength {
			return "a list too long"
		}
		for _, item := range v {
			if err := withinBounds(item, depth+1); err != "" {
				return err
			}
		}
	case map[string]any:
		if depth > 2*MaxMapDepth+4 {
			// Input objects add a level or two above a Map value.
			return "values nested too deep"
		}
		for _, item := range v {
			if err := withinBounds(item, depth+1); err != "" {
				return err
			}
		}
	}
	return ""
}
