package emulator

import (
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// enableIPv6 and disableIPv6 send the two actions through the SDK.
func enableIPv6(c *nlb.Client, id, token string, dryRun bool) error {
	r := nlb.CreateEnableLoadBalancerIpv6InternetRequest()
	r.LoadBalancerId, r.ClientToken, r.DryRun = id, token, requests.NewBoolean(dryRun)
	_, err := c.EnableLoadBalancerIpv6Internet(r)
	return err
}

func disableIPv6(c *nlb.Client, id string) error {
	r := nlb.CreateDisableLoadBalancerIpv6InternetRequest()
	r.LoadBalancerId = id
	_, err := c.DisableLoadBalancerIpv6Internet(r)
	return err
}

// dualStackNLB creates a DualStack NLB and returns its ID.
func dualStackNLB(t *testing.T, c *nlb.Client) string {
	t.Helper()
	r := newNLBReq("ds")
	r.AddressIpVersion = "DualStack"
	resp, err := c.CreateLoadBalancer(r)
	if err != nil {
		t.Fatal(err)
	}
	return resp.LoadbalancerId
}

// TestNLBIPv6InternetLifecycle drives Enable/DisableLoadBalancerIpv6Internet
// through the SDK: a new DualStack NLB's IPv6 is Intranet with an IPv6
// address per zone; Enable is refused while the NLB provisions, then makes
// it Internet asynchronously (Configuring, other writes busy, no JobId in
// the answer); Enable again changes nothing; Disable brings it back;
// Disable of an Intranet IPv6 and either action on an ipv4 NLB are the
// documented OperationDenied answers; DryRun and a replayed ClientToken
// change nothing.
func TestNLBIPv6InternetLifecycle(t *testing.T) {
	fc := NewFakeClock(time.Now())
	_, c := nlbEnv(t, withJobs(fc, 10*time.Second))
	id := dualStackNLB(t, c)

	wantErr(t, enableIPv6(c, id, "", false), "ResourceInCreating.loadbalancer", 400)
	fc.Advance(10 * time.Second)
	got := getNLB(t, c, id)
	if got.Ipv6AddressType != "Intranet" || got.LoadBalancerStatus != "Active" {
		t.Fatalf("new DualStack NLB: IPv6 %q, status %q", got.Ipv6AddressType, got.LoadBalancerStatus)
	}
	for _, z := range got.ZoneMappings {
		if a := z.LoadBalancerAddresses[0]; a.Ipv6Address == "" || a.Ipv6Address == a.PrivateIPv4Address {
			t.Errorf("zone %s: IPv6 address %q", z.ZoneId, a.Ipv6Address)
		}
	}
	wantErr(t, disableIPv6(c, id), "OperationDenied.Ipv6IntranetInstance", 400)
	wantErr(t, enableIPv6(c, id, "", true), "DryRunOperation", 400)
	if getNLB(t, c, id).Ipv6AddressType != "Intranet" {
		t.Fatal("a dry run changed the IPv6 address type")
	}

	if err := enableIPv6(c, id, "tok-1", false); err != nil {
		t.Fatal(err)
	}
	if got := getNLB(t, c, id); got.Ipv6AddressType != "Internet" || got.LoadBalancerStatus != "Configuring" {
		t.Fatalf("after Enable: IPv6 %q, status %q", got.Ipv6AddressType, got.LoadBalancerStatus)
	}
	u := nlb.CreateUpdateLoadBalancerAttributeRequest()
	u.LoadBalancerId, u.LoadBalancerName = id, "renamed"
	_, err := c.UpdateLoadBalancerAttribute(u)
	wantErr(t, err, "ResourceInConfiguring.loadbalancer", 400)
	wantErr(t, disableIPv6(c, id), "ResourceInConfiguring.loadbalancer", 400)
	if err := enableIPv6(c, id, "tok-1", false); err != nil {
		t.Fatalf("the same ClientToken again: %v", err)
	}
	fc.Advance(10 * time.Second)
	if got := getNLB(t, c, id); got.LoadBalancerStatus != "Active" {
		t.Fatalf("after the job: %q", got.LoadBalancerStatus)
	}
	if err := enableIPv6(c, id, "", false); err != nil {
		t.Fatalf("Enable of an Internet IPv6: %v", err)
	}
	if got := getNLB(t, c, id); got.LoadBalancerStatus != "Active" || got.Ipv6AddressType != "Internet" {
		t.Fatalf("Enable of an Internet IPv6 changed something: %q %q", got.LoadBalancerStatus, got.Ipv6AddressType)
	}
	l := nlb.CreateListLoadBalancersRequest()
	l.LoadBalancerIds = &[]string{id}
	list, err := c.ListLoadBalancers(l)
	if err != nil || len(list.LoadBalancers) != 1 || list.LoadBalancers[0].Ipv6AddressType != "Internet" {
		t.Fatalf("ListLoadBalancers: %+v %v", list, err)
	}

	if err := disableIPv6(c, id); err != nil {
		t.Fatal(err)
	}
	fc.Advance(10 * time.Second)
	if got := getNLB(t, c, id); got.Ipv6AddressType != "Intranet" || got.LoadBalancerStatus != "Active" {
		t.Fatalf("after Disable: %q %q", got.Ipv6AddressType, got.LoadBalancerStatus)
	}
}

// TestNLBIPv6Refusals: the documented refusals of both actions, each
// changing nothing.
func TestNLBIPv6Refusals(t *testing.T) {
	_, c := nlbEnv(t)
	v4 := mustNLB(t, c)
	cases := []struct {
		name string
		call func() error
		code string
		http int
	}{
		{"Enable on an ipv4 NLB", func() error { return enableIPv6(c, v4, "", false) }, "OperationDenied.NonDualStackInstance", 400},
		{"Disable on an ipv4 NLB", func() error { return disableIPv6(c, v4) }, "OperationDenied.NonDualStackInstance", 400},
		{"Enable on no NLB", func() error { return enableIPv6(c, "nlb-missing", "", false) }, "ResourceNotFound.loadBalancer", 404},
		{"Disable on no NLB", func() error { return disableIPv6(c, "nlb-missing") }, "ResourceNotFound.loadBalancer", 404},
		{"Enable without an ID", func() error { return enableIPv6(c, "", "", false) }, "MissingParam.LoadBalancerId", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, tc.call(), tc.code, tc.http)
		})
	}
	if got := getNLB(t, c, v4); got.Ipv6AddressType != "" || got.ZoneMappings[0].LoadBalancerAddresses[0].Ipv6Address != "" {
		t.Errorf("an ipv4 NLB shows IPv6: %q %+v", got.Ipv6AddressType, got.ZoneMappings[0].LoadBalancerAddresses[0])
	}
}

// TestNLBIPv6Seed: a seeded DualStack NLB takes its IPv6 address type;
// Internet on an ipv4 NLB and an unknown type are refused.
func TestNLBIPv6Seed(t *testing.T) {
	e, c := nlbEnv(t)
	zones := []SeedNLBZone{{ZoneID: "cn-hangzhou-h", VSwitchID: testVSWH}, {ZoneID: "cn-hangzhou-i", VSwitchID: testVSWI}}
	cases := []struct {
		name      string
		lb        SeedNLB
		want, err string
	}{
		{name: "DualStack, Internet IPv6", lb: SeedNLB{LoadBalancerID: "nlb-ds1", AddressIPVersion: "DualStack", IPv6AddressType: "Internet"}, want: "Internet"},
		{name: "DualStack, default", lb: SeedNLB{LoadBalancerID: "nlb-ds2", AddressIPVersion: "DualStack"}, want: "Intranet"},
		{name: "ipv4 with Internet IPv6", lb: SeedNLB{LoadBalancerID: "nlb-v4", IPv6AddressType: "Internet"}, err: "DualStack"},
		{name: "unknown type", lb: SeedNLB{LoadBalancerID: "nlb-x", AddressIPVersion: "DualStack", IPv6AddressType: "public"}, err: "public"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.lb.VpcID, tc.lb.Zones = testVPC, zones
			err := e.Seed(SeedState{NLBs: []SeedNLB{tc.lb}})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Seed = %v, want an error naming %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := getNLB(t, c, tc.lb.LoadBalancerID).Ipv6AddressType; got != tc.want {
				t.Errorf("Ipv6AddressType %q, want %q", got, tc.want)
			}
		})
	}
}

// TestNLBIPv6Address pins the derived IPv6 address of a zone.
func TestNLBIPv6Address(t *testing.T) {
	for in, want := range map[string]string{"192.168.0.10": "2001:db8::c0a8:a", "10.0.1.2": "2001:db8::a00:102", "": "", "2001:db8::1": "", "x": ""} {
		if got := nlbIPv6Address(in); got != want {
			t.Errorf("nlbIPv6Address(%q) = %q, want %q", in, got, want)
		}
	}
}
