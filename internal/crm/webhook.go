package crm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/crmdelivery"
	"github.com/switchboard/switchboard/ent/crmrecord"
	"github.com/switchboard/switchboard/ent/event"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/clock"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/messaging"
	"github.com/switchboard/switchboard/internal/store"
)

// WebhookConfig configures the external CRM adapter. The URL is the CRM
// settings' webhookURL, read at every round: empty mirrors nothing.
type WebhookConfig struct {
	Client *ent.Client
	// Writer runs its write transactions.
	Writer *store.Writer
	Bus    *events.Bus
	Clock  clock.Clock
	Log    *slog.Logger
	// Secret signs each request (HMAC-SHA256, as the SMS webhook).
	Secret string
	// Timeout bounds each request.
	Timeout time.Duration
	// MaxAttempts before a delivery is dead-lettered; Backoff is the wait
	// before the second attempt, doubled for each further one (at most 1h),
	// jittered by ±50%.
	MaxAttempts int
	Backoff     time.Duration
}

// Webhook mirrors record changes to an external CRM: every
// crm_record.changed event of a record becomes a CRMDelivery row (the
// outbox, filled from the event log after a cursor, so nothing is lost
// between a commit and its delivery), POSTed as signed JSON with the
// record's version and the event's sequence number, retried with jittered
// backoff and dead-lettered after MaxAttempts. Deliveries are independent:
// one failing record does not hold back the others, so a receiver may see
// versions out of order or twice and keeps the highest version of each
// record (the Idempotency-Key is record ID and version).
type Webhook struct {
	cfg        WebhookConfig
	http       *http.Client
	ctx        context.Context
	stop, done chan struct{}
	sub        *events.Subscriber
	// poke wakes the adapter after a redrive.
	poke chan struct{}
}

// NewWebhook returns the adapter; Start runs it.
func NewWebhook(cfg WebhookConfig) *Webhook {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 30 * time.Second
	}
	return &Webhook{cfg: cfg, http: &http.Client{Timeout: cfg.Timeout}, ctx: auth.SystemContext(context.Background()),
		poke: make(chan struct{}, 1)}
}

// Start runs the adapter until Stop.
func (h *Webhook) Start() {
	h.stop, h.done = make(chan struct{}), make(chan struct{})
	h.sub = h.cfg.Bus.Subscribe(events.Key{Kind: events.All}, 1024)
	go h.run()
}

// Stop stops the adapter and waits for a request in flight.
func (h *Webhook) Stop() {
	if h.stop == nil {
		return
	}
	close(h.stop)
	<-h.done
	h.cfg.Bus.Unsubscribe(h.sub)
	h.stop = nil
}

func (h *Webhook) run() {
	defer close(h.done)
	for {
		next, err := h.round()
		var alarm <-chan time.Time
		switch {
		case err != nil:
			h.cfg.Log.Error("crm webhook", "err", err)
			alarm = h.cfg.Clock.At(h.cfg.Clock.Now().Add(time.Second))
		case !next.IsZero():
			alarm = h.cfg.Clock.At(next)
		}
		if !h.wait(alarm) {
			return
		}
	}
}

// wait blocks until something may be due: a record change, a redrive, the
// alarm. It returns false on Stop.
func (h *Webhook) wait(alarm <-chan time.Time) bool {
	for {
		select {
		case <-h.stop:
			return false
		case <-alarm:
			return true
		case <-h.sub.Dropped:
			h.cfg.Bus.Unsubscribe(h.sub)
			h.sub = h.cfg.Bus.Subscribe(events.Key{Kind: events.All}, 1024)
			return true
		case <-h.poke:
			return true
		case e := <-h.sub.C:
			if e.Topic == events.CRMRecordChanged {
				return true
			}
		}
	}
}

// round fills the outbox from the log and attempts what is due; it returns
// when the next attempt is due (zero: nothing waits).
func (h *Webhook) round() (time.Time, error) {
	cs, err := h.cfg.Client.CRMSetting.Query().First(h.ctx)
	if ent.IsNotFound(err) || (err == nil && cs.WebhookURL == "") {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	if err := h.fill(); err != nil {
		return time.Time{}, err
	}
	due, err := h.cfg.Client.CRMDelivery.Query().Where(crmdelivery.NextAttemptAtLTE(h.cfg.Clock.Now())).
		Order(ent.Asc(crmdelivery.FieldNextAttemptAt), ent.Asc(crmdelivery.FieldEventID)).Limit(100).All(h.ctx)
	if err != nil {
		return time.Time{}, err
	}
	for _, d := range due {
		select {
		case <-h.stop:
			return time.Time{}, nil
		default:
		}
		if err := h.attempt(cs.WebhookURL, d); err != nil {
			return time.Time{}, err
		}
	}
	next, err := h.cfg.Client.CRMDelivery.Query().Where(crmdelivery.NextAttemptAtNotNil()).
		Order(ent.Asc(crmdelivery.FieldNextAttemptAt)).First(h.ctx)
	if ent.IsNotFound(err) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	return *next.NextAttemptAt, nil
}

// fill adds a delivery for every record change in the log after the last
// one queued.
func (h *Webhook) fill() error {
	last := 0
	newest, err := h.cfg.Client.CRMDelivery.Query().Order(ent.Desc(crmdelivery.FieldEventID)).First(h.ctx)
	switch {
	case err == nil:
		last = newest.EventID
	case !ent.IsNotFound(err):
		return err
	}
	for {
		evs, err := h.cfg.Client.Event.Query().Where(event.TopicEQ(events.CRMRecordChanged), event.IDGT(last)).
			Order(ent.Asc(event.FieldID)).Limit(200).All(h.ctx)
		if err != nil || len(evs) == 0 {
			return err
		}
		for _, e := range evs {
			last = e.ID
			id, err := strconv.Atoi(fmt.Sprint(e.Payload["recordID"]))
			if err != nil {
				continue // a skipped record: nothing to mirror
			}
			if err := h.enqueue(e, id); err != nil {
				return err
			}
		}
	}
}

// Payload is what the CRM receives for a record change.
type Payload struct {
	Event        int            `json:"event"`
	RecordID     string         `json:"recordID"`
	Version      int            `json:"version"`
	Action       string         `json:"action"`
	Rule         string         `json:"rule"`
	EngagementID string         `json:"engagementID,omitempty"`
	Record       PayloadRecord  `json:"record"`
	Metadata     map[string]any `json:"metadata,omitempty"`
}

// PayloadRecord is the record as it is at its version.
type PayloadRecord struct {
	Title      string   `json:"title"`
	Status     string   `json:"status"`
	Tags       []string `json:"tags"`
	QueueID    string   `json:"queueID,omitempty"`
	CustomerID string   `json:"customerID,omitempty"`
}

// enqueue queues the delivery of event e about record id, with the
// record as it is now (its version says which).
func (h *Webhook) enqueue(e *ent.Event, id int) error {
	_, err := store.Write(h.ctx, h.cfg.Writer, func(ctx context.Context, tx *store.Tx) (*ent.CRMDelivery, error) {
		r, err := tx.CRMRecord.Query().Where(crmrecord.ID(id)).Only(ctx)
		if err != nil {
			return nil, err
		}
		p := Payload{Event: e.ID, RecordID: strconv.Itoa(r.ID), Version: r.Version, Action: fmt.Sprint(e.Payload["action"]),
			Rule: fmt.Sprint(e.Payload["rule"]), Metadata: r.Metadata,
			Record: PayloadRecord{Title: r.Title, Status: string(r.Status), Tags: r.Tags}}
		if r.Tags == nil {
			p.Record.Tags = []string{}
		}
		if e.EngagementID != nil {
			p.EngagementID = strconv.Itoa(*e.EngagementID)
		}
		if r.QueueID != 0 {
			p.Record.QueueID = strconv.Itoa(r.QueueID)
		}
		if r.CustomerID != 0 {
			p.Record.CustomerID = strconv.Itoa(r.CustomerID)
		}
		var m map[string]any
		b, _ := json.Marshal(p)
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, err
		}
		return tx.CRMDelivery.Create().SetEventID(e.ID).SetRecordID(r.ID).SetRecordVersion(r.Version).SetPayload(m).
			SetNextAttemptAt(h.cfg.Clock.Now()).Save(ctx)
	})
	if ent.IsConstraintError(err) {
		return nil // another instance queued it
	}
	return err
}

// attempt posts one delivery and records the outcome.
func (h *Webhook) attempt(url string, d *ent.CRMDelivery) error {
	body, err := json.Marshal(d.Payload)
	if err != nil {
		return err
	}
	sendErr := h.post(url, body, d)
	_, err = store.Write(h.ctx, h.cfg.Writer, func(ctx context.Context, tx *store.Tx) (*ent.CRMDelivery, error) {
		u := tx.CRMDelivery.UpdateOne(d).AddAttempts(1)
		now := h.cfg.Clock.Now()
		switch n := d.Attempts + 1; {
		case sendErr == nil:
			u.SetDeliveredAt(now).ClearNextAttemptAt().SetLastError("")
		case n >= h.cfg.MaxAttempts:
			u.SetDeadLetteredAt(now).ClearNextAttemptAt().SetLastError(truncate(sendErr.Error(), 2000))
		default:
			u.SetNextAttemptAt(now.Add(h.backoff(n))).SetLastError(truncate(sendErr.Error(), 2000))
		}
		return u.Save(ctx)
	})
	return err
}

// post sends body; a 2xx answer is success.
func (h *Webhook) post(url string, body []byte, d *ent.CRMDelivery) error {
	req, err := http.NewRequestWithContext(h.ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	ts := h.cfg.Clock.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Switchboard-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Switchboard-Signature", messaging.Sign(h.cfg.Secret, ts, body))
	req.Header.Set("Idempotency-Key", fmt.Sprintf("crm-record-%d-v%d", d.RecordID, d.RecordVersion))
	resp, err := h.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the CRM answered %s", resp.Status)
	}
	return nil
}

// backoff is the jittered wait after a failed attempt number n (1-based).
func (h *Webhook) backoff(n int) time.Duration {
	d := h.cfg.Backoff << min(n-1, 16)
	d = min(d, time.Hour)
	return d/2 + rand.N(d+1)
}

// Redrive queues every dead-lettered delivery again, with its attempts
// reset, and returns how many.
func (h *Webhook) Redrive(ctx context.Context) (int, error) {
	n, err := store.Write(ctx, h.cfg.Writer, func(ctx context.Context, tx *store.Tx) (int, error) {
		return tx.CRMDelivery.Update().Where(crmdelivery.DeadLetteredAtNotNil()).
			ClearDeadLetteredAt().SetAttempts(0).SetNextAttemptAt(h.cfg.Clock.Now()).Save(ctx)
	})
	if err == nil && n > 0 {
		select {
		case h.poke <- struct{}{}:
		default:
		}
	}
	return n, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
