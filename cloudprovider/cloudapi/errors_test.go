package cloudapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

func TestAPIErrorFromServer(t *testing.T) {
	f := newFakeAPI(t, seq(apiErr(404, "InvalidLoadBalancerId.NotFound", "The specified LoadBalancerId does not exist.")))
	c := newTestClients(t, f)
	req := slb.CreateDescribeLoadBalancerAttributeRequest()
	req.LoadBalancerId = "lb-missing"
	resp, err := c.SLB.DescribeLoadBalancerAttribute(context.Background(), req)
	if resp != nil {
		t.Errorf("response = %v, want nil on error", resp)
	}
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v (%T), want *APIError", err, err)
	}
	want := APIError{Product: "Slb", Action: "DescribeLoadBalancerAttribute", Code: "InvalidLoadBalancerId.NotFound",
		Message: "The specified LoadBalancerId does not exist.", RequestID: "req-InvalidLoadBalancerId.NotFound", HTTPStatus: 404}
	if *ae != want {
		t.Fatalf("APIError = %+v, want %+v", *ae, want)
	}
	for _, part := range []string{want.Product, want.Action, want.Code, want.Message, want.RequestID} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("Error() = %q lacks %q", err.Error(), part)
		}
	}
	if !IsNotFound(err) || !errors.Is(err, ErrNotFound) {
		t.Error("IsNotFound = false")
	}
	if n := len(f.callsOf("DescribeLoadBalancerAttribute")); n != 1 {
		t.Errorf("not-found read retried: %d calls", n)
	}
}

func TestIsNotFound(t *testing.T) {
	tests := []struct {
		product string
		code    string
		status  int
		msg     string
		want    bool
	}{
		{ProductSLB, "InvalidLoadBalancerId.NotFound", 400, "", true},
		{ProductSLB, "ListenerNotFound", 404, "", true},
		{ProductSLB, "ResourceNotFound.Listener", 404, "", true},
		{ProductSLB, "InvalidParameter", 404, "The specified VServerGroupId does not exist.", true},
		{ProductSLB, "InvalidParameter", 400, "The specified resource does not exist.", true},
		{ProductSLB, "InvalidParameter", 400, "The specified parameter is not valid.", false},
		{ProductVPC, "InvalidParameter", 404, "Instance not exists or not vpc vm", false},
		{ProductVPC, "InvalidVpcId.NotFound", 404, "", true},
		{ProductVPC, "InvalidVSwitchId.NotFound", 404, "", true},
		{ProductVPC, "InvalidRouteTableId.NotFound", 404, "", true},
		{ProductVPC, "InvalidRouteEntry.NotFound", 400, "", true},
		{ProductVPC, "InvalidRouteEntryId.NotFound", 400, "", true},
		{ProductECS, "InvalidInstanceId.NotFound", 404, "", true},
		{ProductECS, "InvalidEniId.NotFound", 404, "", true},
		{ProductECS, "InvalidNetworkInterfaceId.NotFound", 404, "", true},
		{ProductECS, "InvalidAccessKeyId.NotFound", 404, "", false},
		{ProductECS, "InvalidRegionId.NotFound", 404, "", false},
		{ProductECS, "Throttling", 400, "", false},
		{ProductNLB, "ResourceNotFound.loadBalancer", 404, "", true},
		{ProductNLB, "ResourceNotFound.listener", 404, "", true},
		{ProductNLB, "ResourceNotFound.serverGroup", 404, "", true},
		{ProductNLB, "ResourceNotFound.BackendServer", 404, "", true},
		{ProductNLB, "ResourceNotFound.JobId", 404, "", true},
		{ProductNLB, "ResourceNotFound.VSwitch", 404, "", false},
		{ProductNLB, "ResourceNotFound.Vpc", 404, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.product+"/"+tt.code+"/"+fmt.Sprint(tt.status), func(t *testing.T) {
			err := fmt.Errorf("wrapped: %w", &APIError{Product: tt.product, Code: tt.code, HTTPStatus: tt.status, Message: tt.msg})
			if got := IsNotFound(err); got != tt.want {
				t.Fatalf("IsNotFound = %v, want %v", got, tt.want)
			}
		})
	}
	if IsNotFound(nil) || IsNotFound(errors.New("x")) || Code(nil) != "" {
		t.Error("helpers misbehave on non-API errors")
	}
	if !IsNotFoundCode("VPC_ROUTER_ENTRY_NOT_EXIST") {
		t.Error("per-entry route FailedCode not recognised")
	}
}

func TestIsThrottled(t *testing.T) {
	for code, want := range map[string]bool{
		"Throttling": true, "Throttling.User": true, "Throttling.Api": true, "Rejected.Throttling": true,
		"ServiceUnavailable": false, "": false,
	} {
		if got := IsThrottled(&APIError{Code: code}); got != want {
			t.Errorf("IsThrottled(%q) = %v, want %v", code, got, want)
		}
	}
}

// secrets lists strings no error message may contain.
var secrets = []string{testAKID, testSecret, "STSTOKENSECRET", "Signature=", "SecurityToken=", "AccessKeyId="}

func assertNoSecrets(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("expected an error")
	}
	// Parameter names may remain, as long as their values are redacted.
	msg := strings.ReplaceAll(err.Error(), "=REDACTED", "")
	for _, s := range secrets {
		if strings.Contains(msg, s) {
			t.Errorf("error message contains %q: %s", s, msg)
		}
	}
	var ue *url.Error
	if errors.As(err, &ue) && strings.Contains(ue.URL, "?") {
		t.Errorf("wrapped url.Error keeps the query: %s", ue.URL)
	}
}

func TestTransportErrorHasNoSecrets(t *testing.T) {
	sts := credentials.NewStaticSTSCredentialsProvider(testAKID, testSecret, "STSTOKENSECRET")
	t.Run("connection refused", func(t *testing.T) {
		opts := testOptions("http://127.0.0.1:1") // nothing listens on port 1
		opts.Credentials = sts
		c, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.ECS.DescribeInstances(context.Background(), ecs.CreateDescribeInstancesRequest())
		var te *TransportError
		if !errors.As(err, &te) {
			t.Fatalf("err = %v (%T), want *TransportError", err, err)
		}
		assertNoSecrets(t, err)
	})
	t.Run("transport echoing the URL", func(t *testing.T) {
		opts := testOptions("")
		opts.Credentials = sts
		opts.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return nil, fmt.Errorf("proxy refused %s (AccessKeyId=%s)", r.URL.String(), testAKID)
		})
		c, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		req := vpc.CreateCreateRouteEntryRequest()
		_, err = c.VPC.CreateRouteEntry(context.Background(), req)
		assertNoSecrets(t, err)
	})
	t.Run("signature mismatch message", func(t *testing.T) {
		f := newFakeAPI(t, seq(ok(nil)))
		opts := testOptions(f.srv.URL)
		opts.Credentials = credentials.NewStaticSTSCredentialsProvider(testAKID, "wrong-secret", "STSTOKENSECRET")
		c, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.SLB.DescribeLoadBalancers(context.Background(), slb.CreateDescribeLoadBalancersRequest())
		if Code(err) != "SignatureDoesNotMatch" {
			t.Fatalf("err = %v, want SignatureDoesNotMatch", err)
		}
		assertNoSecrets(t, err)
	})
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{`Post "https://slb.aliyuncs.com/?AccessKeyId=AK&Signature=abc": EOF`, `Post "https://slb.aliyuncs.com/?REDACTED": EOF`},
		{`x AccessKeyId=AK&SecurityToken=tok y`, `x AccessKeyId=REDACTED&SecurityToken=REDACTED y`},
		{`no secrets here`, `no secrets here`},
	}
	for _, tt := range tests {
		if got := redact(tt.in); got != tt.want {
			t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
