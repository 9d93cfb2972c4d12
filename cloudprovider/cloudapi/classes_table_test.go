package cloudapi

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

// TestNotFoundClasses is the table of answers that mean "the addressed
// resource does not exist": callers treat them as done (deletes) or as
// absent (reads), so a false positive would skip real work and a false
// negative would loop on an error.
func TestNotFoundClasses(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"CLB gone", &APIError{Product: ProductSLB, Code: "InvalidLoadBalancerId.NotFound", HTTPStatus: 404}, true},
		{"listener gone", &APIError{Product: ProductSLB, Code: "ListenerNotFound", HTTPStatus: 400}, true},
		{"route table gone", &APIError{Product: ProductVPC, Code: "InvalidRouteTableId.NotFound", HTTPStatus: 404}, true},
		{"route entry gone (DeleteRouteEntry)", &APIError{Product: ProductVPC, Code: "InvalidRouteEntry", HTTPStatus: 400}, true},
		{"VPC gone", &APIError{Product: ProductVPC, Code: "Forbidden.VpcNotFound", HTTPStatus: 403}, true},
		{"instance gone", &APIError{Product: ProductECS, Code: "InvalidInstanceId.NotFound", HTTPStatus: 404}, true},
		{"ENI gone", &APIError{Product: ProductECS, Code: "InvalidEniId.NotFound", HTTPStatus: 404}, true},
		{"CLB InvalidParameter 404", &APIError{Product: ProductSLB, Code: "InvalidParameter", HTTPStatus: 404,
			Message: "The specified VServerGroupId does not exist."}, true},
		{"CLB InvalidParameter 400 'does not exist'", &APIError{Product: ProductSLB, Code: "InvalidParameter", HTTPStatus: 400,
			Message: "The specified resource Does Not Exist."}, true},
		{"CLB InvalidParameter validation", &APIError{Product: ProductSLB, Code: "InvalidParameter", HTTPStatus: 400,
			Message: "The parameter Bandwidth is invalid."}, false},
		{"InvalidParameter of another product", &APIError{Product: ProductVPC, Code: "InvalidParameter", HTTPStatus: 404,
			Message: "does not exist"}, false},
		{"bad AccessKey is no missing resource", &APIError{Code: "InvalidAccessKeyId.NotFound", HTTPStatus: 404}, false},
		{"bad region is no missing resource", &APIError{Code: "InvalidRegionId.NotFound", HTTPStatus: 404}, false},
		{"bad filter is no missing resource", &APIError{Code: "InvalidFilterKey.NotFound", HTTPStatus: 404}, false},
		{"throttled", &APIError{Code: "Throttling.User", HTTPStatus: 400}, false},
		{"wrapped", fmt.Errorf("deleting: %w", &APIError{Product: ProductSLB, Code: "InvalidLoadBalancerId.NotFound"}), true},
		{"transport error", &TransportError{Product: ProductSLB, err: errors.New("reset")}, false},
		{"plain error", errors.New("InvalidLoadBalancerId.NotFound"), false},
		{"nil", nil, false},
	}
	for _, tc := range tests {
		if got := IsNotFound(tc.err); got != tc.want {
			t.Errorf("%s: IsNotFound = %v, want %v", tc.name, got, tc.want)
		}
	}
	// The per-entry FailedCode of DeleteRouteEntries is a not-found too.
	for code, want := range map[string]bool{"VPC_ROUTER_ENTRY_NOT_EXIST": true, "InvalidRouteEntryId.NotFound": true,
		"InvalidParameter": false, "": false, "TaskConflict": false} {
		if got := IsNotFoundCode(code); got != want {
			t.Errorf("IsNotFoundCode(%q) = %v, want %v", code, got, want)
		}
	}
}

// TestDeniedClasses is the table of permission denials: never retried, and
// held back for a while (see denials).
func TestDeniedClasses(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"Forbidden.RAM", &APIError{Code: "Forbidden.RAM", HTTPStatus: 403}, true},
		{"Forbbiden (sic, DescribeRouteTableList)", &APIError{Code: "Forbbiden", HTTPStatus: 403}, true},
		{"NoPermission", &APIError{Code: "NoPermission", HTTPStatus: 403}, true},
		{"NoPermission.<detail>", &APIError{Code: "NoPermission.ModifyNetworkInterfaceAttribute", HTTPStatus: 400}, true},
		{"undocumented Forbidden.* with 403", &APIError{Code: "Forbidden.RiskControl", HTTPStatus: 403}, true},
		{"undocumented Forbidden.* with 400", &APIError{Code: "Forbidden.RiskControl", HTTPStatus: 400}, false},
		{"disabled key", &APIError{Code: "Forbidden.AccessKeyDisabled", HTTPStatus: 403}, true},
		{"unauthorised region", &APIError{Code: "UnauthorizedRegion", HTTPStatus: 400}, true},
		{"other 403", &APIError{Code: "InvalidAccessKeyId", HTTPStatus: 403}, false},
		{"VPC not found is not a denial", &APIError{Code: "Forbidden.VpcNotFound", HTTPStatus: 400}, false},
		{"wrapped in a held call", &HeldError{Err: &APIError{Code: "Forbidden.RAM", HTTPStatus: 403}}, true},
		{"transport", &TransportError{err: errors.New("reset")}, false},
		{"nil", nil, false},
	}
	for _, tc := range tests {
		if got := IsDenied(tc.err); got != tc.want {
			t.Errorf("%s: IsDenied = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestDenialHoldSchedule: after a denial the action is held back for
// BaseBackoff x 2^streak, at most MaxBackoff; any other answer clears it.
func TestDenialHoldSchedule(t *testing.T) {
	p := RetryPolicy{BaseBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	denied := &APIError{Code: "Forbidden.RAM", HTTPStatus: 403, Action: "DescribeInstances"}
	now := time.Unix(1000, 0)
	var d denials
	for i, want := range []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second} {
		d.observe("DescribeInstances", denied, now, p)
		err := d.held("DescribeInstances", now)
		var he *HeldError
		if !errors.As(err, &he) {
			t.Fatalf("denial %d: held = %v, want a *HeldError", i+1, err)
		}
		if got := he.Until.Sub(now); got != want {
			t.Errorf("denial %d: held for %v, want %v", i+1, got, want)
		}
		if d.held("DescribeInstances", he.Until) != nil {
			t.Errorf("denial %d: still held at its end", i+1)
		}
		if d.held("DescribeVpcs", now) != nil {
			t.Errorf("another action is held")
		}
		if Code(err) != "Forbidden.RAM" || !strings.Contains(err.Error(), "not sent until") {
			t.Errorf("held error %q does not repeat the denial", err)
		}
	}
	for _, other := range []error{nil, &APIError{Code: "Throttling.User"}, &TransportError{err: errors.New("reset")}} {
		d.observe("DescribeInstances", denied, now, p)
		d.observe("DescribeInstances", other, now, p)
		if err := d.held("DescribeInstances", now); err != nil {
			t.Errorf("after answer %v the action is still held: %v", other, err)
		}
	}
	// The streak starts over after a clear.
	d.observe("DescribeInstances", denied, now, p)
	if he := (*HeldError)(nil); errors.As(d.held("DescribeInstances", now), &he) && he.Until.Sub(now) != 200*time.Millisecond {
		t.Errorf("after a clear the hold is %v, want the first step again", he.Until.Sub(now))
	}
}

// TestRetryPerActionClass drives Do through the signing fake API: which
// answers are sent again for reads, repeat-safe writes, ClientToken creates
// and creates without a unique key.
func TestRetryPerActionClass(t *testing.T) {
	type call struct {
		action string
		do     func(context.Context, *Clients) error
	}
	read := call{"DescribeInstances", func(ctx context.Context, c *Clients) error {
		_, err := c.ECS.DescribeInstances(ctx, ecs.CreateDescribeInstancesRequest())
		return err
	}}
	eniWrite := call{"ModifyNetworkInterfaceAttribute", func(ctx context.Context, c *Clients) error {
		req := ecs.CreateModifyNetworkInterfaceAttributeRequest()
		req.NetworkInterfaceId = "eni-1"
		_, err := c.ECS.ModifyNetworkInterfaceAttribute(ctx, req)
		return err
	}}
	routesWrite := call{"CreateRouteEntries", func(ctx context.Context, c *Clients) error {
		_, err := c.VPC.CreateRouteEntries(ctx, vpc.CreateCreateRouteEntriesRequest())
		return err
	}}
	tokenCreate := call{"CreateLoadBalancer", func(ctx context.Context, c *Clients) error {
		_, err := c.SLB.CreateLoadBalancer(ctx, slb.CreateCreateLoadBalancerRequest())
		return err
	}}
	aclCreate := call{"CreateAccessControlList", func(ctx context.Context, c *Clients) error {
		_, err := c.SLB.CreateAccessControlList(ctx, slb.CreateCreateAccessControlListRequest())
		return err
	}}
	nonJSON502 := reply{Status: 502, Body: "<html>Bad Gateway</html>"}
	tests := []struct {
		name  string
		call  call
		first reply
		want  int // calls until success (the second answer succeeds) or the error
	}{
		{"read: denied, not retried", read, apiErr(403, "Forbidden.RAM", "denied"), 1},
		{"read: region maintenance retried", read, apiErr(503, "ServiceUnavailable.RegionMaintaining", "x"), 2},
		{"read: non-JSON 502 retried", read, nonJSON502, 2},
		{"read: LocationServiceTimeout retried", read, apiErr(500, "LocationServiceTimeout", "x"), 2},
		{"ENI write: conflict retried", eniWrite, apiErr(400, "InvalidOperation.Conflict", "x"), 2},
		{"ENI write (Modify*): 5xx retried", eniWrite, apiErr(500, "InternalError", "x"), 2},
		{"route batch create: IncorrectStatus.* retried", routesWrite, apiErr(400, "IncorrectStatus.RouteTableStatus", "x"), 2},
		{"route batch create: OperationFailed.DistibuteLock retried", routesWrite, apiErr(400, "OperationFailed.DistibuteLock", "x"), 2},
		{"route batch create: 5xx not retried (may have been applied)", routesWrite, apiErr(500, "InternalError", "x"), 1},
		{"route batch create: non-JSON 502 not retried", routesWrite, nonJSON502, 1},
		{"ClientToken create: 5xx retried (the token dedupes)", tokenCreate, apiErr(500, "InternalError", "x"), 2},
		{"ClientToken create: LastTokenProcessing retried", tokenCreate, apiErr(400, "LastTokenProcessing", "x"), 2},
		{"create without unique key: throttling retried (not executed)", aclCreate, apiErr(400, "Throttling.Api", "x"), 2},
		{"create without unique key: busy retried (not executed)", aclCreate, apiErr(400, "SystemBusy", "x"), 2},
		{"create without unique key: quota not retried", aclCreate, apiErr(400, "QuotaExceeded.AclNum", "x"), 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t, seq(tc.first, ok(nil)))
			c := newTestClients(t, f)
			err := tc.call.do(context.Background(), c)
			if got := len(f.callsOf(tc.call.action)); got != tc.want {
				t.Errorf("%d calls, want %d (err %v)", got, tc.want, err)
			}
			if (err == nil) != (tc.want == 2) {
				t.Errorf("err = %v", err)
			}
			if tc.call.action == "CreateLoadBalancer" && tc.want == 2 {
				calls := f.callsOf(tc.call.action)
				if tok := calls[0].Params.Get("ClientToken"); tok == "" || calls[1].Params.Get("ClientToken") != tok {
					t.Errorf("ClientTokens %q and %q, want one token on both attempts", tok, calls[1].Params.Get("ClientToken"))
				}
			}
		})
	}
}

// TestDeniedActionHeldAcrossCalls: a denied action is not sent again within
// its hold-down, other actions of the same client are.
func TestDeniedActionHeldAcrossCalls(t *testing.T) {
	f := newFakeAPI(t, func(action string, _ url.Values, _ int) reply {
		if action == "DescribeInstances" {
			return apiErr(403, "Forbidden.RAM", "denied")
		}
		return ok(nil)
	})
	c := newTestClients(t, f, func(o *Options) {
		o.Retry = RetryPolicy{MaxAttempts: 4, BaseBackoff: time.Minute, MaxBackoff: time.Hour}
	})
	for range 3 {
		_, err := c.ECS.DescribeInstances(context.Background(), ecs.CreateDescribeInstancesRequest())
		if !IsDenied(err) {
			t.Fatalf("err = %v, want a denial", err)
		}
	}
	if n := len(f.callsOf("DescribeInstances")); n != 1 {
		t.Errorf("%d DescribeInstances calls, want 1 (the rest held back)", n)
	}
	if _, err := c.ECS.DescribeNetworkInterfaces(context.Background(), ecs.CreateDescribeNetworkInterfacesRequest()); err != nil {
		t.Errorf("another action was held too: %v", err)
	}
}

// TestPacerStartsFromTheProductRate: the first throttle halves the
// product's client rate (or a nominal 20/s when client limiting is off),
// never below the floor.
func TestPacerStartsFromTheProductRate(t *testing.T) {
	tests := []struct {
		qps  float64
		want float64
	}{{10, 5}, {-1, unlimitedBase / 2}, {0, unlimitedBase / 2}, {0.6, minPace}, {100, 50}}
	for _, tc := range tests {
		p := newPacer(RateLimit{QPS: tc.qps})
		p.throttled("A", time.Unix(1000, 0))
		if got := float64(p.get("A").Limit()); got != tc.want {
			t.Errorf("product QPS %v: first pace %v, want %v", tc.qps, got, tc.want)
		}
		if err := p.wait(context.Background(), "unpaced"); err != nil {
			t.Errorf("an unpaced action waits: %v", err)
		}
	}
}

// TestSanitizeMessage: API messages never carry the string-to-sign, URL
// queries or credential parameters, and are bounded.
func TestSanitizeMessage(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		notWant []string
	}{
		{"string-to-sign", "Specified signature is not matched. server string to sign is:GET&%2F&AccessKeyId%3DLTAIsecret",
			"Specified signature is not matched. [string-to-sign redacted]", []string{"LTAIsecret"}},
		{"StringToSign spelling", "bad sig, Server StringToSign is: x AccessKeyId=LTAI", "bad sig, [string-to-sign redacted]", []string{"LTAI"}},
		{"URL query", "see https://slb.aliyuncs.com/?AccessKeyId=LTAIx&Signature=abc for details",
			"see https://slb.aliyuncs.com/?REDACTED for details", []string{"LTAIx", "abc"}},
		{"bare parameters", "SecurityToken=tok123 and Signature=sig", "SecurityToken=REDACTED and Signature=REDACTED", []string{"tok123"}},
		{"ordinary message", "The specified LoadBalancerId does not exist.", "The specified LoadBalancerId does not exist.", nil},
	}
	for _, tc := range tests {
		got := sanitizeMessage(tc.in)
		if got != tc.want {
			t.Errorf("%s: sanitizeMessage = %q, want %q", tc.name, got, tc.want)
		}
		for _, s := range tc.notWant {
			if strings.Contains(got, s) {
				t.Errorf("%s: %q leaks %q", tc.name, got, s)
			}
		}
	}
	long := sanitizeMessage(strings.Repeat("<html>", 1000))
	if len(long) != maxMessageLen+len("...(truncated)") || !strings.HasSuffix(long, "...(truncated)") {
		t.Errorf("a %d-character page kept as %d characters", 6000, len(long))
	}
}

// TestChunkAndDedupe pin the batch splitting every lister relies on.
func TestChunkAndDedupe(t *testing.T) {
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("x-%d", i)
		}
		return out
	}
	tests := []struct {
		n, size int
		want    []int
	}{
		{0, 10, nil}, {1, 10, []int{1}}, {10, 10, []int{10}}, {11, 10, []int{10, 1}}, {250, 100, []int{100, 100, 50}}, {5, 0, []int{5}},
	}
	for _, tc := range tests {
		var got []int
		for _, c := range Chunk(ids(tc.n), tc.size) {
			got = append(got, len(c))
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("Chunk(%d items, %d) = %v, want %v", tc.n, tc.size, got, tc.want)
		}
	}
	// Appending to a chunk must not overwrite the next one.
	chunks := Chunk([]string{"a", "b", "c"}, 2)
	_ = append(chunks[0], "z")
	if chunks[1][0] != "c" {
		t.Errorf("append to chunk 0 overwrote chunk 1: %v", chunks)
	}
	if got := dedupe([]string{"a", "", "b", "a", "b", "c"}); strings.Join(got, ",") != "a,b,c" {
		t.Errorf("dedupe = %v", got)
	}
	if got := splitIDs(" lb-1 , lb-2,,lb-1 "); strings.Join(got, ",") != "lb-1,lb-2" {
		t.Errorf("splitIDs = %v", got)
	}
}
