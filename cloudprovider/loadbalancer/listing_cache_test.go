package loadbalancer

import (
	"context"
	"fmt"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
)

// actionCounts counts the audit log's calls by action since the last reset.
func (e *env) actionCounts() map[string]int {
	m := map[string]int{}
	for _, a := range e.emu.Audit() {
		m[a.Action]++
	}
	return m
}

func twoPortServices(n int) []*v1.Service {
	out := make([]*v1.Service, n)
	for i := range out {
		out[i] = service(fmt.Sprintf("svc-%02d", i), nil,
			port{"http", 80, int32(30000 + 2*i), v1.ProtocolTCP}, port{"https", 443, int32(30001 + 2*i), v1.ProtocolTCP})
	}
	return out
}

// TestRestartReadsShareOneListing: a restart re-syncs every Service at
// once. Finding each CLB and reading its listeners must come from one
// tag-filtered listing shared by all Services (one DescribeLoadBalancers
// page and one DescribeLoadBalancerListeners call per 10 CLBs), not two
// reads per Service; each Service still reads its groups and their
// members, and writes nothing.
func TestRestartReadsShareOneListing(t *testing.T) {
	e := newEnv(t, envOpts{nodes: 3})
	svcs := twoPortServices(12)
	for _, svc := range svcs {
		e.ensure(svc)
	}
	e.restart()
	e.emu.ResetAudit()
	for _, svc := range svcs {
		e.ensure(svc)
	}
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("restart wrote %v", w)
	}
	got := e.actionCounts()
	want := map[string]int{
		"DescribeLoadBalancers":         1,
		"DescribeLoadBalancerListeners": 2, // 12 CLBs: 10 + 2
		"DescribeVServerGroups":         len(svcs),
		"DescribeVServerGroupAttribute": 2 * len(svcs),
	}
	for a, n := range want {
		if got[a] != n {
			t.Errorf("%s: %d calls, want %d (all: %v)", a, got[a], n, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("calls %v, want only %v", got, want)
	}

	// The listing served each Service once: a second reconcile reads the
	// cloud (our own writes in between would otherwise be missed).
	e.emu.ResetAudit()
	e.ensure(svcs[0])
	if got := e.actionCounts(); got["DescribeLoadBalancers"] != 1 || got["DescribeLoadBalancerListeners"] != 1 {
		t.Errorf("second reconcile: %v, want its own DescribeLoadBalancers and DescribeLoadBalancerListeners", got)
	}
}

// TestRestartListingChangesSeen: what the first reconcile after a restart
// changes is seen by the next one (the listing is not used twice), and a
// listing older than its TTL is not used at all.
func TestRestartListingChangesSeen(t *testing.T) {
	e := newEnv(t, envOpts{nodes: 3})
	svcs := twoPortServices(2)
	for _, svc := range svcs {
		e.ensure(svc)
	}
	e.restart()
	now := time.Now()
	e.r.now = func() time.Time { return now }
	e.ensure(svcs[0]) // lists the cluster, takes svc-00's CLB

	// A port added: the next reconcile creates exactly its listener.
	svcs[0].Spec.Ports = append(svcs[0].Spec.Ports, v1.ServicePort{Name: "alt", Port: 8080, NodePort: 30100, Protocol: v1.ProtocolTCP})
	e.emu.ResetAudit()
	e.ensure(svcs[0])
	if n := e.emu.CallCount("CreateLoadBalancerTCPListener", "OK"); n != 1 {
		t.Errorf("CreateLoadBalancerTCPListener %d times, want 1 (writes %v)", n, e.writes())
	}
	// Then the port goes again: its listener is deleted, seen from the
	// cloud, not from the listing.
	svcs[0].Spec.Ports = svcs[0].Spec.Ports[:2]
	e.emu.ResetAudit()
	e.ensure(svcs[0])
	if n := e.emu.CallCount("DeleteLoadBalancerListener", "OK"); n != 1 {
		t.Errorf("DeleteLoadBalancerListener %d times, want 1 (writes %v)", n, e.writes())
	}

	// svc-01's entry is too old, and listing again (one DescribeLoadBalancers
	// and one DescribeLoadBalancerListeners) would cost as much as its own
	// two reads: it reads its own CLB.
	now = now.Add(startListingTTL + time.Second)
	e.emu.ResetAudit()
	e.ensure(svcs[1])
	if got := e.actionCounts(); got["DescribeLoadBalancers"] != 1 || got["DescribeLoadBalancerListeners"] != 1 {
		t.Errorf("after the TTL: %v, want its own DescribeLoadBalancers and DescribeLoadBalancerListeners", got)
	}
}

// TestRestartListingRefreshedForUnsynced: a start-up sync that outlives
// the listing lists again for the Services not synced yet, when that is
// cheaper than their own reads; the Services already synced read their
// own CLB.
func TestRestartListingRefreshedForUnsynced(t *testing.T) {
	e := newEnv(t, envOpts{nodes: 3})
	svcs := twoPortServices(12)
	for _, svc := range svcs {
		e.ensure(svc)
	}
	e.restart()
	now := time.Now()
	e.r.now = func() time.Time { return now }
	e.ensure(svcs[0])
	now = now.Add(startListingTTL + time.Second)
	e.emu.ResetAudit()
	for _, svc := range svcs[1:] {
		e.ensure(svc)
	}
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("wrote %v", w)
	}
	if got := e.actionCounts(); got["DescribeLoadBalancers"] != 1 || got["DescribeLoadBalancerListeners"] != 2 {
		t.Errorf("11 Services after the TTL: %v, want one listing again (1 DescribeLoadBalancers, 2 DescribeLoadBalancerListeners)", got)
	}
	e.emu.ResetAudit()
	e.ensure(svcs[0])
	if got := e.actionCounts(); got["DescribeLoadBalancers"] != 1 || got["DescribeLoadBalancerListeners"] != 1 {
		t.Errorf("svc-00 synced before: %v, want its own reads", got)
	}
}

// TestRestartListingFailureFallsBack: a failed start-up listing costs
// nothing but the failed call: every Service reads its own CLB.
func TestRestartListingFailureFallsBack(t *testing.T) {
	e := newEnv(t, envOpts{nodes: 3})
	svcs := twoPortServices(2)
	for _, svc := range svcs {
		e.ensure(svc)
	}
	e.restart()
	// A cancelled context fails the listing; the reconciles that follow
	// use a live one.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, ok := e.r.takeListed(ctx, svcs[0].UID); ok {
		t.Fatal("a failed listing served an entry")
	}
	e.emu.ResetAudit()
	for _, svc := range svcs {
		e.ensure(svc)
	}
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("wrote %v", w)
	}
	if got := e.actionCounts(); got["DescribeLoadBalancers"] != 2 {
		t.Errorf("calls %v, want one DescribeLoadBalancers per Service", got)
	}
}
