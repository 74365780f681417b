package bench

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/ent/schema/enum"
)

// Options configure a run. Zero values take the defaults of DefaultOptions
// where noted.
type Options struct {
	// URL is the GraphQL endpoint of a running server to measure; empty
	// starts servers (ServerCommand serve) on temporary SQLite files.
	URL string
	// Targets are the GraphQL endpoints of several running instances of
	// one deployment (PostgreSQL): the load agents are spread over them
	// (agent i uses Targets[i mod len] for its stream and its actions);
	// setup and arriving engagements go to URL, which defaults to the
	// first.
	Targets []string
	// PID is the process id of the server at URL, for its RSS; 0 leaves the
	// memory figures unmeasured.
	PID int
	// AdminEmail and AdminPassword log in to the server at URL (and are
	// given to servers the generator starts).
	AdminEmail, AdminPassword string
	// ServerCommand runs Switchboard; "serve" and its flags are appended.
	// Default: this executable.
	ServerCommand []string
	// Dir holds the databases of started servers and the floor measurement;
	// default: a new temporary directory, removed at the end.
	Dir string

	// Agents take part in the load phases.
	Agents int
	// IdleAgents are connected, subscribed and AVAILABLE with no traffic to
	// measure memory per connection, on a fresh server when the generator
	// starts its own; 0 skips the phase.
	IdleAgents int
	// SoakSlow and SoakCustomers, when SoakSlow or SoakCustomers is not 0,
	// repeat the first load phase with adversaries beside it (hostile.go):
	// SoakSlow slow or silent clients and SoakCustomers customers flooding
	// their chats without reading them.
	SoakSlow      int
	SoakCustomers int
	// Think is how long an agent waits before accepting a ring.
	Think time.Duration
	// Rates are the arrival rates of the load phases in engagements per
	// second, one phase each; 0 is as fast as possible (up to MaxOpen open
	// engagements).
	Rates []float64
	// Duration bounds each load phase; Engagements bounds the engagements
	// created in each.
	Duration    time.Duration
	Engagements int
	// MaxOpen bounds engagements created and not yet closed (default Agents).
	MaxOpen int
	// Creators are the concurrent callers of createEngagement.
	Creators int
	// Channels is the mix of arriving engagements, by weight.
	Channels []ChannelWeight
	// Floor is how long the store floor is measured; 0 skips it.
	Floor time.Duration
	// Drain bounds the wait for open lifecycles after a phase's arrivals.
	Drain time.Duration
	// Workers is the parallelism of setup (creating and logging in agents).
	Workers int
	// Timeout bounds the whole run.
	Timeout time.Duration
	// MetricsURL is the server's /metrics (default: beside URL); the
	// generator reads its transaction and statement counters there.
	MetricsURL string
	// CPUProfile, when set, names the file for the server's CPU profile of
	// the last load phase (a started server runs with -pprof; one given
	// with -url must).
	CPUProfile string
	// ServerArgs are more flags for the servers it starts (-write-group 8).
	ServerArgs []string
	// Progress receives one line per step (nil: none).
	Progress io.Writer
}

// ChannelWeight is one channel of the arrival mix.
type ChannelWeight struct {
	Channel enum.Channel `json:"channel"`
	Weight  int          `json:"weight"`
}

// DefaultOptions are the defaults of `switchboard bench`: a run that takes
// about a minute and a half on two cores.
func DefaultOptions() Options {
	return Options{
		AdminEmail:    "admin@localhost",
		AdminPassword: "bench-admin-password",
		Agents:        1000,
		IdleAgents:    10000,
		Rates:         []float64{100, 0},
		Duration:      15 * time.Second,
		Engagements:   100000,
		Creators:      32,
		Channels: []ChannelWeight{
			{enum.ChannelChat, 6}, {enum.ChannelVoice, 2}, {enum.ChannelEmail, 1}, {enum.ChannelSMS, 1},
		},
		Floor:   3 * time.Second,
		Drain:   20 * time.Second,
		Workers: 16,
		Timeout: 10 * time.Minute,
	}
}

// ParseFlags reads the options of `switchboard bench`; the second result
// asks for JSON output.
func ParseFlags(args []string, stderr io.Writer) (Options, bool, error) {
	o := DefaultOptions()
	fs := flag.NewFlagSet("switchboard bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: switchboard bench [flags]\n\nStarts a server on a temporary SQLite file (or measures -url), drives agents and\nengagements through the GraphQL API, and prints ring latency, throughput, memory\nand errors.\n\nflags:")
		fs.PrintDefaults()
	}
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.StringVar(&o.URL, "url", "", "GraphQL endpoint of a running server on loopback (default: start one)")
	targets := fs.String("targets", "", "comma-separated GraphQL endpoints of several running instances on loopback (one PostgreSQL deployment): agents are spread over them; setup and engagements go to -url (default: the first)")
	fs.IntVar(&o.PID, "pid", 0, "process id of the server at -url, to read its RSS")
	fs.StringVar(&o.MetricsURL, "metrics-url", "", "the server's /metrics, when not beside -url")
	serverArgs := fs.String("server-args", "", "more flags for the servers it starts, space-separated (e.g. \"-write-group 8\")")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write the server's CPU profile of the last load phase to this file and print its split (a server given with -url must run with -pprof)")
	fs.StringVar(&o.AdminEmail, "admin-email", o.AdminEmail, "admin email of the server")
	fs.StringVar(&o.AdminPassword, "admin-password", o.AdminPassword, "admin password of the server")
	fs.StringVar(&o.Dir, "dir", "", "directory for the started servers' databases and the floor measurement (default: a temporary one)")
	fs.IntVar(&o.Agents, "agents", o.Agents, "agents taking part in the load phases")
	fs.IntVar(&o.IdleAgents, "idle-agents", o.IdleAgents, "idle subscribed agents for the memory phase (0 skips it)")
	fs.IntVar(&o.SoakSlow, "soak-slow", 0, "soak: slow HTTP clients and silent websockets beside a repeat of the first load phase (0 with -soak-customers 0 skips it)")
	fs.IntVar(&o.SoakCustomers, "soak-customers", 0, "soak: customers posting maximal chat messages without reading their stream, beside that repeat")
	fs.DurationVar(&o.Think, "think", o.Think, "how long an agent waits before accepting a ring")
	rates := fs.String("rates", "100,max", "arrival rate of each load phase, engagements per second; max is as fast as possible")
	fs.DurationVar(&o.Duration, "duration", o.Duration, "length of each load phase")
	fs.IntVar(&o.Engagements, "engagements", o.Engagements, "most engagements created per load phase")
	fs.IntVar(&o.MaxOpen, "max-open", 0, "most engagements open at once (default: -agents)")
	fs.IntVar(&o.Creators, "creators", o.Creators, "concurrent createEngagement callers")
	channels := fs.String("channels", "CHAT:6,VOICE:2,EMAIL:1,SMS:1", "arrival mix: CHANNEL:weight,...")
	fs.DurationVar(&o.Floor, "floor", o.Floor, "how long to measure the SQLite write-transaction floor (0 skips it)")
	fs.DurationVar(&o.Drain, "drain", o.Drain, "longest wait for open lifecycles after a phase")
	fs.IntVar(&o.Workers, "workers", o.Workers, "parallelism of setup (agents created and logged in at once)")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "bound on the whole run")
	if err := fs.Parse(args); err != nil {
		return o, false, err
	}
	if fs.NArg() > 0 {
		return o, false, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	var err error
	for _, t := range strings.Split(*targets, ",") {
		if t = strings.TrimSpace(t); t != "" {
			o.Targets = append(o.Targets, t)
		}
	}
	if o.URL == "" && len(o.Targets) > 0 {
		o.URL = o.Targets[0]
	}
	o.ServerArgs = strings.Fields(*serverArgs)
	if len(o.ServerArgs) > 0 && o.URL != "" {
		return o, false, fmt.Errorf("-server-args is for the servers bench starts; -url names a running one")
	}
	if o.Rates, err = parseRates(*rates); err != nil {
		return o, false, err
	}
	if o.Channels, err = parseChannels(*channels); err != nil {
		return o, false, err
	}
	return o, *asJSON, o.validate()
}

func parseRates(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "max" || f == "0" {
			out = append(out, 0)
			continue
		}
		r, err := strconv.ParseFloat(f, 64)
		if err != nil || r < 0 {
			return nil, fmt.Errorf("-rates: %q is not a rate (a number or max)", f)
		}
		out = append(out, r)
	}
	return out, nil
}

func parseChannels(s string) ([]ChannelWeight, error) {
	var out []ChannelWeight
	for _, f := range strings.Split(s, ",") {
		name, w, ok := strings.Cut(strings.TrimSpace(f), ":")
		weight, err := strconv.Atoi(w)
		ch := enum.Channel(strings.ToUpper(name))
		if !ok || err != nil || weight <= 0 || !slices.Contains(enum.AllChannels, ch) {
			return nil, fmt.Errorf("-channels: %q is not CHANNEL:weight (channels %v)", f, enum.AllChannels)
		}
		out = append(out, ChannelWeight{ch, weight})
	}
	return out, nil
}

func (o *Options) validate() error {
	switch {
	case o.Agents <= 0:
		return errors.New("-agents must be positive")
	case len(o.Rates) == 0 || len(o.Channels) == 0:
		return errors.New("give at least one rate and one channel")
	case o.Duration <= 0 || o.Engagements <= 0:
		return errors.New("-duration and -engagements must be positive: every phase is bounded")
	case o.Creators <= 0 || o.Workers <= 0:
		return errors.New("-creators and -workers must be positive")
	}
	return nil
}
