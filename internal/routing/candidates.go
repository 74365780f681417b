package routing

import (
	"time"

	"github.com/google/btree"

	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/schema/enum"
)

// The candidates of a queue for a channel are its AVAILABLE active members
// with room for one more engagement of that channel, kept ordered as Pick
// prefers them (R8: fewest held of the channel, then longest idle, then
// lowest ID), so that a decision reads the first of them instead of
// scanning every member (17% of the server's CPU with 10,000 agents:
// switchboard bench). A call has a second set: the agents it may reach
// only by parking their chats (R3), asked after the free ones.
//
// An agent's place depends on its state, load and idle time, which change
// only through SetAgent, Take and DropAgent: each calls place, which takes
// the agent out of its sets with the key it was put in with (candidacy) and
// puts it in with the new one, or does nothing when the two are the same.

// candidate is an agent's place in a candidate set.
type candidate struct {
	held int
	idle time.Time
	id   int
	a    *Agent
}

func candidateLess(x, y candidate) bool {
	if x.held != y.held {
		return x.held < y.held
	}
	if c := x.idle.Compare(y.idle); c != 0 {
		return c < 0
	}
	return x.id < y.id
}

// The sets an agent can be in for one channel.
const (
	notCandidate uint8 = iota
	freeCandidate
	interruptCandidate // a call that would park the agent's chats (R3)
)

// candidacy is where an agent was put in its queues' candidate sets, with
// the key it was put in with; the zero value is nowhere.
type candidacy struct {
	held PerChannel
	idle time.Time
	set  [len(PerChannel{})]uint8
}

// candidateSets are one queue's candidate sets, by channel index.
type candidateSets struct {
	free, interrupt [len(PerChannel{})]*btree.BTreeG[candidate]
}

// btreeDegree suits sets of a few to tens of thousands of small items.
const btreeDegree = 16

func (s *candidateSets) tree(ch int, set uint8) *btree.BTreeG[candidate] {
	t := &s.free[ch]
	if set == interruptCandidate {
		t = &s.interrupt[ch]
	}
	if *t == nil {
		*t = btree.NewG(btreeDegree, candidateLess)
	}
	return *t
}

// place moves a in its queues' candidate sets from where it was put to c.
func (v *View) place(a *Agent, c candidacy) {
	if c == a.cand {
		return // most reloads of an agent: nothing routing sees changed
	}
	v.eachCandidate(a, func(t *btree.BTreeG[candidate], item candidate) { t.Delete(item) })
	a.cand = c
	v.eachCandidate(a, func(t *btree.BTreeG[candidate], item candidate) { t.ReplaceOrInsert(item) })
}

// candidacyOf is where a belongs in its queues' candidate sets now.
func candidacyOf(a *Agent) candidacy {
	if !a.Active || a.State != agent.StateAvailable {
		return candidacy{}
	}
	c := candidacy{held: a.Load.Held, idle: a.IdleSince}
	for _, ch := range enum.AllChannels {
		switch {
		case a.Load.CanTake(a.Caps, ch, false):
			c.set[ch.Index()] = freeCandidate
		case ch.Call() && a.Load.CanTake(a.Caps, ch, true):
			c.set[ch.Index()] = interruptCandidate
		}
	}
	return c
}

// eachCandidate calls f with each set a's candidacy puts it in, and its
// item there.
func (v *View) eachCandidate(a *Agent, f func(t *btree.BTreeG[candidate], item candidate)) {
	for _, qid := range a.Queues {
		q := v.Queues[qid]
		if q == nil {
			continue
		}
		for ch, set := range a.cand.set {
			if set != notCandidate {
				f(q.cand.tree(ch, set), candidate{held: a.cand.held[ch], idle: a.cand.idle, id: a.ID, a: a})
			}
		}
	}
}

// firstUntried returns the first agent of t that it has not tried, and
// the first it has: the best of the set at its two tiers. It reads at most
// one more agent than it tried.
func firstUntried(t *btree.BTreeG[candidate], it *Waiting) (untried, tried *Agent) {
	if t == nil {
		return nil, nil
	}
	t.Ascend(func(c candidate) bool {
		if !it.Tried[c.id] {
			untried = c.a
			return false
		}
		if tried == nil {
			tried = c.a
		}
		return true
	})
	return untried, tried
}
