package app

import (
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
