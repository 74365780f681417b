package bench_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/switchboard/switchboard/internal/store"
)

// A dataset is a SQLite file of a contact center that has stored many
// engagements: 1,000 agents in 10 queues, 50,000 customers, 2,000 waiting
// engagements, three open ones per agent and the rest closed (95%) or
// abandoned, a year of them; 20,000 completed transfers.
const (
	datasetAgents    = 1000
	datasetQueues    = 10
	datasetCustomers = 50000
	datasetQueued    = 2000
	datasetOpen      = 3 // per agent
	datasetTransfers = 20000
	// datasetPassword is every dataset agent's password; the supervisor
	// is supervisor@dataset.example, agent i is agent-<i>@dataset.example.
	datasetPassword = "dataset-password"
	// datasetVersion changes when the generator does.
	datasetVersion = "1"
)

// dataset returns the path of a dataset of n engagements. Generating one
// takes a while, so it is kept in os.TempDir, named by the hash of the
// schema it was made for, and reused while the schema stays the same.
func dataset(tb testing.TB, n int) string {
	tb.Helper()
	ctx := context.Background()
	schema, err := schemaHash(ctx, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("switchboard-dataset-%d-%s.db", n, schema))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	start := time.Now()
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	defer removeDB(tmp)
	if err := generate(ctx, tmp, n); err != nil {
		tb.Fatalf("generate dataset: %v", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("generated %s (%d engagements) in %s", path, n, time.Since(start).Round(time.Millisecond))
	return path
}

// schemaHash hashes the SQL of a freshly migrated database.
func schemaHash(ctx context.Context, dir string) (string, error) {
	path := filepath.Join(dir, "schema.db")
	c, err := store.Open(ctx, path)
	if err != nil {
		return "", err
	}
	c.Close()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		return "", err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT coalesce(sql, '') FROM sqlite_master ORDER BY name`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	h := sha256.New()
	io.WriteString(h, datasetVersion)
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return "", err
		}
		io.WriteString(h, s)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], rows.Err()
}

// copyDataset copies a dataset into dir, so a benchmark may write to it
// (logins, the dispatcher) without changing the cached file.
func copyDataset(tb testing.TB, src, dir string) string {
	tb.Helper()
	dst := filepath.Join(dir, "dataset.db")
	in, err := os.Open(src)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		tb.Fatal(err)
	}
	if err := out.Close(); err != nil {
		tb.Fatal(err)
	}
	return dst
}

func removeDB(path string) {
	for _, s := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(path + s)
	}
}

// generate migrates a new file and fills it with one multi-row INSERT per
// batch inside a single transaction, without a journal.
func generate(ctx context.Context, path string, n int) error {
	c, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	c.Close()
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=OFF&_synchronous=OFF&_fk=0")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	g := &generator{ctx: ctx, tx: tx, rng: rand.New(rand.NewPCG(1, 2)), now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	if err := g.fill(n); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `PRAGMA journal_mode=WAL`)
	return err
}

type generator struct {
	ctx context.Context
	tx  *sql.Tx
	rng *rand.Rand
	now time.Time
	// first IDs of each table (ent's global ID ranges).
	agent0, queue0, customer0, engagement0 int64
}

// insert adds rows with multi-row INSERTs of up to 500 rows.
func (g *generator) insert(table string, cols []string, n int, row func(i int) []any) error {
	const batch = 500
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	for start := 0; start < n; start += batch {
		k := min(batch, n-start)
		q := fmt.Sprintf("INSERT INTO %s (%s) VALUES %s", table, strings.Join(cols, ","),
			strings.TrimSuffix(strings.Repeat(one+",", k), ","))
		args := make([]any, 0, k*len(cols))
		for i := start; i < start+k; i++ {
			args = append(args, row(i)...)
		}
		if _, err := g.tx.ExecContext(g.ctx, q, args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

func (g *generator) first(table string) (int64, error) {
	var seq int64
	err := g.tx.QueryRowContext(g.ctx, `SELECT seq FROM sqlite_sequence WHERE name = ?`, table).Scan(&seq)
	return seq + 1, err
}

func (g *generator) fill(n int) error {
	var err error
	for _, t := range []struct {
		name string
		dst  *int64
	}{{"agents", &g.agent0}, {"queues", &g.queue0}, {"customers", &g.customer0}, {"engagements", &g.engagement0}} {
		if *t.dst, err = g.first(t.name); err != nil {
			return err
		}
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(datasetPassword), bcrypt.MinCost)
	if err != nil {
		return err
	}
	now := g.now
	if err := g.insert("queues", []string{"created_at", "updated_at", "name"}, datasetQueues, func(i int) []any {
		return []any{now, now, fmt.Sprintf("Queue %d", i)}
	}); err != nil {
		return err
	}
	if err := g.insert("agents", []string{"created_at", "updated_at", "name", "email", "password_hash", "role"}, datasetAgents+1, func(i int) []any {
		if i == datasetAgents {
			return []any{now, now, "Supervisor", "supervisor@dataset.example", string(hash), "SUPERVISOR"}
		}
		return []any{now, now, fmt.Sprintf("Agent %d", i), fmt.Sprintf("agent-%d@dataset.example", i), string(hash), "AGENT"}
	}); err != nil {
		return err
	}
	if err := g.insert("agent_queues", []string{"agent_id", "queue_id"}, 2*datasetAgents, func(i int) []any {
		return []any{g.agent0 + int64(i/2), g.queue0 + int64((i/2+i%2*5)%datasetQueues)}
	}); err != nil {
		return err
	}
	if err := g.insert("customers", []string{"created_at", "updated_at", "name", "phones", "emails"}, datasetCustomers, func(i int) []any {
		return []any{now, now, fmt.Sprintf("Customer %d", i), fmt.Sprintf(`["+1555%07d"]`, i), fmt.Sprintf(`["customer-%d@dataset.example"]`, i)}
	}); err != nil {
		return err
	}
	channels := []string{"CHAT", "CHAT", "VOICE", "EMAIL", "SMS"}
	cols := []string{"created_at", "updated_at", "channel", "state", "queued_at", "connected_at", "closed_at",
		"handle_ms", "customer_id", "queue_id", "agent_id", "menu_path", "flow_variables", "bot_summary"}
	open := datasetAgents * datasetOpen
	if err := g.insert("engagements", cols, n, func(i int) []any {
		at := now.Add(-time.Duration(n-i) * 30 * time.Second) // a year of engagements for a million
		ch := channels[i%len(channels)]
		customer := g.customer0 + int64(g.rng.IntN(datasetCustomers))
		queue := g.queue0 + int64(i%datasetQueues)
		flow := fmt.Sprintf(`{"orderId":"A-%d"}`, i)
		switch {
		case i >= n-datasetQueued: // the newest wait
			return []any{at, at, ch, "QUEUED", at, nil, nil, 0, customer, queue, nil, "Support", flow, "waiting"}
		case i >= n-datasetQueued-open: // then every agent's open ones
			k := n - datasetQueued - 1 - i
			state := []string{"CONNECTED", "WRAP_UP", "PARKED"}[k/datasetAgents%3]
			if state == "PARKED" {
				ch = "CHAT"
			}
			return []any{at, at, ch, state, at, at, nil, 0, customer, queue, g.agent0 + int64(k%datasetAgents), "Support", flow, "open"}
		case g.rng.IntN(20) == 0:
			return []any{at, at, ch, "ABANDONED", at, nil, at.Add(time.Minute), 0, customer, queue, nil, "Support", flow, "abandoned"}
		}
		agent := g.agent0 + int64(g.rng.IntN(datasetAgents))
		return []any{at, at, ch, "CLOSED", at, at.Add(time.Minute), at.Add(6 * time.Minute), 300000, customer, queue, agent, "Support", flow, "closed"}
	}); err != nil {
		return err
	}
	closed := n - datasetQueued - open
	return g.insert("transfers", []string{"created_at", "updated_at", "state", "ended_at", "sender_wrapped_up_at", "engagement_id", "from_agent_id", "to_queue_id"},
		min(datasetTransfers, closed), func(i int) []any {
			eg := g.engagement0 + int64(g.rng.IntN(closed))
			return []any{now, now, "COMPLETED", now, now, eg, g.agent0 + int64(g.rng.IntN(datasetAgents)), g.queue0}
		})
}
