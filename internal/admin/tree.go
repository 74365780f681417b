package admin

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/queue"
)

// MenuPathSeparator joins queue names in a menu path.
const MenuPathSeparator = " > "

// MenuPath returns the queue names from the root to q. It is stored on the
// queue (kept by the admin service, filled at start by FillMenuPaths), so
// this costs no query; only a row written behind the service's back, with
// its path still empty, is worked out from its ancestors, one query each.
func MenuPath(ctx context.Context, client *ent.Client, q *ent.Queue) (string, error) {
	if q.MenuPath != "" {
		return q.MenuPath, nil
	}
	names := []string{q.Name}
	seen := map[int]bool{q.ID: true}
	for parent := q.ParentID; parent != 0 && !seen[parent]; {
		p, err := client.Queue.Query().Where(queue.ID(parent)).Select(queue.FieldName, queue.FieldParentID).Only(ctx)
		if err != nil {
			return "", err
		}
		seen[parent] = true
		names = append(names, p.Name)
		parent = p.ParentID
	}
	slices.Reverse(names)
	return strings.Join(names, MenuPathSeparator), nil
}

// treeRow is what the tree rules and the menu paths need of a queue.
type treeRow struct {
	ID        int       `json:"id"`
	ParentID  int       `json:"parent_id"`
	Name      string    `json:"name"`
	MenuPath  string    `json:"menu_path"`
	UpdatedAt time.Time `json:"updated_at"`
}

// readTree reads every queue's place in the tree, in one query.
func readTree(ctx context.Context, c *ent.QueueClient) ([]treeRow, error) {
	var rows []treeRow
	err := c.Query().Order(ent.Asc(queue.FieldID)).
		Select(queue.FieldID, queue.FieldParentID, queue.FieldName, queue.FieldMenuPath, queue.FieldUpdatedAt).Scan(ctx, &rows)
	return rows, err
}

// menuPaths works out every queue's menu path from the tree. A cycle (which
// checkQueueTree refuses) ends a path where it repeats.
func menuPaths(rows []treeRow) map[int]string {
	byID := make(map[int]treeRow, len(rows))
	for _, r := range rows {
		byID[r.ID] = r
	}
	paths := make(map[int]string, len(rows))
	for _, r := range rows {
		names := []string{r.Name}
		seen := map[int]bool{r.ID: true}
		for at := r.ParentID; at != 0 && !seen[at]; at = byID[at].ParentID {
			p, ok := byID[at]
			if !ok {
				break
			}
			seen[at] = true
			names = append(names, p.Name)
		}
		slices.Reverse(names)
		paths[r.ID] = strings.Join(names, MenuPathSeparator)
	}
	return paths
}

// syncMenuPaths stores the menu path of every queue whose stored one is
// not what the tree says: after a create, rename or move that is the queue
// and its subtree. updated_at is written back unchanged: the queue itself
// was not edited.
func syncMenuPaths(ctx context.Context, tx *ent.Tx, rows []treeRow) (map[int]string, error) {
	paths := menuPaths(rows)
	for _, r := range rows {
		if p := paths[r.ID]; p != r.MenuPath {
			if err := tx.Queue.UpdateOneID(r.ID).SetMenuPath(p).SetUpdatedAt(r.UpdatedAt).Exec(ctx); err != nil {
				return nil, err
			}
		}
	}
	return paths, nil
}

// FillMenuPaths stores the menu path of the queues that lack one or whose
// path is out of date: databases created before the path was stored, or
// rows written behind the admin service's back. The server runs it at
// start, before it serves, so reads never write; it changes nothing (and
// opens no write transaction) when every path is right.
func (s *Service) FillMenuPaths(ctx context.Context) error {
	rows, err := readTree(ctx, s.Client.Queue)
	if err != nil {
		return err
	}
	paths := menuPaths(rows)
	if !slices.ContainsFunc(rows, func(r treeRow) bool { return paths[r.ID] != r.MenuPath }) {
		return nil
	}
	_, err = write(ctx, s, func(ctx context.Context, tx *ent.Tx) (struct{}, error) {
		rows, err := readTree(ctx, tx.Queue)
		if err != nil {
			return struct{}{}, err
		}
		_, err = syncMenuPaths(ctx, tx, rows)
		return struct{}{}, err
	})
	return err
}

// IsLeaf reports whether q has no child queues. Within a scope opened by
// WithTreeScope (one per GraphQL root field) the queues that have children
// are read once and every queue of the scope is answered from that read;
// outside one it asks the database about q alone.
func IsLeaf(ctx context.Context, client *ent.Client, q *ent.Queue) (bool, error) {
	t, _ := ctx.Value(treeScopeKey{}).(*treeScope)
	if t == nil {
		has, err := q.QueryChildren().Exist(ctx)
		return !has, err
	}
	parents, err := t.parents(ctx, client)
	return !parents[q.ID], err
}

type treeScopeKey struct{}

// treeScope holds what one request scope read of the queue tree.
type treeScope struct {
	mu     sync.Mutex
	loaded map[int]bool // queues with children, nil until read
}

// WithTreeScope returns ctx with a fresh scope for IsLeaf. Open one per
// GraphQL root field: mutations run one after another, and a later one must
// not see what an earlier one read.
func WithTreeScope(ctx context.Context) context.Context {
	return context.WithValue(ctx, treeScopeKey{}, &treeScope{})
}

// parents returns the ids of the queues with children, read on first use
// with the viewer's context, as the per-queue query would be.
func (t *treeScope) parents(ctx context.Context, client *ent.Client) (map[int]bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.loaded != nil {
		return t.loaded, nil
	}
	ids, err := client.Queue.Query().Where(queue.ParentIDNotNil()).Unique(true).Select(queue.FieldParentID).Ints(ctx)
	if err != nil {
		return nil, err
	}
	t.loaded = make(map[int]bool, len(ids))
	for _, id := range ids {
		t.loaded[id] = true
	}
	return t.loaded, nil
}
