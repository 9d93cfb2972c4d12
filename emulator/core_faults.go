package emulator

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Duration is a time.Duration that reads and writes JSON as "150ms" (a bare
// number is taken as nanoseconds).
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("duration %s: %w", b, err)
		}
		*d = Duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}

// LatencySpec is an added delay distribution: Fixed + uniform [0, Jitter),
// or, when StdDev > 0, normal(Mean, StdDev) clipped at 0.
type LatencySpec struct {
	Fixed  Duration `json:"fixed,omitempty"`
	Jitter Duration `json:"jitter,omitempty"`
	Mean   Duration `json:"mean,omitempty"`
	StdDev Duration `json:"stddev,omitempty"`
}

// ErrorRule injects an error into matching calls at Rate (0..1, 0 means 1),
// for at most Count calls when Count > 0.
type ErrorRule struct {
	Match      string  `json:"match"` // "*", "Ecs", "DescribeInstances" or "Ecs.DescribeInstances"
	Code       string  `json:"code"`
	HTTPStatus int     `json:"httpStatus,omitempty"` // default 500 for InternalError, 503 ServiceUnavailable, else 400
	Message    string  `json:"message,omitempty"`
	Rate       float64 `json:"rate,omitempty"`
	Count      int     `json:"count,omitempty"`
}

// JobFailureRule makes the asynchronous job of matching writes (NLB) end
// Failed instead of Succeeded, at Rate (0..1, 0 means 1), for at most Count
// jobs when Count > 0. The write itself is answered as usual.
type JobFailureRule struct {
	Match string  `json:"match"` // "*", "Nlb", "CreateListener" or "Nlb.CreateListener"
	Rate  float64 `json:"rate,omitempty"`
	Count int     `json:"count,omitempty"`
}

// ThrottleSpec is a token bucket: Rate tokens per second, Burst capacity.
type ThrottleSpec struct {
	Rate  float64 `json:"rate"`
	Burst int     `json:"burst,omitempty"` // default max(1, Rate)
}

// Outage makes every call of a product (or "*") fail with ServiceUnavailable
// 503 between From and Until (emulator clock) and/or for the next Calls calls.
type Outage struct {
	Product string    `json:"product"`
	From    time.Time `json:"from,omitempty"`
	Until   time.Time `json:"until,omitempty"`
	Calls   int       `json:"calls,omitempty"`
}

// FaultProfile is the whole fault configuration. Map keys and Match use the
// same selectors: "Product.Action", "Action", "Product" or "*", most
// specific first.
type FaultProfile struct {
	Seed     int64                   `json:"seed,omitempty"`
	Latency  map[string]LatencySpec  `json:"latency,omitempty"`
	Errors   []ErrorRule             `json:"errors,omitempty"`
	Throttle map[string]ThrottleSpec `json:"throttle,omitempty"`
	Outages  []Outage                `json:"outages,omitempty"`
	// JobFailures make asynchronous jobs end Failed (nlb_failures.go).
	JobFailures []JobFailureRule `json:"jobFailures,omitempty"`
}

type bucket struct {
	tokens float64
	last   time.Time
}

// faultState evaluates a FaultProfile; deterministic for a seed and a call order.
type faultState struct {
	mu      sync.Mutex
	p       FaultProfile
	rng     *rand.Rand
	buckets map[string]*bucket
	used    []int // per error rule: times fired
	jobUsed []int // per job failure rule: times fired
}

func (f *faultState) set(p FaultProfile) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.p = p
	f.rng = rand.New(rand.NewSource(p.Seed))
	f.buckets = map[string]*bucket{}
	f.used = make([]int, len(p.Errors))
	f.jobUsed = make([]int, len(p.JobFailures))
	f.p.Outages = append([]Outage(nil), p.Outages...)
}

// SetFaults replaces the fault profile (resetting throttle buckets and the
// random sequence).
func (e *Emulator) SetFaults(p FaultProfile) { e.faults.set(p) }

// Faults returns the current fault profile (outage call budgets as consumed).
func (e *Emulator) Faults() FaultProfile {
	e.faults.mu.Lock()
	defer e.faults.mu.Unlock()
	return e.faults.p
}

func selectors(product, action string) []string {
	return []string{product + "." + action, action, product, "*"}
}

func matches(sel, product, action string) bool {
	return sel == "*" || sel == "" || sel == action || sel == product || sel == product+"."+action ||
		strings.EqualFold(sel, product)
}

// apply decides the added latency and any injected failure for one call.
func (f *faultState) apply(product, action string, now time.Time) (time.Duration, *APIError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var delay time.Duration
	for _, s := range selectors(product, action) {
		if l, ok := f.p.Latency[s]; ok {
			delay = f.sample(l)
			break
		}
	}
	for i := range f.p.Outages {
		o := &f.p.Outages[i]
		if !matches(o.Product, product, action) {
			continue
		}
		inWindow := !o.From.IsZero() || !o.Until.IsZero()
		if inWindow && (o.From.IsZero() || !now.Before(o.From)) && (o.Until.IsZero() || now.Before(o.Until)) {
			return delay, errUnavailable()
		}
		if o.Calls > 0 {
			o.Calls--
			return delay, errUnavailable()
		}
	}
	for _, s := range selectors(product, action) {
		t, ok := f.p.Throttle[s]
		if !ok {
			continue
		}
		if !f.take(product+"."+action, t, now) {
			// Throttling.User 400 "Request was denied due to user flow control."
			// (the API gateway's error table; NLB pages list the same code).
			return delay, Errf(http.StatusBadRequest, "Throttling.User", "Request was denied due to user flow control.")
		}
		break
	}
	for i, r := range f.p.Errors {
		if !matches(r.Match, product, action) || (r.Count > 0 && f.used[i] >= r.Count) {
			continue
		}
		if r.Rate > 0 && r.Rate < 1 && f.rng.Float64() >= r.Rate {
			continue
		}
		f.used[i]++
		return delay, injected(r)
	}
	return delay, nil
}

// mayFailJob reports whether a job failure rule could fire for the call
// (consuming nothing), so the caller prepares the undo only then.
func (f *faultState) mayFailJob(product, action string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, r := range f.p.JobFailures {
		if matches(r.Match, product, action) && (r.Count <= 0 || f.jobUsed[i] < r.Count) {
			return true
		}
	}
	return false
}

// failJob decides whether the job of an accepted write fails, counting the
// rule that fires.
func (f *faultState) failJob(product, action string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, r := range f.p.JobFailures {
		if !matches(r.Match, product, action) || (r.Count > 0 && f.jobUsed[i] >= r.Count) {
			continue
		}
		if r.Rate > 0 && r.Rate < 1 && f.rng.Float64() >= r.Rate {
			continue
		}
		f.jobUsed[i]++
		return true
	}
	return false
}

func errUnavailable() *APIError {
	// ServiceUnavailable 503, the ECS and CLB common error code
	// (https://api.alibabacloud.com/document/Slb/2014-05-15/errorCode).
	return Errf(http.StatusServiceUnavailable, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.")
}

func injected(r ErrorRule) *APIError {
	st := r.HTTPStatus
	if st == 0 {
		switch {
		case r.Code == "InternalError":
			st = 500
		case strings.HasPrefix(r.Code, "ServiceUnavailable"):
			st = 503
		default:
			st = 400
		}
	}
	msg := r.Message
	if msg == "" {
		msg = "Injected fault."
	}
	return &APIError{HTTPStatus: st, Code: r.Code, Message: msg}
}

// take removes one token from the action's bucket, refilling by elapsed
// emulator time, so a fake clock makes throttling deterministic.
func (f *faultState) take(key string, t ThrottleSpec, now time.Time) bool {
	burst := float64(t.Burst)
	if burst <= 0 {
		burst = t.Rate
		if burst < 1 {
			burst = 1
		}
	}
	b := f.buckets[key]
	if b == nil {
		b = &bucket{tokens: burst, last: now}
		f.buckets[key] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens += el * t.Rate
		if b.tokens > burst {
			b.tokens = burst
		}
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (f *faultState) sample(l LatencySpec) time.Duration {
	if l.StdDev > 0 {
		d := time.Duration(f.rng.NormFloat64()*float64(l.StdDev)) + time.Duration(l.Mean)
		if d < 0 {
			d = 0
		}
		return d
	}
	d := time.Duration(l.Fixed)
	if l.Jitter > 0 {
		d += time.Duration(f.rng.Int63n(int64(l.Jitter)))
	}
	return d
}
