package store_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/store"
)

// One instance leads at a time; a takeover raises the epoch, and the old
// leader's fenced writes fail from then on.
func TestLeadershipIsExclusiveAndFenced(t *testing.T) {
	dsn := postgresSchema(t)
	ctx := auth.SystemContext(context.Background())
	client, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	w := store.NewWriter(client, events.NewBus(true), false)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	type term struct {
		who   string
		epoch int64
	}
	terms := make(chan term, 4)
	run := func(who string) context.CancelFunc {
		ctx, cancel := context.WithCancel(ctx)
		go store.Lead(ctx, dsn, log, func(ctx context.Context, epoch int64) {
			terms <- term{who, epoch}
			<-ctx.Done()
		})
		return cancel
	}
	next := func() term {
		select {
		case tm := <-terms:
			return tm
		case <-time.After(10 * time.Second):
			t.Fatal("nobody took the lead within 10 s")
			return term{}
		}
	}
	fence := func(epoch int64) error {
		return w.Do(ctx, func(ctx context.Context, tx *store.Tx) error { return store.Fence(ctx, tx, epoch) })
	}

	stopA := run("A")
	first := next()
	stopB := run("B")
	defer stopB()
	if err := fence(first.epoch); err != nil {
		t.Fatalf("the leader's own fence: %v", err)
	}
	// Only one leads: the other waits for the lock.
	select {
	case tm := <-terms:
		t.Fatalf("%s leads too (epoch %d) while %s does", tm.who, tm.epoch, first.who)
	case <-time.After(2500 * time.Millisecond): // more than two tries for the lock
	}
	if first.who == "A" {
		stopA()
	} else {
		stopB()
	}
	second := next()
	if second.who == first.who || second.epoch <= first.epoch {
		t.Fatalf("takeover %+v after %+v", second, first)
	}
	if err := fence(first.epoch); !errors.Is(err, store.ErrNotLeader) {
		t.Fatalf("the old leader's fence: %v; want ErrNotLeader", err)
	}
	if err := fence(second.epoch); err != nil {
		t.Fatalf("the new leader's fence: %v", err)
	}
	stopA()
}
