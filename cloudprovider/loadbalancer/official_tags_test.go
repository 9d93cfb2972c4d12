package loadbalancer

import (
	"context"
	"strings"
	"testing"
)

// TestCreatedCLBCarriesOfficialOwnerTag: a CLB we create also carries the
// official CCM's ownership tag kubernetes.do.not.delete=<default name>, so
// the official tools see it as the Service's; one we created before gets
// it on the next sync.
func TestCreatedCLBCarriesOfficialOwnerTag(t *testing.T) {
	e := newEnv(t, envOpts{})
	svc := service("web", nil)
	e.ensure(svc)
	lb := e.lbs()[0]
	if got := tagMap(lb.Tags.Tag)[TagOfficialOwner]; got != defaultName(svc) {
		t.Fatalf("tag %s = %q, want %q (tags %v)", TagOfficialOwner, got, defaultName(svc), lb.Tags.Tag)
	}
	// A CLB created before the tag existed: untag it, sync, tagged again.
	if err := e.r.untag(context.Background(), "instance", lb.LoadBalancerId, []string{TagOfficialOwner}); err != nil {
		t.Fatal(err)
	}
	e.ensure(svc)
	if got := tagMap(e.lbs()[0].Tags.Tag)[TagOfficialOwner]; got != defaultName(svc) {
		t.Fatalf("after resync: tag %s = %q", TagOfficialOwner, got)
	}
}

// TestIDAtCCMMadeCLBRefused: after a rename through the name annotation,
// an id annotation on another Service pointing at that CCM-made CLB is
// refused with an error naming the tag, as the official CCM refuses it,
// and nothing is written.
func TestIDAtCCMMadeCLBRefused(t *testing.T) {
	e := newEnv(t, envOpts{})
	owner := service("web", anno("name", "first"))
	e.ensure(owner)
	owner.Annotations[annoPrefix+"name"] = "renamed"
	e.ensure(owner)
	lb := e.lbs()[0]
	if lb.LoadBalancerName != "renamed" {
		t.Fatalf("name %q, want renamed", lb.LoadBalancerName)
	}
	e.emu.ResetAudit()
	other := service("other", anno("id", lb.LoadBalancerId))
	_, err := e.r.EnsureLoadBalancer(context.Background(), "k", other, e.nodes)
	if err == nil || !strings.Contains(err.Error(), lb.LoadBalancerId) || !strings.Contains(err.Error(), "created by a cloud controller manager") {
		t.Fatalf("err = %v, want a refusal naming %s", err, lb.LoadBalancerId)
	}
	if w := e.writes(); len(w) != 0 {
		t.Errorf("writes for a refused id: %v", w)
	}
}

// TestVSwitchChangeWarns: the official CCM reads vswitch-id at creation
// only, so a later change leaves the CLB where it is: the same here, with
// a Warning instead of a failed sync, and the other changes still apply.
func TestVSwitchChangeWarns(t *testing.T) {
	e := newEnv(t, envOpts{})
	svc := service("web", anno("address-type", "intranet", "vswitch-id", testVSwitch))
	e.ensure(svc)
	svc.Annotations[annoPrefix+"vswitch-id"] = "vsw-elsewhere"
	svc.Annotations[annoPrefix+"name"] = "renamed"
	e.ensure(svc)
	lb := e.lbs()[0]
	if lb.VSwitchId != testVSwitch || lb.LoadBalancerName != "renamed" {
		t.Errorf("vSwitch %s name %s: want %s kept and the rename applied", lb.VSwitchId, lb.LoadBalancerName, testVSwitch)
	}
	if !e.sawEvent(ReasonAnnotationWarning) {
		t.Error("no warning for the ignored vswitch-id change")
	}
}
