// Package bench is Switchboard's load generator (`switchboard bench`): it
// drives agents and engagements through the public GraphQL API of a running
// server (one it starts itself by default) and measures ring latency,
// lifecycle throughput, server memory and errors, next to the raw write
// rate of the store on the same disk.
//
// Every loop is bounded in count and in time, and it talks to loopback only.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/switchboard/switchboard/ent/schema/enum"
)

// Report is everything a run measured.
type Report struct {
	Machine Machine `json:"machine"`
	// Server says what was measured: "started" (child processes of the
	// generator) or the URL given.
	Server  string  `json:"server"`
	Options Summary `json:"options"`
	// SetupSeconds is creating, logging in and connecting the agents.
	SetupSeconds float64 `json:"setupSeconds"`
	Phases       []Phase `json:"phases"`
	Memory       Memory  `json:"memory"`
	Floor        *Floor  `json:"floor,omitempty"`
	// CPU is the server's CPU profile of the last load phase (-cpuprofile).
	CPU *CPUProfile `json:"cpuProfile,omitempty"`
	// Soak is what ran beside the soak phase (-soak-slow, -soak-customers).
	Soak *Soak `json:"soak,omitempty"`
	// FloorRatio is the best phase's lifecycles per second over the floor's
	// transactions per second.
	FloorRatio float64 `json:"floorRatio,omitempty"`
	// Errors counts failures by extensions.code (or the generator's own
	// code: TRANSPORT, TIMEOUT, STREAM_CLOSED, UNFINISHED, ...); a clean
	// run has none. ErrorSamples holds one message per code.
	Errors       map[string]int    `json:"errors"`
	ErrorSamples map[string]string `json:"errorSamples,omitempty"`
	// ServerErrorLogs counts log lines at level ERROR of started servers;
	// ServerErrorSamples are the first few.
	ServerErrorLogs    int      `json:"serverErrorLogs"`
	ServerErrorSamples []string `json:"serverErrorSamples,omitempty"`
	Seconds            float64  `json:"seconds"`
}

// Machine describes where the run happened.
type Machine struct {
	CPU        string `json:"cpu"`
	Cores      int    `json:"cores"`
	MemoryMB   int64  `json:"memoryMB"`
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	GoVersion  string `json:"goVersion"`
	GOMAXPROCS int    `json:"gomaxprocs"`
}

// Summary is the shape of the run.
type Summary struct {
	Agents      int             `json:"agents"`
	IdleAgents  int             `json:"idleAgents"`
	ThinkMs     float64         `json:"thinkMs"`
	Rates       []float64       `json:"rates"`
	Duration    string          `json:"phaseDuration"`
	Engagements int             `json:"maxEngagementsPerPhase"`
	MaxOpen     int             `json:"maxOpen"`
	Channels    []ChannelWeight `json:"channels"`
}

// Memory is the server's resident set size at the moments that matter;
// zero means not measured (no process id).
type Memory struct {
	// Baseline is the load server before any agent connected.
	Baseline int64 `json:"baselineBytes"`
	// Idle is the load server with the load agents connected, before load.
	Idle int64 `json:"idleBytes"`
	// PerAgent is (Idle - Baseline) / agents.
	PerAgent int64 `json:"bytesPerAgent"`
	// LoadPeak is the largest RSS during the load phases.
	LoadPeak int64 `json:"loadPeakBytes"`
	// IdleAgents is the idle-agents phase, on a fresh server when the
	// generator started its own.
	IdleAgents *IdlePhase `json:"idleAgents,omitempty"`
}

// IdlePhase holds many connected, subscribed, AVAILABLE agents without
// traffic.
type IdlePhase struct {
	Agents   int     `json:"agents"`
	Baseline int64   `json:"baselineBytes"`
	RSS      int64   `json:"rssBytes"`
	PerAgent int64   `json:"bytesPerAgent"`
	Seconds  float64 `json:"setupSeconds"`
}

// Run measures a server as o says and writes progress to progress. It
// fails only when the run itself cannot proceed; errors of the API are
// counted in the report.
func Run(ctx context.Context, o Options, progress io.Writer) (Report, error) {
	if progress == nil {
		progress = io.Discard
	}
	if o.MaxOpen == 0 {
		o.MaxOpen = o.Agents
	}
	if err := o.validate(); err != nil {
		return Report{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	r := &run{o: o, progress: progress, errs: newErrorCounts(), begin: time.Now()}
	r.rep.Machine = machine()
	r.rep.Options = Summary{Agents: o.Agents, IdleAgents: o.IdleAgents, ThinkMs: ms(o.Think), Rates: o.Rates,
		Duration: o.Duration.String(), Engagements: o.Engagements, MaxOpen: o.MaxOpen, Channels: o.Channels}
	err := r.measure(ctx)
	r.rep.Errors, r.rep.ErrorSamples = r.errs.snapshot()
	r.rep.Seconds = time.Since(r.begin).Seconds()
	return r.rep, err
}

// run is one run of the generator.
type run struct {
	o        Options
	progress io.Writer
	errs     *errorCounts
	begin    time.Time
	rep      Report
	// target is the GraphQL endpoint measured, pid its server's process
	// (0: unknown), srv the server the generator started (nil with -url).
	target string
	pid    int
	srv    *server
}

func (r *run) say(format string, args ...any) {
	fmt.Fprintf(r.progress, "bench: "+format+"\n", args...)
}

// measure runs the steps: target, floor, agents, load phases, idle agents.
func (r *run) measure(ctx context.Context) (err error) {
	o := &r.o
	if o.Dir == "" {
		if o.Dir, err = os.MkdirTemp("", "switchboard-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(o.Dir)
	}
	if err := r.startTarget(ctx); err != nil {
		return err
	}
	if r.srv != nil {
		defer func() {
			r.srv.stop()
			r.rep.noteServerErrors(r.srv)
			r.srv.removeDB()
		}()
	}
	r.rep.Memory.Baseline, _ = rss(r.pid)
	if o.Floor > 0 {
		r.say("measuring the SQLite write-transaction floor for %s", o.Floor)
		f, err := measureFloor(ctx, o.Dir, o.Floor)
		if err != nil {
			return fmt.Errorf("floor: %w", err)
		}
		r.rep.Floor = &f
	}
	l, agents, err := r.connectAgents(ctx)
	defer closeAll(agents)
	if err != nil {
		return err
	}
	r.loadPhases(ctx, l)
	if (o.SoakSlow > 0 || o.SoakCustomers > 0) && ctx.Err() == nil {
		if err := r.soakPhase(ctx, l); err != nil {
			return fmt.Errorf("soak: %w", err)
		}
	}
	closeAll(agents)
	if o.IdleAgents > 0 && ctx.Err() == nil {
		ip, err := idlePhase(ctx, *o, r.srv, r.target, r.pid, r.errs, r.say)
		if err != nil {
			return fmt.Errorf("idle agents: %w", err)
		}
		r.rep.Memory.IdleAgents = ip.IdlePhase
		if ip.server != nil {
			r.rep.noteServerErrors(ip.server)
		}
	}
	return ctx.Err()
}

// startTarget starts the server to measure, or checks the one given.
func (r *run) startTarget(ctx context.Context) error {
	o := &r.o
	if o.URL != "" {
		r.rep.Server, r.target, r.pid = o.URL, o.URL, o.PID
		if len(o.Targets) > 0 {
			r.rep.Server = strings.Join(o.Targets, ",")
		}
		for _, t := range append([]string{o.URL}, o.Targets...) {
			if err := loopbackOnly(t); err != nil {
				return err
			}
		}
		return nil
	}
	if len(o.Targets) > 0 {
		return errors.New("-targets are running servers: start them first (see the README)")
	}
	r.rep.Server = "started"
	if len(o.ServerCommand) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		o.ServerCommand = []string{exe}
	}
	r.say("starting a server on a SQLite file in %s", o.Dir)
	extra := o.ServerArgs
	if o.CPUProfile != "" {
		// Its own copy: the idle phase's server takes o.ServerArgs alone.
		extra = append(slices.Clip(o.ServerArgs), "-pprof")
	}
	srv, err := startServer(ctx, o.ServerCommand, o.Dir, "load", o.AdminEmail, o.AdminPassword, extra...)
	if err != nil {
		return err
	}
	r.srv, r.target, r.pid = srv, srv.url, srv.pid
	return nil
}

// connectAgents creates the queues and the load agents, connects them and
// reads the server's memory with them idle.
func (r *run) connectAgents(ctx context.Context) (*loader, []*simAgent, error) {
	o := r.o
	r.say("creating %d agents on %s", o.Agents, r.target)
	setup := time.Now()
	s, err := openSite(ctx, r.target, o.AdminEmail, o.AdminPassword, r.errs)
	if err != nil {
		return nil, nil, err
	}
	s.spread = o.Targets
	queues, err := s.createQueues(ctx, o.Channels)
	if err != nil {
		return nil, nil, err
	}
	agents, err := s.createAgents(ctx, "agent", o.Agents, o.Workers, values(queues))
	if err != nil {
		return nil, agents, fmt.Errorf("create agents: %w", err)
	}
	t := newTracker(o.MaxOpen)
	r.say("connecting %d agents (agentEvents, AVAILABLE)", o.Agents)
	if err := forEach(ctx, len(agents), o.Workers, func(i int) error { return agents[i].connect(ctx, t, o.Think) }); err != nil {
		return nil, agents, fmt.Errorf("connect agents: %w", err)
	}
	r.rep.SetupSeconds = time.Since(setup).Seconds()
	time.Sleep(time.Second) // let the server settle before reading its memory
	mem := &r.rep.Memory
	if mem.Idle, _ = rss(r.pid); mem.Idle > 0 {
		mem.PerAgent = (mem.Idle - mem.Baseline) / int64(o.Agents)
	}
	return &loader{o: o, site: s, t: t, queues: queues, mix: mix(o.Channels), pid: r.pid, metrics: metricsURL(r.target, o.MetricsURL)}, agents, nil
}

// loadPhases runs a load phase per rate.
func (r *run) loadPhases(ctx context.Context, l *loader) {
	for i, rate := range r.o.Rates {
		if ctx.Err() != nil {
			return
		}
		r.say("load phase at %s for at most %s or %d engagements", rateName(rate), r.o.Duration, r.o.Engagements)
		var prof chan *CPUProfile
		if r.o.CPUProfile != "" && i == len(r.o.Rates)-1 {
			prof = make(chan *CPUProfile, 1)
			go func() { prof <- r.profile(ctx, l.metrics) }()
		}
		p := l.phase(ctx, rate)
		if prof != nil {
			r.rep.CPU = <-prof
		}
		r.rep.Phases = append(r.rep.Phases, p)
		r.rep.Memory.LoadPeak = max(r.rep.Memory.LoadPeak, p.RSSPeak)
		if f := r.rep.Floor; f != nil && f.TxPerSecond > 0 {
			r.rep.FloorRatio = max(r.rep.FloorRatio, p.LifecyclesPerSecond/f.TxPerSecond)
		}
	}
}

// soakPhase repeats the first load phase with the soak's adversaries
// beside it, so its ring latency and the server's RSS peak compare with the
// phase run without them.
func (r *run) soakPhase(ctx context.Context, l *loader) error {
	r.say("soak: %d slow or silent clients and %d flooding customers beside a repeat of the first phase", r.o.SoakSlow, r.o.SoakCustomers)
	h, err := startHostile(ctx, l.site, r.o.SoakSlow, r.o.SoakCustomers)
	if err != nil {
		return err
	}
	p := l.phase(ctx, r.o.Rates[0])
	soak := h.stop()
	soak.Phase = p.Name
	p.Name = "soak " + p.Name
	r.rep.Phases = append(r.rep.Phases, p)
	r.rep.Memory.LoadPeak = max(r.rep.Memory.LoadPeak, p.RSSPeak)
	r.rep.Soak = &soak
	return nil
}

// profile takes the server's CPU profile for most of a load phase; a
// failure is counted as an error of the run.
func (r *run) profile(ctx context.Context, metrics string) *CPUProfile {
	seconds := max(1, min(int(r.o.Duration.Seconds())-1, 29))
	p, err := takeProfile(ctx, metrics, seconds, r.o.CPUProfile)
	if err != nil {
		r.errs.countN("PROFILE", 1, err.Error())
		return nil
	}
	return p
}

// noteServerErrors adds the ERROR lines a started server logged.
func (rep *Report) noteServerErrors(s *server) {
	n, samples := s.errorLines()
	rep.ServerErrorLogs += n
	rep.ServerErrorSamples = append(rep.ServerErrorSamples, samples...)
}

// idlePhase connects o.IdleAgents agents that wait for rings that never
// come, and reads the server's memory. When the generator started the load
// server, a fresh one is started, so the figure is not the load phases'
// heap.
func idlePhase(ctx context.Context, o Options, loadSrv *server, target string, pid int, errs *errorCounts, say func(string, ...any)) (*idleResult, error) {
	r := &idleResult{IdlePhase: &IdlePhase{Agents: o.IdleAgents}}
	if loadSrv != nil {
		say("starting a fresh server for %d idle agents", o.IdleAgents)
		srv, err := startServer(ctx, o.ServerCommand, o.Dir, "idle", o.AdminEmail, o.AdminPassword, o.ServerArgs...)
		if err != nil {
			return nil, err
		}
		defer func() { srv.stop(); srv.removeDB() }()
		r.server, target, pid = srv, srv.url, srv.pid
		time.Sleep(time.Second)
	}
	r.Baseline, _ = rss(pid)
	start := time.Now()
	s, err := openSite(ctx, target, o.AdminEmail, o.AdminPassword, errs)
	if err != nil {
		return nil, err
	}
	queues, err := s.createQueues(ctx, []ChannelWeight{{enum.ChannelChat, 1}})
	if err != nil {
		return nil, err
	}
	say("creating %d idle agents", o.IdleAgents)
	agents, err := s.createAgents(ctx, "idle", o.IdleAgents, o.Workers, values(queues))
	if err != nil {
		return nil, err
	}
	defer closeAll(agents)
	say("connecting %d idle agents", o.IdleAgents)
	t := newTracker(1)
	if err := forEach(ctx, len(agents), o.Workers, func(i int) error { return agents[i].connect(ctx, t, 0) }); err != nil {
		return nil, err
	}
	r.Seconds = time.Since(start).Seconds()
	time.Sleep(2 * time.Second)
	if r.RSS, _ = rss(pid); r.RSS > 0 {
		r.PerAgent = (r.RSS - r.Baseline) / int64(o.IdleAgents)
	}
	return r, nil
}

type idleResult struct {
	*IdlePhase
	server *server
}

// closeAll closes the agents' connections, many at a time.
func closeAll(agents []*simAgent) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	for _, a := range agents {
		if a == nil || a.closing.Load() {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			a.close()
			<-sem
		}()
	}
	wg.Wait()
}

func values(m map[enum.Channel]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func rateName(r float64) string {
	if r == 0 {
		return "max rate"
	}
	return fmt.Sprintf("%g/s", r)
}

// loopbackOnly refuses targets off this machine: a load generator must
// not be pointed at someone else's server by a typo.
func loopbackOnly(target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	switch h := u.Hostname(); {
	case h == "localhost", strings.HasPrefix(h, "127."), h == "::1":
		return nil
	}
	return errors.New("-url must be on loopback (localhost, 127.0.0.0/8 or ::1)")
}

func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0)}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			m.MemoryMB = kb >> 10
		}
	}
	return m
}
