package emulator

import (
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

// TestAddressesSharedAcrossProducts: CLB and NLB take their private
// addresses from one per-vSwitch allocator, so neither hands out an address
// the other holds, whether picked or requested.
func TestAddressesSharedAcrossProducts(t *testing.T) {
	e, tc := newTestEmulator(t)
	seedBasic(t, e)
	nc := nlbClient(t, tc.Host)
	free := func() int64 {
		t.Helper()
		r := vpc.CreateDescribeVSwitchesRequest()
		r.VSwitchId = testVSWH
		resp, err := tc.VPC.DescribeVSwitches(r)
		if err != nil || len(resp.VSwitches.VSwitch) != 1 {
			t.Fatalf("DescribeVSwitches: %v", err)
		}
		return resp.VSwitches.VSwitch[0].AvailableIpAddressCount
	}
	before := free()

	// An NLB holds 192.168.0.1, the lowest usable address of vsw-h.
	req := newNLBReq("nlb-low")
	req.AddressType = "Intranet"
	req.ZoneMappings = &[]nlb.CreateLoadBalancerZoneMappings{
		{ZoneId: "cn-hangzhou-h", VSwitchId: testVSWH, PrivateIPv4Address: "192.168.0.1"},
		{ZoneId: "cn-hangzhou-i", VSwitchId: testVSWI}}
	if _, err := nc.CreateLoadBalancer(req); err != nil {
		t.Fatalf("CreateLoadBalancer (NLB): %v", err)
	}

	// A CLB asking for it is refused; one picking gets the next free address.
	r := newLBReq("clb-same")
	r.Address = "192.168.0.1"
	_, err := tc.SLB.CreateLoadBalancer(r)
	wantErr(t, err, "InvalidParameter", 400)
	got, err := tc.SLB.CreateLoadBalancer(newLBReq("clb-pick"))
	if err != nil {
		t.Fatalf("CreateLoadBalancer (CLB): %v", err)
	}
	if got.Address != "192.168.0.2" {
		t.Fatalf("CLB got %s, want 192.168.0.2 (192.168.0.1 is the NLB's)", got.Address)
	}

	// An NLB asking for the CLB's address is refused.
	req = newNLBReq("nlb-clash")
	(*req.ZoneMappings)[0].PrivateIPv4Address = got.Address
	_, err = nc.CreateLoadBalancer(req)
	wantErr(t, err, "ResourceInUse.IP", 400)

	// Both addresses count as taken in the vSwitch.
	if after := free(); after != before-2 {
		t.Fatalf("AvailableIpAddressCount %d -> %d, want 2 fewer", before, after)
	}
}

// TestAddressesReserved: the first and the last three addresses of a
// vSwitch are never handed out, to either product.
func TestAddressesReserved(t *testing.T) {
	e, tc := newTestEmulator(t)
	seedBasic(t, e)
	nc := nlbClient(t, tc.Host)
	for _, ip := range []string{"192.168.0.0", "192.168.0.253", "192.168.0.255"} {
		r := newLBReq("clb")
		r.Address = ip
		_, err := tc.SLB.CreateLoadBalancer(r)
		wantErr(t, err, "InvalidParameter", 400)
		req := newNLBReq("nlb")
		(*req.ZoneMappings)[0].PrivateIPv4Address = ip
		_, err = nc.CreateLoadBalancer(req)
		wantErr(t, err, "IllegalParam.PrivateIPv4Address", 400)
	}
}
