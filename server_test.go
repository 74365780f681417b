package main

import (
	"bytes"
	"os"
	"runtime"
	"strings"
	"testing"
)

// TestCommandLine checks what each command line prints and its exit code;
// none of them may start serving (and so create ./switchboard.db).
func TestCommandLine(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, tc := range []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string
	}{
		{"version", []string{"version"}, 0, "switchboard (devel) " + runtime.Version(), ""},
		{"help", []string{"help"}, 0, "switchboard version", ""},
		{"-h", []string{"-h"}, 0, "", "-admin-password"},
		{"-help", []string{"-help"}, 0, "", "usage:"},
		{"demo -h", []string{"demo", "-h"}, 0, "", "-db"},
		{"unknown command", []string{"vresion"}, 2, "", `unknown command "vresion"`},
		{"unknown flag", []string{"-nope"}, 2, "", "flag provided but not defined: -nope"},
		{"bad flag value", []string{"-token-ttl", "soon"}, 2, "", "-token-ttl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tc.args, &stdout, &stderr); code != tc.code {
				t.Errorf("exit code %d; want %d\nstdout: %s\nstderr: %s", code, tc.code, &stdout, &stderr)
			}
			if !strings.Contains(stdout.String(), tc.stdout) || (tc.stdout == "" && stdout.Len() > 0) {
				t.Errorf("stdout %q; want it to contain %q", &stdout, tc.stdout)
			}
			if !strings.Contains(stderr.String(), tc.stderr) || (tc.stderr == "" && stderr.Len() > 0) {
				t.Errorf("stderr %q; want it to contain %q", &stderr, tc.stderr)
			}
			if _, err := os.Stat("switchboard.db"); err == nil {
				t.Fatal("the command created switchboard.db")
			}
		})
	}
}
