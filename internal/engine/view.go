package engine

import (
	"container/heap"
	"slices"
	"time"

	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/queue"
	"github.com/switchboard/switchboard/ent/schema/enum"
)

// agentView is the dispatcher's picture of an agent.
type agentView struct {
	id, version int
	name        string
	state       agent.State
	active      bool
	idleSince   time.Time
	caps        perChannel
	load        load
	queues      []int
}

// queueView is the dispatcher's picture of a queue.
type queueView struct {
	id       int
	mode     queue.AcceptMode
	ring     time.Duration
	priority int
	active   bool
	// members are the agents in the view who belong to the queue; a slice,
	// because pick scans it on every decision.
	members []*agentView
}

// join adds a to the queue's members.
func (q *queueView) join(a *agentView) { q.members = append(q.members, a) }

// leave removes the agent with id from the queue's members.
func (q *queueView) leave(id int) {
	q.members = slices.DeleteFunc(q.members, func(a *agentView) bool { return a.id == id })
}

// waitItem is a QUEUED engagement.
type waitItem struct {
	id, version int
	queueID     int
	channel     enum.Channel
	priority    int
	front       bool
	queuedAt    time.Time
	// tried are agents that declined or missed it since it was queued: they
	// are asked again only when nobody else can take it.
	tried map[int]bool
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
	items []*waitItem
	pos   int // index in the dispatcher's lineOrder; -1 when absent
}

func (l *line) Len() int { return len(l.items) }
func (l *line) Less(i, j int) bool {
	return before(l.items[i], l.items[j])
}
func (l *line) Swap(i, j int) {
	l.items[i], l.items[j] = l.items[j], l.items[i]
	l.items[i].index, l.items[j].index = i, j
}
func (l *line) Push(x any) {
	it := x.(*waitItem)
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

// before orders two waiting engagements.
func before(a, b *waitItem) bool {
	if a.priority != b.priority {
		return a.priority > b.priority
	}
	if a.front != b.front {
		return a.front
	}
	if !a.queuedAt.Equal(b.queuedAt) {
		return a.queuedAt.Before(b.queuedAt)
	}
	return a.id < b.id
}

func (l *line) head() *waitItem  { return l.items[0] }
func (l *line) add(it *waitItem) { it.line = l; heap.Push(l, it) }
func (l *line) remove(it *waitItem) {
	if it.index >= 0 {
		heap.Remove(l, it.index)
	}
	it.line = nil
}

// timerKind says what a deadline is for.
type timerKind uint8

const (
	timerOffer timerKind = iota
	timerWrapUp
	timerGrace
	timerRetry
)

type timer struct {
	at   time.Time
	kind timerKind
	id   int
}

// timers is a min-heap of deadlines. Entries are not removed when their
// cause goes away: a timer that fires checks the database first.
type timers []timer

func (t timers) Len() int           { return len(t) }
func (t timers) Less(i, j int) bool { return t[i].at.Before(t[j].at) }
func (t timers) Swap(i, j int)      { t[i], t[j] = t[j], t[i] }
func (t *timers) Push(x any)        { *t = append(*t, x.(timer)) }
func (t *timers) Pop() any {
	old := *t
	x := old[len(old)-1]
	*t = old[:len(old)-1]
	return x
}

// lineOrder keeps the lines that have waiting engagements in routing order
// (media priority, then their heads), so a decision does not sort them.
type lineOrder []*line

func lineBefore(a, b *line) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return before(a.head(), b.head())
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
