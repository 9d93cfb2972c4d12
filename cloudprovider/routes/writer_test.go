package routes

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
	v1 "k8s.io/api/core/v1"
)

// hookedVPC forwards to the real client and lets a test act just before a
// CreateRouteEntries call reaches the emulator, or replace its answer.
type hookedVPC struct {
	VPCAPI
	mu      sync.Mutex
	calls   int
	before  func(call int)                                 // runs before the call is forwarded
	replace func(call int) *vpc.CreateRouteEntriesResponse // non-nil answer: not forwarded
}

func (h *hookedVPC) CreateRouteEntries(ctx context.Context, req *vpc.CreateRouteEntriesRequest) (*vpc.CreateRouteEntriesResponse, error) {
	h.mu.Lock()
	h.calls++
	n := h.calls
	h.mu.Unlock()
	if h.before != nil {
		h.before(n)
	}
	if h.replace != nil {
		if resp := h.replace(n); resp != nil {
			return resp, nil
		}
	}
	return h.VPCAPI.CreateRouteEntries(ctx, req)
}

// TestPerEntryFailures drives the batch call's per-entry answers: a CIDR
// taken between our listing and our write (by the same instance: success;
// by another: conflict), and a busy refusal that is sent again.
func TestPerEntryFailures(t *testing.T) {
	tests := []struct {
		name      string
		raceHop   int  // instance index that takes the CIDR just before our write; -1: none
		busyFirst bool // the first call's entry is refused as busy
		wantErr   string
		wantCalls int
	}{
		{name: "raced by the same instance", raceHop: 0, wantCalls: 1},
		{name: "raced by another instance", raceHop: 1, wantErr: instanceID(1), wantCalls: 1},
		{name: "busy entry is sent again", raceHop: -1, busyFirst: true, wantCalls: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{instances: 2})
			hook := &hookedVPC{VPCAPI: e.clients.VPC}
			if tc.raceHop >= 0 {
				hook.before = func(call int) {
					if call == 1 {
						e.seedEntry(t, e.system, podCIDR(0), "Instance", instanceID(tc.raceHop))
					}
				}
			}
			if tc.busyFirst {
				hook.replace = func(call int) *vpc.CreateRouteEntriesResponse {
					if call != 1 {
						return nil
					}
					return &vpc.CreateRouteEntriesResponse{FailedCount: 1, FailedRouteEntries: []vpc.FailedRouteEntriesItem{{
						DstCidrBlock: podCIDR(0), NextHop: instanceID(0), FailedCode: "VPC_ROUTE_ENTRY_STATUS_ERROR", FailedMessage: "busy"}}}
				}
			}
			r := e.newRoutes(t, func(c *Config) { c.VPC = hook })
			n := e.addNode(0, podCIDR(0))
			err := createAll(testCtx(t), r, []*v1.Node{n})[n.Name]
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatal(err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("err = %v, want it to name %s", err, tc.wantErr)
			}
			if hook.calls != tc.wantCalls {
				t.Errorf("CreateRouteEntries calls = %d, want %d", hook.calls, tc.wantCalls)
			}
			if got := e.entries(e.system)[podCIDR(0)]; tc.wantErr == "" && got.NextHopID != instanceID(0) {
				t.Errorf("entry = %+v, want it to route to %s", got, instanceID(0))
			}
		})
	}
}

// TestBusyGivesUp: an entry refused as busy on every attempt ends in an
// error after MaxAttempts sends, not in an endless loop.
func TestBusyGivesUp(t *testing.T) {
	e := newEnv(t, envOptions{instances: 1})
	hook := &hookedVPC{VPCAPI: e.clients.VPC, replace: func(int) *vpc.CreateRouteEntriesResponse {
		return &vpc.CreateRouteEntriesResponse{FailedCount: 1, FailedRouteEntries: []vpc.FailedRouteEntriesItem{{
			DstCidrBlock: podCIDR(0), NextHop: instanceID(0), FailedCode: "TaskConflict", FailedMessage: "busy"}}}
	}}
	r := e.newRoutes(t, func(c *Config) {
		c.VPC = hook
		c.Tuning.MaxAttempts = 3
	})
	n := e.addNode(0, podCIDR(0))
	err := createAll(testCtx(t), r, []*v1.Node{n})[n.Name]
	if err == nil || !strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Fatalf("err = %v, want it to give up after 3 attempts", err)
	}
	if hook.calls != 3 || r.Stats().BusyRefusals != 3 {
		t.Errorf("calls %d, busy refusals %d; want 3 and 3", hook.calls, r.Stats().BusyRefusals)
	}
}

// TestCallerLeaves: a caller whose context ends gets its error at once and
// its op is dropped before it is sent.
func TestCallerLeaves(t *testing.T) {
	e := newEnv(t, envOptions{instances: 1})
	r := e.newRoutes(t, func(c *Config) { c.SkipDisableSourceDestCheck = true })
	n := e.addNode(0, podCIDR(0))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := createAll(ctx, r, []*v1.Node{n})[n.Name]; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if creates, _, _ := e.writeCalls(); creates != 0 {
		t.Errorf("%d create calls for a caller that left", creates)
	}
}

func TestClusterCIDRs(t *testing.T) {
	c, err := parseClusterCIDRs(" 172.16.0.0/16, fd00:10::/56 ")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		dst  string
		want bool
	}{
		{"172.16.3.0/24", true},
		{"172.16.3.7", true}, // bare address: a /32
		{"172.16.0.0/16", true},
		{"172.16.0.0/12", false}, // wider: someone else's
		{"10.0.0.0/24", false},
		{"fd00:10:0:1::/64", true},
		{"fd00:11::/64", false},
		{"::ffff:172.16.3.0/120", false}, // IPv4-mapped IPv6 is not the IPv4 range
	}
	for _, tc := range tests {
		p, err := parseCIDR(tc.dst)
		if err != nil {
			t.Fatalf("%s: %v", tc.dst, err)
		}
		if got := c.contains(p); got != tc.want {
			t.Errorf("contains(%s) = %v, want %v", tc.dst, got, tc.want)
		}
	}
	if _, err := parseClusterCIDRs("172.16.0.0/16,bogus"); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("malformed cluster CIDR: err = %v", err)
	}
}

func TestRouteName(t *testing.T) {
	dst := netip.MustParsePrefix("172.16.3.0/24")
	tests := []struct {
		name     string
		instance string
		ok       bool
	}{
		{name: routeName("i-abc", dst), instance: "i-abc", ok: true},
		{name: "i-abc/2408:4000::/64", instance: "i-abc", ok: true},
		{name: "node-1", ok: false},
		{name: "vpn-1/172.16.3.0/24", ok: false},
		{name: "i-abc/garbage", ok: false},
	}
	for _, tc := range tests {
		inst, _, ok := parseRouteName(tc.name)
		if ok != tc.ok || inst != tc.instance {
			t.Errorf("parseRouteName(%q) = %q, %v; want %q, %v", tc.name, inst, ok, tc.instance, tc.ok)
		}
	}
}

func TestFromAPIOwnership(t *testing.T) {
	c, _ := parseClusterCIDRs(testCluster)
	hop := func(typ, id string) vpc.NextHopsInDescribeRouteTables {
		return vpc.NextHopsInDescribeRouteTables{NextHop: []vpc.NextHop{{NextHopType: typ, NextHopId: id}}}
	}
	tests := []struct {
		name string
		in   vpc.RouteEntry
		want bool
	}{
		{"custom instance route inside", vpc.RouteEntry{Type: "Custom", DestinationCidrBlock: "172.16.1.0/24", NextHops: hop("Instance", "i-1")}, true},
		{"flat fields of older answers", vpc.RouteEntry{Type: "Custom", DestinationCidrBlock: "172.16.1.0/24", NextHopType: "Instance", InstanceId: "i-1"}, true},
		{"outside the cluster", vpc.RouteEntry{Type: "Custom", DestinationCidrBlock: "10.0.1.0/24", NextHops: hop("Instance", "i-1")}, false},
		{"VPN next hop", vpc.RouteEntry{Type: "Custom", DestinationCidrBlock: "172.16.1.0/24", NextHops: hop("VpnGateway", "vpn-1")}, false},
		{"system route", vpc.RouteEntry{Type: "System", DestinationCidrBlock: "172.16.1.0/24", NextHops: hop("Instance", "i-1")}, false},
		{"ECMP", vpc.RouteEntry{Type: "Custom", DestinationCidrBlock: "172.16.1.0/24", NextHops: vpc.NextHopsInDescribeRouteTables{
			NextHop: []vpc.NextHop{{NextHopType: "Instance", NextHopId: "i-1"}, {NextHopType: "Instance", NextHopId: "i-2"}}}}, false},
	}
	for _, tc := range tests {
		e, ok := fromAPI("vtb-1", tc.in)
		if !ok || e.owned(c) != tc.want {
			t.Errorf("%s: owned = %v (parsed %v), want %v", tc.name, e.owned(c), ok, tc.want)
		}
	}
}

func TestChooseTables(t *testing.T) {
	sys := vpc.RouterTableListType{RouteTableId: "vtb-sys", RouteTableType: "System"}
	custom := vpc.RouterTableListType{RouteTableId: "vtb-c1", RouteTableType: "Custom"}
	tests := []struct {
		name       string
		configured []string
		found      []vpc.RouterTableListType
		want       string
		wantErr    string
	}{
		{name: "only the system table", found: []vpc.RouterTableListType{sys}, want: "vtb-sys"},
		{name: "custom tables, none configured", found: []vpc.RouterTableListType{sys, custom}, wantErr: "set Global.routeTableIDs"},
		{name: "configured tables", configured: []string{"vtb-c1", "vtb-sys"}, found: []vpc.RouterTableListType{sys, custom}, want: "vtb-c1,vtb-sys"},
		{name: "configured unknown table", configured: []string{"vtb-nope"}, found: []vpc.RouterTableListType{sys}, wantErr: "vtb-nope in Global.routeTableIDs"},
		{name: "no table", wantErr: "no route table"},
	}
	for _, tc := range tests {
		v := &vpcInfo{vpcID: "vpc-1", configured: tc.configured}
		got, err := v.choose(tc.found)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: err = %v, want %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil || strings.Join(got, ",") != tc.want {
			t.Errorf("%s: got %v, %v; want %s", tc.name, got, err, tc.want)
		}
	}
}
