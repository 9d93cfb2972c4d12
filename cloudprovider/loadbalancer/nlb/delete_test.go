package nlb

import (
	"context"
	"errors"
	"slices"
	"testing"

	k8scloudprovider "k8s.io/cloud-provider"
	cloudproviderapi "k8s.io/cloud-provider/api"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// TestDeleteMatrix pins what EnsureLoadBalancerDeleted does to each kind
// of NLB: ours is deleted (delete protection turned off first), kept and
// handed over with preserve-lb-on-delete, a reused or refused one is never
// written to, several of ours are all deleted, an id annotation added
// later leaves the annotated NLB alone, and a Service without any NLB (or
// with annotations that no longer parse) is deleted cleanly.
func TestDeleteMatrix(t *testing.T) {
	svc := testService("web", nil)
	uid := string(svc.UID)
	defName := k8scloudprovider.DefaultLoadBalancerName(svc)
	protected := func(s emulator.SeedNLB) emulator.SeedNLB { s.DeletionProtection = true; return s }
	cases := []struct {
		name   string
		ann    map[string]string
		seed   []emulator.SeedNLB
		writes []string
		// left are the NLBs still there afterwards
		left  []string
		event string
	}{
		{name: "ours, protected", seed: []emulator.SeedNLB{protected(seedNLB("nlb-ours", defName, ourTags(uid, testCluster)))},
			writes: []string{"UpdateLoadBalancerProtection", "DeleteLoadBalancer"}, event: ReasonDeleted},
		{name: "ours, unprotected", seed: []emulator.SeedNLB{seedNLB("nlb-ours", defName, ourTags(uid, testCluster))},
			writes: []string{"DeleteLoadBalancer"}},
		{name: "ours, annotations no longer parse", ann: anno("zone-maps", "not a zone map"),
			seed: []emulator.SeedNLB{seedNLB("nlb-ours", defName, ourTags(uid, testCluster))}, writes: []string{"DeleteLoadBalancer"}},
		{name: "ours, preserved", ann: anno("preserve-lb-on-delete", "true"),
			seed:   []emulator.SeedNLB{protected(seedNLB("nlb-ours", defName, ourTags(uid, testCluster)))},
			writes: []string{"UpdateLoadBalancerProtection", "UntagResources"}, left: []string{"nlb-ours"}, event: loadbalancer.ReasonPreserved},
		{name: "the official CCM's, adopted", seed: []emulator.SeedNLB{seedNLB("nlb-off", defName, map[string]string{loadbalancer.TagOfficialOwner: defName})},
			writes: []string{"DeleteLoadBalancer"}},
		{name: "reused", ann: anno("id", "nlb-user"), seed: []emulator.SeedNLB{protected(seedNLB("nlb-user", "user-nlb", nil))},
			left: []string{"nlb-user"}, event: loadbalancer.ReasonReusedCleaned},
		{name: "refused now", ann: anno("id", "nlb-ack"), seed: []emulator.SeedNLB{seedNLB("nlb-ack", "api", map[string]string{loadbalancer.TagOfficialCluster: "c"})},
			left: []string{"nlb-ack"}},
		{name: "id names no NLB", ann: anno("id", "nlb-gone")},
		{name: "no NLB at all"},
		{name: "another Service's NLB by name", seed: []emulator.SeedNLB{seedNLB("nlb-x", defName, ourTags("uid-other", testCluster))},
			left: []string{"nlb-x"}},
		{name: "two of ours", seed: []emulator.SeedNLB{seedNLB("nlb-a", "aa", ourTags(uid, testCluster)), seedNLB("nlb-b", "bb", ourTags(uid, testCluster))},
			writes: []string{"DeleteLoadBalancer", "DeleteLoadBalancer"}},
		{name: "id added after ours", ann: anno("id", "nlb-user"),
			seed:   []emulator.SeedNLB{seedNLB("nlb-ours", "xx", ourTags(uid, testCluster)), seedNLB("nlb-user", "uu", nil)},
			writes: []string{"DeleteLoadBalancer"}, left: []string{"nlb-user"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := engineEnv(t, envOpts{seed: func(s *emulator.SeedState) { s.NLBs = tc.seed }})
			svc := testService("web", tc.ann)
			e.emu.ResetAudit()
			e.deleted(svc)
			if w := e.writes(); !slices.Equal(w, tc.writes) {
				t.Errorf("writes %v, want %v", w, tc.writes)
			}
			e.clock.Advance(jobTime)
			var left []string
			for _, lb := range e.lbs() {
				left = append(left, lb.LoadBalancerId)
			}
			slices.Sort(left)
			if !slices.Equal(left, tc.left) {
				t.Errorf("NLBs left %v, want %v", left, tc.left)
			}
			if tc.event != "" {
				if evs := e.drainEvents(); !hasEvent(evs, tc.event) {
					t.Errorf("events %v, want %s", evs, tc.event)
				}
			}
			// Deleting again is a no-op that ends at once.
			e.emu.ResetAudit()
			e.deleted(svc)
			if w := e.writes(); len(w) != 0 {
				t.Errorf("a second delete wrote %v", w)
			}
		})
	}
}

// TestPreserveHandsOver: a preserved NLB keeps its DNS name but loses our
// tags and the official CCM's and both protections, so no Service adopts
// it and the user may delete it.
func TestPreserveHandsOver(t *testing.T) {
	e := engineEnv(t, envOpts{})
	svc := testService("web", anno("preserve-lb-on-delete", "true"))
	e.converge(svc, e.config(svc, nil))
	e.deleted(svc)
	e.clock.Advance(jobTime)
	lb := e.only()
	for _, k := range ownTagKeys {
		if v, ok := nlbTagMap(lb.Tags)[k]; ok {
			t.Errorf("tag %s=%s left", k, v)
		}
	}
	if lb.DeletionProtectionConfig.Enabled || lb.ModificationProtectionConfig.Status != "NonProtection" {
		t.Errorf("protection left: %+v %+v", lb.DeletionProtectionConfig, lb.ModificationProtectionConfig)
	}
	if _, exists, err := e.r.GetLoadBalancer(context.Background(), "k", svc); exists || err != nil {
		t.Errorf("GetLoadBalancer after the hand-over: %v %v", exists, err)
	}
}

// TestDeleteWhileProvisioning: a delete right after the create waits
// (RetryError) for the NLB to be provisioned, then deletes it.
func TestDeleteWhileProvisioning(t *testing.T) {
	e := engineEnv(t, envOpts{})
	svc := testService("web", nil)
	if _, err := e.step(svc, e.config(svc, nil)); err == nil {
		t.Fatal("create ended without a retry")
	}
	err := e.r.EnsureLoadBalancerDeleted(context.Background(), "k", svc)
	var re *cloudproviderapi.RetryError
	if !errors.As(err, &re) {
		t.Fatalf("delete during provisioning: %v", err)
	}
	e.deleted(svc)
	e.clock.Advance(jobTime)
	if n := len(e.lbs()); n != 0 {
		t.Errorf("%d NLBs left", n)
	}
}

// TestGetLoadBalancerExists pins when GetLoadBalancer says the delete has
// work: any NLB of the Service (ours, reused, refused, several, the
// changed id), or server groups with our tags without an NLB; never for
// nothing.
func TestGetLoadBalancerExists(t *testing.T) {
	svc := testService("web", nil)
	uid := string(svc.UID)
	ourGroup := func(s *emulator.SeedState) {
		s.NLBServerGroups = []emulator.SeedNLBServerGroup{{ServerGroupID: "sgp-ours", Name: "k8s-80", VpcID: testVPC, Tags: ownTags(svc)}}
	}
	cases := []struct {
		name   string
		ann    map[string]string
		seed   func(*emulator.SeedState)
		exists bool
		host   bool
	}{
		{"nothing", nil, nil, false, false},
		{"ours", nil, func(s *emulator.SeedState) {
			s.NLBs = []emulator.SeedNLB{seedNLB("nlb-ours", "xx", ourTags(uid, testCluster))}
		}, true, true},
		{"reused", anno("id", "nlb-user"), func(s *emulator.SeedState) { s.NLBs = []emulator.SeedNLB{seedNLB("nlb-user", "uu", nil)} }, true, true},
		{"refused", anno("id", "nlb-ack"), func(s *emulator.SeedState) {
			s.NLBs = []emulator.SeedNLB{seedNLB("nlb-ack", "uu", map[string]string{loadbalancer.TagOfficialCluster: "c"})}
		}, true, false},
		{"id names no NLB", anno("id", "nlb-gone"), nil, true, false},
		{"two of ours", nil, func(s *emulator.SeedState) {
			s.NLBs = []emulator.SeedNLB{seedNLB("nlb-a", "aa", ourTags(uid, testCluster)), seedNLB("nlb-b", "bb", ourTags(uid, testCluster))}
		}, true, true},
		{"only our server group", nil, ourGroup, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := engineEnv(t, envOpts{seed: tc.seed})
			st, exists, err := e.r.GetLoadBalancer(context.Background(), "k", testService("web", tc.ann))
			if err != nil || exists != tc.exists {
				t.Fatalf("exists %v err %v, want %v", exists, err, tc.exists)
			}
			if host := st != nil && len(st.Ingress) > 0 && st.Ingress[0].Hostname != ""; host != tc.host {
				t.Errorf("status %+v", st)
			}
			if w := e.writes(); len(w) != 0 {
				t.Errorf("GetLoadBalancer wrote %v", w)
			}
		})
	}
}
