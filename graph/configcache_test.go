package graph_test

import (
	"testing"
)

// Write transactions read queue settings from a cache on SQLite; a change
// of the queue (config.changed) reaches the very next action: a wrap-up
// that needed no disposition needs one once the queue requires them, and
// a deactivated queue takes no new engagement.
func TestQueueChangeReachesTheNextAction(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", nil)
	ann := c.agent("Ann", c.profile(map[string]any{"chat": 1}), q)
	first := c.create("CHAT", q)
	ann.answer(first)
	ann.end(first)
	if e := ann.wrapUp(first); e.State != "CLOSED" { // the queue's settings are cached now
		t.Fatalf("first wrap-up: %+v", e)
	}
	second := c.create("CHAT", q)
	ann.answer(second)
	ann.end(second)
	c.must(c.s.Admin, `mutation($id: ID!) { updateQueue(id: $id, input: {dispositionsRequired: true}) { queue { id } } }`, map[string]any{"id": q}, nil)
	expectError(t, ann.Client, "VALIDATION", "DISPOSITIONS_REQUIRED",
		`mutation($id: ID!) { completeWrapUp(input: {engagementID: $id}) { engagement { state } } }`, map[string]any{"id": second})

	c.must(c.s.Admin, `mutation($id: ID!) { updateQueue(id: $id, input: {active: false}) { queue { id } } }`, map[string]any{"id": q}, nil)
	expectError(t, c.integ, "PRECONDITION_FAILED", "",
		`mutation($q: ID!) { createEngagement(input: {channel: CHAT, queueID: $q, customer: {name: "Cy"}}) { engagement { id } } }`, map[string]any{"q": q})
}
