package migrations

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"
	"github.com/jackc/pgx/v5/stdlib"

	entmigrate "github.com/switchboard/switchboard/ent/migrate"
)

// Diff writes a new migration file named name into dir with what the ent
// schema (ent/schema) has that the files already in dir do not. It replays
// dir on devURL, an empty scratch database of the dialect (SQLiteDevURL, or
// a PostgreSQL URL whose search_path names an empty schema), and writes
// nothing when they agree. PostgreSQL is reached through the database/sql
// driver name "postgres" (RegisterPostgres).
func Diff(ctx context.Context, devURL string, dir migrate.Dir, name string) error {
	d := dialect.Postgres
	if strings.HasPrefix(devURL, "sqlite://") {
		d = dialect.SQLite
	}
	m, err := schema.NewMigrateURL(devURL,
		schema.WithDir(dir),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(d),
		schema.WithFormatter(migrate.DefaultFormatter),
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
	)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	return m.NamedDiff(ctx, name, entmigrate.Tables...)
}

// SQLiteDevURL is a scratch SQLite database in memory for Diff.
const SQLiteDevURL = "sqlite://diff?mode=memory&_fk=1"

// RegisterPostgres registers pgx as the database/sql driver "postgres",
// the name Atlas opens PostgreSQL URLs with, unless a driver has it.
func RegisterPostgres() {
	if !slices.Contains(sql.Drivers(), "postgres") {
		sql.Register("postgres", stdlib.GetDefaultDriver())
	}
}
