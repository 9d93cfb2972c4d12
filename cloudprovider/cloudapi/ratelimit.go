package cloudapi

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/time/rate"
)

// limiter is a client-side token bucket shared by all actions of a product.
// A nil *limiter admits everything.
type limiter struct {
	product string
	lim     *rate.Limiter
}

func newLimiter(product string, rl RateLimit) *limiter {
	if rl.QPS < 0 {
		return nil
	}
	return &limiter{product: product, lim: rate.NewLimiter(rate.Limit(rl.QPS), rl.Burst)}
}

// wait blocks until a token is available or ctx is done. It records the
// wait in alicloud_api_rate_limiter_wait_seconds and, when the call had to
// wait, in alicloud_api_throttled_total{source="client"}.
func (l *limiter) wait(ctx context.Context, action string) error {
	if l == nil {
		return nil
	}
	prod := metricProduct(l.product)
	r := l.lim.Reserve()
	if !r.OK() {
		return fmt.Errorf("%s %s: client rate limiter admits no request (burst %d)", l.product, action, l.lim.Burst())
	}
	delay := r.Delay()
	if delay <= 0 {
		rateLimiterWait.WithLabelValues(prod).Observe(0)
		return nil
	}
	throttledTotal.WithLabelValues(prod, action, ThrottleSourceClient).Inc()
	// Give the token back instead of sleeping past the caller's deadline.
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < delay {
		r.Cancel()
		return fmt.Errorf("%s %s: client rate limiter delay %v exceeds context deadline: %w", l.product, action, delay, context.DeadlineExceeded)
	}
	start := time.Now()
	err := sleepCtx(ctx, delay)
	rateLimiterWait.WithLabelValues(prod).Observe(time.Since(start).Seconds())
	if err != nil {
		r.Cancel()
		return fmt.Errorf("%s %s: waiting for client rate limiter: %w", l.product, action, err)
	}
	return nil
}
