// Package crm holds the rules of the built-in CRM record store that do not
// need the database: the record title template (C7) and the session-type
// tags in each CRM's style (C8). The engine decides when records are
// created, attached and reopened (internal/engine/crm.go).
package crm

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/switchboard/switchboard/ent/crmsetting"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/apperr"
)

// TitleVariables are the variables a record title template may use (C7).
var TitleVariables = []string{"CALL_TYPE", "CALL_ID", "MENU_PATH", "PHONE_NUMBER", "LANGUAGE", "TIMESTAMP"}

var titleVariable = regexp.MustCompile(`\{([^{}]*)\}`)

// CheckTitleTemplate refuses unknown {VARIABLES} and unbalanced braces,
// which would otherwise show up verbatim in every record title.
func CheckTitleTemplate(tmpl string) error {
	matches := titleVariable.FindAllStringSubmatch(tmpl, -1)
	for _, m := range matches {
		if !slices.Contains(TitleVariables, m[1]) {
			return apperr.Invalid("titleTemplate", "unknown variable {%s}; use %v", m[1], TitleVariables)
		}
	}
	if strings.Count(tmpl, "{") != len(matches) || strings.Count(tmpl, "}") != len(matches) {
		return apperr.Invalid("titleTemplate", "unbalanced braces in %q", tmpl)
	}
	return nil
}

// Session is what a title is rendered from.
type Session struct {
	Type     enum.SessionType
	ID       string
	MenuPath string
	// PhoneNumber is the number the customer dialled (the entry point's
	// address); empty for sessions that did not dial one.
	PhoneNumber string
	Language    string
	Started     time.Time
}

// Title renders a title template for a session. A variable without a value
// renders empty, and the spaces it leaves are collapsed.
func Title(tmpl string, s Session) string {
	out := titleVariable.ReplaceAllStringFunc(tmpl, func(v string) string {
		switch strings.Trim(v, "{}") {
		case "CALL_TYPE":
			return CallType(s.Type)
		case "CALL_ID":
			return s.ID
		case "MENU_PATH":
			return s.MenuPath
		case "PHONE_NUMBER":
			return s.PhoneNumber
		case "LANGUAGE":
			return s.Language
		case "TIMESTAMP":
			return s.Started.UTC().Format(time.RFC3339)
		}
		return v
	})
	return strings.Join(strings.Fields(out), " ")
}

// sessionKinds names each session type twice: as CALL_TYPE shows it in a
// title, and as the session-type tag in its canonical form
// ("Medium Direction (Detail)"), from which each CRM's style is derived.
var sessionKinds = map[enum.SessionType]struct{ callType, tag string }{
	enum.SessionIVRCall:           {"IVR Call", "Voice Inbound (IVR)"},
	enum.SessionInboundCallApp:    {"Inbound Call (App)", "Voice Inbound (App)"},
	enum.SessionInboundCallWeb:    {"Inbound Call (Web)", "Voice Inbound (Web)"},
	enum.SessionScheduledVoiceApp: {"Scheduled Voice (App)", "Voice Scheduled (App)"},
	enum.SessionScheduledCallWeb:  {"Scheduled Call (Web)", "Voice Scheduled (Web)"},
	enum.SessionOutboundCall:      {"Outbound Call", "Voice Outbound"},
	enum.SessionInboundWebChat:    {"Web Chat", "Messaging Inbound (Web Chat)"},
	enum.SessionInboundAppChat:    {"App Chat", "Messaging Inbound (App Chat)"},
	enum.SessionInboundSMS:        {"Inbound SMS", "Messaging Inbound (SMS)"},
	enum.SessionOutboundSMS:       {"Outbound SMS", "Messaging Outbound (SMS)"},
	enum.SessionInboundEmail:      {"Inbound Email", "Email Inbound"},
	enum.SessionOutboundEmail:     {"Outbound Email", "Email Outbound"},
}

// CallType is the session type as the CALL_TYPE variable shows it.
func CallType(st enum.SessionType) string { return sessionKinds[st].callType }

var nonAlnum = regexp.MustCompile(`[^a-z0-9]+`)

// SessionTag is the session-type tag of st in a CRM's style (C8): Zendesk
// `voice_inbound_ivr`, Kustomer `Voice Inbound - IVR`, Freshdesk
// `Voice Inbound (IVR)`; empty for NONE or an unknown type.
func SessionTag(style crmsetting.SessionTypeTags, st enum.SessionType) string {
	tag := sessionKinds[st].tag
	if tag == "" {
		return ""
	}
	switch style {
	case crmsetting.SessionTypeTagsZendesk:
		return strings.Trim(nonAlnum.ReplaceAllString(strings.ToLower(tag), "_"), "_")
	case crmsetting.SessionTypeTagsKustomer:
		if base, detail, ok := strings.Cut(tag, " ("); ok {
			return base + " - " + strings.TrimSuffix(detail, ")")
		}
		return tag
	case crmsetting.SessionTypeTagsFreshdesk:
		return tag
	}
	return ""
}

// Tags are the tags of a new record: the session-type tag in the
// configured style and the platform tag, each when configured.
func Tags(style crmsetting.SessionTypeTags, platformTag string, st enum.SessionType) []string {
	tags := []string{}
	if t := SessionTag(style, st); t != "" {
		tags = append(tags, t)
	}
	if platformTag != "" {
		tags = append(tags, platformTag)
	}
	return tags
}
