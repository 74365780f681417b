package events_test

import (
	"context"
	"sync"
	"testing"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/event"
	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/store"
)

// postgres opens a schema of the test's own (apitest.Postgres).
func postgres(t *testing.T) *ent.Client {
	t.Helper()
	client, err := store.Open(context.Background(), apitest.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

// Event order is commit order on PostgreSQL: many writers commit events at
// once while a reader follows the table with a cursor, as another instance
// catching up would (WHERE id > cursor). It sees every event exactly once:
// none is committed below a cursor that has passed it.
func TestPostgresEventOrderIsCommitOrder(t *testing.T) {
	client := postgres(t)
	bus := events.NewBus(true)
	ctx := context.Background()
	const writers, txs = 8, 60

	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for i := range txs {
				tx, err := client.Tx(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				var b events.Batch
				for j := range 1 + (w+i)%3 {
					b.Append(events.Event{Topic: "test.order", Payload: map[string]any{"w": w, "i": i, "j": j}})
				}
				if err := bus.Commit(ctx, tx, &b); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	go func() { wg.Wait(); close(done) }()

	seen := map[int]int{}
	cursor := 0
	read := func() {
		ids, err := client.Event.Query().Where(event.IDGT(cursor)).Order(ent.Asc(event.FieldID)).IDs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			seen[id]++
			cursor = id
		}
	}
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		read()
	}
	read()

	all, err := client.Event.Query().IDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	missed := 0
	for _, id := range all {
		switch seen[id] {
		case 1:
		case 0:
			missed++
		default:
			t.Errorf("event %d read %d times", id, seen[id])
		}
	}
	if missed > 0 {
		t.Fatalf("the reader skipped %d of %d events: they committed below its cursor", missed, len(all))
	}
	if len(all) == 0 {
		t.Fatal("no events written")
	}
}
