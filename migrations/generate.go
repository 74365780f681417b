//go:build ignore

// generate writes a new migration file for each dialect when the ent schema
// (ent/schema) differs from what migrations/sqlite and migrations/postgres
// build. Run it from the repository root after changing the ent schema and
// running go generate ./...:
//
//	go run ./migrations/generate.go -name add_something
//
// PostgreSQL needs a scratch database: the server in
// SWITCHBOARD_TEST_POSTGRES (or -postgres), in a schema made and dropped
// for the run.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"ariga.io/atlas/sql/migrate"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3"
)

import "github.com/switchboard/switchboard/migrations"

func main() {
	name := flag.String("name", "changes", "name of the new migration files")
	pg := flag.String("postgres", os.Getenv("SWITCHBOARD_TEST_POSTGRES"), "PostgreSQL server for a scratch schema (default $SWITCHBOARD_TEST_POSTGRES)")
	flag.Parse()
	ctx := context.Background()
	if err := sqlite(ctx, *name); err != nil {
		log.Fatal(err)
	}
	if *pg == "" {
		log.Fatal("PostgreSQL: set SWITCHBOARD_TEST_POSTGRES or -postgres (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	if err := postgres(ctx, *pg, *name); err != nil {
		log.Fatal(err)
	}
}

func sqlite(ctx context.Context, name string) error {
	dir, err := migrate.NewLocalDir("migrations/sqlite")
	if err != nil {
		return err
	}
	return migrations.Diff(ctx, migrations.SQLiteDevURL, dir, name)
}

func postgres(ctx context.Context, dsn, name string) error {
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer admin.Close()
	scratch := fmt.Sprintf("sb_migrations_%d", time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+scratch); err != nil {
		return err
	}
	defer admin.ExecContext(context.WithoutCancel(ctx), "DROP SCHEMA "+scratch+" CASCADE")
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	dir, err := migrate.NewLocalDir("migrations/postgres")
	if err != nil {
		return err
	}
	migrations.RegisterPostgres()
	return migrations.Diff(ctx, dsn+sep+"search_path="+scratch, dir, name)
}
