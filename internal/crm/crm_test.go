package crm

import (
	"testing"
	"time"

	"github.com/switchboard/switchboard/ent/crmsetting"
	"github.com/switchboard/switchboard/ent/schema/enum"
)

// C8: every session type's tag in every CRM's style.
func TestSessionTagEveryTypeAndStyle(t *testing.T) {
	want := map[enum.SessionType][3]string{ // Zendesk, Kustomer, Freshdesk
		enum.SessionIVRCall:           {"voice_inbound_ivr", "Voice Inbound - IVR", "Voice Inbound (IVR)"},
		enum.SessionInboundCallApp:    {"voice_inbound_app", "Voice Inbound - App", "Voice Inbound (App)"},
		enum.SessionInboundCallWeb:    {"voice_inbound_web", "Voice Inbound - Web", "Voice Inbound (Web)"},
		enum.SessionScheduledVoiceApp: {"voice_scheduled_app", "Voice Scheduled - App", "Voice Scheduled (App)"},
		enum.SessionScheduledCallWeb:  {"voice_scheduled_web", "Voice Scheduled - Web", "Voice Scheduled (Web)"},
		enum.SessionOutboundCall:      {"voice_outbound", "Voice Outbound", "Voice Outbound"},
		enum.SessionInboundWebChat:    {"messaging_inbound_web_chat", "Messaging Inbound - Web Chat", "Messaging Inbound (Web Chat)"},
		enum.SessionInboundAppChat:    {"messaging_inbound_app_chat", "Messaging Inbound - App Chat", "Messaging Inbound (App Chat)"},
		enum.SessionInboundSMS:        {"messaging_inbound_sms", "Messaging Inbound - SMS", "Messaging Inbound (SMS)"},
		enum.SessionOutboundSMS:       {"messaging_outbound_sms", "Messaging Outbound - SMS", "Messaging Outbound (SMS)"},
		enum.SessionInboundEmail:      {"email_inbound", "Email Inbound", "Email Inbound"},
		enum.SessionOutboundEmail:     {"email_outbound", "Email Outbound", "Email Outbound"},
	}
	styles := []crmsetting.SessionTypeTags{crmsetting.SessionTypeTagsZendesk, crmsetting.SessionTypeTagsKustomer, crmsetting.SessionTypeTagsFreshdesk}
	for _, st := range enum.AllSessionTypes {
		w, ok := want[st]
		if !ok {
			t.Errorf("no expectation for session type %s", st)
			continue
		}
		for i, style := range styles {
			if got := SessionTag(style, st); got != w[i] {
				t.Errorf("%s in %s style: %q; want %q", st, style, got, w[i])
			}
		}
		if got := SessionTag(crmsetting.SessionTypeTagsNone, st); got != "" {
			t.Errorf("%s without a style: %q", st, got)
		}
		if CallType(st) == "" {
			t.Errorf("%s has no CALL_TYPE", st)
		}
	}
	if got := Tags(crmsetting.SessionTypeTagsZendesk, "switchboard", enum.SessionIVRCall); len(got) != 2 || got[1] != "switchboard" {
		t.Errorf("tags with a platform tag: %q", got)
	}
	if got := Tags(crmsetting.SessionTypeTagsNone, "", enum.SessionIVRCall); len(got) != 0 {
		t.Errorf("tags with nothing configured: %q", got)
	}
}

// C7: each variable renders; a missing value leaves no double space.
func TestTitle(t *testing.T) {
	s := Session{Type: enum.SessionInboundCallWeb, ID: "42", MenuPath: "Support > Billing", PhoneNumber: "+4930123456",
		Language: "de", Started: time.Date(2026, 3, 1, 8, 30, 0, 0, time.FixedZone("CET", 3600))}
	for tmpl, want := range map[string]string{
		"{CALL_TYPE} {CALL_ID}":           "Inbound Call (Web) 42",
		"[{LANGUAGE}] {MENU_PATH}":        "[de] Support > Billing",
		"{PHONE_NUMBER} at {TIMESTAMP}":   "+4930123456 at 2026-03-01T07:30:00Z",
		"Call {CALL_ID}":                  "Call 42",
		"{CALL_TYPE}  {PHONE_NUMBER} end": "Inbound Call (Web) +4930123456 end",
	} {
		if got := Title(tmpl, s); got != want {
			t.Errorf("Title(%q) = %q; want %q", tmpl, got, want)
		}
	}
	if got := Title("{CALL_ID} {PHONE_NUMBER} {LANGUAGE}", Session{ID: "7"}); got != "7" {
		t.Errorf("missing values: %q", got)
	}
	for _, bad := range []string{"{AGENT}", "{CALL_ID", "CALL_ID}", "{call_id}"} {
		if CheckTitleTemplate(bad) == nil {
			t.Errorf("template %q accepted", bad)
		}
	}
	if err := CheckTitleTemplate("{CALL_TYPE} {CALL_ID} {MENU_PATH} {PHONE_NUMBER} {LANGUAGE} {TIMESTAMP}"); err != nil {
		t.Errorf("every variable: %v", err)
	}
}
