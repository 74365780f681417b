package graph_test

import (
	"slices"
	"testing"
	"time"
)

// E5: handle time and wrap-up time accumulate across parks, exactly: the
// timers stop while parked and continue on resume.
func TestParkingKeepsHandleAndWrapUpTime(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", nil)
	ann := c.agent("Ann", "", q)
	id := c.create("CHAT", q)
	c.advance(4 * time.Second)
	ann.answer(id)

	steps := []struct {
		act   func(string) engagementView
		state string
		then  time.Duration
	}{
		{nil, "CONNECTED", 10 * time.Second},
		{ann.park, "PARKED", 100 * time.Second},
		{ann.resume, "CONNECTED", 5 * time.Second},
		{ann.park, "PARKED", 7 * time.Second},
		{ann.resume, "CONNECTED", time.Second},
		{ann.end, "WRAP_UP", 3 * time.Second},
		{ann.park, "PARKED", 50 * time.Second},
		{ann.resume, "WRAP_UP", 2 * time.Second},
	}
	for _, s := range steps {
		if s.act != nil {
			if e := s.act(id); e.State != s.state {
				t.Fatalf("engagement is %s; want %s", e.State, s.state)
			}
		}
		c.advance(s.then)
	}
	e := ann.wrapUp(id)
	if e.State != "CLOSED" || e.WaitMs != 4000 || e.HandleMs != 16000 || e.WrapUpMs != 5000 {
		t.Fatalf("closed engagement: state %s, wait %d ms, handle %d ms, wrap-up %d ms; want CLOSED, 4000, 16000, 5000",
			e.State, e.WaitMs, e.HandleMs, e.WrapUpMs)
	}
}

// E5: a parked chat stays the agent's but frees its chat slot: another
// chat can be routed to the agent, and resuming needs a free slot again.
func TestParkedChatFreesItsSlot(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", nil)
	ann := c.agent("Ann", c.profile(map[string]any{"chat": 1}), q)
	first, second := c.create("CHAT", q), c.create("CHAT", q)
	ann.answer(first)
	ann.noRing()

	ann.park(first)
	ann.answer(second)
	if got := ann.open(); !slices.Equal(got, []string{first + ":PARKED", second + ":CONNECTED"}) {
		t.Fatalf("open engagements %v", got)
	}
	ann.refuse("PRECONDITION_FAILED", "CAPACITY_REACHED", "resumeEngagement", first)

	ann.finish(second)
	third := c.create("CHAT", q)
	ann.answer(third) // the parked chat does not hold the slot
	ann.park(third)
	ann.resume(first)
	ann.finish(first)
	ann.resume(third)
	ann.finish(third)
}

// E5: a chat parked during wrap-up pauses the wrap-up limit; after resume
// the remaining time applies.
func TestParkPausesWrapUpLimit(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", map[string]any{"wrapUpLimitSeconds": 30})
	ann := c.agent("Ann", "", q)
	id := c.create("CHAT", q)
	ann.answer(id)
	ann.end(id)
	c.advance(10 * time.Second)
	ann.park(id)
	c.advance(time.Minute) // far beyond the limit, but parked
	c.expectEngagement(id, "PARKED", ann.id)

	resumed := c.clockNow()
	e := ann.resume(id)
	if e.State != "WRAP_UP" || e.WrapUpDeadline == nil || !e.WrapUpDeadline.Equal(resumed.Add(20*time.Second)) {
		t.Fatalf("resumed into %s with deadline %v; want WRAP_UP until %v", e.State, e.WrapUpDeadline, resumed.Add(20*time.Second))
	}
	c.advance(19 * time.Second)
	c.expectEngagement(id, "WRAP_UP", ann.id)
	c.advance(time.Second)
	if e := c.expectEngagement(id, "CLOSED", ann.id); e.WrapUpMs != 30000 {
		t.Fatalf("wrap-up %d ms; want 30000", e.WrapUpMs)
	}
}

// E5, R7: ending a parked chat never takes the agent over its capacity:
// with a free slot its wrap-up begins; without one the chat stays parked,
// its conversation over, and resumes into wrap-up.
func TestEndingParkedChat(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", map[string]any{"acceptMode": "AUTO"})
	ann := c.agent("Ann", c.profile(map[string]any{"chat": 1}), q)
	first := c.create("CHAT", q)
	c.waitState(first, "CONNECTED")
	ann.park(first)
	second := c.create("CHAT", q)
	c.waitState(second, "CONNECTED")

	// No free slot: the ended chat stays parked.
	e := ann.end(first)
	if e.State != "PARKED" || e.ParkedFrom == nil || *e.ParkedFrom != "WRAP_UP" {
		t.Fatalf("ended parked chat without a free slot: %+v", e)
	}
	ann.refuse("PRECONDITION_FAILED", "ILLEGAL_TRANSITION", "endEngagement", first) // already over
	ann.refuse("PRECONDITION_FAILED", "CAPACITY_REACHED", "resumeEngagement", first)

	// With a free slot: wrap-up at once.
	ann.park(second)
	if e := ann.end(second); e.State != "WRAP_UP" || e.ParkedFrom != nil {
		t.Fatalf("ended parked chat with a free slot: %+v", e)
	}
	ann.wrapUp(second)
	if e := ann.resume(first); e.State != "WRAP_UP" {
		t.Fatalf("resumed ended chat: %+v", e)
	}
	ann.wrapUp(first)
}
