package graph_test

import (
	"testing"

	"github.com/switchboard/switchboard/internal/apitest"
)

func TestCRMSetting(t *testing.T) {
	s := apitest.Start(t)
	const update = `mutation($in: UpdateCRMSettingInput!) { updateCRMSetting(input: $in) {
	  crmSetting { id attachToOpenRecord reopenWithinDays titleTemplate abandonedChatRecords sessionTypeTags webhookURL } } }`
	const read = `{ crmSettings { totalCount edges { node { id reopenWithinDays titleTemplate sessionTypeTags } } } }`
	type settings struct {
		CrmSettings struct {
			TotalCount int
			Edges      []struct {
				Node struct {
					ID, TitleTemplate, SessionTypeTags string
					ReopenWithinDays                   int
				}
			}
		}
	}
	initial := do[settings](t, s.Admin, read, nil).CrmSettings
	if initial.TotalCount != 1 || initial.Edges[0].Node.TitleTemplate != "{CALL_TYPE} {CALL_ID}" {
		t.Fatalf("initial settings = %s", jsonString(initial))
	}
	id := initial.Edges[0].Node.ID

	t.Run("update the single row", func(t *testing.T) {
		got := do[struct {
			UpdateCRMSetting struct{ CrmSetting map[string]any }
		}](t, s.Admin, update, map[string]any{"in": map[string]any{
			"attachToOpenRecord": true, "reopenWithinDays": 7, "titleTemplate": "{MENU_PATH}: {PHONE_NUMBER} at {TIMESTAMP}",
			"abandonedChatRecords": "MIN_MESSAGES", "sessionTypeTags": "ZENDESK", "webhookURL": "https://crm.example.com/hook",
		}}).UpdateCRMSetting.CrmSetting
		if got["id"] != id || got["reopenWithinDays"] != 7.0 || got["sessionTypeTags"] != "ZENDESK" {
			t.Fatalf("updated %s", jsonString(got))
		}
	})

	in := func(fields map[string]any) map[string]any { return map[string]any{"in": fields} }
	runErrorCases(t, s.Admin, []errorCase{
		{name: "reopen window over a year", query: update, code: "VALIDATION", field: "reopenWithinDays", vars: in(map[string]any{"reopenWithinDays": 400})},
		{name: "negative chat message threshold", query: update, code: "VALIDATION", field: "chatRecordMinMessages", vars: in(map[string]any{"chatRecordMinMessages": -1})},
		{name: "short abandonment over an hour", query: update, code: "VALIDATION", field: "shortAbandonSeconds", vars: in(map[string]any{"shortAbandonSeconds": 3601})},
		{name: "unknown title variable", query: update, code: "VALIDATION", field: "titleTemplate", vars: in(map[string]any{"titleTemplate": "{CALL_TYPE} {AGENT}"})},
		{name: "unbalanced title braces", query: update, code: "VALIDATION", field: "titleTemplate", vars: in(map[string]any{"titleTemplate": "{CALL_TYPE"})},
		{name: "webhook not a URL", query: update, code: "VALIDATION", field: "webhookURL", vars: in(map[string]any{"webhookURL": "crm"})},
		{name: "unknown tag style", query: update, code: "VALIDATION", vars: in(map[string]any{"sessionTypeTags": "SALESFORCE"})},
	})

	after := do[settings](t, s.Admin, read, nil).CrmSettings
	if after.TotalCount != 1 || after.Edges[0].Node.ReopenWithinDays != 7 || after.Edges[0].Node.TitleTemplate != "{MENU_PATH}: {PHONE_NUMBER} at {TIMESTAMP}" {
		t.Fatalf("settings after refused updates = %s", jsonString(after))
	}

	t.Run("supervisors read, only admins write", func(t *testing.T) {
		_, sup := createAgent(t, s, map[string]any{"name": "Sup", "email": "sup@example.com", "role": "SUPERVISOR"})
		_, agent := createAgent(t, s, map[string]any{"name": "Agt", "email": "agt@example.com"})
		do[any](t, sup, read, nil)
		apitest.ExpectCode(t, sup, "FORBIDDEN", update, in(map[string]any{"attachToOpenRecord": false}))
		apitest.ExpectCode(t, agent, "FORBIDDEN", read, nil)
	})
}
