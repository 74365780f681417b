package postsession

import (
	"testing"

	"github.com/switchboard/switchboard/ent/schema"
	"github.com/switchboard/switchboard/ent/schema/enum"
)

// P4 and the setting's session types decide what is handed over.
func TestEligible(t *testing.T) {
	for _, tc := range []struct {
		ch    enum.Channel
		st    enum.SessionType
		types []enum.SessionType
		want  bool
	}{
		{enum.ChannelChat, enum.SessionInboundWebChat, nil, true},
		{enum.ChannelChat, enum.SessionInboundAppChat, nil, false},
		{enum.ChannelChat, enum.SessionInboundAppChat, []enum.SessionType{enum.SessionInboundAppChat}, false},
		{enum.ChannelVoice, enum.SessionIVRCall, nil, true},
		{enum.ChannelVoice, enum.SessionIVRCall, []enum.SessionType{enum.SessionInboundCallWeb}, false},
		{enum.ChannelVoice, enum.SessionInboundCallApp, nil, false},
		{enum.ChannelVoice, enum.SessionScheduledVoiceApp, nil, false},
		{enum.ChannelSMS, enum.SessionInboundSMS, nil, false},
		{enum.ChannelVoice, enum.SessionInboundWebChat, nil, false},
	} {
		if got := Eligible(tc.ch, tc.st, tc.types); got != tc.want {
			t.Errorf("Eligible(%s, %s, %v) = %v", tc.ch, tc.st, tc.types, got)
		}
	}
}

// P2: literals, session fields and flow variables; unknown fields refused.
func TestResolveAndCheckField(t *testing.T) {
	got := Resolve([]schema.DataParameter{{Name: "survey", Value: "csat"}, {Name: "agent", Field: "agentName"},
		{Name: "order", Field: "flowVariables.order"}, {Name: "missing", Field: "customerEmail"}},
		Session{Fields: map[string]any{"agentName": "Ann"}, FlowVariables: map[string]any{"order": "A-17"}})
	if got["survey"] != "csat" || got["agent"] != "Ann" || got["order"] != "A-17" || got["missing"] != nil || len(got) != 4 {
		t.Fatalf("Resolve = %v", got)
	}
	for _, f := range Fields {
		if err := CheckField(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	for _, f := range []string{"agentMood", "flowVariables.", "", "FlowVariables.x"} {
		if CheckField(f) == nil {
			t.Errorf("%q accepted", f)
		}
	}
}
