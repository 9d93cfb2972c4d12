package cloudapi

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// pacer slows one action down after the server throttled it. Alibaba Cloud
// limits each API action separately (per-action QPS quotas), below the
// product-wide client limit, so a burst of one action (every worker
// looking its CLB up at once) is refused with Throttling.* although the
// product limit admits it, and every refused call is a wasted call. After a
// throttle answer the action gets its own token bucket at half its current
// rate (additive increase of increaseStep per success back to the product
// rate, when the bucket is dropped): multiplicative decrease, additive
// increase, as TCP does.
type pacer struct {
	base float64 // the product's client QPS; the action's ceiling

	mu  sync.Mutex
	m   map[string]*rate.Limiter
	cut map[string]time.Time // when each action's rate was last halved
}

const (
	// minPace is the slowest an action is paced, in calls per second.
	minPace = 0.5
	// increaseStep is the rate added per successful call of a paced action.
	increaseStep = 0.1
	// cutEvery spaces the halvings of an action: the answers to calls made
	// together at the old rate are one signal, not one each.
	cutEvery = time.Second
	// unlimitedBase stands for the product rate when client-side limiting
	// is off.
	unlimitedBase = 20
)

func newPacer(rl RateLimit) *pacer {
	base := rl.QPS
	if base <= 0 {
		base = unlimitedBase
	}
	return &pacer{base: base}
}

func (p *pacer) get(action string) *rate.Limiter {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m[action]
}

// wait blocks until the action's bucket (if it has one) admits a call.
func (p *pacer) wait(ctx context.Context, action string) error {
	if l := p.get(action); l != nil {
		return l.Wait(ctx)
	}
	return nil
}

// throttled halves the action's rate, at most once per cutEvery.
func (p *pacer) throttled(action string, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m, p.cut = map[string]*rate.Limiter{}, map[string]time.Time{}
	}
	l := p.m[action]
	if l == nil {
		p.m[action] = rate.NewLimiter(rate.Limit(max(minPace, p.base/2)), 1)
		p.cut[action] = now
		return
	}
	if now.Sub(p.cut[action]) < cutEvery {
		return
	}
	p.cut[action] = now
	l.SetLimit(rate.Limit(max(minPace, float64(l.Limit())/2)))
}

// succeeded raises a paced action's rate by one step, dropping its bucket
// once it is back at the product rate.
func (p *pacer) succeeded(action string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.m[action]
	if l == nil {
		return
	}
	next := float64(l.Limit()) + increaseStep
	if next >= p.base {
		delete(p.m, action)
		delete(p.cut, action)
		return
	}
	l.SetLimit(rate.Limit(next))
}
