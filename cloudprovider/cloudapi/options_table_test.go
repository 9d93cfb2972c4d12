package cloudapi

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

// TestParseEndpoint is the table of endpoint overrides the cloud-config
// may carry: host[:port] means HTTPS; http:// switches to plain HTTP (a
// local emulator); anything with a path, query or user info is refused.
func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		in, scheme, domain string
		wantErr            bool
	}{
		{"", "HTTPS", "", false},
		{"slb.cn-hangzhou.aliyuncs.com", "HTTPS", "slb.cn-hangzhou.aliyuncs.com", false},
		{"slb-vpc.cn-hangzhou.aliyuncs.com:443", "HTTPS", "slb-vpc.cn-hangzhou.aliyuncs.com:443", false},
		{"https://slb.example.com", "HTTPS", "slb.example.com", false},
		{"HTTP://127.0.0.1:8080", "HTTP", "127.0.0.1:8080", false},
		{"http://127.0.0.1:8080/", "HTTP", "127.0.0.1:8080", false},
		{"http://[::1]:8080", "HTTP", "[::1]:8080", false},
		{"http://127.0.0.1:8080/api", "", "", true},
		{"http://127.0.0.1:8080?x=1", "", "", true},
		{"http://user:pw@127.0.0.1:8080", "", "", true},
		{"ftp://127.0.0.1", "", "", true},
		{"http://", "", "", true},
		{"http://bad host", "", "", true},
	}
	for _, tc := range tests {
		scheme, domain, err := parseEndpoint(tc.in)
		if (err != nil) != tc.wantErr || scheme != tc.scheme || domain != tc.domain {
			t.Errorf("parseEndpoint(%q) = %q, %q, %v; want %q, %q, error %v", tc.in, scheme, domain, err, tc.scheme, tc.domain, tc.wantErr)
		}
	}
}

// TestRateLimitDefaults: zero selects the product's default bucket, a
// negative QPS turns limiting off, a positive QPS without burst admits at
// least one second's worth.
func TestRateLimitDefaults(t *testing.T) {
	tests := []struct {
		product string
		in      RateLimit
		want    RateLimit
	}{
		{ProductSLB, RateLimit{}, RateLimit{QPS: 10, Burst: 20}},
		{ProductVPC, RateLimit{}, RateLimit{QPS: 5, Burst: 10}},
		{ProductECS, RateLimit{}, RateLimit{QPS: 20, Burst: 40}},
		{ProductSLB, RateLimit{QPS: -1}, RateLimit{QPS: -1}},
		{ProductVPC, RateLimit{QPS: 2.5}, RateLimit{QPS: 2.5, Burst: 3}},
		{ProductVPC, RateLimit{QPS: 0.2}, RateLimit{QPS: 0.2, Burst: 1}},
		{ProductECS, RateLimit{QPS: 7, Burst: 2}, RateLimit{QPS: 7, Burst: 2}},
	}
	for _, tc := range tests {
		if got := tc.in.withDefaults(tc.product); got != tc.want {
			t.Errorf("%s %+v.withDefaults = %+v, want %+v", tc.product, tc.in, got, tc.want)
		}
	}
	if newLimiter(ProductSLB, RateLimit{QPS: -1}) != nil {
		t.Error("QPS < 0 must disable the client-side limiter")
	}
	var off *limiter
	if err := off.wait(context.Background(), "X"); err != nil {
		t.Errorf("a disabled limiter waits: %v", err)
	}
}

// TestRetryPolicyDefaults pins the production retry policy and how partial
// settings are completed.
func TestRetryPolicyDefaults(t *testing.T) {
	tests := []struct {
		in, want RetryPolicy
	}{
		{RetryPolicy{}, RetryPolicy{MaxAttempts: 5, BaseBackoff: 500 * time.Millisecond, MaxBackoff: 30 * time.Second}},
		{RetryPolicy{MaxAttempts: 1}, RetryPolicy{MaxAttempts: 1, BaseBackoff: 500 * time.Millisecond, MaxBackoff: 30 * time.Second}},
		{RetryPolicy{BaseBackoff: time.Minute}, RetryPolicy{MaxAttempts: 5, BaseBackoff: time.Minute, MaxBackoff: time.Minute}},
		{RetryPolicy{MaxAttempts: -3, MaxBackoff: time.Second}, RetryPolicy{MaxAttempts: 5, BaseBackoff: 500 * time.Millisecond, MaxBackoff: time.Second}},
	}
	for _, tc := range tests {
		if got := tc.in.withDefaults(); got != tc.want {
			t.Errorf("%+v.withDefaults = %+v, want %+v", tc.in, got, tc.want)
		}
	}
	if d := (RetryPolicy{}).backoff(3); d != 0 {
		t.Errorf("zero policy backoff = %v, want 0", d)
	}
}

// TestPerProductRetryOverride: a product's own retry policy replaces the
// global one for that product only.
func TestPerProductRetryOverride(t *testing.T) {
	f := newFakeAPI(t, seq(apiErr(503, "ServiceUnavailable", "down")))
	c := newTestClients(t, f, func(o *Options) { o.ECS.Retry = RetryPolicy{MaxAttempts: 2, BaseBackoff: time.Millisecond} })
	_, _ = c.ECS.DescribeInstances(context.Background(), ecs.CreateDescribeInstancesRequest())
	_, _ = c.VPC.DescribeVpcs(context.Background(), vpc.CreateDescribeVpcsRequest())
	if e, v := len(f.callsOf("DescribeInstances")), len(f.callsOf("DescribeVpcs")); e != 2 || v != 4 {
		t.Errorf("attempts: ECS %d (own policy, want 2), VPC %d (global, want 4)", e, v)
	}
}

// eniFake answers DescribeNetworkInterfaces with the requested IDs (or 7
// unfiltered ENIs), three per page.
func eniFake(t *testing.T) *fakeAPI {
	return newFakeAPI(t, func(_ string, p url.Values, _ int) reply {
		var ids []string
		for k, v := range p {
			if strings.HasPrefix(k, "NetworkInterfaceId.") {
				ids = append(ids, v[0])
			}
		}
		sort.Strings(ids)
		if len(ids) == 0 {
			for i := range 7 {
				ids = append(ids, fmt.Sprintf("eni-all%d", i))
			}
		}
		start, _ := strconv.Atoi(p.Get("NextToken"))
		end := min(len(ids), start+3)
		var sets []map[string]any
		for _, id := range ids[start:end] {
			sets = append(sets, map[string]any{"NetworkInterfaceId": id})
		}
		next := ""
		if end < len(ids) {
			next = strconv.Itoa(end)
		}
		return ok(map[string]any{"NextToken": next, "NetworkInterfaceSets": map[string]any{"NetworkInterfaceSet": sets}})
	})
}

// TestListNetworkInterfacesBatches: an ENI ID filter longer than 100 is
// split into calls of at most 100 IDs, each followed through its pages,
// with MaxResults 500 and the other filters carried over.
func TestListNetworkInterfacesBatches(t *testing.T) {
	f := eniFake(t)
	c := newTestClients(t, f)
	ids := make([]string, 0, 251)
	for i := range 250 {
		ids = append(ids, fmt.Sprintf("eni-%03d", i))
	}
	ids = append(ids, "eni-000", "") // a repeat and a blank are dropped
	req := ecs.CreateDescribeNetworkInterfacesRequest()
	req.NetworkInterfaceId = &ids
	req.VpcId = "vpc-1"
	got, err := c.ECS.ListNetworkInterfaces(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 250 {
		t.Errorf("%d ENIs, want 250", len(got))
	}
	batches := map[int]bool{}
	for _, call := range f.callsOf("DescribeNetworkInterfaces") {
		n := 0
		for k := range call.Params {
			if strings.HasPrefix(k, "NetworkInterfaceId.") {
				n++
			}
		}
		if n > MaxNetworkInterfaceIDsPerCall {
			t.Errorf("a call with %d ENI IDs", n)
		}
		batches[n] = true
		if call.Params.Get("MaxResults") != "500" || call.Params.Get("VpcId") != "vpc-1" {
			t.Errorf("call params %v: want MaxResults 500 and the VpcId filter", call.Params)
		}
	}
	if !batches[100] || !batches[50] {
		t.Errorf("batch sizes %v, want 100, 100 and 50", batches)
	}
	// Without an ID filter: one listing, all pages.
	all, err := c.ECS.ListNetworkInterfaces(context.Background(), nil)
	if err != nil || len(all) != 7 {
		t.Errorf("unfiltered listing = %d ENIs, %v; want 7 over three pages", len(all), err)
	}
}

// TestListLoadBalancerListenersBatches: more than 10 CLB IDs are split
// into calls of at most 10.
func TestListLoadBalancerListenersBatches(t *testing.T) {
	f := newFakeAPI(t, func(_ string, p url.Values, _ int) reply {
		var ls []map[string]any
		for k, v := range p {
			if strings.HasPrefix(k, "LoadBalancerId.") {
				ls = append(ls, map[string]any{"LoadBalancerId": v[0], "ListenerPort": 80})
			}
		}
		return ok(map[string]any{"Listeners": ls})
	})
	c := newTestClients(t, f)
	ids := lbIDs(25)
	req := slb.CreateDescribeLoadBalancerListenersRequest()
	req.LoadBalancerId = &ids
	got, err := c.SLB.ListLoadBalancerListeners(context.Background(), req)
	if err != nil || len(got) != 25 {
		t.Fatalf("listeners = %d, %v; want 25", len(got), err)
	}
	calls := f.callsOf("DescribeLoadBalancerListeners")
	if len(calls) != 3 {
		t.Errorf("%d calls for 25 CLBs, want 3", len(calls))
	}
	for _, call := range calls {
		n := 0
		for k := range call.Params {
			if strings.HasPrefix(k, "LoadBalancerId.") {
				n++
			}
		}
		if n > MaxLoadBalancerIDsPerCall || call.Params.Get("MaxResults") != "100" {
			t.Errorf("call with %d IDs, MaxResults %q", n, call.Params.Get("MaxResults"))
		}
	}
}

// TestListRouteEntriesNeedsTable: a nil request is refused before any call
// (RouteTableId is required).
func TestListRouteEntriesNeedsTable(t *testing.T) {
	f := newFakeAPI(t, seq(ok(nil)))
	c := newTestClients(t, f)
	if _, err := c.VPC.ListRouteEntries(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "RouteTableId") {
		t.Errorf("err = %v, want one naming RouteTableId", err)
	}
	if len(f.callsOf("DescribeRouteEntryList")) != 0 {
		t.Error("a call was sent")
	}
}

// TestMetricsLabelsPerOutcome: requests_total's code label names the
// outcome of each attempt (HTTP status when the body is no API error,
// TransportError without an answer) and retries_total the reason.
func TestMetricsLabelsPerOutcome(t *testing.T) {
	tests := []struct {
		name    string
		action  string
		call    func(*Clients) error
		first   reply
		code    string
		reason  string
		product string
	}{
		{"non-JSON 502 on a read", "DescribeVpcs", func(c *Clients) error {
			_, err := c.VPC.DescribeVpcs(context.Background(), vpc.CreateDescribeVpcsRequest())
			return err
		}, reply{Status: 502, Body: "<html>bad gateway</html>"}, "HTTP502", RetryReasonServerError, "vpc"},
		{"dropped connection on a read", "DescribeVSwitches", func(c *Clients) error {
			_, err := c.VPC.DescribeVSwitches(context.Background(), vpc.CreateDescribeVSwitchesRequest())
			return err
		}, reply{Status: -1}, CodeTransportError, RetryReasonTransport, "vpc"},
		{"busy CLB on a write", "SetLoadBalancerName", func(c *Clients) error {
			req := slb.CreateSetLoadBalancerNameRequest()
			req.LoadBalancerId, req.LoadBalancerName = "lb-1", "n"
			_, err := c.SLB.SetLoadBalancerName(context.Background(), req)
			return err
		}, apiErr(400, "OperationBusy", "busy"), "OperationBusy", RetryReasonBusy, "slb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t, seq(tc.first, ok(nil)))
			c := newTestClients(t, f)
			failed := requestsTotal.WithLabelValues(tc.product, tc.action, tc.code)
			succeeded := requestsTotal.WithLabelValues(tc.product, tc.action, CodeSuccess)
			retried := retriesTotal.WithLabelValues(tc.product, tc.action, tc.reason)
			before := []float64{counter(t, failed), counter(t, succeeded), counter(t, retried)}
			if err := tc.call(c); err != nil {
				t.Fatal(err)
			}
			after := []float64{counter(t, failed), counter(t, succeeded), counter(t, retried)}
			for i, name := range []string{"requests " + tc.code, "requests Success", "retries " + tc.reason} {
				if d := after[i] - before[i]; d != 1 {
					t.Errorf("%s delta = %v, want 1", name, d)
				}
			}
		})
	}
}
