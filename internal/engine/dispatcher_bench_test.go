package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/queue"
	"github.com/switchboard/switchboard/ent/schema/enum"
)

// benchView builds a dispatcher view with waiting engagements spread over
// 10 queues and two channels, and agents who are members of every queue,
// all available with free capacity except that half are busy on a call.
func benchView(waiting, agents int) *dispatcher {
	d := &dispatcher{
		e:      &Engine{mediaRank: [5]int{0, 1, 2, 3, 4}},
		agents: map[int]*agentView{}, queues: map[int]*queueView{}, waiting: map[int]*waitItem{}, lines: map[lineKey]*line{},
	}
	const queues = 10
	for q := 1; q <= queues; q++ {
		d.queues[q] = &queueView{id: q, mode: queue.AcceptModeManual, ring: 20 * time.Second, active: true}
	}
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := 1; i <= agents; i++ {
		a := &agentView{id: 1000 + i, state: agent.StateAvailable, active: true, caps: perChannel{1, 1, 3, 5, 5},
			idleSince: start.Add(time.Duration(i) * time.Second)}
		if i%2 == 0 {
			a.load.occupy(enum.ChannelVoice, false)
		}
		for q := 1; q <= queues; q++ {
			a.queues = append(a.queues, q)
			d.queues[q].join(a)
		}
		d.agents[a.id] = a
	}
	for i := 1; i <= waiting; i++ {
		ch := enum.ChannelChat
		if i%3 == 0 {
			ch = enum.ChannelVoice
		}
		d.push(&waitItem{id: i, queueID: 1 + i%queues, channel: ch, queuedAt: start.Add(time.Duration(i) * time.Millisecond), index: -1})
	}
	return d
}

// choose is the in-memory part of one routing decision: the first waiting
// engagement, in routing order, that an agent can take, and that agent.
func (d *dispatcher) choose() (*waitItem, *agentView) {
	for _, l := range d.order {
		if a := d.pick(l.head()); a != nil {
			return l.head(), a
		}
	}
	return nil, nil
}

// BenchmarkDecision measures one routing decision in memory: which waiting
// engagement goes to which agent (the database commit is measured by the
// load generator, `switchboard bench`).
func BenchmarkDecision(b *testing.B) {
	for _, agents := range []int{10, 1000} {
		for _, waiting := range []int{10, 1000, 10000} {
			b.Run(fmt.Sprintf("agents=%d/waiting=%d", agents, waiting), func(b *testing.B) {
				d := benchView(waiting, agents)
				b.ReportAllocs()
				for b.Loop() {
					if it, a := d.choose(); it == nil || a == nil {
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
			d := benchView(waiting, 10)
			b.ReportAllocs()
			for b.Loop() {
				it := d.order[0].head()
				d.unqueue(it.id)
				d.push(it)
			}
		})
	}
}
