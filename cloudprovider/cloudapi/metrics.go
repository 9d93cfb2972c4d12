package cloudapi

import (
	"strings"
	"sync"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
)

// Metric label values used besides API error codes.
const (
	// CodeSuccess is the "code" label of a successful call.
	CodeSuccess = "Success"
	// CodeTransportError is the "code" label of a call that got no API answer
	// (connection refused, timeout, TLS failure, unparsable response...).
	CodeTransportError = "TransportError"

	// RetryReasonThrottled labels retries after a server Throttling* answer.
	RetryReasonThrottled = "throttled"
	// RetryReasonBusy labels retries after a busy/conflict answer (the
	// request was not executed).
	RetryReasonBusy = "busy"
	// RetryReasonServerError labels retries of idempotent calls after a 5xx
	// or ServiceUnavailable answer.
	RetryReasonServerError = "server_error"
	// RetryReasonTransport labels retries of idempotent calls after a
	// transport error.
	RetryReasonTransport = "transport"

	// ThrottleSourceClient labels calls delayed by the client-side limiter.
	ThrottleSourceClient = "client"
	// ThrottleSourceServer labels calls rejected with a Throttling* code.
	ThrottleSourceServer = "server"
)

// The metrics are package-level so that any number of clients (tests build
// many) share them; registration happens once, in New.
var (
	requestsTotal = metrics.NewCounterVec(&metrics.CounterOpts{
		Namespace:      "alicloud",
		Subsystem:      "api",
		Name:           "requests_total",
		Help:           "Alibaba Cloud API attempts (each retry counts), by product, action and result code (Success, the API error code, or TransportError).",
		StabilityLevel: metrics.ALPHA,
	}, []string{"product", "action", "code"})

	requestDuration = metrics.NewHistogramVec(&metrics.HistogramOpts{
		Namespace:      "alicloud",
		Subsystem:      "api",
		Name:           "request_duration_seconds",
		Help:           "Latency of one Alibaba Cloud API attempt, excluding rate-limiter waits and backoff.",
		Buckets:        []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		StabilityLevel: metrics.ALPHA,
	}, []string{"product", "action"})

	retriesTotal = metrics.NewCounterVec(&metrics.CounterOpts{
		Namespace:      "alicloud",
		Subsystem:      "api",
		Name:           "retries_total",
		Help:           "Retries of Alibaba Cloud API calls, by product, action and reason (throttled, busy, server_error, transport).",
		StabilityLevel: metrics.ALPHA,
	}, []string{"product", "action", "reason"})

	throttledTotal = metrics.NewCounterVec(&metrics.CounterOpts{
		Namespace:      "alicloud",
		Subsystem:      "api",
		Name:           "throttled_total",
		Help:           "Alibaba Cloud API calls delayed by the client-side rate limiter (source=client) or rejected with a Throttling code (source=server).",
		StabilityLevel: metrics.ALPHA,
	}, []string{"product", "action", "source"})

	rateLimiterWait = metrics.NewHistogramVec(&metrics.HistogramOpts{
		Namespace:      "alicloud",
		Subsystem:      "api",
		Name:           "rate_limiter_wait_seconds",
		Help:           "Time Alibaba Cloud API attempts spent waiting for the client-side rate limiter, by product.",
		Buckets:        []float64{0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		StabilityLevel: metrics.ALPHA,
	}, []string{"product"})
)

var registerOnce sync.Once

// registerMetrics registers the metrics in the legacy registry exactly once;
// component-base metrics are no-ops until registered.
func registerMetrics() {
	registerOnce.Do(func() {
		legacyregistry.MustRegister(requestsTotal, requestDuration, retriesTotal, throttledTotal, rateLimiterWait)
	})
}

// metricProduct is the "product" label: the lower-case product code.
func metricProduct(product string) string { return strings.ToLower(product) }
