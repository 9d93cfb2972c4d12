package cloudapi

import (
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
)

// retryDecision classifies err for a request; it returns the retry reason
// (a metric label) and whether to retry.
func retryDecision(err error, idempotent bool) (reason string, retry bool) {
	var ae *APIError
	if errors.As(err, &ae) {
		// Throttled, busy and not-executed answers prove the call had no
		// effect, so even a write is repeated; a server error may come after
		// the call took effect, so only calls safe to repeat are.
		switch class := ClassOf(ae.Code); {
		case class == ClassThrottled:
			return RetryReasonThrottled, true
		case class == ClassBusy || class == ClassNotExecuted:
			return RetryReasonBusy, true
		case !idempotent:
			// A 5xx or unknown failure of a write may have been applied.
			return "", false
		case class == ClassServerError || ae.HTTPStatus >= 500:
			return RetryReasonServerError, true
		}
		return "", false
	}
	var te *TransportError
	if errors.As(err, &te) && idempotent {
		return RetryReasonTransport, true
	}
	return "", false
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// repeatSafePrefixes and repeatSafeActions are writes whose repetition
// cannot add a second object or undo anything: they set an attribute to a
// given value (Set*, Modify*), move a listener to a given state (Start*,
// Stop*), remove by ID (Delete*, Remove*, Untag*), tag (Tag*), or create
// what the API keeps unique (a listener per CLB port, a member per server
// and port of a group). If a first attempt took effect before its 5xx or
// transport error, the retry gets the answer of the state it finds
// (NotFound, already exists, not stopped), which the caller handles as it
// would on its next sync, so such writes are retried like reads.
// CreateLoadBalancer (a ClientToken request) is retried anyway; creates
// without a unique key (CreateVServerGroup, CreateAccessControlList) are
// not.
var repeatSafePrefixes = []string{"Set", "Modify", "Start", "Stop", "Delete", "Remove", "Untag", "Tag"}

var repeatSafeActions = map[string]bool{
	"CreateLoadBalancerTCPListener":   true,
	"CreateLoadBalancerUDPListener":   true,
	"CreateLoadBalancerHTTPListener":  true,
	"CreateLoadBalancerHTTPSListener": true,
	"AddVServerGroupBackendServers":   true,
	"AddBackendServers":               true,
	"AddAccessControlListEntry":       true,
}

// isRepeatSafe reports whether action may be retried after an error that
// does not prove it was not executed.
func isRepeatSafe(action string) bool {
	return isReadAction(action) || repeatSafeActions[action] || hasAnyPrefix(action, repeatSafePrefixes)
}

// isReadAction reports whether an action only reads state.
func isReadAction(action string) bool {
	return strings.HasPrefix(action, "Describe") || strings.HasPrefix(action, "List")
}

// ensureClientToken sets a fresh ClientToken on requests that have such a
// field and left it empty, and reports whether the request carries one. It
// runs once, before the first attempt, so all retries reuse the same token and
// the server deduplicates them: "if you do not specify this parameter, the
// system uses the RequestId as the ClientToken", and the RequestId differs
// per attempt
// (https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-createloadbalancer).
func ensureClientToken(req requests.AcsRequest) bool {
	v := reflect.ValueOf(req)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return false
	}
	v = v.Elem()
	if v.Kind() != reflect.Struct {
		return false
	}
	f := v.FieldByName("ClientToken")
	if !f.IsValid() || f.Kind() != reflect.String || !f.CanSet() {
		return false
	}
	if f.String() == "" {
		f.SetString(newClientToken())
	}
	return true
}

// newClientToken returns 32 random hex characters (ClientToken allows up to
// 64 ASCII characters).
func newClientToken() string {
	var b [16]byte
	_, _ = cryptorand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// backoff returns the full-jitter sleep before retry number n (n >= 1).
func (p RetryPolicy) backoff(n int) time.Duration {
	ceiling := p.BaseBackoff
	for i := 1; i < n && ceiling < p.MaxBackoff; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, p.MaxBackoff)
	if ceiling <= 0 {
		return 0
	}
	return rand.N(ceiling + 1)
}

// sleepCtx sleeps for d or until ctx is done, whichever comes first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
