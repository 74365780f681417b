package graph_test

import (
	"testing"
)

// Configuration changes reach routing at once: queue memberships, a
// queue's accept mode, capacity profiles, deactivated agents.
func TestConfigChangesReachRouting(t *testing.T) {
	c := newCenter(t)
	sales := c.queue("Sales", nil)
	support := c.queue("Support", nil)
	one := c.profile(map[string]any{"chat": 1})
	ann := c.agent("Ann", one, sales)
	c.advance(1)

	// A waiting chat in a queue Ann is not a member of yet.
	first := c.create("CHAT", support)
	ann.noRing()
	c.must(c.s.Admin, `mutation($id: ID!, $q: ID!) { updateAgent(id: $id, input: {addQueueIDs: [$q]}) { agent { id } } }`,
		map[string]any{"id": ann.id, "q": support}, nil)
	ann.answer(first)

	// Her capacity profile grows: a second chat is routed to her.
	second := c.create("CHAT", support)
	ann.noRing()
	c.must(c.s.Admin, `mutation($id: ID!) { updateCapacityProfile(id: $id, input: {chat: 2}) { capacityProfile { id } } }`,
		map[string]any{"id": one}, nil)
	ann.answer(second)

	// Sales switches to AUTO: its next chat connects without a ring.
	c.must(c.s.Admin, `mutation($id: ID!) { updateQueue(id: $id, input: {acceptMode: AUTO}) { queue { id } } }`,
		map[string]any{"id": sales}, nil)
	ann.finish(first)
	third := c.create("CHAT", sales)
	c.waitState(third, "CONNECTED")

	// Ann is deactivated: nothing more is routed to her.
	bob := c.agent("Bob", "", support)
	ann.finish(second)
	c.must(c.s.Admin, `mutation($id: ID!) { updateAgent(id: $id, input: {active: false}) { agent { id } } }`,
		map[string]any{"id": ann.id}, nil)
	fourth := c.create("CHAT", support)
	bob.answer(fourth)
}
