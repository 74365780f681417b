package app

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	operations *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer, sockets *socketTracker) *metrics {
	m := &metrics{
		operations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_graphql_operation_seconds",
			Help:    "Duration of GraphQL queries and mutations by operation type and outcome.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"type", "outcome"}),
	}
	reg.MustRegister(m.operations, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
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
