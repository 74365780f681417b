package graph_test

import (
	"testing"

	"github.com/switchboard/switchboard/internal/apitest"
)

// Update inputs append to list fields (entgql's generated Mutate lost these;
// see internal/admin).
func TestUpdateAppendsToLists(t *testing.T) {
	s := apitest.Start(t)
	agent, _ := createAgent(t, s, map[string]any{"name": "A", "email": "a@example.com", "skills": []string{"de"}})
	queue := createQueue(t, s, map[string]any{"name": "Q", "channels": []string{"CHAT"}})
	customer := createNode(t, s.Admin, "customer", "customer", map[string]any{"emails": []string{"a@example.com"}})
	bot := createNode(t, s.Admin, "virtualAgent", "virtualAgent", map[string]any{"name": "Bot", "channels": []string{"CHAT"}})
	setting := createNode(t, s.Admin, "postSessionSetting", "postSessionSetting", map[string]any{"channel": "VOICE", "sessionTypes": []string{"IVR_CALL"}})

	for _, tc := range []struct {
		name, mutation, input, id, field string
		in                               map[string]any
		want                             string
	}{
		{"agent skills", "updateAgent", "UpdateAgentInput", agent, "skills",
			map[string]any{"appendSkills": []string{"fr"}}, `["de","fr"]`},
		{"agent skills set then appended", "updateAgent", "UpdateAgentInput", agent, "skills",
			map[string]any{"skills": []string{"en"}, "appendSkills": []string{"es"}}, `["en","es"]`},
		{"queue channels", "updateQueue", "UpdateQueueInput", queue, "channels",
			map[string]any{"appendChannels": []string{"EMAIL"}}, `["CHAT","EMAIL"]`},
		{"queue channels cleared then appended", "updateQueue", "UpdateQueueInput", queue, "channels",
			map[string]any{"clearChannels": true, "appendChannels": []string{"SMS"}}, `["SMS"]`},
		{"customer emails", "updateCustomer", "UpdateCustomerInput", customer, "emails",
			map[string]any{"appendEmails": []string{"b@example.com"}}, `["a@example.com","b@example.com"]`},
		{"virtual agent channels", "updateVirtualAgent", "UpdateVirtualAgentInput", bot, "botChannels",
			map[string]any{"appendChannels": []string{"VOICE"}}, `["CHAT","VOICE"]`},
		{"post-session session types", "updatePostSessionSetting", "UpdatePostSessionSettingInput", setting, "sessionTypes",
			map[string]any{"appendSessionTypes": []string{"OUTBOUND_CALL"}}, `["IVR_CALL","OUTBOUND_CALL"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			do[any](t, s.Admin, `mutation($id: ID!, $in: `+tc.input+`!) { `+tc.mutation+`(id: $id, input: $in) { __typename } }`,
				map[string]any{"id": tc.id, "in": tc.in})
			got := node(t, s.Admin, tc.id, `... on Agent { skills } ... on Queue { channels } ... on Customer { emails }
			  ... on VirtualAgent { botChannels: channels } ... on PostSessionSetting { sessionTypes }`)
			if g := jsonString(got[tc.field]); g != tc.want {
				t.Fatalf("%s = %s; want %s", tc.field, g, tc.want)
			}
		})
	}
}
