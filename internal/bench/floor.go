package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "github.com/mattn/go-sqlite3" // database/sql driver "sqlite3"

	"github.com/switchboard/switchboard/internal/store"
)

// Floor is what the store itself can do on the disk the server uses: small
// write transactions, one after another on one connection, with the DSN
// settings of internal/store (WAL, synchronous NORMAL, BEGIN IMMEDIATE).
type Floor struct {
	// TxPerSecond is committed transactions per second, each inserting one
	// 256-byte row.
	TxPerSecond  float64 `json:"txPerSecond"`
	Transactions int     `json:"transactions"`
	DSN          string  `json:"dsn"`
	// Steps are lifecycle-shaped steps (one conditional UPDATE of a row's
	// state and version, checked by its affected-row count, and one event
	// INSERT) run StepsPerTx to a transaction.
	Steps []FloorSteps `json:"steps"`
}

// FloorSteps is the step floor at one number of steps per transaction.
type FloorSteps struct {
	StepsPerTx     int     `json:"stepsPerTransaction"`
	StepsPerSecond float64 `json:"stepsPerSecond"`
	// LifecyclesPerSecond is StepsPerSecond over the five steps of a
	// lifecycle (create, ring, accept, end, wrap-up).
	LifecyclesPerSecond float64 `json:"lifecyclesPerSecond"`
}

// floorBatches are the numbers of steps per transaction measured.
var floorBatches = []int{1, 8, 32, 128}

// measureFloor runs write transactions on a scratch file in dir for d.
func measureFloor(ctx context.Context, dir string, d time.Duration) (Floor, error) {
	path := filepath.Join(dir, fmt.Sprintf("floor-%d.db", time.Now().UnixNano()))
	defer func() {
		for _, s := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(path + s)
		}
	}()
	dsn := store.SQLiteDSN(path, "immediate")
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return Floor{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE floor (id INTEGER PRIMARY KEY, payload BLOB NOT NULL, created_at DATETIME NOT NULL)`); err != nil {
		return Floor{}, err
	}
	payload := make([]byte, 256)
	_, _ = rand.Read(payload)
	f := Floor{DSN: dsn}
	start := time.Now()
	for time.Since(start) < d && ctx.Err() == nil {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return f, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO floor (payload, created_at) VALUES (?, ?)`, payload, time.Now()); err != nil {
			_ = tx.Rollback()
			return f, err
		}
		if err := tx.Commit(); err != nil {
			return f, err
		}
		f.Transactions++
	}
	f.TxPerSecond = float64(f.Transactions) / time.Since(start).Seconds()
	for _, n := range floorBatches {
		st, err := measureSteps(ctx, db, n, d/2)
		if err != nil {
			return f, fmt.Errorf("steps: %w", err)
		}
		f.Steps = append(f.Steps, st)
	}
	return f, nil
}

// stepRows are the rows the steps update in turn.
const stepRows = 1000

// measureSteps runs lifecycle-shaped steps, perTx to a transaction, for d.
func measureSteps(ctx context.Context, db *sql.DB, perTx int, d time.Duration) (FloorSteps, error) {
	for _, stmt := range []string{
		`CREATE TABLE IF NOT EXISTS step_rows (id INTEGER PRIMARY KEY, state TEXT NOT NULL, version INTEGER NOT NULL, updated_at DATETIME NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS step_events (id INTEGER PRIMARY KEY, topic TEXT NOT NULL, row_id INTEGER NOT NULL, payload BLOB NOT NULL, created_at DATETIME NOT NULL)`,
		`DELETE FROM step_rows`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return FloorSteps{}, err
		}
	}
	for i := range stepRows {
		if _, err := db.ExecContext(ctx, `INSERT INTO step_rows (id, state, version, updated_at) VALUES (?, 'A', 0, ?)`, i, time.Now()); err != nil {
			return FloorSteps{}, err
		}
	}
	versions := make([]int, stepRows)
	payload := []byte(`{"engagementID":12345,"agentID":678,"state":"B"}`)
	out := FloorSteps{StepsPerTx: perTx}
	steps, next := 0, 0
	start := time.Now()
	for time.Since(start) < d && ctx.Err() == nil {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return out, err
		}
		for range perTx {
			id := next % stepRows
			next++
			res, err := tx.ExecContext(ctx, `UPDATE step_rows SET state = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ?`,
				"B", time.Now(), id, versions[id])
			if err == nil {
				var n int64
				if n, err = res.RowsAffected(); err == nil && n != 1 {
					err = fmt.Errorf("row %d: %d rows updated", id, n)
				}
			}
			if err == nil {
				_, err = tx.ExecContext(ctx, `INSERT INTO step_events (topic, row_id, payload, created_at) VALUES (?, ?, ?, ?)`, "step", id, payload, time.Now())
			}
			if err != nil {
				_ = tx.Rollback()
				return out, err
			}
			versions[id]++
		}
		if err := tx.Commit(); err != nil {
			return out, err
		}
		steps += perTx
	}
	out.StepsPerSecond = float64(steps) / time.Since(start).Seconds()
	out.LifecyclesPerSecond = out.StepsPerSecond / 5
	return out, nil
}
