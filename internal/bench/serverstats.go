package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// serverCounters are the server's own counters (its /metrics) at a moment:
// write transactions and the time they held the writer, and SQL statements
// on the writer and on the reader pool.
type serverCounters struct {
	writeTx, writerBusy, writeStatements, readStatements float64
}

// Work is what the server did per completed lifecycle during a phase, from
// its /metrics before and after.
type Work struct {
	// WriteTransactions and WriteStatements are per completed lifecycle;
	// statements count everything sent inside write transactions (BEGIN
	// and COMMIT excluded).
	WriteTransactions float64 `json:"writeTransactionsPerLifecycle"`
	WriteStatements   float64 `json:"writeStatementsPerLifecycle"`
	// ReadStatements ran on the reader pool (the dispatcher's reloads,
	// authentication, resolvers reading rows).
	ReadStatements float64 `json:"readStatementsPerLifecycle"`
	// WriterBusy is the share of the phase's wall time a write transaction
	// was open (on SQLite: the one writer was held).
	WriterBusy float64 `json:"writerBusy"`
	// HoldMicros is the mean time a write transaction was open.
	HoldMicros float64 `json:"holdMicrosPerTransaction"`
}

// work is the difference of two readings over completed lifecycles and
// seconds of wall time.
func work(a, b serverCounters, completed int, seconds float64) *Work {
	if completed == 0 || seconds <= 0 {
		return nil
	}
	n := float64(completed)
	w := &Work{
		WriteTransactions: (b.writeTx - a.writeTx) / n,
		WriteStatements:   (b.writeStatements - a.writeStatements) / n,
		ReadStatements:    (b.readStatements - a.readStatements) / n,
		WriterBusy:        (b.writerBusy - a.writerBusy) / seconds,
	}
	if tx := b.writeTx - a.writeTx; tx > 0 {
		w.HoldMicros = (b.writerBusy - a.writerBusy) / tx * 1e6
	}
	return w
}

// metricsURL is where the server at the GraphQL endpoint target serves
// /metrics (given, or on the same address).
func metricsURL(target, given string) string {
	if given != "" {
		return given
	}
	u, err := url.Parse(target)
	if err != nil {
		return ""
	}
	u.Path, u.RawQuery = "/metrics", ""
	return u.String()
}

// scrape reads the counters from the Prometheus text at metrics.
func scrape(ctx context.Context, metrics string) (serverCounters, error) {
	var c serverCounters
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metrics, nil)
	if err != nil {
		return c, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return c, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return c, fmt.Errorf("%s: %s", metrics, resp.Status)
	}
	return parseCounters(resp.Body)
}

func parseCounters(r io.Reader) (serverCounters, error) {
	var c serverCounters
	targets := map[string]*float64{
		"switchboard_write_transaction_hold_seconds_count": &c.writeTx,
		"switchboard_write_transaction_hold_seconds_sum":   &c.writerBusy,
		`switchboard_sql_statements_total{conn="write"}`:   &c.writeStatements,
		`switchboard_sql_statements_total{conn="read"}`:    &c.readStatements,
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	found := 0
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if dst := targets[name]; ok && dst != nil {
			v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
			if err != nil {
				return c, fmt.Errorf("metric %s: %w", name, err)
			}
			*dst = v
			found++
		}
	}
	if err := sc.Err(); err != nil {
		return c, err
	}
	if found < len(targets) {
		return c, fmt.Errorf("the server's /metrics lacks the write-transaction and statement counters (%d of %d found)", found, len(targets))
	}
	return c, nil
}
