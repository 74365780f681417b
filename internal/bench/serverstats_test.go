package bench

import (
	"strings"
	"testing"
)

func TestParseCounters(t *testing.T) {
	text := `# HELP switchboard_sql_statements_total SQL statements run.
# TYPE switchboard_sql_statements_total counter
switchboard_sql_statements_total{conn="read"} 250
switchboard_sql_statements_total{conn="write"} 410
switchboard_write_transaction_hold_seconds_bucket{le="0.0001"} 3
switchboard_write_transaction_hold_seconds_sum 0.5
switchboard_write_transaction_hold_seconds_count 50
`
	c, err := parseCounters(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if c != (serverCounters{writeTx: 50, writerBusy: 0.5, writeStatements: 410, readStatements: 250}) {
		t.Fatalf("counters %+v", c)
	}
	w := work(serverCounters{}, c, 10, 2)
	if w.WriteTransactions != 5 || w.WriteStatements != 41 || w.ReadStatements != 25 || w.WriterBusy != 0.25 || w.HoldMicros != 10000 {
		t.Fatalf("work %+v", w)
	}
	if _, err := parseCounters(strings.NewReader("switchboard_sql_statements_total{conn=\"read\"} 1\n")); err == nil {
		t.Fatal("a /metrics without the counters was accepted")
	}
}

func TestPartOf(t *testing.T) {
	for _, c := range []struct {
		stack []string
		want  string
	}{
		{[]string{"runtime.cgocall", "github.com/mattn/go-sqlite3.(*SQLiteStmt).exec", "entgo.io/ent/dialect/sql.(*Selector).Query"}, "SQLite (driver and C)"},
		{[]string{"runtime.mallocgc", "entgo.io/ent/dialect/sql.(*Builder).Quote", "github.com/switchboard/switchboard/internal/engine.(*writer).move"}, "ent SQL building and scanning"},
		{[]string{"runtime.scanobject", "runtime.gcDrain", "runtime.gcBgMarkWorker"}, "GC (background and assists)"},
		{[]string{"runtime.memmove", "github.com/vektah/gqlparser/v2/parser.ParseQuery"}, "GraphQL"},
		{[]string{"runtime.futex", "runtime.schedule"}, "runtime and other"},
	} {
		if got := partOf(c.stack); got != c.want {
			t.Errorf("%v: %s, want %s", c.stack, got, c.want)
		}
	}
}
