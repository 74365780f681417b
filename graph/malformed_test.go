package graph_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
)

// goText is what Go's own error strings look like; none may reach a client.
var goText = []string{"strconv", "json:", "invalid character", "body:", "unmarshal", "Unmarshal", "cannot unmarshal",
	"panic", "runtime error", "transport not supported", "goroutine", ".go:"}

// malformedCase is one request that must be refused with status and code.
type malformedCase struct {
	name        string
	method      string
	contentType string // "" sends none
	path        string // after /graphql, for GET parameters
	body        string
	anonymous   bool
	status      int
	code        string
	reason      string
	field       string
}

// TestMalformedRequests sends requests real clients and audits send by
// mistake; each gets a coded error, never a panic or Go error text.
func TestMalformedRequests(t *testing.T) {
	logs := &syncBuffer{}
	s := apitest.Start(t, func(c *app.Config) {
		c.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.MaxBodyBytes = 4096
	})
	const me = `{ me { id } }`
	q := func(query string) string { b, _ := json.Marshal(map[string]string{"query": query}); return string(b) }
	post := func(name, body string, status int, code string) malformedCase {
		return malformedCase{name: name, method: "POST", contentType: "application/json", body: body, status: status, code: code}
	}
	cases := []malformedCase{
		post("not JSON", `{`, 400, "VALIDATION"),
		post("a word", `hello`, 400, "VALIDATION"),
		post("empty body", ``, 400, "VALIDATION"),
		post("only whitespace", " \n ", 400, "VALIDATION"),
		{name: "a batch", method: "POST", contentType: "application/json", body: `[` + q(me) + `,` + q(me) + `]`, status: 400, code: "VALIDATION", reason: app.ReasonBatchingUnsupported},
		{name: "an empty batch", method: "POST", contentType: "application/json", body: `[]`, status: 400, code: "VALIDATION", reason: app.ReasonBatchingUnsupported},
		post("a JSON string", `"{ me { id } }"`, 400, "VALIDATION"),
		post("a JSON number", `5`, 400, "VALIDATION"),
		post("JSON null", `null`, 400, "VALIDATION"),
		post("trailing garbage", q(me)+` x`, 400, "VALIDATION"),
		{name: "query is a number", method: "POST", contentType: "application/json", body: `{"query": 5}`, status: 400, code: "VALIDATION", field: "query"},
		{name: "query is null", method: "POST", contentType: "application/json", body: `{"query": null}`, status: 400, code: "VALIDATION", field: "query"},
		{name: "query is a list", method: "POST", contentType: "application/json", body: `{"query": ["{ me { id } }"]}`, status: 400, code: "VALIDATION", field: "query"},
		{name: "query is empty", method: "POST", contentType: "application/json", body: `{"query": ""}`, status: 400, code: "VALIDATION", field: "query"},
		{name: "no query", method: "POST", contentType: "application/json", body: `{}`, status: 400, code: "VALIDATION", field: "query"},
		{name: "variables is a string", method: "POST", contentType: "application/json", body: `{"query": "{ me { id } }", "variables": "x"}`, status: 400, code: "VALIDATION", field: "variables"},
		{name: "variables is a list", method: "POST", contentType: "application/json", body: `{"query": "{ me { id } }", "variables": [1]}`, status: 400, code: "VALIDATION", field: "variables"},
		{name: "operationName is a number", method: "POST", contentType: "application/json", body: `{"query": "{ me { id } }", "operationName": 5}`, status: 400, code: "VALIDATION", field: "operationName"},
		{name: "extensions is a string", method: "POST", contentType: "application/json", body: `{"query": "{ me { id } }", "extensions": "x"}`, status: 400, code: "VALIDATION", field: "extensions"},
		post("anonymous not JSON", `{`, 400, "VALIDATION"),
		post("syntax error", q(`{ me { id `), 422, "VALIDATION"),
		post("unknown field", q(`{ nope }`), 422, "VALIDATION"),
		post("two operations, no name", q(`query A { me { id } } query B { me { id } }`), 422, "VALIDATION"),
		post("operation name not in the document", `{"query": "query A { me { id } }", "operationName": "B"}`, 422, "VALIDATION"),
		post("variable of the wrong type", `{"query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": {"a": 1}}}`, 422, "VALIDATION"),
		post("required variable missing", `{"query": "query($id: ID!) { node(id: $id) { id } }"}`, 422, "VALIDATION"),
		{name: "node with a bad ID", method: "POST", contentType: "application/json", body: q(`{ node(id: "not-an-id") { id } }`), status: 200, code: "VALIDATION", field: "id"},
		{name: "node with a bad ID variable", method: "POST", contentType: "application/json", body: `{"query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": "x"}}`, status: 200, code: "VALIDATION", field: "id"},
		{name: "nodes with a bad ID", method: "POST", contentType: "application/json", body: q(`{ nodes(ids: ["1", "zz"]) { id } }`), status: 200, code: "VALIDATION", field: "ids"},
		{name: "node with an empty ID", method: "POST", contentType: "application/json", body: q(`{ node(id: "") { id } }`), status: 200, code: "VALIDATION", field: "id"},
		{name: "anonymous bad ID", method: "POST", contentType: "application/json", body: q(`{ node(id: "not-an-id") { id } }`), anonymous: true, status: 200, code: "UNAUTHENTICATED"},
		post("unsupported persisted query version", `{"extensions": {"persistedQuery": {"version": 2, "sha256Hash": "ab"}}}`, 200, "VALIDATION"),
		post("persisted query hash mismatch", `{"query": "{ me { id } }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "ab"}}}`, 200, "VALIDATION"),
		post("malformed persisted query extension", `{"extensions": {"persistedQuery": "x"}}`, 200, "VALIDATION"),
		post("body over -max-body-bytes", q(`{ me { id } }`+strings.Repeat(" ", 5000)), 413, "LIMIT_EXCEEDED"),
		{name: "text/plain", method: "POST", contentType: "text/plain", body: q(me), status: 415, code: "VALIDATION"},
		{name: "no content type", method: "POST", body: q(me), status: 415, code: "VALIDATION"},
		{name: "form encoded", method: "POST", contentType: "application/x-www-form-urlencoded", body: "query=" + url.QueryEscape(me), status: 415, code: "VALIDATION"},
		{name: "multipart", method: "POST", contentType: "multipart/form-data; boundary=x", body: "--x--", status: 415, code: "VALIDATION"},
		{name: "application/graphql", method: "POST", contentType: "application/graphql", body: me, status: 415, code: "VALIDATION"},
		{name: "malformed content type", method: "POST", contentType: "application/json; ===", body: q(me), status: 415, code: "VALIDATION"},
		{name: "PUT", method: "PUT", contentType: "application/json", body: q(me), status: 405, code: "VALIDATION"},
		{name: "DELETE", method: "DELETE", status: 405, code: "VALIDATION"},
		{name: "PATCH", method: "PATCH", contentType: "application/json", body: q(me), status: 405, code: "VALIDATION"},
		{name: "GET without a query", method: "GET", status: 400, code: "VALIDATION", field: "query"},
		{name: "GET variables not JSON", method: "GET", path: "?query=" + url.QueryEscape(me) + "&variables=%7B", status: 400, code: "VALIDATION", field: "variables"},
		{name: "GET variables a list", method: "GET", path: "?query=" + url.QueryEscape(me) + "&variables=%5B1%5D", status: 400, code: "VALIDATION", field: "variables"},
		{name: "GET extensions not JSON", method: "GET", path: "?query=" + url.QueryEscape(me) + "&extensions=x", status: 400, code: "VALIDATION", field: "extensions"},
		{name: "GET malformed escape", method: "GET", path: "?query=%zz", status: 400, code: "VALIDATION"},
		{name: "GET syntax error", method: "GET", path: "?query=" + url.QueryEscape("{ me {"), status: 422, code: "VALIDATION"},
		{name: "GET a mutation", method: "GET", path: "?query=" + url.QueryEscape("mutation { revokeToken { revoked } }"), status: 405, code: "VALIDATION"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req, err := http.NewRequestWithContext(t.Context(), tc.method, s.URL+tc.path, body)
			if err != nil {
				t.Fatal(err)
			}
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			if !tc.anonymous {
				req.Header.Set("Authorization", "Bearer "+s.Admin.Token)
			}
			res, err := s.HTTP.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			var out struct {
				Errors []struct {
					Message    string
					Extensions struct{ Code, Reason, Field string }
				}
			}
			if err := json.Unmarshal(raw, &out); err != nil || len(out.Errors) == 0 {
				t.Fatalf("status %d, body %s: want a GraphQL error response", res.StatusCode, raw)
			}
			e := out.Errors[0]
			if res.StatusCode != tc.status || e.Extensions.Code != tc.code {
				t.Errorf("status %d, code %q (%s); want %d, %s", res.StatusCode, e.Extensions.Code, raw, tc.status, tc.code)
			}
			if e.Extensions.Reason != tc.reason {
				t.Errorf("reason %q; want %q", e.Extensions.Reason, tc.reason)
			}
			if tc.field != "" && e.Extensions.Field != tc.field {
				t.Errorf("field %q; want %q (%s)", e.Extensions.Field, tc.field, raw)
			}
			for _, w := range goText {
				if strings.Contains(e.Message, w) {
					t.Errorf("message %q contains Go error text %q", e.Message, w)
				}
			}
		})
	}
	if len(cases) < 30 {
		t.Fatalf("%d cases; the table must cover at least 30", len(cases))
	}
	for _, w := range []string{"panic", "level=ERROR", "goroutine "} {
		if strings.Contains(logs.String(), w) {
			t.Errorf("the log contains %q:\n%s", w, logs.String())
		}
	}
}
