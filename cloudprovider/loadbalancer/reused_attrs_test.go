package loadbalancer

import (
	"context"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// TestReusedCLBGetsAnnotatedAttributes: instance annotations on a Service
// with id are applied to the reused CLB, as the official CCM applies them;
// attributes the user did not annotate (modification protection here) are
// never touched, no tag of ours is added, and removing the annotations
// changes nothing.
func TestReusedCLBGetsAnnotatedAttributes(t *testing.T) {
	e := newEnv(t, envOpts{})
	id, err := e.emu.SeedLoadBalancer(emulator.SeedLB{Name: "users-clb", Tags: []emulator.Tag{{Key: "team", Value: "a"}}})
	if err != nil {
		t.Fatal(err)
	}
	attrs := func() *slb.DescribeLoadBalancerAttributeResponse {
		req := slb.CreateDescribeLoadBalancerAttributeRequest()
		req.LoadBalancerId = id
		resp, err := e.slb.DescribeLoadBalancerAttribute(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	before := attrs()
	svc := service("web", anno("id", id, "name", "shared-clb", "delete-protection", "on", "additional-resource-tags", "env=prod"))
	e.ensure(svc)
	after := attrs()
	if after.LoadBalancerName != "shared-clb" || after.DeleteProtection != "on" {
		t.Errorf("name %q, delete protection %q: want the annotated shared-clb, on", after.LoadBalancerName, after.DeleteProtection)
	}
	if after.ModificationProtectionStatus != before.ModificationProtectionStatus {
		t.Errorf("modification protection %q -> %q: not annotated, must not change", before.ModificationProtectionStatus, after.ModificationProtectionStatus)
	}
	tags := tagMap(e.lb(id).Tags.Tag)
	if tags["env"] != "prod" || tags["team"] != "a" {
		t.Errorf("tags %v: want env=prod added and team=a kept", tags)
	}
	for k := range tags {
		if strings.HasPrefix(k, "alicloud-ccm/") || k == TagOfficialOwner {
			t.Errorf("tag %s of ours on the user's CLB", k)
		}
	}
	// Without the annotations nothing is written: unannotated attributes
	// are never touched, tags never removed.
	e.emu.ResetAudit()
	svc.Annotations = anno("id", id)
	e.ensure(svc)
	for _, w := range e.writes() {
		if !strings.Contains(w, "VServerGroup") {
			t.Errorf("write %s after the annotations were removed", w)
		}
	}
}
