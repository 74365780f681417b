// Package postsession holds the rules of post-session transfers to a
// virtual agent (SPEC §6) that need no database: which session types each
// channel's setting may hand over, which session fields a data parameter
// may name, and how the parameters resolve. The engine runs the transfer
// (internal/engine/postsession.go).
package postsession

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/switchboard/switchboard/ent/schema"
	"github.com/switchboard/switchboard/ent/schema/enum"
)

// Types are the session types each channel's setting may hand to a virtual
// agent: the channel's own types, without mobile-app sessions, for which
// the feature does not exist (P4).
var Types = map[enum.Channel][]enum.SessionType{
	enum.ChannelVoice: {enum.SessionIVRCall, enum.SessionInboundCallWeb, enum.SessionScheduledCallWeb, enum.SessionOutboundCall},
	enum.ChannelChat:  {enum.SessionInboundWebChat},
}

// Eligible reports whether a session of type st on channel ch may be handed
// over under a setting listing types (none listed: every type of Types).
func Eligible(ch enum.Channel, st enum.SessionType, types []enum.SessionType) bool {
	if !slices.Contains(Types[ch], st) {
		return false
	}
	return len(types) == 0 || slices.Contains(types, st)
}

// FlowVariablePrefix names a flow variable as a session field:
// "flowVariables.order".
const FlowVariablePrefix = "flowVariables."

// Fields are the session fields a data parameter may name.
var Fields = []string{
	"engagementID", "channel", "sessionType", "direction", "queueID", "queueName", "menuPath", "language",
	"customerID", "customerName", "customerPhone", "customerEmail", "agentID", "agentName",
	"waitMs", "handleMs", "wrapUpMs", "startedAt", "endedAt", "botSummary",
}

// CheckField refuses a session field a data parameter may not name.
func CheckField(f string) error {
	if name, ok := strings.CutPrefix(f, FlowVariablePrefix); ok && name != "" {
		return nil
	}
	if !slices.Contains(Fields, f) {
		return fmt.Errorf("unknown session field %q; use one of %v or %s<name>", f, Fields, FlowVariablePrefix)
	}
	return nil
}

// Session is what data parameters resolve from: the session's fields by
// name, and its flow variables.
type Session struct {
	Fields        map[string]any
	FlowVariables map[string]any
}

// Resolve gives each data parameter its value: the literal, or the session
// field it names (null when the session has no value for it).
func Resolve(params []schema.DataParameter, s Session) map[string]any {
	out := make(map[string]any, len(params))
	for _, p := range params {
		switch {
		case p.Field == "":
			out[p.Name] = p.Value
		case strings.HasPrefix(p.Field, FlowVariablePrefix):
			out[p.Name] = s.FlowVariables[strings.TrimPrefix(p.Field, FlowVariablePrefix)]
		default:
			out[p.Name] = s.Fields[p.Field]
		}
	}
	return out
}

// Deadlines of the post-session part.
const (
	// ConsentTimeout is how long a chat customer has to answer the consent
	// question; no answer closes the session (CONSENT_TIMED_OUT).
	ConsentTimeout = 2 * time.Minute
	// TakeTimeout is how long the virtual agent has to take a session handed
	// to it; otherwise it closes (VIRTUAL_AGENT_TIMEOUT).
	TakeTimeout = time.Minute
	// Limit is how long a virtual agent may keep a session it took; then it
	// closes (POST_SESSION_LIMIT).
	Limit = 30 * time.Minute
)
