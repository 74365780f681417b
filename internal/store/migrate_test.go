package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/migrations"
)

// firstVersion builds the schema of the first migration version directly,
// as ent's automatic migration (Schema.Create) of the release before
// versioned migrations left every database, and returns its version.
func firstVersion(t *testing.T, db *sql.DB, dialect string) string {
	t.Helper()
	dir, err := migrations.Dir(dialect)
	if err != nil {
		t.Fatal(err)
	}
	files, err := dir.Files()
	if err != nil || len(files) < 2 {
		t.Fatalf("want at least two migration files: %d (%v)", len(files), err)
	}
	stmts, err := files[0].Stmts()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return files[0].Version()
}

// A database created before versioned migrations is taken as the first
// version (a baseline) and brought up to date; -migrate=check refuses it
// until then; opening it again applies nothing.
func baseline(t *testing.T, dsn, driver, dialect string) {
	ctx := auth.SystemContext(context.Background())
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	first := firstVersion(t, db, dialect)
	if _, err := store.OpenWith(ctx, dsn, store.Options{Migrate: store.MigrateCheck}); err == nil || !strings.Contains(err.Error(), "switchboard migrate") {
		t.Fatalf("check mode opened a database with pending migrations: %v", err)
	}
	applied, err := store.Migrate(ctx, dsn, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) == 0 || applied[0] == first {
		t.Fatalf("applied %v to a database at version %s", applied, first)
	}
	var base int
	if err := db.QueryRow("SELECT count(*) FROM atlas_schema_revisions WHERE version = '" + first + "' AND type = 1").Scan(&base); err != nil || base != 1 {
		t.Fatalf("no baseline revision %s (%d, %v)", first, base, err)
	}
	if again, err := store.Migrate(ctx, dsn, "", nil); err != nil || len(again) != 0 {
		t.Fatalf("migrating again applied %v (%v)", again, err)
	}
	client, err := store.OpenWith(ctx, dsn, store.Options{Migrate: store.MigrateCheck})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := client.Presence.Query().Count(ctx); err != nil {
		t.Fatalf("the newest table is missing: %v", err)
	}
}

func TestSQLiteBaseline(t *testing.T) {
	baseline(t, filepath.Join(t.TempDir(), "old.db"), "sqlite3", "sqlite3")
}

func TestPostgresBaseline(t *testing.T) {
	baseline(t, postgresSchema(t), "pgx", "postgres")
}

// Every PostgreSQL connection of the store waits at most LockTimeout for a
// lock and StatementTimeout for a statement, unless the URL says otherwise.
func TestPostgresTimeouts(t *testing.T) {
	dsn := postgresSchema(t)
	ctx := auth.SystemContext(context.Background())
	show := func(dsn string) (lock, stmt string) {
		t.Helper()
		client, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		for _, v := range []struct {
			name string
			dst  *string
		}{{"lock_timeout", &lock}, {"statement_timeout", &stmt}} {
			rows, err := client.QueryContext(ctx, "SHOW "+v.name)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				if err := rows.Scan(v.dst); err != nil {
					t.Fatal(err)
				}
			}
			rows.Close()
		}
		return lock, stmt
	}
	if lock, stmt := show(dsn); lock != store.LockTimeout || stmt != store.StatementTimeout {
		t.Fatalf("lock_timeout %s, statement_timeout %s; want %s and %s", lock, stmt, store.LockTimeout, store.StatementTimeout)
	}
	if _, stmt := show(dsn + "&statement_timeout=1min"); stmt != "1min" {
		t.Fatalf("statement_timeout %s; the URL set 1min", stmt)
	}
	cfg, err := store.PostgresConfig(dsn)
	if err != nil || cfg.RuntimeParams["lock_timeout"] != store.LockTimeout {
		t.Fatalf("the leader's and listener's connections: %v %v", cfg.RuntimeParams, err)
	}
}
