package graph_test

import (
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
)

const createEngagementMutation = `mutation($in: CreateEngagementInput!) { createEngagement(input: $in) { engagement { id } } }`

// Every input is bounded and the customer's contact details are checked,
// each refusal coded (never INTERNAL) and before anything is written.
func TestInputBounds(t *testing.T) {
	s := apitest.Start(t)
	queue := createQueue(t, s, map[string]any{"name": "Support"})
	engagement := func(extra map[string]any) map[string]any {
		in := map[string]any{"channel": "CHAT", "queueID": queue}
		for k, v := range extra {
			in[k] = v
		}
		return map[string]any{"in": in}
	}
	contact := func(c map[string]any) map[string]any { return engagement(map[string]any{"customer": c}) }
	deep := map[string]any{"leaf": "x"}
	for range 200 {
		deep = map[string]any{"next": deep}
	}
	wide := map[string]any{}
	for i := range 2000 {
		wide[strings.Repeat("k", 1+i%7)+string(rune('a'+i%26))+strings.Repeat("z", i/182)] = i
	}
	segments := make([]map[string]any, 10000)
	for i := range segments {
		segments[i] = map[string]any{"speaker": "CUSTOMER", "text": "hi"}
	}
	eg := insertEngagement(t, s, queue, "CONNECTED")
	runErrorCases(t, s.Admin, []errorCase{
		{name: "phone without country code", query: createEngagementMutation, vars: contact(map[string]any{"phone": "+1"}), code: "VALIDATION", field: "phone"},
		{name: "phone not in E.164 form", query: createEngagementMutation, vars: contact(map[string]any{"phone": "+1 (415) 555-0100"}), code: "VALIDATION", field: "phone"},
		{name: "not an email", query: createEngagementMutation, vars: contact(map[string]any{"email": "not-an-email"}), code: "VALIDATION", field: "email"},
		{name: "email with a header", query: createEngagementMutation, vars: contact(map[string]any{"email": "carla@example.com\r\nBcc: all@example.com"}), code: "VALIDATION", field: "email"},
		{name: "email with a display name", query: createEngagementMutation, vars: contact(map[string]any{"email": "Carla <carla@example.com>"}), code: "VALIDATION", field: "email"},
		{name: "900 KB string", query: createEngagementMutation, vars: engagement(map[string]any{"botSummary": strings.Repeat("a", 900<<10)}), code: "LIMIT_EXCEEDED", field: "botSummary"},
		{name: "map nested 200 deep", query: createEngagementMutation, vars: engagement(map[string]any{"flowVariables": deep}), code: "LIMIT_EXCEEDED", field: "flowVariables"},
		{name: "map of 2000 entries", query: createEngagementMutation, vars: engagement(map[string]any{"flowVariables": wide}), code: "LIMIT_EXCEEDED", field: "flowVariables"},
		{name: "10,000 transcript segments", query: `mutation($id: ID!, $s: [TranscriptSegmentInput!]!) { appendTranscript(engagementID: $id, segments: $s) { segments { text } } }`,
			vars: map[string]any{"id": eg.ID, "s": segments}, code: "LIMIT_EXCEEDED", field: "segments"},
		{name: "10,000 channels", query: `mutation($id: ID!, $c: [Channel!]) { updateQueue(id: $id, input: {appendChannels: $c}) { queue { id } } }`,
			vars: map[string]any{"id": queue, "c": func() []string {
				c := make([]string, 10000)
				for i := range c {
					c[i] = "CHAT"
				}
				return c
			}()}, code: "LIMIT_EXCEEDED", field: "appendChannels"},
		{name: "empty filter under not", query: `{ queues(where: {not: {}}) { totalCount } }`, code: "VALIDATION", field: "not"},
		{name: "empty filter under and", query: `{ queues(where: {and: [{}]}) { totalCount } }`, code: "VALIDATION", field: "and"},
		{name: "empty filter nested", query: `{ queues(where: {or: [{name: "a"}, {not: {}}]}) { totalCount } }`, code: "VALIDATION", field: "not"},
	})
	// Nothing was written by the refused createEngagements.
	if n := count(t, s.Admin, "engagements"); n != 1 {
		t.Fatalf("%d engagements; want only the inserted one", n)
	}
	// Good details pass.
	do[any](t, s.Admin, createEngagementMutation, contact(map[string]any{"name": "Carla", "phone": "+14155550100", "email": "carla@example.com"}))
	do[any](t, s.Admin, `{ queues(where: {not: {name: "x"}}) { totalCount } }`, nil)
}

// Outside development mode validation errors suggest no field names.
func TestNoSuggestionsOutsideDevMode(t *testing.T) {
	for _, dev := range []bool{false, true} {
		s := apitest.Start(t, func(c *app.Config) { c.Dev = dev })
		res, err := s.Client("").Do(t.Context(), `{ queuez { totalCount } }`, nil)
		if err != nil || len(res.Errors) == 0 {
			t.Fatalf("%v %v", res, err)
		}
		if got := strings.Contains(res.Errors[0].Message, "Did you mean"); got != dev {
			t.Errorf("dev %v: message %q", dev, res.Errors[0].Message)
		}
	}
}
