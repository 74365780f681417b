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
}

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
	return f, nil
}
