package loadbalancer

import (
	"context"
	"strings"
	"testing"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// Adding the id annotation to a Service that already owns a CLB (or
// pointing it elsewhere) is refused by Ensure, but must not block the
// Service's deletion: the CLB we own by our tags is deleted with our ACL,
// and the CLB the annotation names is left exactly as it was.
func TestDeleteAfterIDAnnotationAddedToOwnedCLB(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target bool // the annotation names an existing user CLB
	}{
		{"names a user's CLB", true},
		{"names no CLB", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			svc := service("web", nil)
			svc.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8"}
			e.ensure(svc)
			owned := e.lbs()[0].LoadBalancerId
			aclID := e.listeners(owned)[0].AclIds[0]
			target := "lb-doesnotexist"
			if tc.target {
				var err error
				if target, err = e.emu.SeedLoadBalancer(emulator.SeedLB{Name: "users-clb",
					Listeners: []emulator.SeedListener{{Protocol: "tcp", Port: 443, Attributes: map[string]string{"Description": "console", "BackendServerPort": "443"}}}}); err != nil {
					t.Fatal(err)
				}
			}
			svc.Annotations = anno("id", target)
			_, err := e.r.EnsureLoadBalancer(context.Background(), "k", svc, e.nodes)
			if err == nil || !strings.Contains(err.Error(), "names another CLB") {
				t.Fatalf("EnsureLoadBalancer = %v, want the CLB-change refusal", err)
			}
			e.emu.ResetAudit()
			if err := e.r.EnsureLoadBalancerDeleted(context.Background(), "k", svc); err != nil {
				t.Fatalf("EnsureLoadBalancerDeleted: %v", err)
			}
			for _, lb := range e.lbs() {
				if lb.LoadBalancerId == owned {
					t.Errorf("our CLB %s not deleted", owned)
				}
			}
			if _, _, err := e.aclInfo(aclID); err == nil {
				t.Errorf("our ACL %s not deleted", aclID)
			}
			if tc.target {
				if ls := e.listeners(target); len(ls) != 1 || ls[0].Description != "console" {
					t.Errorf("the annotated CLB's listeners changed: %v", ls)
				}
				for _, a := range e.emu.Audit() {
					if a.Params["LoadBalancerId"] == target && a.Action != "DescribeLoadBalancers" {
						t.Errorf("the annotated CLB %s was written: %s", target, a.Action)
					}
				}
			}
		})
	}
}
