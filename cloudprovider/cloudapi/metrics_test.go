package cloudapi

import (
	"context"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
	"k8s.io/component-base/metrics/testutil"
)

func counter(t *testing.T, m metrics.CounterMetric) float64 {
	t.Helper()
	v, err := testutil.GetCounterMetricValue(m)
	if err != nil {
		t.Fatalf("read counter: %v", err)
	}
	return v
}

func histCount(t *testing.T, m metrics.ObserverMetric) uint64 {
	t.Helper()
	v, err := testutil.GetHistogramMetricCount(m)
	if err != nil {
		t.Fatalf("read histogram: %v", err)
	}
	return v
}

func TestMetrics(t *testing.T) {
	const action = "DescribeVServerGroups"
	f := newFakeAPI(t, seq(apiErr(400, "Throttling.User", "slow down"), ok(nil), apiErr(400, "MissingParam.TagKey", "missing")))
	c := newTestClients(t, f, func(o *Options) { o.SLB.RateLimit = RateLimit{QPS: 1000, Burst: 1} })

	success := requestsTotal.WithLabelValues("slb", action, CodeSuccess)
	throttledCode := requestsTotal.WithLabelValues("slb", action, "Throttling.User")
	badCode := requestsTotal.WithLabelValues("slb", action, "MissingParam.TagKey")
	retries := retriesTotal.WithLabelValues("slb", action, RetryReasonThrottled)
	serverThrottled := throttledTotal.WithLabelValues("slb", action, ThrottleSourceServer)
	duration := requestDuration.WithLabelValues("slb", action)
	wait := rateLimiterWait.WithLabelValues("slb")
	before := []float64{counter(t, success), counter(t, throttledCode), counter(t, badCode), counter(t, retries), counter(t, serverThrottled)}
	durBefore, waitBefore := histCount(t, duration), histCount(t, wait)

	ctx := context.Background()
	if _, err := c.SLB.DescribeVServerGroups(ctx, slb.CreateDescribeVServerGroupsRequest()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SLB.DescribeVServerGroups(ctx, slb.CreateDescribeVServerGroupsRequest()); Code(err) != "MissingParam.TagKey" {
		t.Fatalf("err = %v", err)
	}

	after := []float64{counter(t, success), counter(t, throttledCode), counter(t, badCode), counter(t, retries), counter(t, serverThrottled)}
	names := []string{"requests Success", "requests Throttling.User", "requests MissingParam.TagKey", "retries throttled", "throttled server"}
	for i, want := range []float64{1, 1, 1, 1, 1} {
		if got := after[i] - before[i]; got != want {
			t.Errorf("%s delta = %v, want %v", names[i], got, want)
		}
	}
	if got := histCount(t, duration) - durBefore; got != 3 {
		t.Errorf("duration observations = %d, want 3 (one per attempt)", got)
	}
	if got := histCount(t, wait) - waitBefore; got != 3 {
		t.Errorf("rate limiter wait observations = %d, want 3", got)
	}
}

func TestClientThrottleMetric(t *testing.T) {
	const action = "DescribeServerCertificates"
	f := newFakeAPI(t, seq(ok(nil)))
	c := newTestClients(t, f, func(o *Options) { o.SLB.RateLimit = RateLimit{QPS: 50, Burst: 1} })
	m := throttledTotal.WithLabelValues("slb", action, ThrottleSourceClient)
	before := counter(t, m)
	start := time.Now()
	for range 3 {
		if _, err := c.SLB.DescribeServerCertificates(context.Background(), slb.CreateDescribeServerCertificatesRequest()); err != nil {
			t.Fatal(err)
		}
	}
	if got := counter(t, m) - before; got < 1 {
		t.Errorf("client throttle delta = %v after %v, want >= 1", got, time.Since(start))
	}
}

func TestMetricsRegisteredOnce(t *testing.T) {
	// Building many clients must not panic on duplicate registration.
	for range 3 {
		if _, err := New(testOptions("http://127.0.0.1:1")); err != nil {
			t.Fatal(err)
		}
	}
	// Vectors without children are not gathered: give each one a sample.
	requestsTotal.WithLabelValues("slb", "RegistrationProbe", CodeSuccess).Inc()
	requestDuration.WithLabelValues("slb", "RegistrationProbe").Observe(0)
	retriesTotal.WithLabelValues("slb", "RegistrationProbe", RetryReasonBusy).Inc()
	throttledTotal.WithLabelValues("slb", "RegistrationProbe", ThrottleSourceServer).Inc()
	rateLimiterWait.WithLabelValues("probe").Observe(0)
	families, err := legacyregistry.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, mf := range families {
		found[mf.GetName()] = true
	}
	for _, name := range []string{"alicloud_api_requests_total", "alicloud_api_request_duration_seconds",
		"alicloud_api_retries_total", "alicloud_api_throttled_total", "alicloud_api_rate_limiter_wait_seconds"} {
		if !found[name] {
			t.Errorf("%s not in the legacy registry", name)
		}
	}
}
