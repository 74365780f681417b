package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/gqlclient"
)

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// sqlWords must never reach a client.
var sqlWords = []string{"SQL", "sqlite", "SELECT", "INSERT", "UNIQUE constraint", "queues", "agents."}

func assertNoSQL(t *testing.T, res *gqlclient.Response) {
	t.Helper()
	for _, e := range res.Errors {
		for _, w := range sqlWords {
			if strings.Contains(e.Message, w) {
				t.Fatalf("error mentions %q: %s", w, e.Message)
			}
		}
	}
}

// failingDriver fails queries on the queue table, while fail is set, as
// SQLite fails a statement with too many parameters.
type failingDriver struct {
	dialect.Driver
	fail atomic.Bool
}

func (d *failingDriver) Query(ctx context.Context, query string, args, v any) error {
	if d.fail.Load() && strings.Contains(query, "`queues`") {
		return errors.New("too many SQL variables in: " + query)
	}
	return d.Driver.Query(ctx, query, args, v)
}

func TestInternalErrorsAreMasked(t *testing.T) {
	logs := &syncBuffer{}
	failing := &failingDriver{}
	s := apitest.Start(t, func(c *app.Config) {
		c.Log = slog.New(slog.NewTextHandler(logs, nil))
		c.WrapDriver = func(d dialect.Driver) dialect.Driver { failing.Driver = d; return failing }
	})

	t.Run("a driver error", func(t *testing.T) {
		// Lists are bounded far below SQLite's 32766 parameters now, so the
		// driver's refusal of a statement is played by the driver.
		failing.fail.Store(true)
		res, err := s.Admin.Do(t.Context(), `{ queues { totalCount } }`, nil)
		failing.fail.Store(false)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Errors) == 0 {
			t.Fatal("no error")
		}
		e := res.Errors[0]
		if e.Message != "internal error" || e.Extensions.Code != "INTERNAL" || e.Extensions.Field != "" {
			t.Fatalf("error = %+v", e)
		}
		assertNoSQL(t, res)
		if !strings.Contains(logs.String(), "too many SQL variables") {
			t.Fatalf("the driver error was not logged; log:\n%s", logs.String())
		}
	})
	t.Run("a unique constraint", func(t *testing.T) {
		createQueue(t, s, map[string]any{"name": "Q"})
		const q = `mutation { createCapacityProfile(input: {name: "Same"}) { capacityProfile { id } } }`
		do[any](t, s.Admin, q, nil)
		res, err := s.Admin.Do(t.Context(), q, nil)
		if err != nil || len(res.Errors) != 1 || res.Errors[0].Extensions.Code != "CONFLICT" {
			t.Fatalf("res = %+v, %v", res, err)
		}
		assertNoSQL(t, res)
	})
	t.Run("a foreign key", func(t *testing.T) {
		res, err := s.Admin.Do(t.Context(), `mutation { createAgent(input: {name: "X", email: "x@example.com", queueIDs: ["12345"]}) { agent { id } } }`, nil)
		if err != nil || len(res.Errors) != 1 || res.Errors[0].Extensions.Code != "NOT_FOUND" {
			t.Fatalf("res = %+v, %v", res, err)
		}
		assertNoSQL(t, res)
	})
}

func TestRequestLimits(t *testing.T) {
	s := apitest.Start(t)

	t.Run("complexity", func(t *testing.T) {
		// Three nested connections of 100 (the page size when first is
		// absent): 100 × 100 × 100 nodes, far above 50,000.
		q := `{ queues { edges { node { agents { edges { node { queues { edges { node { id } } } } } } } } } }`
		e := apitest.ExpectCode(t, s.Admin, "LIMIT_EXCEEDED", q, nil)
		if !strings.Contains(e.Message, "complexity") {
			t.Errorf("message %q", e.Message)
		}
		do[any](t, s.Admin, `{ a: me { id } b: me { id } }`, nil)
	})
	t.Run("parser token limit", func(t *testing.T) {
		q := "{ me {" + strings.Repeat(" id", 5000) + " } }"
		apitest.ExpectCode(t, s.Admin, "LIMIT_EXCEEDED", q, nil)
		do[any](t, s.Admin, "{ me {"+strings.Repeat(" id", 100)+" } }", nil)
	})
	t.Run("request body", func(t *testing.T) {
		body, _ := json.Marshal(map[string]any{"query": "{ me { id } }", "variables": map[string]any{"pad": strings.Repeat("x", 1<<20)}})
		for _, chunked := range []bool{false, true} {
			var r io.Reader = bytes.NewReader(body)
			if chunked {
				r = io.MultiReader(r) // hides the length: sent chunked
			}
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL, r)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+s.Admin.Token)
			res := decodeHTTP(t, req)
			if res.status != http.StatusRequestEntityTooLarge || res.code != "LIMIT_EXCEEDED" {
				t.Fatalf("chunked=%v: status %d, code %q", chunked, res.status, res.code)
			}
		}
	})
	t.Run("mutations over GET are refused", func(t *testing.T) {
		get := func(query string) *http.Request {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+"?query="+url.QueryEscape(query), nil)
			req.Header.Set("Authorization", "Bearer "+s.Admin.Token)
			return req
		}
		res := decodeHTTP(t, get(`mutation { createQueue(input: {name: "By GET"}) { queue { id } } }`))
		if res.status != http.StatusMethodNotAllowed || res.code != "VALIDATION" {
			t.Fatalf("status %d, code %q", res.status, res.code)
		}
		res = decodeHTTP(t, get(`query { queues { totalCount } }`))
		if res.status != http.StatusOK || res.code != "" || !strings.Contains(string(res.data), `"totalCount":0`) {
			t.Fatalf("query by GET: status %d, code %q, data %s", res.status, res.code, res.data)
		}
	})
	t.Run("parse and validation errors", func(t *testing.T) {
		runErrorCases(t, s.Admin, []errorCase{
			{name: "syntax", query: `{ me { id }`, code: "VALIDATION"},
			{name: "unknown field", query: `{ me { password } }`, code: "VALIDATION"},
			{name: "wrong variable type", query: `query($n: Int) { queues(first: $n) { totalCount } }`, vars: map[string]any{"n": "ten"}, code: "VALIDATION"},
			{name: "ID that is not a number", query: `{ node(id: "abc") { id } }`, code: "VALIDATION", field: "id"},
			{name: "ID variable that is not a number", query: `query($id: ID!) { updateQueue(id: $id, input: {}) { queue { id } } }`, vars: map[string]any{"id": "q-1"}, code: "VALIDATION"},
			{name: "nested cursor that does not decode", query: `{ queues { edges { node { agents(after: "junk") { totalCount } } } } }`, code: "VALIDATION", field: "after"},
		})
	})
}

type rawResponse struct {
	status int
	code   string
	data   json.RawMessage
}

func decodeHTTP(t *testing.T, req *http.Request) rawResponse {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body gqlclient.Response
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatalf("HTTP %d: %v", res.StatusCode, err)
	}
	out := rawResponse{status: res.StatusCode, data: body.Data}
	if len(body.Errors) > 0 {
		out.code = body.Errors[0].Extensions.Code
	}
	return out
}
