package graph_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/live"
)

// A customer socket that stops reading while large messages arrive is
// closed with 1013 once what waits for it passes events.BufferBytes, long
// before it could hold the server's memory; it resumes from its cursor.
func TestSubscriberBoundedInBytes(t *testing.T) {
	s := apitest.Start(t)
	tok, id := newCustomerEngagement(t, s)
	r := dialRaw(t, s)
	r.init(tok)
	r.subscribe("1", `subscription($id: ID!, $after: String) { engagementEvents(id: $id, after: $after) { sequence payload } }`,
		map[string]any{"id": strconv.Itoa(id), "after": "0"})
	// The stream is live once the first event arrives.
	appendEvents(t, s, events.Event{Topic: events.MessageCreated, EngagementID: id,
		Payload: events.MessageCreatedDetails{MessageID: 1, Sender: "CUSTOMER", Body: "hi"}})
	r.expect("next")

	// Now the client reads nothing while 20 MB of messages arrive: more
	// than the socket buffers and the bound together.
	body := strings.Repeat("x", 128<<10)
	var seqs []string
	for batch := range 8 {
		evs := make([]events.Event, 20)
		for i := range evs {
			evs[i] = events.Event{Topic: events.MessageCreated, EngagementID: id,
				Payload: map[string]any{"messageID": strconv.Itoa(2 + 20*batch + i), "sender": "CUSTOMER", "body": body}}
		}
		seqs = append(seqs, appendEvents(t, s, evs...)...)
	}
	r.expectClose(live.CloseTooSlow, "reconnect and resume")

	// It reconnects with its cursor (here: as if it had read all but the
	// last ten) and gets what it missed, from the log.
	c := s.Dial(t, tok)
	sub := subscribe(t, c, engagementEventsQuery, map[string]any{"id": strconv.Itoa(id), "after": seqs[149]}, 256)
	expectSequences(t, sub, "engagementEvents", seqs[150:])
}

// Message bodies are bounded by channel: a chat line at 8 KiB, an SMS at
// 1600 bytes; over the bound postMessage answers LIMIT_EXCEEDED and
// writes nothing.
func TestMessageSizeByChannel(t *testing.T) {
	s := apitest.Start(t)
	agentID, _ := newAgent(t, s, "Ann")
	tok, id := newCustomerEngagement(t, s)
	write(t, s, func(ctx context.Context, tx *ent.Tx) error {
		return tx.Engagement.UpdateOneID(id).SetAgentID(agentID).SetState(engagement.StateConnected).Exec(ctx)
	})
	sms := newEngagement(t, s, func(c *ent.EngagementCreate) { c.SetChannel(enum.ChannelSMS) })
	post := `mutation($e: ID!, $b: String) { postMessage(input: {engagementID: $e, body: $b}) { message { id } } }`
	runErrorCases(t, s.Client(tok), []errorCase{
		{name: "chat over 8 KiB", query: post, vars: map[string]any{"e": strconv.Itoa(id), "b": strings.Repeat("a", 8<<10+1)}, code: "LIMIT_EXCEEDED", field: "body"},
	})
	runErrorCases(t, s.Admin, []errorCase{
		{name: "SMS over 1600 bytes", query: post, vars: map[string]any{"e": strconv.Itoa(sms.ID), "b": strings.Repeat("a", 1601)}, code: "LIMIT_EXCEEDED", field: "body"},
	})
	for _, e := range []int{id, sms.ID} {
		var out struct {
			Node struct{ Messages struct{ TotalCount int } }
		}
		apitest.Must(t, s.Admin, `query($id: ID!) { node(id: $id) { ... on Engagement { messages { totalCount } } } }`,
			map[string]any{"id": strconv.Itoa(e)}, &out)
		if out.Node.Messages.TotalCount != 0 {
			t.Fatalf("engagement %d: %d messages written", e, out.Node.Messages.TotalCount)
		}
	}
	apitest.Must(t, s.Client(tok), post, map[string]any{"e": strconv.Itoa(id), "b": strings.Repeat("a", 8<<10)}, nil)
}
