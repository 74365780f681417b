package engine

import (
	"context"
	"sync"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/postsessionsetting"
	"github.com/switchboard/switchboard/ent/queue"
	"github.com/switchboard/switchboard/ent/schema/enum"
)

// configCache keeps the configuration the lifecycle's write transactions
// read (queues, the CRM settings, post-session settings) on SQLite, where
// they were a fifth of the statements of a lifecycle on the one writer
// (switchboard bench). Every configuration change commits config.changed
// (admin.Service); the bus drops the cache when it publishes that event,
// which on SQLite happens before the next write transaction begins, so a
// transaction never reads a setting older than the last committed change.
// On PostgreSQL, where other instances commit changes, every read goes to
// the database.
type configCache struct {
	mu sync.Mutex
	// entries by key: queueKey (cachedQueue), crmKey
	// (*ent.CRMSetting), postSessionKey (*ent.PostSessionSetting).
	entries map[any]any
}

type cachedQueue struct {
	q    *ent.Queue
	leaf bool
}

type (
	queueKey       int
	crmKey         struct{}
	postSessionKey struct {
		queueID int // 0: the channel's default
		channel enum.Channel
	}
)

func newConfigCache() *configCache {
	c := &configCache{}
	c.drop()
	return c
}

// drop forgets everything (config.changed committed).
func (c *configCache) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = map[any]any{}
}

// detached returns a copy of an entity read in tx that outlives it.
func detached[T any, P interface {
	*T
	Unwrap() P
}](v P) P {
	if v == nil {
		return nil
	}
	cp := *v
	return P(&cp).Unwrap()
}

// throughCache returns the cached value of key or, on a miss, what load
// reads; on a single-writer store it keeps detach of that value until the
// next config.changed. Other stores read every time.
func throughCache[V any](w *writer, key any, load func() (V, error), detach func(V) V) (V, error) {
	c := w.config
	cacheable := c != nil && w.SingleWriter()
	if cacheable {
		c.mu.Lock()
		v, ok := c.entries[key]
		c.mu.Unlock()
		if ok {
			return v.(V), nil
		}
	}
	v, err := load()
	if err != nil || !cacheable {
		return v, err
	}
	v = detach(v)
	c.mu.Lock()
	c.entries[key] = v
	c.mu.Unlock()
	return v, nil
}

// orNil turns ent's not-found error into a nil entity.
func orNil[P any](v P, err error) (P, error) {
	if ent.IsNotFound(err) {
		var zero P
		return zero, nil
	}
	return v, err
}

// cachedQueue returns queue id and whether it has no children; a missing
// queue is ent's not-found error.
func (w *writer) cachedQueue(ctx context.Context, id int) (cachedQueue, error) {
	return throughCache(w, queueKey(id), func() (cachedQueue, error) {
		q, err := w.Queue.Query().Where(queue.ID(id)).WithChildren(func(q *ent.QueueQuery) { q.Limit(1) }).Only(ctx)
		if err != nil {
			return cachedQueue{}, err
		}
		return cachedQueue{q: q, leaf: len(q.Edges.Children) == 0}, nil
	}, func(cq cachedQueue) cachedQueue {
		cq.q = detached(cq.q)
		cq.q.Edges = ent.QueueEdges{}
		return cq
	})
}

// queue returns queue id (cachedQueue); callers must not change it.
func (w *writer) queue(ctx context.Context, id int) (*ent.Queue, error) {
	cq, err := w.cachedQueue(ctx, id)
	return cq.q, err
}

// cachedCRMSettings returns the saved CRM settings, nil when none were
// saved.
func (w *writer) cachedCRMSettings(ctx context.Context) (*ent.CRMSetting, error) {
	return throughCache(w, crmKey{}, func() (*ent.CRMSetting, error) {
		return orNil(w.CRMSetting.Query().First(ctx))
	}, detached[ent.CRMSetting])
}

// cachedPostSession returns the post-session setting of a queue (queueID
// not 0) or a channel's default, nil when there is none.
func (w *writer) cachedPostSession(ctx context.Context, queueID int, ch enum.Channel) (*ent.PostSessionSetting, error) {
	key := postSessionKey{queueID, ch}
	if queueID != 0 {
		key.channel = ""
	}
	return throughCache(w, key, func() (*ent.PostSessionSetting, error) {
		q := w.PostSessionSetting.Query()
		if queueID != 0 {
			q.Where(postsessionsetting.QueueID(queueID))
		} else {
			q.Where(postsessionsetting.QueueIDIsNil(), postsessionsetting.ChannelEQ(ch))
		}
		return orNil(q.Only(ctx))
	}, detached[ent.PostSessionSetting])
}
