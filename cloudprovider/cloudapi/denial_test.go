package cloudapi

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
)

// TestDeniedReadNotRepeatedFasterThanUnavailable loops on an ECS read the
// way a caller that retries on error does (the node controllers, the
// instance batcher) for the same wall time against an endpoint answering
// 503 and one answering a RAM denial: the denial must not reach the API
// more often than the 503, which Do paces with its backoff.
func TestDeniedReadNotRepeatedFasterThanUnavailable(t *testing.T) {
	tests := []struct {
		name   string
		answer reply
	}{
		{"Forbidden.RAM", apiErr(403, "Forbidden.RAM", "User not authorized to operate on the specified resource, or this API doesn't support RAM.")},
		{"NoPermission", apiErr(403, "NoPermission", "You are not authorized to do this action.")},
	}
	const window = 300 * time.Millisecond
	loop := func(t *testing.T, answer reply) (sent int, last error) {
		f := newFakeAPI(t, seq(answer))
		c := newTestClients(t, f, func(o *Options) {
			o.Retry = RetryPolicy{MaxAttempts: 4, BaseBackoff: 5 * time.Millisecond, MaxBackoff: 40 * time.Millisecond}
		})
		for end := time.Now().Add(window); time.Now().Before(end); {
			_, last = c.ECS.DescribeInstances(context.Background(), ecs.CreateDescribeInstancesRequest())
		}
		return len(f.callsOf("DescribeInstances")), last
	}
	unavailable, _ := loop(t, apiErr(503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server."))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			denied, err := loop(t, tc.answer)
			t.Logf("calls sent in %v: %d on %s, %d on ServiceUnavailable", window, denied, tc.name, unavailable)
			if denied > unavailable {
				t.Errorf("%d %s calls reached the API, more than %d ServiceUnavailable calls", denied, tc.name, unavailable)
			}
			if Code(err) != tc.name || !IsDenied(err) {
				t.Errorf("held call error = %v (code %q), want the %s denial", err, Code(err), tc.name)
			}
		})
	}
}

// TestDenialClearsOnAnotherAnswer checks a denial holds the action back
// only until its hold-down ends, and that the next answer ends it.
func TestDenialClearsOnAnotherAnswer(t *testing.T) {
	f := newFakeAPI(t, seq(apiErr(403, "Forbidden.RAM", "denied"), ok(nil)))
	c := newTestClients(t, f, func(o *Options) {
		o.Retry = RetryPolicy{MaxAttempts: 4, BaseBackoff: 20 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}
	})
	call := func() error {
		_, err := c.ECS.DescribeInstances(context.Background(), ecs.CreateDescribeInstancesRequest())
		return err
	}
	if err := call(); !IsDenied(err) {
		t.Fatalf("first call: %v, want the denial", err)
	}
	var held *HeldError
	if err := call(); !errors.As(err, &held) {
		t.Fatalf("second call at once: %v, want it held back", err)
	}
	if n := len(f.callsOf("DescribeInstances")); n != 1 {
		t.Fatalf("%d calls sent, want 1", n)
	}
	time.Sleep(25 * time.Millisecond)
	if err := call(); err != nil {
		t.Fatalf("after the hold-down: %v, want success", err)
	}
	if err := call(); err != nil {
		t.Fatalf("after success: %v", err)
	}
}

func TestErrorHints(t *testing.T) {
	tests := []struct {
		code string
		want string
	}{
		{"InvalidTimeStamp.Expired", "check the clock of the node"},
		{"Forbidden.RAM", "RAM policy does not allow DescribeInstances"},
		{"NoPermission", "RAM policy does not allow DescribeInstances"},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			f := newFakeAPI(t, seq(apiErr(400, tc.code, "Specified time stamp or date value is expired.")))
			c := newTestClients(t, f)
			_, err := c.ECS.DescribeInstances(context.Background(), ecs.CreateDescribeInstancesRequest())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v lacks %q", err, tc.want)
			}
		})
	}
}
