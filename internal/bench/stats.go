package bench

import (
	"context"
	"errors"
	"net"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/switchboard/switchboard/internal/gqlclient"
)

// Latency summarises a set of durations, in milliseconds.
type Latency struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50Ms"`
	P95   float64 `json:"p95Ms"`
	P99   float64 `json:"p99Ms"`
	Max   float64 `json:"maxMs"`
}

// summarise computes the percentiles of samples (which it sorts).
func summarise(samples []time.Duration) Latency {
	if len(samples) == 0 {
		return Latency{}
	}
	slices.Sort(samples)
	at := func(p float64) float64 {
		i := int(p*float64(len(samples))+0.5) - 1
		i = min(max(i, 0), len(samples)-1)
		return ms(samples[i])
	}
	return Latency{Count: len(samples), P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: ms(samples[len(samples)-1])}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// errorCounts counts failed operations by GraphQL error code; failures
// without one get a code of the generator's own (TRANSPORT, TIMEOUT,
// PROTOCOL, ...).
type errorCounts struct {
	mu sync.Mutex
	m  map[string]int
	// last keeps one message per code, to show what went wrong.
	last map[string]string
}

func newErrorCounts() *errorCounts {
	return &errorCounts{m: map[string]int{}, last: map[string]string{}}
}

// add counts err (nil is not counted) and returns it.
func (e *errorCounts) add(op string, err error) error {
	if err == nil {
		return nil
	}
	code := codeOf(err)
	e.mu.Lock()
	e.m[code]++
	e.last[code] = op + ": " + err.Error()
	e.mu.Unlock()
	return err
}

// count records a failure the generator detected itself.
func (e *errorCounts) count(code, msg string) { e.countN(code, 1, msg) }

// countN records n failures of one kind.
func (e *errorCounts) countN(code string, n int, msg string) {
	e.mu.Lock()
	e.m[code] += n
	e.last[code] = msg
	e.mu.Unlock()
}

func (e *errorCounts) snapshot() (map[string]int, map[string]string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	m, l := make(map[string]int, len(e.m)), make(map[string]string, len(e.last))
	for k, v := range e.m {
		m[k] = v
	}
	for k, v := range e.last {
		l[k] = v
	}
	return m, l
}

func (e *errorCounts) total() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, v := range e.m {
		n += v
	}
	return n
}

// codeOf classifies an error: the extensions.code of the first GraphQL
// error, else what kind of failure it was.
func codeOf(err error) string {
	var gqlErrs gqlclient.Errors
	var netErr net.Error
	switch {
	case errors.As(err, &gqlErrs) && len(gqlErrs) > 0:
		if c := gqlErrs[0].Extensions.Code; c != "" {
			return c
		}
		return "NO_CODE"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "TIMEOUT"
	case errors.Is(err, context.Canceled):
		return "CANCELED"
	}
	return "TRANSPORT"
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
