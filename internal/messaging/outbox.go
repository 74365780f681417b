package messaging

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/delivery"
	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/ent/predicate"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/clock"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/store"
)

// OutboxConfig is what the worker needs.
type OutboxConfig struct {
	Client *ent.Client
	Bus    *events.Bus
	// Writer runs the outbox's write transactions.
	Writer *store.Writer
	Clock  clock.Clock
	Log    *slog.Logger
	// Providers by channel; a channel without one keeps its messages
	// queued until one is configured.
	Providers map[enum.Channel]Provider
	// MaxAttempts is how many hand-overs are tried before a delivery is
	// dead-lettered.
	MaxAttempts int
	// Backoff is the wait before the second attempt; it doubles with every
	// further attempt (at most an hour) and is jittered by ±50%.
	Backoff time.Duration
	// Lease is how long an attempt may take before another worker may try
	// again (a crash mid-send); it must exceed a provider's timeouts.
	Lease time.Duration
}

// Outbox delivers queued messages after their transaction committed: one
// goroutine that wakes when a delivery is queued or a retry falls due.
type Outbox struct {
	cfg  OutboxConfig
	ctx  context.Context
	sub  *events.Subscriber
	stop chan struct{}
	done chan struct{}
}

// NewOutbox returns a worker; Start runs it.
func NewOutbox(cfg OutboxConfig) *Outbox {
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 30 * time.Second
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	return &Outbox{cfg: cfg, ctx: auth.SystemContext(context.Background())}
}

// Start runs the worker until Stop.
func (o *Outbox) Start() {
	o.stop, o.done = make(chan struct{}), make(chan struct{})
	o.sub = o.cfg.Bus.Subscribe(events.Key{Kind: events.All}, 1024)
	go o.run()
}

// Stop stops the worker and waits for an attempt in flight.
func (o *Outbox) Stop() {
	if o.stop == nil {
		return
	}
	close(o.stop)
	<-o.done
	o.cfg.Bus.Unsubscribe(o.sub)
	o.stop = nil
}

func (o *Outbox) run() {
	defer close(o.done)
	for {
		next, err := o.deliverDue()
		var alarm <-chan time.Time
		switch {
		case err != nil:
			o.cfg.Log.Error("outbox: delivering queued messages", "err", err)
			alarm = o.cfg.Clock.At(o.cfg.Clock.Now().Add(time.Second))
		case !next.IsZero():
			alarm = o.cfg.Clock.At(next)
		}
		if !o.wait(alarm) {
			return
		}
	}
}

// wait blocks until a delivery may be due: a new one queued, the alarm, or
// a lost subscription. It returns false on Stop.
func (o *Outbox) wait(alarm <-chan time.Time) bool {
	for {
		select {
		case <-o.stop:
			return false
		case <-alarm:
			return true
		case <-o.sub.Dropped:
			o.sub = o.cfg.Bus.Subscribe(events.Key{Kind: events.All}, 1024)
			return true
		case ev := <-o.sub.C:
			// A new delivery, or one queued again by retryDelivery.
			if d, _ := events.DetailsOf(ev); d != nil {
				if d, ok := d.(events.DeliveryChangedDetails); ok && d.Status == delivery.StatusQueued && d.Attempts == 0 {
					return true
				}
			}
		}
	}
}

// deliverDue attempts every delivery due now and returns when the next one
// falls due (zero when none is waiting).
func (o *Outbox) deliverDue() (time.Time, error) {
	for {
		now := o.cfg.Clock.Now()
		due, err := o.cfg.Client.Delivery.Query().Where(o.waiting(),
			delivery.NextAttemptAtLTE(now),
			delivery.Or(delivery.LeaseUntilIsNil(), delivery.LeaseUntilLTE(now)),
		).Order(ent.Asc(delivery.FieldNextAttemptAt), ent.Asc(delivery.FieldID)).Limit(50).All(o.ctx)
		if err != nil {
			return time.Time{}, err
		}
		for _, d := range due {
			select {
			case <-o.stop:
				return time.Time{}, nil
			default:
			}
			if err := o.attempt(d); err != nil {
				return time.Time{}, err
			}
		}
		if len(due) < 50 {
			break
		}
	}
	return o.nextDue()
}

// waiting selects the deliveries the worker has to try: queued, not given
// up, of a channel with a provider (the others wait for one to be
// configured, without using up attempts).
func (o *Outbox) waiting() predicate.Delivery {
	channels := make([]enum.Channel, 0, len(o.cfg.Providers))
	for ch := range o.cfg.Providers {
		channels = append(channels, ch)
	}
	return delivery.And(delivery.StatusEQ(delivery.StatusQueued), delivery.DeadLetteredAtIsNil(), delivery.ChannelIn(channels...))
}

// nextDue is the earliest moment a waiting delivery may be tried.
func (o *Outbox) nextDue() (time.Time, error) {
	next, err := o.cfg.Client.Delivery.Query().Where(o.waiting(), delivery.NextAttemptAtNotNil()).Order(ent.Asc(delivery.FieldNextAttemptAt)).First(o.ctx)
	if ent.IsNotFound(err) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	at := *next.NextAttemptAt
	if next.LeaseUntil != nil && next.LeaseUntil.After(at) {
		at = *next.LeaseUntil
	}
	// A later delivery with an earlier lease end is found on the next
	// round; leases only matter after a crash.
	leased, err := o.cfg.Client.Delivery.Query().Where(o.waiting(), delivery.LeaseUntilNotNil()).Order(ent.Asc(delivery.FieldLeaseUntil)).First(o.ctx)
	if err == nil && leased.LeaseUntil.Before(at) {
		at = *leased.LeaseUntil
	}
	return at, nil
}

// attempt claims d, hands it to its provider and records the outcome.
func (o *Outbox) attempt(d *ent.Delivery) error {
	now := o.cfg.Clock.Now()
	n, err := o.cfg.Client.Delivery.Update().Where(delivery.ID(d.ID), delivery.Attempts(d.Attempts),
		delivery.StatusEQ(delivery.StatusQueued), delivery.DeadLetteredAtIsNil(),
		delivery.Or(delivery.LeaseUntilIsNil(), delivery.LeaseUntilLTE(now))).
		SetLeaseUntil(now.Add(o.cfg.Lease)).AddAttempts(1).Save(o.ctx)
	if err != nil || n == 0 {
		return err // another worker took it
	}
	d.Attempts++
	p := o.cfg.Providers[d.Channel]
	out, err := o.outgoing(d)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(o.ctx, o.cfg.Lease)
	defer cancel()
	providerID, sendErr := p.Send(ctx, out)
	if sendErr != nil {
		o.cfg.Log.Warn("outbox: attempt failed", "delivery", d.ID, "attempt", d.Attempts, "err", sendErr)
	}
	return o.record(d, providerID, sendErr)
}

// outgoing builds what the provider gets for d: for email the thread
// headers from the conversation's earlier messages.
func (o *Outbox) outgoing(d *ent.Delivery) (Outgoing, error) {
	m, err := o.cfg.Client.Message.Get(o.ctx, d.MessageID)
	if err != nil {
		return Outgoing{}, err
	}
	out := Outgoing{ID: strconv.Itoa(d.ID), From: d.FromAddress, To: d.ToAddress, Subject: m.Subject, Body: m.Body, MessageID: m.RfcMessageID}
	if d.Channel != enum.ChannelEmail {
		return out, nil
	}
	earlier, err := o.cfg.Client.Message.Query().Where(message.EngagementID(m.EngagementID), message.IDLT(m.ID),
		message.RfcMessageIDNEQ("")).Order(ent.Asc(message.FieldID)).All(o.ctx)
	if err != nil {
		return Outgoing{}, err
	}
	for _, e := range earlier {
		out.References = append(out.References, e.RfcMessageID)
		out.InReplyTo = e.RfcMessageID
	}
	// RFC 5322 suggests keeping the first and the latest IDs of a long thread.
	if n := len(out.References); n > 20 {
		out.References = append(out.References[:1], out.References[n-19:]...)
	}
	return out, nil
}

// backoff is the jittered wait after a failed attempt number n (1-based).
func (o *Outbox) backoff(n int) time.Duration {
	d := o.cfg.Backoff << min(n-1, 16)
	d = min(d, time.Hour)
	return d/2 + rand.N(d+1)
}

// record writes the outcome of an attempt and tells the agent.
func (o *Outbox) record(d *ent.Delivery, providerID string, sendErr error) error {
	return o.write(func(ctx context.Context, tx *ent.Tx, now time.Time) (*ent.Delivery, error) {
		u := tx.Delivery.UpdateOneID(d.ID).ClearLeaseUntil()
		switch {
		case sendErr == nil:
			u.ClearNextAttemptAt().SetSentAt(now).SetLastError("")
			if providerID != "" {
				u.SetProviderMessageID(providerID)
			}
			// A callback may have told DELIVERED before the provider answered.
			if cur, err := tx.Delivery.Get(ctx, d.ID); err == nil && cur.Status == delivery.StatusQueued {
				u.SetStatus(delivery.StatusSent)
			}
		case IsPermanent(sendErr) || d.Attempts >= o.cfg.MaxAttempts:
			u.ClearNextAttemptAt().SetStatus(delivery.StatusFailed).SetFailedAt(now).SetDeadLetteredAt(now).SetLastError(truncate(sendErr.Error(), 2000))
		default:
			u.SetNextAttemptAt(now.Add(o.backoff(d.Attempts))).SetLastError(truncate(sendErr.Error(), 2000))
		}
		return u.Save(ctx)
	})
}

// write runs fn in a transaction and appends a delivery.changed event for
// the delivery it returns, published after the commit.
func (o *Outbox) write(fn func(ctx context.Context, tx *ent.Tx, now time.Time) (*ent.Delivery, error)) error {
	now := o.cfg.Clock.Now()
	return o.cfg.Writer.Do(o.ctx, func(ctx context.Context, tx *store.Tx) error {
		d, err := fn(ctx, tx.Tx, now)
		if err != nil || d == nil {
			return err
		}
		return AppendDeliveryEvent(ctx, tx, d, now)
	})
}

// AppendDeliveryEvent appends delivery.changed for d, addressed to the
// agent of its engagement.
func AppendDeliveryEvent(ctx context.Context, tx *store.Tx, d *ent.Delivery, now time.Time) error {
	m, err := tx.Message.Query().Where(message.ID(d.MessageID)).WithEngagement().Only(ctx)
	if err != nil {
		return err
	}
	ev := events.Event{EngagementID: m.EngagementID, At: now, Payload: events.DeliveryChangedDetails{
		DeliveryID: d.ID, MessageID: d.MessageID, Channel: d.Channel, Status: d.Status, Attempts: d.Attempts,
		DeadLettered: d.DeadLetteredAt != nil, Error: d.LastError, NextAttemptAt: d.NextAttemptAt}}
	if eg := m.Edges.Engagement; eg != nil && eg.AgentID != nil {
		ev.AgentID = *eg.AgentID
	}
	tx.Emit(ev)
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
