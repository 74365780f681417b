package graph_test

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/gqlclient"
)

// smallDisk mounts a tmpfs of size bytes for the test and returns its
// directory. It needs root (Linux); without it the test is skipped, unless
// SWITCHBOARD_TEST_TMPFS=1 (set by .ci/run) says the machine can.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		if os.Getenv("SWITCHBOARD_TEST_TMPFS") == "1" {
			t.Fatalf("mount a tmpfs at %s: %v", dir, err)
		}
		t.Skipf("cannot mount a tmpfs (needs root on Linux; .ci/run sets SWITCHBOARD_TEST_TMPFS=1): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fill writes a file in dir until the disk is full.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 64<<10)
	for {
		if _, err := f.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill %s: %v", dir, err)
			}
			break
		}
	}
	// The last partial block may leave a few bytes; take them too.
	for {
		if _, err := f.Write(block[:512]); err != nil {
			break
		}
	}
	return path
}

func readyz(t *testing.T, s *apitest.Server) int {
	t.Helper()
	resp, err := s.HTTP.Client().Get(s.HTTP.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A full disk: every write answers UNAVAILABLE with a retryAfter (not
// INTERNAL), nothing is half-written, reads keep working, /readyz answers
// 503 until a write can commit again; once space is back the server
// recovers by itself.
func TestFullDiskAnswersUnavailableAndFlipsReadiness(t *testing.T) {
	disk := smallDisk(t, "8m")
	s := apitest.Start(t, func(c *app.Config) {
		c.DatabaseURL = filepath.Join(disk, "switchboard.db")
	})
	createQueue(t, s, map[string]any{"name": "Before", "channels": []string{"CHAT"}})
	if code := readyz(t, s); code != http.StatusOK {
		t.Fatalf("/readyz = %d before the disk filled, want 200", code)
	}
	queues := count(t, s.Admin, "queues")

	filler := fill(t, disk)
	create := `mutation($in: CreateQueueInput!) { createQueue(input: $in) { queue { id } } }`
	in := map[string]any{"in": map[string]any{"name": "During", "channels": []string{"CHAT"}}}
	var e gqlclient.Error
	// SQLite may still fit a write or two in its write-ahead log's pages;
	// the disk is full once one needs a new page.
	for range 50 {
		res, err := s.Admin.Do(t.Context(), create, in)
		if err != nil {
			t.Fatalf("createQueue on a full disk: %v", err)
		}
		if len(res.Errors) > 0 {
			e = res.Errors[0]
			break
		}
		queues++
	}
	if e.Extensions.Code != "UNAVAILABLE" || e.Extensions.RetryAfter <= 0 {
		t.Fatalf("createQueue on a full disk: %+v, want UNAVAILABLE with retryAfter", e)
	}
	if code := readyz(t, s); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz = %d on a full disk, want 503", code)
	}
	// Logging in writes a token: it fails the same way, not as a wrong password.
	apitest.ExpectCode(t, s.Client(""), "UNAVAILABLE", `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }`,
		map[string]any{"e": apitest.AdminEmail, "p": apitest.AdminPassword})
	// Reads still work, and the failed write left nothing behind.
	if got := count(t, s.Admin, "queues"); got != queues {
		t.Fatalf("%d queues on a full disk, want %d", got, queues)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if code := readyz(t, s); code != http.StatusOK {
		t.Fatalf("/readyz = %d once space is back, want 200", code)
	}
	createQueue(t, s, map[string]any{"name": "After", "channels": []string{"CHAT"}})
	if got := count(t, s.Admin, "queues"); got != queues+1 {
		t.Fatalf("%d queues after recovery, want %d", got, queues+1)
	}
}
