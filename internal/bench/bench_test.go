package bench_test

import (
	"bytes"
	"context"
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
	s := apitest.Start(t, func(c *app.Config) { c.Clock = clock.Real{} })
	o := bench.DefaultOptions()
	o.URL, o.AdminEmail, o.AdminPassword = s.URL, apitest.AdminEmail, apitest.AdminPassword
	o.Agents, o.IdleAgents = 8, 20
	o.Rates = []float64{100, 0}
	o.Duration, o.Engagements = time.Second, 60
	o.Floor = 200 * time.Millisecond
	o.Drain = 10 * time.Second
	o.Timeout = time.Minute
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
	}
	if rep.Memory.IdleAgents == nil || rep.Floor == nil || rep.Floor.TxPerSecond <= 0 {
		t.Errorf("idle-agents phase or floor missing: %+v %+v", rep.Memory, rep.Floor)
	}
}
