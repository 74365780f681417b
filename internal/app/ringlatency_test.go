package app

import (
	"testing"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/events"
)

// Rings are remembered for ringMemory after their commit and then
// forgotten; other events are not remembered.
func TestRingLatencyForgetsOldRings(t *testing.T) {
	r := newRingLatency()
	t0 := time.Now()
	r.commit([]*ent.Event{{ID: 1, Topic: events.OfferCreated}, {ID: 2, Topic: "engagement.created"}}, t0)
	r.commit([]*ent.Event{{ID: 3, Topic: events.OfferCreated}}, t0.Add(ringMemory/2))
	for id, want := range map[int]bool{1: true, 2: false, 3: true} {
		if _, ok := r.committedAt(id); ok != want {
			t.Fatalf("event %d remembered: %v, want %v", id, ok, want)
		}
	}
	r.commit([]*ent.Event{{ID: 4, Topic: events.OfferCreated}}, t0.Add(ringMemory+time.Second))
	for id, want := range map[int]bool{1: false, 3: true, 4: true} {
		if _, ok := r.committedAt(id); ok != want {
			t.Fatalf("after %v: event %d remembered: %v, want %v", ringMemory, id, ok, want)
		}
	}
	if len(r.order) != 2 || len(r.committed) != 2 {
		t.Fatalf("%d in order, %d in the map; want 2 and 2", len(r.order), len(r.committed))
	}
}
