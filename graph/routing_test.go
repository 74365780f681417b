package graph_test

import (
	"slices"
	"testing"
	"time"

	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/app"
)

// R3: a call goes to a free agent first; only when none is free to an agent
// busy with chats, never to one on a call or in a call's wrap-up. The chat
// of the interrupted agent is parked automatically and resumed when the
// call ends.
func TestCallInterruptsChatsOnlyWhenNoAgentIsFree(t *testing.T) {
	c := newCenter(t)
	calls := c.queue("Calls", map[string]any{"channels": []string{"VOICE"}})
	chats := c.queue("Chats", map[string]any{"channels": []string{"CHAT"}, "acceptMode": "AUTO"})
	bob := c.agent("Bob", "", calls, chats) // idle longest, but busy with a chat
	c.advance(time.Second)
	ann := c.agent("Ann", "", calls)

	chat := c.create("CHAT", chats)
	c.waitState(chat, "CONNECTED")

	// Ann is free: the call is hers although Bob has been idle longer.
	call1 := c.create("VOICE", calls)
	ann.answer(call1)
	bob.noRing()

	// Nobody is free: Ann is on a call, so Bob (busy with a chat) is rung.
	// His chat keeps going while the call rings and is parked when he takes it.
	call2 := c.create("VOICE", calls)
	o := bob.ringFor(call2)
	ann.noRing()
	c.expectEngagement(chat, "CONNECTED", bob.id)
	bob.accept(o.ID)
	if e := c.expectEngagement(chat, "PARKED", bob.id); !e.AutoParked || e.ParkedFrom == nil || *e.ParkedFrom != "CONNECTED" {
		t.Fatalf("interrupted chat: %+v", e)
	}

	// Ann in her call's wrap-up and Bob on a call: the next call waits.
	ann.end(call1)
	call3 := c.create("VOICE", calls)
	ann.noRing()
	bob.noRing()
	c.expectEngagement(call3, "QUEUED", "")
	ann.wrapUp(call1)
	ann.answer(call3)

	// Bob's call ends: his chat resumes by itself.
	bob.end(call2)
	if e := c.expectEngagement(chat, "CONNECTED", bob.id); e.AutoParked || e.ParkedFrom != nil {
		t.Fatalf("resumed chat: %+v", e)
	}
	bob.wrapUp(call2)
	bob.finish(chat)
}

// R3: if the customer ends the parked chat during the call, the chat
// continues in wrap-up after the call.
func TestChatEndedDuringInterruptingCallContinuesInWrapUp(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", map[string]any{"acceptMode": "AUTO"})
	ann := c.agent("Ann", "", q)
	chat := c.create("CHAT", q)
	c.waitState(chat, "CONNECTED")
	call := c.create("VOICE", q)
	c.waitState(call, "CONNECTED")
	c.expectEngagement(chat, "PARKED", ann.id)

	e := c.hangUp(chat)
	if e.State != "PARKED" || !e.CustomerLeft {
		t.Fatalf("chat ended by the customer during the call: %+v", e)
	}
	c.advance(30 * time.Second)
	ann.end(call)
	e = c.expectEngagement(chat, "WRAP_UP", ann.id)
	if !e.CustomerLeft || e.AutoParked {
		t.Fatalf("chat after the call: %+v", e)
	}
	ann.wrapUp(call)
	if e := ann.wrapUp(chat); e.State != "CLOSED" {
		t.Fatalf("chat after its wrap-up: %s", e.State)
	}
}

// R4: an agent in wrap-up of a chat gets no call until the wrap-up completes.
func TestNoCallDuringChatWrapUp(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", nil)
	ann := c.agent("Ann", "", q)
	chat := c.create("CHAT", q)
	ann.answer(chat)
	ann.end(chat)

	call := c.create("VOICE", q)
	ann.noRing()
	c.advance(time.Minute)
	ann.noRing()
	ann.wrapUp(chat)
	ann.answer(call)
}

// R5: an agent picks a waiting chat from one of its queues, within its
// capacity, even while holding chats.
func TestPickWaitingChat(t *testing.T) {
	c := newCenter(t)
	mine := c.queue("Mine", nil)
	other := c.queue("Other", nil)
	ann := c.agent("Ann", c.profile(map[string]any{"chat": 2}), mine)
	ann.setState("NOT_READY", "BACKOFFICE") // nothing is routed to her: chats wait
	c1, c2, c3 := c.create("CHAT", mine), c.create("CHAT", mine), c.create("CHAT", mine)
	elsewhere := c.create("CHAT", other)
	call := c.create("VOICE", mine)

	if e := ann.pick(c2); e.State != "CONNECTED" || e.agent() != ann.id {
		t.Fatalf("picked chat: %+v", e)
	}
	ann.pick(c1) // while holding a chat
	if got := ann.open(); !slices.Equal(got, []string{c1 + ":CONNECTED", c2 + ":CONNECTED"}) {
		t.Fatalf("open engagements %v", got)
	}
	ann.refuse("PRECONDITION_FAILED", "CAPACITY_REACHED", "pickEngagement", c3)
	ann.refuse("PRECONDITION_FAILED", "NOT_A_QUEUE_MEMBER", "pickEngagement", elsewhere)
	ann.refuse("PRECONDITION_FAILED", "ILLEGAL_TRANSITION", "pickEngagement", call)
	ann.refuse("PRECONDITION_FAILED", "ILLEGAL_TRANSITION", "pickEngagement", c1) // not waiting any more

	// A parked chat frees its slot.
	ann.park(c1)
	ann.pick(c3)
	c.expectEngagement(c3, "CONNECTED", ann.id)
	c.expectEngagement(elsewhere, "QUEUED", "")
}

// R5: a chat ringing another agent cannot be picked: the pick races with
// the ring and fails with CONFLICT.
func TestPickRingingChatConflicts(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", nil)
	bob := c.agent("Bob", "", q)
	ann := c.agent("Ann", "", q)
	ann.setState("NOT_READY", "BACKOFFICE")
	id := c.create("CHAT", q)
	bob.ringFor(id)
	ann.refuse("CONFLICT", "RINGING_ANOTHER_AGENT", "pickEngagement", id)
}

// R5: picking a chat that is ringing the caller answers the ring.
func TestPickOwnRingingChatAccepts(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", nil)
	ann := c.agent("Ann", "", q)
	conn, sub := agentStream(t, c, ann)
	defer conn.CloseNow()
	id := c.create("CHAT", q)
	o := ann.ringFor(id)
	if e := ann.pick(id); e.State != "CONNECTED" || e.agent() != ann.id {
		t.Fatalf("picked own ringing chat: %+v", e)
	}
	if e := nextTopic(t, sub, "offer.ended"); e.Payload["state"] != "ACCEPTED" || e.Payload["offerID"] != o.ID {
		t.Fatalf("Ann's ring ended with %v; want ACCEPTED", e.Payload)
	}
	if s := c.offerState(o.ID); s != "ACCEPTED" {
		t.Fatalf("the ring is %s", s)
	}
	ann.finish(id)
}

// R6: email and SMS do not ring: they are assigned and appear in the
// agent's open engagements, also from a MANUAL queue.
func TestAsynchronousEngagementsAreAssignedWithoutRing(t *testing.T) {
	for _, ch := range []string{"EMAIL", "SMS"} {
		t.Run(ch, func(t *testing.T) {
			c := newCenter(t)
			q := c.queue("Inbox", map[string]any{"acceptMode": "MANUAL"})
			ann := c.agent("Ann", "", q)
			id := c.create(ch, q)
			c.waitState(id, "CONNECTED")
			if os := ann.offers(); len(os) != 0 {
				t.Fatalf("Ann was rung with %+v", os)
			}
			if got := ann.open(); !slices.Equal(got, []string{id + ":CONNECTED"}) {
				t.Fatalf("open engagements %v", got)
			}
		})
	}
}

// R7: no agent is offered more than its capacity on a channel; pending
// rings count.
func TestNeverOverCapacity(t *testing.T) {
	for _, mode := range []string{"MANUAL", "AUTO"} {
		t.Run(mode, func(t *testing.T) {
			c := newCenter(t)
			q := c.queue("Support", map[string]any{"acceptMode": mode})
			ann := c.agent("Ann", c.profile(map[string]any{"chat": 2, "email": 1}), q)
			chats := []string{c.create("CHAT", q), c.create("CHAT", q), c.create("CHAT", q)}
			emails := []string{c.create("EMAIL", q), c.create("EMAIL", q)}
			c.settle()
			held := func() (n int) {
				if mode == "MANUAL" {
					n = len(ann.offers())
				}
				for _, e := range ann.me().OpenEngagements {
					if e.Channel == "CHAT" {
						n++
					}
				}
				return n
			}
			if n := held(); n != 2 {
				t.Fatalf("Ann holds %d chats with capacity 2", n)
			}
			c.expectEngagement(chats[2], "QUEUED", "")
			c.expectEngagement(emails[0], "CONNECTED", ann.id)
			c.expectEngagement(emails[1], "QUEUED", "")

			// Finishing one frees a slot for the third.
			if mode == "MANUAL" {
				for _, o := range ann.offers() {
					ann.accept(o.ID)
				}
			}
			ann.finish(chats[0])
			c.settle()
			if n := held(); n != 2 {
				t.Fatalf("Ann holds %d chats after finishing one", n)
			}
			if e := c.engagement(chats[2]); e.State == "QUEUED" {
				t.Fatalf("the third chat still waits with a free slot")
			}
		})
	}
}

// R8: higher priority first, then the longest waiting; and across queues,
// a higher-priority queue's whole line before a lower one's.
func TestPriorityThenWaitTime(t *testing.T) {
	c := newCenter(t)
	low := c.queue("Low", map[string]any{"priority": 0, "acceptMode": "AUTO"})
	high := c.queue("High", map[string]any{"priority": 5, "acceptMode": "AUTO"})
	ann := c.agent("Ann", c.profile(map[string]any{"chat": 2}), low, high)
	ann.setState("NOT_READY", "BREAK")
	var ids []string // in creation order: low1, low2, high1, high2
	for _, q := range []string{low, low, high, high} {
		ids = append(ids, c.create("CHAT", q))
		c.advance(time.Second)
	}
	low1, low2, high1, high2 := ids[0], ids[1], ids[2], ids[3]

	ann.setState("AVAILABLE", "")
	c.settle()
	if got := ann.open(); !slices.Equal(got, []string{high1 + ":CONNECTED", high2 + ":CONNECTED"}) {
		t.Fatalf("Ann got %v; want both high-priority chats %s, %s", got, high1, high2)
	}
	ann.finish(high2)
	c.settle()
	c.expectEngagement(low1, "CONNECTED", ann.id) // waited longest
	c.expectEngagement(low2, "QUEUED", "")
	ann.finish(high1)
	c.waitState(low2, "CONNECTED")
}

// R8: among eligible agents the longest idle is chosen.
func TestLongestIdleAgentFirst(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", nil)
	one := c.profile(map[string]any{"chat": 1})
	ann := c.agent("Ann", one, q)
	c.advance(time.Second)
	bob := c.agent("Bob", one, q)
	c.advance(time.Second)
	cy := c.agent("Cy", one, q)

	// Idle since: Ann t+0, Bob t+1, Cy t+2.
	first := c.create("CHAT", q)
	ann.answer(first)
	c.advance(10 * time.Second)
	ann.finish(first) // Ann idle since t+12

	second := c.create("CHAT", q)
	bob.answer(second)
	cy.noRing()
	third := c.create("CHAT", q)
	cy.answer(third)
	ann.noRing()
}

// R3: the interrupted chat resumes when the call leaves the agent in any
// way: ended, transferred (to a queue, or to an agent who accepts) or
// released.
func TestCallLeavingAgentResumesInterruptedChat(t *testing.T) {
	for _, tc := range []struct {
		name  string
		leave func(c *center, ann, bob *agentClient, call, other string)
	}{
		{"ended", func(c *center, ann, bob *agentClient, call, other string) { ann.end(call) }},
		{"transferred to a queue", func(c *center, ann, bob *agentClient, call, other string) {
			ann.transfer(call, other, "")
		}},
		{"transferred to an agent", func(c *center, ann, bob *agentClient, call, other string) {
			ann.transfer(call, "", bob.id)
			c.expectEngagement(call, "TRANSFERRING", ann.id) // still on the call while Bob is rung
			bob.accept(bob.ringFor(call).ID)
		}},
		{"released", func(c *center, ann, bob *agentClient, call, other string) {
			ann.setState("NOT_READY", "BREAK") // or the call comes straight back to her
			ann.act("releaseEngagement", call)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCenter(t)
			q := c.queue("Support", map[string]any{"acceptMode": "AUTO"})
			other := c.queue("Other", nil)
			ann := c.agent("Ann", "", q)
			bob := c.agent("Bob", "", other)
			chat := c.create("CHAT", q)
			c.waitState(chat, "CONNECTED")
			call := c.create("VOICE", q)
			c.waitState(call, "CONNECTED")
			c.expectEngagement(chat, "PARKED", ann.id)

			tc.leave(c, ann, bob, call, other)
			if e := c.expectEngagement(chat, "CONNECTED", ann.id); e.AutoParked {
				t.Fatalf("resumed chat: %+v", e)
			}
		})
	}
}

// R3: a call that connects while a chat is still ringing its agent
// rescinds that ring: no chat connects during a call. The chat is offered
// again once the agent is free for chats.
func TestConnectingCallRescindsChatRings(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", nil)
	ann := c.agent("Ann", "", q)
	connected, ringing := c.create("CHAT", q), c.create("CHAT", q)
	c.settle()
	offers := ann.offers()
	if len(offers) != 2 {
		t.Fatalf("Ann has %d rings; want both chats", len(offers))
	}
	var chatRing offer
	for _, o := range offers {
		if o.Engagement.ID == connected {
			ann.accept(o.ID)
		} else {
			chatRing = o
		}
	}
	call := c.create("VOICE", q)
	c.settle()
	var callRing offer
	for _, o := range ann.offers() {
		if o.Engagement.ID == call {
			callRing = o
		}
	}
	if callRing.ID == "" {
		t.Fatalf("Ann (busy with chats only) is not rung with the call")
	}
	ann.accept(callRing.ID)
	if s := c.offerState(chatRing.ID); s != "RESCINDED" {
		t.Fatalf("the chat ring is %s once the call connected", s)
	}
	c.expectEngagement(connected, "PARKED", ann.id)
	c.expectEngagement(ringing, "QUEUED", "")
	ann.noRing()
	ann.end(call)
	c.expectEngagement(connected, "CONNECTED", ann.id)
	ann.noRing() // no new chat during the call's wrap-up
	ann.wrapUp(call)
	ann.ringFor(ringing)
}

// R2: media priority: a waiting call is offered before a chat that has
// waited longer (and no chat rings beside a ringing call); an email, which
// is no live work, is assigned beside them.
func TestMediaPriority(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", nil)
	ann := c.agent("Ann", c.profile(map[string]any{"voice": 1, "chat": 1, "email": 1}), q)
	ann.setState("NOT_READY", "BREAK")
	email := c.create("EMAIL", q)
	c.advance(time.Minute)
	chat := c.create("CHAT", q)
	c.advance(time.Minute)
	call := c.create("VOICE", q)

	ann.setState("AVAILABLE", "")
	ann.answer(call) // no chat rings beside a ringing call
	c.expectEngagement(chat, "QUEUED", "")
	c.expectEngagement(email, "CONNECTED", ann.id) // emails are no live work: assigned beside the call
	ann.finish(call)
	ann.answer(chat)
}

// R2 is configurable: with -media-priority CHAT first, a waiting chat rings
// before a waiting call.
func TestMediaPriorityConfigured(t *testing.T) {
	c := newCenter(t, func(cfg *app.Config) {
		cfg.MediaPriority = []enum.Channel{enum.ChannelChat, enum.ChannelVoice, enum.ChannelVideo, enum.ChannelEmail, enum.ChannelSMS}
	})
	q := c.queue("Support", nil)
	ann := c.agent("Ann", c.profile(map[string]any{"voice": 1, "chat": 1}), q)
	ann.setState("NOT_READY", "BREAK")
	call := c.create("VOICE", q)
	c.advance(time.Minute)
	chat := c.create("CHAT", q)

	ann.setState("AVAILABLE", "")
	ann.answer(chat) // the call, though older, waits: chats come first here
	// Ann holds the chat and nobody is free: the call interrupts her (R3).
	ann.ringFor(call)
}

// A chat whose ring the dispatcher rescinds as a side effect of its own
// decision (an AUTO call connected to the rung agent interrupts her) waits
// again and is offered to the next agent who becomes available.
func TestChatRescindedByAssignedCallIsOfferedAgain(t *testing.T) {
	c := newCenter(t)
	qc := c.queue("QC", map[string]any{"channels": []string{"CHAT"}, "ringTimeoutSeconds": 30})
	qv := c.queue("QV", map[string]any{"channels": []string{"VOICE"}, "acceptMode": "AUTO"})
	ann := c.agent("Ann", c.profile(map[string]any{"voice": 1, "chat": 2}), qc, qv)
	ben := c.agent("Ben", c.profile(map[string]any{"chat": 1}), qc)
	ben.setState("NOT_READY", "BREAK")

	c1 := c.create("CHAT", qc)
	ann.answer(c1)
	c2 := c.create("CHAT", qc)
	ann.ringFor(c2) // not answered
	call := c.create("VOICE", qv)
	c.settle()
	c.expectEngagement(call, "CONNECTED", ann.id)
	c.expectEngagement(c2, "QUEUED", "")

	ben.setState("AVAILABLE", "")
	ben.answer(c2)
}
