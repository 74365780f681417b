package graph_test

import (
	"slices"
	"testing"
)

// A repeated idempotencyKey returns the first engagement, without a new
// customer token.
func TestCreateEngagementIdempotencyKey(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", nil)
	in := map[string]any{"channel": "VOICE", "queueID": q, "idempotencyKey": "call-7f3a"}
	first := c.createWith(in)
	again := c.createWith(in)
	if again.ID != first.ID || first.CustomerToken == "" || again.CustomerToken != "" {
		t.Fatalf("first %+v, again %+v", first, again)
	}
	in["channel"] = "CHAT"
	expectError(t, c.integ, "CONFLICT", "", `mutation($in: CreateEngagementInput!) { createEngagement(input: $in) { engagement { id } } }`, map[string]any{"in": in})
	var count struct {
		Node struct{ Engagements struct{ TotalCount int } }
	}
	c.must(c.s.Admin, `query($q: ID!) { node(id: $q) { ... on Queue { engagements { totalCount } } } }`, map[string]any{"q": q}, &count)
	if count.Node.Engagements.TotalCount != 1 {
		t.Fatalf("%d engagements for one idempotency key", count.Node.Engagements.TotalCount)
	}
}

// Engagements land only in leaf queues; the entry point's default queue is
// used unless a leaf queue is given; the menu path is the queue's path.
func TestCreateEngagementQueueResolution(t *testing.T) {
	c := newCenter(t)
	root := c.queue("Main menu", nil)
	leaf := c.queue("Billing", map[string]any{"parentID": root})
	other := c.queue("Sales", nil)
	var ep struct {
		CreateEntryPoint struct{ EntryPoint struct{ ID string } }
	}
	c.must(c.s.Admin, `mutation($q: ID!) { createEntryPoint(input: {name: "Web chat", channel: CHAT, defaultQueueID: $q}) { entryPoint { id } } }`,
		map[string]any{"q": leaf}, &ep)
	entry := ep.CreateEntryPoint.EntryPoint.ID

	read := func(id string) (queueID, menuPath, entryPointID string) {
		var out struct {
			Node struct{ QueueID, MenuPath, EntryPointID string }
		}
		c.must(c.s.Admin, `query($id: ID!) { node(id: $id) { ... on Engagement { queueID menuPath entryPointID } } }`, map[string]any{"id": id}, &out)
		return out.Node.QueueID, out.Node.MenuPath, out.Node.EntryPointID
	}
	byEntry := c.createWith(map[string]any{"channel": "CHAT", "entryPointID": entry}).ID
	if q, menu, e := read(byEntry); q != leaf || menu != "Main menu > Billing" || e != entry {
		t.Fatalf("through the entry point: queue %s, menu %q, entry point %s", q, menu, e)
	}
	overridden := c.createWith(map[string]any{"channel": "CHAT", "entryPointID": entry, "queueID": other}).ID
	if q, menu, _ := read(overridden); q != other || menu != "Sales" {
		t.Fatalf("with a queue overriding the entry point: queue %s, menu %q", q, menu)
	}

	create := `mutation($in: CreateEngagementInput!) { createEngagement(input: $in) { engagement { id } } }`
	for _, tc := range []struct {
		name         string
		in           map[string]any
		code, reason string
	}{
		{"non-leaf queue", map[string]any{"channel": "CHAT", "queueID": root}, "PRECONDITION_FAILED", "QUEUE_NOT_LEAF"},
		{"entry point of another channel", map[string]any{"channel": "EMAIL", "entryPointID": entry}, "VALIDATION", ""},
		{"neither queue nor entry point", map[string]any{"channel": "CHAT"}, "VALIDATION", ""},
		{"missing queue", map[string]any{"channel": "CHAT", "queueID": "999999"}, "NOT_FOUND", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectError(t, c.integ, tc.code, tc.reason, create, map[string]any{"in": tc.in})
		})
	}
}

// The customer is found again by phone or by email on a later contact, and
// the agent sees the earlier engagements (E3, C1).
func TestCustomerFoundAgainWithHistory(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", nil)
	ann := c.agent("Ann", "", q)
	customerOf := func(id string) string {
		var out struct {
			Node struct{ Customer struct{ ID string } }
		}
		c.must(c.s.Admin, `query($id: ID!) { node(id: $id) { ... on Engagement { customer { id } } } }`, map[string]any{"id": id}, &out)
		return out.Node.Customer.ID
	}
	first := c.createWith(map[string]any{"channel": "EMAIL", "queueID": q, "customer": map[string]any{"name": "Bob", "phone": "+4930123456", "email": "bob@example.com"}}).ID
	second := c.createWith(map[string]any{"channel": "VOICE", "queueID": q, "customer": map[string]any{"phone": "+4930123456"}}).ID
	third := c.createWith(map[string]any{"channel": "SMS", "queueID": q, "customer": map[string]any{"email": " Bob@Example.com "}}).ID
	fourth := c.createWith(map[string]any{"channel": "EMAIL", "queueID": q, "customer": map[string]any{"phone": "+4940555000", "email": "bob@example.com"}}).ID
	stranger := c.createWith(map[string]any{"channel": "CHAT", "queueID": q, "customer": map[string]any{"phone": "+4930999999"}}).ID
	bob := customerOf(first)
	for _, id := range []string{second, third, fourth} {
		if got := customerOf(id); got != bob {
			t.Fatalf("engagement %s has customer %s; want Bob (%s)", id, got, bob)
		}
	}
	if customerOf(stranger) == bob {
		t.Fatalf("a stranger is Bob")
	}

	// Ann, serving the call, sees Bob's other engagements.
	c.waitState(first, "CONNECTED") // the email is assigned to Ann
	ann.finish(first)
	ann.answer(second)
	var out struct {
		Node struct {
			Customer struct {
				Engagements struct {
					Edges []struct{ Node struct{ ID string } }
				}
			}
		}
	}
	c.must(ann.Client, `query($id: ID!) { node(id: $id) { ... on Engagement { customer { engagements { edges { node { id } } } } } } }`,
		map[string]any{"id": second}, &out)
	var ids []string
	for _, e := range out.Node.Customer.Engagements.Edges {
		ids = append(ids, e.Node.ID)
	}
	slices.Sort(ids)
	want := []string{first, second, third, fourth}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Fatalf("Ann sees Bob's engagements %v; want %v", ids, want)
	}
}

// E3: transcript segments arrive during the conversation and the agent can
// search them.
func TestSearchTranscript(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Support", nil)
	ann := c.agent("Ann", "", q)
	call := c.create("VOICE", q)
	ann.answer(call)
	c.must(c.integ, `mutation($id: ID!, $s: [TranscriptSegmentInput!]!) { appendTranscript(engagementID: $id, segments: $s) { segments { id } } }`,
		map[string]any{"id": call, "s": []map[string]any{
			{"speaker": "CUSTOMER", "text": "Hello, my Order number is A-17.", "offsetMs": 1000},
			{"speaker": "AGENT", "text": "Let me look at order A-17 for you.", "offsetMs": 4000},
			{"speaker": "CUSTOMER", "text": "It has not arrived.", "offsetMs": 9000},
		}}, nil)
	search := func(query string) []string {
		var out struct {
			Node struct{ SearchTranscript []struct{ Text string } }
		}
		c.must(ann.Client, `query($id: ID!, $q: String!) { node(id: $id) { ... on Engagement { searchTranscript(query: $q) { text } } } }`,
			map[string]any{"id": call, "q": query}, &out)
		var texts []string
		for _, s := range out.Node.SearchTranscript {
			texts = append(texts, s.Text)
		}
		return texts
	}
	if got := search("order a-17"); !slices.Equal(got, []string{"Hello, my Order number is A-17.", "Let me look at order A-17 for you."}) {
		t.Fatalf("search: %q", got)
	}
	if got := search("arrived"); !slices.Equal(got, []string{"It has not arrived."}) {
		t.Fatalf("search: %q", got)
	}
	if got := search("refund"); len(got) != 0 {
		t.Fatalf("search: %q", got)
	}
}
