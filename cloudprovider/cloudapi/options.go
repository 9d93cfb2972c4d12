package cloudapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
)

// Product codes as the SDK spells them in every request (RpcRequest.GetProduct).
const (
	// ProductSLB is the SDK product code of Server/Classic Load Balancer (API 2014-05-15).
	ProductSLB = "Slb"
	// ProductVPC is the SDK product code of Virtual Private Cloud (API 2016-04-28).
	ProductVPC = "Vpc"
	// ProductECS is the SDK product code of Elastic Compute Service (API 2014-05-26).
	ProductECS = "Ecs"
	// ProductNLB is the SDK product code of Network Load Balancer (API 2022-04-30).
	ProductNLB = "Nlb"
)

// Network values accepted by Options.Network.
const (
	// NetworkPublic selects the public endpoints, e.g. slb.cn-hangzhou.aliyuncs.com.
	NetworkPublic = "public"
	// NetworkVPC selects the VPC-internal endpoints, e.g. slb-vpc.cn-hangzhou.aliyuncs.com,
	// reachable from inside an Alibaba Cloud VPC without Internet access.
	NetworkVPC = "vpc"
)

// Defaults applied by New to zero-valued options.
const (
	// DefaultConnectTimeout bounds TCP connection setup.
	DefaultConnectTimeout = 5 * time.Second
	// DefaultReadTimeout bounds one attempt; it matches the SDK's own default.
	DefaultReadTimeout = 10 * time.Second
	// DefaultMaxAttempts is the number of attempts including the first.
	DefaultMaxAttempts = 5
	// DefaultBaseBackoff is the backoff ceiling before the first retry.
	DefaultBaseBackoff = 500 * time.Millisecond
	// DefaultMaxBackoff is long because ECS throttles per minute window: "If an
	// API operation is throttled at minute T, the operation can continue to be
	// called as of minute T+1"
	// (https://www.alibabacloud.com/help/en/elastic-compute-service/latest/api-throttling).
	DefaultMaxBackoff = 30 * time.Second
)

// Per-product default client-side rate limits. Alibaba Cloud does not publish
// per-action QPS quotas for these products (Quota Center shows ECS and VPC
// API rate limits per account only), so the
// defaults are conservative and configurable; AWS's load-balancer controller
// uses a similar 10 QPS / 40 burst default for its LB API.
var defaultLimits = map[string]RateLimit{
	ProductSLB: {QPS: 10, Burst: 20},
	ProductVPC: {QPS: 5, Burst: 10},
	ProductECS: {QPS: 20, Burst: 40},
	ProductNLB: {QPS: 10, Burst: 20},
}

// Options configures New. The zero value of every field but Region and
// Credentials is usable.
type Options struct {
	// Region is the region ID, e.g. "cn-hangzhou". Required.
	Region string
	// Credentials is anything the SDK's NewClientWithOptions accepts as a
	// credential: preferably a credentials.CredentialsProvider (what the config
	// package builds), or a legacy *credentials.AccessKeyCredential and the
	// like. Required: nil is rejected rather than silently falling back to the
	// SDK's default chain (environment, then instance metadata).
	Credentials auth.Credential
	// Network is NetworkPublic (default, also "") or NetworkVPC.
	Network string
	// UserAgent is appended to the SDK's User-Agent header. Space-separated
	// "name/version" tokens, e.g. "alicloud-ccm/v1.2.3".
	UserAgent string
	// ConnectTimeout bounds TCP connection setup per attempt. Default 5s.
	ConnectTimeout time.Duration
	// ReadTimeout bounds one attempt (request sent to response read). Default 10s.
	ReadTimeout time.Duration
	// Retry is the retry policy of every product unless overridden per product.
	Retry RetryPolicy
	// SLB, VPC, ECS and NLB hold per-product settings.
	SLB, VPC, ECS, NLB ProductOptions
	// Transport, if set, is the base HTTP transport shared by all products
	// (tests use it to stub the network; a proxy setup may use it too). When
	// nil, a clone of http.DefaultTransport (which honours HTTP(S)_PROXY) with
	// ConnectTimeout on dialing is used.
	Transport http.RoundTripper
}

// ProductOptions holds settings of one product client.
type ProductOptions struct {
	// Endpoint overrides endpoint resolution: "host:port" (HTTPS) or
	// "scheme://host:port", e.g. "http://127.0.0.1:8080" for a local
	// emulator. An http:// endpoint switches the product to plain HTTP.
	Endpoint string
	// RateLimit is the client-side token bucket. Zero means the product default.
	RateLimit RateLimit
	// Retry overrides Options.Retry when MaxAttempts is non-zero.
	Retry RetryPolicy
}

// RateLimit configures a token bucket: QPS tokens per second, at most Burst
// banked. QPS < 0 disables client-side limiting; QPS == 0 selects the default.
type RateLimit struct {
	QPS   float64
	Burst int
}

// RetryPolicy configures retries. The sleep before retry n (n >= 1) is drawn
// uniformly from [0, min(MaxBackoff, BaseBackoff*2^(n-1))] ("full jitter").
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts including the first; 1
	// disables retries; 0 selects DefaultMaxAttempts.
	MaxAttempts int
	// BaseBackoff is the backoff cap before the first retry. Default 500ms.
	BaseBackoff time.Duration
	// MaxBackoff caps every backoff. Default 30s.
	MaxBackoff time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.BaseBackoff <= 0 {
		p.BaseBackoff = DefaultBaseBackoff
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = DefaultMaxBackoff
	}
	if p.MaxBackoff < p.BaseBackoff {
		p.MaxBackoff = p.BaseBackoff
	}
	return p
}

// regionRE mirrors the SDK's own check (sdk.Client.InitWithOptions), run
// early so New fails with a clear message.
var regionRE = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

func (o *Options) validate() error {
	var errs []error
	if o.Region == "" {
		errs = append(errs, errors.New("region is required"))
	} else if !regionRE.MatchString(o.Region) {
		errs = append(errs, fmt.Errorf("region %q contains invalid characters", o.Region))
	}
	if o.Credentials == nil {
		errs = append(errs, errors.New("credentials are required"))
	}
	switch o.Network {
	case "", NetworkPublic, NetworkVPC:
	default:
		errs = append(errs, fmt.Errorf("network %q is not %q or %q", o.Network, NetworkPublic, NetworkVPC))
	}
	for _, p := range []struct {
		name string
		po   ProductOptions
	}{{ProductSLB, o.SLB}, {ProductVPC, o.VPC}, {ProductECS, o.ECS}, {ProductNLB, o.NLB}} {
		if _, _, err := parseEndpoint(p.po.Endpoint); err != nil {
			errs = append(errs, fmt.Errorf("%s endpoint: %w", p.name, err))
		}
		if p.po.RateLimit.QPS > 0 && p.po.RateLimit.Burst < 0 {
			errs = append(errs, fmt.Errorf("%s rate limit: burst %d is negative", p.name, p.po.RateLimit.Burst))
		}
	}
	if o.ConnectTimeout < 0 || o.ReadTimeout < 0 {
		errs = append(errs, errors.New("timeouts must not be negative"))
	}
	return errors.Join(errs...)
}

// parseEndpoint splits an endpoint override into the SDK's scheme ("HTTPS" or
// "HTTP") and domain ("host[:port]"). An empty endpoint returns empty domain
// and HTTPS.
func parseEndpoint(ep string) (scheme, domain string, err error) {
	if ep == "" {
		return "HTTPS", "", nil
	}
	if !strings.Contains(ep, "://") {
		ep = "https://" + ep
	}
	u, err := url.Parse(ep)
	if err != nil {
		return "", "", fmt.Errorf("parse %q: %w", ep, err)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		scheme = "HTTPS"
	case "http":
		scheme = "HTTP"
	default:
		return "", "", fmt.Errorf("endpoint %q: scheme must be http or https", ep)
	}
	if u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return "", "", fmt.Errorf("endpoint %q: want [scheme://]host[:port] without path, query or user info", ep)
	}
	return scheme, u.Host, nil
}

func (r RateLimit) withDefaults(product string) RateLimit {
	if r.QPS == 0 {
		return defaultLimits[product]
	}
	if r.QPS > 0 && r.Burst <= 0 {
		// A token bucket with burst 0 never admits anything; allow at least
		// one second's worth (and at least one call) by default.
		r.Burst = max(1, int(r.QPS+0.999))
	}
	return r
}
