package graph_test

import (
	"testing"

	"github.com/switchboard/switchboard/internal/apitest"
)

// TestOutboundTemplates: a template's variables are checked when it is
// saved; startOutbound and postMessage fill them and refuse missing or
// unknown ones (O5).
func TestOutboundTemplates(t *testing.T) {
	c := newMessagingCenter(t)
	s := c.s
	const create = `mutation($in: CreateTemplateInput!) { createTemplate(input: $in) { template { id variables } } }`
	runErrorCases(t, s.Admin, []errorCase{
		{name: "undeclared variable in the body", query: create, code: "VALIDATION", field: "body",
			vars: map[string]any{"in": map[string]any{"name": "T1", "channel": "SMS", "body": "Hi {{name}}", "variables": []string{"first"}}}},
		{name: "undeclared variable in the subject", query: create, code: "VALIDATION", field: "subject",
			vars: map[string]any{"in": map[string]any{"name": "T2", "channel": "EMAIL", "subject": "Order {{order}}", "body": "Hi", "variables": []string{}}}},
		{name: "malformed placeholder", query: create, code: "VALIDATION", field: "body",
			vars: map[string]any{"in": map[string]any{"name": "T3", "channel": "SMS", "body": "Hi {{name", "variables": []string{"name"}}}},
		{name: "bad variable name", query: create, code: "VALIDATION", field: "variables",
			vars: map[string]any{"in": map[string]any{"name": "T4", "channel": "SMS", "body": "Hi", "variables": []string{"first name"}}}},
	})
	smsTmpl := createNode(t, s.Admin, "template", "template", map[string]any{"name": "Pickup", "channel": "SMS",
		"body": "Hello {{name}}, parcel {{ parcel }} is ready.", "variables": []string{"name", "parcel"}})
	mailTmpl := createNode(t, s.Admin, "template", "template", map[string]any{"name": "Invoice", "channel": "EMAIL",
		"subject": "Invoice {{number}}", "body": "Dear {{name}},\nyour invoice {{number}} is attached.", "variables": []string{"name", "number"}})
	apitest.ExpectCode(t, s.Admin, "VALIDATION", `mutation($id: ID!) { updateTemplate(id: $id, input: {variables: ["name"]}) { template { id } } }`,
		map[string]any{"id": smsTmpl})

	got := c.start(t, c.agent, map[string]any{"channel": "SMS", "to": "+14155550100", "templateID": smsTmpl,
		"variables": map[string]any{"name": "Ada", "parcel": "P-1"}}).StartOutbound
	if got.Message.Body != "Hello Ada, parcel P-1 is ready." {
		t.Errorf("rendered %q", got.Message.Body)
	}
	mail := c.start(t, c.agent, map[string]any{"channel": "EMAIL", "to": "ada@example.org", "templateID": mailTmpl,
		"variables": map[string]any{"name": "Ada", "number": "2026-7"}}).StartOutbound
	if mail.Message.Subject != "Invoice 2026-7" || mail.Message.Body != "Dear Ada,\nyour invoice 2026-7 is attached." {
		t.Errorf("rendered %q / %q", mail.Message.Subject, mail.Message.Body)
	}

	const post = `mutation($in: PostMessageInput!) { postMessage(input: $in) { message { body subject delivery { status } } } }`
	reply := do[struct {
		PostMessage struct {
			Message struct {
				Body, Subject string
				Delivery      struct{ Status string }
			}
		}
	}](t, c.agent, post, map[string]any{"in": map[string]any{"engagementID": got.Engagement.ID, "templateID": smsTmpl,
		"variables": map[string]any{"name": "Ada", "parcel": "P-2"}}})
	if reply.PostMessage.Message.Body != "Hello Ada, parcel P-2 is ready." || reply.PostMessage.Message.Delivery.Status != "QUEUED" {
		t.Errorf("postMessage with a template: %+v", reply.PostMessage.Message)
	}
	runErrorCases(t, c.agent, []errorCase{
		{name: "missing variable", query: post, code: "VALIDATION", field: "variables",
			vars: map[string]any{"in": map[string]any{"engagementID": got.Engagement.ID, "templateID": smsTmpl, "variables": map[string]any{"name": "Ada"}}}},
		{name: "unknown variable", query: post, code: "VALIDATION", field: "variables",
			vars: map[string]any{"in": map[string]any{"engagementID": got.Engagement.ID, "templateID": smsTmpl,
				"variables": map[string]any{"name": "Ada", "parcel": "P", "extra": "x"}}}},
		{name: "template of another channel", query: post, code: "VALIDATION", field: "templateID",
			vars: map[string]any{"in": map[string]any{"engagementID": got.Engagement.ID, "templateID": mailTmpl, "variables": map[string]any{"name": "A", "number": "1"}}}},
		{name: "body and template", query: post, code: "VALIDATION", field: "body",
			vars: map[string]any{"in": map[string]any{"engagementID": got.Engagement.ID, "body": "x", "templateID": smsTmpl}}},
		{name: "missing template variable on start", query: startOutboundMutation, code: "VALIDATION", field: "variables",
			vars: map[string]any{"in": map[string]any{"channel": "SMS", "to": "+14155550111", "templateID": smsTmpl, "variables": map[string]any{"name": "Ada"}}}},
	})
}
