package engine

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/event"
	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/ent/queue"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/lifecycle"
	"github.com/switchboard/switchboard/internal/waitestimate"
)

// chatSide returns who the caller is in engagement id's chat: CUSTOMER for
// its customer token, AGENT for the agent it is with; FORBIDDEN otherwise.
// The engagement must be a CHAT that is not over.
func (w *writer) chatSide(ctx context.Context, v *auth.Viewer, id int) (*ent.Engagement, event.ActorKind, error) {
	if v.IsCustomer() && v.EngagementID != id {
		return nil, "", apperr.New(apperr.Forbidden, "engagement %d is not yours", id).WithReason(ReasonNotOwner)
	}
	eg, err := w.Engagement.Get(ctx, id)
	if err != nil {
		return nil, "", err
	}
	by := event.ActorKindCUSTOMER
	if !v.IsCustomer() {
		if v.AgentID == 0 || deref(eg.AgentID) != v.AgentID {
			return nil, "", apperr.New(apperr.Forbidden, "engagement %d is not yours", id).WithReason(ReasonNotOwner)
		}
		by = event.ActorKindAGENT
	}
	if eg.Channel != enum.ChannelChat {
		return nil, "", apperr.Invalid("engagementID", "typing and read receipts are for CHAT engagements, not %s", eg.Channel)
	}
	if lifecycle.Is(eg.State, lifecycle.Terminal) || (by == event.ActorKindCUSTOMER && eg.CustomerLeft) {
		return nil, "", illegal("engagement %d has ended", id)
	}
	return eg, by, nil
}

// chatEvent appends a customer's or agent's chat signal: on the
// engagement's stream, and on its agent's when the customer sent it.
func (w *writer) chatEvent(ctx context.Context, eg *ent.Engagement, by event.ActorKind, d events.Details) error {
	to := 0
	if by == event.ActorKindCUSTOMER {
		to = deref(eg.AgentID)
	}
	return w.emit(ctx, events.Event{EngagementID: eg.ID, AgentID: to, Payload: d})
}

// SetTyping records that the caller (the engagement's customer token or
// agent) started or stopped typing: typing.changed.
func (e *Engine) SetTyping(ctx context.Context, id int, typing bool) (event.ActorKind, error) {
	v := viewer(ctx)
	var side event.ActorKind
	err := e.write(ctx, func(ctx context.Context, w *writer) error {
		eg, by, err := w.chatSide(ctx, v, id)
		if err != nil {
			return err
		}
		side = by
		return w.chatEvent(ctx, eg, by, events.TypingChangedDetails{Typing: typing, By: by})
	})
	return side, err
}

// MarkRead records that the caller (the engagement's customer token or
// agent) read its messages up to and including messageID: message.read.
func (e *Engine) MarkRead(ctx context.Context, id, messageID int) error {
	v := viewer(ctx)
	return e.write(ctx, func(ctx context.Context, w *writer) error {
		eg, by, err := w.chatSide(ctx, v, id)
		if err != nil {
			return err
		}
		ok, err := w.Message.Query().Where(message.ID(messageID), message.EngagementID(id)).Exist(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return apperr.New(apperr.NotFound, "engagement %d has no message %d", id, messageID).WithField("messageID")
		}
		return w.chatEvent(ctx, eg, by, events.MessageReadDetails{MessageID: messageID, By: by})
	})
}

// Position is a waiting engagement's place in its queue.
type Position struct {
	EngagementID int
	QueueID      int
	// Position is 1 for the next engagement the queue's agents get.
	Position int
	// WaitSeconds is the estimated wait (waitestimate), nil when unknown.
	WaitSeconds *int
}

// waitingStates are the states of an engagement waiting for an agent.
var waitingStates = []engagement.State{engagement.StateOffered, engagement.StateQueued}

// QueuePosition returns where engagement id stands in its queue, nil when
// it is not waiting. For its customer token, integrations with scope
// ENGAGEMENTS, supervisors and admins.
func (e *Engine) QueuePosition(ctx context.Context, id int) (*Position, error) {
	v := viewer(ctx)
	switch {
	case v.IsCustomer() && v.EngagementID == id, v.HasScope(enum.ScopeEngagements), v.Staff():
	default:
		return nil, apperr.New(apperr.Forbidden, "queue positions are for the engagement's customer, integrations (ENGAGEMENTS) and supervisors")
	}
	ctx = auth.SystemContext(ctx)
	eg, err := e.client.Engagement.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(waitingStates, eg.State) || eg.QueueID == 0 {
		return nil, nil
	}
	line, err := e.waitingLine(ctx, eg.QueueID, eg.Channel)
	if err != nil {
		return nil, err
	}
	for _, p := range line {
		if p.EngagementID == id {
			return &p, nil
		}
	}
	return nil, nil
}

// waitingLine returns the positions of the engagements of a channel
// waiting in a queue: those being offered first (oldest first), then the
// queued ones in routing order (priority, returned to the front, longest
// waiting; R8), each with its estimated wait.
func (e *Engine) waitingLine(ctx context.Context, queueID int, ch enum.Channel) ([]Position, error) {
	egs, err := e.client.Engagement.Query().Where(engagement.QueueID(queueID), engagement.ChannelEQ(ch),
		engagement.StateIn(waitingStates...)).
		Select(engagement.FieldID, engagement.FieldState, engagement.FieldPriority, engagement.FieldFrontOfQueue, engagement.FieldQueuedAt).
		All(ctx)
	if err != nil || len(egs) == 0 {
		return nil, err
	}
	slices.SortFunc(egs, func(a, b *ent.Engagement) int {
		if a.State != b.State {
			return cmp.Compare(rank(a.State), rank(b.State))
		}
		if a.Priority != b.Priority {
			return cmp.Compare(b.Priority, a.Priority)
		}
		if a.FrontOfQueue != b.FrontOfQueue {
			return map[bool]int{true: -1, false: 1}[a.FrontOfQueue]
		}
		if c := deref(a.QueuedAt).Compare(deref(b.QueuedAt)); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	staffed, err := e.Staffed(ctx, queueID)
	if err != nil {
		return nil, err
	}
	recent, err := e.handleTimes(ctx, queueID, ch)
	if err != nil {
		return nil, err
	}
	out := make([]Position, len(egs))
	for i, eg := range egs {
		out[i] = Position{EngagementID: eg.ID, QueueID: queueID, Position: i + 1,
			WaitSeconds: waitestimate.Seconds(i+1, staffed, recent)}
	}
	return out, nil
}

func rank(s engagement.State) int {
	if s == engagement.StateOffered {
		return 0
	}
	return 1
}

// Staffed counts the agents staffed for a queue: active members who are
// not OFFLINE (available or busy).
func (e *Engine) Staffed(ctx context.Context, queueID int) (int, error) {
	return e.client.Agent.Query().Where(agent.Active(true), agent.StateNEQ(agent.StateOffline),
		agent.HasQueuesWith(queue.ID(queueID))).Count(auth.SystemContext(ctx))
}

// handleTimes are the handle times (connected to ended) of the queue's
// last waitestimate.Recent engagements of a channel that ended.
func (e *Engine) handleTimes(ctx context.Context, queueID int, ch enum.Channel) ([]time.Duration, error) {
	egs, err := e.client.Engagement.Query().Where(engagement.QueueID(queueID), engagement.ChannelEQ(ch),
		engagement.ConnectedAtNotNil(), engagement.EndedAtNotNil()).
		Order(ent.Desc(engagement.FieldEndedAt), ent.Desc(engagement.FieldID)).Limit(waitestimate.Recent).
		Select(engagement.FieldID, engagement.FieldConnectedAt, engagement.FieldEndedAt).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]time.Duration, 0, len(egs))
	for _, eg := range egs {
		out = append(out, eg.EndedAt.Sub(*eg.ConnectedAt))
	}
	return out, nil
}
