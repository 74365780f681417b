package graph_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/apitest"
)

// TestAutomaticPersistedQueries follows Apollo's protocol: the hash alone
// first, PERSISTED_QUERY_NOT_FOUND, then hash and document, after which the
// hash alone is enough, over POST and GET. A stored mutation named by its
// hash over GET is refused like one sent in full.
func TestAutomaticPersistedQueries(t *testing.T) {
	s := apitest.Start(t)
	const query = `query Me { me { email } }`
	sum := sha256.Sum256([]byte(query))
	hash := hex.EncodeToString(sum[:])
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}

	type result struct {
		status int
		code   string
		email  string
	}
	send := func(t *testing.T, req *http.Request) result {
		t.Helper()
		req.Header.Set("Authorization", "Bearer "+s.Admin.Token)
		res, err := s.HTTP.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		var out struct {
			Data   struct{ Me struct{ Email string } }
			Errors []struct{ Extensions struct{ Code string } }
		}
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("status %d, body %s", res.StatusCode, raw)
		}
		r := result{status: res.StatusCode, email: out.Data.Me.Email}
		if len(out.Errors) > 0 {
			r.code = out.Errors[0].Extensions.Code
		}
		return r
	}
	post := func(t *testing.T, body map[string]any) result {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequestWithContext(t.Context(), "POST", s.URL, strings.NewReader(string(b)))
		req.Header.Set("Content-Type", "application/json")
		return send(t, req)
	}
	get := func(t *testing.T, params url.Values) result {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), "GET", s.URL+"?"+params.Encode(), nil)
		return send(t, req)
	}
	extJSON, _ := json.Marshal(ext)

	if r := post(t, map[string]any{"extensions": ext}); r.code != "PERSISTED_QUERY_NOT_FOUND" || r.status != 200 {
		t.Fatalf("unknown hash: %+v; want 200 PERSISTED_QUERY_NOT_FOUND", r)
	}
	if r := get(t, url.Values{"extensions": {string(extJSON)}}); r.code != "PERSISTED_QUERY_NOT_FOUND" {
		t.Fatalf("unknown hash over GET: %+v; want PERSISTED_QUERY_NOT_FOUND", r)
	}
	if r := post(t, map[string]any{"query": query, "extensions": ext}); r.code != "" || r.email != apitest.AdminEmail {
		t.Fatalf("hash and query: %+v", r)
	}
	if r := post(t, map[string]any{"extensions": ext}); r.code != "" || r.email != apitest.AdminEmail {
		t.Fatalf("known hash: %+v", r)
	}
	if r := get(t, url.Values{"extensions": {string(extJSON)}}); r.code != "" || r.email != apitest.AdminEmail {
		t.Fatalf("known hash over GET: %+v", r)
	}

	const mutation = `mutation { revokeToken { revoked } }`
	msum := sha256.Sum256([]byte(mutation))
	mext, _ := json.Marshal(map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(msum[:])}})
	// Store the mutation's hash with a request that fails validation, so the
	// admin's token stays valid: the hash is stored before the document runs.
	post(t, map[string]any{"query": mutation, "extensions": json.RawMessage(mext), "operationName": "Nope"})
	if r := get(t, url.Values{"extensions": {string(mext)}}); r.status != http.StatusMethodNotAllowed || r.code != "VALIDATION" {
		t.Fatalf("stored mutation by GET: %+v; want 405 VALIDATION", r)
	}
	if r := post(t, map[string]any{"query": query}); r.email != apitest.AdminEmail {
		t.Fatalf("the token must still work: %+v", r)
	}
}
