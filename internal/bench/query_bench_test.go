package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/gqlclient"
)

// datasetSize is how many engagements the query benchmarks store;
// SWITCHBOARD_BENCH_ENGAGEMENTS changes it.
func datasetSize() int {
	if n, err := strconv.Atoi(os.Getenv("SWITCHBOARD_BENCH_ENGAGEMENTS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// BenchmarkQuery runs queries through the real GraphQL handler, in
// process (no network), over a dataset of a million stored engagements.
// Besides the mean (ns/op) it reports the median and the 99th percentile.
func BenchmarkQuery(b *testing.B) {
	n := datasetSize()
	src := dataset(b, n)
	a := startOn(b, copyDataset(b, src, b.TempDir()))
	h := a.Handler()
	agent := login(b, h, "agent-7@dataset.example")
	supervisor := login(b, h, "supervisor@dataset.example")
	for _, bc := range []struct {
		name, token, query string
		check              func(data json.RawMessage) bool
	}{
		{"me.openEngagements", agent, `{ me { openEngagements { id state channel queuedAt } } }`,
			func(d json.RawMessage) bool { return bytes.Count(d, []byte(`"id"`)) == datasetOpen }},
		{"engagements(QUEUED,CHAT,first:20)", supervisor,
			`{ engagements(where: {state: QUEUED, channel: CHAT}, first: 20) { totalCount edges { node { id queuedAt } } } }`,
			func(d json.RawMessage) bool { return bytes.Count(d, []byte(`"id"`)) == 20 }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if data := query(b, h, bc.token, bc.query); !bc.check(data) {
				b.Fatalf("unexpected result: %.300s", data)
			}
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				query(b, h, bc.token, bc.query)
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			b.ReportMetric(msAt(took, 0.50), "p50-ms")
			b.ReportMetric(msAt(took, 0.99), "p99-ms")
		})
	}
}

func msAt(sorted []time.Duration, p float64) float64 {
	i := min(int(p*float64(len(sorted))), len(sorted)-1)
	return float64(sorted[i].Microseconds()) / 1000
}

// startOn starts Switchboard on an existing database file.
func startOn(tb testing.TB, path string) *app.App {
	tb.Helper()
	cfg := app.Defaults()
	cfg.DatabaseURL = path
	cfg.AdminPassword = "unused: the dataset has agents"
	cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { a.Close() })
	// The dispatcher loads its view of the open engagements at start; let
	// it finish before measuring.
	time.Sleep(2 * time.Second)
	return a
}

func login(tb testing.TB, h http.Handler, email string) string {
	tb.Helper()
	var out struct{ Login struct{ Token string } }
	data := query(tb, h, "", `mutation { login(email: "`+email+`", password: "`+datasetPassword+`") { token } }`)
	if err := json.Unmarshal(data, &out); err != nil {
		tb.Fatal(err)
	}
	return out.Login.Token
}

// query posts a GraphQL operation to h and returns its data; any error
// fails the benchmark.
func query(tb testing.TB, h http.Handler, token, q string) json.RawMessage {
	body, _ := json.Marshal(map[string]any{"query": q})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var res gqlclient.Response
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
		tb.Fatalf("HTTP %d: %s", rec.Code, rec.Body.String())
	}
	if len(res.Errors) > 0 {
		tb.Fatalf("%s: %v", q, res.Errors)
	}
	return res.Data
}
