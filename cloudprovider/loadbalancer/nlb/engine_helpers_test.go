package nlb

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"
	cloudproviderapi "k8s.io/cloud-provider/api"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// Helpers of the instance-level tests, over the shared harness.

// jobTime is how long NLB jobs run in the instance-level tests (on the
// fake clock: converge moves it past each retry delay).
const jobTime = 3 * time.Second

// engineEnv is newEnv with jobs lasting jobTime unless o says otherwise.
func engineEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	if o.jobs == 0 {
		o.jobs = jobTime
	}
	return newEnv(t, o)
}

// restart builds a fresh Reconciler on the same cloud, as a CCM restart:
// what it held in memory (jobs, salts) is gone.
func (e *env) restart() {
	r := New(e.r.api, e.events, e.r.opts)
	r.now = e.r.now
	e.r = r
}

func anno(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[annotations.Prefix+kv[i]] = kv[i+1]
	}
	return m
}

// config parses svc with the real parser and lets the test change the
// result: the engine's decisions are tested on the typed desired state.
func (e *env) config(svc *v1.Service, edit func(*annotations.NLBConfig)) *annotations.NLBConfig {
	e.t.Helper()
	cfg, err := annotations.ParseNLB(svc, e.r.opts.Defaults)
	if err != nil {
		e.t.Fatalf("ParseNLB: %v", err)
	}
	if edit != nil {
		edit(cfg)
	}
	return cfg
}

// step runs one reconcile with cfg.
func (e *env) step(svc *v1.Service, cfg *annotations.NLBConfig) (*v1.LoadBalancerStatus, error) {
	defer e.r.LockService(serviceKey(svc))()
	return e.r.ensure(context.Background(), svc, cfg, e.nodes)
}

// maxRounds bounds converge and deleted. With long jobs a Service takes
// several waits (the NLB, its server groups, their members and listeners),
// each a few requeues of growing delay.
const maxRounds = 40

// converge reconciles until the status comes back, moving the clock past
// each retry delay (as the framework's requeue would). It returns the
// status and the number of rounds.
func (e *env) converge(svc *v1.Service, cfg *annotations.NLBConfig) (*v1.LoadBalancerStatus, int) {
	e.t.Helper()
	for round := 1; round <= maxRounds; round++ {
		st, err := e.step(svc, cfg)
		var re *cloudproviderapi.RetryError
		switch {
		case err == nil:
			return st, round
		case errors.As(err, &re):
			e.clock.Advance(re.RetryAfter())
		default:
			e.t.Fatalf("round %d: %v", round, err)
		}
	}
	e.t.Fatalf("no status after %d rounds", maxRounds)
	return nil, 0
}

// deleted runs EnsureLoadBalancerDeleted until it ends without a retry.
func (e *env) deleted(svc *v1.Service) {
	e.t.Helper()
	for round := 1; round <= maxRounds; round++ {
		err := e.r.EnsureLoadBalancerDeleted(context.Background(), "k", svc)
		var re *cloudproviderapi.RetryError
		switch {
		case err == nil:
			return
		case errors.As(err, &re):
			e.clock.Advance(re.RetryAfter())
		default:
			e.t.Fatalf("delete round %d: %v", round, err)
		}
	}
	e.t.Fatalf("delete still retrying after %d rounds", maxRounds)
}

// calls lists every call in the audit log since the last reset.
func (e *env) calls() []string {
	var out []string
	for _, a := range e.emu.Audit() {
		out = append(out, a.Action)
	}
	return out
}

// count is how many calls of action the audit log has.
func (e *env) count(action string) int {
	n := 0
	for _, c := range e.calls() {
		if c == action {
			n++
		}
	}
	return n
}

// lbs lists every NLB in the emulator.
func (e *env) lbs() []sdknlb.LoadbalancerInfo {
	e.t.Helper()
	lbs, err := e.api.ListAllLoadBalancers(context.Background(), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return lbs
}

// only returns the one NLB in the emulator.
func (e *env) only() sdknlb.LoadbalancerInfo {
	e.t.Helper()
	lbs := e.lbs()
	if len(lbs) != 1 {
		e.t.Fatalf("want 1 NLB, have %d", len(lbs))
	}
	return lbs[0]
}

// drainEvents returns the events recorded since the last drain.
func (e *env) drainEvents() []string {
	var out []string
	for {
		select {
		case ev := <-e.events.Events:
			out = append(out, ev)
		default:
			return out
		}
	}
}

func hasEvent(evs []string, sub string) bool {
	for _, ev := range evs {
		if strings.Contains(ev, sub) {
			return true
		}
	}
	return false
}

func boolp(b bool) *bool { return &b }
