package bench

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Main runs `switchboard bench` with args: it prints the report to stdout
// (a table, or JSON with -json) and progress to stderr, and fails when the
// run counted any error.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, asJSON, err := ParseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	rep, err := Run(ctx, o, stderr)
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if jerr := enc.Encode(rep); jerr != nil {
			return jerr
		}
	} else {
		WriteTable(stdout, rep)
	}
	if err != nil {
		return err
	}
	if n := rep.ErrorTotal(); n > 0 {
		return fmt.Errorf("the run counted %d errors", n)
	}
	return nil
}

// ErrorTotal is the number of errors the run counted, server error logs
// included.
func (r Report) ErrorTotal() int {
	n := r.ServerErrorLogs
	for _, v := range r.Errors {
		n += v
	}
	return n
}

// WriteTable prints the report as aligned tables.
func WriteTable(w io.Writer, r Report) {
	m := r.Machine
	fmt.Fprintf(w, "machine: %s, %d cores (GOMAXPROCS %d), %d MB, %s/%s, %s\n", m.CPU, m.Cores, m.GOMAXPROCS, m.MemoryMB, m.GOOS, m.GOARCH, m.GoVersion)
	o := r.Options
	fmt.Fprintf(w, "server: %s; %d agents, think %gms, phases of %s (at most %d engagements, %d open), mix %s; setup %.1fs, run %.1fs\n\n",
		r.Server, o.Agents, o.ThinkMs, o.Duration, o.Engagements, o.MaxOpen, mixName(o.Channels), r.SetupSeconds, r.Seconds)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tcreated\tcompleted\tlifecycles/s\tring p50\tp95\tp99\tmax\tassign p99\tcreate p99\tserver cores\tgen cores\t")
	for _, p := range r.Phases {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%.2f ms\t%.2f ms\t%.2f ms\t%.2f ms\t%.2f ms\t%.2f ms\t%.2f\t%.2f\t\n",
			p.Name, p.Created, p.Completed, p.LifecyclesPerSecond, p.Ring.P50, p.Ring.P95, p.Ring.P99, p.Ring.Max,
			p.Assign.P99, p.Create.P99, p.ServerCores, p.GeneratorCores)
	}
	tw.Flush()
	fmt.Fprintln(w, "(ring: createEngagement response -> offer.created frame at the agent; from the request instead:")
	for _, p := range r.Phases {
		fmt.Fprintf(w, "  %s p50 %.2f / p99 %.2f / max %.2f ms)\n", p.Name, p.RingFromRequest.P50, p.RingFromRequest.P99, p.RingFromRequest.Max)
	}
	fmt.Fprintln(w)
	if s := r.Soak; s != nil {
		fmt.Fprintf(w, "soak (phase \"soak %s\", beside a repeat of %s): %d slow HTTP clients, %d silent websockets (dropped by the server %d times), %d customers flooding unread chats (%d maximal messages stored, %d refused by the rate limit)\n\n",
			s.Phase, s.Phase, s.SlowClients, s.SilentSockets, s.Dropped, s.Customers, s.Posted, s.Refused)
	}
	writeWork(w, r)

	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	mem := r.Memory
	fmt.Fprintf(tw, "server RSS, fresh\t%s\n", mb(mem.Baseline))
	fmt.Fprintf(tw, "server RSS, %d agents connected, idle\t%s\t(%s per agent)\n", o.Agents, mb(mem.Idle), kb(mem.PerAgent, mem.Idle))
	fmt.Fprintf(tw, "server RSS, under load (peak)\t%s\n", mb(mem.LoadPeak))
	if ip := mem.IdleAgents; ip != nil {
		fmt.Fprintf(tw, "server RSS, %d idle subscribed agents\t%s\t(%s per agent; fresh server %s; setup %.1fs)\n",
			ip.Agents, mb(ip.RSS), kb(ip.PerAgent, ip.RSS), mb(ip.Baseline), ip.Seconds)
	}
	if f := r.Floor; f != nil {
		fmt.Fprintf(tw, "SQLite floor (1-row write tx, same disk and DSN)\t%.0f tx/s\n", f.TxPerSecond)
		fmt.Fprintf(tw, "best lifecycles/s over floor tx/s\t%.3f\t(a lifecycle is 5 write transactions: create, ring, accept, end, wrap-up)\n", r.FloorRatio)
	}
	tw.Flush()
	fmt.Fprintln(w)
	writeFloorSteps(w, r.Floor)
	writeCPU(w, r.CPU)

	if len(r.Errors) == 0 && r.ServerErrorLogs == 0 {
		fmt.Fprintln(w, "errors: none")
		return
	}
	fmt.Fprintf(w, "errors: %d\n", r.ErrorTotal())
	for _, code := range sortedKeys(r.Errors) {
		fmt.Fprintf(w, "  %-20s %6d  e.g. %s\n", code, r.Errors[code], r.ErrorSamples[code])
	}
	if r.ServerErrorLogs > 0 {
		fmt.Fprintf(w, "  %-20s %6d\n", "server ERROR logs", r.ServerErrorLogs)
		for _, line := range r.ServerErrorSamples {
			fmt.Fprintf(w, "    %s\n", line)
		}
	}
}

func mixName(ws []ChannelWeight) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = fmt.Sprintf("%s:%d", w.Channel, w.Weight)
	}
	return strings.Join(parts, ",")
}

func mb(b int64) string {
	if b <= 0 {
		return "not measured"
	}
	return fmt.Sprintf("%.1f MB", float64(b)/(1<<20))
}

func kb(b, measured int64) string {
	if measured <= 0 {
		return "not measured"
	}
	return fmt.Sprintf("%.1f KB", float64(b)/(1<<10))
}

// writeWork prints the server's work per lifecycle, phase by phase.
func writeWork(w io.Writer, r Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\twrite tx/lifecycle\twrite statements/lifecycle\treads/lifecycle\twriter busy\ttx held\t")
	for _, p := range r.Phases {
		if p.Work == nil {
			fmt.Fprintf(tw, "%s\tnot measured\t\t\t\t\t\n", p.Name)
			continue
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%.1f\t%.1f\t%.0f%%\t%.0f µs\t\n", p.Name, p.Work.WriteTransactions,
			p.Work.WriteStatements, p.Work.ReadStatements, 100*p.Work.WriterBusy, p.Work.HoldMicros)
	}
	tw.Flush()
	fmt.Fprintln(w, "(server counters from /metrics over the phase, per completed lifecycle; statements exclude BEGIN and COMMIT)")
	fmt.Fprintln(w)
}

// writeFloorSteps prints the step floor.
func writeFloorSteps(w io.Writer, f *Floor) {
	if f == nil || len(f.Steps) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "step floor: steps/tx\tsteps/s\tlifecycles/s (5 steps)\t")
	for _, s := range f.Steps {
		fmt.Fprintf(tw, "%d\t%.0f\t%.0f\t\n", s.StepsPerTx, s.StepsPerSecond, s.LifecyclesPerSecond)
	}
	tw.Flush()
	fmt.Fprintln(w, "(a step: one conditional UPDATE checked by its affected rows and one event INSERT, same DSN)")
	fmt.Fprintln(w)
}

// writeCPU prints the CPU split of the server's profile.
func writeCPU(w io.Writer, p *CPUProfile) {
	if p == nil {
		return
	}
	fmt.Fprintf(w, "server CPU profile of the last phase: %s (%.0fs, %.2f cores)\n", p.File, p.Seconds, p.Cores)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range p.Split {
		fmt.Fprintf(tw, "  %s\t%5.1f%%\n", s.Part, 100*s.Share)
	}
	fmt.Fprintln(tw, "  top functions (own time):\t")
	for _, s := range p.Top {
		fmt.Fprintf(tw, "    %s\t%5.1f%%\n", s.Part, 100*s.Share)
	}
	tw.Flush()
	fmt.Fprintln(w)
}
