package graph_test

import (
	"testing"

	"github.com/switchboard/switchboard/internal/events"
)

// Event.details is typed by topic, over the websocket and in the history:
// a ring arrives as OfferCreated with its fields, and every event of an
// engagement's life has the type of its topic.
func TestEventDetailsAreTyped(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", nil)
	ann := c.agent("Ann", "", q)
	conn, _ := agentStream(t, c, ann)
	defer conn.CloseNow()
	// From a marker on, so that nothing after it can slip past the
	// subscription while it starts.
	start := appendEvents(t, c.s, events.Event{Topic: "test.start"})[0]
	sub := subscribe(t, conn, `subscription($after: String) { agentEvents(after: $after) { topic details { __typename
		... on OfferCreated { offerID engagementID channel deadline queue { id name } customer { name emails } transferID }
		... on EngagementStateChanged { from to reason } } } }`, map[string]any{"after": start})

	eg := c.createWith(map[string]any{"channel": "CHAT", "queueID": q, "customer": map[string]any{"name": "Carla", "email": "carla@example.com"}})
	ring := ann.ringFor(eg.ID)
	type details struct {
		Typename     string `json:"__typename"`
		OfferID      string
		EngagementID string
		Channel      string
		Queue        struct{ ID, Name string }
		Customer     struct {
			Name   string
			Emails []string
		}
		TransferID *string
		From, To   string
	}
	var got details
	for got.Typename != "OfferCreated" {
		r, ok := receive(t, sub)
		if !ok {
			t.Fatalf("agentEvents ended: %v", sub.Err)
		}
		got = decode[struct{ Details details }](t, r, "agentEvents").Details
	}
	if got.OfferID != ring.ID || got.EngagementID != eg.ID || got.Channel != "CHAT" || got.Queue.ID != q ||
		got.Customer.Name != "Carla" || len(got.Customer.Emails) != 1 || got.TransferID != nil {
		t.Fatalf("OfferCreated details %+v", got)
	}

	ann.accept(ring.ID)
	c.must(ann.Client, `mutation($id: ID!) { addNote(engagementID: $id, body: "n") { note { id } } }`, map[string]any{"id": eg.ID}, nil)
	ann.finish(eg.ID)
	var out struct {
		Node struct {
			History []struct {
				Topic   string
				Details *struct {
					Typename string `json:"__typename"`
				}
			}
		}
	}
	c.must(c.s.Admin, `query($id: ID!) { node(id: $id) { ... on Engagement { history { topic details { __typename } } } } }`,
		map[string]any{"id": eg.ID}, &out)
	typeOf := map[string]string{
		"engagement.created": "EngagementCreated", "engagement.state_changed": "EngagementStateChanged",
		"offer.created": "OfferCreated", "offer.ended": "OfferEnded", "note.added": "NoteAdded",
		"crm_record.changed": "CRMRecordChanged", "queue.position": "QueuePosition",
	}
	seen := map[string]bool{}
	for _, e := range out.Node.History {
		if e.Details == nil || e.Details.Typename != typeOf[e.Topic] {
			t.Fatalf("%s has details %+v; want %s", e.Topic, e.Details, typeOf[e.Topic])
		}
		seen[e.Topic] = true
	}
	if len(seen) != len(typeOf) {
		t.Fatalf("history has topics %v; want all of %v", seen, typeOf)
	}
}
