package migrations

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	"ariga.io/atlas/sql/sqlite"
)

//go:embed sqlite/*.sql sqlite/atlas.sum postgres/*.sql postgres/atlas.sum
var files embed.FS

// applyLock is the advisory lock key space that instances migrating one
// PostgreSQL schema at the same time take turns on (the key within it is
// the schema's).
const applyLock int32 = 0x5342_4d49

// baselineTable is a table every database made by Switchboard has: one that
// has it but no revision table was created by ent's automatic migration
// (Schema.Create) of an earlier release, which the first version is.
const baselineTable = "events"

// Dir returns the migration directory of a store: "sqlite3" or "postgres"
// (ent's dialect names).
func Dir(dialect string) (migrate.Dir, error) {
	sub := "sqlite"
	if dialect == "postgres" {
		sub = "postgres"
	}
	entries, err := fs.ReadDir(files, sub)
	if err != nil {
		return nil, err
	}
	dir := migrate.OpenMemDir("switchboard-" + sub)
	for _, e := range entries {
		b, err := fs.ReadFile(files, sub+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		if err := dir.WriteFile(e.Name(), b); err != nil {
			return nil, err
		}
	}
	return dir, nil
}

// Apply brings the database of db up to the newest migration, one file per
// transaction, and returns the versions it applied. On PostgreSQL, instances
// starting together take turns (an advisory lock held by the connection
// that migrates: db must reach PostgreSQL directly, not through a
// transaction-mode pooler). A database created by an earlier release's
// automatic migration is recorded at the first version (a baseline) first.
func Apply(ctx context.Context, db *sql.DB, dialect string, log *slog.Logger) ([]string, error) {
	return run(ctx, db, dialect, log, true)
}

// Pending returns the versions Apply would apply, changing nothing.
func Pending(ctx context.Context, db *sql.DB, dialect string) ([]string, error) {
	return run(ctx, db, dialect, nil, false)
}

func run(ctx context.Context, db *sql.DB, dialect string, log *slog.Logger, apply bool) ([]string, error) {
	dir, err := Dir(dialect)
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	pg := dialect == "postgres"
	if pg {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1, hashtext(current_schema()))", applyLock); err != nil {
			return nil, fmt.Errorf("migrations: wait for other instances: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1, hashtext(current_schema()))", applyLock)
	}
	rev := &revisions{pg: pg}
	var done []string
	for {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return done, err
		}
		rev.tx = tx
		v, err := step(ctx, tx, dir, rev, pg, apply)
		if err != nil || !apply {
			tx.Rollback()
			return append(done, v...), err
		}
		if err := tx.Commit(); err != nil {
			return done, err
		}
		if len(v) == 0 {
			return done, nil
		}
		if log != nil {
			log.Info("migrated the database", "version", v[0])
		}
		done = append(done, v...)
	}
}

// step applies the first pending file in tx and returns its version, or,
// when apply is false, returns every pending version. It returns none when
// the database is up to date.
func step(ctx context.Context, tx *sql.Tx, dir migrate.Dir, rev *revisions, pg, apply bool) ([]string, error) {
	if err := rev.create(ctx); err != nil {
		return nil, err
	}
	var drv migrate.Driver
	var err error
	if pg {
		drv, err = postgres.Open(tx)
	} else {
		drv, err = sqlite.Open(tx)
	}
	if err != nil {
		return nil, err
	}
	opts := []migrate.ExecutorOption{migrate.WithOperatorVersion("switchboard")}
	if base, err := rev.baseline(ctx); err != nil {
		return nil, err
	} else if base {
		all, err := dir.Files()
		if err != nil || len(all) == 0 {
			return nil, errors.Join(err, errors.New("migrations: no migration files"))
		}
		opts = append(opts, migrate.WithBaselineVersion(all[0].Version()))
	} else {
		opts = append(opts, migrate.WithAllowDirty(true))
	}
	ex, err := migrate.NewExecutor(anyState{drv}, dir, rev, opts...)
	if err != nil {
		return nil, err
	}
	pending, err := ex.Pending(ctx)
	switch {
	case errors.Is(err, migrate.ErrNoPendingFiles):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("migrations: %w", err)
	case !apply:
		v := make([]string, len(pending))
		for i, f := range pending {
			v[i] = f.Version()
		}
		return v, nil
	}
	if err := ex.Execute(ctx, pending[0]); err != nil {
		return nil, fmt.Errorf("migrations: apply %s: %w", pending[0].Name(), err)
	}
	return []string{pending[0].Version()}, nil
}

// anyState skips Atlas's check that a database without revisions is empty:
// it would inspect every schema of a PostgreSQL database. Apply decides
// itself whether an existing database is taken as the first version
// (revisions.baseline).
type anyState struct{ migrate.Driver }

// CheckClean accepts any database.
func (anyState) CheckClean(context.Context, *migrate.TableIdent) error { return nil }

// revisionTable records the applied migrations.
const revisionTable = "atlas_schema_revisions"

// placeholder is PostgreSQL's numbered parameter, which SQLite writes "?".
var placeholder = regexp.MustCompile(`\$[0-9]+`)

// revisions is Atlas's record of applied migrations, kept in revisionTable
// inside the migrating transaction.
type revisions struct {
	tx *sql.Tx
	pg bool
}

func (r *revisions) q(query string) string {
	if r.pg {
		return query
	}
	return placeholder.ReplaceAllString(query, "?")
}

func (r *revisions) create(ctx context.Context) error {
	_, err := r.tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+revisionTable+` (
		version varchar(255) PRIMARY KEY, description text NOT NULL, type bigint NOT NULL,
		applied bigint NOT NULL, total bigint NOT NULL, executed_at bigint NOT NULL, execution_time bigint NOT NULL,
		error text NOT NULL, error_stmt text NOT NULL, hash text NOT NULL, partial_hashes text NOT NULL,
		operator_version text NOT NULL)`)
	return err
}

// baseline reports whether the database has no revisions yet but has
// Switchboard's tables: one made by ent's automatic migration.
func (r *revisions) baseline(ctx context.Context) (bool, error) {
	var n int
	if err := r.tx.QueryRowContext(ctx, "SELECT count(*) FROM "+revisionTable).Scan(&n); err != nil || n > 0 {
		return false, err
	}
	query := "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1"
	if r.pg {
		query = "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = $1"
	}
	err := r.tx.QueryRowContext(ctx, r.q(query), baselineTable).Scan(&n)
	return n > 0, err
}

// Ident names the revision table.
func (r *revisions) Ident() *migrate.TableIdent { return &migrate.TableIdent{Name: revisionTable} }

const revisionColumns = "version, description, type, applied, total, executed_at, execution_time, error, error_stmt, hash, partial_hashes, operator_version"

// ReadRevisions returns every revision, oldest version first.
func (r *revisions) ReadRevisions(ctx context.Context) ([]*migrate.Revision, error) {
	rows, err := r.tx.QueryContext(ctx, "SELECT "+revisionColumns+" FROM "+revisionTable+" ORDER BY version")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*migrate.Revision
	for rows.Next() {
		v, err := scanRevision(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// ReadRevision returns one revision, or migrate.ErrRevisionNotExist.
func (r *revisions) ReadRevision(ctx context.Context, version string) (*migrate.Revision, error) {
	v, err := scanRevision(r.tx.QueryRowContext(ctx, r.q("SELECT "+revisionColumns+" FROM "+revisionTable+" WHERE version = $1"), version))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, migrate.ErrRevisionNotExist
	}
	return v, err
}

// WriteRevision inserts or replaces a revision.
func (r *revisions) WriteRevision(ctx context.Context, v *migrate.Revision) error {
	if _, err := r.tx.ExecContext(ctx, r.q("DELETE FROM "+revisionTable+" WHERE version = $1"), v.Version); err != nil {
		return err
	}
	_, err := r.tx.ExecContext(ctx, r.q("INSERT INTO "+revisionTable+" ("+revisionColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"),
		v.Version, v.Description, int64(v.Type), v.Applied, v.Total, v.ExecutedAt.UnixNano(), int64(v.ExecutionTime),
		v.Error, v.ErrorStmt, v.Hash, strings.Join(v.PartialHashes, ","), v.OperatorVersion)
	return err
}

// DeleteRevision removes a revision.
func (r *revisions) DeleteRevision(ctx context.Context, version string) error {
	_, err := r.tx.ExecContext(ctx, r.q("DELETE FROM "+revisionTable+" WHERE version = $1"), version)
	return err
}

func scanRevision(row interface{ Scan(...any) error }) (*migrate.Revision, error) {
	var v migrate.Revision
	var typ, executed, took int64
	var partial string
	err := row.Scan(&v.Version, &v.Description, &typ, &v.Applied, &v.Total, &executed, &took,
		&v.Error, &v.ErrorStmt, &v.Hash, &partial, &v.OperatorVersion)
	if err != nil {
		return nil, err
	}
	v.Type = migrate.RevisionType(typ)
	v.ExecutedAt = time.Unix(0, executed)
	v.ExecutionTime = time.Duration(took)
	if partial != "" {
		v.PartialHashes = strings.Split(partial, ",")
	}
	return &v, nil
}
