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
	mu          sync.Mutex
	queues      map[int]cachedQueue
	crm         *ent.CRMSetting
	crmRead     bool
	postSession map[postSessionKey]*ent.PostSessionSetting
}

type cachedQueue struct {
	q    *ent.Queue
	leaf bool
}

type postSessionKey struct {
	queueID int // 0: the channel's default
	channel enum.Channel
}

func newConfigCache() *configCache {
	c := &configCache{}
	c.drop()
	return c
}

// drop forgets everything (config.changed committed).
func (c *configCache) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queues = map[int]cachedQueue{}
	c.crm, c.crmRead = nil, false
	c.postSession = map[postSessionKey]*ent.PostSessionSetting{}
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

// cachedQueue returns queue id and whether it has no children; a missing
// queue is ent's not-found error.
func (w *writer) cachedQueue(ctx context.Context, id int) (cachedQueue, error) {
	c := w.config
	if c != nil && w.SingleWriter() {
		c.mu.Lock()
		cq, ok := c.queues[id]
		c.mu.Unlock()
		if ok {
			return cq, nil
		}
	}
	q, err := w.Queue.Query().Where(queue.ID(id)).WithChildren(func(q *ent.QueueQuery) { q.Limit(1) }).Only(ctx)
	if err != nil {
		return cachedQueue{}, err
	}
	cq := cachedQueue{q: q, leaf: len(q.Edges.Children) == 0}
	if c != nil && w.SingleWriter() {
		cq.q = detached(q)
		cq.q.Edges = ent.QueueEdges{}
		c.mu.Lock()
		c.queues[id] = cq
		c.mu.Unlock()
	}
	return cq, nil
}

// queue returns queue id (cachedQueue); callers must not change it.
func (w *writer) queue(ctx context.Context, id int) (*ent.Queue, error) {
	cq, err := w.cachedQueue(ctx, id)
	return cq.q, err
}

// cachedCRMSettings returns the saved CRM settings, nil when none were
// saved.
func (w *writer) cachedCRMSettings(ctx context.Context) (*ent.CRMSetting, error) {
	c := w.config
	if c != nil && w.SingleWriter() {
		c.mu.Lock()
		cs, ok := c.crm, c.crmRead
		c.mu.Unlock()
		if ok {
			return cs, nil
		}
	}
	cs, err := w.CRMSetting.Query().First(ctx)
	if ent.IsNotFound(err) {
		cs, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	if c != nil && w.SingleWriter() {
		cs = detached(cs)
		c.mu.Lock()
		c.crm, c.crmRead = cs, true
		c.mu.Unlock()
	}
	return cs, nil
}

// cachedPostSession returns the post-session setting of a queue (queueID
// not 0) or a channel's default, nil when there is none.
func (w *writer) cachedPostSession(ctx context.Context, queueID int, ch enum.Channel) (*ent.PostSessionSetting, error) {
	c, key := w.config, postSessionKey{queueID, ch}
	if queueID != 0 {
		key.channel = ""
	}
	if c != nil && w.SingleWriter() {
		c.mu.Lock()
		ps, ok := c.postSession[key]
		c.mu.Unlock()
		if ok {
			return ps, nil
		}
	}
	q := w.PostSessionSetting.Query()
	if queueID != 0 {
		q.Where(postsessionsetting.QueueID(queueID))
	} else {
		q.Where(postsessionsetting.QueueIDIsNil(), postsessionsetting.ChannelEQ(ch))
	}
	ps, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		ps, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	if c != nil && w.SingleWriter() {
		ps = detached(ps)
		c.mu.Lock()
		c.postSession[key] = ps
		c.mu.Unlock()
	}
	return ps, nil
}
