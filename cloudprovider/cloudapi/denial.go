package cloudapi

import (
	"fmt"
	"sync"
	"time"
)

// denials holds actions back after a permission-denied answer. A 503 is
// retried by Do with exponential backoff, so a caller that loops on errors
// (a controller's next sync, a batcher's next batch) is paced by it; a 403
// comes back at once, and the same caller would repeat it as fast as it
// loops. So after a denial the action is not sent again for a hold-down
// that grows like the retry backoff (BaseBackoff x 2^streak, at most
// MaxBackoff); calls meanwhile get the remembered error without a request.
// The first answer that is not a denial clears the action.
//
// The key is the action alone: RAM policies grant or deny actions, and the
// request parameters are only flattened by the SDK when it sends.
type denials struct {
	mu sync.Mutex
	m  map[string]*denial
}

type denial struct {
	err    error
	until  time.Time
	streak int
}

// held returns the remembered denial of action if it is still held back.
func (d *denials) held(action string, now time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	x := d.m[action]
	if x == nil || !now.Before(x.until) {
		return nil
	}
	return &HeldError{Err: x.err, Until: x.until}
}

// observe records the outcome of a sent call of action.
func (d *denials) observe(action string, err error, now time.Time, p RetryPolicy) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !isDenied(err) {
		delete(d.m, action)
		return
	}
	if d.m == nil {
		d.m = map[string]*denial{}
	}
	x := d.m[action]
	if x == nil {
		x = &denial{}
		d.m[action] = x
	}
	x.streak++
	hold := p.BaseBackoff
	for i := 0; i < x.streak && hold < p.MaxBackoff; i++ {
		hold *= 2
	}
	x.err, x.until = err, now.Add(min(hold, p.MaxBackoff))
}

// HeldError is returned instead of sending a call whose action was denied
// moments ago. It wraps the denial, so Code, IsDenied and errors.As see it.
type HeldError struct {
	Err   error
	Until time.Time
}

// Error says the call was not sent and repeats the denial.
func (e *HeldError) Error() string {
	return fmt.Sprintf("not sent until %s, the same action was just denied: %v", e.Until.Format(time.RFC3339), e.Err)
}

// Unwrap returns the remembered denial.
func (e *HeldError) Unwrap() error { return e.Err }
