// Package routing is the routing core without a database: the view of
// agents, queues and waiting engagements that the dispatcher keeps in
// memory, the lines waiting engagements stand in, and the choice of the
// next pairing (docs/rules.md R2–R8). The engine loads the view from the
// database and commits the decisions; every rule about who may take what is
// decided here.
package routing

import (
	"slices"

	"github.com/switchboard/switchboard/ent/schema/enum"
)

// View is the dispatcher's in-memory picture of the center.
type View struct {
	Agents  map[int]*Agent
	Queues  map[int]*Queue
	waiting map[int]*Waiting
	lines   map[lineKey]*line
	order   lineOrder
	rank    [5]int
}

// NewView returns an empty view serving channels in the order of
// mediaPriority (R2); channels it leaves out come last, in default order.
func NewView(mediaPriority []enum.Channel) *View {
	if len(mediaPriority) == 0 {
		mediaPriority = enum.AllChannels
	}
	var rank [5]int
	for i := range rank {
		rank[i] = len(mediaPriority) + i
	}
	for i, ch := range mediaPriority {
		rank[ch.Index()] = i
	}
	return &View{Agents: map[int]*Agent{}, Queues: map[int]*Queue{}, waiting: map[int]*Waiting{},
		lines: map[lineKey]*line{}, rank: rank}
}

// Queue returns the view of queue id, adding an empty one when unknown
// (known reports which).
func (v *View) Queue(id int) (q *Queue, known bool) {
	if q = v.Queues[id]; q != nil {
		return q, true
	}
	q = &Queue{ID: id}
	v.Queues[id] = q
	return q, false
}

// Waiting returns the waiting engagement id, nil when it is not waiting.
func (v *View) Waiting(id int) *Waiting { return v.waiting[id] }

// Push puts a waiting engagement in its line, in place of any earlier
// picture of it.
func (v *View) Push(it *Waiting) {
	v.Unqueue(it.ID)
	key := lineKey{it.QueueID, it.Channel}
	l := v.lines[key]
	if l == nil {
		l = &line{key: key, rank: v.rank[it.Channel.Index()], pos: -1}
		v.lines[key] = l
	}
	var head *Waiting
	if l.Len() > 0 {
		head = l.head()
	}
	if it.Tried == nil {
		it.Tried = map[int]bool{}
	}
	it.index = -1
	l.add(it)
	if l.head() != head {
		v.order.fix(l)
	}
	v.waiting[it.ID] = it
}

// Unqueue takes an engagement out of its line.
func (v *View) Unqueue(id int) {
	it := v.waiting[id]
	if it == nil {
		return
	}
	l := it.line
	wasHead := l.head() == it
	l.remove(it)
	if wasHead {
		v.order.fix(l)
	}
	if l.Len() == 0 {
		delete(v.lines, l.key)
	}
	delete(v.waiting, id)
}

// SetAgent puts an agent in the view, in its queues. An agent whose
// memberships did not change is updated in place. It returns the IDs of
// queues the view did not know yet (added empty: load them).
func (v *View) SetAgent(a Agent) (unknown []int) {
	if old := v.Agents[a.ID]; old != nil && slices.Equal(old.Queues, a.Queues) {
		a.cand = old.cand // where it is in the sets, until placed
		*old = a
		v.place(old, candidacyOf(old))
		return nil
	}
	a.cand = candidacy{}
	v.DropAgent(a.ID)
	na := &a
	for _, id := range a.Queues {
		if _, known := v.Queue(id); !known {
			unknown = append(unknown, id)
		}
	}
	v.Agents[a.ID] = na
	v.place(na, candidacyOf(na))
	return unknown
}

// DropAgent takes an agent out of the view.
func (v *View) DropAgent(id int) {
	if a := v.Agents[id]; a != nil {
		v.place(a, candidacy{})
		delete(v.Agents, id)
	}
}

// Next is the first waiting engagement, in routing order, that an agent can
// take, and that agent; skip leaves out pairings (e.g. refused twice).
// The head of a line served before another comes first, even if its own
// line has just been served (R2, R8).
func (v *View) Next(skip func(engagementID, agentID int) bool) (*Waiting, *Agent) {
	for _, l := range v.order {
		it := l.head()
		if a := v.Pick(it); a != nil && (skip == nil || !skip(it.ID, a.ID)) {
			return it, a
		}
	}
	return nil, nil
}

// Pick chooses the agent for a waiting engagement: among AVAILABLE active
// members of its queue with room for it, free agents before those busy with
// chats for calls (R3), those who have not declined or missed it before
// those who have, then the least loaded on the channel, then the longest
// idle (R8); nil when nobody can take it. It reads the queue's candidate
// sets (candidates.go), not every member.
func (v *View) Pick(it *Waiting) *Agent {
	q := v.Queues[it.QueueID]
	if q == nil || !q.Active {
		return nil
	}
	ch := it.Channel.Index()
	free, freeTried := firstUntried(q.cand.free[ch], it)
	if free != nil {
		return free
	}
	interrupt, interruptTried := firstUntried(q.cand.interrupt[ch], it)
	switch {
	case interrupt != nil:
		return interrupt
	case freeTried != nil:
		return freeTried
	}
	return interruptTried
}

// Take brings a decision into the view instead of reading back the rows it
// wrote: the engagement leaves its line and the agent holds one more
// engagement at its next version. It reports whether the agent must be read
// again instead: a call assigned without a ring may have parked its chats.
func (v *View) Take(it *Waiting, a *Agent, rang bool) (reread bool) {
	v.Unqueue(it.ID)
	if !rang && it.Channel.Call() {
		return true
	}
	a.Version++
	a.Load.Occupy(it.Channel, false)
	if !rang && it.Channel == enum.ChannelChat {
		a.Load.ConnectedChats = append(a.Load.ConnectedChats, it.ID)
	}
	v.place(a, candidacyOf(a))
	return false
}
