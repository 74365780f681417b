// Package live serves the API's subscriptions: an agent's own events, the
// events of one engagement, and live queue figures. Each subscription owns
// one goroutine: it replays (or takes a snapshot) first, then follows the
// bus, sends only in a select with the end of its context, and unsubscribes
// when it returns. A subscriber that falls too far behind has its websocket
// closed with a reason, so the client reconnects and resumes from its cursor.
package live

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/clock"
	"github.com/switchboard/switchboard/internal/events"
)

// Presence is told when an agent's event stream opens and closes; the
// engine uses it for the grace period of a lost connection.
type Presence interface {
	AgentConnected(ctx context.Context, agentID int)
	AgentDisconnected(ctx context.Context, agentID int)
}

// DefaultQueueStatsInterval is the shortest time between two snapshots of
// one queue when Service.QueueStatsInterval is not set.
const DefaultQueueStatsInterval = 100 * time.Millisecond

// Service opens subscriptions.
type Service struct {
	Client   *ent.Client
	Bus      *events.Bus
	Clock    clock.Clock
	Presence Presence
	Log      *slog.Logger
	// QueueStatsInterval is the shortest (wall-clock) time between two
	// snapshots of one queue: bursts of changes coalesce into one.
	QueueStatsInterval time.Duration
	// SlowDisconnect, when set, is called each time a subscriber that fell
	// behind has its connection closed (a metric counts them).
	SlowDisconnect func()
}

// CloseTooSlow is the websocket close code of a connection one of whose
// subscriptions fell too far behind: 1013, "try again later", which
// clients (graphql-ws among them) retry.
const CloseTooSlow = 1013

// CloseFunc ends the client connection that carries a subscription, with a
// websocket close code and a reason of at most 123 bytes.
type CloseFunc func(code int, reason string)

type closeKey struct{}

// WithCloseFunc returns ctx carrying close, the way to end its connection.
// The websocket transport sets it at connection_init; subscriptions are
// refused on a context without one.
func WithCloseFunc(ctx context.Context, close CloseFunc) context.Context {
	return context.WithValue(ctx, closeKey{}, close)
}

// Operation is what the websocket transport gives a subscription through
// its context (WithOperation): the way to deliver its events on the
// stream's own goroutine, and to end it with an error.
type Operation interface {
	// Claim tells the transport that the stream calls Emit after each
	// event it sends (and once after closing its channel), so the
	// transport runs no goroutine of its own for the subscription. It
	// reports false when the operation was claimed already.
	Claim() bool
	// Emit takes the event just sent on the subscription's channel,
	// builds its response and queues the frame. It reports false when the
	// connection is too far behind (the stream then ends with
	// events.ErrTooSlow).
	Emit() bool
	// Fail records an error the subscription ends with.
	Fail(err *gqlerror.Error)
}

type operationKey struct{}

// WithOperation returns ctx carrying op, the transport's handle on the
// subscription started in ctx.
func WithOperation(ctx context.Context, op Operation) context.Context {
	return context.WithValue(ctx, operationKey{}, op)
}

func operationFrom(ctx context.Context) Operation {
	op, _ := ctx.Value(operationKey{}).(Operation)
	return op
}

// fail ends the subscription of ctx with err.
func fail(ctx context.Context, err *gqlerror.Error) {
	if op := operationFrom(ctx); op != nil {
		op.Fail(err)
	}
}

type deliveredKey struct{}

// WithDelivered returns ctx carrying f, told of each event an agentEvents
// stream started in ctx hands to the transport, in order and just before
// it does (the ring-latency metric matches the frames it writes to them).
func WithDelivered(ctx context.Context, f func(*ent.Event)) context.Context {
	return context.WithValue(ctx, deliveredKey{}, f)
}

func deliveredFrom(ctx context.Context) func(*ent.Event) {
	f, _ := ctx.Value(deliveredKey{}).(func(*ent.Event))
	return f
}

func closeFuncFrom(ctx context.Context) CloseFunc {
	f, _ := ctx.Value(closeKey{}).(CloseFunc)
	return f
}

// overWebsocket refuses subscriptions outside a websocket (a POST would
// hold the request open until the first event).
func overWebsocket(ctx context.Context) error {
	if closeFuncFrom(ctx) == nil {
		return apperr.New(apperr.Validation, "subscriptions are served over the websocket (graphql-transport-ws or graphql-ws) only")
	}
	return nil
}

// finish reports why a stream ended, if it was not the client leaving: a
// subscriber that fell behind gets its connection closed (CloseTooSlow),
// any other failure is logged and sent as the subscription's error.
func (s *Service) finish(ctx context.Context, stream string, err error) {
	var lost *apperr.Error
	switch {
	case err == nil || ctx.Err() != nil || errors.Is(err, errClosed):
	case errors.As(err, &lost) && lost.Reason == ReasonAccessLost:
		fail(ctx, &gqlerror.Error{
			Message:    lost.Message,
			Extensions: map[string]any{"code": string(lost.Code), "reason": lost.Reason},
		})
	case errors.Is(err, events.ErrTooSlow):
		s.Log.InfoContext(ctx, "subscriber too slow: closing its connection", "stream", stream)
		if s.SlowDisconnect != nil {
			s.SlowDisconnect()
		}
		if close := closeFuncFrom(ctx); close != nil {
			close(CloseTooSlow, err.Error())
		}
	default:
		s.Log.ErrorContext(ctx, "subscription failed", "stream", stream, "err", err)
		fail(ctx, &gqlerror.Error{
			Message:    "internal error: subscribe again with after: <last sequence>",
			Extensions: map[string]any{"code": string(apperr.Internal)},
		})
	}
}

// send delivers v unless ctx ends first.
func send[T any](ctx context.Context, out chan<- T, v T) bool {
	select {
	case out <- v:
		return true
	case <-ctx.Done():
		return false
	}
}
