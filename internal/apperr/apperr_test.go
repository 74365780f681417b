package apperr

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/switchboard/switchboard/ent"
)

func TestFrom(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		code Code
	}{
		{"app error passes", New(Conflict, "taken"), Conflict},
		{"wrapped app error", fmt.Errorf("ctx: %w", Invalid("name", "empty")), Validation},
		{"ent not found", &ent.NotFoundError{}, NotFound},
		{"deadline", context.DeadlineExceeded, LimitExceeded},
		{"anything else", errors.New("near \"SELECT\": syntax error"), Internal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := From(tc.err)
			if e.Code != tc.code {
				t.Fatalf("code %s; want %s", e.Code, tc.code)
			}
			if tc.code == Internal && e.Message != "internal error" {
				t.Fatalf("internal message %q leaks", e.Message)
			}
		})
	}
	if From(nil) != nil {
		t.Fatal("From(nil) != nil")
	}
}

func TestGraphQLName(t *testing.T) {
	for in, want := range map[string]string{
		"name": "name", "outbound_max": "outboundMax", "webhook_url": "webhookURL",
		"default_queue_id": "defaultQueueID", "ring_timeout_seconds": "ringTimeoutSeconds",
	} {
		if got := graphQLName(in); got != want {
			t.Errorf("graphQLName(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestClosedCode(t *testing.T) {
	for in, want := range map[string]Code{
		"NOT_FOUND": NotFound, "GRAPHQL_PARSE_FAILED": Validation, "GRAPHQL_VALIDATION_FAILED": Validation,
		"COMPLEXITY_LIMIT_EXCEEDED": LimitExceeded, "": Validation, "SOMETHING_NEW": Validation,
	} {
		if got := closedCode(in); got != want {
			t.Errorf("closedCode(%q) = %s; want %s", in, got, want)
		}
	}
}
