package annotations

import (
	"fmt"
	"strings"

	"github.com/alicloud-ccm/alicloud-ccm/internal/shorten"
)

// Error is one invalid annotation or Service field. Parse returns an
// errors.Join of them; use errors.As to get the first, or walk the joined
// error's Unwrap() []error for all.
type Error struct {
	// Key is the full annotation key as written on the Service (the legacy
	// prefix when that was used), or a Service field such as
	// "spec.loadBalancerIP".
	Key string
	// Value is the value as written.
	Value string
	// Reason says what is wrong and what would be accepted.
	Reason string
}

// Error formats as `annotation <key>="<value>": <reason>` (or `field ...`
// for Service fields), so an event names exactly what to fix.
func (e *Error) Error() string {
	kind := "annotation"
	if strings.HasPrefix(e.Key, "spec.") {
		kind = "field"
	}
	// A value can be kilobytes (a pasted certificate); the Event names
	// the key and shows enough of the value to recognise it.
	return fmt.Sprintf("%s %s=%q: %s", kind, e.Key, shorten.Value(e.Value), shorten.To(e.Reason, maxReason))
}

// maxReason bounds the reason, which may quote an entry of the value.
const maxReason = 2 * shorten.MaxValue
