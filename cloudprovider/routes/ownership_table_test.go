package routes

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	k8scloudprovider "k8s.io/cloud-provider"
	cloudproviderapi "k8s.io/cloud-provider/api"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// seeded is one pre-existing entry of a ListRoutes ownership case.
type seeded struct {
	dst    string
	hop    int    // instance index
	marker string // cluster ID of the owner marker; "" unmarked
	status string // "" Available
}

// TestListRoutesOwnershipTable: this cluster is "uid-a", whose CCM used the
// old shared default "clusterid" before the identity was resolved. Node 0
// (pod CIDR 0) and node 1 (pod CIDR 1) are live; instances 2 and 3 are no
// node's. Each row seeds one entry and says whether ListRoutes reports it,
// and with which node (reported with no node = collected by the framework).
func TestListRoutesOwnershipTable(t *testing.T) {
	tests := []struct {
		name     string
		entry    seeded
		reported bool
		node     types.NodeName
	}{
		{"ours, exact node route", seeded{podCIDR(0), 0, "uid-a", ""}, true, "node-0"},
		{"unmarked, exact node route: adopted", seeded{podCIDR(0), 0, "", ""}, true, "node-0"},
		{"legacy marker, exact node route: adopted", seeded{podCIDR(0), 0, "clusterid", ""}, true, "node-0"},
		{"another cluster's marker, exact node route: left", seeded{podCIDR(0), 0, "uid-b", ""}, false, ""},
		{"ours, instance of no node: collected", seeded{podCIDR(2), 2, "uid-a", ""}, true, ""},
		{"legacy marker, instance of no node: left", seeded{podCIDR(2), 2, "clusterid", ""}, false, ""},
		{"unmarked, instance of no node: left", seeded{podCIDR(2), 2, "", ""}, false, ""},
		{"ours, a node's instance, stale CIDR: collected", seeded{podCIDR(9), 0, "uid-a", ""}, true, "node-0"},
		{"legacy marker, a node's instance, stale CIDR: left", seeded{podCIDR(9), 0, "clusterid", ""}, false, ""},
		{"ours, node 1's CIDR to node 0's instance", seeded{podCIDR(1), 0, "uid-a", ""}, true, "node-0"},
		{"unmarked, node 1's CIDR to node 0's instance: left", seeded{podCIDR(1), 0, "", ""}, false, ""},
		{"ours, Pending, instance of no node: collected (the delete waits for it to settle)", seeded{podCIDR(2), 2, "uid-a", "Pending"}, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{instances: 4})
			e.addNode(0, podCIDR(0))
			e.addNode(1, podCIDR(1))
			desc := "added by hand"
			if tc.entry.marker != "" {
				desc = "Pod CIDR route of node x, " + ownerMarker(tc.entry.marker)
			}
			if err := e.emu.Seed(emulator.SeedState{RouteEntries: []emulator.SeedRouteEntry{{RouteTableID: e.system,
				DestinationCidrBlock: tc.entry.dst, NextHopType: "Instance", NextHopID: instanceID(tc.entry.hop),
				Description: desc, Status: tc.entry.status}}}); err != nil {
				t.Fatal(err)
			}
			r := e.newRoutes(t, func(c *Config) { c.SkipDisableSourceDestCheck = true })
			r.SetClusterID("uid-a", "clusterid")
			got, err := r.ListRoutes(testCtx(t), "kubernetes")
			if err != nil {
				t.Fatal(err)
			}
			var found *k8scloudprovider.Route
			for _, rt := range got {
				if rt.DestinationCIDR == tc.entry.dst {
					found = rt
				}
			}
			if (found != nil) != tc.reported {
				t.Fatalf("ListRoutes = %s; want %s reported: %v", describe(got), tc.entry.dst, tc.reported)
			}
			if found != nil {
				if found.TargetNode != tc.node {
					t.Errorf("route %s target %q, want %q", found.DestinationCIDR, found.TargetNode, tc.node)
				}
				if want := routeName(instanceID(tc.entry.hop), netip.MustParsePrefix(tc.entry.dst)); found.Name != want {
					t.Errorf("route name %q, want %q (DeleteRoute finds the entry by it)", found.Name, want)
				}
			}
		})
	}
}

// TestListRoutesAcrossTables: with several route tables a live node's
// route is reported only when every table has it (else the framework calls
// CreateRoute, which fills the gap); an orphan of ours is reported as soon
// as any table has it, and DeleteRoute removes it from every table.
func TestListRoutesAcrossTables(t *testing.T) {
	e := newEnv(t, envOptions{instances: 3, customTables: 1})
	e.addNode(0, podCIDR(0))
	e.addNode(1, podCIDR(1))
	tables := []string{e.system, e.custom[0]}
	for _, tb := range tables {
		e.seedOwnedEntry(t, tb, podCIDR(0), instanceID(0), "test-cluster")
	}
	e.seedOwnedEntry(t, e.system, podCIDR(1), instanceID(1), "test-cluster") // missing from the custom table
	e.seedOwnedEntry(t, e.custom[0], podCIDR(2), instanceID(2), "test-cluster")
	r := e.newRoutes(t, func(c *Config) {
		c.SkipDisableSourceDestCheck = true
		c.RouteTableIDs = tables
	})
	got, err := r.ListRoutes(testCtx(t), "kubernetes")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]types.NodeName{podCIDR(0): "node-0", podCIDR(2): ""}
	if len(got) != len(want) {
		t.Fatalf("ListRoutes = %s, want %v", describe(got), want)
	}
	for _, rt := range got {
		if node, ok := want[rt.DestinationCIDR]; !ok || node != rt.TargetNode {
			t.Errorf("route %s -> %q, want %q (expected %v)", rt.DestinationCIDR, rt.TargetNode, node, ok)
		}
	}
	// The framework's answer to that list: CreateRoute for node 1, DeleteRoute for the orphan.
	if err := r.CreateRoute(testCtx(t), "kubernetes", "", &k8scloudprovider.Route{TargetNode: "node-1", DestinationCIDR: podCIDR(1)}); err != nil {
		t.Fatal(err)
	}
	for _, rt := range got {
		if rt.TargetNode == "" {
			if err := r.DeleteRoute(testCtx(t), "kubernetes", rt); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tb := range tables {
		left := e.entries(tb)
		if _, ok := left[podCIDR(2)]; ok {
			t.Errorf("table %s still has the orphan %s", tb, podCIDR(2))
		}
		if left[podCIDR(1)].NextHopID != instanceID(1) {
			t.Errorf("table %s lacks node-1's route: %v", tb, left)
		}
	}
	if got, err := r.ListRoutes(testCtx(t), "kubernetes"); err != nil || len(got) != 2 {
		t.Errorf("after convergence ListRoutes = %s, %v; want node-0's and node-1's", describe(got), err)
	}
}

// TestListRoutesNodeForSharedInstance: two Node objects naming one
// instance (a re-registered node with a stale twin) must not make the live
// route look like another node's, which the framework would delete.
func TestListRoutesNodeForSharedInstance(t *testing.T) {
	e := newEnv(t, envOptions{instances: 1})
	stale := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "a-stale"}, Spec: v1.NodeSpec{ProviderID: testRegion + "." + instanceID(0), PodCIDR: podCIDR(7), PodCIDRs: []string{podCIDR(7)}}}
	e.nodes.add(stale)
	e.addNode(0, podCIDR(0))
	e.seedOwnedEntry(t, e.system, podCIDR(0), instanceID(0), "test-cluster")
	r := e.newRoutes(t, func(c *Config) { c.SkipDisableSourceDestCheck = true })
	got, err := r.ListRoutes(testCtx(t), "kubernetes")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].TargetNode != "node-0" {
		t.Errorf("ListRoutes = %s, want %s -> node-0", describe(got), podCIDR(0))
	}
}

// TestDeleteRouteDecisions: which entry a DeleteRoute call may remove.
func TestDeleteRouteDecisions(t *testing.T) {
	tests := []struct {
		name    string
		seed    seeded
		route   k8scloudprovider.Route
		deleted bool
		wantErr string
	}{
		{name: "named by ListRoutes, ours", seed: seeded{podCIDR(2), 2, "test-cluster", ""},
			route: k8scloudprovider.Route{Name: instanceID(2) + "/" + podCIDR(2), DestinationCIDR: podCIDR(2)}, deleted: true},
		{name: "named by ListRoutes, another cluster's since", seed: seeded{podCIDR(2), 2, "other", ""},
			route: k8scloudprovider.Route{Name: instanceID(2) + "/" + podCIDR(2), DestinationCIDR: podCIDR(2)}, deleted: false},
		{name: "named by ListRoutes, now to another instance", seed: seeded{podCIDR(2), 1, "test-cluster", ""},
			route: k8scloudprovider.Route{Name: instanceID(2) + "/" + podCIDR(2), DestinationCIDR: podCIDR(2)}, deleted: false},
		{name: "framework name, found by target node", seed: seeded{podCIDR(0), 0, "test-cluster", ""},
			route: k8scloudprovider.Route{Name: "node-0-hint", TargetNode: "node-0", DestinationCIDR: podCIDR(0)}, deleted: true},
		{name: "name and destination disagree: the target node decides", seed: seeded{podCIDR(0), 0, "test-cluster", ""},
			route: k8scloudprovider.Route{Name: instanceID(2) + "/" + podCIDR(5), TargetNode: "node-0", DestinationCIDR: podCIDR(0)}, deleted: true},
		{name: "neither instance nor node", seed: seeded{podCIDR(0), 0, "test-cluster", ""},
			route: k8scloudprovider.Route{Name: "x", DestinationCIDR: podCIDR(0)}, wantErr: "neither an instance nor a node"},
		{name: "unknown node", seed: seeded{podCIDR(0), 0, "test-cluster", ""},
			route: k8scloudprovider.Route{Name: "x", TargetNode: "node-9", DestinationCIDR: podCIDR(0)}, wantErr: "node-9"},
		{name: "malformed destination", seed: seeded{podCIDR(0), 0, "test-cluster", ""},
			route: k8scloudprovider.Route{Name: "x", DestinationCIDR: "172.16.0.0/33"}, wantErr: "not a CIDR"},
		{name: "already gone is success", seed: seeded{podCIDR(0), 0, "test-cluster", ""},
			route: k8scloudprovider.Route{Name: instanceID(2) + "/" + podCIDR(3), DestinationCIDR: podCIDR(3)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{instances: 3})
			e.addNode(0, podCIDR(0))
			e.seedOwnedEntry(t, e.system, tc.seed.dst, instanceID(tc.seed.hop), tc.seed.marker)
			r := e.newRoutes(t, func(c *Config) { c.SkipDisableSourceDestCheck = true })
			err := r.DeleteRoute(testCtx(t), "kubernetes", &tc.route)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			_, still := e.entries(e.system)[tc.seed.dst]
			if still == tc.deleted {
				t.Errorf("entry %s still there: %v, want deleted: %v", tc.seed.dst, still, tc.deleted)
			}
			if _, deletes, _ := e.writeCalls(); !tc.deleted && deletes != 0 {
				t.Errorf("%d delete calls for an entry that is not ours to delete", deletes)
			}
		})
	}
}

// TestNodeInstance is the table of which nodes get a route.
func TestNodeInstance(t *testing.T) {
	taint := v1.Taint{Key: cloudproviderapi.TaintExternalCloudProvider, Effect: v1.TaintEffectNoSchedule}
	tests := []struct {
		name     string
		node     v1.Node
		instance string
		skip     bool
		wantErr  string
	}{
		{name: "ECS node", node: v1.Node{Spec: v1.NodeSpec{ProviderID: "cn-hangzhou.i-abc"}}, instance: "i-abc"},
		{name: "alicloud:// providerID", node: v1.Node{Spec: v1.NodeSpec{ProviderID: "alicloud://cn-hangzhou.i-abc"}}, instance: "i-abc"},
		{name: "virtual node, even with an ECS-looking ID", node: v1.Node{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"type": "virtual-kubelet"}},
			Spec: v1.NodeSpec{ProviderID: "cn-hangzhou.i-abc"}}, skip: true},
		{name: "another provider's node", node: v1.Node{Spec: v1.NodeSpec{ProviderID: "aws:///us-east-1a/i-0abc"}}, skip: true},
		{name: "initialised node without providerID (data centre)", node: v1.Node{}, skip: true},
		{name: "uninitialised node: its route waits", node: v1.Node{Spec: v1.NodeSpec{Taints: []v1.Taint{taint}}}, skip: true, wantErr: "not initialized"},
		{name: "tainted node with providerID", node: v1.Node{Spec: v1.NodeSpec{ProviderID: "cn-hangzhou.i-abc", Taints: []v1.Taint{taint}}}, instance: "i-abc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.node.Name = "n"
			inst, skip, err := nodeInstance(&tc.node)
			if inst != tc.instance || skip != tc.skip || (err == nil) != (tc.wantErr == "") ||
				(err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("nodeInstance = %q, %v, %v; want %q, %v, %q", inst, skip, err, tc.instance, tc.skip, tc.wantErr)
			}
		})
	}
}

// TestParseCIDR pins how route destinations are canonicalised: the VPC
// lists host bits cleared, so the comparison must too.
func TestParseCIDR(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"172.16.1.0/24", "172.16.1.0/24", false},
		{"172.16.1.5/24", "172.16.1.0/24", false},
		{" 172.16.1.0/24 ", "172.16.1.0/24", false},
		{"172.16.1.5", "172.16.1.5/32", false},
		{"fd00::1", "fd00::1/128", false},
		{"FD00:10::5/56", "fd00:10::/56", false},
		{"172.16.1.0/33", "", true},
		{"172.16.1/24", "", true},
		{"", "", true},
		{"node-1", "", true},
	}
	for _, tc := range tests {
		got, err := parseCIDR(tc.in)
		if (err != nil) != tc.wantErr || (err == nil && got.String() != tc.want) {
			t.Errorf("parseCIDR(%q) = %v, %v; want %q (error %v)", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
	c, err := parseClusterCIDRs("172.16.0.0/16,,fd00:10::/56")
	if err != nil || c.String() != "172.16.0.0/16,fd00:10::/56" {
		t.Errorf("parseClusterCIDRs = %v, %v", c, err)
	}
	if c, err := parseClusterCIDRs("172.16.9.9/16"); err != nil || c.String() != "172.16.0.0/16" {
		t.Errorf("host bits of --cluster-cidr are cleared: %v, %v", c, err)
	}
}

// TestErrorMessages: each refusal names what the operator must change.
func TestErrorMessages(t *testing.T) {
	dst := netip.MustParsePrefix("172.16.1.0/24")
	tests := []struct {
		err  error
		want []string
	}{
		{&ConflictError{Table: "vtb-1", Dst: dst, Instance: "i-a", Have: "i-b", HaveType: "Instance"},
			[]string{"vtb-1", "172.16.1.0/24", "i-a", "i-b", "two nodes claim the same pod CIDR"}},
		{&ConflictError{Table: "vtb-1", Dst: dst, Instance: "i-a", Have: "vpn-1", HaveType: "VpnGateway"},
			[]string{"VpnGateway vpn-1", "remove that entry or change the node's pod CIDR"}},
		{&QuotaError{Table: "vtb-1", Dst: dst, Code: "QuotaExceeded.RouteEntry"},
			[]string{"vtb-1", "172.16.1.0/24", "QuotaExceeded.RouteEntry", QuotaName, "Quota Center"}},
		{&EntryError{Action: "create route", Table: "vtb-1", Dst: dst, Code: "InvalidNextHop", Message: "bad hop"},
			[]string{"create route 172.16.1.0/24 in route table vtb-1: InvalidNextHop: bad hop"}},
	}
	for _, tc := range tests {
		for _, w := range tc.want {
			if !strings.Contains(tc.err.Error(), w) {
				t.Errorf("%q lacks %q", tc.err.Error(), w)
			}
		}
	}
}

// countingVPC counts the VPC reads that vpcInfo caches.
type countingVPC struct {
	VPCAPI
	attrs, lists int
	tables       []vpc.RouterTableListType
	ipv6         string
}

func (c *countingVPC) DescribeVpcAttribute(context.Context, *vpc.DescribeVpcAttributeRequest) (*vpc.DescribeVpcAttributeResponse, error) {
	c.attrs++
	return &vpc.DescribeVpcAttributeResponse{Ipv6CidrBlock: c.ipv6}, nil
}

func (c *countingVPC) DescribeRouteTableList(_ context.Context, req *vpc.DescribeRouteTableListRequest) (*vpc.DescribeRouteTableListResponse, error) {
	c.lists++
	page, _ := req.PageNumber.GetValue()
	size, _ := req.PageSize.GetValue()
	resp := &vpc.DescribeRouteTableListResponse{TotalCount: len(c.tables)}
	lo := min((page-1)*size, len(c.tables))
	resp.RouterTableList.RouterTableListType = c.tables[lo:min(lo+size, len(c.tables))]
	return resp, nil
}

// TestVPCInfoCache: the tables and IPv6 state are read once per
// vpcInfoTTL, paging through large table lists; a read that fails the
// selection is not cached.
func TestVPCInfoCache(t *testing.T) {
	now := time.Unix(1000, 0)
	var many []vpc.RouterTableListType
	for i := range 120 {
		many = append(many, vpc.RouterTableListType{RouteTableId: fmt.Sprintf("vtb-%03d", i), RouteTableType: "Custom"})
	}
	api := &countingVPC{tables: many, ipv6: "2408:4000::/56"}
	v := &vpcInfo{api: api, vpcID: "vpc-1", configured: []string{"vtb-119"}, now: func() time.Time { return now }}
	for range 3 {
		tables, ipv6, err := v.get(context.Background())
		if err != nil || len(tables) != 1 || tables[0] != "vtb-119" || !ipv6 {
			t.Fatalf("get = %v, %v, %v", tables, ipv6, err)
		}
	}
	if api.attrs != 1 || api.lists != 3 {
		t.Errorf("first read: %d attribute and %d list calls, want 1 and 3 (120 tables at %d a page)", api.attrs, api.lists, routeTablePageSize)
	}
	now = now.Add(vpcInfoTTL)
	if _, _, err := v.get(context.Background()); err != nil || api.attrs != 2 {
		t.Errorf("after the TTL: err %v, %d attribute calls; want a fresh read", err, api.attrs)
	}
	// A selection error is not cached: the next call reads again.
	bad := &countingVPC{tables: many[:2]}
	v = &vpcInfo{api: bad, vpcID: "vpc-1", now: func() time.Time { return now }}
	for range 2 {
		if _, _, err := v.get(context.Background()); err == nil || !strings.Contains(err.Error(), "Global.routeTableIDs") {
			t.Fatalf("two tables, none configured: err = %v", err)
		}
	}
	if bad.attrs != 2 {
		t.Errorf("%d reads for two failing calls, want 2 (errors are not cached)", bad.attrs)
	}
}
