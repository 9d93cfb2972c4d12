package nlb

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/nodeclass"
)

// fakeInstances answers ListInstances from a table (zone, vSwitch, VPC
// per instance ID) and counts the IDs asked for.
type fakeInstances struct {
	byID  map[string][3]string
	asked []string
}

func (f *fakeInstances) ListInstances(_ context.Context, ids []string) ([]ecs.Instance, error) {
	f.asked = append(f.asked, ids...)
	var out []ecs.Instance
	for _, id := range ids {
		if v, ok := f.byID[id]; ok {
			in := ecs.Instance{InstanceId: id, ZoneId: v[0]}
			in.VpcAttributes.VSwitchId, in.VpcAttributes.VpcId = v[1], v[2]
			out = append(out, in)
		}
	}
	return out, nil
}

// placed is a node and its instance's zone and vSwitch.
type placed struct{ zone, vsw, vpc string }

// TestZoneDefaults pins how a new NLB's zones are chosen without
// zone-maps: the nodes' zones (most nodes first), in each the vSwitch most
// nodes use (ties: the smaller ID), completed to two zones by cloud-config
// vswitchid entries of other zones; at most 10 zones; virtual nodes,
// nodes without an ECS providerID and instances of another VPC ignored;
// fewer than 2 zones is a ZoneError naming zone-maps.
func TestZoneDefaults(t *testing.T) {
	z := func(zone, vsw string) annotations.ZoneMap { return annotations.ZoneMap{ZoneID: zone, VSwitchID: vsw} }
	cases := []struct {
		name      string
		nodes     []placed
		virtual   int // extra virtual nodes
		vswitches []annotations.ZoneMap
		want      []string // zone:vsw in order
		wantErr   bool
	}{
		{name: "two zones, most nodes first", nodes: []placed{{"i", "vsw-i", ""}, {"h", "vsw-h", ""}, {"h", "vsw-h", ""}},
			want: []string{"h:vsw-h", "i:vsw-i"}},
		{name: "equal zones by name", nodes: []placed{{"i", "vsw-i", ""}, {"h", "vsw-h", ""}},
			want: []string{"h:vsw-h", "i:vsw-i"}},
		{name: "the vSwitch of most nodes in a zone", nodes: []placed{{"h", "vsw-h", ""}, {"h", "vsw-h2", ""}, {"h", "vsw-h2", ""}, {"i", "vsw-i", ""}},
			want: []string{"h:vsw-h2", "i:vsw-i"}},
		{name: "a tie takes the smaller ID", nodes: []placed{{"h", "vsw-h2", ""}, {"h", "vsw-h", ""}, {"i", "vsw-i", ""}},
			want: []string{"h:vsw-h", "i:vsw-i"}},
		{name: "one zone completed by cloud-config", nodes: []placed{{"h", "vsw-h", ""}},
			vswitches: []annotations.ZoneMap{z("h", "vsw-h9"), z("", "vsw-nozone"), z("j", "vsw-j"), z("i", "vsw-i")},
			want:      []string{"h:vsw-h", "j:vsw-j"}},
		{name: "cloud-config alone", vswitches: []annotations.ZoneMap{z("h", "vsw-h"), z("i", "vsw-i"), z("j", "vsw-j")},
			want: []string{"h:vsw-h", "i:vsw-i"}},
		{name: "two zones need no cloud-config", nodes: []placed{{"h", "vsw-h", ""}, {"i", "vsw-i", ""}},
			vswitches: []annotations.ZoneMap{z("j", "vsw-j")}, want: []string{"h:vsw-h", "i:vsw-i"}},
		{name: "another VPC's instance is ignored", nodes: []placed{{"h", "vsw-h", ""}, {"i", "vsw-x", "vpc-other"}}, wantErr: true},
		{name: "virtual nodes are ignored", nodes: []placed{{"h", "vsw-h", ""}}, virtual: 3, wantErr: true},
		{name: "no node, no cloud-config", wantErr: true},
		{name: "at most 10 zones", nodes: func() []placed {
			var p []placed
			for i := 0; i < 12; i++ {
				p = append(p, placed{fmt.Sprintf("z%02d", i), fmt.Sprintf("vsw-%02d", i), ""})
			}
			return p
		}(), want: []string{"z00:vsw-00", "z01:vsw-01", "z02:vsw-02", "z03:vsw-03", "z04:vsw-04", "z05:vsw-05", "z06:vsw-06", "z07:vsw-07", "z08:vsw-08", "z09:vsw-09"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeInstances{byID: map[string][3]string{}}
			var nodes []*v1.Node
			for i, p := range tc.nodes {
				id := nodeID(i)
				vpc := p.vpc
				if vpc == "" {
					vpc = testVPC
				}
				f.byID[id] = [3]string{p.zone, p.vsw, vpc}
				nodes = append(nodes, testNode(fmt.Sprintf("n%d", i), testRegion+"."+id, nil))
			}
			for i := 0; i < tc.virtual; i++ {
				id := nodeID(100 + i)
				f.byID[id] = [3]string{"j", "vsw-j", testVPC}
				nodes = append(nodes, testNode(fmt.Sprintf("v%d", i), testRegion+"."+id, map[string]string{nodeclass.VirtualLabel: nodeclass.VirtualValue}))
			}
			nodes = append(nodes, testNode("idc", "", nil)) // no ECS instance
			r := New(nil, nil, Options{VpcID: testVPC, ECS: f, VSwitches: tc.vswitches})
			got, err := r.createZones(context.Background(), &annotations.NLBConfig{}, nodes)
			if tc.wantErr {
				var ze *ZoneError
				if !errors.As(err, &ze) || !strings.Contains(err.Error(), string(annotations.KeyZoneMaps)) {
					t.Fatalf("want a ZoneError naming zone-maps, got %v %v", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, m := range got {
				s = append(s, m.ZoneId+":"+m.VSwitchId)
			}
			if !slices.Equal(s, tc.want) {
				t.Errorf("zones %v, want %v", s, tc.want)
			}
			for _, id := range f.asked {
				if strings.HasPrefix(id, "i-node01") {
					t.Errorf("a virtual node's instance was read: %s", id)
				}
			}
		})
	}
}

// TestZoneMapsWin: zone-maps gives the zones (with address and EIP) and
// no instance is read.
func TestZoneMapsWin(t *testing.T) {
	f := &fakeInstances{byID: map[string][3]string{nodeID(0): {"h", "vsw-h", testVPC}}}
	r := New(nil, nil, Options{VpcID: testVPC, ECS: f})
	cfg := &annotations.NLBConfig{LB: annotations.NLBInstance{ZoneMaps: []annotations.ZoneMap{
		{ZoneID: "i", VSwitchID: "vsw-i", PrivateIPv4: netip.MustParseAddr("10.0.0.5")}, {ZoneID: "j", VSwitchID: "vsw-j", EIPAllocationID: "eip-1"}}}}
	got, err := r.createZones(context.Background(), cfg, []*v1.Node{testNode("n", testRegion+"."+nodeID(0), nil)})
	if err != nil {
		t.Fatal(err)
	}
	want := []sdknlb.CreateLoadBalancerZoneMappings{{ZoneId: "i", VSwitchId: "vsw-i", PrivateIPv4Address: "10.0.0.5"}, {ZoneId: "j", VSwitchId: "vsw-j", AllocationId: "eip-1"}}
	if !slices.Equal(got, want) || len(f.asked) != 0 {
		t.Errorf("zones %+v (asked %v)", got, f.asked)
	}
}

// TestZoneErrorNoWrites: a Service whose zones cannot be chosen gets a
// Warning Event naming zone-maps and makes no write; the nodes are read
// in one DescribeInstances call.
func TestZoneErrorNoWrites(t *testing.T) {
	e := engineEnv(t, envOpts{nodes: 3, options: func(o *Options) { o.VSwitches = nil }})
	svc := testService("web", nil)
	e.emu.ResetAudit()
	_, err := e.step(svc, e.config(svc, nil))
	var ze *ZoneError
	if !errors.As(err, &ze) {
		t.Fatalf("want a ZoneError, got %v", err)
	}
	if w := e.writes(); len(w) != 0 {
		t.Errorf("writes %v", w)
	}
	if n := e.count("DescribeInstances"); n != 1 {
		t.Errorf("DescribeInstances calls %d, want 1", n)
	}
	if evs := e.drainEvents(); !hasEvent(evs, loadbalancer.ReasonSyncFailed) || !hasEvent(evs, "zone-maps") {
		t.Errorf("events %v", evs)
	}
}

// TestZonesFromNodesEndToEnd: nodes in three zones give a three-zone NLB.
func TestZonesFromNodesEndToEnd(t *testing.T) {
	e := engineEnv(t, envOpts{nodeVSwitches: []string{testVSwJ, testVSwH2, testVSwI, testVSwJ}, options: func(o *Options) { o.VSwitches = nil }})
	svc := testService("web", nil)
	e.converge(svc, e.config(svc, nil))
	var got []string
	for _, m := range e.only().ZoneMappings {
		got = append(got, m.ZoneId+":"+m.VSwitchId)
	}
	want := []string{testZoneJ + ":" + testVSwJ, testZoneH + ":" + testVSwH2, testZoneI + ":" + testVSwI}
	if !slices.Equal(got, want) {
		t.Errorf("zones %v, want %v", got, want)
	}
}

// TestZonesDiffer pins when zone-maps asks for UpdateLoadBalancerZones.
func TestZonesDiffer(t *testing.T) {
	have := []sdknlb.ZoneMapping{
		{ZoneId: "h", VSwitchId: "vsw-h", LoadBalancerAddresses: []sdknlb.LoadBalancerAddress{{PrivateIPv4Address: "10.0.0.5"}}},
		{ZoneId: "i", VSwitchId: "vsw-i"}}
	ip := netip.MustParseAddr
	cases := []struct {
		name string
		want []annotations.ZoneMap
		diff bool
	}{
		{"same, other order", []annotations.ZoneMap{{ZoneID: "i", VSwitchID: "vsw-i"}, {ZoneID: "h", VSwitchID: "vsw-h"}}, false},
		{"same fixed address", []annotations.ZoneMap{{ZoneID: "h", VSwitchID: "vsw-h", PrivateIPv4: ip("10.0.0.5")}, {ZoneID: "i", VSwitchID: "vsw-i"}}, false},
		{"another fixed address", []annotations.ZoneMap{{ZoneID: "h", VSwitchID: "vsw-h", PrivateIPv4: ip("10.0.0.6")}, {ZoneID: "i", VSwitchID: "vsw-i"}}, true},
		{"another vSwitch", []annotations.ZoneMap{{ZoneID: "h", VSwitchID: "vsw-h2"}, {ZoneID: "i", VSwitchID: "vsw-i"}}, true},
		{"a zone more", []annotations.ZoneMap{{ZoneID: "h", VSwitchID: "vsw-h"}, {ZoneID: "i", VSwitchID: "vsw-i"}, {ZoneID: "j", VSwitchID: "vsw-j"}}, true},
		{"another zone", []annotations.ZoneMap{{ZoneID: "h", VSwitchID: "vsw-h"}, {ZoneID: "j", VSwitchID: "vsw-j"}}, true},
	}
	for _, tc := range cases {
		if got := zonesDiffer(tc.want, have); got != tc.diff {
			t.Errorf("%s: differ %v, want %v", tc.name, got, tc.diff)
		}
	}
	u := *updateZones([]annotations.ZoneMap{{ZoneID: "h", VSwitchID: "vsw-h", PrivateIPv4: ip("10.0.0.5"), EIPAllocationID: "eip-1"}})
	if len(u) != 1 || u[0].PrivateIPv4Address != "10.0.0.5" || u[0].AllocationId != "eip-1" {
		t.Errorf("update zones %+v", u)
	}
}
