package app

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"entgo.io/ent/dialect"
	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/offer"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/clock"
)

// metrics holds the application's Prometheus metrics; the README lists them.
type metrics struct {
	operations      *prometheus.HistogramVec
	slowDisconnects prometheus.Counter
	txWait, txHold  prometheus.Histogram
	// statements counts SQL statements by where they ran: "write" (in a
	// write transaction or on the writer) or "read" (the reader pool).
	statements *prometheus.CounterVec
	rings      *ringLatency
}

func newMetrics(reg prometheus.Registerer, sockets *socketTracker) *metrics {
	m := &metrics{
		rings: newRingLatency(),
		operations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_graphql_operation_seconds",
			Help:    "Duration of GraphQL queries and mutations by operation type and outcome.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"type", "outcome"}),
		slowDisconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_websocket_slow_subscriber_disconnects_total",
			Help: "Websocket connections closed (code 1013) because a subscription fell too far behind.",
		}),
		txWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "switchboard_write_transaction_wait_seconds",
			Help:    "Time spent waiting to begin a write transaction (the single SQLite writer, or a PostgreSQL connection).",
			Buckets: prometheus.ExponentialBuckets(0.00005, 2, 16),
		}),
		txHold: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "switchboard_write_transaction_hold_seconds",
			Help:    "Time from beginning a write transaction to its commit or rollback.",
			Buckets: prometheus.ExponentialBuckets(0.00005, 2, 16),
		}),
		statements: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_sql_statements_total",
			Help: "SQL statements run, by connection: write (inside write transactions and on the writer) or read (the reader pool).",
		}, []string{"conn"}),
	}
	reg.MustRegister(m.operations, m.slowDisconnects, m.txWait, m.txHold, m.statements, m.rings.hist, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "switchboard_websocket_connections",
		Help: "Open websocket connections.",
	}, func() float64 { return float64(sockets.count()) }))
	return m
}

// observe is a gqlgen response interceptor recording operation durations.
func (m *metrics) observe(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	start := time.Now()
	resp := next(ctx)
	// A request refused before it had an operation (an undecodable body,
	// an unknown persisted query) has no operation context.
	if !graphql.HasOperationContext(ctx) {
		return resp
	}
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation == "subscription" {
		return resp
	}
	outcome := "ok"
	if resp != nil && len(resp.Errors) > 0 {
		outcome = "error"
	}
	m.operations.WithLabelValues(string(oc.Operation.Operation), outcome).Observe(time.Since(start).Seconds())
	return resp
}

// timeTransactions wraps the database driver so that every transaction's
// wait to begin and its hold time are observed, and every statement
// counted (switchboard bench divides both by the lifecycles completed). ent
// runs every write through a transaction.
func (m *metrics) timeTransactions(drv dialect.Driver) dialect.Driver {
	return &timedDriver{Driver: drv, m: m, reads: m.statements.WithLabelValues("read"), writes: m.statements.WithLabelValues("write")}
}

type timedDriver struct {
	dialect.Driver
	m             *metrics
	reads, writes prometheus.Counter
}

// Exec counts a statement outside a transaction (the writer's).
func (d *timedDriver) Exec(ctx context.Context, query string, args, v any) error {
	d.writes.Inc()
	return d.Driver.Exec(ctx, query, args, v)
}

// Query counts a read outside a transaction (the reader pool's).
func (d *timedDriver) Query(ctx context.Context, query string, args, v any) error {
	d.reads.Inc()
	return d.Driver.Query(ctx, query, args, v)
}

// Tx begins a transaction, timing the wait.
func (d *timedDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	start := time.Now()
	tx, err := d.Driver.Tx(ctx)
	begun := time.Now()
	d.m.txWait.Observe(begun.Sub(start).Seconds())
	if err != nil {
		return nil, err
	}
	return &timedTx{Tx: tx, m: d.m, begun: begun, statements: d.writes}, nil
}

type timedTx struct {
	dialect.Tx
	m          *metrics
	begun      time.Time
	statements prometheus.Counter
}

// Exec counts a statement of the transaction.
func (t *timedTx) Exec(ctx context.Context, query string, args, v any) error {
	t.statements.Inc()
	return t.Tx.Exec(ctx, query, args, v)
}

// Query counts a read of the transaction.
func (t *timedTx) Query(ctx context.Context, query string, args, v any) error {
	t.statements.Inc()
	return t.Tx.Query(ctx, query, args, v)
}

// Commit commits and observes the hold time.
func (t *timedTx) Commit() error {
	err := t.Tx.Commit()
	t.m.txHold.Observe(time.Since(t.begun).Seconds())
	return err
}

// Rollback rolls back and observes the hold time.
func (t *timedTx) Rollback() error {
	err := t.Tx.Rollback()
	t.m.txHold.Observe(time.Since(t.begun).Seconds())
	return err
}

// stateCollector reads contact-center figures from the database at each
// scrape, so they are right on every instance and after a restart: waiting
// engagements and the longest wait per queue, agents by state, ended offers
// by outcome.
type stateCollector struct {
	client                                               *ent.Client
	clock                                                clock.Clock
	log                                                  *slog.Logger
	waitingDesc, longestWaitDesc, agentsDesc, offersDesc *prometheus.Desc
}

func newStateCollector(client *ent.Client, clk clock.Clock, log *slog.Logger) *stateCollector {
	return &stateCollector{client: client, clock: clk, log: log,
		waitingDesc: prometheus.NewDesc("switchboard_queue_waiting_engagements",
			"Engagements waiting (QUEUED) in each queue.", []string{"queue_id", "queue"}, nil),
		longestWaitDesc: prometheus.NewDesc("switchboard_queue_longest_wait_seconds",
			"How long the longest-waiting engagement of each queue has waited.", []string{"queue_id", "queue"}, nil),
		agentsDesc: prometheus.NewDesc("switchboard_agents", "Agents by state.", []string{"state"}, nil),
		offersDesc: prometheus.NewDesc("switchboard_offers_total", "Offers (rings) that ended, by outcome.", []string{"outcome"}, nil),
	}
}

// Describe sends the descriptors.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.waitingDesc, c.longestWaitDesc, c.agentsDesc, c.offersDesc} {
		ch <- d
	}
}

// Collect queries the figures; a failed query is logged and its metric
// left out of this scrape.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(auth.SystemContext(context.Background()), 5*time.Second)
	defer cancel()
	if err := c.collectQueues(ctx, ch); err != nil {
		c.log.Warn("metrics: reading queue figures failed", "err", err)
	}
	var agents []struct {
		State agent.State `json:"state"`
		Count int         `json:"count"`
	}
	if err := c.client.Agent.Query().GroupBy(agent.FieldState).Aggregate(ent.Count()).Scan(ctx, &agents); err != nil {
		c.log.Warn("metrics: counting agents failed", "err", err)
	} else {
		counts := map[agent.State]int{}
		for _, a := range agents {
			counts[a.State] = a.Count
		}
		for _, s := range []agent.State{agent.StateOffline, agent.StateAvailable, agent.StateNotReady} {
			ch <- prometheus.MustNewConstMetric(c.agentsDesc, prometheus.GaugeValue, float64(counts[s]), string(s))
		}
	}
	var offers []struct {
		State offer.State `json:"state"`
		Count int         `json:"count"`
	}
	if err := c.client.Offer.Query().Where(offer.StateNEQ(offer.StatePending)).
		GroupBy(offer.FieldState).Aggregate(ent.Count()).Scan(ctx, &offers); err != nil {
		c.log.Warn("metrics: counting offers failed", "err", err)
	} else {
		counts := map[offer.State]int{}
		for _, o := range offers {
			counts[o.State] = o.Count
		}
		for _, s := range []offer.State{offer.StateAccepted, offer.StateDeclined, offer.StateTimedOut, offer.StateRescinded} {
			ch <- prometheus.MustNewConstMetric(c.offersDesc, prometheus.CounterValue, float64(counts[s]), string(s))
		}
	}
}

func (c *stateCollector) collectQueues(ctx context.Context, ch chan<- prometheus.Metric) error {
	var waiting []struct {
		QueueID int `json:"queue_id"`
		Count   int `json:"count"`
	}
	err := c.client.Engagement.Query().Where(engagement.StateEQ(engagement.StateQueued), engagement.QueueIDNotNil()).
		GroupBy(engagement.FieldQueueID).Aggregate(ent.Count()).Scan(ctx, &waiting)
	if err != nil {
		return err
	}
	counts := map[int]int{}
	for _, w := range waiting {
		counts[w.QueueID] = w.Count
	}
	queues, err := c.client.Queue.Query().All(ctx)
	if err != nil {
		return err
	}
	now := c.clock.Now()
	for _, q := range queues {
		id := strconv.Itoa(q.ID)
		ch <- prometheus.MustNewConstMetric(c.waitingDesc, prometheus.GaugeValue, float64(counts[q.ID]), id, q.Name)
		wait := 0.0
		if counts[q.ID] > 0 {
			first, err := c.client.Engagement.Query().
				Where(engagement.QueueID(q.ID), engagement.StateEQ(engagement.StateQueued), engagement.QueuedAtNotNil()).
				Order(ent.Asc(engagement.FieldQueuedAt)).First(ctx)
			if err != nil && !ent.IsNotFound(err) {
				return err
			}
			if first != nil && first.QueuedAt != nil {
				wait = max(0, now.Sub(*first.QueuedAt).Seconds())
			}
		}
		ch <- prometheus.MustNewConstMetric(c.longestWaitDesc, prometheus.GaugeValue, wait, id, q.Name)
	}
	return nil
}

// The driver's raw statements (ent's ExecContext and QueryContext: the
// event log's advisory lock and NOTIFY, the dispatcher's fence) pass
// through the timing wrapper.

type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error)
}

// ExecContext runs a raw statement in the transaction.
func (t *timedTx) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	ex, ok := t.Tx.(execQuerier)
	if !ok {
		return nil, fmt.Errorf("%T cannot run raw statements", t.Tx)
	}
	return ex.ExecContext(ctx, query, args...)
}

// QueryContext runs a raw query in the transaction.
func (t *timedTx) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	ex, ok := t.Tx.(execQuerier)
	if !ok {
		return nil, fmt.Errorf("%T cannot run raw queries", t.Tx)
	}
	return ex.QueryContext(ctx, query, args...)
}
