package graph_test

import (
	"context"
	"testing"

	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/auth"
)

const (
	createQueueMutation = `mutation($in: CreateQueueInput!) { createQueue(input: $in) { queue { id } } }`
	updateQueueMutation = `mutation($id: ID!, $in: UpdateQueueInput!) { updateQueue(id: $id, input: $in) { queue { id parent { id } } } }`
	deleteQueueMutation = `mutation($id: ID!) { deleteQueue(id: $id) { deletedID } }`
)

func TestQueueTree(t *testing.T) {
	s := apitest.Start(t)
	support := createQueue(t, s, map[string]any{"name": "Support", "priority": 5})
	billing := createQueue(t, s, map[string]any{"name": "Billing", "parentID": support, "channels": []string{"VOICE", "CHAT"}})
	technical := createQueue(t, s, map[string]any{"name": "Technical", "parentID": support})
	hardware := createQueue(t, s, map[string]any{"name": "Hardware", "parentID": technical})

	t.Run("tree, menu path and leaves", func(t *testing.T) {
		type q struct {
			Name, MenuPath string
			IsLeaf         bool
			Parent         *struct{ Name string }
			Children       []struct{ Name string }
		}
		for _, tc := range []struct {
			name, id string
			want     q
		}{
			{"root", support, q{Name: "Support", MenuPath: "Support", Children: []struct{ Name string }{{"Billing"}, {"Technical"}}}},
			{"leaf", billing, q{Name: "Billing", MenuPath: "Support > Billing", IsLeaf: true, Parent: &struct{ Name string }{"Support"}, Children: []struct{ Name string }{}}},
			{"grandchild", hardware, q{Name: "Hardware", MenuPath: "Support > Technical > Hardware", IsLeaf: true, Parent: &struct{ Name string }{"Technical"}, Children: []struct{ Name string }{}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := do[struct{ Node q }](t, s.Admin, `query($id: ID!) { node(id: $id) { ... on Queue {
				  name menuPath isLeaf parent { name } children { name } } } }`, map[string]any{"id": tc.id}).Node
				if jsonString(got) != jsonString(tc.want) {
					t.Fatalf("got %s\nwant %s", jsonString(got), jsonString(tc.want))
				}
			})
		}
	})

	sales := createQueue(t, s, map[string]any{"name": "Sales"})
	busy := insertEngagement(t, s, sales, engagement.StateQueued)
	queuesBefore := count(t, s.Admin, "queues")
	runErrorCases(t, s.Admin, []errorCase{
		{name: "move under own child", query: updateQueueMutation, code: "VALIDATION", field: "parentID",
			vars: map[string]any{"id": support, "in": map[string]any{"parentID": technical}}},
		{name: "move under own grandchild", query: updateQueueMutation, code: "VALIDATION", field: "parentID",
			vars: map[string]any{"id": support, "in": map[string]any{"parentID": hardware}}},
		{name: "own parent", query: updateQueueMutation, code: "VALIDATION", field: "parentID",
			vars: map[string]any{"id": technical, "in": map[string]any{"parentID": technical}}},
		{name: "adopt own ancestor as child", query: updateQueueMutation, code: "VALIDATION", field: "parentID",
			vars: map[string]any{"id": hardware, "in": map[string]any{"addChildIDs": []string{support}}}},
		{name: "child of a queue holding engagements", query: createQueueMutation, code: "PRECONDITION_FAILED",
			vars: map[string]any{"in": map[string]any{"name": "Sales EMEA", "parentID": sales}}},
		{name: "move under a queue holding engagements", query: updateQueueMutation, code: "PRECONDITION_FAILED",
			vars: map[string]any{"id": billing, "in": map[string]any{"parentID": sales}}},
		{name: "missing parent", query: createQueueMutation, code: "NOT_FOUND",
			vars: map[string]any{"in": map[string]any{"name": "Orphan", "parentID": "1"}}},
		{name: "empty name", query: createQueueMutation, code: "VALIDATION", field: "name",
			vars: map[string]any{"in": map[string]any{"name": ""}}},
		{name: "priority out of range", query: createQueueMutation, code: "VALIDATION", field: "priority",
			vars: map[string]any{"in": map[string]any{"name": "P", "priority": 1001}}},
		{name: "ring timeout zero", query: createQueueMutation, code: "VALIDATION", field: "ringTimeoutSeconds",
			vars: map[string]any{"in": map[string]any{"name": "R", "ringTimeoutSeconds": 0}}},
		{name: "negative wrap-up limit", query: updateQueueMutation, code: "VALIDATION", field: "wrapUpLimitSeconds",
			vars: map[string]any{"id": billing, "in": map[string]any{"wrapUpLimitSeconds": -1}}},
		{name: "unknown channel", query: createQueueMutation, code: "VALIDATION",
			vars: map[string]any{"in": map[string]any{"name": "Fax", "channels": []string{"FAX"}}}},
		{name: "update missing queue", query: updateQueueMutation, code: "NOT_FOUND",
			vars: map[string]any{"id": "1", "in": map[string]any{"name": "X"}}},
	})

	t.Run("refused changes left nothing behind", func(t *testing.T) {
		if n := count(t, s.Admin, "queues"); n != queuesBefore {
			t.Errorf("%d queues; want %d", n, queuesBefore)
		}
		got := do[struct {
			Node struct{ Parent *struct{ ID string } }
		}](t, s.Admin,
			`query($id: ID!) { node(id: $id) { ... on Queue { parent { id } } } }`, map[string]any{"id": support}).Node
		if got.Parent != nil {
			t.Errorf("Support has parent %s after refused moves", got.Parent.ID)
		}
		got = do[struct {
			Node struct{ Parent *struct{ ID string } }
		}](t, s.Admin,
			`query($id: ID!) { node(id: $id) { ... on Queue { parent { id } } } }`, map[string]any{"id": billing}).Node
		if got.Parent == nil || got.Parent.ID != support {
			t.Errorf("Billing moved by a refused update: parent %+v", got.Parent)
		}
	})

	t.Run("finished engagements do not keep a queue a leaf", func(t *testing.T) {
		closed := createQueue(t, s, map[string]any{"name": "Archive"})
		insertEngagement(t, s, closed, engagement.StateClosed)
		createQueue(t, s, map[string]any{"name": "Archive 2026", "parentID": closed})
	})

	t.Run("legal move", func(t *testing.T) {
		got := do[struct {
			UpdateQueue struct {
				Queue struct{ Parent *struct{ ID string } }
			}
		}](t, s.Admin, updateQueueMutation,
			map[string]any{"id": hardware, "in": map[string]any{"parentID": support}}).UpdateQueue.Queue
		if got.Parent == nil || got.Parent.ID != support {
			t.Fatalf("parent = %+v; want %s", got.Parent, support)
		}
		do[any](t, s.Admin, updateQueueMutation, map[string]any{"id": hardware, "in": map[string]any{"clearParent": true}})
	})

	t.Run("delete", func(t *testing.T) {
		runErrorCases(t, s.Admin, []errorCase{
			{name: "with children", query: deleteQueueMutation, code: "CONFLICT", vars: map[string]any{"id": support}},
			{name: "with engagements", query: deleteQueueMutation, code: "CONFLICT", vars: map[string]any{"id": sales}},
			{name: "missing", query: deleteQueueMutation, code: "NOT_FOUND", vars: map[string]any{"id": "1"}},
		})
		target := createQueue(t, s, map[string]any{"name": "Transfer target"})
		from, _ := createAgent(t, s, map[string]any{"name": "Sender", "email": "sender@example.com"})
		err := s.App.Client.Transfer.Create().SetEngagementID(busy.ID).SetFromAgentID(intID(t, from)).SetToQueueID(intID(t, target)).
			Exec(auth.SystemContext(context.Background()))
		if err != nil {
			t.Fatal(err)
		}
		apitest.ExpectCode(t, s.Admin, "CONFLICT", deleteQueueMutation, map[string]any{"id": target})

		do[any](t, s.Admin, deleteQueueMutation, map[string]any{"id": hardware})
		if node(t, s.Admin, sales, "") == nil || count(t, s.Admin, "queues") != queuesBefore+2 {
			t.Fatalf("deletes removed the wrong queues")
		}
	})
}

// A queue that an entry point routes to must stay a leaf taking the entry
// point's channel, and deleting a queue removes its own post-session override.
func TestQueueRulesWithDependents(t *testing.T) {
	s := apitest.Start(t)
	web := createQueue(t, s, map[string]any{"name": "Web", "channels": []string{"CHAT", "EMAIL"}})
	ep := createNode(t, s.Admin, "entryPoint", "entryPoint", map[string]any{"name": "Site chat", "channel": "CHAT", "defaultQueueID": web})

	runErrorCases(t, s.Admin, []errorCase{
		{name: "child under an entry point's queue", query: createQueueMutation, code: "PRECONDITION_FAILED",
			vars: map[string]any{"in": map[string]any{"name": "Web EN", "parentID": web}}},
		{name: "drop the entry point's channel", query: updateQueueMutation, code: "VALIDATION", field: "channels",
			vars: map[string]any{"id": web, "in": map[string]any{"channels": []string{"EMAIL"}}}},
		{name: "delete the entry point's queue", query: deleteQueueMutation, code: "CONFLICT",
			vars: map[string]any{"id": web}},
	})
	do[any](t, s.Admin, updateQueueMutation, map[string]any{"id": web, "in": map[string]any{"clearChannels": true}})
	do[any](t, s.Admin, `mutation($id: ID!) { deleteEntryPoint(id: $id) { deletedID } }`, map[string]any{"id": ep})

	t.Run("a chat override blocks dropping CHAT", func(t *testing.T) {
		va := createNode(t, s.Admin, "virtualAgent", "virtualAgent", map[string]any{"name": "Survey bot", "channels": []string{"CHAT"}})
		createNode(t, s.Admin, "postSessionSetting", "postSessionSetting", map[string]any{
			"channel": "CHAT", "enabled": true, "virtualAgentID": va, "queueID": web,
		})
		apitest.ExpectCode(t, s.Admin, "VALIDATION", updateQueueMutation,
			map[string]any{"id": web, "in": map[string]any{"channels": []string{"VOICE"}}})
	})
	t.Run("deleting the queue deletes its override, not turning it global", func(t *testing.T) {
		do[any](t, s.Admin, deleteQueueMutation, map[string]any{"id": web})
		got := do[struct {
			PostSessionSettings struct{ TotalCount int }
		}](t, s.Admin, `{ postSessionSettings { totalCount } }`, nil)
		if got.PostSessionSettings.TotalCount != 0 {
			t.Fatalf("%d post-session settings survive their queue", got.PostSessionSettings.TotalCount)
		}
	})
}
