package loadbalancer

import (
	"context"
	"slices"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// TestDeleteOutcomes pins what EnsureLoadBalancerDeleted leaves for each
// kind of Service, and that it is idempotent: a second call writes
// nothing, so a crash after any step converges on the next attempt.
func TestDeleteOutcomes(t *testing.T) {
	tests := []struct {
		name string
		// reused: the Service reuses a user's CLB with a listener of its
		// own on port 8000.
		reused bool
		ann    map[string]string
		ranges []string
		// clbKept: the CLB is still there; tagsLeft: our tags on it.
		clbKept, tagsLeft bool
		event             string
	}{
		{name: "ours", ann: map[string]string{}, event: ReasonDeleted},
		{name: "ours with source ranges", ann: map[string]string{}, ranges: []string{"10.0.0.0/8"}, event: ReasonDeleted},
		{name: "ours with protection", ann: anno("delete-protection", "on", "modification-protection", "ConsoleProtection"), event: ReasonDeleted},
		{name: "preserved", ann: anno("preserve-lb-on-delete", "true"), ranges: []string{"10.0.0.0/8"}, clbKept: true, event: ReasonPreserved},
		{name: "reused", reused: true, ann: map[string]string{}, ranges: []string{"10.0.0.0/8"}, clbKept: true, tagsLeft: true, event: ReasonReusedCleaned},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, envOpts{})
			ann := tc.ann
			userTags := map[string]string{}
			if tc.reused {
				id, err := e.emu.SeedLoadBalancer(emulator.SeedLB{Name: "users", Tags: []emulator.Tag{{Key: "team", Value: "a"}},
					Listeners: []emulator.SeedListener{{Protocol: "tcp", Port: 9000, BackendServerPort: 9000}}})
				if err != nil {
					t.Fatal(err)
				}
				ann = anno("id", id, annoOverride, "true")
				userTags["team"] = "a"
			}
			svc := service("web", ann, port{"http", 8000, 30800, v1.ProtocolTCP})
			svc.Spec.LoadBalancerSourceRanges = tc.ranges
			e.ensure(svc)
			lbID := e.lbs()[0].LoadBalancerId
			e.eventsOf("")

			if err := e.r.EnsureLoadBalancerDeleted(ctx, "", svc); err != nil {
				t.Fatal(err)
			}
			if !hasEvent(e.eventsOf(""), tc.event) {
				t.Errorf("no %s event", tc.event)
			}
			lbs := e.lbs()
			if (len(lbs) == 1) != tc.clbKept {
				t.Fatalf("CLBs after delete: %v (kept: %v)", lbs, tc.clbKept)
			}
			if tc.clbKept {
				tags := tagMap(lbs[0].Tags.Tag)
				_, ours := tags[TagServiceUID]
				if ours {
					t.Errorf("our ownership tag is still on the kept CLB: %v", tags)
				}
				for k, v := range userTags {
					if tags[k] != v {
						t.Errorf("the user's tag %s was changed: %v", k, tags)
					}
				}
				var ports []int
				for _, l := range e.listeners(lbID) {
					ports = append(ports, l.ListenerPort)
				}
				wantPorts := []int{8000} // preserved: kept with its listeners
				if tc.reused {
					wantPorts = []int{9000} // only the user's listener is left
				}
				if !slices.Equal(ports, wantPorts) {
					t.Errorf("listeners left %v, want %v", ports, wantPorts)
				}
			}
			if acls, err := e.r.ourACLs(ctx, svc); err != nil || len(acls) != 0 {
				t.Errorf("our ACLs left: %v, %v", acls, err)
			}

			e.emu.ResetAudit()
			if err := e.r.EnsureLoadBalancerDeleted(ctx, "", svc); err != nil {
				t.Fatalf("second delete: %v", err)
			}
			if w := e.writes(); len(w) > 0 {
				t.Errorf("a second delete wrote %v", w)
			}
			if _, exists, err := e.r.GetLoadBalancer(ctx, "", svc); err != nil || exists != tc.reused {
				// A reused CLB stays the Service's (by its id annotation);
				// the delete on it has nothing left to do.
				t.Errorf("GetLoadBalancer after delete: exists %v, %v; want %v", exists, err, tc.reused)
			}
		})
	}
}

// TestDeleteAfterCLBGoneByHand: the CLB deleted by hand leaves nothing to
// delete but our ACL; the Service can still go.
func TestDeleteAfterCLBGoneByHand(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOpts{})
	svc := service("web", nil)
	svc.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8"}
	e.ensure(svc)
	st, err := e.r.find(ctx, svc, LenientLookup(svc))
	if err != nil || st == nil {
		t.Fatal(st, err)
	}
	if err := e.r.deleteOwn(ctx, svc, st); err != nil {
		t.Fatal(err)
	}
	// The ACL survived (a crash between the two deletes).
	if acls, err := e.r.ourACLs(ctx, svc); err != nil || len(acls) != 1 {
		t.Fatalf("ACLs %v, %v; want ours left", acls, err)
	}
	if err := e.r.EnsureLoadBalancerDeleted(ctx, "", svc); err != nil {
		t.Fatal(err)
	}
	if acls, err := e.r.ourACLs(ctx, svc); err != nil || len(acls) != 0 {
		t.Errorf("ACLs %v, %v; want none", acls, err)
	}
	// deleteOwn on a CLB already gone is no error either.
	if err := e.r.deleteOwn(ctx, svc, st); err != nil {
		t.Errorf("deleteOwn of a gone CLB: %v", err)
	}
}
