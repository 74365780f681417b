package app

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"

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
