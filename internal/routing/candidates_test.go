package routing

import (
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/schema/enum"
)

// scanPick is Pick as a scan of every agent of the view: the rules of R3,
// R7 and R8 written out plainly, to check the candidate sets against.
func scanPick(v *View, it *Waiting) *Agent {
	q := v.Queues[it.QueueID]
	if q == nil || !q.Active {
		return nil
	}
	type rank struct {
		tier, held int
		idle       time.Time
		id         int
	}
	less := func(r, o rank) bool {
		switch {
		case r.tier != o.tier:
			return r.tier < o.tier
		case r.held != o.held:
			return r.held < o.held
		case !r.idle.Equal(o.idle):
			return r.idle.Before(o.idle)
		}
		return r.id < o.id
	}
	var best *Agent
	var bestRank rank
	ch := it.Channel
	for _, a := range v.Agents {
		if !slices.Contains(a.Queues, q.ID) || !a.Active || a.State != agent.StateAvailable {
			continue
		}
		tier := 0
		if !a.Load.CanTake(a.Caps, ch, false) {
			if !ch.Call() || !a.Load.CanTake(a.Caps, ch, true) {
				continue
			}
			tier = 1
		}
		if it.Tried[a.ID] {
			tier += 2
		}
		r := rank{tier, a.Load.Held[ch.Index()], a.IdleSince, a.ID}
		if best == nil || less(r, bestRank) {
			best, bestRank = a, r
		}
	}
	return best
}

// Whatever happens to agents (state, load, idle time, queues, leaving the
// view, decisions taken), Pick chooses the agent a scan of all of them
// would choose, for every channel, queue and set of agents tried.
func TestPickMatchesScan(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := NewView(nil)
		const queues = 3
		for id := 1; id <= queues; id++ {
			q, _ := v.Queue(id)
			q.Active = id != 3 || rapid.Bool().Draw(t, "queue3Active")
		}
		genAgent := func(t *rapid.T, id int) Agent {
			a := Agent{
				ID:        id,
				State:     rapid.SampledFrom([]agent.State{agent.StateAvailable, agent.StateAvailable, agent.StateNotReady, agent.StateOffline}).Draw(t, "state"),
				Active:    rapid.IntRange(0, 5).Draw(t, "active") > 0,
				IdleSince: t0.Add(time.Duration(rapid.IntRange(0, 5).Draw(t, "idle")) * time.Second),
				Caps:      PerChannel{1, 1, rapid.IntRange(0, 3).Draw(t, "chatCap"), 5, 5},
			}
			for q := 1; q <= queues; q++ {
				if rapid.Bool().Draw(t, "member") {
					a.Queues = append(a.Queues, q)
				}
			}
			for range rapid.IntRange(0, 3).Draw(t, "held") {
				ch := rapid.SampledFrom(enum.AllChannels).Draw(t, "heldChannel")
				a.Load.Occupy(ch, rapid.IntRange(0, 4).Draw(t, "wrapUp") == 0)
				if ch == enum.ChannelChat {
					a.Load.ConnectedChats = append(a.Load.ConnectedChats, 1000+len(a.Load.ConnectedChats))
				}
			}
			return a
		}
		nextWaiting := 1
		for range rapid.IntRange(1, 60).Draw(t, "steps") {
			switch rapid.IntRange(0, 3).Draw(t, "op") {
			case 0, 1: // an agent read again (new or changed)
				v.SetAgent(genAgent(t, rapid.IntRange(1, 12).Draw(t, "agentID")))
			case 2: // an agent leaves the view
				v.DropAgent(rapid.IntRange(1, 12).Draw(t, "dropID"))
			case 3: // a decision: the picked agent rings for one engagement
				it := &Waiting{ID: nextWaiting, QueueID: rapid.IntRange(1, queues).Draw(t, "takeQueue"),
					Channel: rapid.SampledFrom(enum.AllChannels).Draw(t, "takeChannel"), QueuedAt: t0}
				nextWaiting++
				v.Push(it)
				if a := v.Pick(it); a != nil {
					v.Take(it, a, true)
				} else {
					v.Unqueue(it.ID)
				}
			}
			// Every question Pick may be asked now.
			for q := 1; q <= queues; q++ {
				for _, ch := range enum.AllChannels {
					it := &Waiting{ID: -1, QueueID: q, Channel: ch, Tried: map[int]bool{}}
					for id := range v.Agents {
						if rapid.IntRange(0, 3).Draw(t, "tried") == 0 {
							it.Tried[id] = true
						}
					}
					got, want := v.Pick(it), scanPick(v, it)
					if got != want {
						t.Fatalf("queue %d %s tried %v: Pick chose %v, a scan %v", q, ch, it.Tried, idOf(got), idOf(want))
					}
				}
			}
		}
	})
}

func idOf(a *Agent) any {
	if a == nil {
		return nil
	}
	return a.ID
}
