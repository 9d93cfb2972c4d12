package credentials

import (
	"context"
	"fmt"
	"sync"
	"time"

	sdkcreds "github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/alicloud-ccm/alicloud-ccm/config/metadata"
)

// Refresh tuning. See refreshMargin for when a refresh starts.
const (
	minRefreshMargin = time.Minute
	maxRefreshMargin = 15 * time.Minute
	// expirySkew: credentials this close to expiry are no longer handed out,
	// so a request signed with them does not reach the server expired.
	expirySkew = 30 * time.Second
	// renewPoll is the wait before asking again when a source returned
	// credentials that are themselves due for refresh (the ECS RAM role hands
	// out a new credential only 30 minutes before the old one expires).
	renewPoll     = time.Minute
	initialRetry  = time.Second
	maxRetry      = time.Minute
	fetchDeadline = 30 * time.Second
)

// session is one set of credentials with its validity.
type session struct {
	id, secret, token string
	// obtained is when the credentials were issued (or first seen).
	obtained time.Time
	// expiration is zero for credentials that do not expire.
	expiration time.Time
}

// refreshMargin is how long before expiry a refresh starts: a fifth of the
// lifetime, at least 1 and at most 15 minutes (1 h STS tokens refresh 12
// minutes early; the 6 h ECS RAM role credential 15 minutes early, after
// the service has minted its successor).
func (s *session) refreshMargin() time.Duration {
	m := s.expiration.Sub(s.obtained) / 5
	return min(max(m, minRefreshMargin), maxRefreshMargin)
}

func (s *session) needsRefresh(now time.Time) bool {
	return !s.expiration.IsZero() && !now.Before(s.expiration.Add(-s.refreshMargin()))
}

func (s *session) usable(now time.Time) bool {
	return s.expiration.IsZero() || now.Before(s.expiration.Add(-expirySkew))
}

func (s *session) sdk(name string) *sdkcreds.Credentials {
	return &sdkcreds.Credentials{AccessKeyId: s.id, AccessKeySecret: s.secret, SecurityToken: s.token, ProviderName: name}
}

// fetchFunc obtains fresh credentials. Its errors must not contain secrets.
type fetchFunc func(ctx context.Context) (session, error)

// refreshing caches credentials from fetch and refreshes them before they
// expire. There is no background goroutine: the first GetCredentials call
// that sees the credentials due for refresh performs it, while concurrent
// callers keep getting the cached, still valid credentials. Only when nothing
// valid is cached do callers wait for the refresh in flight.
type refreshing struct {
	source Source
	fetch  fetchFunc
	clock  clock.PassiveClock

	mu       sync.Mutex
	cur      *session
	inflight chan struct{}
	failures int
	nextTry  time.Time
	lastErr  error
}

func newRefreshing(src Source, clk clock.PassiveClock, fetch fetchFunc) *refreshing {
	return &refreshing{source: src, fetch: fetch, clock: clk}
}

// Source reports where the credentials come from.
func (r *refreshing) Source() Source { return r.source }

// GetProviderName implements the SDK's CredentialsProvider.
func (r *refreshing) GetProviderName() string { return providerName(r.source) }

// GetCredentials implements the SDK's CredentialsProvider.
func (r *refreshing) GetCredentials() (*sdkcreds.Credentials, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		now := r.clock.Now()
		if r.cur != nil && !r.cur.needsRefresh(now) {
			return r.cur.sdk(r.GetProviderName()), nil
		}
		valid := r.cur != nil && r.cur.usable(now)
		if r.inflight != nil {
			if valid {
				return r.cur.sdk(r.GetProviderName()), nil
			}
			ch := r.inflight
			r.mu.Unlock()
			<-ch
			r.mu.Lock()
			continue
		}
		if now.Before(r.nextTry) {
			if valid {
				return r.cur.sdk(r.GetProviderName()), nil
			}
			if r.lastErr == nil {
				// Only reachable when the source keeps handing out credentials
				// that already expired; wait for renewPoll.
				return nil, fmt.Errorf("%s credentials expired; next refresh in %s", r.source, r.nextTry.Sub(now).Round(time.Second))
			}
			return nil, fmt.Errorf("%s credentials unavailable (next refresh in %s): %w", r.source, r.nextTry.Sub(now).Round(time.Second), r.lastErr)
		}
		if err := r.refreshLocked(); err != nil && !r.stillValid() {
			return nil, err
		}
	}
}

func (r *refreshing) stillValid() bool {
	return r.cur != nil && r.cur.usable(r.clock.Now())
}

// refreshLocked calls fetch with r.mu released and records the outcome.
func (r *refreshing) refreshLocked() error {
	ch := make(chan struct{})
	r.inflight = ch
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), fetchDeadline)
	s, err := r.fetch(ctx)
	cancel()
	r.mu.Lock()
	r.inflight = nil
	close(ch)

	now := r.clock.Now()
	if err == nil && !s.usable(now) {
		err = fmt.Errorf("%s returned credentials that expire at %s", r.source, s.expiration.UTC().Format(time.RFC3339))
	}
	if err != nil {
		r.failures++
		r.lastErr = err
		wait := min(initialRetry<<min(r.failures-1, 10), maxRetry)
		r.nextTry = now.Add(wait)
		if r.cur != nil && r.cur.usable(now) {
			klog.InfoS("Refreshing Alibaba Cloud credentials failed; still using the current ones", "source", r.source, "expiration", r.cur.expiration, "retryIn", wait, "err", err)
		} else {
			klog.ErrorS(err, "Refreshing Alibaba Cloud credentials failed", "source", r.source, "retryIn", wait)
		}
		return fmt.Errorf("refresh %s credentials: %w", r.source, err)
	}
	r.failures, r.lastErr = 0, nil
	r.nextTry = time.Time{}
	if s.obtained.IsZero() || s.obtained.After(now) {
		s.obtained = now
	}
	if s.needsRefresh(now) {
		r.nextTry = now.Add(renewPoll)
	}
	r.cur = &s
	klog.V(2).InfoS("Obtained Alibaba Cloud credentials", "source", r.source, "accessKeyID", metadata.MaskID(s.id), "expiration", s.expiration)
	return nil
}

// static serves credentials that never change.
type static struct {
	source Source
	s      session
}

// Source reports where the credentials come from.
func (p *static) Source() Source { return p.source }

// GetProviderName implements the SDK's CredentialsProvider.
func (p *static) GetProviderName() string { return providerName(p.source) }

// GetCredentials implements the SDK's CredentialsProvider.
func (p *static) GetCredentials() (*sdkcreds.Credentials, error) {
	return p.s.sdk(p.GetProviderName()), nil
}

func providerName(s Source) string { return "alicloud-ccm/" + string(s) }
