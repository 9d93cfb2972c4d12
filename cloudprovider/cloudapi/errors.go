package cloudapi

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// ErrNotFound matches (via errors.Is) an *APIError whose code means the
// resource the call addressed does not exist; see IsNotFoundCode.
var ErrNotFound = errors.New("resource not found")

// APIError is an error answer of an Alibaba Cloud API (the SDK's ServerError),
// annotated with the product and action. Message is sanitized: it never holds
// the server's string-to-sign (which names the AccessKeyId).
type APIError struct {
	Product    string // SDK product code, e.g. "Slb"
	Action     string // e.g. "DescribeLoadBalancers"
	Code       string // e.g. "InvalidLoadBalancerId.NotFound"; empty if the body was not an API error document
	Message    string
	RequestID  string
	HTTPStatus int
}

// Error names product, action, code, message and request ID.
func (e *APIError) Error() string {
	code := e.Code
	if code == "" {
		code = fmt.Sprintf("HTTP %d", e.HTTPStatus)
	}
	msg := fmt.Sprintf("%s %s: %s: %s (RequestId: %s)", e.Product, e.Action, code, e.Message, e.RequestID)
	if h := hint(e); h != "" {
		msg += "; " + h
	}
	return msg
}

// hint is what to fix for answers whose cause is on the caller's side; the
// API's own message does not say.
func hint(e *APIError) string {
	switch {
	case e.Code == "InvalidTimeStamp.Expired":
		// Requests are signed with the local time; the gateway refuses a
		// Timestamp more than 15 minutes off its own clock
		// (https://www.alibabacloud.com/help/en/sdk/product-overview/rpc-mechanism).
		return "the request timestamp is too far from the cloud's clock: check the clock of the node the CCM runs on (NTP)"
	case isDenied(e):
		return "the credentials' RAM policy does not allow " + e.Action + "; retrying does not help until it does"
	}
	return ""
}

// Is makes errors.Is(err, ErrNotFound) true for not-found codes.
func (e *APIError) Is(target error) bool {
	return target == ErrNotFound && isNotFound(e)
}

// TransportError is a failure without an API answer: connection refused,
// timeout, TLS failure, unparsable response, credential retrieval failure...
// Its message and wrapped error never contain the request URL's query string,
// where the SDK puts AccessKeyId, Signature and SecurityToken.
type TransportError struct {
	Product string
	Action  string
	// Code is the SDK client error code (e.g. "SDK.JsonUnmarshalError"), if any.
	Code string
	err  error // sanitized
}

// Error describes the failure without credentials or signed URLs.
func (e *TransportError) Error() string {
	return fmt.Sprintf("%s %s: transport error: %s", e.Product, e.Action, redact(e.err.Error()))
}

// Unwrap returns the sanitized cause (e.g. a *url.Error whose URL has no
// query), so errors.Is(err, context.DeadlineExceeded) and net.Error checks work.
func (e *TransportError) Unwrap() error { return e.err }

// Code returns the API error code of err, or "" if err is not (and does not
// wrap) an *APIError.
func Code(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// RequestID returns the request ID of an API error, or "".
func RequestID(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.RequestID
	}
	return ""
}

var (
	// secretParamRE matches credential-bearing query parameters in any text.
	secretParamRE = regexp.MustCompile(`(?i)\b(AccessKeyId|AccessKeySecret|Signature|SignatureNonce|SecurityToken|BearerToken)=[^&\s"']*`)
	// urlQueryRE matches the query string of an http(s) URL in any text.
	urlQueryRE = regexp.MustCompile(`(https?://[^\s"'?]*)\?[^\s"']*`)
)

// redact removes URL query strings and credential parameters from s.
func redact(s string) string {
	s = urlQueryRE.ReplaceAllString(s, "$1?REDACTED")
	return secretParamRE.ReplaceAllString(s, "$1=REDACTED")
}

// maxMessageLen bounds API messages kept in errors: a gateway or proxy that
// answers with an HTML page would otherwise flood logs and events.
const maxMessageLen = 512

// sanitizeMessage cleans an API error message: the gateway appends the
// server's string-to-sign to signature errors, and that string contains the
// AccessKeyId and SecurityToken.
func sanitizeMessage(msg string) string {
	lower := strings.ToLower(msg)
	for _, marker := range []string{"server string to sign is", "server stringtosign is"} {
		if i := strings.Index(lower, marker); i >= 0 {
			msg = strings.TrimSpace(msg[:i]) + " [string-to-sign redacted]"
			break
		}
	}
	msg = redact(msg)
	if len(msg) > maxMessageLen {
		msg = msg[:maxMessageLen] + "...(truncated)"
	}
	return msg
}

// sanitizeTransportErr returns an error safe to show: *url.Error keeps its
// structure (so Timeout() and Unwrap still work) but loses the URL query;
// anything else is replaced by its redacted text.
func sanitizeTransportErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		u := ue.URL
		if i := strings.IndexByte(u, '?'); i >= 0 {
			u = u[:i]
		}
		return &url.Error{Op: ue.Op, URL: u, Err: sanitizeInner(ue.Err)}
	}
	return sanitizeInner(err)
}

// sanitizeInner keeps errors whose text holds nothing secret (so errors.Is on
// context errors keeps working) and replaces the others by redacted text.
func sanitizeInner(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if red := redact(msg); red != msg {
		return errors.New(red)
	}
	return err
}
