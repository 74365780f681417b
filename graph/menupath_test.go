package graph_test

import (
	"context"
	"testing"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/queue"
	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/auth"
)

// The stored menu path follows every create, rename and move, for the
// whole subtree, and databases without it get it at start.
func TestStoredMenuPath(t *testing.T) {
	s := apitest.Start(t)
	support := createQueue(t, s, map[string]any{"name": "Support"})
	technical := createQueue(t, s, map[string]any{"name": "Technical", "parentID": support})
	hardware := createQueue(t, s, map[string]any{"name": "Hardware", "parentID": technical})
	sales := createQueue(t, s, map[string]any{"name": "Sales"})
	ids := []string{support, technical, hardware, sales}

	type queueView struct{ ID, MenuPath, UpdatedAt string }
	read := func(t *testing.T) map[string]queueView {
		t.Helper()
		got := do[struct {
			Queues struct{ Edges []struct{ Node queueView } }
		}](t, s.Admin, `{ queues(first: 10) { edges { node { id menuPath updatedAt } } } }`, nil)
		out := map[string]queueView{}
		for _, e := range got.Queues.Edges {
			out[e.Node.ID] = e.Node
		}
		return out
	}
	stored := func(t *testing.T) map[string]string {
		t.Helper()
		out := map[string]string{}
		for _, id := range ids {
			q, err := s.App.Client.Queue.Query().Where(queue.ID(intID(t, id))).Only(auth.SystemContext(context.Background()))
			if err != nil {
				t.Fatal(err)
			}
			out[id] = q.MenuPath
		}
		return out
	}
	expect := func(t *testing.T, want map[string]string) {
		t.Helper()
		got := read(t)
		for id, path := range want {
			if got[id].MenuPath != path {
				t.Errorf("queue %s: menuPath %q, want %q", id, got[id].MenuPath, path)
			}
		}
		if st := stored(t); jsonString(st) != jsonString(want) {
			t.Errorf("stored %s, want %s", jsonString(st), jsonString(want))
		}
	}

	t.Run("created", func(t *testing.T) {
		expect(t, map[string]string{support: "Support", technical: "Support > Technical", hardware: "Support > Technical > Hardware", sales: "Sales"})
	})
	t.Run("the payload carries it", func(t *testing.T) {
		got := do[struct {
			UpdateQueue struct{ Queue struct{ MenuPath string } }
		}](t, s.Admin, `mutation($id: ID!) { updateQueue(id: $id, input: {name: "Tech"}) { queue { menuPath } } }`, map[string]any{"id": technical})
		if got.UpdateQueue.Queue.MenuPath != "Support > Tech" {
			t.Fatalf("payload menuPath %q", got.UpdateQueue.Queue.MenuPath)
		}
		expect(t, map[string]string{support: "Support", technical: "Support > Tech", hardware: "Support > Tech > Hardware", sales: "Sales"})
	})
	t.Run("rename of the root reaches the grandchild, and leaves updatedAt of the others", func(t *testing.T) {
		before := read(t)
		do[any](t, s.Admin, `mutation($id: ID!) { updateQueue(id: $id, input: {name: "Help"}) { queue { id } } }`, map[string]any{"id": support})
		expect(t, map[string]string{support: "Help", technical: "Help > Tech", hardware: "Help > Tech > Hardware", sales: "Sales"})
		after := read(t)
		for _, id := range []string{technical, hardware, sales} {
			if after[id].UpdatedAt != before[id].UpdatedAt {
				t.Errorf("queue %s: updatedAt %s, was %s", id, after[id].UpdatedAt, before[id].UpdatedAt)
			}
		}
	})
	t.Run("move of a subtree", func(t *testing.T) {
		do[any](t, s.Admin, `mutation($id: ID!, $p: ID!) { updateQueue(id: $id, input: {parentID: $p}) { queue { id } } }`, map[string]any{"id": technical, "p": sales})
		expect(t, map[string]string{support: "Help", technical: "Sales > Tech", hardware: "Sales > Tech > Hardware", sales: "Sales"})
		do[any](t, s.Admin, `mutation($id: ID!) { updateQueue(id: $id, input: {clearParent: true}) { queue { id } } }`, map[string]any{"id": technical})
		expect(t, map[string]string{support: "Help", technical: "Tech", hardware: "Tech > Hardware", sales: "Sales"})
	})
	t.Run("filled at start", func(t *testing.T) {
		write(t, s, func(ctx context.Context, tx *ent.Tx) error {
			return tx.Queue.Update().SetMenuPath("").Exec(ctx)
		})
		// Until the server starts again, the path is worked out on read.
		got := read(t)
		if got[hardware].MenuPath != "Tech > Hardware" {
			t.Fatalf("menuPath of an unfilled row: %q", got[hardware].MenuPath)
		}
		apitest.Restart(t, s)
		expect(t, map[string]string{support: "Help", technical: "Tech", hardware: "Tech > Hardware", sales: "Sales"})
	})
}
