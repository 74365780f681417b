package bench_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/bench"
	"github.com/switchboard/switchboard/internal/clock"
)

// TestSmoke runs a short load against an in-process server and checks that
// it completes with zero errors; how fast is the business of the README's
// Performance section, not of a test. (Memory figures are not measured: the
// server shares the test's process.)
func TestSmoke(t *testing.T) {
	s := apitest.Start(t, func(c *app.Config) { c.Clock = clock.Real{}; c.Pprof = true })
	o := bench.DefaultOptions()
	o.URL, o.AdminEmail, o.AdminPassword = s.URL, apitest.AdminEmail, apitest.AdminPassword
	o.Agents, o.IdleAgents = 8, 20
	o.Rates = []float64{100, 0}
	o.Duration, o.Engagements = time.Second, 60
	o.Floor = 200 * time.Millisecond
	o.Drain = 10 * time.Second
	o.Timeout = time.Minute
	o.CPUProfile = filepath.Join(t.TempDir(), "cpu.pprof")
	var progress bytes.Buffer
	rep, err := bench.Run(context.Background(), o, &progress)
	var table bytes.Buffer
	bench.WriteTable(&table, rep)
	t.Logf("%s\n%s", progress.String(), table.String())
	if err != nil {
		t.Fatal(err)
	}
	if n := rep.ErrorTotal(); n > 0 {
		t.Fatalf("%d errors: %v %v", n, rep.Errors, rep.ErrorSamples)
	}
	for _, p := range rep.Phases {
		if p.Created == 0 || p.Completed != p.Created {
			t.Errorf("phase %s: created %d, completed %d", p.Name, p.Created, p.Completed)
		}
		// A lifecycle is several write transactions of several statements.
		if w := p.Work; w == nil || w.WriteTransactions < 3 || w.WriteStatements < w.WriteTransactions || w.WriterBusy <= 0 {
			t.Errorf("phase %s: server work not measured: %+v", p.Name, w)
		}
	}
	if f := rep.Floor; f == nil || len(f.Steps) != 4 || f.Steps[3].StepsPerTx != 128 || f.Steps[0].StepsPerSecond <= 0 {
		t.Errorf("step floor missing: %+v", f)
	}
	if c := rep.CPU; c == nil || len(c.Split) == 0 || len(c.Top) == 0 {
		t.Errorf("CPU profile missing: %+v", c)
	} else if _, err := os.Stat(c.File); err != nil {
		t.Errorf("CPU profile file: %v", err)
	}
	if rep.Memory.IdleAgents == nil || rep.Floor == nil || rep.Floor.TxPerSecond <= 0 {
		t.Errorf("idle-agents phase or floor missing: %+v %+v", rep.Memory, rep.Floor)
	}
}
