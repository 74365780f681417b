package events

import (
	"strings"
	"testing"

	"github.com/switchboard/switchboard/ent"
)

// A subscriber with a byte bound is dropped when the events waiting for it
// pass the bound, however few they are; taking them frees their bytes.
func TestSubscriberByteBound(t *testing.T) {
	b := NewBus(false)
	engagement := 7
	big := func(id int) *ent.Event {
		return &ent.Event{ID: id, EngagementID: &engagement, Payload: map[string]any{"body": strings.Repeat("x", 1<<20)}}
	}
	sub := b.SubscribeBytes(Key{Kind: Engagement, ID: engagement}, BufferSize, 3<<20)
	b.Publish([]*ent.Event{big(1), big(2)})
	sub.Received(<-sub.C)
	sub.Received(<-sub.C)
	b.Publish([]*ent.Event{big(3), big(4)}) // 2 MiB waiting: under the bound
	select {
	case <-sub.Dropped:
		t.Fatal("dropped under its bound")
	default:
	}
	b.Publish([]*ent.Event{big(5)}) // 3 MiB and the fixed parts: over
	select {
	case <-sub.Dropped:
	default:
		t.Fatal("not dropped over its bound")
	}
	// A subscriber without a byte bound counts events only.
	plain := b.Subscribe(Key{Kind: Engagement, ID: engagement}, BufferSize)
	b.Publish([]*ent.Event{big(6), big(7), big(8), big(9)})
	select {
	case <-plain.Dropped:
		t.Fatal("a subscriber without a byte bound was dropped")
	default:
	}
}
