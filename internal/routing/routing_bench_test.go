package routing

import (
	"fmt"
	"testing"
	"time"

	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/queue"
	"github.com/switchboard/switchboard/ent/schema/enum"
)

// benchView builds a view with waiting engagements spread over 10 queues
// and two channels, and agents who are members of every queue, all
// available with free capacity except that half are busy on a call.
func benchView(waiting, agents int) *View {
	v := NewView(nil)
	const queues = 10
	var ids []int
	for q := 1; q <= queues; q++ {
		qv, _ := v.Queue(q)
		qv.Mode, qv.Ring, qv.Active = queue.AcceptModeManual, 20*time.Second, true
		ids = append(ids, q)
	}
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := 1; i <= agents; i++ {
		a := Agent{ID: 1000 + i, State: agent.StateAvailable, Active: true, Caps: PerChannel{1, 1, 3, 5, 5},
			IdleSince: start.Add(time.Duration(i) * time.Second), Queues: ids}
		if i%2 == 0 {
			a.Load.Occupy(enum.ChannelVoice, false)
		}
		v.SetAgent(a)
	}
	for i := 1; i <= waiting; i++ {
		ch := enum.ChannelChat
		if i%3 == 0 {
			ch = enum.ChannelVoice
		}
		v.Push(&Waiting{ID: i, QueueID: 1 + i%queues, Channel: ch, QueuedAt: start.Add(time.Duration(i) * time.Millisecond)})
	}
	return v
}

// BenchmarkDecision measures one routing decision in memory: which waiting
// engagement goes to which agent (the database commit is measured by the
// load generator, `switchboard bench`).
func BenchmarkDecision(b *testing.B) {
	for _, agents := range []int{10, 1000, 10000} {
		for _, waiting := range []int{10, 1000, 10000} {
			b.Run(fmt.Sprintf("agents=%d/waiting=%d", agents, waiting), func(b *testing.B) {
				v := benchView(waiting, agents)
				b.ReportAllocs()
				for b.Loop() {
					if it, a := v.Next(nil); it == nil || a == nil {
						b.Fatal("no decision")
					}
				}
			})
		}
	}
}

// BenchmarkRequeue measures taking the head engagement out of its line and
// queueing it again: what a decision and a later decline cost the view.
func BenchmarkRequeue(b *testing.B) {
	for _, waiting := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("waiting=%d", waiting), func(b *testing.B) {
			v := benchView(waiting, 10)
			b.ReportAllocs()
			for b.Loop() {
				it := v.order[0].head()
				v.Unqueue(it.ID)
				v.Push(it)
			}
		})
	}
}

// BenchmarkAgentUpdate measures what keeping the candidate sets costs when
// an agent changes: it is read again with another idle time, in all ten
// queues of the view.
func BenchmarkAgentUpdate(b *testing.B) {
	for _, agents := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("agents=%d", agents), func(b *testing.B) {
			v := benchView(10, agents)
			ids := make([]int, 0, agents)
			for id := range v.Agents {
				ids = append(ids, id)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				a := *v.Agents[ids[i%len(ids)]]
				a.IdleSince = a.IdleSince.Add(time.Millisecond)
				v.SetAgent(a)
				i++
			}
		})
	}
}
