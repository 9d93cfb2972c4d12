// Package metadata is a small client for the ECS instance metadata service
// (IMDS) at http://100.100.100.200.
//
// Token mode ("IMDSv2", Alibaba's "hardened mode"): the client first obtains a
// session token with PUT /latest/api/token (header
// X-aliyun-ecs-metadata-token-ttl-seconds) and sends it as
// X-aliyun-ecs-metadata-token on every GET. The token is cached until shortly
// before it expires and fetched again when the service answers 401.
//
// TokenMode decides what happens when the token cannot be obtained:
//
//   - TokenPreferred (the default): only when the token PUT answers 404 or 405,
//     meaning a metadata service that does not implement hardened mode, the
//     client falls back to plain GETs (and tries the token again after
//     plainRecheck). Every other token failure (403, 5xx, network) is an error:
//     downgrading on those would hide a misconfigured proxy or an instance in
//     hardened-only mode, where plain GETs are refused anyway.
//   - TokenRequired: never send a GET without a token.
//   - TokenDisabled: plain GETs only (the official CCM's --enable-imdsv2=false).
//
// Every request is bounded: by default 3 attempts, a 1.5 s timeout per attempt
// and a 100 ms then 400 ms back-off, so on a host that is not an ECS instance a
// lookup fails in about 5 s with an error wrapping ErrUnreachable.
package metadata

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

// DefaultEndpoint is the address of the ECS instance metadata service.
const DefaultEndpoint = "http://100.100.100.200"

// Header names of the hardened (token) mode.
const (
	TokenHeader    = "X-aliyun-ecs-metadata-token"
	TokenTTLHeader = "X-aliyun-ecs-metadata-token-ttl-seconds"
)

// Defaults of Options.
const (
	DefaultAttempts       = 3
	DefaultAttemptTimeout = 1500 * time.Millisecond
	DefaultInitialBackoff = 100 * time.Millisecond
	// DefaultTokenTTL is the maximum the service accepts (21600 s).
	DefaultTokenTTL = 6 * time.Hour
)

// plainRecheck is how long a TokenPreferred client keeps using plain GETs
// after the token endpoint answered 404/405 before it tries the token again.
const plainRecheck = 10 * time.Minute

// maxBody bounds what is read from any answer; metadata items are small.
const maxBody = 64 << 10

// TokenMode selects whether the client uses session tokens.
type TokenMode string

// Token modes; see the package documentation.
const (
	TokenPreferred TokenMode = "preferred"
	TokenRequired  TokenMode = "required"
	TokenDisabled  TokenMode = "disabled"
)

// ErrUnreachable is wrapped by errors returned when no answer came from the
// metadata service at all (connection refused, timeouts): usually the process
// does not run on an ECS instance.
var ErrUnreachable = errors.New("ECS metadata service is unreachable")

// ErrNotFound is wrapped by errors returned when the service answered 404 for
// an item, e.g. vpc-id on a classic-network instance or no RAM role attached.
var ErrNotFound = errors.New("metadata item not found")

// Options configures a Client. The zero value is usable.
type Options struct {
	// Endpoint is the service address, an http or https URL; default DefaultEndpoint.
	Endpoint string
	// TokenMode defaults to TokenPreferred.
	TokenMode TokenMode
	// TokenTTL is the lifetime requested for session tokens (1 s–6 h); default DefaultTokenTTL.
	TokenTTL time.Duration
	// Attempts per lookup, counting the first; default DefaultAttempts.
	Attempts int
	// AttemptTimeout bounds each HTTP exchange; default DefaultAttemptTimeout.
	AttemptTimeout time.Duration
	// InitialBackoff is the wait before the second attempt; it grows 4x per attempt.
	InitialBackoff time.Duration
	// HTTPClient overrides the HTTP client (tests). The default one never uses a proxy.
	HTTPClient *http.Client
	// Clock is used for token expiry; default the real clock.
	Clock clock.PassiveClock
}

// Client reads items from the instance metadata service. It is safe for
// concurrent use.
type Client struct {
	base *url.URL
	opts Options
	http *http.Client

	mu          sync.Mutex
	token       string
	tokenExpiry time.Time
	plainUntil  time.Time // TokenPreferred fallback is active until then
}

// New validates opts and returns a Client.
func New(opts Options) (*Client, error) {
	if opts.Endpoint == "" {
		opts.Endpoint = DefaultEndpoint
	}
	u, err := url.Parse(opts.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid metadata endpoint %q: want http://host[:port] or https://host[:port]", opts.Endpoint)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	switch opts.TokenMode {
	case "":
		opts.TokenMode = TokenPreferred
	case TokenPreferred, TokenRequired, TokenDisabled:
	default:
		return nil, fmt.Errorf("invalid metadata token mode %q: want %q, %q or %q", opts.TokenMode, TokenPreferred, TokenRequired, TokenDisabled)
	}
	if opts.TokenTTL == 0 {
		opts.TokenTTL = DefaultTokenTTL
	}
	if opts.TokenTTL < time.Second || opts.TokenTTL > 6*time.Hour {
		return nil, fmt.Errorf("invalid metadata token TTL %s: want 1s to 6h", opts.TokenTTL)
	}
	if opts.Attempts <= 0 {
		opts.Attempts = DefaultAttempts
	}
	if opts.AttemptTimeout <= 0 {
		opts.AttemptTimeout = DefaultAttemptTimeout
	}
	if opts.InitialBackoff <= 0 {
		opts.InitialBackoff = DefaultInitialBackoff
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	hc := opts.HTTPClient
	if hc == nil {
		// No proxy: a proxy would add X-Forwarded-For, which makes the token
		// PUT fail with 403, and the service is link-local anyway.
		tr := &http.Transport{
			Proxy:                 nil,
			DialContext:           (&net.Dialer{Timeout: opts.AttemptTimeout}).DialContext,
			MaxIdleConns:          4,
			IdleConnTimeout:       30 * time.Second,
			ResponseHeaderTimeout: opts.AttemptTimeout,
		}
		hc = &http.Client{Transport: tr}
	}
	return &Client{base: u, opts: opts, http: hc}, nil
}

// Endpoint returns the service address in use.
func (c *Client) Endpoint() string { return c.base.String() }

// statusError is an HTTP answer other than 200. It never carries the body:
// bodies of error pages are not useful and could echo request data.
type statusError struct {
	op     string
	status int
}

// Error names the operation and the status.
func (e *statusError) Error() string {
	return fmt.Sprintf("%s: HTTP %d %s", e.op, e.status, http.StatusText(e.status))
}

func retryableStatus(s int) bool { return s == http.StatusTooManyRequests || s >= 500 }

// Get returns the trimmed text of the item at path, relative to
// /latest/meta-data/ (e.g. "region-id", "network/interfaces/macs/").
func (c *Client) Get(ctx context.Context, path string) (string, error) {
	return c.get(ctx, "/latest/meta-data/"+strings.TrimPrefix(path, "/"))
}

func (c *Client) get(ctx context.Context, path string) (string, error) {
	var lastErr error
	reauthed := false
	backoff := c.opts.InitialBackoff
	transportFailure := false
	for attempt := 0; attempt < c.opts.Attempts; attempt++ {
		if attempt > 0 {
			if err := sleep(ctx, backoff); err != nil {
				return "", fmt.Errorf("metadata GET %s: %w (last error: %w)", path, err, lastErr)
			}
			backoff *= 4
		}
		tok, err := c.sessionToken(ctx)
		if err != nil {
			var se *statusError
			if errors.As(err, &se) && !retryableStatus(se.status) {
				return "", err
			}
			transportFailure = !errors.As(err, &se)
			lastErr = err
			continue
		}
		status, body, err := c.do(ctx, http.MethodGet, path, tok, nil)
		if err != nil {
			transportFailure = true
			lastErr = err
			continue
		}
		transportFailure = false
		switch {
		case status == http.StatusOK:
			return strings.TrimSpace(body), nil
		case status == http.StatusUnauthorized && tok != "" && !reauthed:
			// The token expired early or the service restarted: fetch a new
			// one once, without spending an attempt.
			c.dropToken(tok)
			reauthed = true
			attempt--
			continue
		case status == http.StatusNotFound:
			return "", fmt.Errorf("metadata GET %s: %w", path, ErrNotFound)
		case retryableStatus(status):
			lastErr = &statusError{op: "metadata GET " + path, status: status}
			continue
		default:
			return "", &statusError{op: "metadata GET " + path, status: status}
		}
	}
	if transportFailure {
		return "", fmt.Errorf("%w at %s (%d attempts): %w", ErrUnreachable, c.base, c.opts.Attempts, lastErr)
	}
	return "", fmt.Errorf("metadata GET %s failed after %d attempts: %w", path, c.opts.Attempts, lastErr)
}

// sessionToken returns the token to send, or "" for a plain GET.
func (c *Client) sessionToken(ctx context.Context) (string, error) {
	if c.opts.TokenMode == TokenDisabled {
		return "", nil
	}
	now := c.opts.Clock.Now()
	c.mu.Lock()
	if c.token != "" && now.Before(c.tokenExpiry) {
		t := c.token
		c.mu.Unlock()
		return t, nil
	}
	if now.Before(c.plainUntil) {
		c.mu.Unlock()
		return "", nil
	}
	c.mu.Unlock()

	ttl := int(c.opts.TokenTTL / time.Second)
	hdr := http.Header{TokenTTLHeader: []string{strconv.Itoa(ttl)}}
	status, body, err := c.do(ctx, http.MethodPut, "/latest/api/token", "", hdr)
	if err != nil {
		return "", fmt.Errorf("metadata token request: %w", err)
	}
	switch {
	case status == http.StatusOK && strings.TrimSpace(body) != "":
		c.mu.Lock()
		c.token = strings.TrimSpace(body)
		// Renew a tenth of the lifetime early so a token never expires
		// between our check and the service's.
		c.tokenExpiry = now.Add(c.opts.TokenTTL - c.opts.TokenTTL/10)
		t := c.token
		c.mu.Unlock()
		return t, nil
	case (status == http.StatusNotFound || status == http.StatusMethodNotAllowed) && c.opts.TokenMode == TokenPreferred:
		klog.V(2).InfoS("ECS metadata service does not support session tokens; using plain GETs", "status", status, "recheckAfter", plainRecheck)
		c.mu.Lock()
		c.plainUntil = now.Add(plainRecheck)
		c.mu.Unlock()
		return "", nil
	case status == http.StatusForbidden:
		return "", &statusError{op: "metadata token request (refused; a proxy adding X-Forwarded-For causes this)", status: status}
	case status == http.StatusOK:
		return "", errors.New("metadata token request: empty token in answer")
	default:
		return "", &statusError{op: "metadata token request", status: status}
	}
}

func (c *Client) dropToken(tok string) {
	c.mu.Lock()
	if c.token == tok {
		c.token = ""
	}
	c.mu.Unlock()
}

// do performs one bounded HTTP exchange and returns status and body.
func (c *Client) do(ctx context.Context, method, path, tok string, hdr http.Header) (int, string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.AttemptTimeout)
	defer cancel()
	u := *c.base
	u.Path = c.base.Path + path
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return 0, "", fmt.Errorf("build metadata request: %w", err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if tok != "" {
		req.Header.Set(TokenHeader, tok)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, "", fmt.Errorf("read metadata answer for %s: %w", path, err)
	}
	return resp.StatusCode, string(b), nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
