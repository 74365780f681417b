package routing

import (
	"container/heap"
	"slices"
	"time"

	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/queue"
	"github.com/switchboard/switchboard/ent/schema/enum"
)

// Agent is the routing picture of an agent.
type Agent struct {
	ID, Version int
	Name        string
	State       agent.State
	Active      bool
	IdleSince   time.Time
	Caps        PerChannel
	Load        Load
	// Queues are the IDs of its queues, sorted.
	Queues []int
	// cand is its place in its queues' candidate sets (candidates.go).
	cand candidacy
}

// Queue is the routing picture of a queue.
type Queue struct {
	ID       int
	Mode     queue.AcceptMode
	Ring     time.Duration
	Priority int
	Active   bool
	// cand are the members who may be rung now, per channel, in the order
	// Pick prefers them (candidates.go).
	cand candidateSets
}

// Waiting is a QUEUED engagement.
type Waiting struct {
	ID, Version int
	QueueID     int
	Channel     enum.Channel
	Priority    int
	// Front: returned to the front of its queue (logout, release).
	Front    bool
	QueuedAt time.Time
	// Tried are agents that declined or missed it since it was queued, or
	// released it: they are asked again only when nobody else can take it.
	Tried map[int]bool
	line  *line
	index int
}

// lineKey names the engagements of one channel waiting in one queue: every
// agent eligible for one of them is eligible for all (R8 within a line).
type lineKey struct {
	queueID int
	channel enum.Channel
}

// line is a priority heap of waiting engagements: higher priority first,
// then those returned to the front, then the longest waiting (R8).
type line struct {
	key   lineKey
	rank  int // media priority of the channel (R2)
	items []*Waiting
	pos   int // index in the View's lineOrder; -1 when absent
}

func (l *line) Len() int           { return len(l.items) }
func (l *line) Less(i, j int) bool { return Before(l.items[i], l.items[j]) }
func (l *line) Swap(i, j int) {
	l.items[i], l.items[j] = l.items[j], l.items[i]
	l.items[i].index, l.items[j].index = i, j
}
func (l *line) Push(x any) {
	it := x.(*Waiting)
	it.index = len(l.items)
	l.items = append(l.items, it)
}
func (l *line) Pop() any {
	old := l.items
	it := old[len(old)-1]
	old[len(old)-1] = nil
	l.items = old[:len(old)-1]
	it.index = -1
	return it
}

// Before orders two waiting engagements of a queue (R8): higher priority,
// then returned to the front, then waiting longer.
func Before(a, b *Waiting) bool {
	if a.Priority != b.Priority {
		return a.Priority > b.Priority
	}
	if a.Front != b.Front {
		return a.Front
	}
	if !a.QueuedAt.Equal(b.QueuedAt) {
		return a.QueuedAt.Before(b.QueuedAt)
	}
	return a.ID < b.ID
}

func (l *line) head() *Waiting  { return l.items[0] }
func (l *line) add(it *Waiting) { it.line = l; heap.Push(l, it) }
func (l *line) remove(it *Waiting) {
	if it.index >= 0 {
		heap.Remove(l, it.index)
	}
	it.line = nil
}

// lineOrder keeps the lines that have waiting engagements in routing order
// (media priority, then their heads), so a decision does not sort them.
type lineOrder []*line

func lineBefore(a, b *line) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return Before(a.head(), b.head())
}

// fix moves l to its place after its head changed, or drops it when empty.
func (o *lineOrder) fix(l *line) {
	s := *o
	if l.pos >= 0 {
		copy(s[l.pos:], s[l.pos+1:])
		s = s[:len(s)-1]
		for i := l.pos; i < len(s); i++ {
			s[i].pos = i
		}
		l.pos = -1
	}
	if l.Len() > 0 {
		i, _ := slices.BinarySearchFunc(s, l, func(x, l *line) int {
			if lineBefore(x, l) {
				return -1
			}
			return 1
		})
		s = slices.Insert(s, i, l)
		for j := i; j < len(s); j++ {
			s[j].pos = j
		}
	}
	*o = s
}
