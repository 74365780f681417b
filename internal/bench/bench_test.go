package bench_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
	rep := runClean(t, o)
	for _, p := range rep.Phases {
		if p.Created == 0 || p.Completed != p.Created {
			t.Errorf("phase %s: created %d, completed %d", p.Name, p.Created, p.Completed)
		}
		// A lifecycle is five write actions of several statements each;
		// group commit lets actions share a transaction, so there may be
		// fewer transactions than actions, but not fewer than one.
		if w := p.Work; w == nil || w.WriteTransactions < 1 || w.WriteStatements < 5*w.WriteTransactions || w.WriterBusy <= 0 {
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

// TestSmokeOnInstances runs a short load over two instances on one
// PostgreSQL database (-targets): no errors, and the agents spread over
// both, so both run the agents' mutations.
func TestSmokeOnInstances(t *testing.T) {
	dsn := apitest.Postgres(t)
	on := func(c *app.Config) { c.Clock, c.DatabaseURL = clock.Real{}, dsn }
	a := apitest.Start(t, on)
	b := apitest.Start(t, on)
	o := bench.DefaultOptions()
	o.Targets, o.AdminEmail, o.AdminPassword = []string{a.URL, b.URL}, apitest.AdminEmail, apitest.AdminPassword
	o.URL = a.URL
	o.Agents, o.IdleAgents, o.Floor = 8, 0, 0
	o.Rates = []float64{50}
	o.Duration, o.Engagements = time.Second, 40
	o.Drain = 20 * time.Second
	o.Timeout = time.Minute
	var progress bytes.Buffer
	rep, err := bench.Run(context.Background(), o, &progress)
	t.Log(progress.String())
	if err != nil {
		t.Fatal(err)
	}
	if n := rep.ErrorTotal(); n > 0 {
		t.Fatalf("%d errors: %v %v", n, rep.Errors, rep.ErrorSamples)
	}
	if p := rep.Phases[0]; p.Created == 0 || p.Completed != p.Created {
		t.Errorf("created %d, completed %d", p.Created, p.Completed)
	}
	for _, s := range []*apitest.Server{a, b} {
		if n := mutations(t, s); n < o.Agents/2 {
			t.Errorf("instance %s ran %d mutations: the agents were not spread", s.URL, n)
		}
	}
}

// mutations reads how many mutations a server ran
// (switchboard_graphql_operation_seconds_count).
func mutations(t *testing.T, s *apitest.Server) int {
	t.Helper()
	rec := httptest.NewRecorder()
	s.App.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(line, "switchboard_graphql_operation_seconds_count") && strings.Contains(line, `type="mutation"`) && strings.Contains(line, `outcome="ok"`) {
			f := strings.Fields(line)
			n, err := strconv.Atoi(f[len(f)-1])
			if err != nil {
				t.Fatal(line, err)
			}
			return n
		}
	}
	return 0
}

// TestSoakSmoke runs the soak phase small: its adversaries (slow and silent
// clients, customers flooding chats they never read) run beside a repeat
// of the load phase, whose lifecycles all complete with zero errors, and
// the customers' messages are stored or refused by the rate limit, never
// failed. How much the ring latency moves is the README's business.
func TestSoakSmoke(t *testing.T) {
	s := apitest.Start(t, func(c *app.Config) { c.Clock = clock.Real{} })
	o := bench.DefaultOptions()
	o.URL, o.AdminEmail, o.AdminPassword = s.URL, apitest.AdminEmail, apitest.AdminPassword
	o.Agents, o.IdleAgents, o.Floor = 8, 0, 0
	o.Rates = []float64{50}
	o.Duration, o.Engagements = time.Second, 30
	o.Drain, o.Timeout = 10*time.Second, time.Minute
	o.SoakSlow, o.SoakCustomers = 6, 2
	rep := runClean(t, o)
	if len(rep.Phases) != 2 || rep.Phases[1].Name != "soak 50/s" || rep.Phases[1].Completed != rep.Phases[1].Created {
		t.Fatalf("phases: %+v", rep.Phases)
	}
	if k := rep.Soak; k == nil || k.SlowClients+k.SilentSockets != 6 || k.Customers != 2 || k.Posted == 0 {
		t.Fatalf("soak: %+v", rep.Soak)
	}
}

// runClean runs the generator as o says, logs its progress and table, and
// fails the test unless the run completed with zero errors.
func runClean(t *testing.T, o bench.Options) bench.Report {
	t.Helper()
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
	return rep
}
