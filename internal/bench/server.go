package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// server is a Switchboard the generator started as a child process.
type server struct {
	cmd  *exec.Cmd
	url  string // GraphQL endpoint
	pid  int
	db   string
	done chan struct{}
	// errs counts the server's log lines at level ERROR; tail keeps the last
	// lines for a failure report.
	mu         sync.Mutex
	errs       int
	errSamples []string
	tail       []string
}

var servingLine = regexp.MustCompile(`msg="switchboard is serving" graphql=(\S+)`)

// startServer runs `<exe> serve` on a new SQLite file in dir, listening on
// a free loopback port, and waits until it serves.
func startServer(ctx context.Context, exe []string, dir, name, adminEmail, adminPassword string, extra ...string) (*server, error) {
	db := filepath.Join(dir, name+".db")
	args := append(exe[1:len(exe):len(exe)], "serve",
		"-db", db, "-addr", "127.0.0.1:0",
		"-admin-email", adminEmail, "-admin-password", adminPassword,
		"-bcrypt-cost", "4", "-missed-rings", "0")
	args = append(args, extra...)
	cmd := exec.Command(exe[0], args...)
	cmd.Env = os.Environ()
	setParentDeathSignal(cmd)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server %s: %w", exe[0], err)
	}
	s := &server{cmd: cmd, pid: cmd.Process.Pid, db: db, done: make(chan struct{})}
	ready := make(chan string, 1)
	go s.readLog(stderr, ready)
	go func() { _ = cmd.Wait(); close(s.done) }()
	select {
	case url := <-ready:
		s.url = url
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("server exited before serving:\n%s", s.lastLines())
	case <-time.After(30 * time.Second):
		s.stop()
		return nil, fmt.Errorf("server did not start within 30s:\n%s", s.lastLines())
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
}

func (s *server) readLog(r io.Reader, ready chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		s.mu.Lock()
		if strings.Contains(line, "level=ERROR") {
			s.errs++
			if len(s.errSamples) < 3 {
				s.errSamples = append(s.errSamples, line)
			}
		}
		s.tail = append(s.tail, line)
		if len(s.tail) > 20 {
			s.tail = s.tail[1:]
		}
		s.mu.Unlock()
		if m := servingLine.FindStringSubmatch(line); m != nil {
			select {
			case ready <- m[1]:
			default:
			}
		}
	}
	_, _ = io.Copy(io.Discard, r)
}

func (s *server) lastLines() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.tail, "\n")
}

// errorLines returns how many ERROR lines the server logged, and the first
// few.
func (s *server) errorLines() (int, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.errs, slices.Clone(s.errSamples)
}

// stop asks the server to shut down and waits for it (killing it after 15s).
func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// removeDB deletes the server's database files.
func (s *server) removeDB() {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(s.db + suffix)
	}
}

// rss returns the resident set size of a process in bytes, from
// /proc/<pid>/status; errors when it cannot be read (not Linux, no pid).
func rss(pid int) (int64, error) {
	if pid <= 0 {
		return 0, errors.New("no process id")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}

// rssSampler records the largest RSS seen while it runs.
type rssSampler struct {
	stop chan struct{}
	done chan struct{}
	peak int64
}

func sampleRSS(pid int, every time.Duration) *rssSampler {
	s := &rssSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if v, err := rss(pid); err == nil && v > s.peak {
				s.peak = v
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// end stops sampling and returns the peak (0 when nothing was read).
func (s *rssSampler) end() int64 {
	close(s.stop)
	<-s.done
	return s.peak
}

// cpuSeconds returns the user and system CPU time of a process (0: this
// one) from /proc/<pid>/stat, or 0 when it cannot be read.
func cpuSeconds(pid int) float64 {
	name := "/proc/self/stat"
	if pid > 0 {
		name = fmt.Sprintf("/proc/%d/stat", pid)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return 0
	}
	// The command name (field 2) may contain spaces: count from its end.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc CPU times; 100 on every Linux
// architecture Go supports.
const clockTicks = 100
