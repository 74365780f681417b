package graph_test

import (
	"context"
	"encoding/base64"
	"testing"

	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/auth"
)

const (
	createEntryPointMutation = `mutation($in: CreateEntryPointInput!) {
	  createEntryPoint(input: $in) { entryPoint { id name channel address chatToken active defaultQueue { id } } } }`
	updateEntryPointMutation = `mutation($id: ID!, $in: UpdateEntryPointInput!) {
	  updateEntryPoint(id: $id, input: $in) { entryPoint { id address defaultQueue { id } } } }`
)

type entryPointJSON struct {
	ID, Name, Channel  string
	Address, ChatToken *string
	Active             bool
	DefaultQueue       struct{ ID string }
}

func createEntryPoint(t *testing.T, s *apitest.Server, in map[string]any) entryPointJSON {
	t.Helper()
	return do[struct {
		CreateEntryPoint struct{ EntryPoint entryPointJSON }
	}](t, s.Admin, createEntryPointMutation,
		map[string]any{"in": in}).CreateEntryPoint.EntryPoint
}

func TestEntryPoint(t *testing.T) {
	s := apitest.Start(t)
	support := createQueue(t, s, map[string]any{"name": "Support"})
	web := createQueue(t, s, map[string]any{"name": "Web", "parentID": support, "channels": []string{"CHAT", "EMAIL"}})
	phone := createQueue(t, s, map[string]any{"name": "Phone", "parentID": support, "channels": []string{"VOICE", "SMS"}})

	t.Run("CHAT gets an unguessable token and no address", func(t *testing.T) {
		a := createEntryPoint(t, s, map[string]any{"name": "Site", "channel": "CHAT", "defaultQueueID": web})
		b := createEntryPoint(t, s, map[string]any{"name": "Shop", "channel": "CHAT", "defaultQueueID": web, "address": ""})
		c := createEntryPoint(t, s, map[string]any{"name": "Help", "channel": "CHAT", "defaultQueueID": web, "address": " "})
		d := createEntryPoint(t, s, map[string]any{"name": "Blog", "channel": "CHAT", "defaultQueueID": web, "address": ""})
		do[any](t, s.Admin, updateEntryPointMutation, map[string]any{"id": a.ID, "in": map[string]any{"clearAddress": true}})
		do[any](t, s.Admin, updateEntryPointMutation, map[string]any{"id": c.ID, "in": map[string]any{"address": ""}})
		for _, ep := range []entryPointJSON{a, b, c, d} {
			if ep.Address != nil && *ep.Address != "" {
				t.Errorf("%s has address %q", ep.Name, *ep.Address)
			}
			if ep.ChatToken == nil {
				t.Fatalf("%s has no chat token", ep.Name)
			}
			raw, err := base64.RawURLEncoding.DecodeString(*ep.ChatToken)
			if err != nil || len(raw)*8 < 128 {
				t.Errorf("token %q is not ≥128 bits of base64url (%v)", *ep.ChatToken, err)
			}
		}
		if *a.ChatToken == *b.ChatToken {
			t.Error("two entry points share a token")
		}
	})

	t.Run("addresses", func(t *testing.T) {
		for _, tc := range []struct{ name, channel, queue, address, want string }{
			{"voice number", "VOICE", phone, "+4930123456", "+4930123456"},
			{"same number for SMS", "SMS", phone, "+4930123456", "+4930123456"},
			{"email, normalised", "EMAIL", web, " Help@Example.COM ", "help@example.com"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ep := createEntryPoint(t, s, map[string]any{"name": tc.name, "channel": tc.channel, "defaultQueueID": tc.queue, "address": tc.address})
				if ep.Address == nil || *ep.Address != tc.want || (ep.ChatToken != nil && *ep.ChatToken != "") || ep.DefaultQueue.ID != tc.queue {
					t.Fatalf("got %s; want address %q", jsonString(ep), tc.want)
				}
			})
		}
	})

	voice := createEntryPoint(t, s, map[string]any{"name": "Hotline", "channel": "VOICE", "defaultQueueID": phone, "address": "+14155550100"})
	before := count(t, s.Admin, "entryPoints")
	in := func(channel, queue, address string) map[string]any {
		return map[string]any{"in": map[string]any{"name": "X", "channel": channel, "defaultQueueID": queue, "address": address}}
	}
	runErrorCases(t, s.Admin, []errorCase{
		{name: "CHAT with an address", query: createEntryPointMutation, code: "VALIDATION", field: "address", vars: in("CHAT", web, "+4930123456")},
		{name: "VOICE without country code", query: createEntryPointMutation, code: "VALIDATION", field: "address", vars: in("VOICE", phone, "030 123456")},
		{name: "VOICE without address", query: createEntryPointMutation, code: "VALIDATION", field: "address", vars: in("VOICE", phone, "")},
		{name: "SMS with letters", query: createEntryPointMutation, code: "VALIDATION", field: "address", vars: in("SMS", phone, "+49CALLME")},
		{name: "EMAIL without @", query: createEntryPointMutation, code: "VALIDATION", field: "address", vars: in("EMAIL", web, "help.example.com")},
		{name: "EMAIL with display name", query: createEntryPointMutation, code: "VALIDATION", field: "address", vars: in("EMAIL", web, "Help <help@example.com>")},
		{name: "address taken on the channel", query: createEntryPointMutation, code: "CONFLICT", vars: in("VOICE", phone, "+14155550100")},
		{name: "default queue not a leaf", query: createEntryPointMutation, code: "VALIDATION", field: "defaultQueueID", vars: in("VOICE", support, "+14155550101")},
		{name: "default queue without the channel", query: createEntryPointMutation, code: "VALIDATION", field: "defaultQueueID", vars: in("VOICE", web, "+14155550102")},
		{name: "missing default queue", query: createEntryPointMutation, code: "NOT_FOUND", field: "defaultQueueID", vars: in("VOICE", "1", "+14155550103")},
		{name: "update to an invalid number", query: updateEntryPointMutation, code: "VALIDATION", field: "address",
			vars: map[string]any{"id": voice.ID, "in": map[string]any{"address": "12345"}}},
		{name: "clear a VOICE address", query: updateEntryPointMutation, code: "VALIDATION", field: "address",
			vars: map[string]any{"id": voice.ID, "in": map[string]any{"clearAddress": true}}},
		{name: "update to a parent queue", query: updateEntryPointMutation, code: "VALIDATION", field: "defaultQueueID",
			vars: map[string]any{"id": voice.ID, "in": map[string]any{"defaultQueueID": support}}},
		{name: "update to a taken number", query: updateEntryPointMutation, code: "CONFLICT",
			vars: map[string]any{"id": voice.ID, "in": map[string]any{"address": "+4930123456"}}},
		{name: "update missing entry point", query: updateEntryPointMutation, code: "NOT_FOUND",
			vars: map[string]any{"id": "1", "in": map[string]any{"name": "X"}}},
	})
	if n := count(t, s.Admin, "entryPoints"); n != before {
		t.Errorf("%d entry points after refused creations; want %d", n, before)
	}
	if got := node(t, s.Admin, voice.ID, `... on EntryPoint { address }`); got["address"] != "+14155550100" {
		t.Errorf("refused updates changed the address: %v", got)
	}

	t.Run("update", func(t *testing.T) {
		other := createQueue(t, s, map[string]any{"name": "Phone 2", "channels": []string{"VOICE"}})
		got := do[struct {
			UpdateEntryPoint struct{ EntryPoint entryPointJSON }
		}](t, s.Admin, updateEntryPointMutation,
			map[string]any{"id": voice.ID, "in": map[string]any{"address": "+14155550199", "defaultQueueID": other}}).UpdateEntryPoint.EntryPoint
		if *got.Address != "+14155550199" || got.DefaultQueue.ID != other {
			t.Fatalf("updated = %s", jsonString(got))
		}
	})

	t.Run("delete", func(t *testing.T) {
		const remove = `mutation($id: ID!) { deleteEntryPoint(id: $id) { deletedID } }`
		used := createEntryPoint(t, s, map[string]any{"name": "Used", "channel": "CHAT", "defaultQueueID": web})
		e := insertEngagement(t, s, web, engagement.StateClosed)
		if err := e.Update().SetEntryPointID(intID(t, used.ID)).Exec(auth.SystemContext(context.Background())); err != nil {
			t.Fatal(err)
		}
		apitest.ExpectCode(t, s.Admin, "CONFLICT", remove, map[string]any{"id": used.ID})
		do[any](t, s.Admin, remove, map[string]any{"id": voice.ID})
		apitest.ExpectCode(t, s.Admin, "NOT_FOUND", remove, map[string]any{"id": voice.ID})
	})
}
