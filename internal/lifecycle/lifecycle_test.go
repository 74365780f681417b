package lifecycle

import (
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/switchboard/switchboard/ent/engagement"
)

// states are the states the engine uses: every state of the schema.
var states = []State{queued, offered, connected, parked, transferring, wrapUp, postSession, closed, abandoned}

// reasons are every reason some transition is allowed for.
func reasons() []string {
	var out []string
	for _, t := range Transitions {
		for _, r := range t.Reasons {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// Every pair of states and every reason: allowed exactly when the table
// lists it.
func TestEveryTransitionAllowedOrRefused(t *testing.T) {
	for _, from := range states {
		for _, to := range states {
			for _, r := range append(reasons(), "", "SOMETHING_ELSE") {
				want := false
				for _, tr := range Transitions {
					if tr.From == from && tr.To == to && slices.Contains(tr.Reasons, r) {
						want = true
					}
				}
				if got := Allowed(from, to, r); got != want {
					t.Errorf("Allowed(%s, %s, %q) = %v; want %v", from, to, r, got, want)
				}
				if err := Check(from, to, r); (err == nil) != want {
					t.Errorf("Check(%s, %s, %q) = %v", from, to, r, err)
				}
			}
		}
	}
}

// The table is a sound state machine: each pair listed once, nothing leaves
// a terminal state, every state is reachable from QUEUED and can reach a
// terminal state.
func TestTransitionsFormAStateMachine(t *testing.T) {
	seen := map[[2]State]bool{}
	next := map[State][]State{}
	for _, tr := range Transitions {
		key := [2]State{tr.From, tr.To}
		if seen[key] {
			t.Errorf("%s → %s is listed twice", tr.From, tr.To)
		}
		seen[key] = true
		if Is(tr.From, Terminal) {
			t.Errorf("%s → %s leaves a terminal state", tr.From, tr.To)
		}
		if len(tr.Reasons) == 0 {
			t.Errorf("%s → %s has no reason", tr.From, tr.To)
		}
		next[tr.From] = append(next[tr.From], tr.To)
	}
	reach := func(from State) map[State]bool {
		got := map[State]bool{from: true}
		for todo := []State{from}; len(todo) > 0; {
			s := todo[0]
			todo = todo[1:]
			for _, n := range next[s] {
				if !got[n] {
					got[n] = true
					todo = append(todo, n)
				}
			}
		}
		return got
	}
	fromQueued := reach(queued)
	for _, s := range states {
		if !fromQueued[s] {
			t.Errorf("%s cannot be reached from QUEUED", s)
		}
		r := reach(s)
		if !r[closed] && !r[abandoned] {
			t.Errorf("%s can never end", s)
		}
	}
	for _, set := range [][]State{Waiting, Routed, WithAgent, WithVirtualAgent, BeforeConnection, Terminal} {
		for _, s := range set {
			if !slices.Contains(states, s) {
				t.Errorf("state set holds unknown state %s", s)
			}
		}
	}
}

// The README's state diagram shows exactly the transitions of the table.
func TestReadmeDiagramMatchesTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)```mermaid\nstateDiagram-v2\n(.*?)```").FindSubmatch(readme)
	if block == nil {
		t.Fatal("README has no stateDiagram-v2 block")
	}
	drawn := map[[2]State]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s*([A-Z_]+) --> ([A-Z_]+)`).FindAllSubmatch(block[1], -1) {
		drawn[[2]State{engagement.State(m[1]), engagement.State(m[2])}] = true
	}
	for _, tr := range Transitions {
		if !drawn[[2]State{tr.From, tr.To}] {
			t.Errorf("README diagram lacks %s --> %s (%v)", tr.From, tr.To, tr.Reasons)
		}
		delete(drawn, [2]State{tr.From, tr.To})
	}
	for k := range drawn {
		t.Errorf("README diagram shows %s --> %s, which the state machine does not allow", k[0], k[1])
	}
}
