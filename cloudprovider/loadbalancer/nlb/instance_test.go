package nlb

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"

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
		{name: "bandwidth package", edit: func(c *annotations.NLBConfig) { c.LB.BandwidthPackageID = "cbwp-1" },
			writes: []string{"AttachCommonBandwidthPackageToLoadBalancer"},
			check:  func(lb sdknlb.LoadbalancerInfo) bool { return lb.BandwidthPackageId == "cbwp-1" }},
		{name: "bandwidth package unset: left as it is", edit: func(c *annotations.NLBConfig) { c.LB.BandwidthPackageID = "" }},

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
		{name: "reused: annotated bandwidth package", reused: true, edit: func(c *annotations.NLBConfig) { c.LB.BandwidthPackageID = "cbwp-9" },
			writes: []string{"AttachCommonBandwidthPackageToLoadBalancer"}},
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

// TestOwnershipTagsRestored: a tag of ours removed by hand from our NLB
// is put back (only that one), without an adoption event.
func TestOwnershipTagsRestored(t *testing.T) {
	e := engineEnv(t, envOpts{})
	svc := testService("web", nil)
	cfg := e.config(svc, nil)
	e.converge(svc, cfg)
	id := e.only().LoadBalancerId
	un := sdknlb.CreateUntagResourcesRequest()
	un.ResourceType, un.ResourceId, un.TagKey = "loadbalancer", &[]string{id}, &[]string{loadbalancer.TagService}
	if _, err := e.api.UntagResources(context.Background(), un); err != nil {
		t.Fatal(err)
	}
	e.drainEvents()
	e.emu.ResetAudit()
	e.converge(svc, cfg)
	if w := e.writes(); !slices.Equal(w, []string{"TagResources"}) {
		t.Errorf("writes %v", w)
	}
	if nlbTagMap(e.only().Tags)[loadbalancer.TagService] != "default/web" {
		t.Error("the tag is still missing")
	}
	if evs := e.drainEvents(); hasEvent(evs, loadbalancer.ReasonAdopted) {
		t.Errorf("events %v", evs)
	}
}

// TestTagBatches: more than 20 tags go in calls of 20 (TagResources).
func TestTagBatches(t *testing.T) {
	e := engineEnv(t, envOpts{seed: func(s *emulator.SeedState) { s.NLBs = []emulator.SeedNLB{seedNLB("nlb-user", "uu", nil)} }})
	lim := emulator.DefaultLimits()
	lim.TagsPerResource = 50
	e.emu.SetLimits(lim)
	tags := map[string]string{}
	for i := 0; i < 25; i++ {
		tags[fmt.Sprintf("k%02d", i)] = "v"
	}
	e.emu.ResetAudit()
	if _, err := e.r.tag(context.Background(), "nlb-user", tags); err != nil {
		t.Fatal(err)
	}
	if n := e.count("TagResources"); n != 2 || len(e.only().Tags) != 25 {
		t.Errorf("calls %d, tags %d", n, len(e.only().Tags))
	}
}

// TestBusyNLBRetries: a change to an NLB whose job still runs (another
// write locked it) ends in a RetryError with no other write; it goes
// through once the NLB is free.
func TestBusyNLBRetries(t *testing.T) {
	e := engineEnv(t, envOpts{})
	svc := testService("web", nil)
	e.converge(svc, e.config(svc, nil))
	id := e.only().LoadBalancerId
	req := sdknlb.CreateUpdateLoadBalancerAttributeRequest()
	req.LoadBalancerId, req.CrossZoneEnabled = id, "true"
	if _, err := e.api.UpdateLoadBalancerAttribute(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	cfg := e.config(svc, func(c *annotations.NLBConfig) { c.LB.AddressType = annotations.AddressTypeIntranet })
	e.emu.ResetAudit()
	_, err := e.step(svc, cfg)
	if !isRetry(err) {
		t.Fatalf("want a retry on the busy NLB, got %v", err)
	}
	for _, a := range e.emu.Audit() {
		if !isReadAction(a.Action) && a.Code == "OK" {
			t.Errorf("write %s went through", a.Action)
		}
	}
	e.converge(svc, cfg)
	if e.only().AddressType != "Intranet" {
		t.Error("not converged")
	}
}

// TestInternetWithEIPs: switching an intranet NLB to internet passes the
// zone-maps EIPs.
func TestInternetWithEIPs(t *testing.T) {
	e := engineEnv(t, envOpts{seed: func(s *emulator.SeedState) {
		s.EIPs = []emulator.EIP{{AllocationID: "eip-1", IPAddress: "47.1.1.1"}}
	}})
	svc := testService("web", nil)
	zones := []annotations.ZoneMap{{ZoneID: testZoneH, VSwitchID: testVSwH}, {ZoneID: testZoneI, VSwitchID: testVSwI}}
	e.converge(svc, e.config(svc, func(c *annotations.NLBConfig) {
		c.LB.AddressType, c.LB.ZoneMaps = annotations.AddressTypeIntranet, zones
	}))
	zones[0].EIPAllocationID = "eip-1"
	st, _ := e.converge(svc, e.config(svc, func(c *annotations.NLBConfig) { c.LB.ZoneMaps = zones }))
	if !slices.ContainsFunc(st.Ingress, func(in v1.LoadBalancerIngress) bool { return in.IP == "47.1.1.1" }) {
		t.Errorf("status %+v: want the EIP", st.Ingress)
	}
}

func isReadAction(a string) bool {
	return strings.HasPrefix(a, "List") || strings.HasPrefix(a, "Get") || strings.HasPrefix(a, "Describe")
}

// TestBandwidthPackageMoved: another package is detached first, then the
// annotated one attached (one package per NLB; one locking write per
// reconcile); an intranet NLB's refusal is a clear error naming the
// annotation.
func TestBandwidthPackageMoved(t *testing.T) {
	e := engineEnv(t, envOpts{})
	svc := testService("web", nil)
	e.converge(svc, e.config(svc, func(c *annotations.NLBConfig) { c.LB.BandwidthPackageID = "cbwp-1" }))
	if e.only().BandwidthPackageId != "cbwp-1" {
		t.Fatalf("created without the package: %q", e.only().BandwidthPackageId)
	}
	e.emu.ResetAudit()
	e.converge(svc, e.config(svc, func(c *annotations.NLBConfig) { c.LB.BandwidthPackageID = "cbwp-2" }))
	if w := e.writes(); !slices.Equal(w, []string{"DetachCommonBandwidthPackageFromLoadBalancer", "AttachCommonBandwidthPackageToLoadBalancer"}) {
		t.Errorf("writes %v", w)
	}
	if e.only().BandwidthPackageId != "cbwp-2" {
		t.Errorf("package %q", e.only().BandwidthPackageId)
	}

	e2 := engineEnv(t, envOpts{})
	intra := func(c *annotations.NLBConfig) { c.LB.AddressType = annotations.AddressTypeIntranet }
	e2.converge(svc, e2.config(svc, intra))
	_, err := e2.step(svc, e2.config(svc, func(c *annotations.NLBConfig) { intra(c); c.LB.BandwidthPackageID = "cbwp-1" }))
	if err == nil || isRetry(err) || !strings.Contains(err.Error(), "bandwidth-package-id") {
		t.Errorf("intranet NLB with a package: %v", err)
	}
}
