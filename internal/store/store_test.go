package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/store"
)

// exercise migrates a store and checks one write and read, and that a write
// transaction commits.
func exercise(t *testing.T, dsn string) {
	ctx := auth.SystemContext(context.Background())
	client, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	w := store.NewWriter(client, events.NewBus(store.IsPostgres(dsn)), !store.IsPostgres(dsn))
	err = w.Do(ctx, func(ctx context.Context, tx *store.Tx) error {
		tx.Emit(events.Event{Topic: "test.write"})
		return tx.Agent.Create().SetName("Ann").SetEmail("ann@example.com").Exec(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := client.Agent.Query().Where(agent.Email("ann@example.com")).Only(ctx)
	if err != nil {
		t.Fatal(err)
	}
	q, err := client.Queue.Create().SetName("Support").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID>>32 == q.ID>>32 {
		t.Fatalf("agent %d and queue %d share an ID range: IDs are not globally unique", a.ID, q.ID)
	}
	if err := store.Ping(ctx, client); err != nil {
		t.Fatal(err)
	}
}

func TestSQLite(t *testing.T) {
	exercise(t, filepath.Join(t.TempDir(), "sb.db"))
}

// TestPostgres runs against the server in SWITCHBOARD_TEST_POSTGRES, in a
// schema of its own that it drops afterwards.
func TestPostgres(t *testing.T) {
	exercise(t, postgresSchema(t))
}

// postgresSchema is apitest.Postgres: a schema of the test's own.
func postgresSchema(t *testing.T) string { return apitest.Postgres(t) }
