package nlb

import (
	"errors"
	"strings"
	"testing"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// TestImmutableChangeRefused: an annotation asking an existing NLB for
// another IP version or resource group (the registry's Immutable NLB
// keys) is refused as the official CCM refuses it: the reconcile fails
// with an error and a Warning Event naming each key with both values, and
// nothing is written, not even the mutable changes asked for with it. On
// a reused NLB only what the user annotated is compared: the ipv4 default
// says nothing about the user's NLB.
func TestImmutableChangeRefused(t *testing.T) {
	cases := []struct {
		name   string
		reused bool
		edit   func(*annotations.NLBConfig)
		// want are the substrings of the error and the event; none: no refusal.
		want []string
	}{
		{name: "ip-version", edit: func(c *annotations.NLBConfig) { c.LB.IPVersion, c.LB.IPVersionSet = annotations.DualStack, true },
			want: []string{string(annotations.KeyIPVersion) + "=DualStack", "ipv4"}},
		{name: "resource-group-id", edit: func(c *annotations.NLBConfig) { c.LB.ResourceGroupID, c.LB.ResourceGroupIDSet = "rg-other", true },
			want: []string{string(annotations.KeyResourceGroupID) + "=rg-other", "rg-default"}},
		{name: "both, with a rename: nothing written", edit: func(c *annotations.NLBConfig) {
			c.LB.IPVersion, c.LB.IPVersionSet = annotations.DualStack, true
			c.LB.ResourceGroupID, c.LB.ResourceGroupIDSet = "rg-other", true
			c.LB.Name = "web-renamed"
		}, want: []string{string(annotations.KeyIPVersion) + "=DualStack", string(annotations.KeyResourceGroupID) + "=rg-other"}},
		{name: "resource group from cloud-config only: not compared", edit: func(c *annotations.NLBConfig) {
			c.LB.ResourceGroupID, c.LB.ResourceGroupIDSet = "rg-cfg", false
		}},
		{name: "reused: annotated ip-version", reused: true, edit: func(c *annotations.NLBConfig) {
			c.LB.IPVersion, c.LB.IPVersionSet = annotations.IPv4, true
		}, want: []string{string(annotations.KeyIPVersion) + "=ipv4", "DualStack"}},
		{name: "reused: the ipv4 default on a dual-stack NLB is no refusal", reused: true, edit: func(c *annotations.NLBConfig) {
			c.LB.IPVersion, c.LB.IPVersionSet = annotations.IPv4, false
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var o envOpts
			if tc.reused {
				o.seed = func(s *emulator.SeedState) {
					u := seedNLB("nlb-user", "user-nlb", nil)
					u.AddressIPVersion = "DualStack"
					s.NLBs = []emulator.SeedNLB{u}
				}
			}
			e := engineEnv(t, o)
			svc := testService("web", nil)
			base := func(c *annotations.NLBConfig) {
				if tc.reused {
					c.LB.ReuseID = "nlb-user"
					c.LB.IPVersion = annotations.DualStack
				}
			}
			e.converge(svc, e.config(svc, base))
			e.drainEvents()
			e.emu.ResetAudit()
			cfg := e.config(svc, func(c *annotations.NLBConfig) { base(c); tc.edit(c) })
			if tc.want == nil {
				e.converge(svc, cfg)
				if evs := e.drainEvents(); hasEvent(evs, loadbalancer.ReasonImmutableField) {
					t.Errorf("events %v", evs)
				}
				return
			}
			_, err := e.step(svc, cfg)
			var ie *ImmutableError
			if !errors.As(err, &ie) || isRetry(err) {
				t.Fatalf("want an ImmutableError, got %v", err)
			}
			evs := e.drainEvents()
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
				if !hasEvent(evs, w) {
					t.Errorf("events %v do not name %q", evs, w)
				}
			}
			if !hasEvent(evs, loadbalancer.ReasonImmutableField) {
				t.Errorf("events %v, want %s", evs, loadbalancer.ReasonImmutableField)
			}
			if w := e.writes(); len(w) != 0 {
				t.Errorf("writes %v, want none", w)
			}
		})
	}
}
