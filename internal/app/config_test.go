package app

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestReadmeConfigTable keeps the README's configuration table equal to the
// flags the server really takes.
func TestReadmeConfigTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if table := ConfigTable(); !strings.Contains(string(readme), table) {
		t.Fatalf("README.md must contain the configuration table:\n%s", table)
	}
}

func TestLoadConfig(t *testing.T) {
	env := map[string]string{"SWITCHBOARD_ADDR": ":9999", "SWITCHBOARD_MISSED_RINGS": "5"}
	c, err := LoadConfig([]string{"-missed-rings", "7", "-dev"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":9999" || c.MissedRingsLimit != 7 || !c.Dev {
		t.Fatalf("flags over environment over defaults: %+v", c)
	}
	for _, bad := range [][]string{{"-token-ttl", "soon"}, {"-media-priority", "CHAT,FAX"}, {"-media-priority", "CHAT,CHAT"}, {"-log-format", "xml"}, {"-log-level", "loud"}} {
		if _, err := LoadConfig(bad, func(string) string { return "" }); err == nil {
			t.Fatalf("%v must be refused", bad)
		}
	}
}

// -write-group acts only on SQLite's single writer: a PostgreSQL server
// refuses it rather than ignore it.
func TestWriteGroupIsSQLiteOnly(t *testing.T) {
	c, err := LoadConfig([]string{"-db", "postgres://127.0.0.1:1/none", "-write-group", "8"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(context.Background(), c); err == nil || !strings.Contains(err.Error(), "-write-group applies to SQLite only") {
		t.Fatalf("New: %v, want the refusal of -write-group", err)
	}
	if _, err := LoadConfig([]string{"-write-group", "0"}, func(string) string { return "" }); err == nil {
		t.Fatal("-write-group 0 must be refused")
	}
}
