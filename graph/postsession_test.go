package graph_test

import (
	"testing"

	"github.com/switchboard/switchboard/internal/apitest"
)

func TestPostSessionSetting(t *testing.T) {
	s := apitest.Start(t)
	const create = `mutation($in: CreatePostSessionSettingInput!) { createPostSessionSetting(input: $in) {
	  postSessionSetting { id channel enabled sessionTypes dataParameters { name value field } recordIn askConsent queue { id } virtualAgent { id } } } }`
	const update = `mutation($id: ID!, $in: UpdatePostSessionSettingInput!) { updatePostSessionSetting(id: $id, input: $in) {
	  postSessionSetting { id enabled virtualAgent { id } } } }`
	const remove = `mutation($id: ID!) { deletePostSessionSetting(id: $id) { deletedID } }`

	chatBot := createNode(t, s.Admin, "virtualAgent", "virtualAgent", map[string]any{"name": "Chat bot", "channels": []string{"CHAT"}})
	voiceBot := createNode(t, s.Admin, "virtualAgent", "virtualAgent", map[string]any{"name": "Voice bot", "channels": []string{"VOICE"}})
	idle := createNode(t, s.Admin, "virtualAgent", "virtualAgent", map[string]any{"name": "Idle bot", "channels": []string{"CHAT"}, "active": false})
	chatQueue := createQueue(t, s, map[string]any{"name": "Chat", "channels": []string{"CHAT"}})
	otherChat := createQueue(t, s, map[string]any{"name": "Chat 2"})
	voiceQueue := createQueue(t, s, map[string]any{"name": "Voice", "channels": []string{"VOICE"}})

	global := do[struct {
		CreatePostSessionSetting struct{ PostSessionSetting map[string]any }
	}](t, s.Admin, create, map[string]any{"in": map[string]any{
		"channel": "CHAT", "enabled": true, "virtualAgentID": chatBot, "sessionTypes": []string{"INBOUND_WEB_CHAT"},
		"dataParameters": []map[string]any{{"name": "survey", "value": "csat"}, {"name": "lang", "field": "language"}},
		"recordIn":       "BOTH", "askConsent": true,
	}}).CreatePostSessionSetting.PostSessionSetting
	if global["queue"] != nil || global["recordIn"] != "BOTH" || len(global["dataParameters"].([]any)) != 2 {
		t.Fatalf("created %s", jsonString(global))
	}
	override := createNode(t, s.Admin, "postSessionSetting", "postSessionSetting", map[string]any{
		"channel": "CHAT", "queueID": chatQueue, "enabled": false,
	})
	voice := createNode(t, s.Admin, "postSessionSetting", "postSessionSetting", map[string]any{
		"channel": "VOICE", "enabled": true, "virtualAgentID": voiceBot, "sessionTypes": []string{"IVR_CALL", "INBOUND_CALL_WEB"},
	})

	in := func(fields map[string]any) map[string]any { return map[string]any{"in": fields} }
	before := count(t, s.Admin, "postSessionSettings")
	runErrorCases(t, s.Admin, []errorCase{
		{name: "email channel", query: create, code: "VALIDATION", field: "channel", vars: in(map[string]any{"channel": "EMAIL"})},
		{name: "second global chat setting", query: create, code: "CONFLICT", vars: in(map[string]any{"channel": "CHAT"})},
		{name: "second override of a queue", query: create, code: "CONFLICT", vars: in(map[string]any{"channel": "CHAT", "queueID": chatQueue})},
		{name: "enabled without a virtual agent", query: create, code: "VALIDATION", field: "virtualAgentID",
			vars: in(map[string]any{"channel": "CHAT", "queueID": otherChat, "enabled": true})},
		{name: "virtual agent of another channel", query: create, code: "VALIDATION", field: "virtualAgentID",
			vars: in(map[string]any{"channel": "CHAT", "queueID": otherChat, "enabled": true, "virtualAgentID": voiceBot})},
		{name: "deactivated virtual agent", query: create, code: "VALIDATION", field: "virtualAgentID",
			vars: in(map[string]any{"channel": "CHAT", "queueID": otherChat, "enabled": true, "virtualAgentID": idle})},
		{name: "queue override for calls", query: create, code: "VALIDATION", field: "queueID",
			vars: in(map[string]any{"channel": "VOICE", "queueID": voiceQueue})},
		{name: "chat override on a voice queue", query: create, code: "VALIDATION", field: "queueID",
			vars: in(map[string]any{"channel": "CHAT", "queueID": voiceQueue})},
		{name: "missing queue", query: create, code: "NOT_FOUND",
			vars: in(map[string]any{"channel": "CHAT", "queueID": "1"})},
		{name: "mobile-app chat sessions", query: create, code: "VALIDATION", field: "sessionTypes",
			vars: in(map[string]any{"channel": "CHAT", "queueID": otherChat, "sessionTypes": []string{"INBOUND_APP_CHAT"}})},
		{name: "call session types on chat", query: create, code: "VALIDATION", field: "sessionTypes",
			vars: in(map[string]any{"channel": "CHAT", "queueID": otherChat, "sessionTypes": []string{"IVR_CALL"}})},
		{name: "consent on calls", query: update, code: "VALIDATION", field: "askConsent",
			vars: map[string]any{"id": voice, "in": map[string]any{"askConsent": true}}},
		{name: "mobile-app calls", query: update, code: "VALIDATION", field: "sessionTypes",
			vars: map[string]any{"id": voice, "in": map[string]any{"appendSessionTypes": []string{"INBOUND_CALL_APP"}}}},
		{name: "parameter with value and field", query: create, code: "VALIDATION", field: "dataParameters",
			vars: in(map[string]any{"channel": "CHAT", "queueID": otherChat, "dataParameters": []map[string]any{{"name": "x", "value": "1", "field": "language"}}})},
		{name: "parameter naming an unknown session field", query: create, code: "VALIDATION", field: "dataParameters",
			vars: in(map[string]any{"channel": "CHAT", "queueID": otherChat, "dataParameters": []map[string]any{{"name": "x", "field": "agentMood"}}})},
		{name: "parameter with neither", query: create, code: "VALIDATION", field: "dataParameters",
			vars: in(map[string]any{"channel": "CHAT", "queueID": otherChat, "dataParameters": []map[string]any{{"name": "x"}}})},
		{name: "parameter without a name", query: create, code: "VALIDATION", field: "dataParameters",
			vars: in(map[string]any{"channel": "CHAT", "queueID": otherChat, "dataParameters": []map[string]any{{"name": "", "value": "1"}}})},
		{name: "enable an override without a virtual agent", query: update, code: "VALIDATION", field: "virtualAgentID",
			vars: map[string]any{"id": override, "in": map[string]any{"enabled": true}}},
		{name: "drop the virtual agent of an enabled setting", query: update, code: "VALIDATION", field: "virtualAgentID",
			vars: map[string]any{"id": global["id"], "in": map[string]any{"clearVirtualAgent": true}}},
		{name: "update missing", query: update, code: "NOT_FOUND", vars: map[string]any{"id": "1", "in": map[string]any{"enabled": false}}},
	})

	t.Run("refused changes left nothing behind", func(t *testing.T) {
		if n := count(t, s.Admin, "postSessionSettings"); n != before {
			t.Errorf("%d settings; want %d", n, before)
		}
		got := node(t, s.Admin, override, `... on PostSessionSetting { enabled }`)
		if got["enabled"] != false {
			t.Errorf("override enabled by a refused update: %v", got)
		}
		got = node(t, s.Admin, global["id"].(string), `... on PostSessionSetting { channel virtualAgent { id } }`)
		if got["channel"] != "CHAT" || got["virtualAgent"] == nil {
			t.Errorf("global setting changed by refused updates: %v", got)
		}
	})
	t.Run("enable the override, then delete it", func(t *testing.T) {
		do[any](t, s.Admin, update, map[string]any{"id": override, "in": map[string]any{"enabled": true, "virtualAgentID": chatBot}})
		do[any](t, s.Admin, remove, map[string]any{"id": override})
		apitest.ExpectCode(t, s.Admin, "NOT_FOUND", remove, map[string]any{"id": override})
	})
}
