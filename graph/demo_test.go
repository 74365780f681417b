package graph_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/demo"
)

func TestDemoData(t *testing.T) {
	s := apitest.Start(t)
	logs := &syncBuffer{}
	if err := demo.Load(context.Background(), s.App.Admin, slog.New(slog.NewTextHandler(logs, nil))); err != nil {
		t.Fatal(err)
	}

	t.Run("queue tree", func(t *testing.T) {
		got := do[struct {
			Queues struct {
				Edges []struct{ Node struct{ MenuPath string } }
			}
		}](t, s.Admin, `{ queues(where: {hasChildren: false}, orderBy: [{field: NAME}]) { edges { node { menuPath } } } }`, nil)
		var paths []string
		for _, e := range got.Queues.Edges {
			paths = append(paths, e.Node.MenuPath)
		}
		if strings.Join(paths, "|") != "Support > Billing|Sales|Support > Technical" {
			t.Fatalf("leaf queues %q", paths)
		}
	})
	t.Run("agents log in with the demo password", func(t *testing.T) {
		type agentJSON struct {
			Email, Role, License string
			CapacityProfile      struct{ Name string }
			Queues               struct{ TotalCount int }
		}
		got := do[struct {
			Agents struct{ Edges []struct{ Node agentJSON } }
		}](t, s.Admin, `{ agents(where: {emailHasSuffix: "@switchboard.demo"}) { edges { node {
		  email role license capacityProfile { name } queues { totalCount } } } } }`, nil)
		if len(got.Agents.Edges) != 5 {
			t.Fatalf("%d demo agents", len(got.Agents.Edges))
		}
		profiles, licenses := map[string]bool{}, map[string]bool{}
		for _, e := range got.Agents.Edges {
			a := e.Node
			profiles[a.CapacityProfile.Name], licenses[a.License] = true, true
			if a.Queues.TotalCount == 0 {
				t.Errorf("%s is in no queue", a.Email)
			}
			c := s.Client(s.Login(t, a.Email, demo.Password))
			if me := do[struct{ Me struct{ Email string } }](t, c, `{ me { email } }`, nil); me.Me.Email != a.Email {
				t.Errorf("logged in as %q; want %q", me.Me.Email, a.Email)
			}
			if !strings.Contains(logs.String(), a.Email) {
				t.Errorf("the log does not show %s", a.Email)
			}
		}
		if len(profiles) < 3 || len(licenses) != 2 {
			t.Errorf("profiles %v, licenses %v: want variety", profiles, licenses)
		}
		if !strings.Contains(logs.String(), demo.Password) {
			t.Error("the log does not show the demo password")
		}
	})
	t.Run("entry points on every channel", func(t *testing.T) {
		got := do[struct {
			EntryPoints struct {
				Edges []struct {
					Node struct {
						Channel, Address, ChatToken string
						DefaultQueue                struct{ IsLeaf bool }
					}
				}
			}
		}](t, s.Admin, `{ entryPoints { edges { node { channel address chatToken defaultQueue { isLeaf } } } } }`, nil)
		channels := map[string]bool{}
		for _, e := range got.EntryPoints.Edges {
			ep := e.Node
			channels[ep.Channel] = true
			if !ep.DefaultQueue.IsLeaf {
				t.Errorf("%s entry point routes to a parent queue", ep.Channel)
			}
			if ep.Channel == "CHAT" && (ep.ChatToken == "" || !strings.Contains(logs.String(), ep.ChatToken)) {
				t.Errorf("chat token %q missing or not logged", ep.ChatToken)
			}
			if ep.Channel == "VOICE" && !strings.HasPrefix(ep.Address, "+") {
				t.Errorf("voice address %q", ep.Address)
			}
		}
		for _, ch := range []string{"VOICE", "CHAT", "SMS", "EMAIL"} {
			if !channels[ch] {
				t.Errorf("no %s entry point", ch)
			}
		}
	})
	counts := func() map[string]int {
		out := map[string]int{}
		for _, f := range []string{"queues", "agents", "entryPoints", "wrapUpReasons", "virtualAgents", "templates", "capacityProfiles", "postSessionSettings", "customers"} {
			out[f] = count(t, s.Admin, f)
			if out[f] == 0 {
				t.Errorf("no %s", f)
			}
		}
		return out
	}
	first := counts()

	t.Run("loading again changes nothing", func(t *testing.T) {
		if err := demo.Load(context.Background(), s.App.Admin, slog.New(slog.NewTextHandler(logs, nil))); err != nil {
			t.Fatal(err)
		}
		if again := counts(); jsonString(again) != jsonString(first) {
			t.Fatalf("counts %v after a second load; want %v", again, first)
		}
	})
}

// A demo load that fails halfway writes nothing.
func TestDemoDataIsAllOrNothing(t *testing.T) {
	s := apitest.Start(t)
	do[any](t, s.Admin, `mutation { createTemplate(input: {name: "Chat greeting", channel: CHAT, body: "Mine"}) { template { id } } }`, nil)
	err := demo.Load(context.Background(), s.App.Admin, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "Chat greeting") {
		t.Fatalf("err = %v; want a clash on the template", err)
	}
	for _, f := range []string{"queues", "entryPoints", "capacityProfiles", "virtualAgents"} {
		if n := count(t, s.Admin, f); n != 0 {
			t.Errorf("%d %s left behind", n, f)
		}
	}
	if n := count(t, s.Admin, "agents"); n != 1 {
		t.Errorf("%d agents; want only the admin", n)
	}
}
