package loadbalancer

import (
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// TestWeightAppliesToEveryGroup: with id and vgroup-port, weight is the
// Service's share of the shared CLB, as in the official CCM: every vServer
// group of the Service (the user's on port 80 and ours on port 443) gets
// it spread over its backends, and changes converge (60 -> 80 -> 0 -> 100).
func TestWeightAppliesToEveryGroup(t *testing.T) {
	e := newEnv(t, envOpts{nodes: 2})
	id, err := e.emu.SeedLoadBalancer(emulator.SeedLB{Name: "users-clb",
		VServerGroups: []emulator.SeedVServerGroup{{VServerGroupID: "rsp-user", Name: "user-group"}}})
	if err != nil {
		t.Fatal(err)
	}
	svc := service("web", anno("id", id, annoOverride, "true", "vgroup-port", "rsp-user:80", "weight", "60"),
		port{"http", 80, 30080, v1.ProtocolTCP}, port{"https", 443, 30443, v1.ProtocolTCP})
	for _, tc := range []struct {
		weight string
		each   int
	}{{"60", 30}, {"80", 40}, {"0", 0}, {"100", 50}, {"1", 1}} {
		svc.Annotations[annoPrefix+"weight"] = tc.weight
		e.ensure(svc)
		groups := e.groupMembers(id)
		if len(groups) != 2 {
			t.Fatalf("weight %s: %d groups, want the user's and ours for 443: %v", tc.weight, len(groups), groups)
		}
		for name, ms := range groups {
			if len(ms) != 2 {
				t.Fatalf("weight %s: group %s has %d members, want 2", tc.weight, name, len(ms))
			}
			for _, m := range ms {
				if m.Weight != tc.each {
					t.Errorf("weight %s: group %s member %s has weight %d, want %d", tc.weight, name, m.ServerID, m.Weight, tc.each)
				}
			}
		}
	}
}

// TestWeightNeedsVGroupPort: without vgroup-port (or without id) weight
// has no effect, as in the official CCM: every backend keeps 100.
func TestWeightNeedsVGroupPort(t *testing.T) {
	e := newEnv(t, envOpts{nodes: 2})
	svc := service("web", anno("weight", "60"))
	e.ensure(svc)
	for name, ms := range e.groupMembers(e.lbs()[0].LoadBalancerId) {
		for _, m := range ms {
			if m.Weight != defaultWeight {
				t.Errorf("group %s member %s has weight %d, want %d", name, m.ServerID, m.Weight, defaultWeight)
			}
		}
	}
}
