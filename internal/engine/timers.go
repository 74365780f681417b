package engine

import "time"

// timerKind says what a deadline is for.
type timerKind uint8

const (
	timerOffer timerKind = iota
	timerWrapUp
	timerGrace
	timerRetry
	timerPostSession
	// timerPositions: a queue's coalesced queue positions are due (positions.go).
	timerPositions
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
