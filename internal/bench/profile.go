package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

// CPUShare is one part of the server's CPU time in a profile.
type CPUShare struct {
	Part  string  `json:"part"`
	Share float64 `json:"share"`
}

// CPUProfile is the server's CPU profile of the last load phase, split by
// what the time went to.
type CPUProfile struct {
	File    string  `json:"file"`
	Seconds float64 `json:"seconds"`
	// Cores is the profile's CPU time over its wall time.
	Cores float64 `json:"cores"`
	// Split: each sample goes to the innermost frame a part claims (an
	// allocation to the code that allocates; ent's statements to SQL
	// building until the frames enter the SQLite driver).
	Split []CPUShare `json:"split"`
	// Top are the functions with the most CPU time of their own.
	Top []CPUShare `json:"top"`
}

// cpuParts claim samples by function name prefix; the first part a frame
// matches, from the innermost frame out, takes the sample. GC is matched
// anywhere in the stack first.
var cpuParts = []struct{ part, prefixes string }{
	{"SQLite (driver and C)", "github.com/mattn/go-sqlite3 _cgo_ runtime.cgocall runtime.asmcgocall sqlite3"},
	{"ent SQL building and scanning", "entgo.io/ent database/sql github.com/switchboard/switchboard/ent."},
	{"event log", "github.com/switchboard/switchboard/internal/events"},
	{"websocket", "github.com/coder/websocket github.com/switchboard/switchboard/internal/app.(*ws github.com/switchboard/switchboard/internal/app.ws github.com/99designs/gqlgen/graphql/handler/transport.(*wsConnection"},
	{"auth", "github.com/switchboard/switchboard/internal/auth golang.org/x/crypto"},
	{"routing and dispatcher", "github.com/switchboard/switchboard/internal/routing github.com/switchboard/switchboard/internal/engine.(*Dispatcher"},
	{"engine and store", "github.com/switchboard/switchboard/internal/engine github.com/switchboard/switchboard/internal/store github.com/switchboard/switchboard/internal/lifecycle"},
	{"JSON", "encoding/json"},
	{"GraphQL", "github.com/99designs/gqlgen github.com/vektah/gqlparser github.com/switchboard/switchboard/graph github.com/switchboard/switchboard/internal/app"},
	{"HTTP and network", "net/http net. internal/poll syscall crypto/tls bufio"},
}

var gcFrames = []string{"runtime.gcBgMarkWorker", "runtime.gcAssistAlloc", "runtime.bgsweep", "runtime.bgscavenge", "runtime.gcMarkDone", "runtime.gcStart"}

// takeProfile fetches a CPU profile of seconds from the server's profiler
// at base (/debug/pprof/profile), writes it to file and splits it.
func takeProfile(ctx context.Context, base string, seconds int, file string) (*CPUProfile, error) {
	u := strings.TrimSuffix(base, "/metrics") + fmt.Sprintf("/debug/pprof/profile?seconds=%d", seconds)
	ctx, cancel := context.WithTimeout(ctx, time.Duration(seconds)*time.Second+30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s (does the server run with -pprof?)", u, resp.Status)
	}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		return nil, err
	}
	p, err := profile.Parse(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	out := splitProfile(p)
	out.File = file
	return out, nil
}

// splitProfile attributes each sample's CPU time to a part and to its
// innermost function.
func splitProfile(p *profile.Profile) *CPUProfile {
	idx := slices.IndexFunc(p.SampleType, func(t *profile.ValueType) bool { return t.Type == "cpu" })
	if idx < 0 {
		idx = len(p.SampleType) - 1
	}
	parts, flat := map[string]int64{}, map[string]int64{}
	var total int64
	for _, s := range p.Sample {
		v := s.Value[idx]
		total += v
		var names []string
		for _, loc := range s.Location {
			for _, line := range loc.Line {
				if line.Function != nil {
					names = append(names, line.Function.Name)
				}
			}
		}
		if len(names) > 0 {
			flat[names[0]] += v
		}
		parts[partOf(names)] += v
	}
	out := &CPUProfile{Seconds: float64(p.DurationNanos) / 1e9}
	if total == 0 {
		return out
	}
	if out.Seconds > 0 {
		out.Cores = float64(total) / 1e9 / out.Seconds
	}
	out.Split = shares(parts, total, len(parts))
	out.Top = shares(flat, total, 12)
	return out
}

func partOf(stack []string) string {
	for _, name := range stack {
		for _, gc := range gcFrames {
			if strings.HasPrefix(name, gc) {
				return "GC (background and assists)"
			}
		}
	}
	for _, name := range stack {
		for _, p := range cpuParts {
			for _, prefix := range strings.Fields(p.prefixes) {
				if strings.HasPrefix(name, prefix) {
					return p.part
				}
			}
		}
	}
	return "runtime and other"
}

// shares lists the n largest values of m as shares of total.
func shares(m map[string]int64, total int64, n int) []CPUShare {
	out := make([]CPUShare, 0, len(m))
	for k, v := range m {
		out = append(out, CPUShare{Part: k, Share: float64(v) / float64(total)})
	}
	slices.SortFunc(out, func(a, b CPUShare) int {
		if a.Share != b.Share {
			if a.Share > b.Share {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Part, b.Part)
	})
	return out[:min(n, len(out))]
}
