package app

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/switchboard/switchboard/internal/apperr"
)

// ReasonBatchingUnsupported is the reason of the VALIDATION error that
// refuses a JSON array of operations (Apollo's BatchHttpLink).
const ReasonBatchingUnsupported = "BATCHING_UNSUPPORTED"

// postJSON is gqlgen's POST transport behind a check of the request's
// shape. gqlgen answers a body that is not a JSON object, an array, or a
// field of the wrong type with an uncoded error quoting Go's decoder and the
// body; here each gets a VALIDATION error that says what to send.
type postJSON struct{ transport.POST }

// Do serves a POST request.
func (t postJSON) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, apperr.New(apperr.Validation, "could not read the request body"))
		return
	}
	if e := checkPostBody(body); e != nil {
		writeError(w, http.StatusBadRequest, e)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	t.POST.Do(w, r, exec)
}

// checkPostBody returns the error of a body that is not one GraphQL
// request object, or nil.
func checkPostBody(body []byte) *apperr.Error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return apperr.New(apperr.Validation, `the request body is empty: send a JSON object such as {"query": "{ me { id } }"}`)
	case trimmed[0] == '[':
		return apperr.New(apperr.Validation,
			"batched requests (a JSON array of operations) are not supported: send one operation per request").
			WithReason(ReasonBatchingUnsupported)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		return apperr.New(apperr.Validation, `the request body is not a JSON object: send {"query": "…", "variables": {…}}`)
	}
	var query, operationName *string
	var variables, extensions map[string]any
	for _, f := range []struct {
		name string
		dst  any
		want string
	}{
		{"query", &query, "a string"},
		{"operationName", &operationName, "a string"},
		{"variables", &variables, "an object"},
		{"extensions", &extensions, "an object"},
	} {
		if v, ok := fields[f.name]; ok {
			if err := json.Unmarshal(v, f.dst); err != nil {
				return apperr.Invalid(f.name, "must be %s", f.want)
			}
		}
	}
	if (query == nil || *query == "") && extensions["persistedQuery"] == nil {
		return apperr.Invalid("query", "is missing: send the GraphQL document as \"query\"")
	}
	return nil
}

// checkGetParams returns the error of a GET request whose parameters gqlgen
// would refuse with an uncoded error, or nil.
func checkGetParams(rawQuery string) *apperr.Error {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return apperr.New(apperr.Validation, "the URL query string is malformed")
	}
	for _, name := range []string{"variables", "extensions"} {
		if v := q.Get(name); v != "" {
			var obj map[string]any
			if err := json.Unmarshal([]byte(v), &obj); err != nil || obj == nil {
				return apperr.Invalid(name, "must be a JSON object")
			}
		}
	}
	if q.Get("query") == "" && q.Get("extensions") == "" {
		return apperr.Invalid("query", "is missing: pass the GraphQL document as ?query=")
	}
	return nil
}

// refuseUnsupported answers a request no transport takes (another method,
// another content type) with a coded error, where gqlgen sends an uncoded
// "transport not supported".
func refuseUnsupported(transports []graphql.Transport, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, t := range transports {
			if t.Supports(r) {
				next.ServeHTTP(w, r)
				return
			}
		}
		switch {
		case r.Method == http.MethodPost:
			writeError(w, http.StatusUnsupportedMediaType, apperr.New(apperr.Validation,
				"send GraphQL requests with Content-Type: application/json"))
		case r.Header.Get("Upgrade") != "":
			writeError(w, http.StatusBadRequest, apperr.New(apperr.Validation,
				"websocket upgrades need the subprotocol graphql-transport-ws or graphql-ws"))
		default:
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			writeError(w, http.StatusMethodNotAllowed, apperr.New(apperr.Validation,
				"method %s is not allowed: POST operations as JSON, or GET queries", r.Method))
		}
	})
}
