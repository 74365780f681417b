package waitestimate

import (
	"container/heap"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestEstimate(t *testing.T) {
	recent := []time.Duration{4 * time.Minute, 6 * time.Minute}
	if d, ok := Estimate(3, 2, recent); !ok || d != 7*time.Minute+30*time.Second {
		t.Errorf("3rd in line, 2 agents, AHT 5 min: %v %v; want 7m30s", d, ok)
	}
	if _, ok := Estimate(1, 0, recent); ok {
		t.Error("no agent staffed: want unknown")
	}
	if _, ok := Estimate(1, 3, nil); ok {
		t.Error("no handle times: want unknown")
	}
	if s := Seconds(1, 4, []time.Duration{10 * time.Second}); s == nil || *s != 3 {
		t.Errorf("Seconds rounds up: %v", s)
	}
}

// servers is a heap of the instants the agents become free.
type servers []time.Duration

func (s servers) Len() int           { return len(s) }
func (s servers) Less(i, j int) bool { return s[i] < s[j] }
func (s servers) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }
func (s *servers) Push(x any)        { *s = append(*s, x.(time.Duration)) }
func (s *servers) Pop() any          { old := *s; x := old[len(old)-1]; *s = old[:len(old)-1]; return x }

// TestSyntheticTrace runs the estimator on a generated trace: a queue of
// `agents` agents served first come, first served, Poisson arrivals at 90%
// load and log-normal handle times (mean 5 minutes, heavy-ish tail, as
// chats are). For each arrival that has to wait, it compares the
// estimate made at arrival (its position, the staffed agents, the last
// Recent handle times finished by then) with the wait it then had. It
// reports the mean absolute error and checks it is well below that of the
// best constant guess (the mean wait itself).
func TestSyntheticTrace(t *testing.T) {
	const (
		agents   = 5
		arrivals = 40000
		load     = 0.9
	)
	rng := rand.New(rand.NewPCG(13, 13))
	meanHandle := 5 * time.Minute
	sigma := 0.8
	mu := math.Log(meanHandle.Seconds()) - sigma*sigma/2
	handle := func() time.Duration {
		return time.Duration(math.Exp(mu+sigma*rng.NormFloat64()) * float64(time.Second))
	}
	gap := time.Duration(float64(meanHandle) / agents / load)

	free := make(servers, agents)
	var finished []struct{ at, d time.Duration } // completions, in start order
	var queue []time.Duration                    // start instants of those ahead, FCFS
	var now time.Duration
	type sample struct{ est, actual float64 }
	var samples []sample
	for range arrivals {
		now += time.Duration(rng.ExpFloat64() * float64(gap))
		// Position: arrivals before this one that have not started by now.
		n := 0
		for _, s := range queue {
			if s > now {
				n++
			}
		}
		queue = queue[len(queue)-min(len(queue), 4*agents+n):]
		earliest := heap.Pop(&free).(time.Duration)
		start := max(now, earliest)
		d := handle()
		heap.Push(&free, start+d)
		queue = append(queue, start)
		finished = append(finished, struct{ at, d time.Duration }{start + d, d})
		if start == now {
			continue // an agent was free: no wait to estimate
		}
		var recent []time.Duration
		for i := len(finished) - 2; i >= 0 && len(recent) < Recent; i-- {
			if finished[i].at <= now {
				recent = append(recent, finished[i].d)
			}
		}
		est, ok := Estimate(n+1, agents, recent)
		if !ok {
			continue
		}
		samples = append(samples, sample{est.Seconds(), (start - now).Seconds()})
	}
	var mean float64
	for _, s := range samples {
		mean += s.actual
	}
	mean /= float64(len(samples))
	var mae, baseline float64
	for _, s := range samples {
		mae += math.Abs(s.est - s.actual)
		baseline += math.Abs(mean - s.actual)
	}
	mae /= float64(len(samples))
	baseline /= float64(len(samples))
	t.Logf("%d waits of %d arrivals; mean wait %.0f s; estimator MAE %.0f s (%.0f%% of the mean wait); constant guess MAE %.0f s",
		len(samples), arrivals, mean, mae, 100*mae/mean, baseline)
	if len(samples) < arrivals/10 {
		t.Fatalf("only %d arrivals waited: the trace does not exercise the estimator", len(samples))
	}
	if mae > 0.75*baseline {
		t.Errorf("estimator MAE %.0f s is not clearly better than the constant guess's %.0f s", mae, baseline)
	}
	if mae > mean {
		t.Errorf("estimator MAE %.0f s exceeds the mean wait %.0f s", mae, mean)
	}
}
