package cloudapi

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

// TestEnsureClientToken: requests with a ClientToken field get one fresh
// token before the first attempt (so every retry is deduplicated by the
// server); a caller's own token, stable across reconciles, is kept.
func TestEnsureClientToken(t *testing.T) {
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	fresh := slb.CreateCreateLoadBalancerRequest()
	if !ensureClientToken(fresh) || !hex32.MatchString(fresh.ClientToken) {
		t.Errorf("fresh request: token %q, want 32 hex characters", fresh.ClientToken)
	}
	first := fresh.ClientToken
	if !ensureClientToken(fresh) || fresh.ClientToken != first {
		t.Errorf("a second call replaced the token %q with %q", first, fresh.ClientToken)
	}
	own := slb.CreateCreateLoadBalancerRequest()
	own.ClientToken = "svc-uid-1234"
	if !ensureClientToken(own) || own.ClientToken != "svc-uid-1234" {
		t.Errorf("the caller's token was replaced: %q", own.ClientToken)
	}
	if other := slb.CreateCreateLoadBalancerRequest(); ensureClientToken(other) && other.ClientToken == first {
		t.Error("two requests got the same token")
	}
	if ensureClientToken(slb.CreateDescribeLoadBalancersRequest()) {
		t.Error("a request without a ClientToken field reports one")
	}
	var nilReq *slb.CreateLoadBalancerRequest
	if ensureClientToken(nilReq) {
		t.Error("a nil request reports a token")
	}
}

// TestAPIErrorText: the error text names product, action, code (or the
// HTTP status when the body was no API error), message and request ID, plus
// what to fix when the cause is on the caller's side.
func TestAPIErrorText(t *testing.T) {
	tests := []struct {
		err  *APIError
		want []string
		not  []string
	}{
		{&APIError{Product: "Slb", Action: "CreateLoadBalancer", Code: "QuotaExceeded.LoadBalancersNum", Message: "quota", RequestID: "r-1", HTTPStatus: 400},
			[]string{"Slb CreateLoadBalancer: QuotaExceeded.LoadBalancersNum: quota (RequestId: r-1)"}, []string{"RAM policy"}},
		{&APIError{Product: "Vpc", Action: "DescribeVpcs", Message: "<html>", RequestID: "", HTTPStatus: 502},
			[]string{"Vpc DescribeVpcs: HTTP 502: <html>"}, nil},
		{&APIError{Product: "Ecs", Action: "DescribeInstances", Code: "InvalidTimeStamp.Expired", HTTPStatus: 400},
			[]string{"check the clock of the node the CCM runs on (NTP)"}, nil},
		{&APIError{Product: "Vpc", Action: "CreateRouteEntries", Code: "Forbidden.RAM", HTTPStatus: 403},
			[]string{"RAM policy does not allow CreateRouteEntries", "retrying does not help"}, nil},
	}
	for _, tc := range tests {
		s := tc.err.Error()
		for _, w := range tc.want {
			if !strings.Contains(s, w) {
				t.Errorf("%q lacks %q", s, w)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(s, w) {
				t.Errorf("%q has %q", s, w)
			}
		}
	}
}

// TestCodeAndRequestID read through wrapping, and are empty for errors
// without an API answer.
func TestCodeAndRequestID(t *testing.T) {
	ae := &APIError{Code: "TaskConflict", RequestID: "req-9"}
	tests := []struct {
		err       error
		code, rid string
	}{
		{ae, "TaskConflict", "req-9"},
		{fmt.Errorf("route: %w", ae), "TaskConflict", "req-9"},
		{&HeldError{Err: ae}, "TaskConflict", "req-9"},
		{errors.Join(errors.New("other"), ae), "TaskConflict", "req-9"},
		{&TransportError{Code: "SDK.TimeoutError", err: errors.New("timeout")}, "", ""},
		{context.DeadlineExceeded, "", ""},
		{nil, "", ""},
	}
	for _, tc := range tests {
		if Code(tc.err) != tc.code || RequestID(tc.err) != tc.rid {
			t.Errorf("%v: Code %q RequestID %q, want %q %q", tc.err, Code(tc.err), RequestID(tc.err), tc.code, tc.rid)
		}
	}
	if !IsThrottled(fmt.Errorf("x: %w", &APIError{Code: "Rejected.Throttling"})) || IsThrottled(ae) {
		t.Error("IsThrottled misreads Rejected.Throttling or TaskConflict")
	}
}

// TestSleepCtx: a backoff ends early when the caller leaves.
func TestSleepCtx(t *testing.T) {
	if err := sleepCtx(context.Background(), 0); err != nil {
		t.Errorf("no sleep: %v", err)
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sleepCtx(done, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("zero sleep on a done context: %v, want Canceled", err)
	}
	start := time.Now()
	if err := sleepCtx(done, time.Hour); !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Errorf("long sleep on a done context: %v after %v", err, time.Since(start))
	}
	if err := sleepCtx(context.Background(), time.Millisecond); err != nil {
		t.Errorf("short sleep: %v", err)
	}
}

// TestPagingStopsWhenTheCallerLeaves: a listing stops between pages once
// the context ends, naming the page it did not fetch.
func TestPagingStopsWhenTheCallerLeaves(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pages := 0
	err := ForEachPage(ctx, func(tok string) (string, error) {
		pages++
		if pages == 2 {
			cancel()
		}
		return tok + "x", nil
	})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "before page 3") || pages != 2 {
		t.Errorf("after %d pages: err = %v, want Canceled before page 3", pages, err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	pages = 0
	err = ForEachPageNumber(ctx2, 10, func(int) (int, int, error) {
		pages++
		cancel2()
		return 10, 100, nil
	})
	if !errors.Is(err, context.Canceled) || pages != 1 {
		t.Errorf("page-number paging after cancel: %d pages, err %v", pages, err)
	}
	errBoom := errors.New("boom")
	err = ForEachPageNumber(context.Background(), 10, func(page int) (int, int, error) {
		if page == 2 {
			return 0, 0, errBoom
		}
		return 10, 100, nil
	})
	if !errors.Is(err, errBoom) || !strings.Contains(err.Error(), "page 2") {
		t.Errorf("err = %v, want boom on page 2", err)
	}
}

// TestListersKeepRegionAndDropPagingFields: every page of a listing is a
// fresh request with the caller's region and filters, NextToken paging
// only (no PageNumber/PageSize leaking into it).
func TestListersKeepRegionAndDropPagingFields(t *testing.T) {
	f := newFakeAPI(t, func(_ string, p url.Values, _ int) reply {
		next := map[string]string{"": "t1", "t1": ""}[p.Get("NextToken")]
		return ok(map[string]any{"NextToken": next, "Instances": map[string]any{"Instance": []map[string]any{{"InstanceId": "i-" + p.Get("NextToken")}}}})
	})
	c := newTestClients(t, f)
	req := ecs.CreateDescribeInstancesRequest()
	req.RegionId = "cn-beijing"
	req.VpcId = "vpc-1"
	req.PageNumber = "3"
	req.PageSize = "50"
	got, err := c.ECS.ListAllInstances(context.Background(), req)
	if err != nil || len(got) != 2 {
		t.Fatalf("ListAllInstances = %d instances, %v; want 2 over two pages", len(got), err)
	}
	for i, call := range f.callsOf("DescribeInstances") {
		p := call.Params
		if p.Get("RegionId") != "cn-beijing" || p.Get("VpcId") != "vpc-1" || p.Get("MaxResults") != "100" {
			t.Errorf("page %d: RegionId %q VpcId %q MaxResults %q", i+1, p.Get("RegionId"), p.Get("VpcId"), p.Get("MaxResults"))
		}
		if p.Has("PageNumber") || p.Has("PageSize") {
			t.Errorf("page %d sent PageNumber/PageSize with NextToken paging: %v", i+1, p)
		}
	}
}

// TestProductOfEachClient: requests are only accepted by their product's
// client, whose Product names it.
func TestProductOfEachClient(t *testing.T) {
	f := newFakeAPI(t, seq(ok(nil)))
	c := newTestClients(t, f)
	tests := []struct {
		client *Client
		want   string
	}{{c.SLB.Client, ProductSLB}, {c.VPC.Client, ProductVPC}, {c.ECS.Client, ProductECS}}
	for _, tc := range tests {
		if tc.client.Product() != tc.want {
			t.Errorf("Product() = %q, want %q", tc.client.Product(), tc.want)
		}
	}
	if err := c.ECS.Do(context.Background(), vpc.CreateDescribeVpcsRequest(), vpc.CreateDescribeVpcsResponse()); err == nil ||
		!strings.Contains(err.Error(), "sent to the Ecs client") {
		t.Errorf("a VPC request on the ECS client: err = %v", err)
	}
	if n := len(f.callsOf("DescribeVpcs")); n != 0 {
		t.Errorf("%d calls sent for a misrouted request", n)
	}
}
