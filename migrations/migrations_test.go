package migrations_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"ariga.io/atlas/sql/migrate"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/migrations"
)

// drift replays the committed migrations of dialect on devURL and fails
// when the ent schema has anything they do not build (Diff would write a
// file): run `go run ./migrations/generate.go -name <change>`.
func drift(t *testing.T, dialect, devURL string) {
	t.Helper()
	src, err := migrations.Dir(dialect)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	files, err := src.Files()
	if err != nil || len(files) == 0 {
		t.Fatalf("no migration files (%v)", err)
	}
	sum, err := fs.ReadFile(src, migrate.HashFileName)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, migrate.HashFileName), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(tmp, f.Name()), f.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir, err := migrate.NewLocalDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrations.Diff(context.Background(), devURL, dir, "drift"); err != nil {
		t.Fatal(err)
	}
	after, err := dir.Files()
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(files) {
		t.Fatalf("the ent schema differs from migrations/%s; run go run ./migrations/generate.go -name <change>. Missing:\n%s",
			dialect, after[len(after)-1].Bytes())
	}
}

func TestSQLiteMigrationsMatchTheEntSchema(t *testing.T) {
	drift(t, "sqlite3", migrations.SQLiteDevURL)
}

func TestPostgresMigrationsMatchTheEntSchema(t *testing.T) {
	dsn := apitest.Postgres(t)
	migrations.RegisterPostgres()
	drift(t, "postgres", dsn)
}
