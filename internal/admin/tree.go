package admin

import (
	"context"
	"slices"
	"strings"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/queue"
)

// MenuPathSeparator joins queue names in a menu path.
const MenuPathSeparator = " > "

// MenuPath returns the queue names from the root to q.
func MenuPath(ctx context.Context, client *ent.Client, q *ent.Queue) (string, error) {
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

// IsLeaf reports whether q has no child queues.
func IsLeaf(ctx context.Context, q *ent.Queue) (bool, error) {
	has, err := q.QueryChildren().Exist(ctx)
	return !has, err
}
