package routing

import (
	"testing"
	"time"

	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/schema/enum"
)

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// center is a view with one active queue (1) unless a test adds more.
func center(mediaPriority ...enum.Channel) *View {
	v := NewView(mediaPriority)
	q, _ := v.Queue(1)
	q.Active = true
	return v
}

// free is an AVAILABLE agent in queue 1 with default capacity, idle since
// idle seconds after t0.
func free(id, idle int) Agent {
	return Agent{ID: id, State: agent.StateAvailable, Active: true, Caps: PerChannel{1, 1, 3, 5, 5},
		IdleSince: t0.Add(time.Duration(idle) * time.Second), Queues: []int{1}}
}

func with(a Agent, f func(*Agent)) Agent { f(&a); return a }

// holding returns a with load occupied by the given channels (wrap-up for
// those listed in wrap), connected chats counted.
func holding(a Agent, chs ...enum.Channel) Agent {
	for _, ch := range chs {
		a.Load.Occupy(ch, false)
		if ch == enum.ChannelChat {
			a.Load.ConnectedChats = append(a.Load.ConnectedChats, len(a.Load.ConnectedChats)+100)
		}
	}
	return a
}

func waiting(id int, ch enum.Channel, queuedSec int) *Waiting {
	return &Waiting{ID: id, QueueID: 1, Channel: ch, QueuedAt: t0.Add(time.Duration(queuedSec) * time.Second)}
}

// The agent Pick chooses for one waiting engagement, rule by rule.
func TestPick(t *testing.T) {
	chatWrapUp := func(a *Agent) { a.Load.Occupy(enum.ChannelChat, true) }
	for _, tc := range []struct {
		name   string
		agents []Agent
		it     *Waiting
		want   int // 0: nobody
	}{
		{"longest idle first (R8)", []Agent{free(1, 20), free(2, 10), free(3, 30)}, waiting(9, enum.ChannelChat, 0), 2},
		{"least loaded on the channel before longest idle (R8)",
			[]Agent{holding(free(1, 0), enum.ChannelChat), free(2, 10)}, waiting(9, enum.ChannelChat, 0), 2},
		{"capacity reached: not offered (R7)",
			[]Agent{holding(with(free(1, 0), func(a *Agent) { a.Caps[enum.ChannelChat.Index()] = 1 }), enum.ChannelChat)},
			waiting(9, enum.ChannelChat, 0), 0},
		{"a call goes to a free agent before one busy with chats (R3)",
			[]Agent{holding(free(1, 0), enum.ChannelChat), free(2, 50)}, waiting(9, enum.ChannelVoice, 0), 2},
		{"with nobody free a call interrupts an agent busy with chats (R3)",
			[]Agent{holding(free(1, 0), enum.ChannelChat)}, waiting(9, enum.ChannelVoice, 0), 1},
		{"never to an agent on a call (R3)",
			[]Agent{holding(free(1, 0), enum.ChannelVoice)}, waiting(9, enum.ChannelVoice, 0), 0},
		{"no chat during a call (R3)",
			[]Agent{holding(free(1, 0), enum.ChannelVoice)}, waiting(9, enum.ChannelChat, 0), 0},
		{"no call during a chat's wrap-up (R4)",
			[]Agent{with(free(1, 0), chatWrapUp)}, waiting(9, enum.ChannelVoice, 0), 0},
		{"no call during a chat's wrap-up, even with a chat to interrupt (R4)",
			[]Agent{holding(with(free(1, 0), chatWrapUp), enum.ChannelChat)}, waiting(9, enum.ChannelVoice, 0), 0},
		{"email reaches an agent on a call (R6, R7)",
			[]Agent{holding(free(1, 0), enum.ChannelVoice)}, waiting(9, enum.ChannelEmail, 0), 1},
		{"agents who declined it are asked last",
			[]Agent{free(1, 0), free(2, 10)}, &Waiting{ID: 9, QueueID: 1, Channel: enum.ChannelChat, Tried: map[int]bool{1: true}}, 2},
		{"but asked when nobody else can take it",
			[]Agent{free(1, 0), with(free(2, 10), func(a *Agent) { a.State = agent.StateNotReady })},
			&Waiting{ID: 9, QueueID: 1, Channel: enum.ChannelChat, Tried: map[int]bool{1: true}}, 1},
		{"only AVAILABLE, active agents",
			[]Agent{with(free(1, 0), func(a *Agent) { a.State = agent.StateNotReady }), with(free(2, 0), func(a *Agent) { a.Active = false })},
			waiting(9, enum.ChannelChat, 0), 0},
		{"only members of its queue",
			[]Agent{with(free(1, 0), func(a *Agent) { a.Queues = []int{2} })}, waiting(9, enum.ChannelChat, 0), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := center()
			for _, a := range tc.agents {
				v.SetAgent(a)
			}
			got := 0
			if a := v.Pick(tc.it); a != nil {
				got = a.ID
			}
			if got != tc.want {
				t.Fatalf("Pick chose agent %d; want %d", got, tc.want)
			}
		})
	}
	t.Run("nobody in an inactive queue", func(t *testing.T) {
		v := center()
		v.SetAgent(free(1, 0))
		v.Queues[1].Active = false
		if a := v.Pick(waiting(9, enum.ChannelChat, 0)); a != nil {
			t.Fatalf("Pick chose %d in an inactive queue", a.ID)
		}
	})
}

// The order in which Next serves waiting engagements.
func TestNextOrder(t *testing.T) {
	for _, tc := range []struct {
		name     string
		priority []enum.Channel
		waiting  []*Waiting
		want     []int
	}{
		{"longest waiting first (R8)", nil,
			[]*Waiting{waiting(1, enum.ChannelChat, 30), waiting(2, enum.ChannelChat, 10), waiting(3, enum.ChannelChat, 20)}, []int{2, 3, 1}},
		{"priority before wait (R8)", nil,
			[]*Waiting{waiting(1, enum.ChannelChat, 0), with2(waiting(2, enum.ChannelChat, 50), func(w *Waiting) { w.Priority = 5 })}, []int{2, 1}},
		{"returned to the front before longer waits (E6, T4)", nil,
			[]*Waiting{waiting(1, enum.ChannelChat, 0), with2(waiting(2, enum.ChannelChat, 50), func(w *Waiting) { w.Front = true })}, []int{2, 1}},
		{"media priority: a call before an older chat (R2)", nil,
			[]*Waiting{waiting(1, enum.ChannelChat, 0), waiting(2, enum.ChannelVoice, 50)}, []int{2, 1}},
		{"media priority configured: chats first (R2)", []enum.Channel{enum.ChannelChat, enum.ChannelVoice},
			[]*Waiting{waiting(1, enum.ChannelVoice, 0), waiting(2, enum.ChannelChat, 50)}, []int{2, 1}},
		{"email after chat by default (R2)", nil,
			[]*Waiting{waiting(1, enum.ChannelEmail, 0), waiting(2, enum.ChannelChat, 50)}, []int{2, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := center(tc.priority...)
			// An agent with room for everything, taken again for each.
			big := with(free(1, 0), func(a *Agent) { a.Caps = PerChannel{50, 50, 50, 50, 50} })
			for _, w := range tc.waiting {
				v.Push(w)
			}
			var got []int
			for range tc.waiting {
				v.SetAgent(big)
				it, a := v.Next(nil)
				if it == nil || a == nil {
					t.Fatalf("nothing to serve after %v", got)
				}
				got = append(got, it.ID)
				v.Unqueue(it.ID)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("served %v; want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("served %v; want %v", got, tc.want)
				}
			}
		})
	}
}

func with2(w *Waiting, f func(*Waiting)) *Waiting { f(w); return w }

// The head of a line nobody can take does not block other lines, and a
// skipped pairing is left out.
func TestNextSkipsWhatCannotBeServed(t *testing.T) {
	v := center()
	v.SetAgent(holding(free(1, 0), enum.ChannelVoice)) // on a call: no call, no chat
	v.Push(waiting(1, enum.ChannelVoice, 0))
	v.Push(waiting(2, enum.ChannelChat, 5))
	v.Push(waiting(3, enum.ChannelEmail, 10))
	if it, a := v.Next(nil); it == nil || it.ID != 3 || a.ID != 1 {
		t.Fatalf("Next = %v, %v; want the email for agent 1", it, a)
	}
	if it, _ := v.Next(func(eg, a int) bool { return eg == 3 }); it != nil {
		t.Fatalf("Next served %d with its only pairing skipped", it.ID)
	}
}

// Take brings a decision into the view: the engagement leaves its line, the
// agent's load and version grow; an assigned call asks for the agent to be
// read again (it parked chats).
func TestTake(t *testing.T) {
	v := center()
	v.SetAgent(free(1, 0))
	it := waiting(7, enum.ChannelChat, 0)
	v.Push(it)
	a := v.Agents[1]
	if reread := v.Take(it, a, false); reread {
		t.Fatal("an assigned chat needs no reread")
	}
	if v.Waiting(7) != nil || a.Version != 1 || a.Load.Held[enum.ChannelChat.Index()] != 1 || len(a.Load.ConnectedChats) != 1 {
		t.Fatalf("after Take: waiting %v, agent %+v", v.Waiting(7), a)
	}
	call := waiting(8, enum.ChannelVoice, 0)
	v.Push(call)
	if reread := v.Take(call, a, false); !reread {
		t.Fatal("an assigned call must be read again")
	}
}

// SetAgent keeps queue membership right when it changes, and names queues
// it does not know.
func TestSetAgentMemberships(t *testing.T) {
	v := center()
	if unknown := v.SetAgent(with(free(1, 0), func(a *Agent) { a.Queues = []int{1, 2} })); len(unknown) != 1 || unknown[0] != 2 {
		t.Fatalf("unknown queues %v; want [2]", unknown)
	}
	v.Queues[2].Active = true
	v.SetAgent(free(1, 0)) // leaves queue 2
	w := &Waiting{ID: 5, QueueID: 2, Channel: enum.ChannelChat}
	v.Push(w)
	if a := v.Pick(w); a != nil {
		t.Fatalf("agent %d picked in a queue it left", a.ID)
	}
	v.DropAgent(1)
	if a := v.Pick(waiting(6, enum.ChannelChat, 0)); a != nil {
		t.Fatal("a dropped agent was picked")
	}
}
