package loadbalancer

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

func TestWaterfill(t *testing.T) {
	tests := []struct {
		budget int
		sizes  []int
		want   []int
	}{
		{5, []int{8}, []int{5}},
		{5, []int{8, 8}, []int{3, 2}},
		{5, []int{1, 8}, []int{1, 4}},
		{10, []int{8, 1, 8}, []int{5, 1, 4}},
		{0, []int{3, 3}, []int{0, 0}},
		{1, []int{3, 3}, []int{1, 0}},
		{100, []int{3, 3}, []int{3, 3}},
	}
	for _, tc := range tests {
		if got := waterfill(tc.budget, tc.sizes); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("waterfill(%d, %v) = %v, want %v", tc.budget, tc.sizes, got, tc.want)
		}
	}
}

func subsetMembers(n int, weight func(i int) int) []backend {
	var out []backend
	for i := range n {
		out = append(out, backend{ServerID: fmt.Sprintf("i-%02d", i), Type: annotations.BackendECS, Port: 30080, Weight: weight(i)})
	}
	return out
}

func zoneByParity(id string) string {
	var n int
	_, _ = fmt.Sscanf(id, "i-%d", &n)
	return []string{"zone-a", "zone-b"}[n%2]
}

func subsetIDs(bs []backend) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.ServerID)
	}
	sort.Strings(out)
	return out
}

func TestPickSubset(t *testing.T) {
	all := subsetMembers(8, func(int) int { return 100 })
	got := pickSubset(all, 5, zoneByParity, "uid-1")
	perZone := map[string]int{}
	for _, b := range got {
		perZone[zoneByParity(b.ServerID)]++
	}
	if len(got) != 5 || perZone["zone-a"] < 2 || perZone["zone-b"] < 2 {
		t.Errorf("subset %v: %v per zone, want 5 balanced", subsetIDs(got), perZone)
	}
	// Stable: same input, same subset; another order of the input too.
	rev := append([]backend(nil), all...)
	sort.Slice(rev, func(i, j int) bool { return rev[i].ServerID > rev[j].ServerID })
	if a, b := subsetIDs(got), subsetIDs(pickSubset(rev, 5, zoneByParity, "uid-1")); !reflect.DeepEqual(a, b) {
		t.Errorf("subset depends on input order: %v vs %v", a, b)
	}
	// One more node moves at most one member.
	more := append(append([]backend(nil), all...), subsetMembers(9, func(int) int { return 100 })[8])
	kept := 0
	after := map[string]bool{}
	for _, id := range subsetIDs(pickSubset(more, 5, zoneByParity, "uid-1")) {
		after[id] = true
	}
	for _, id := range subsetIDs(got) {
		if after[id] {
			kept++
		}
	}
	if kept < 4 {
		t.Errorf("adding a node changed %d of 5 members", 5-kept)
	}
	// Local: members with endpoints (weight > 0) come first.
	local := subsetMembers(8, func(i int) int {
		if i == 3 || i == 6 {
			return 2
		}
		return 0
	})
	sub := subsetIDs(pickSubset(local, 3, zoneByParity, "uid-1"))
	if !contains(sub, "i-03") || !contains(sub, "i-06") {
		t.Errorf("local subset %v lacks the nodes with endpoints", sub)
	}
	// Fewer than n: all of them.
	if got := pickSubset(all[:3], 5, zoneByParity, "x"); len(got) != 3 {
		t.Errorf("got %d members, want 3", len(got))
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func TestFitListeners(t *testing.T) {
	e := newEnv(t, envOpts{options: func(o *Options) { o.Quotas.ListenersPerCLB = 3 }})
	svc := service("web", nil)
	cfg := &annotations.Config{}
	for p := int32(80); p < 84; p++ {
		cfg.Listeners = append(cfg.Listeners, annotations.Listener{Port: p, Protocol: annotations.ProtocolTCP})
	}
	tests := []struct {
		name     string
		existing []int
		foreign  int
		creating bool
		want     []int // ports kept; nil with wantErr
		wantErr  bool
	}{
		{"new CLB over the quota is refused", nil, 0, true, nil, true},
		{"existing CLB keeps its listeners and adds what fits", []int{82}, 0, false, []int{80, 81, 82}, false},
		{"foreign listeners count", []int{83}, 1, false, []int{80, 83}, false},
		{"quota lowered below what exists: nothing new", []int{80, 81, 82, 83}, 0, false, []int{80, 81, 82, 83}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ex := map[listenerKey]bool{}
			for _, p := range tc.existing {
				ex[listenerKey{p, annotations.ProtocolTCP}] = true
			}
			got, err := e.r.fitListeners(svc, cfg, ex, tc.foreign, tc.creating)
			var q *QuotaError
			if tc.wantErr {
				if !errors.As(err, &q) || q.Quota != quotaListeners {
					t.Fatalf("err = %v, want a QuotaError naming %s", err, quotaListeners)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ports []int
			for _, l := range got.Listeners {
				ports = append(ports, int(l.Port))
			}
			if !reflect.DeepEqual(ports, tc.want) {
				t.Errorf("listeners %v, want %v", ports, tc.want)
			}
		})
	}
}

// TestQuotaWallWritesNothing: against the in-process emulator, a Service
// over the listener or the vServer groups per instance quota makes no
// write; one over the backends quota gets a subset.
func TestQuotaWallWritesNothing(t *testing.T) {
	ports := func(n int) []port {
		var out []port
		for i := range n {
			out = append(out, port{fmt.Sprintf("p%d", i), int32(80 + i), int32(30100 + i), ""})
		}
		return out
	}
	tests := []struct {
		name   string
		before int // ports of a first Service on the same two nodes
		ports  int
		nodes  int
		quota  string // "" = fits
	}{
		{"backends over the quota get a subset", 0, 1, 8, ""},
		{"listeners", 0, 4, 8, quotaListeners},
		{"groups per instance", 2, 2, 2, quotaAttached},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lim := emulator.DefaultLimits()
			lim.BackendsPerLB, lim.ListenersPerLB, lim.GroupsPerServer = 5, 3, 3
			e := newEnv(t, envOpts{nodes: 8, limits: &lim, options: func(o *Options) {
				o.Quotas = Quotas{BackendsPerCLB: 5, ListenersPerCLB: 3, GroupsPerServer: 3}
			}})
			ctx := context.Background()
			if tc.before > 0 {
				if _, err := e.r.EnsureLoadBalancer(ctx, "k", service("first", nil, ports(tc.before)...), e.nodes[:tc.nodes]); err != nil {
					t.Fatal(err)
				}
				e.restart() // the index is warmed from the cloud
			}
			e.emu.ResetAudit()
			_, err := e.r.EnsureLoadBalancer(ctx, "k", service("svc", nil, ports(tc.ports)...), e.nodes[:tc.nodes])
			if tc.quota == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !e.sawEvent(ReasonBackendSubset) {
					t.Error("no subset event")
				}
				return
			}
			var q *QuotaError
			if !errors.As(err, &q) || q.Quota != tc.quota {
				t.Fatalf("err = %v, want a QuotaError naming %s", err, tc.quota)
			}
			if w := e.writes(); len(w) != 0 {
				t.Errorf("writes %v", w)
			}
		})
	}
}

// TestAttachIndexStaleEntryIsReread: a CLB deleted behind the CCM's back
// leaves stale groups in the index; they are re-read before a Service is
// refused, so it is not.
func TestAttachIndexStaleEntryIsReread(t *testing.T) {
	lim := emulator.DefaultLimits()
	lim.GroupsPerServer = 3
	e := newEnv(t, envOpts{nodes: 2, limits: &lim, options: func(o *Options) { o.Quotas.GroupsPerServer = 3 }})
	two := []port{{"a", 80, 30080, ""}, {"b", 81, 30081, ""}}
	first := service("first", nil, two...)
	e.ensure(first)
	ctx := context.Background()
	lbs, err := e.slb.ListLoadBalancers(ctx, slb.CreateDescribeLoadBalancersRequest())
	if err != nil || len(lbs) != 1 {
		t.Fatalf("CLBs %v, %v", lbs, err)
	}
	prot := slb.CreateSetLoadBalancerDeleteProtectionRequest()
	prot.LoadBalancerId, prot.DeleteProtection = lbs[0].LoadBalancerId, "off"
	del := slb.CreateDeleteLoadBalancerRequest()
	del.LoadBalancerId = lbs[0].LoadBalancerId
	if _, err := e.slb.SetLoadBalancerDeleteProtection(ctx, prot); err != nil {
		t.Fatal(err)
	}
	if _, err := e.slb.DeleteLoadBalancer(ctx, del); err != nil {
		t.Fatal(err)
	}
	e.ensure(service("second", nil, two...))
}
