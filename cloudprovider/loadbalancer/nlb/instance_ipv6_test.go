package nlb

import (
	"context"
	"net/netip"
	"slices"
	"testing"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// TestIPv6AddressType pins the convergence of a dual-stack NLB's IPv6
// address type through the emulator: ipv6-address-type (default intranet)
// on the Service's own NLB, diff-only, one Enable or Disable call and no
// write on the next reconcile; on a reused NLB only when annotated, as the
// official CCM; never on an ipv4 NLB.
func TestIPv6AddressType(t *testing.T) {
	dual := func(c *annotations.NLBConfig) { c.LB.IPVersion, c.LB.IPVersionSet = annotations.DualStack, true }
	ipv6 := func(at annotations.AddressType) func(*annotations.NLBConfig) {
		return func(c *annotations.NLBConfig) { dual(c); c.LB.IPv6AddressType = at }
	}
	cases := []struct {
		name string
		// reused: the Service reuses a seeded NLB of this IP version and
		// IPv6 type ("" ipv4); else it gets its own NLB made with base.
		reused, reusedIPv6 string
		base, edit         func(*annotations.NLBConfig)
		// byHand changes the NLB's IPv6 type outside the CCM first.
		byHand string
		writes []string
		want   string // the NLB's Ipv6AddressType afterwards
	}{
		{name: "own: internet", base: dual, edit: ipv6(annotations.AddressTypeInternet),
			writes: []string{"EnableLoadBalancerIpv6Internet"}, want: "Internet"},
		{name: "own: intranet as it is", base: dual, edit: ipv6(annotations.AddressTypeIntranet), want: "Intranet"},
		{name: "own: unset, as it is", base: dual, edit: dual, want: "Intranet"},
		{name: "own: back to intranet", base: ipv6(annotations.AddressTypeInternet), edit: ipv6(annotations.AddressTypeIntranet),
			writes: []string{"DisableLoadBalancerIpv6Internet"}, want: "Intranet"},
		{name: "own: unset means intranet", base: dual, byHand: "Internet", edit: dual,
			writes: []string{"DisableLoadBalancerIpv6Internet"}, want: "Intranet"},
		{name: "own ipv4 NLB: nothing", base: func(*annotations.NLBConfig) {}, edit: func(c *annotations.NLBConfig) {
			c.LB.IPv6AddressType = annotations.AddressTypeInternet
		}},
		{name: "reused: unset leaves the user's Internet", reused: "DualStack", reusedIPv6: "Internet", edit: dual, want: "Internet"},
		{name: "reused: annotated internet", reused: "DualStack", edit: ipv6(annotations.AddressTypeInternet),
			writes: []string{"EnableLoadBalancerIpv6Internet"}, want: "Internet"},
		{name: "reused: annotated intranet", reused: "DualStack", reusedIPv6: "Internet", edit: ipv6(annotations.AddressTypeIntranet),
			writes: []string{"DisableLoadBalancerIpv6Internet"}, want: "Intranet"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var o envOpts
			if tc.reused != "" {
				o.seed = func(s *emulator.SeedState) {
					u := seedNLB("nlb-user", "user-nlb", nil)
					u.AddressIPVersion, u.IPv6AddressType = tc.reused, tc.reusedIPv6
					s.NLBs = []emulator.SeedNLB{u}
				}
			}
			e := engineEnv(t, o)
			svc := testService("web", nil)
			base := tc.base
			if tc.reused != "" {
				base = func(c *annotations.NLBConfig) { c.LB.ReuseID = "nlb-user"; dual(c) }
			}
			e.converge(svc, e.config(svc, base))
			id := e.only().LoadBalancerId
			if tc.byHand == "Internet" {
				if err := enableByHand(e, id); err != nil {
					t.Fatal(err)
				}
				e.clock.Advance(jobTime)
			}
			e.emu.ResetAudit()
			cfg := e.config(svc, func(c *annotations.NLBConfig) { base(c); tc.edit(c) })
			e.converge(svc, cfg)
			if w := e.writes(); !slices.Equal(w, tc.writes) {
				t.Errorf("writes %v, want %v", w, tc.writes)
			}
			if got := e.only().Ipv6AddressType; got != tc.want {
				t.Errorf("Ipv6AddressType %q, want %q", got, tc.want)
			}
			e.emu.ResetAudit()
			if _, err := e.step(svc, cfg); err != nil {
				t.Fatal(err)
			}
			if w := e.writes(); len(w) != 0 {
				t.Errorf("the next reconcile wrote %v", w)
			}
		})
	}
}

// enableByHand is a user's EnableLoadBalancerIpv6Internet outside the CCM.
func enableByHand(e *env, id string) error {
	req := sdknlb.CreateEnableLoadBalancerIpv6InternetRequest()
	req.LoadBalancerId = id
	_, err := e.api.EnableLoadBalancerIpv6Internet(context.Background(), req)
	return err
}

// TestIPv6ChangeWaits: the IPv6 change ends the reconcile with a retry
// (its answer has no job to wait for); while the NLB is Configuring the
// next reconcile writes nothing and retries; once Active, it goes on to
// the listeners. A new dual-stack Service with ipv6-address-type internet
// gets its NLB, then the change, then its listeners.
func TestIPv6ChangeWaits(t *testing.T) {
	e := engineEnv(t, envOpts{})
	svc := testService("web", nil)
	cfg := e.config(svc, func(c *annotations.NLBConfig) {
		c.LB.IPVersion, c.LB.IPVersionSet, c.LB.IPv6AddressType = annotations.DualStack, true, annotations.AddressTypeInternet
	})
	var enabled bool
	for round := 0; round < maxRounds && !enabled; round++ {
		_, err := e.step(svc, cfg)
		if !isRetry(err) {
			t.Fatalf("round %d: %v, want a retry before the IPv6 change", round, err)
		}
		enabled = e.count("EnableLoadBalancerIpv6Internet") == 1
		if !enabled {
			e.clock.Advance(jobTime)
		}
	}
	if !enabled {
		t.Fatal("EnableLoadBalancerIpv6Internet never sent")
	}
	if n := len(e.listeners(e.only().LoadBalancerId)); n != 0 {
		t.Fatalf("%d listeners before the IPv6 change ended", n)
	}
	e.emu.ResetAudit()
	_, err := e.step(svc, cfg)
	if !isRetry(err) {
		t.Fatalf("while Configuring: %v, want a retry", err)
	}
	if w := e.writes(); len(w) != 0 {
		t.Errorf("while Configuring: writes %v", w)
	}
	e.clock.Advance(jobTime)
	st, _ := e.converge(svc, cfg)
	if len(e.listeners(e.only().LoadBalancerId)) != 1 || e.only().Ipv6AddressType != "Internet" {
		t.Errorf("after the change: listeners %d, IPv6 %q", len(e.listeners(e.only().LoadBalancerId)), e.only().Ipv6AddressType)
	}
	var v6 int
	for _, in := range st.Ingress {
		if a, err := netip.ParseAddr(in.IP); err == nil && a.Is6() {
			v6++
		}
	}
	if v6 != 2 {
		t.Errorf("status %+v: want the two zones' IPv6 addresses", st.Ingress)
	}
}

// TestIPv6ChangePlan pins ipv6Change's decision table on its own.
func TestIPv6ChangePlan(t *testing.T) {
	cases := []struct {
		name             string
		want             annotations.AddressType
		version, current string
		owned            bool
		to               string
	}{
		{"own, internet wanted", annotations.AddressTypeInternet, "DualStack", "Intranet", true, "Internet"},
		{"own, intranet wanted", annotations.AddressTypeIntranet, "DualStack", "Internet", true, "Intranet"},
		{"own, unset: intranet", "", "DualStack", "Internet", true, "Intranet"},
		{"own, as wanted", annotations.AddressTypeInternet, "DualStack", "Internet", true, ""},
		{"the API spells it in lower case", annotations.AddressTypeInternet, "dualstack", "internet", true, ""},
		{"reused, unset: untouched", "", "DualStack", "Internet", false, ""},
		{"reused, annotated", annotations.AddressTypeInternet, "DualStack", "Intranet", false, "Internet"},
		{"ipv4 NLB", annotations.AddressTypeInternet, "ipv4", "", true, ""},
		{"type not reported", annotations.AddressTypeInternet, "DualStack", "", true, ""},
	}
	for _, tc := range cases {
		lb := &sdknlb.LoadbalancerInfo{AddressIpVersion: tc.version, Ipv6AddressType: tc.current}
		if got := ipv6Change(&annotations.NLBInstance{IPv6AddressType: tc.want}, lb, tc.owned); got != tc.to {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.to)
		}
	}
}
