package graph_test

import (
	"testing"

	"github.com/switchboard/switchboard/internal/apitest"
)

func TestCustomer(t *testing.T) {
	s := apitest.Start(t)
	const create = `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id name phones emails externalIds } } }`
	const update = `mutation($id: ID!, $in: UpdateCustomerInput!) { updateCustomer(id: $id, input: $in) { customer { id name phones emails } } }`
	type customer struct {
		ID, Name       string
		Phones, Emails []string
		ExternalIds    map[string]any
	}
	c := do[struct{ CreateCustomer struct{ Customer customer } }](t, s.Admin, create, map[string]any{"in": map[string]any{
		"name": "Grace", "phones": []string{"+4930123456"}, "emails": []string{"grace@example.com"}, "externalIds": map[string]any{"zendesk": "42"},
	}}).CreateCustomer.Customer
	if c.Name != "Grace" || len(c.Phones) != 1 || len(c.Emails) != 1 || c.ExternalIds["zendesk"] != "42" {
		t.Fatalf("created %s", jsonString(c))
	}

	t.Run("update appends contacts", func(t *testing.T) {
		got := do[struct{ UpdateCustomer struct{ Customer customer } }](t, s.Admin, update, map[string]any{"id": c.ID, "in": map[string]any{
			"appendPhones": []string{"+14155550100"}, "name": "Grace H.",
		}}).UpdateCustomer.Customer
		if got.Name != "Grace H." || len(got.Phones) != 2 {
			t.Fatalf("updated %s", jsonString(got))
		}
	})

	runErrorCases(t, s.Admin, []errorCase{
		{name: "phone without country code", query: create, code: "VALIDATION", field: "phones",
			vars: map[string]any{"in": map[string]any{"phones": []string{"030123456"}}}},
		{name: "invalid email", query: create, code: "VALIDATION", field: "emails",
			vars: map[string]any{"in": map[string]any{"emails": []string{"grace"}}}},
		{name: "append invalid phone", query: update, code: "VALIDATION", field: "phones",
			vars: map[string]any{"id": c.ID, "in": map[string]any{"appendPhones": []string{"call me"}}}},
		{name: "replace with invalid email", query: update, code: "VALIDATION", field: "emails",
			vars: map[string]any{"id": c.ID, "in": map[string]any{"emails": []string{"a@b@c"}}}},
		{name: "name too long", query: create, code: "VALIDATION", field: "name",
			vars: map[string]any{"in": map[string]any{"name": string(make([]byte, 201))}}},
		{name: "update missing customer", query: update, code: "NOT_FOUND",
			vars: map[string]any{"id": "1", "in": map[string]any{"name": "X"}}},
	})
	if n := count(t, s.Admin, "customers"); n != 1 {
		t.Errorf("%d customers after refused creations; want 1", n)
	}

	t.Run("who may write customers", func(t *testing.T) {
		_, supervisor := createAgent(t, s, map[string]any{"name": "Sup", "email": "sup@example.com", "role": "SUPERVISOR"})
		_, agent := createAgent(t, s, map[string]any{"name": "Agt", "email": "agt@example.com"})
		key := createAPIKey(t, s, "ENGAGEMENTS")
		vars := map[string]any{"in": map[string]any{"name": "Walk-in"}}
		do[any](t, supervisor, create, vars)
		do[any](t, s.Client(key), create, vars)
		apitest.ExpectCode(t, agent, "FORBIDDEN", create, vars)
		apitest.ExpectCode(t, s.Client(createAPIKey(t, s, "VIRTUAL_AGENT")), "FORBIDDEN", create, vars)
	})
}
