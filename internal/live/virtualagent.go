package live

import (
	"context"
	"strconv"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/events"
)

// VirtualAgentEvents streams the events of the virtual agent the caller's
// API key acts as: post_session.changed of the sessions handed to it, and
// the messages of those it has while they are with it.
func (s *Service) VirtualAgentEvents(ctx context.Context, after *string) (<-chan *ent.Event, error) {
	v := auth.FromContext(ctx)
	if !v.HasScope(enum.ScopeVirtualAgent) {
		return nil, apperr.New(apperr.Forbidden, "only virtual agents have this stream")
	}
	sys := auth.SystemContext(ctx)
	key, err := s.Client.APIKey.Get(sys, v.APIKeyID)
	if err != nil {
		return nil, err
	}
	if key.VirtualAgentID == nil {
		return nil, apperr.New(apperr.Forbidden, "this API key is bound to no virtual agent")
	}
	me := strconv.Itoa(*key.VirtualAgentID)
	// The sessions with the virtual agent now; the stream keeps the set up
	// to date from the post_session.changed events it passes on, in order.
	ids, err := s.Client.Engagement.Query().Where(engagement.VirtualAgentID(*key.VirtualAgentID),
		engagement.StateEQ(engagement.StatePostSession)).IDs(sys)
	if err != nil {
		return nil, err
	}
	with := map[int]bool{}
	for _, id := range ids {
		with[id] = true
	}
	keep := func(e *ent.Event) bool {
		if e.EngagementID == nil {
			return false
		}
		switch e.Topic {
		case events.PostSessionChanged:
			if e.Payload["virtualAgentID"] != me {
				return false
			}
			switch e.Payload["status"] {
			case string(engagement.PostSessionStatusAwaitingConsent), string(engagement.PostSessionStatusWaiting), string(engagement.PostSessionStatusTaken):
				with[*e.EngagementID] = true
			default:
				delete(with, *e.EngagementID)
			}
			return true
		case events.MessageCreated:
			return with[*e.EngagementID]
		}
		return false
	}
	filter := func(e *ent.Event) (bool, error) { return keep(e), nil }
	return s.stream(ctx, "virtualAgentEvents", events.Key{Kind: events.All}, after, filter, nil, nil)
}
