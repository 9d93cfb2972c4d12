package loadbalancer

import (
	"context"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// GetLoadBalancer decides whether the framework calls
// EnsureLoadBalancerDeleted at all: it must answer true (and no error)
// whenever something of ours may be left, and false only when nothing is.
func TestGetLoadBalancerLetsEveryServiceBeDeleted(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOpts{})
	refused, err := e.emu.SeedLoadBalancer(emulator.SeedLB{Name: "apiserver", Tags: []emulator.Tag{{Key: TagOfficialCluster, Value: "c1"}}})
	if err != nil {
		t.Fatal(err)
	}
	withACL := service("acl-only", nil)
	withACL.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8"}
	e.ensure(withACL)
	for _, lb := range e.lbs() { // the CLB deleted by hand; the ACL stays
		p := slb.CreateSetLoadBalancerDeleteProtectionRequest()
		p.LoadBalancerId, p.DeleteProtection = lb.LoadBalancerId, "off"
		if _, err := e.slb.SetLoadBalancerDeleteProtection(ctx, p); err != nil {
			t.Fatal(err)
		}
		d := slb.CreateDeleteLoadBalancerRequest()
		d.LoadBalancerId = lb.LoadBalancerId
		if _, err := e.slb.DeleteLoadBalancer(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name            string
		svc             *v1.Service
		want, wantAfter bool
	}{
		// The annotation keeps naming the CLB: the answer stays true and
		// the delete stays a no-op, which lets the finalizer go.
		{"id names no CLB", service("gone", anno("id", "lb-doesnotexist")), true, true},
		{"id names a refused CLB", service("refused", anno("id", refused)), true, true},
		{"nothing at all", service("nothing", nil), false, false},
		{"only our ACL is left", withACL, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, exists, err := e.r.GetLoadBalancer(ctx, "", tc.svc)
			if err != nil || exists != tc.want {
				t.Fatalf("GetLoadBalancer: exists %v, err %v; want %v, no error", exists, err, tc.want)
			}
			if err := e.r.EnsureLoadBalancerDeleted(ctx, "", tc.svc); err != nil {
				t.Fatalf("EnsureLoadBalancerDeleted: %v", err)
			}
			if _, exists, err := e.r.GetLoadBalancer(ctx, "", tc.svc); err != nil || exists != tc.wantAfter {
				t.Fatalf("after the delete: exists %v, err %v; want %v", exists, err, tc.wantAfter)
			}
		})
	}
}
