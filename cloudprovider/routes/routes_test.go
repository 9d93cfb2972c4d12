package routes

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	k8scloudprovider "k8s.io/cloud-provider"
	cloudproviderapi "k8s.io/cloud-provider/api"
	"k8s.io/component-base/metrics/testutil"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// TestCreateRouteBatching fires 200 concurrent CreateRoute calls, as the
// framework does, and checks they become ceil(200/50) batch calls per table
// with no conflict, every entry Available.
func TestCreateRouteBatching(t *testing.T) {
	tests := []struct {
		name         string
		customTables int
		nodes        int
	}{
		{name: "one table, 200 nodes", nodes: 200},
		{name: "two tables configured, 120 nodes", customTables: 1, nodes: 120},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{instances: tc.nodes, delay: 200 * time.Millisecond, latency: 10 * time.Millisecond,
				customTables: tc.customTables})
			tables := append([]string{e.system}, e.custom...)
			r := e.newRoutes(t, func(c *Config) {
				if tc.customTables > 0 {
					c.RouteTableIDs = tables
				}
				// 200 concurrent ENI writes would only compete with the
				// batch gathering for 2 busy cores (TestSourceDestCheck
				// covers them).
				c.SkipDisableSourceDestCheck = true
			})
			var nodes []*v1.Node
			for i := range tc.nodes {
				nodes = append(nodes, e.addNode(i, podCIDR(i)))
			}
			if errs := createAll(testCtx(t), r, nodes); len(errs) > 0 {
				t.Fatalf("%d CreateRoute errors, e.g. %v", len(errs), firstErr(errs))
			}
			creates, _, conflicts := e.writeCalls()
			want := (tc.nodes + 49) / 50 * len(tables)
			if creates != want {
				t.Errorf("CreateRouteEntries calls = %d, want ceil(%d/50) per table = %d", creates, tc.nodes, want)
			}
			if conflicts != 0 || r.Stats().BusyRefusals != 0 {
				t.Errorf("conflicts: audit %d, writer %d; want 0", conflicts, r.Stats().BusyRefusals)
			}
			for _, table := range tables {
				got := e.entries(table)
				for i := range tc.nodes {
					en, ok := got[podCIDR(i)]
					if !ok || en.NextHopID != instanceID(i) || en.Status != statusAvailable {
						t.Fatalf("table %s entry %s = %+v (present %v), want Available to %s", table, podCIDR(i), en, ok, instanceID(i))
					}
				}
			}
		})
	}
}

func firstErr(m map[string]error) error {
	for _, err := range m {
		return err
	}
	return nil
}

// TestCreateRouteWaitsUntilAvailable checks CreateRoute returns only once
// the entry left Pending.
func TestCreateRouteWaitsUntilAvailable(t *testing.T) {
	const delay = time.Second
	e := newEnv(t, envOptions{instances: 2, delay: delay})
	r := e.newRoutes(t)
	n := e.addNode(0, podCIDR(0))
	start := time.Now()
	if errs := createAll(testCtx(t), r, []*v1.Node{n}); len(errs) > 0 {
		t.Fatal(firstErr(errs))
	}
	if took := time.Since(start); took < delay {
		t.Errorf("CreateRoute returned after %s, before the %s the entry stays Pending", took, delay)
	}
	if en := e.entries(e.system)[podCIDR(0)]; en.Status != statusAvailable {
		t.Errorf("entry status = %q right after CreateRoute, want Available", en.Status)
	}
	// One listing per poll serves the waiter: a handful, not a busy loop.
	if l := r.Stats().Listings; l > 12 {
		t.Errorf("%d listings to wait %s, want a backoff", l, delay)
	}
}

// TestCreateRouteExistingEntry covers a pod CIDR already in the table.
func TestCreateRouteExistingEntry(t *testing.T) {
	tests := []struct {
		name       string
		hopType    string
		hop        func(e *env) string
		wantErr    []string // substrings; empty = success
		wantReason string
	}{
		{name: "same instance is success", hopType: "Instance", hop: func(e *env) string { return e.instances[0] }},
		{name: "another instance is a conflict naming both", hopType: "Instance", hop: func(e *env) string { return e.instances[1] },
			wantErr: []string{instanceID(0), instanceID(1)}, wantReason: ReasonRouteConflict},
		{name: "another kind of next hop is a conflict", hopType: "VpnGateway", hop: func(*env) string { return "vpn-foreign0000000" },
			wantErr: []string{"VpnGateway", "vpn-foreign0000000", instanceID(0)}, wantReason: ReasonRouteConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{instances: 2})
			e.seedEntry(t, e.system, podCIDR(0), tc.hopType, tc.hop(e))
			r := e.newRoutes(t)
			n := e.addNode(0, podCIDR(0))
			err := createAll(testCtx(t), r, []*v1.Node{n})[n.Name]
			if creates, _, _ := e.writeCalls(); creates != 0 {
				t.Errorf("%d create calls for an existing CIDR, want 0", creates)
			}
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var conflict *ConflictError
			if !errors.As(err, &conflict) {
				t.Fatalf("err = %v, want a ConflictError", err)
			}
			for _, s := range tc.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not name %s", err, s)
				}
			}
			if evs := e.drainEvents(); len(evs) == 0 || !strings.Contains(evs[0], "Warning "+tc.wantReason) {
				t.Errorf("events = %q, want a Warning %s", evs, tc.wantReason)
			}
			if en := e.entries(e.system)[podCIDR(0)]; en.NextHopID != tc.hop(e) {
				t.Errorf("the existing entry was changed: %+v", en)
			}
		})
	}
}

// TestListRoutesOwnership seeds routes of every kind and checks ListRoutes
// reports exactly the owned ones, with node names, and that deleting what
// it reports leaves every foreign route alone.
func TestListRoutesOwnership(t *testing.T) {
	e := newEnv(t, envOptions{instances: 4, delay: 100 * time.Millisecond})
	e.addNode(0, podCIDR(0))
	e.addNode(1, podCIDR(1))
	// Node 2 was deleted while the CCM was down; instance 3 never was a node.
	foreign := map[string]string{
		"10.10.0.0/24":    instanceID(0),        // outside the cluster CIDR
		"172.16.0.0/12":   instanceID(0),        // wider than the cluster CIDR
		"172.16.200.0/24": "vpn-foreign0000000", // inside, VPN next hop
		"172.16.98.0/24":  instanceID(0),        // a node's instance, not its pod CIDR, unmarked
	}
	e.seedEntry(t, e.system, podCIDR(0), "Instance", instanceID(0))
	e.seedEntry(t, e.system, podCIDR(1), "Instance", instanceID(1))
	e.seedOwnedEntry(t, e.system, podCIDR(2), instanceID(2), "test-cluster")
	e.seedOwnedEntry(t, e.system, "172.16.99.0/24", instanceID(0), "test-cluster") // node 0, stale CIDR, ours
	e.seedEntry(t, e.system, "172.16.98.0/24", "Instance", instanceID(0))          // node 0, unmarked: foreign
	for dst, hop := range foreign {
		typ := "Instance"
		if strings.HasPrefix(hop, "vpn-") {
			typ = "VpnGateway"
		}
		if dst != "172.16.98.0/24" {
			e.seedEntry(t, e.system, dst, typ, hop)
		}
	}
	// The ENIs' checks are TestSourceDestCheck's business.
	r := e.newRoutes(t, func(c *Config) { c.SkipDisableSourceDestCheck = true })
	got, err := r.ListRoutes(testCtx(t), "kubernetes")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]types.NodeName{podCIDR(0): "node-0", podCIDR(1): "node-1", podCIDR(2): "", "172.16.99.0/24": "node-0"}
	if len(got) != len(want) {
		t.Errorf("ListRoutes = %s, want %v", describe(got), want)
	}
	for _, rt := range got {
		if node, ok := want[rt.DestinationCIDR]; !ok || node != rt.TargetNode {
			t.Errorf("route %+v, want target %q (listed %v)", rt, node, ok)
		}
	}
	// What the framework does with that list: delete routes no node wants.
	for _, rt := range got {
		if rt.TargetNode == "" || rt.DestinationCIDR == "172.16.99.0/24" {
			if err := r.DeleteRoute(testCtx(t), "kubernetes", rt); err != nil {
				t.Fatalf("DeleteRoute(%+v): %v", rt, err)
			}
		}
	}
	left := e.entries(e.system)
	for dst, hop := range foreign {
		if left[dst].NextHopID != hop {
			t.Errorf("foreign route %s -> %s was touched: %+v", dst, hop, left[dst])
		}
	}
	for _, dst := range []string{podCIDR(2), "172.16.99.0/24"} {
		if _, ok := left[dst]; ok {
			t.Errorf("orphan %s still in the table", dst)
		}
	}
	for _, dst := range []string{podCIDR(0), podCIDR(1)} {
		if _, ok := left[dst]; !ok {
			t.Errorf("live route %s was deleted", dst)
		}
	}
	// A route outside the cluster CIDR is refused even if asked for.
	err = r.DeleteRoute(testCtx(t), "kubernetes", &k8scloudprovider.Route{Name: instanceID(0) + "/10.10.0.0/24", DestinationCIDR: "10.10.0.0/24"})
	if err == nil || !strings.Contains(err.Error(), "--cluster-cidr") {
		t.Errorf("DeleteRoute outside the cluster CIDR: err = %v, want a refusal naming --cluster-cidr", err)
	}
	if _, ok := e.entries(e.system)["10.10.0.0/24"]; !ok {
		t.Error("foreign route outside the cluster CIDR was deleted")
	}
}

func describe(rs []*k8scloudprovider.Route) string {
	var s []string
	for _, r := range rs {
		s = append(s, fmt.Sprintf("%s->%q", r.DestinationCIDR, r.TargetNode))
	}
	return strings.Join(s, ", ")
}

// TestRouteTableFull lowers the per-table quota and checks the overflow
// gets an error and Event naming the quota, the rest their routes.
func TestRouteTableFull(t *testing.T) {
	e := newEnv(t, envOptions{instances: 5, routeQuota: 3})
	r := e.newRoutes(t)
	var nodes []*v1.Node
	for i := range 5 {
		nodes = append(nodes, e.addNode(i, podCIDR(i)))
	}
	// The batch call succeeds; the quota answers are per entry, so only the
	// entry-failure counter can tell an alert that the table is full.
	quotaFailures := entryFailures.WithLabelValues(e.system, "create", "quota")
	before, _ := testutil.GetCounterMetricValue(quotaFailures)
	errs := createAll(testCtx(t), r, nodes)
	if after, _ := testutil.GetCounterMetricValue(quotaFailures); after-before != 2 {
		t.Errorf("alicloud_ccm_route_entry_failures_total{class=quota} rose by %v, want 2", after-before)
	}
	if len(errs) != 2 {
		t.Fatalf("%d errors (%v), want 2 routes over the quota of 3", len(errs), errs)
	}
	for name, err := range errs {
		var q *QuotaError
		if !errors.As(err, &q) || !strings.Contains(err.Error(), QuotaName) {
			t.Errorf("%s: err = %v, want a QuotaError naming %s", name, err, QuotaName)
		}
	}
	quotaEvents := 0
	for _, ev := range e.drainEvents() {
		if strings.Contains(ev, "Warning "+ReasonRouteQuotaExceeded) && strings.Contains(ev, QuotaName) {
			quotaEvents++
		}
	}
	if quotaEvents != 2 {
		t.Errorf("%d quota events, want 2", quotaEvents)
	}
	if n := len(e.entries(e.system)); n != 3 {
		t.Errorf("%d entries, want 3", n)
	}
}

// TestNoRouteForNodesWithoutInstance: VNodes and non-ECS nodes cost no API
// call and no error; a node still waiting for its providerID is an error.
func TestNoRouteForNodesWithoutInstance(t *testing.T) {
	tests := []struct {
		name    string
		node    func(n *v1.Node)
		wantErr bool
	}{
		{name: "VNode", node: func(n *v1.Node) {
			n.Labels = map[string]string{"type": "virtual-kubelet"}
			n.Spec.ProviderID = testRegion + ".vnd-7xvetkyase7gb62u0000"
		}},
		{name: "no providerID", node: func(n *v1.Node) { n.Spec.ProviderID = "" }},
		{name: "another cloud's providerID", node: func(n *v1.Node) { n.Spec.ProviderID = "aws:///us-east-1a/i-0abc" }},
		{name: "not initialized yet", wantErr: true, node: func(n *v1.Node) {
			n.Spec.ProviderID = ""
			n.Spec.Taints = []v1.Taint{{Key: cloudproviderapi.TaintExternalCloudProvider, Effect: v1.TaintEffectNoSchedule}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{instances: 1})
			r := e.newRoutes(t)
			n := e.addNode(0, podCIDR(0))
			tc.node(n)
			err := r.CreateRoute(testCtx(t), "kubernetes", "hint", &k8scloudprovider.Route{TargetNode: types.NodeName(n.Name), DestinationCIDR: podCIDR(0)})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if calls := len(e.emu.Audit()); calls != 0 {
				t.Errorf("%d API calls, want none", calls)
			}
		})
	}
}

// TestIPv6PodCIDR routes an IPv6 pod CIDR only when the VPC has IPv6.
func TestIPv6PodCIDR(t *testing.T) {
	const v6 = "2408:4000:1000:10::/64"
	for _, vpcIPv6 := range []bool{false, true} {
		t.Run(fmt.Sprintf("vpc ipv6 %v", vpcIPv6), func(t *testing.T) {
			e := newEnv(t, envOptions{instances: 1, ipv6: vpcIPv6})
			r := e.newRoutes(t, func(c *Config) { c.ClusterCIDR = testCluster + "," + testIPv6CIDR })
			n := e.addNode(0, podCIDR(0), v6)
			if errs := createAll(testCtx(t), r, []*v1.Node{n}); len(errs) > 0 {
				t.Fatal(firstErr(errs))
			}
			got := e.entries(e.system)
			if _, ok := got[podCIDR(0)]; !ok {
				t.Error("IPv4 route missing")
			}
			if _, ok := got[v6]; ok != vpcIPv6 {
				t.Errorf("IPv6 route present = %v, want %v", ok, vpcIPv6)
			}
			routes, err := r.ListRoutes(testCtx(t), "kubernetes")
			if err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{false: 1, true: 2}[vpcIPv6]; len(routes) != want {
				t.Errorf("ListRoutes = %s, want %d routes", describe(routes), want)
			}
		})
	}
}

// TestRestartRemovesOrphans: routes made by one process, a node deleted
// while no CCM ran, a new process collects the orphan.
func TestRestartRemovesOrphans(t *testing.T) {
	e := newEnv(t, envOptions{instances: 3, delay: 100 * time.Millisecond})
	var nodes []*v1.Node
	for i := range 3 {
		nodes = append(nodes, e.addNode(i, podCIDR(i)))
	}
	if errs := createAll(testCtx(t), e.newRoutes(t), nodes); len(errs) > 0 {
		t.Fatal(firstErr(errs))
	}
	e.nodes.remove("node-1")
	restarted := e.newRoutes(t)
	routes, err := restarted.ListRoutes(testCtx(t), "kubernetes")
	if err != nil {
		t.Fatal(err)
	}
	var orphans int
	for _, rt := range routes {
		if rt.TargetNode == "" {
			orphans++
			if err := restarted.DeleteRoute(testCtx(t), "kubernetes", rt); err != nil {
				t.Fatal(err)
			}
		}
	}
	if orphans != 1 {
		t.Errorf("ListRoutes after restart = %s, want exactly the deleted node's route without a node", describe(routes))
	}
	left := e.entries(e.system)
	if _, ok := left[podCIDR(1)]; ok || len(left) != 2 {
		t.Errorf("entries after collection = %v, want node-0's and node-2's only", left)
	}
}

// TestSourceDestCheck: the check is read on every reconcile (ListRoutes)
// in one DescribeNetworkInterfaces per 100 instances, turned off where it is
// on, and a check turned back on later is found and turned off again; the
// flag skips it all.
func TestSourceDestCheck(t *testing.T) {
	for _, skip := range []bool{false, true} {
		t.Run(fmt.Sprintf("skip %v", skip), func(t *testing.T) {
			const n = 150
			e := newEnv(t, envOptions{instances: n})
			r := e.newRoutes(t, func(c *Config) { c.SkipDisableSourceDestCheck = skip })
			if !skip {
				r.srcDst.recheck = 0
			}
			var nodes []*v1.Node
			// Two pod CIDRs on node 0: two CreateRoute calls for its instance.
			nodes = append(nodes, e.addNode(0, podCIDR(0), podCIDR(n)))
			for i := 1; i < n; i++ {
				nodes = append(nodes, e.addNode(i, podCIDR(i)))
			}
			if errs := createAll(testCtx(t), r, nodes); len(errs) > 0 {
				t.Fatal(firstErr(errs))
			}
			modifies := e.emu.CallCount("ModifyNetworkInterfaceAttribute", "OK")
			lists := e.emu.CallCount("DescribeNetworkInterfaces", "OK")
			if skip {
				if modifies+lists != 0 {
					t.Errorf("%d ENI modifications and %d listings with the check skipped, want 0", modifies, lists)
				}
				return
			}
			// First reconcile: one VPC-wide listing finds every ENI and its state.
			if modifies != n || lists != 1 {
				t.Errorf("first reconcile: ModifyNetworkInterfaceAttribute %d times, DescribeNetworkInterfaces %d times; want %d and 1", modifies, lists, n)
			}
			for _, eni := range e.emu.Dump().ENIs {
				if eni.SourceDestCheck {
					t.Errorf("ENI %s of %s still checks source/destination", eni.NetworkInterfaceID, eni.InstanceID)
				}
			}
			// Later reconciles read the state by ENI ID, 100 per call, and
			// modify nothing that is off.
			e.emu.ResetAudit()
			routes, err := r.ListRoutes(testCtx(t), "kubernetes")
			if err != nil {
				t.Fatal(err)
			}
			if got, want := e.emu.CallCount("DescribeNetworkInterfaces", "OK"), (n+99)/100; got != want || len(routes) != n+1 {
				t.Errorf("steady reconcile: %d DescribeNetworkInterfaces calls for %d instances, want %d; %d routes listed, want %d",
					got, n, want, len(routes), n+1)
			}
			// Someone turns one check back on: the next reconcile leaves
			// that node's route out, and CreateRoute turns the check off.
			if err := e.emu.SetSourceDestCheck(e.enis[7], true); err != nil {
				t.Fatal(err)
			}
			routes, err = r.ListRoutes(testCtx(t), "kubernetes")
			if err != nil {
				t.Fatal(err)
			}
			if len(routes) != n || slices.ContainsFunc(routes, func(rt *k8scloudprovider.Route) bool { return rt.TargetNode == "node-7" }) {
				t.Errorf("with node-7's check on, ListRoutes = %d routes (node-7's among them?), want node-7's left out", len(routes))
			}
			if errs := createAll(testCtx(t), r, nodes[7:8]); len(errs) > 0 {
				t.Fatal(firstErr(errs))
			}
			if got := e.emu.CallCount("ModifyNetworkInterfaceAttribute", "OK"); got != 1 {
				t.Errorf("ModifyNetworkInterfaceAttribute %d times after one check was turned on, want 1", got)
			}
		})
	}
}

// TestConfigErrors covers settings that make every call fail clearly.
func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Config)
		custom  int
		wantErr string
	}{
		{name: "no cluster CIDR", mutate: func(c *Config) { c.ClusterCIDR = "" }, wantErr: "--cluster-cidr"},
		{name: "several tables, none configured", custom: 2, mutate: func(*Config) {}, wantErr: "Global.routeTableIDs"},
		{name: "configured table of another VPC", mutate: func(c *Config) { c.RouteTableIDs = []string{"vtb-elsewhere00000"} },
			wantErr: "vtb-elsewhere00000 in Global.routeTableIDs"},
		{name: "pod CIDR outside the cluster CIDR", mutate: func(c *Config) { c.ClusterCIDR = "10.0.0.0/8" }, wantErr: "outside --cluster-cidr"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{instances: 1, customTables: tc.custom})
			r := e.newRoutes(t, tc.mutate)
			n := e.addNode(0, podCIDR(0))
			err := r.CreateRoute(testCtx(t), "kubernetes", "hint", &k8scloudprovider.Route{TargetNode: types.NodeName(n.Name), DestinationCIDR: podCIDR(0)})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
			}
		})
	}
	if _, err := New(Config{VPC: nil}); err == nil {
		t.Error("New without clients: want an error")
	}
	if _, err := New(Config{VPC: (*fakeVPCNil)(nil), Nodes: newFakeNodes(), SkipDisableSourceDestCheck: true, ClusterCIDR: "not-a-cidr"}); err == nil {
		t.Error("New with a malformed --cluster-cidr: want an error")
	}
}

// fakeVPCNil satisfies VPCAPI for constructor tests; it is never called.
type fakeVPCNil struct{ VPCAPI }

// TestListRoutesLeavesOtherClustersOrphans: two clusters share the route
// table and this one's --cluster-cidr covers the other's pod CIDRs (or
// someone added an entry by hand). An entry whose instance is no node of
// ours is collected only if this cluster's CCM wrote it; anything else
// would delete the other cluster's routes.
func TestListRoutesLeavesOtherClustersOrphans(t *testing.T) {
	e := newEnv(t, envOptions{instances: 4})
	e.addNode(0, podCIDR(0))
	e.seedEntry(t, e.system, podCIDR(0), "Instance", instanceID(0))
	e.seedOwnedEntry(t, e.system, podCIDR(1), instanceID(1), "test-cluster")      // ours, node gone
	e.seedOwnedEntry(t, e.system, podCIDR(2), instanceID(2), "other-cluster")     // another cluster's CCM
	e.seedOwnedEntry(t, e.system, podCIDR(4), instanceID(2), "test-cluster-long") // another cluster, prefix of ours
	e.seedEntry(t, e.system, podCIDR(3), "Instance", instanceID(3))               // added by hand
	r := e.newRoutes(t, func(c *Config) { c.SkipDisableSourceDestCheck = true })
	got, err := r.ListRoutes(testCtx(t), "kubernetes")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]types.NodeName{podCIDR(0): "node-0", podCIDR(1): ""}
	if len(got) != len(want) {
		t.Errorf("ListRoutes = %s, want %v", describe(got), want)
	}
	for _, rt := range got {
		if node, ok := want[rt.DestinationCIDR]; !ok || node != rt.TargetNode {
			t.Errorf("route %+v reported, want target %q (expected %v)", rt, node, ok)
		}
	}
}

// TestEntryDescriptionKeepsOwnerMarker: a long node name must not push the
// cluster marker out of the 256-character description.
func TestEntryDescriptionKeepsOwnerMarker(t *testing.T) {
	w := &writer{clusterID: "test-cluster"}
	d := w.entryDescription(&op{node: strings.Repeat("n", 253)})
	if len(d) > 256 || !strings.Contains(d, ownerMarker("test-cluster")) {
		t.Errorf("description %q (%d chars) lacks the owner marker or is too long", d, len(d))
	}
}

// TestOwnerOfLegacyMarker: a marker of the shared old default proves
// nothing, so it reads as unmarked; this cluster's marker is ours even when
// it is the legacy ID itself (configured explicitly).
func TestOwnerOfLegacyMarker(t *testing.T) {
	tests := []struct {
		desc, cluster, legacy string
		want                  owner
	}{
		{"x, " + ownerMarker("uid-a"), "uid-a", "clusterid", ours},
		{"x, " + ownerMarker("clusterid"), "uid-a", "clusterid", unmarked},
		{"x, " + ownerMarker("uid-b"), "uid-a", "clusterid", otherCluster},
		{"x, " + ownerMarker("clusterid"), "clusterid", "", ours},
		{"added by hand", "uid-a", "clusterid", unmarked},
	}
	for _, tc := range tests {
		if got := ownerOf(tc.desc, tc.cluster, tc.legacy); got != tc.want {
			t.Errorf("ownerOf(%q, %q, %q) = %v, want %v", tc.desc, tc.cluster, tc.legacy, got, tc.want)
		}
	}
}
