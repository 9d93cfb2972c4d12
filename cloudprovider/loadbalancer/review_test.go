package loadbalancer

import (
	"context"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// A backend-only sync the endpoints controller decided on before the
// Service was deleted runs after EnsureLoadBalancerDeleted (it waits on
// the Service lock). On a reused CLB it must not put our vServer group or
// our members in the user's group back: nothing would ever remove them.
func TestStaleBackendSyncAfterDeleteWritesNothing(t *testing.T) {
	for _, vgroupPort := range []string{"", "rsp-user:80"} {
		t.Run("vgroup-port="+vgroupPort, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			id, err := e.emu.SeedLoadBalancer(emulator.SeedLB{Name: "users-clb",
				VServerGroups: []emulator.SeedVServerGroup{{VServerGroupID: "rsp-user", Name: "user-group",
					Backends: []emulator.SeedBackend{{ServerID: "i-node0000", Port: 9999}}}},
			})
			if err != nil {
				t.Fatal(err)
			}
			a := anno("id", id)
			if vgroupPort != "" {
				a[annoPrefix+"vgroup-port"] = vgroupPort
			}
			svc := service("web", a)
			e.ensure(svc)
			if err := e.r.EnsureLoadBalancerDeleted(context.Background(), "k", svc); err != nil {
				t.Fatal(err)
			}
			e.emu.ResetAudit()
			if err := e.r.SyncBackends(context.Background(), svc, e.nodes); err != nil {
				t.Fatal(err)
			}
			if err := e.r.UpdateLoadBalancer(context.Background(), "k", svc, e.nodes); err != nil {
				t.Fatal(err)
			}
			if w := e.writes(); len(w) > 0 {
				t.Errorf("backend syncs after the delete wrote %v", w)
			}
			m := e.groupMembers(id)
			if len(m) != 1 || len(m["user-group"]) != 1 {
				t.Errorf("groups after the stale sync = %v, want only the user's with its one member", m)
			}
			// The Service coming back (EnsureLoadBalancer) syncs again.
			e.ensure(svc)
			e.emu.ResetAudit()
			e.nodes = e.nodes[:2]
			if err := e.r.SyncBackends(context.Background(), svc, e.nodes); err != nil {
				t.Fatal(err)
			}
			if len(e.writes()) == 0 {
				t.Error("a node removal after the Service came back wrote nothing")
			}
		})
	}
}

// On a reused CLB without force-override-listeners no listener of ours
// exists to bind an ACL to: source ranges cannot be applied. That must be
// said (a Warning naming the field and the annotation), and no ACL may be
// created that nothing uses.
func TestSourceRangesOnReusedCLBWithoutOverride(t *testing.T) {
	e := newEnv(t, envOpts{})
	id, err := e.emu.SeedLoadBalancer(emulator.SeedLB{Name: "users-clb"})
	if err != nil {
		t.Fatal(err)
	}
	svc := service("web", anno("id", id))
	svc.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8"}
	e.emu.ResetAudit()
	e.ensure(svc)
	for _, w := range e.writes() {
		if strings.Contains(w, "AccessControlList") {
			t.Errorf("an ACL nothing can use was written: %v", e.writes())
			break
		}
	}
	if !e.sawEventWith(ReasonAnnotationWarning, "spec.loadBalancerSourceRanges", annoOverride) {
		t.Error("no Warning saying the source ranges are not applied")
	}
}

// sawEventWith reports whether an event has the reason and every word.
func (e *env) sawEventWith(reason string, words ...string) bool {
	for {
		select {
		case ev := <-e.events.Events:
			ok := strings.Contains(ev, reason)
			for _, w := range words {
				ok = ok && strings.Contains(ev, w)
			}
			if ok {
				return true
			}
		default:
			return false
		}
	}
}

// The user deletes the reused CLB by hand, then the Service: the CLB is
// gone (the id annotation names nothing), but our source-ranges ACL is
// still ours to delete; leaving it leaks an ACL (50 per region).
func TestDeleteAfterReusedCLBVanishedDeletesOurACL(t *testing.T) {
	e := newEnv(t, envOpts{})
	id, err := e.emu.SeedLoadBalancer(emulator.SeedLB{Name: "users-clb"})
	if err != nil {
		t.Fatal(err)
	}
	svc := service("web", anno("id", id, annoOverride, "true"))
	svc.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8"}
	e.ensure(svc)
	acl, err := e.r.findACL(context.Background(), svc, "")
	if err != nil || acl == nil {
		t.Fatalf("our ACL: %v %v", acl, err)
	}
	del := slb.CreateDeleteLoadBalancerRequest()
	del.LoadBalancerId = id
	if _, err := e.slb.DeleteLoadBalancer(context.Background(), del); err != nil {
		t.Fatal(err)
	}
	if err := e.r.EnsureLoadBalancerDeleted(context.Background(), "k", svc); err != nil {
		t.Fatal(err)
	}
	if acl, err := e.r.findACL(context.Background(), svc, ""); err != nil || acl != nil {
		t.Errorf("our ACL left behind: %v %v", acl, err)
	}
}
