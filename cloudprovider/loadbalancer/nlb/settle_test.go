package nlb

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cloudproviderapi "k8s.io/cloud-provider/api"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// jobChecks are the actions that only ask about NLB jobs.
var jobChecks = []string{"GetJobStatus", "ListAsynJobs"}

// untilSettled reconciles svc until a reconcile sent the last writes it
// planned (the engine holds a settled status for its jobs), moving the
// clock past each retry; it fails if the Service converges before.
func (e *env) untilSettled(svc *v1.Service) {
	e.t.Helper()
	cfg := e.config(svc, nil)
	for round := 1; round <= maxRounds; round++ {
		_, err := e.step(svc, cfg)
		var re *cloudproviderapi.RetryError
		if !errors.As(err, &re) {
			e.t.Fatalf("round %d: want a retry, got %v", round, err)
		}
		e.clock.Advance(re.RetryAfter())
		if p := e.r.jobs.get(svc.UID); p != nil && p.settled != nil {
			return
		}
	}
	e.t.Fatalf("no settled reconcile after %d rounds", maxRounds)
}

// TestSettledReconcile: a reconcile that sent every write it planned and
// only waits for their jobs ends the Service's convergence with one job
// check once they succeeded: the NLB, its listeners, groups and servers
// are not read again. Anything that could change the plan reads them all
// again: a new version of the Service, a changed node, a restart (the hint
// is in memory only), a backend-only sync that wrote in between (one that
// found nothing to change keeps it). A failed job is
// reported, never covered by the hint, and the next reconcile writes again.
func TestSettledReconcile(t *testing.T) {
	cases := []struct {
		name string
		// between runs after the settling reconcile, before the next one.
		between func(e *env, svc *v1.Service)
		// fullRead: the next reconcile reads the NLB and its port level.
		fullRead bool
		// writes: the nodes changed, so the next reconcile writes.
		writes bool
	}{
		{name: "same inputs: one job check", between: func(*env, *v1.Service) {}},
		{name: "a new version of the Service", fullRead: true, between: func(_ *env, svc *v1.Service) { svc.ResourceVersion = "2" }},
		{name: "a node changed", fullRead: true, between: func(e *env, _ *v1.Service) { e.nodes[0].ResourceVersion = "7" }},
		{name: "a node left", fullRead: true, writes: true, between: func(e *env, _ *v1.Service) { e.nodes = e.nodes[1:] }},
		{name: "a restart forgets the hint", fullRead: true, between: func(e *env, _ *v1.Service) { e.restart() }},
		{name: "a backend-only sync with nothing to change keeps the hint", between: func(e *env, svc *v1.Service) {
			e.clock.Advance(jobTime)
			if err := e.r.SyncBackends(context.Background(), svc, e.nodes); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "a backend-only sync that wrote in between", fullRead: true, writes: true, between: func(e *env, svc *v1.Service) {
			e.clock.Advance(jobTime)
			if err := e.r.SyncBackends(context.Background(), svc, e.nodes[1:]); err != nil && !isRetry(err) {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := engineEnv(t, envOpts{})
			svc := testService("web", nil, svcPort{80, 30080, v1.ProtocolTCP}, svcPort{443, 30443, v1.ProtocolTCP})
			e.untilSettled(svc)
			tc.between(e, svc)
			e.emu.ResetAudit()
			st, rounds := e.converge(svc, e.config(svc, nil))
			if len(st.Ingress) == 0 || !strings.Contains(st.Ingress[0].Hostname, ".nlb.aliyuncs") {
				t.Fatalf("status %+v", st)
			}
			calls := e.calls()
			onlyChecks := !slices.ContainsFunc(calls, func(c string) bool { return !slices.Contains(jobChecks, c) })
			if tc.fullRead {
				if onlyChecks || !slices.Contains(calls, "ListLoadBalancers") || !slices.Contains(calls, "ListListeners") {
					t.Errorf("calls %v: want the NLB and its listeners read again", calls)
				}
			} else if !onlyChecks || len(calls) != rounds {
				t.Errorf("%d rounds, calls %v: want one job check a round and the status", rounds, calls)
			}
			if w := e.writes(); len(w) != 0 && !tc.writes {
				t.Errorf("writes after the settled reconcile: %v", w)
			}
			// Converged either way: the hint is gone with the jobs, and a
			// resync reads and writes nothing new.
			if p := e.r.jobs.get(svc.UID); p != nil {
				t.Errorf("jobs kept after convergence: %+v", p)
			}
			if len(e.listeners(e.only().LoadBalancerId)) != 2 || len(e.ourGroups(svc)) != 2 {
				t.Errorf("listeners %d, groups %d; want 2 and 2", len(e.listeners(e.only().LoadBalancerId)), len(e.ourGroups(svc)))
			}
		})
	}
}

// TestSettledJobFailed: the last job of a settled reconcile failing is an
// error naming it (no status from the hint), and the next reconcile reads
// the NLB again and writes the change again.
func TestSettledJobFailed(t *testing.T) {
	e := engineEnv(t, envOpts{})
	svc := testService("web", nil, svcPort{80, 30080, v1.ProtocolTCP})
	e.emu.SetFaults(emulator.FaultProfile{JobFailures: []emulator.JobFailureRule{{Match: "Nlb.CreateListener", Rate: 1, Count: 1}}})
	e.untilSettled(svc)
	if n := e.count("CreateListener"); n != 1 {
		t.Fatalf("the settling reconcile sent %d CreateListener, want 1 (the last write)", n)
	}
	e.clock.Advance(jobTime)
	_, err := e.step(svc, e.config(svc, nil))
	if err == nil || isRetry(err) || !strings.Contains(err.Error(), "failed") {
		t.Fatalf("want the failed job, got %v", err)
	}
	if p := e.r.jobs.get(svc.UID); p != nil {
		t.Fatalf("the failed reconcile kept %+v", p)
	}
	e.emu.ResetAudit()
	e.converge(svc, e.config(svc, nil))
	// The create token answers with the failed listener first, so the
	// create is sent again with a new one (createListener).
	if n := e.count("CreateListener"); n == 0 {
		t.Error("the failed listener was not created again")
	}
	if len(e.listeners(e.only().LoadBalancerId)) != 1 {
		t.Errorf("listeners %+v", e.listeners(e.only().LoadBalancerId))
	}
}

// TestInputsKey: the key changes with the Service's version and with each
// node's name and version, and not with the nodes' order.
func TestInputsKey(t *testing.T) {
	svc := testService("web", nil)
	a, b := testNode("a", "cn-hangzhou.i-a", nil), testNode("b", "cn-hangzhou.i-b", nil)
	a.ResourceVersion, b.ResourceVersion = "1", "1"
	base := inputsKey(svc, []*v1.Node{a, b}, nil)
	if inputsKey(svc, []*v1.Node{b, a}, nil) != base {
		t.Error("the nodes' order changed the key")
	}
	svc2 := svc.DeepCopy()
	svc2.ResourceVersion = "2"
	a2 := a.DeepCopy()
	a2.ResourceVersion = "2"
	for name, k := range map[string]string{
		"service version": inputsKey(svc2, []*v1.Node{a, b}, nil),
		"node version":    inputsKey(svc, []*v1.Node{a2, b}, nil),
		"node gone":       inputsKey(svc, []*v1.Node{a}, nil),
		"no nodes":        inputsKey(svc, nil, nil),
	} {
		if k == base {
			t.Errorf("%s: same key", name)
		}
	}
}

// TestSettledEndpointsChange: with the endpoints source installed the
// members are planned from the Service's EndpointSlices too, so a slice
// that changed while the settling reconcile's jobs ran makes the next
// reconcile read and write again: the hint never drops an endpoint change
// (a Local Service's pod moved to another node while its listeners were
// being created was left on the old node).
func TestSettledEndpointsChange(t *testing.T) {
	e := engineEnv(t, envOpts{})
	svc := testService("web", nil, svcPort{80, 30080, v1.ProtocolTCP})
	svc.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal
	first := slice(svc, endpoint{"192.168.5.1", "node-0", false})
	first.ResourceVersion = "1"
	src := &fakeSource{nodes: e.nodes, slices: []*discoveryv1.EndpointSlice{first}}
	e.r.opts.PodBackends.Set(src)
	e.untilSettled(svc)

	moved := slice(svc, endpoint{"192.168.5.1", "node-1", false})
	moved.ResourceVersion = "2"
	src.slices = []*discoveryv1.EndpointSlice{moved}
	e.emu.ResetAudit()
	e.converge(svc, e.config(svc, nil))
	if calls := e.calls(); !slices.Contains(calls, "ListListeners") {
		t.Fatalf("calls %v: the slice changed, want the port level read again", calls)
	}
	if len(e.writes()) == 0 {
		t.Fatal("the pod moved to node-1 but nothing was written")
	}
}

// TestInputsKeyEndpoints: the key changes with each EndpointSlice's name
// and version, and not with their order.
func TestInputsKeyEndpoints(t *testing.T) {
	svc := testService("web", nil)
	a := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "a", ResourceVersion: "1"}}
	b := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "b", ResourceVersion: "1"}}
	base := inputsKey(svc, nil, []*discoveryv1.EndpointSlice{a, b})
	if inputsKey(svc, nil, []*discoveryv1.EndpointSlice{b, a}) != base {
		t.Error("the slices' order changed the key")
	}
	a2 := a.DeepCopy()
	a2.ResourceVersion = "2"
	for name, k := range map[string]string{
		"slice version": inputsKey(svc, nil, []*discoveryv1.EndpointSlice{a2, b}),
		"slice gone":    inputsKey(svc, nil, []*discoveryv1.EndpointSlice{a}),
		"no slices":     inputsKey(svc, nil, nil),
	} {
		if k == base {
			t.Errorf("%s: same key", name)
		}
	}
}
