package cloudapi

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
)

// timeoutErr is a net.Error that timed out.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

var _ net.Error = timeoutErr{}

// TestSanitizeTransportErr is the table of transport failures: the signed
// URL's query (AccessKeyId, Signature, SecurityToken) never survives, while
// what callers test for (context errors, timeouts) still does.
func TestSanitizeTransportErr(t *testing.T) {
	signed := "https://ecs.cn-hangzhou.aliyuncs.com/?AccessKeyId=LTAIleak&Signature=sigleak&SecurityToken=tokleak"
	tests := []struct {
		name      string
		in        error
		is        error // errors.Is must still hold
		timeout   bool  // net.Error Timeout must still hold
		wantInMsg string
	}{
		{"url.Error with context deadline", &url.Error{Op: "Get", URL: signed, Err: context.DeadlineExceeded},
			context.DeadlineExceeded, false, "https://ecs.cn-hangzhou.aliyuncs.com/"},
		{"url.Error with a timeout", &url.Error{Op: "Get", URL: signed, Err: timeoutErr{}}, nil, true, "i/o timeout"},
		{"url.Error whose cause quotes the URL", &url.Error{Op: "Get", URL: signed, Err: errors.New("dial " + signed + ": refused")},
			nil, false, "refused"},
		{"plain error quoting credentials", errors.New("proxy said: AccessKeyId=LTAIleak&x=1"), nil, false, "AccessKeyId=REDACTED"},
		{"plain error without secrets is kept as is", context.Canceled, context.Canceled, false, "context canceled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := sanitizeTransportErr(tc.in)
			te := &TransportError{Product: "Ecs", Action: "DescribeInstances", err: got}
			msg := te.Error()
			for _, leak := range []string{"LTAIleak", "sigleak", "tokleak"} {
				if strings.Contains(msg, leak) {
					t.Errorf("%q leaks %s", msg, leak)
				}
			}
			if !strings.Contains(msg, tc.wantInMsg) || !strings.HasPrefix(msg, "Ecs DescribeInstances: transport error: ") {
				t.Errorf("message %q, want it to name the call and contain %q", msg, tc.wantInMsg)
			}
			if tc.is != nil && !errors.Is(te, tc.is) {
				t.Errorf("errors.Is(%v) lost", tc.is)
			}
			var ne net.Error
			if tc.timeout && (!errors.As(te, &ne) || !ne.Timeout()) {
				t.Error("the timeout is no longer visible")
			}
		})
	}
	if sanitizeInner(nil) != nil {
		t.Error("sanitizeInner(nil) != nil")
	}
}

// TestHeldCallSendsNothing: a call held back after a denial is not an
// attempt: nothing is sent and requests_total does not count it, so the
// metric shows what reached the cloud.
func TestHeldCallSendsNothing(t *testing.T) {
	f := newFakeAPI(t, seq(apiErr(403, "Forbidden.RAM", "denied")))
	c := newTestClients(t, f)
	denied := requestsTotal.WithLabelValues("ecs", "DescribeNetworkInterfaces", "Forbidden.RAM")
	before := counter(t, denied)
	for range 3 {
		_, err := c.ECS.DescribeNetworkInterfaces(context.Background(), ecs.CreateDescribeNetworkInterfacesRequest())
		if !IsDenied(err) || Code(err) != "Forbidden.RAM" {
			t.Fatalf("err = %v, want the denial", err)
		}
	}
	if d := counter(t, denied) - before; d != 1 {
		t.Errorf("requests_total{code=Forbidden.RAM} grew by %v, want 1 (one call sent)", d)
	}
	if n := len(f.callsOf("DescribeNetworkInterfaces")); n != 1 {
		t.Errorf("%d calls sent, want 1", n)
	}
}
