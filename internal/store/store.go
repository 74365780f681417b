// Package store opens the database behind the ent client: SQLite by default
// (one writer connection and a pool of readers on one WAL file), PostgreSQL
// through pgx for multi-instance deployments.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "github.com/mattn/go-sqlite3"    // database/sql driver "sqlite3"

	"github.com/switchboard/switchboard/ent"
)

// WriteTimeout bounds every write transaction.
const WriteTimeout = 10 * time.Second

// Open connects to dsn (a SQLite file path, "file:..." URI, or a
// postgres:// URL), applies the pending migrations, and returns the client.
func Open(ctx context.Context, dsn string, opts ...ent.Option) (*ent.Client, error) {
	return OpenWith(ctx, dsn, Options{}, opts...)
}

// OpenWrapped is Open with the database driver passed through wrap (when not
// nil) first; tests use it to count or inspect the SQL statements run.
func OpenWrapped(ctx context.Context, dsn string, wrap func(dialect.Driver) dialect.Driver, opts ...ent.Option) (*ent.Client, error) {
	return OpenWith(ctx, dsn, Options{Wrap: wrap}, opts...)
}

// Migration modes of Options.Migrate (the -migrate flag).
const (
	// MigrateAuto applies pending migrations when the store opens.
	MigrateAuto = "auto"
	// MigrateCheck refuses to open a store with pending migrations: they are
	// applied by `switchboard migrate`.
	MigrateCheck = "check"
)

// Options are how OpenWith opens a store.
type Options struct {
	// Wrap, when set, wraps the database driver (tests count queries).
	Wrap func(dialect.Driver) dialect.Driver
	// Migrate is MigrateAuto (the default when empty) or MigrateCheck.
	Migrate string
	// Direct is a session-mode connection string to the same PostgreSQL
	// database (the -db-direct flag): migrations, the dispatcher's
	// leadership and the event listener use it. Empty means the main one.
	Direct string
	// Log receives a line per migration applied.
	Log *slog.Logger
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, dsn string, o Options, opts ...ent.Option) (*ent.Client, error) {
	drv, err := openDriver(dsn)
	if err != nil {
		return nil, err
	}
	if err := migrateOnOpen(ctx, dsn, o); err != nil {
		drv.Close()
		return nil, err
	}
	if o.Wrap != nil {
		drv = o.Wrap(drv)
	}
	return ent.NewClient(append([]ent.Option{ent.Driver(drv)}, opts...)...), nil
}

func openDriver(dsn string) (dialect.Driver, error) {
	if IsPostgres(dsn) {
		db, err := openPostgres(dsn, false)
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(20)
		return entsql.OpenDB(dialect.Postgres, db), nil
	}
	writer, err := openSQLite(dsn, 1, "immediate")
	if err != nil {
		return nil, err
	}
	reader, err := openSQLite(dsn, max(4, runtime.GOMAXPROCS(0)*2), "deferred")
	if err != nil {
		writer.Close()
		return nil, err
	}
	return &splitDriver{Driver: entsql.OpenDB(dialect.SQLite, writer), reader: entsql.OpenDB(dialect.SQLite, reader)}, nil
}

// IsPostgres reports whether dsn names a PostgreSQL database rather than a
// SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// SQLiteDSN turns a path or file: URI into the DSN Switchboard uses: WAL,
// foreign keys on, a busy timeout, a prepared-statement cache per
// connection, and the given BEGIN mode.
func SQLiteDSN(dsn, txlock string) string {
	path, query, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
	q, _ := url.ParseQuery(query)
	set := func(k, v string) {
		if q.Get(k) == "" {
			q.Set(k, v)
		}
	}
	set("_journal_mode", "WAL")
	set("_synchronous", "NORMAL")
	set("_fk", "1")
	set("_busy_timeout", "10000")
	// Every connection keeps its prepared statements: preparing was an eighth
	// of the CPU time of a busy server (switchboard bench profile).
	set("_stmt_cache_size", "256")
	q.Set("_txlock", txlock)
	return "file:" + filepath.ToSlash(path) + "?" + q.Encode()
}

func openSQLite(dsn string, conns int, txlock string) (*sql.DB, error) {
	db, err := sql.Open("sqlite3", SQLiteDSN(dsn, txlock))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(0)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
	}
	return db, nil
}

// splitDriver sends reads outside transactions to the reader pool and
// everything else to the single writer connection, so readers never queue
// behind a write and writes never contend for SQLite's lock.
type splitDriver struct {
	dialect.Driver
	reader dialect.Driver
}

// Query runs a read on the reader pool.
func (d *splitDriver) Query(ctx context.Context, query string, args, v any) error {
	return d.reader.Query(ctx, query, args, v)
}

// Close closes both pools.
func (d *splitDriver) Close() error {
	return errors.Join(d.reader.Close(), d.Driver.Close())
}

// Unwrap detaches an entity (or a slice of them) loaded in a transaction
// from it after the commit, so later queries use the client. Nil pointers and
// values that are not entities are returned as they are.
func Unwrap[T any](v T) T {
	rv := reflect.ValueOf(v)
	switch {
	case !rv.IsValid():
		return v
	case rv.Kind() == reflect.Slice:
		// ent's Unwrap detaches the entity in place.
		for i := range rv.Len() {
			if el := rv.Index(i); el.Kind() == reflect.Pointer && !el.IsNil() {
				if m := el.MethodByName("Unwrap"); m.IsValid() {
					m.Call(nil)
				}
			}
		}
		return v
	case rv.Kind() == reflect.Pointer && rv.IsNil():
		return v
	}
	if u, ok := any(v).(interface{ Unwrap() T }); ok {
		return u.Unwrap()
	}
	return v
}

// Ping checks that the database answers.
func Ping(ctx context.Context, client *ent.Client) error {
	_, err := client.Agent.Query().Limit(1).IDs(ctx)
	return err
}
