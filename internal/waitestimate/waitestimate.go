// Package waitestimate estimates how long a waiting engagement will wait
// for an agent (README, "Queue position and expected wait").
//
// A waiting engagement at position p (1 = next) needs p agents of its
// queue to become free. With s staffed agents each finishing an
// engagement every AHT seconds on average (AHT: the mean handle time of
// the queue's last Recent finished engagements), agents free up at about
// s/AHT per second, so the wait is about p × AHT ÷ s. A waiting engagement
// means every staffed agent is busy (else it would be ringing one), which
// is when this holds; it is the mean wait of an M/M/s queue's p-th waiting
// customer.
package waitestimate

import (
	"math"
	"time"
)

// Recent is how many of a queue's latest finished engagements give its
// average handle time.
const Recent = 50

// Estimate returns the expected wait of the engagement at position (1 =
// next in line) with staffed agents and the handle times of the queue's
// recent engagements; false when it cannot tell: no agent staffed, or no
// handle time known.
func Estimate(position, staffed int, recent []time.Duration) (time.Duration, bool) {
	if staffed <= 0 || position <= 0 || len(recent) == 0 {
		return 0, false
	}
	var sum time.Duration
	for _, d := range recent {
		sum += max(d, 0)
	}
	aht := float64(sum) / float64(len(recent))
	return time.Duration(math.Round(float64(position) * aht / float64(staffed))), true
}

// Seconds is Estimate in whole seconds (rounded up: "about a minute" rather
// than "0 s"), nil when unknown.
func Seconds(position, staffed int, recent []time.Duration) *int {
	d, ok := Estimate(position, staffed, recent)
	if !ok {
		return nil
	}
	s := int(math.Ceil(d.Seconds()))
	return &s
}
