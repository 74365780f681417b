package messaging

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/delivery"
	"github.com/switchboard/switchboard/internal/apperr"
)

// rank orders delivery statuses: a status only ever moves to a higher rank.
// DELIVERED and FAILED are both final.
var rank = map[delivery.Status]int{
	delivery.StatusQueued: 0, delivery.StatusSent: 1, delivery.StatusDelivered: 2, delivery.StatusFailed: 2,
}

// StatusReport is a provider's callback about one message.
type StatusReport struct {
	// DeliveryID is the id Switchboard gave the provider (the "id" of the
	// SMS webhook body, the Idempotency-Key); or ProviderMessageID, the
	// provider's own id from its answer.
	DeliveryID        string
	ProviderMessageID string
	Status            delivery.Status
	Error             string
}

// Report applies a status callback. Duplicates and reports that arrive
// after a later status (SENT after DELIVERED) change nothing and succeed,
// so providers do not retry them.
func (o *Outbox) Report(ctx context.Context, r StatusReport) (*ent.Delivery, error) {
	r.Status = delivery.Status(strings.ToUpper(string(r.Status)))
	if r.Status == delivery.StatusQueued || delivery.StatusValidator(r.Status) != nil {
		return nil, apperr.Invalid("status", "status is SENT, DELIVERED or FAILED, not %q", r.Status)
	}
	q := o.cfg.Client.Delivery.Query()
	switch {
	case r.DeliveryID != "":
		id, err := strconv.Atoi(r.DeliveryID)
		if err != nil {
			return nil, apperr.Invalid("id", "%q is not a delivery id", r.DeliveryID)
		}
		q.Where(delivery.ID(id))
	case r.ProviderMessageID != "":
		q.Where(delivery.ProviderMessageID(r.ProviderMessageID))
	default:
		return nil, apperr.Invalid("id", "name the message by id or providerMessageID")
	}
	d, err := q.First(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "no delivery %s%s", r.DeliveryID, r.ProviderMessageID)
	}
	if err != nil {
		return nil, err
	}
	var out *ent.Delivery
	err = o.write(func(ctx context.Context, tx *ent.Tx, now time.Time) (*ent.Delivery, error) {
		lower := []delivery.Status{}
		for s, rk := range rank {
			if rk < rank[r.Status] {
				lower = append(lower, s)
			}
		}
		u := tx.Delivery.Update().Where(delivery.ID(d.ID), delivery.StatusIn(lower...)).SetStatus(r.Status)
		switch r.Status {
		case delivery.StatusSent:
			u.SetSentAt(now)
		case delivery.StatusDelivered:
			u.SetDeliveredAt(now)
		case delivery.StatusFailed:
			u.SetFailedAt(now).SetLastError(truncate(cmpOr(r.Error, "the provider reported a failure"), 2000))
		}
		if r.Status != delivery.StatusSent {
			// Final: nothing more to try.
			u.ClearNextAttemptAt()
		}
		n, err := u.Save(ctx)
		if err != nil {
			return nil, err
		}
		if out, err = tx.Delivery.Get(ctx, d.ID); err != nil || n == 0 {
			return nil, err // unchanged: no event
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return o.cfg.Client.Delivery.Get(ctx, d.ID)
	}
	return out, nil
}

// Retry queues a dead-lettered (or provider-failed) delivery again, with
// its attempts starting over.
func (o *Outbox) Retry(ctx context.Context, id int) (*ent.Delivery, error) {
	var out *ent.Delivery
	err := o.write(func(ctx context.Context, tx *ent.Tx, now time.Time) (*ent.Delivery, error) {
		d, err := tx.Delivery.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if d.Status != delivery.StatusFailed {
			return nil, apperr.New(apperr.PreconditionFailed, "delivery %d is %s; only FAILED deliveries are retried", id, d.Status).WithReason("NOT_FAILED")
		}
		n, err := tx.Delivery.Update().Where(delivery.ID(id), delivery.StatusEQ(delivery.StatusFailed)).
			SetStatus(delivery.StatusQueued).SetAttempts(0).SetNextAttemptAt(now).ClearDeadLetteredAt().ClearFailedAt().
			ClearLeaseUntil().Save(ctx)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, apperr.New(apperr.Conflict, "delivery %d changed meanwhile; retry", id).WithReason("STALE_STATE")
		}
		out, err = tx.Delivery.Get(ctx, id)
		return out, err
	})
	return out, err
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
