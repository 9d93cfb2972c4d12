package cloudapi

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

// recordingTransport answers every request with an empty success and keeps
// the requests, so endpoint resolution can be checked without a network.
type recordingTransport struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (rt *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.mu.Lock()
	rt.reqs = append(rt.reqs, r)
	rt.mu.Unlock()
	return &http.Response{
		StatusCode: 200,
		Header:     http.Header{"Content-Type": []string{"application/json"}},
		Body:       io.NopCloser(strings.NewReader(`{"RequestId":"stub"}`)),
		Request:    r,
	}, nil
}

func (rt *recordingTransport) last(t *testing.T) *http.Request {
	t.Helper()
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if len(rt.reqs) == 0 {
		t.Fatal("no request sent")
	}
	return rt.reqs[len(rt.reqs)-1]
}

func TestEndpointsAndScheme(t *testing.T) {
	tests := []struct {
		name       string
		network    string
		endpoint   string // applied to all products
		wantScheme string
		wantHosts  map[string]string // product -> host
	}{
		{"public default is https", "", "", "https", map[string]string{
			ProductSLB: "slb.aliyuncs.com", ProductVPC: "vpc.aliyuncs.com", ProductECS: "ecs-cn-hangzhou.aliyuncs.com",
			ProductNLB: "nlb.cn-hangzhou.aliyuncs.com"}},
		{"vpc network uses internal endpoints", NetworkVPC, "", "https", map[string]string{
			ProductSLB: "slb-vpc.cn-hangzhou.aliyuncs.com", ProductVPC: "vpc-vpc.cn-hangzhou.aliyuncs.com", ProductECS: "ecs-vpc.cn-hangzhou.aliyuncs.com",
			ProductNLB: "nlb-vpc.cn-hangzhou.aliyuncs.com"}},
		{"override without scheme stays https", "", "api.example.test:8443", "https", map[string]string{
			ProductSLB: "api.example.test:8443", ProductVPC: "api.example.test:8443", ProductECS: "api.example.test:8443", ProductNLB: "api.example.test:8443"}},
		{"http override switches to http", NetworkVPC, "http://127.0.0.1:8080", "http", map[string]string{
			ProductSLB: "127.0.0.1:8080", ProductVPC: "127.0.0.1:8080", ProductECS: "127.0.0.1:8080", ProductNLB: "127.0.0.1:8080"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := &recordingTransport{}
			opts := testOptions(tt.endpoint)
			opts.Network = tt.network
			opts.Transport = rt
			opts.UserAgent = "alicloud-ccm/v9.9.9"
			c, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			calls := map[string]func() error{
				ProductSLB: func() error {
					_, err := c.SLB.DescribeLoadBalancers(ctx, slb.CreateDescribeLoadBalancersRequest())
					return err
				},
				ProductVPC: func() error { _, err := c.VPC.DescribeVpcs(ctx, vpc.CreateDescribeVpcsRequest()); return err },
				ProductECS: func() error {
					_, err := c.ECS.DescribeInstances(ctx, ecs.CreateDescribeInstancesRequest())
					return err
				},
				ProductNLB: func() error {
					_, err := c.NLB.ListLoadBalancers(ctx, nlb.CreateListLoadBalancersRequest())
					return err
				},
			}
			for product, call := range calls {
				if err := call(); err != nil {
					t.Fatalf("%s: %v", product, err)
				}
				r := rt.last(t)
				if r.URL.Scheme != tt.wantScheme {
					t.Errorf("%s scheme = %q, want %q", product, r.URL.Scheme, tt.wantScheme)
				}
				if r.URL.Host != tt.wantHosts[product] {
					t.Errorf("%s host = %q, want %q", product, r.URL.Host, tt.wantHosts[product])
				}
				if ua := r.Header.Get("User-Agent"); !strings.Contains(ua, "alicloud-ccm/v9.9.9") {
					t.Errorf("User-Agent %q lacks the suffix", ua)
				}
			}
		})
	}
}

func TestEndpointOverrideReachesServer(t *testing.T) {
	f := newFakeAPI(t, func(_ string, _ url.Values, _ int) reply {
		return ok(map[string]any{"Vpcs": map[string]any{"Vpc": []map[string]any{{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/8"}}}, "TotalCount": 1})
	})
	c := newTestClients(t, f)
	resp, err := c.VPC.DescribeVpcs(context.Background(), vpc.CreateDescribeVpcsRequest())
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Vpcs.Vpc) != 1 || resp.Vpcs.Vpc[0].VpcId != "vpc-1" {
		t.Fatalf("unexpected response %+v", resp.Vpcs)
	}
	call := f.callsOf("DescribeVpcs")[0]
	for k, want := range map[string]string{"RegionId": testRegion, "Version": "2016-04-28", "AccessKeyId": testAKID} {
		if got := call.Params.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestOptionsValidation(t *testing.T) {
	good := func() Options { return testOptions("") }
	tests := []struct {
		name   string
		mutate func(*Options)
		errSub string // "" = valid
	}{
		{"valid", func(*Options) {}, ""},
		{"missing region", func(o *Options) { o.Region = "" }, "region is required"},
		{"bad region", func(o *Options) { o.Region = "cn/hangzhou" }, "invalid characters"},
		{"missing credentials", func(o *Options) { o.Credentials = nil }, "credentials are required"},
		{"unsupported credentials", func(o *Options) { o.Credentials = "plain string" }, "unsupported credentials"},
		{"bad network", func(o *Options) { o.Network = "intranet" }, "network"},
		{"endpoint with path", func(o *Options) { o.SLB.Endpoint = "http://h:1/x" }, "without path"},
		{"endpoint bad scheme", func(o *Options) { o.ECS.Endpoint = "ftp://h:1" }, "scheme"},
		{"legacy AK credential accepted", func(o *Options) {
			o.Credentials = &credentials.AccessKeyCredential{AccessKeyId: "a", AccessKeySecret: "b"}
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := good()
			tt.mutate(&o)
			_, err := New(o)
			if tt.errSub == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.errSub) {
				t.Fatalf("err = %v, want containing %q", err, tt.errSub)
			}
		})
	}
}

func TestDoRejectsMisuse(t *testing.T) {
	c, err := New(testOptions("http://127.0.0.1:1"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.SLB.DescribeLoadBalancers(ctx, nil); err == nil {
		t.Error("nil request accepted")
	}
	if _, err := c.SLB.DescribeLoadBalancers(ctx, &slb.DescribeLoadBalancersRequest{}); err == nil {
		t.Error("request without SDK constructor accepted")
	}
	if err := c.SLB.Do(ctx, vpc.CreateDescribeVpcsRequest(), vpc.CreateDescribeVpcsResponse()); err == nil {
		t.Error("VPC request accepted by the SLB client")
	}
}

func TestRateLimit(t *testing.T) {
	f := newFakeAPI(t, seq(ok(nil)))
	const qps, n = 20.0, 11
	c := newTestClients(t, f, func(o *Options) { o.SLB.RateLimit = RateLimit{QPS: qps, Burst: 1} })
	start := time.Now()
	for range n {
		if _, err := c.SLB.DescribeLoadBalancers(context.Background(), slb.CreateDescribeLoadBalancersRequest()); err != nil {
			t.Fatal(err)
		}
	}
	// Burst 1: the first call is free, the other n-1 wait 1/qps each.
	el := time.Since(start)
	want := time.Duration(float64(n-1) / qps * float64(time.Second))
	if el < want*8/10 || el > want*4 {
		t.Fatalf("%d calls at %v QPS took %v, want about %v", n, qps, el, want)
	}

	// A wait longer than the context deadline fails at once and sends nothing.
	before := len(f.callsOf("DescribeLoadBalancers"))
	slow := newTestClients(t, f, func(o *Options) { o.SLB.RateLimit = RateLimit{QPS: 0.5, Burst: 1} })
	_, _ = slow.SLB.DescribeLoadBalancers(context.Background(), slb.CreateDescribeLoadBalancersRequest()) // drains the bucket
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err := slow.SLB.DescribeLoadBalancers(ctx, slb.CreateDescribeLoadBalancersRequest())
	if err == nil || time.Since(start) > time.Second {
		t.Fatalf("err = %v after %v, want a prompt deadline error", err, time.Since(start))
	}
	if got := len(f.callsOf("DescribeLoadBalancers")) - before; got != 1 {
		t.Fatalf("%d calls sent, want 1", got)
	}
}

func TestConcurrentCalls(t *testing.T) {
	f := newFakeAPI(t, seq(ok(nil)))
	c := newTestClients(t, f)
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Go(func() {
			_, err := c.ECS.DescribeNetworkInterfaces(context.Background(), ecs.CreateDescribeNetworkInterfacesRequest())
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
