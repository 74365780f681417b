// Package enum holds the enumerations shared by several entities, so that
// GraphQL sees one type (Channel, not QueueChannel and EngagementChannel).
package enum

import (
	"fmt"
	"io"
	"slices"
	"strconv"
)

// Channel is the medium of an engagement.
type Channel string

// Channels.
const (
	ChannelVoice Channel = "VOICE"
	ChannelVideo Channel = "VIDEO"
	ChannelChat  Channel = "CHAT"
	ChannelSMS   Channel = "SMS"
	ChannelEmail Channel = "EMAIL"
)

// AllChannels lists every channel in default media priority order (R2).
var AllChannels = []Channel{ChannelVoice, ChannelVideo, ChannelChat, ChannelEmail, ChannelSMS}

// Values lists the channels for ent.
func (Channel) Values() []string { return values(AllChannels) }

// Live reports whether the channel is synchronous (VOICE, VIDEO, CHAT).
func (c Channel) Live() bool { return c == ChannelVoice || c == ChannelVideo || c == ChannelChat }

// Call reports whether the channel is a call (VOICE or VIDEO), which may
// interrupt chats (R3).
func (c Channel) Call() bool { return c == ChannelVoice || c == ChannelVideo }

// MarshalGQL implements graphql.Marshaler.
func (c Channel) MarshalGQL(w io.Writer) { marshal(w, c) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (c *Channel) UnmarshalGQL(v any) error { return unmarshal(v, c, AllChannels) }

// Role is what a principal may do.
type Role string

// Roles.
const (
	RoleAdmin      Role = "ADMIN"
	RoleSupervisor Role = "SUPERVISOR"
	RoleAgent      Role = "AGENT"
)

// AllRoles lists the roles from most to least privileged.
var AllRoles = []Role{RoleAdmin, RoleSupervisor, RoleAgent}

// Values lists the roles for ent.
func (Role) Values() []string { return values(AllRoles) }

// MarshalGQL implements graphql.Marshaler.
func (r Role) MarshalGQL(w io.Writer) { marshal(w, r) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (r *Role) UnmarshalGQL(v any) error { return unmarshal(v, r, AllRoles) }

// Direction says who started an engagement.
type Direction string

// Directions.
const (
	DirectionInbound  Direction = "INBOUND"
	DirectionOutbound Direction = "OUTBOUND"
)

var allDirections = []Direction{DirectionInbound, DirectionOutbound}

// Values lists the directions for ent.
func (Direction) Values() []string { return values(allDirections) }

// MarshalGQL implements graphql.Marshaler.
func (d Direction) MarshalGQL(w io.Writer) { marshal(w, d) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (d *Direction) UnmarshalGQL(v any) error { return unmarshal(v, d, allDirections) }

// SessionType classifies how a session reached the center (SPEC C8).
type SessionType string

// Session types.
const (
	SessionIVRCall           SessionType = "IVR_CALL"
	SessionInboundCallApp    SessionType = "INBOUND_CALL_APP"
	SessionInboundCallWeb    SessionType = "INBOUND_CALL_WEB"
	SessionScheduledVoiceApp SessionType = "SCHEDULED_VOICE_APP"
	SessionScheduledCallWeb  SessionType = "SCHEDULED_CALL_WEB"
	SessionOutboundCall      SessionType = "OUTBOUND_CALL"
	SessionInboundWebChat    SessionType = "INBOUND_WEB_CHAT"
	SessionInboundAppChat    SessionType = "INBOUND_APP_CHAT"
	SessionInboundSMS        SessionType = "INBOUND_SMS"
	SessionOutboundSMS       SessionType = "OUTBOUND_SMS"
	SessionInboundEmail      SessionType = "INBOUND_EMAIL"
	SessionOutboundEmail     SessionType = "OUTBOUND_EMAIL"
)

// AllSessionTypes lists every session type.
var AllSessionTypes = []SessionType{
	SessionIVRCall, SessionInboundCallApp, SessionInboundCallWeb, SessionScheduledVoiceApp,
	SessionScheduledCallWeb, SessionOutboundCall, SessionInboundWebChat, SessionInboundAppChat,
	SessionInboundSMS, SessionOutboundSMS, SessionInboundEmail, SessionOutboundEmail,
}

// Values lists the session types for ent.
func (SessionType) Values() []string { return values(AllSessionTypes) }

// MarshalGQL implements graphql.Marshaler.
func (s SessionType) MarshalGQL(w io.Writer) { marshal(w, s) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (s *SessionType) UnmarshalGQL(v any) error { return unmarshal(v, s, AllSessionTypes) }

func values[T ~string](all []T) []string {
	out := make([]string, len(all))
	for i, v := range all {
		out[i] = string(v)
	}
	return out
}

func marshal[T ~string](w io.Writer, v T) { _, _ = io.WriteString(w, strconv.Quote(string(v))) }

func unmarshal[T ~string](v any, dst *T, all []T) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("enum must be a string, got %T", v)
	}
	if !slices.Contains(all, T(s)) {
		return fmt.Errorf("%q is not a valid value", s)
	}
	*dst = T(s)
	return nil
}

// Scope is what an integration API key may do.
type Scope string

// Scopes.
const (
	ScopeEngagements  Scope = "ENGAGEMENTS"
	ScopeVirtualAgent Scope = "VIRTUAL_AGENT"
	ScopeCRM          Scope = "CRM"
	// ScopeMessaging is for SMS and email providers: inbound messages and
	// delivery status callbacks.
	ScopeMessaging Scope = "MESSAGING"
)

// AllScopes lists every API key scope.
var AllScopes = []Scope{ScopeEngagements, ScopeVirtualAgent, ScopeCRM, ScopeMessaging}

// MarshalGQL implements graphql.Marshaler.
func (s Scope) MarshalGQL(w io.Writer) { marshal(w, s) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (s *Scope) UnmarshalGQL(v any) error { return unmarshal(v, s, AllScopes) }

// Index is the channel's position in AllChannels, for arrays indexed by channel.
func (c Channel) Index() int {
	switch c {
	case ChannelVoice:
		return 0
	case ChannelVideo:
		return 1
	case ChannelChat:
		return 2
	case ChannelEmail:
		return 3
	default:
		return 4
	}
}
