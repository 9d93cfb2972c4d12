package cloudapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

// Clients bundles the per-product clients. They share credentials and the
// HTTP connection pool but have separate rate limiters.
type Clients struct {
	SLB *SLB
	VPC *VPC
	ECS *ECS
	NLB *NLB
}

// SLB is the Server/Classic Load Balancer client (API 2014-05-15).
type SLB struct{ *Client }

// VPC is the Virtual Private Cloud client (API 2016-04-28).
type VPC struct{ *Client }

// ECS is the Elastic Compute Service client (API 2014-05-26).
type ECS struct{ *Client }

// NLB is the Network Load Balancer client (API 2022-04-30).
type NLB struct{ *Client }

// Client is the generic client of one product; the typed product clients
// embed it. It is safe for concurrent use.
type Client struct {
	product        string
	scheme         string // "HTTPS" or "HTTP"
	retry          RetryPolicy
	limiter        *limiter
	denied         denials
	pacer          *pacer
	readTimeout    time.Duration
	connectTimeout time.Duration
	newSDK         func() *pooledSDK

	mu   sync.Mutex
	free []*pooledSDK
}

// pooledSDK is an SDK client used by one call at a time. The SDK client is
// not safe for concurrent calls: DoAction rewrites its http.Client.Timeout per
// request (sdk.Client.setTimeout). Pooling keeps calls parallel without data
// races; all pooled clients share one base transport, hence one connection pool.
type pooledSDK struct {
	sdk *sdk.Client
	rt  *ctxTransport
}

// ctxTransport injects the current call's context into the SDK's HTTP
// requests, which the SDK builds without one, so that cancelling the context
// aborts an in-flight request. It is not *http.Transport on purpose: the SDK
// mutates an *http.Transport it finds (dialer, TLS config, proxy) per call.
type ctxTransport struct {
	base http.RoundTripper
	ctx  context.Context // set only while the owning pooledSDK is checked out
}

// RoundTrip sends r with the current call's context, keeping the deadline
// http.Client derived from the SDK's read timeout.
func (t *ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.ctx == nil {
		return t.base.RoundTrip(r)
	}
	ctx, cancel := t.ctx, context.CancelFunc(func() {})
	if dl, ok := r.Context().Deadline(); ok {
		ctx, cancel = context.WithDeadline(ctx, dl)
	}
	resp, err := t.base.RoundTrip(r.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose releases a request context once its body is closed (the
// SDK closes it after reading); cancelling earlier would abort the read.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

// Close closes the body and releases the request context.
func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// New builds the SLB, VPC, ECS and NLB clients. It registers the package metrics
// in the legacy registry on first use.
func New(opts Options) (*Clients, error) {
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("cloudapi: invalid options: %w", err)
	}
	registerMetrics()
	// Convert once: a role-based provider caches its STS credentials, so all
	// pooled SDK clients must share one instance.
	provider, err := auth.ToCredentialsProvider(opts.Credentials)
	if err != nil {
		return nil, fmt.Errorf("cloudapi: unsupported credentials %T: %w", opts.Credentials, err)
	}
	if opts.ConnectTimeout == 0 {
		opts.ConnectTimeout = DefaultConnectTimeout
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = DefaultReadTimeout
	}
	base := opts.Transport
	if base == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.DialContext = (&net.Dialer{Timeout: opts.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext
		t.MaxIdleConnsPerHost = 16
		base = t
	}
	slbC, err := newClient(ProductSLB, opts, opts.SLB, provider, base, slb.GetEndpointMap(), slb.GetEndpointType())
	if err != nil {
		return nil, err
	}
	vpcC, err := newClient(ProductVPC, opts, opts.VPC, provider, base, vpc.GetEndpointMap(), vpc.GetEndpointType())
	if err != nil {
		return nil, err
	}
	ecsC, err := newClient(ProductECS, opts, opts.ECS, provider, base, ecs.GetEndpointMap(), ecs.GetEndpointType())
	if err != nil {
		return nil, err
	}
	// NLB has no entry in the SDK's endpoint map: the regional rule gives
	// nlb.<region>.aliyuncs.com, or nlb-vpc.<region>.aliyuncs.com on the VPC
	// network (https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-endpoint).
	nlbC, err := newClient(ProductNLB, opts, opts.NLB, provider, base, nlb.GetEndpointMap(), nlb.GetEndpointType())
	if err != nil {
		return nil, err
	}
	return &Clients{SLB: &SLB{slbC}, VPC: &VPC{vpcC}, ECS: &ECS{ecsC}, NLB: &NLB{nlbC}}, nil
}

func newClient(product string, opts Options, po ProductOptions, provider credentials.CredentialsProvider,
	base http.RoundTripper, endpointMap map[string]string, endpointType string) (*Client, error) {
	scheme, domain, err := parseEndpoint(po.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("cloudapi: %s endpoint: %w", product, err)
	}
	retry := opts.Retry
	if po.Retry.MaxAttempts != 0 {
		retry = po.Retry
	}
	c := &Client{
		product:        product,
		scheme:         scheme,
		retry:          retry.withDefaults(),
		limiter:        newLimiter(product, po.RateLimit.withDefaults(product)),
		pacer:          newPacer(po.RateLimit.withDefaults(product)),
		readTimeout:    opts.ReadTimeout,
		connectTimeout: opts.ConnectTimeout,
	}
	// The SDK config is shared read-only by the pooled clients. AutoRetry is
	// off because Do owns retries; the scheme is explicit because the SDK's
	// default is plain HTTP.
	cfg := sdk.NewConfig().WithScheme(scheme).WithAutoRetry(false).WithMaxRetryTime(0)
	mk := func() (*pooledSDK, error) {
		cl, err := sdk.NewClientWithOptions(opts.Region, cfg, provider)
		if err != nil {
			return nil, err
		}
		// Endpoint resolution: an override wins (client.Domain precedes the
		// SDK's maps); otherwise the SDK resolves the regional endpoint from
		// the product's map (public) or the "<product>-vpc.<region>.aliyuncs.com"
		// rule (Network "vpc"), never via the location service.
		cl.EndpointMap = endpointMap
		cl.EndpointType = endpointType
		if opts.Network == NetworkVPC {
			cl.Network = NetworkVPC
		}
		cl.Domain = domain
		for _, tok := range strings.Fields(opts.UserAgent) {
			name, ver, _ := strings.Cut(tok, "/")
			cl.AppendUserAgent(name, ver)
		}
		rt := &ctxTransport{base: base}
		cl.SetTransport(rt)
		return &pooledSDK{sdk: cl, rt: rt}, nil
	}
	// Build one client now so configuration errors surface in New; later
	// constructions use the same validated inputs and cannot fail.
	first, err := mk()
	if err != nil {
		return nil, fmt.Errorf("cloudapi: %s client: %w", product, err)
	}
	c.free = []*pooledSDK{first}
	c.newSDK = func() *pooledSDK {
		p, err := mk()
		if err != nil {
			panic(fmt.Sprintf("cloudapi: %s client construction failed after validation: %v", product, err))
		}
		return p
	}
	return c, nil
}

// Product returns the SDK product code of the client ("Slb", "Vpc", "Ecs" or "Nlb").
func (c *Client) Product() string { return c.product }

func (c *Client) get() *pooledSDK {
	c.mu.Lock()
	if n := len(c.free); n > 0 {
		p := c.free[n-1]
		c.free = c.free[:n-1]
		c.mu.Unlock()
		return p
	}
	c.mu.Unlock()
	return c.newSDK()
}

func (c *Client) put(p *pooledSDK) {
	p.rt.ctx = nil
	c.mu.Lock()
	c.free = append(c.free, p)
	c.mu.Unlock()
}

// Do sends req and decodes the answer into resp, applying the client-side
// rate limit, retries (only where safe, see the package doc), per-attempt
// timeouts and metrics. ctx cancels waiting, backoff and in-flight requests.
// Errors are *APIError for API answers, *TransportError otherwise, or wrap
// ctx.Err(). req must be built by an SDK constructor of this client's product.
//
// Do sets req's scheme and, when unset, its timeouts; on requests with a
// ClientToken field it fills an empty token, which then stays on req. Build
// a new request for each logical operation: resending a request whose token
// was already used makes the server return the earlier operation's result.
// To make a create idempotent across reconciles (not just across retries),
// set ClientToken yourself from a stable key.
func (c *Client) Do(ctx context.Context, req requests.AcsRequest, resp responses.AcsResponse) error {
	if req == nil || reflect.ValueOf(req).IsNil() || resp == nil || reflect.ValueOf(resp).IsNil() {
		return fmt.Errorf("cloudapi: %s: nil request or response", c.product)
	}
	action, product, ok := requestInfo(req)
	if !ok {
		return fmt.Errorf("cloudapi: %s: request %T was not built by its SDK constructor", c.product, req)
	}
	if !strings.EqualFold(product, c.product) {
		return fmt.Errorf("cloudapi: %s request %s sent to the %s client", product, action, c.product)
	}
	idempotent := isRepeatSafe(action)
	if ensureClientToken(req) {
		idempotent = true
	}
	// HTTPS unless the endpoint override says http; set on the request too
	// because a request-level scheme beats the client config in the SDK.
	req.SetScheme(c.scheme)
	if req.GetReadTimeout() == 0 {
		req.SetReadTimeout(c.readTimeout)
	}
	if req.GetConnectTimeout() == 0 {
		req.SetConnectTimeout(c.connectTimeout)
	}
	prod := metricProduct(c.product)
	if err := c.denied.held(action, time.Now()); err != nil {
		return err
	}

	var lastErr error
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return c.ctxError(action, err, lastErr)
		}
		if err := c.limiter.wait(ctx, action); err != nil {
			if lastErr != nil {
				return fmt.Errorf("%w (last error: %w)", err, lastErr)
			}
			return err
		}
		if err := c.pacer.wait(ctx, action); err != nil {
			return c.ctxError(action, err, lastErr)
		}
		err := c.attempt(ctx, req, resp, action)
		c.denied.observe(action, err, time.Now(), c.retry)
		if err == nil {
			c.pacer.succeeded(action)
			return nil
		}
		if ctx.Err() != nil {
			return c.ctxError(action, ctx.Err(), err)
		}
		lastErr = err
		reason, retry := retryDecision(err, idempotent)
		if reason == RetryReasonThrottled {
			throttledTotal.WithLabelValues(prod, action, ThrottleSourceServer).Inc()
			c.pacer.throttled(action, time.Now())
		}
		if !retry || attempt >= c.retry.MaxAttempts {
			return err
		}
		retriesTotal.WithLabelValues(prod, action, reason).Inc()
		if err := sleepCtx(ctx, c.retry.backoff(attempt)); err != nil {
			return c.ctxError(action, err, lastErr)
		}
	}
}

func (c *Client) ctxError(action string, ctxErr, lastErr error) error {
	if lastErr != nil {
		return fmt.Errorf("%s %s: %w (last error: %w)", c.product, action, ctxErr, lastErr)
	}
	return fmt.Errorf("%s %s: %w", c.product, action, ctxErr)
}

// attempt performs one HTTP exchange through a pooled SDK client.
func (c *Client) attempt(ctx context.Context, req requests.AcsRequest, resp responses.AcsResponse, action string) error {
	p := c.get()
	defer c.put(p)
	// The SDK enforces the read timeout through http.Client.Timeout; this
	// looser per-attempt deadline is a backstop for transports that ignore it.
	actx, cancel := context.WithTimeout(ctx, req.GetReadTimeout()+req.GetConnectTimeout())
	defer cancel()
	p.rt.ctx = actx

	start := time.Now()
	err := p.sdk.DoAction(req, resp)
	prod := metricProduct(c.product)
	requestDuration.WithLabelValues(prod, action).Observe(time.Since(start).Seconds())

	err = c.wrapError(action, err)
	code := CodeSuccess
	var ae *APIError
	switch {
	case err == nil:
	case errors.As(err, &ae):
		code = ae.Code
		if code == "" {
			code = fmt.Sprintf("HTTP%d", ae.HTTPStatus)
		}
	default:
		code = CodeTransportError
	}
	requestsTotal.WithLabelValues(prod, action, code).Inc()
	return err
}

// wrapError converts SDK errors into *APIError or *TransportError.
func (c *Client) wrapError(action string, err error) error {
	if err == nil {
		return nil
	}
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		return &APIError{
			Product:    c.product,
			Action:     action,
			Code:       se.ErrorCode(),
			Message:    sanitizeMessage(se.Message()),
			RequestID:  se.RequestId(),
			HTTPStatus: se.HttpStatus(),
		}
	}
	te := &TransportError{Product: c.product, Action: action}
	var ce *sdkerrors.ClientError
	if errors.As(err, &ce) {
		te.Code = ce.ErrorCode()
		if orig := ce.OriginError(); orig != nil {
			te.err = fmt.Errorf("%s: %w", ce.Message(), sanitizeTransportErr(orig))
		} else {
			te.err = sanitizeInner(errors.New(ce.Message()))
		}
		return te
	}
	te.err = sanitizeTransportErr(err)
	return te
}

// call runs Do and returns resp, or a nil response with the error; the typed
// methods are one-line wrappers around it.
func call[R responses.AcsResponse](ctx context.Context, c *Client, req requests.AcsRequest, resp R) (R, error) {
	if err := c.Do(ctx, req, resp); err != nil {
		var zero R
		return zero, err
	}
	return resp, nil
}

// requestInfo reads the action and product of req. A request struct literal
// (rather than the SDK constructor) lacks its embedded base request and makes
// these getters panic; report that as !ok instead.
func requestInfo(req requests.AcsRequest) (action, product string, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return req.GetActionName(), req.GetProduct(), true
}
