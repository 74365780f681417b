package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"

	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/switchboard/switchboard/migrations"
)

// Every PostgreSQL connection waits at most LockTimeout for a lock and runs
// a statement for at most StatementTimeout, unless the connection string
// sets them (e.g. postgres://…?statement_timeout=60000): a write stuck
// behind a lock fails (and is retried or reported) instead of holding its
// turn forever. Migrations run without the statement limit.
const (
	LockTimeout      = "5s"
	StatementTimeout = "30s"
)

// PostgresConfig parses a PostgreSQL connection string and sets
// lock_timeout and statement_timeout unless it sets them itself.
func PostgresConfig(dsn string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	for k, v := range map[string]string{"lock_timeout": LockTimeout, "statement_timeout": StatementTimeout} {
		if _, ok := cfg.RuntimeParams[k]; !ok {
			cfg.RuntimeParams[k] = v
		}
	}
	return cfg, nil
}

// openPostgres opens a pool on dsn with PostgresConfig's settings; a pool
// for migrations has no statement limit.
func openPostgres(dsn string, migrating bool) (*sql.DB, error) {
	cfg, err := PostgresConfig(dsn)
	if err != nil {
		return nil, err
	}
	if migrating {
		cfg.RuntimeParams["statement_timeout"] = "0"
	}
	return stdlib.OpenDB(*cfg), nil
}

// migrateOnOpen applies the pending migrations (MigrateAuto) or fails when
// there are any (MigrateCheck).
func migrateOnOpen(ctx context.Context, dsn string, o Options) error {
	switch o.Migrate {
	case "", MigrateAuto:
		_, err := Migrate(ctx, dsn, o.Direct, o.Log)
		return err
	case MigrateCheck:
		pending, err := Pending(ctx, dsn, o.Direct)
		if err != nil {
			return err
		}
		if len(pending) > 0 {
			return fmt.Errorf("the database needs migrations %s: run switchboard migrate (or start with -migrate=auto)", strings.Join(pending, ", "))
		}
		return nil
	default:
		return fmt.Errorf("unknown migrate mode %q (auto or check)", o.Migrate)
	}
}

// Migrate applies the pending migrations to the database of dsn (through
// direct when set: PostgreSQL instances take turns on a session-level
// advisory lock) and returns the versions applied.
func Migrate(ctx context.Context, dsn, direct string, log *slog.Logger) ([]string, error) {
	db, d, err := migrationDB(dsn, direct)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	applied, err := migrations.Apply(ctx, db, d, log)
	if err != nil {
		return applied, fmt.Errorf("migrate the database: %w", err)
	}
	return applied, nil
}

// Pending returns the versions Migrate would apply, changing nothing.
func Pending(ctx context.Context, dsn, direct string) ([]string, error) {
	db, d, err := migrationDB(dsn, direct)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return migrations.Pending(ctx, db, d)
}

// migrationDB opens the connection migrations run on, and names its dialect.
func migrationDB(dsn, direct string) (*sql.DB, string, error) {
	if IsPostgres(dsn) {
		db, err := openPostgres(cmp.Or(direct, dsn), true)
		return db, dialect.Postgres, err
	}
	db, err := openSQLite(dsn, 1, "deferred")
	return db, dialect.SQLite, err
}
