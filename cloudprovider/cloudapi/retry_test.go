package cloudapi

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

// seq answers the i-th call of an action with replies[i] (the last one repeats).
func seq(replies ...reply) func(string, url.Values, int) reply {
	return func(_ string, _ url.Values, n int) reply {
		if n > len(replies) {
			return replies[len(replies)-1]
		}
		return replies[n-1]
	}
}

func TestRetries(t *testing.T) {
	throttled := apiErr(400, "Throttling.User", "Request was denied due to user flow control.")
	internal := apiErr(500, "InternalError", "The request processing has failed due to some unknown error.")
	unavailable := apiErr(503, "ServiceUnavailable", "temporary failure")
	busy := apiErr(400, "ServiceIsConfiguring", "A previous configuration is pending; please try again later.")
	conflict := apiErr(400, "TaskConflict", "The operation is too frequent, please wait a moment and try again.")
	invalid := apiErr(400, "InvalidParameter.Bandwidth", "bad bandwidth")
	dropped := reply{Status: -1}
	success := ok(nil)

	slbRead := func(ctx context.Context, c *Clients) error {
		_, err := c.SLB.DescribeLoadBalancers(ctx, slb.CreateDescribeLoadBalancersRequest())
		return err
	}
	slbWrite := func(ctx context.Context, c *Clients) error {
		req := slb.CreateSetLoadBalancerNameRequest()
		req.LoadBalancerId, req.LoadBalancerName = "lb-1", "name"
		_, err := c.SLB.SetLoadBalancerName(ctx, req)
		return err
	}
	groupCreate := func(ctx context.Context, c *Clients) error {
		req := slb.CreateCreateVServerGroupRequest()
		req.LoadBalancerId, req.VServerGroupName = "lb-1", "g"
		_, err := c.SLB.CreateVServerGroup(ctx, req)
		return err
	}
	routeDelete := func(ctx context.Context, c *Clients) error {
		req := vpc.CreateDeleteRouteEntryRequest()
		req.RouteEntryId = "rte-1"
		_, err := c.VPC.DeleteRouteEntry(ctx, req)
		return err
	}

	tests := []struct {
		name      string
		action    string
		call      func(context.Context, *Clients) error
		replies   []reply
		wantCalls int
		wantCode  string // "" = success; "transport" = *TransportError
	}{
		{"read: throttling then success", "DescribeLoadBalancers", slbRead, []reply{throttled, throttled, success}, 3, ""},
		{"read: 5xx retried until attempts exhausted", "DescribeLoadBalancers", slbRead, []reply{unavailable}, 4, "ServiceUnavailable"},
		{"read: dropped connection retried", "DescribeLoadBalancers", slbRead, []reply{dropped, success}, 2, ""},
		{"read: validation error not retried", "DescribeLoadBalancers", slbRead, []reply{invalid}, 1, "InvalidParameter.Bandwidth"},
		{"create without unique key: 5xx not retried", "CreateVServerGroup", groupCreate, []reply{internal, success}, 1, "InternalError"},
		{"create without unique key: 503 not retried", "CreateVServerGroup", groupCreate, []reply{unavailable, success}, 1, "ServiceUnavailable"},
		{"create without unique key: dropped connection not retried", "CreateVServerGroup", groupCreate, []reply{dropped, success}, 1, "transport"},
		{"repeat-safe write: 5xx retried", "SetLoadBalancerName", slbWrite, []reply{internal, success}, 2, ""},
		{"repeat-safe write: 503 retried", "SetLoadBalancerName", slbWrite, []reply{unavailable, success}, 2, ""},
		{"repeat-safe write: dropped connection retried", "SetLoadBalancerName", slbWrite, []reply{dropped, success}, 2, ""},
		{"delete: 503 retried", "DeleteRouteEntry", routeDelete, []reply{unavailable, success}, 2, ""},
		{"write: throttling retried", "SetLoadBalancerName", slbWrite, []reply{throttled, success}, 2, ""},
		{"write: CLB busy code retried", "SetLoadBalancerName", slbWrite, []reply{busy, busy, success}, 3, ""},
		{"write: VPC TaskConflict retried", "DeleteRouteEntry", routeDelete, []reply{conflict, success}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, seq(tt.replies...))
			c := newTestClients(t, f)
			err := tt.call(context.Background(), c)
			if got := len(f.callsOf(tt.action)); got != tt.wantCalls {
				t.Errorf("calls = %d, want %d", got, tt.wantCalls)
			}
			switch tt.wantCode {
			case "":
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
			case "transport":
				var te *TransportError
				if !errors.As(err, &te) {
					t.Fatalf("err = %v (%T), want *TransportError", err, err)
				}
			default:
				if Code(err) != tt.wantCode {
					t.Fatalf("Code(err) = %q, want %q (err %v)", Code(err), tt.wantCode, err)
				}
			}
		})
	}
}

func TestClientTokenReusedAcrossRetries(t *testing.T) {
	tests := []struct {
		name       string
		token      string
		wantCalls  int
		firstReply reply
	}{
		{"generated token, 5xx then success", "", 2, apiErr(500, "InternalError", "boom")},
		{"generated token, dropped connection then success", "", 2, reply{Status: -1}},
		{"caller token kept", "caller-token-1", 2, apiErr(503, "ServiceUnavailable", "later")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, seq(tt.firstReply, ok(map[string]any{"LoadBalancerId": "lb-new"})))
			c := newTestClients(t, f)
			req := slb.CreateCreateLoadBalancerRequest()
			req.ClientToken = tt.token
			resp, err := c.SLB.CreateLoadBalancer(context.Background(), req)
			if err != nil {
				t.Fatalf("CreateLoadBalancer: %v", err)
			}
			if resp.LoadBalancerId != "lb-new" {
				t.Errorf("LoadBalancerId = %q", resp.LoadBalancerId)
			}
			calls := f.callsOf("CreateLoadBalancer")
			if len(calls) != tt.wantCalls {
				t.Fatalf("calls = %d, want %d", len(calls), tt.wantCalls)
			}
			first := calls[0].Params.Get("ClientToken")
			if first == "" || (tt.token != "" && first != tt.token) {
				t.Fatalf("first ClientToken = %q (caller %q)", first, tt.token)
			}
			for i, c := range calls {
				if got := c.Params.Get("ClientToken"); got != first {
					t.Errorf("call %d ClientToken = %q, want %q", i, got, first)
				}
				if i > 0 && c.Params.Get("SignatureNonce") == calls[0].Params.Get("SignatureNonce") {
					t.Errorf("call %d reused the signature nonce", i)
				}
			}
		})
	}
}

func TestBackoffHonoursContext(t *testing.T) {
	f := newFakeAPI(t, seq(apiErr(400, "Throttling", "slow down")))
	c := newTestClients(t, f, func(o *Options) {
		o.Retry = RetryPolicy{MaxAttempts: 10, BaseBackoff: 10 * time.Second, MaxBackoff: 10 * time.Second}
	})
	// Force a long sleep: with full jitter the first backoff may be short,
	// so allow several attempts but a deadline far below 10 s.
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.SLB.DescribeLoadBalancers(ctx, slb.CreateDescribeLoadBalancersRequest())
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("returned after %v; backoff ignored the context", el)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	if !IsThrottled(err) {
		t.Errorf("err should still expose the last API error: %v", err)
	}
}

func TestCancelledContextStopsBeforeSending(t *testing.T) {
	f := newFakeAPI(t, seq(ok(nil)))
	c := newTestClients(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.SLB.DescribeLoadBalancers(ctx, slb.CreateDescribeLoadBalancersRequest())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want Canceled", err)
	}
	if n := len(f.callsOf("DescribeLoadBalancers")); n != 0 {
		t.Fatalf("%d calls sent with a cancelled context", n)
	}
}

func TestContextCancelsInFlightRequest(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	f := newFakeAPI(t, func(string, url.Values, int) reply {
		<-release
		return ok(nil)
	})
	c := newTestClients(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.SLB.DescribeLoadBalancers(ctx, slb.CreateDescribeLoadBalancersRequest())
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("in-flight request not cancelled: took %v", el)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
}

func TestBackoffFullJitterBounds(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 5, BaseBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	tests := []struct {
		n       int
		ceiling time.Duration
	}{{1, 100 * time.Millisecond}, {2, 200 * time.Millisecond}, {3, 400 * time.Millisecond}, {4, 800 * time.Millisecond}, {5, time.Second}, {30, time.Second}}
	for _, tt := range tests {
		for range 200 {
			if d := p.backoff(tt.n); d < 0 || d > tt.ceiling {
				t.Fatalf("backoff(%d) = %v, want within [0, %v]", tt.n, d, tt.ceiling)
			}
		}
	}
}

func TestRetryDecision(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		idempotent bool
		wantReason string
		wantRetry  bool
	}{
		{"throttling write", &APIError{Code: "Throttling.Api", HTTPStatus: 400}, false, RetryReasonThrottled, true},
		{"nonce used write", &APIError{Code: "SignatureNonceUsed", HTTPStatus: 400}, false, RetryReasonBusy, true},
		{"IncorrectStatus family write", &APIError{Code: "IncorrectStatus.RouteTableStatus", HTTPStatus: 400}, false, RetryReasonBusy, true},
		{"ENI conflict write", &APIError{Code: "InvalidOperation.Conflict", HTTPStatus: 400}, false, RetryReasonBusy, true},
		{"NLB lock write", &APIError{Code: "Conflict.Lock", HTTPStatus: 400}, false, RetryReasonBusy, true},
		{"NLB job running write", &APIError{Code: "IncorrectStatus.serverGroup", HTTPStatus: 400}, false, RetryReasonBusy, true},
		{"NLB configuring write", &APIError{Code: "ResourceInConfiguring.loadbalancer", HTTPStatus: 400}, false, RetryReasonBusy, true},
		{"NLB quota write", &APIError{Code: "QuotaExceeded.QuotaInsufficient", HTTPStatus: 400}, true, "", false},
		{"5xx write", &APIError{Code: "InternalError", HTTPStatus: 500}, false, "", false},
		{"5xx read", &APIError{Code: "InternalError", HTTPStatus: 500}, true, RetryReasonServerError, true},
		{"region maintenance read", &APIError{Code: "ServiceUnavailable.RegionMaintaining", HTTPStatus: 503}, true, RetryReasonServerError, true},
		{"non-JSON 502 read", &APIError{HTTPStatus: 502}, true, RetryReasonServerError, true},
		{"not found read", &APIError{Code: "InvalidLoadBalancerId.NotFound", HTTPStatus: 404}, true, "", false},
		{"token conflict", &APIError{Code: "LX_REQUEST_TOKEN_CONFLICT", HTTPStatus: 400}, true, "", false},
		{"transport read", &TransportError{err: errors.New("reset")}, true, RetryReasonTransport, true},
		{"transport write", &TransportError{err: errors.New("reset")}, false, "", false},
		{"other error", errors.New("x"), true, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reason, retry := retryDecision(tt.err, tt.idempotent)
			if reason != tt.wantReason || retry != tt.wantRetry {
				t.Fatalf("retryDecision = (%q, %v), want (%q, %v)", reason, retry, tt.wantReason, tt.wantRetry)
			}
		})
	}
}

func TestRepeatSafe(t *testing.T) {
	for action, want := range map[string]bool{
		"DescribeLoadBalancers": true, "SetLoadBalancerTCPListenerAttribute": true, "StartLoadBalancerListener": true,
		"DeleteLoadBalancer": true, "RemoveVServerGroupBackendServers": true, "TagResources": true,
		"CreateLoadBalancerTCPListener": true, "AddVServerGroupBackendServers": true,
		"CreateVServerGroup": false, "CreateAccessControlList": false, "CreateRouteEntry": false, "CreateLoadBalancer": false,
	} {
		if got := isRepeatSafe(action); got != want {
			t.Errorf("isRepeatSafe(%s) = %v, want %v", action, got, want)
		}
	}
}

func TestAttemptTimeoutRetriesReads(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	f := newFakeAPI(t, func(_ string, _ url.Values, n int) reply {
		if n == 1 {
			select { // first attempt hangs past the read timeout
			case <-release:
			case <-time.After(5 * time.Second):
			}
		}
		return ok(nil)
	})
	c := newTestClients(t, f, func(o *Options) { o.ReadTimeout = 100 * time.Millisecond })
	if _, err := c.SLB.DescribeLoadBalancers(context.Background(), slb.CreateDescribeLoadBalancersRequest()); err != nil {
		t.Fatalf("read after a timed-out attempt: %v", err)
	}
	if n := len(f.callsOf("DescribeLoadBalancers")); n != 2 {
		t.Fatalf("calls = %d, want 2", n)
	}
}
