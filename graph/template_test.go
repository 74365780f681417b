package graph_test

import (
	"testing"

	"github.com/switchboard/switchboard/internal/apitest"
)

func TestTemplate(t *testing.T) {
	s := apitest.Start(t)
	const create = `mutation($in: CreateTemplateInput!) { createTemplate(input: $in) { template { id name channel subject body active } } }`
	const update = `mutation($id: ID!, $in: UpdateTemplateInput!) { updateTemplate(id: $id, input: $in) { template { id subject body } } }`
	const remove = `mutation($id: ID!) { deleteTemplate(id: $id) { deletedID } }`

	email := createNode(t, s.Admin, "template", "template", map[string]any{
		"name": "Order status", "channel": "EMAIL", "subject": "Your order", "body": "Hello {name}, your order shipped.",
	})
	sms := createNode(t, s.Admin, "template", "template", map[string]any{"name": "Reminder", "channel": "SMS", "body": "See you tomorrow."})
	createNode(t, s.Admin, "template", "template", map[string]any{"name": "Greeting", "channel": "CHAT", "body": "Hi!"})

	tmpl := func(name, channel, subject, body string) map[string]any {
		return map[string]any{"in": map[string]any{"name": name, "channel": channel, "subject": subject, "body": body}}
	}
	runErrorCases(t, s.Admin, []errorCase{
		{name: "voice template", query: create, code: "VALIDATION", field: "channel", vars: tmpl("Call", "VOICE", "", "Hi")},
		{name: "video template", query: create, code: "VALIDATION", field: "channel", vars: tmpl("Video", "VIDEO", "", "Hi")},
		{name: "SMS with a subject", query: create, code: "VALIDATION", field: "subject", vars: tmpl("S", "SMS", "Subject", "Hi")},
		{name: "empty body", query: create, code: "VALIDATION", field: "body", vars: tmpl("Empty", "EMAIL", "S", "")},
		{name: "empty name", query: create, code: "VALIDATION", field: "name", vars: tmpl("", "EMAIL", "S", "Hi")},
		{name: "duplicate name", query: create, code: "CONFLICT", vars: tmpl("Reminder", "EMAIL", "S", "Hi")},
		{name: "add a subject to an SMS template", query: update, code: "VALIDATION", field: "subject",
			vars: map[string]any{"id": sms, "in": map[string]any{"subject": "Hey"}}},
		{name: "update missing template", query: update, code: "NOT_FOUND", vars: map[string]any{"id": "1", "in": map[string]any{"body": "x"}}},
		{name: "delete missing template", query: remove, code: "NOT_FOUND", vars: map[string]any{"id": "1"}},
	})
	if got := node(t, s.Admin, sms, `... on Template { subject }`); got["subject"] != "" && got["subject"] != nil {
		t.Errorf("refused update wrote subject %v", got["subject"])
	}
	if n := count(t, s.Admin, "templates"); n != 3 {
		t.Errorf("%d templates after refused creations; want 3", n)
	}

	t.Run("update and delete", func(t *testing.T) {
		got := do[struct {
			UpdateTemplate struct{ Template struct{ Body string } }
		}](t, s.Admin, update,
			map[string]any{"id": email, "in": map[string]any{"body": "Shipped!"}})
		if got.UpdateTemplate.Template.Body != "Shipped!" {
			t.Fatalf("body = %q", got.UpdateTemplate.Template.Body)
		}
		do[any](t, s.Admin, remove, map[string]any{"id": email})
		if n := count(t, s.Admin, "templates"); n != 2 {
			t.Fatalf("%d templates after delete; want 2", n)
		}
	})
	t.Run("agents read templates but cannot write them", func(t *testing.T) {
		_, agent := createAgent(t, s, map[string]any{"name": "A", "email": "a@example.com"})
		if n := count(t, agent, "templates"); n != 2 {
			t.Errorf("agent sees %d templates; want 2", n)
		}
		apitest.ExpectCode(t, agent, "FORBIDDEN", remove, map[string]any{"id": sms})
	})
}
