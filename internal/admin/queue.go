package admin

import (
	"context"
	"slices"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/capacityprofile"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/entrypoint"
	"github.com/switchboard/switchboard/ent/postsessionsetting"
	"github.com/switchboard/switchboard/ent/queue"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/ent/transfer"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/lifecycle"
)

// CreateQueue creates a queue and checks the tree rules.
func (s *Service) CreateQueue(ctx context.Context, in ent.CreateQueueInput) (*ent.Queue, error) {
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (*ent.Queue, error) {
		q, err := tx.Queue.Create().SetInput(in).Save(ctx)
		if err != nil {
			return nil, err
		}
		return q, treeChanged(ctx, tx, q)
	})
}

// UpdateQueue updates a queue and checks the tree rules.
func (s *Service) UpdateQueue(ctx context.Context, id int, in ent.UpdateQueueInput) (*ent.Queue, error) {
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (*ent.Queue, error) {
		var appendChannels []enum.Channel
		in.Channels, appendChannels = listUpdate(in.ClearChannels, in.Channels, in.AppendChannels)
		in.AppendChannels = nil
		u := tx.Queue.UpdateOneID(id).SetInput(in)
		if appendChannels != nil {
			u.AppendChannels(appendChannels)
		}
		q, err := u.Save(ctx)
		if err != nil {
			return nil, err
		}
		if err := checkQueueChannels(ctx, tx, q); err != nil {
			return nil, err
		}
		return q, treeChanged(ctx, tx, q)
	})
}

// checkQueueChannels keeps the channels of a queue (none means all) covering
// what depends on it: the channels of entry points routing to it, and CHAT
// when it has a queue-level post-session setting.
func checkQueueChannels(ctx context.Context, tx *ent.Tx, q *ent.Queue) error {
	if len(q.Channels) == 0 {
		return nil
	}
	eps, err := tx.EntryPoint.Query().Where(entrypoint.DefaultQueueID(q.ID), entrypoint.ChannelNotIn(q.Channels...)).All(ctx)
	if err != nil {
		return err
	}
	if len(eps) > 0 {
		return apperr.Invalid("channels", "entry point %q routes %s engagements to queue %q; point it elsewhere first", eps[0].Name, eps[0].Channel, q.Name)
	}
	if slices.Contains(q.Channels, enum.ChannelChat) {
		return nil
	}
	has, err := tx.PostSessionSetting.Query().Where(postsessionsetting.QueueID(q.ID)).Exist(ctx)
	if err != nil || !has {
		return err
	}
	return apperr.Invalid("channels", "queue %q has a chat post-session setting; keep CHAT or delete the setting first", q.Name)
}

// DeleteQueue deletes a queue nothing depends on.
func (s *Service) DeleteQueue(ctx context.Context, id int) (int, error) {
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (int, error) {
		q, err := tx.Queue.Query().Where(queue.ID(id)).
			Select(queue.FieldID).
			WithChildren(func(q *ent.QueueQuery) { q.Limit(1) }).
			Only(ctx)
		if err != nil {
			return 0, err
		}
		if len(q.Edges.Children) > 0 {
			return 0, apperr.New(apperr.Conflict, "queue %d has child queues; delete or move them first", id)
		}
		if n, err := tx.Engagement.Query().Where(engagement.QueueID(id)).Exist(ctx); err != nil || n {
			return 0, orConflict(err, "queue %d has engagements; deactivate it instead (active: false)", id)
		}
		if n, err := tx.Transfer.Query().Where(transfer.ToQueueID(id), transfer.StateEQ(transfer.StatePending)).Exist(ctx); err != nil || n {
			return 0, orConflict(err, "an engagement is being transferred to queue %d", id)
		}
		if n, err := tx.EntryPoint.Query().Where(entrypoint.DefaultQueueID(id)).Exist(ctx); err != nil || n {
			return 0, orConflict(err, "entry points route to queue %d; point them elsewhere first", id)
		}
		// The queue's own post-session override goes with it; the foreign
		// key alone would null its queue and turn it into a global setting.
		if _, err := tx.PostSessionSetting.Delete().Where(postsessionsetting.QueueID(id)).Exec(ctx); err != nil {
			return 0, err
		}
		return id, tx.Queue.DeleteOneID(id).Exec(ctx)
	})
}

// treeChanged runs, inside the transaction that created or updated q, the
// tree rules and then stores the menu paths that changed: q's, and on a
// rename or move those of its whole subtree. q is given its stored path.
// Deleting a queue needs neither: only a queue without children may go.
func treeChanged(ctx context.Context, tx *ent.Tx, q *ent.Queue) error {
	rows, err := readTree(ctx, tx.Queue)
	if err != nil {
		return err
	}
	if err := checkQueueTree(ctx, tx, rows); err != nil {
		return err
	}
	paths, err := syncMenuPaths(ctx, tx, rows)
	if err != nil {
		return err
	}
	q.MenuPath = paths[q.ID]
	return nil
}

// checkQueueTree verifies, inside the transaction that changed the tree
// (rows), that it has no cycle and that only leaves hold engagements and
// receive entry points.
func checkQueueTree(ctx context.Context, tx *ent.Tx, rows []treeRow) error {
	parent := make(map[int]int, len(rows))
	for _, r := range rows {
		parent[r.ID] = r.ParentID
	}
	for id := range parent {
		seen := map[int]bool{}
		for at := id; at != 0; at = parent[at] {
			if seen[at] {
				return apperr.Invalid("parentID", "queue %d would become its own ancestor: the queue tree must not have cycles", id)
			}
			seen[at] = true
		}
	}
	inner := tx.Queue.Query().Where(queue.HasChildren())
	if busy, err := inner.Clone().Where(queue.HasEngagementsWith(engagement.StateNotIn(lifecycle.Terminal...))).Exist(ctx); err != nil || busy {
		return orPrecondition(err, "a queue with child queues cannot hold engagements; engagements live only in leaf queues")
	}
	if routed, err := tx.EntryPoint.Query().Where(entrypoint.HasDefaultQueueWith(queue.HasChildren())).Exist(ctx); err != nil || routed {
		return orPrecondition(err, "an entry point's default queue must be a leaf queue")
	}
	return nil
}

// DeleteCapacityProfile deletes a profile no agent uses.
func (s *Service) DeleteCapacityProfile(ctx context.Context, id int) (int, error) {
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (int, error) {
		used, err := tx.CapacityProfile.Query().Where(capacityprofile.ID(id), capacityprofile.HasAgents()).Exist(ctx)
		if err != nil || used {
			return 0, orConflict(err, "capacity profile %d is assigned to agents; assign them another first", id)
		}
		return id, tx.CapacityProfile.DeleteOneID(id).Exec(ctx)
	})
}

func orConflict(err error, format string, args ...any) error {
	if err != nil {
		return err
	}
	return apperr.New(apperr.Conflict, format, args...)
}

func orPrecondition(err error, message string) error {
	if err != nil {
		return err
	}
	return &apperr.Error{Code: apperr.PreconditionFailed, Message: message}
}
