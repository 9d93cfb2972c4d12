package nlb

import (
	"slices"
	"testing"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// TestInstanceAttributes pins the diff-only convergence of instance
// attributes: each annotation change makes exactly the write it needs
// (NLB-locking writes one per reconcile), the next reconcile writes
// nothing, and a reused NLB only ever gets what the user annotated.
func TestInstanceAttributes(t *testing.T) {
	cases := []struct {
		name   string
		reused bool
		edit   func(*annotations.NLBConfig)
		writes []string
		check  func(sdknlb.LoadbalancerInfo) bool
		event  string
	}{
		{name: "unchanged", edit: func(*annotations.NLBConfig) {}},
		{name: "rename", edit: func(c *annotations.NLBConfig) { c.LB.Name = "web-new" },
			writes: []string{"UpdateLoadBalancerAttribute"}, check: func(lb sdknlb.LoadbalancerInfo) bool { return lb.LoadBalancerName == "web-new" }},
		{name: "cross-zone on", edit: func(c *annotations.NLBConfig) { c.LB.CrossZoneEnabled = boolp(true) },
			writes: []string{"UpdateLoadBalancerAttribute"}, check: func(lb sdknlb.LoadbalancerInfo) bool { return lb.CrossZoneEnabled }},
		{name: "cross-zone as it is", edit: func(c *annotations.NLBConfig) { c.LB.CrossZoneEnabled = boolp(false) }},
		{name: "rename and cross-zone: one call", edit: func(c *annotations.NLBConfig) { c.LB.Name, c.LB.CrossZoneEnabled = "web-new", boolp(true) },
			writes: []string{"UpdateLoadBalancerAttribute"}},
		{name: "delete protection off", edit: func(c *annotations.NLBConfig) { c.LB.DeleteProtection, c.LB.DeleteProtectionSet = false, true },
			writes: []string{"UpdateLoadBalancerProtection"}, check: func(lb sdknlb.LoadbalancerInfo) bool { return !lb.DeletionProtectionConfig.Enabled }},
		{name: "modification protection off", edit: func(c *annotations.NLBConfig) { c.LB.ModificationProtection = annotations.NonProtection },
			writes: []string{"UpdateLoadBalancerProtection"},
			check: func(lb sdknlb.LoadbalancerInfo) bool {
				return lb.ModificationProtectionConfig.Status == "NonProtection"
			}},
		{name: "intranet", edit: func(c *annotations.NLBConfig) { c.LB.AddressType = annotations.AddressTypeIntranet },
			writes: []string{"UpdateLoadBalancerAddressTypeConfig"}, check: func(lb sdknlb.LoadbalancerInfo) bool { return lb.AddressType == "Intranet" }},
		{name: "a third zone", edit: func(c *annotations.NLBConfig) {
			c.LB.ZoneMaps = []annotations.ZoneMap{{ZoneID: testZoneH, VSwitchID: testVSwH}, {ZoneID: testZoneI, VSwitchID: testVSwI}, {ZoneID: testZoneJ, VSwitchID: testVSwJ}}
		}, writes: []string{"UpdateLoadBalancerZones"}, check: func(lb sdknlb.LoadbalancerInfo) bool { return len(lb.ZoneMappings) == 3 }},
		{name: "zone-maps as they are", edit: func(c *annotations.NLBConfig) {
			c.LB.ZoneMaps = []annotations.ZoneMap{{ZoneID: testZoneI, VSwitchID: testVSwI}, {ZoneID: testZoneH, VSwitchID: testVSwH}}
		}},
		{name: "another vSwitch in a zone", edit: func(c *annotations.NLBConfig) {
			c.LB.ZoneMaps = []annotations.ZoneMap{{ZoneID: testZoneH, VSwitchID: testVSwH2}, {ZoneID: testZoneI, VSwitchID: testVSwI}}
		}, writes: []string{"UpdateLoadBalancerZones"}},
		{name: "zones and name: one locking write per reconcile", edit: func(c *annotations.NLBConfig) {
			c.LB.Name = "web-new"
			c.LB.ZoneMaps = []annotations.ZoneMap{{ZoneID: testZoneH, VSwitchID: testVSwH}, {ZoneID: testZoneJ, VSwitchID: testVSwJ}}
		}, writes: []string{"UpdateLoadBalancerZones", "UpdateLoadBalancerAttribute"}},
		{name: "additional tags", edit: func(c *annotations.NLBConfig) { c.LB.AdditionalTags = []annotations.Tag{{Key: "team", Value: "a"}} },
			writes: []string{"TagResources"}, check: func(lb sdknlb.LoadbalancerInfo) bool {
				m := nlbTagMap(lb.Tags)
				return m["team"] == "a" && m[loadbalancer.TagAdditionalKeys] == "team"
			}},
		{name: "create-only fields: a Warning, no write", edit: func(c *annotations.NLBConfig) {
			c.LB.IPVersion, c.LB.BandwidthPackageID = annotations.DualStack, "cbwp-1"
		}, event: loadbalancer.ReasonImmutableField},

		{name: "reused: nothing unannotated", reused: true, edit: func(c *annotations.NLBConfig) {
			c.LB.AddressType = annotations.AddressTypeIntranet // not written by the user
			c.LB.CrossZoneEnabled = nil
		}},
		{name: "reused: annotated protection", reused: true, edit: func(c *annotations.NLBConfig) {
			c.LB.DeleteProtection, c.LB.DeleteProtectionSet = true, true
		}, writes: []string{"UpdateLoadBalancerProtection"}, check: func(lb sdknlb.LoadbalancerInfo) bool { return lb.DeletionProtectionConfig.Enabled }},
		{name: "reused: annotated name", reused: true, edit: func(c *annotations.NLBConfig) { c.LB.Name = "shared" },
			writes: []string{"UpdateLoadBalancerAttribute"}, check: func(lb sdknlb.LoadbalancerInfo) bool { return lb.LoadBalancerName == "shared" }},
		{name: "reused: annotated address type", reused: true, edit: func(c *annotations.NLBConfig) {
			c.LB.AddressType, c.LB.AddressTypeSet = annotations.AddressTypeIntranet, true
		}, writes: []string{"UpdateLoadBalancerAddressTypeConfig"}},
		{name: "reused: tags without our key list", reused: true, edit: func(c *annotations.NLBConfig) {
			c.LB.AdditionalTags = []annotations.Tag{{Key: "env", Value: "prod"}}
		}, writes: []string{"TagResources"}, check: func(lb sdknlb.LoadbalancerInfo) bool {
			m := nlbTagMap(lb.Tags)
			_, listed := m[loadbalancer.TagAdditionalKeys]
			return m["env"] == "prod" && m["team"] == "x" && !listed
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var o envOpts
			if tc.reused {
				o.seed = func(s *emulator.SeedState) {
					s.NLBs = []emulator.SeedNLB{seedNLB("nlb-user", "user-nlb", map[string]string{"team": "x"})}
				}
			}
			e := engineEnv(t, o)
			svc := testService("web", nil)
			base := func(c *annotations.NLBConfig) {
				if tc.reused {
					c.LB.ReuseID = "nlb-user"
				}
			}
			e.converge(svc, e.config(svc, base))
			e.drainEvents()
			e.emu.ResetAudit()
			cfg := e.config(svc, func(c *annotations.NLBConfig) { base(c); tc.edit(c) })
			e.converge(svc, cfg)
			if w := e.writes(); !slices.Equal(w, tc.writes) {
				t.Errorf("writes %v, want %v", w, tc.writes)
			}
			lb := e.only()
			if tc.check != nil && !tc.check(lb) {
				t.Errorf("NLB after the change: %+v", lb)
			}
			evs := e.drainEvents()
			if tc.event != "" && !hasEvent(evs, tc.event) {
				t.Errorf("events %v, want %s", evs, tc.event)
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
