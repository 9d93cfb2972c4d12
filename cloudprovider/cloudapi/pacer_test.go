package cloudapi

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	"golang.org/x/time/rate"
	"net/url"
)

func TestPacerAIMD(t *testing.T) {
	p := newPacer(RateLimit{QPS: 10})
	if p.get("A") != nil {
		t.Fatal("an action is paced before any throttle")
	}
	now := time.Now()
	p.throttled("A", now)
	p.throttled("A", now.Add(time.Millisecond)) // same burst: one signal
	if got := p.get("A").Limit(); got != 5 {
		t.Fatalf("after one throttle: %v, want 5", got)
	}
	p.throttled("A", now.Add(cutEvery))
	if got := p.get("A").Limit(); got != 2.5 {
		t.Fatalf("after two throttles: %v, want 2.5", got)
	}
	for range 10 {
		p.succeeded("A")
	}
	if got := float64(p.get("A").Limit()); got < 3.49 || got > 3.51 {
		t.Fatalf("after 10 successes: %v, want 3.5", got)
	}
	for range 100 {
		p.succeeded("A")
	}
	if p.get("A") != nil {
		t.Fatal("the action is still paced at the product rate")
	}
	if p.get("B") != nil {
		t.Fatal("another action got paced")
	}
	for i := range 20 {
		p.throttled("C", now.Add(time.Duration(i)*cutEvery))
	}
	if got := p.get("C").Limit(); got != rate.Limit(minPace) {
		t.Fatalf("floor: %v, want %v", got, minPace)
	}
}

// TestThrottledActionPaced: a server that admits 5 calls per second of an
// action gets far fewer refused calls from 20 concurrent callers once the
// first refusals paced the action.
func TestThrottledActionPaced(t *testing.T) {
	var mu sync.Mutex
	var tokens float64 = 5
	last := time.Now()
	f := newFakeAPI(t, func(string, url.Values, int) reply { return ok(nil) })
	f.handle = func(_ string, _ url.Values, _ int) reply {
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		tokens = min(5, tokens+now.Sub(last).Seconds()*5)
		last = now
		if tokens < 1 {
			return apiErr(400, "Throttling.User", "Request was denied due to user flow control.")
		}
		tokens--
		return ok(nil)
	}
	c := newTestClients(t, f, func(o *Options) {
		o.Retry = RetryPolicy{MaxAttempts: 10, BaseBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}
		o.SLB.RateLimit = RateLimit{QPS: 20, Burst: 20}
	})
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.SLB.DescribeLoadBalancers(context.Background(), slb.CreateDescribeLoadBalancersRequest()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	calls := len(f.callsOf("DescribeLoadBalancers"))
	t.Logf("%d calls for 20 successes", calls)
	// Unpaced: ~77 calls, and a caller gives up after 10 attempts. The
	// first burst's 15 refusals are unavoidable (pacing starts with them).
	if calls > 55 {
		t.Errorf("%d calls for 20 successes, want <= 55", calls)
	}
}
