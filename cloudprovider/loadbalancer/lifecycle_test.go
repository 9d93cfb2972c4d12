package loadbalancer

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

func (e *env) lb(id string) slb.LoadBalancer {
	e.t.Helper()
	for _, l := range e.lbs() {
		if l.LoadBalancerId == id {
			return l
		}
	}
	e.t.Fatalf("CLB %s not found", id)
	return slb.LoadBalancer{}
}

func (e *env) sawEvent(reason string) bool {
	for {
		select {
		case ev := <-e.events.Events:
			if strings.Contains(ev, reason) {
				return true
			}
		default:
			return false
		}
	}
}

func TestAdoptOfficialCLB(t *testing.T) {
	e := newEnv(t, envOpts{})
	svc := service("web", nil)
	// The official CCM adds its finalizer before it creates the CLB.
	svc.Finalizers = []string{officialFinalizer}
	name := defaultName(svc)
	id, err := e.emu.SeedLoadBalancer(emulator.SeedLB{Name: name, DeleteProtection: true,
		Tags:          []emulator.Tag{{Key: TagOfficialOwner, Value: name}, {Key: TagOfficialCluster, Value: testCluster}},
		VServerGroups: []emulator.SeedVServerGroup{{Name: "k8s/30080/web/default/" + testCluster}},
		Listeners:     []emulator.SeedListener{{Protocol: "tcp", Port: 80, VServerGroup: "k8s/30080/web/default/" + testCluster, Attributes: map[string]string{"Description": "k8s/80/web/default/" + testCluster}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	addr := e.lb(id).Address
	st := e.ensure(svc)
	if lbs := e.lbs(); len(lbs) != 1 {
		t.Fatalf("%d CLBs after adoption, want the official CCM's only", len(lbs))
	}
	if st.Ingress[0].IP != addr {
		t.Errorf("address %s, want the kept %s", st.Ingress[0].IP, addr)
	}
	tags := tagMap(e.lb(id).Tags.Tag)
	if tags[TagServiceUID] != string(svc.UID) || tags[TagClusterID] != testCluster {
		t.Errorf("adopted CLB tags = %v", tags)
	}
	if n := e.emu.CallCount("CreateLoadBalancer", ""); n != 0 {
		t.Errorf("CreateLoadBalancer called %d times", n)
	}
	if ls := e.listeners(id); len(ls) != 1 {
		t.Errorf("listeners after adoption: %d, want the official CCM's one kept", len(ls))
	}
	if !e.sawEvent(ReasonAdopted) {
		t.Error("no Adopted event")
	}
}

func TestReuseCLB(t *testing.T) {
	for _, override := range []bool{false, true} {
		t.Run(map[bool]string{false: "without override", true: "with force-override-listeners"}[override], func(t *testing.T) {
			e := newEnv(t, envOpts{})
			id, err := e.emu.SeedLoadBalancer(emulator.SeedLB{Name: "users-clb", Tags: []emulator.Tag{{Key: "team", Value: "a"}},
				VServerGroups: []emulator.SeedVServerGroup{{Name: "user-group", Backends: []emulator.SeedBackend{{ServerID: "i-node0000", Port: 9999}}}},
				Listeners:     []emulator.SeedListener{{Protocol: "tcp", Port: 443, VServerGroup: "user-group", Attributes: map[string]string{"Description": "console", "Scheduler": "wlc"}}},
			})
			if err != nil {
				t.Fatal(err)
			}
			a := anno("id", id)
			if override {
				a[annoPrefix+annoOverride] = "true"
			}
			svc := service("web", a)
			e.ensure(svc)
			// Without override the reused CLB's listeners are untouched:
			// ours is not even created (its vServer group is).
			ls := e.listeners(id)
			if want := map[bool]int{false: 1, true: 2}[override]; len(ls) != want {
				t.Fatalf("listeners %d, want %d (override %v)", len(ls), want, override)
			}
			if m := e.groupMembers(id); len(m) != 2 {
				t.Errorf("groups %v, want the user's and ours", m)
			}
			for _, l := range ls {
				if l.ListenerPort == 443 && (l.Scheduler != "wlc" || l.Description != "console") {
					t.Errorf("foreign listener modified: %+v", l)
				}
			}
			// A scheduler change reaches our listener only with override.
			svc.Annotations[annoPrefix+"scheduler"] = "rr"
			e.ensure(svc)
			for _, l := range e.listeners(id) {
				if l.ListenerPort == 80 && (!override || l.Scheduler != "rr") {
					t.Errorf("our listener scheduler %s with override=%v", l.Scheduler, override)
				}
			}
			if err := e.r.EnsureLoadBalancerDeleted(context.Background(), "k", svc); err != nil {
				t.Fatal(err)
			}
			if len(e.lbs()) != 1 {
				t.Fatal("reused CLB deleted")
			}
			ls = e.listeners(id)
			if len(ls) != 1 || ls[0].ListenerPort != 443 {
				t.Errorf("after delete listeners = %+v, want only the user's", ls)
			}
			m := e.groupMembers(id)
			if len(m) != 1 || len(m["user-group"]) != 1 {
				t.Errorf("after delete groups = %v, want only the user's untouched", m)
			}
		})
	}
}

func TestReuseRefusedWritesNothing(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, tag := range []emulator.Tag{{Key: TagOfficialCluster, Value: "c-apiserver"}, {Key: TagOfficialOwner, Value: "aother"}, {Key: TagServiceUID, Value: "other"}} {
		id, err := e.emu.SeedLoadBalancer(emulator.SeedLB{Tags: []emulator.Tag{tag}})
		if err != nil {
			t.Fatal(err)
		}
		e.emu.ResetAudit()
		_, err = e.r.EnsureLoadBalancer(context.Background(), "k", service("web", anno("id", id)), e.nodes)
		var re *ReuseError
		if !errors.As(err, &re) {
			t.Fatalf("tag %s: err = %v, want a ReuseError", tag.Key, err)
		}
		if w := e.writes(); len(w) != 0 {
			t.Errorf("tag %s: writes %v", tag.Key, w)
		}
		if !e.sawEvent(ReasonReuseRefused) {
			t.Errorf("tag %s: no %s event", tag.Key, ReasonReuseRefused)
		}
	}
}

func TestInvalidAnnotationMakesNoCall(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.emu.ResetAudit()
	svc := service("web", anno("address-type", "sideways"))
	if _, err := e.r.EnsureLoadBalancer(context.Background(), "k", svc, e.nodes); err == nil {
		t.Fatal("want an error")
	}
	if n := len(e.emu.Audit()); n != 0 {
		t.Errorf("%d API calls for an invalid Service", n)
	}
	select {
	case ev := <-e.events.Events:
		if !strings.Contains(ev, ReasonInvalidAnnotation) || !strings.Contains(ev, "address-type") || !strings.Contains(ev, "sideways") {
			t.Errorf("event %q does not name key and value", ev)
		}
	default:
		t.Error("no event")
	}
}

func TestCrashAfterCreateLeavesOneCLB(t *testing.T) {
	e := newEnv(t, envOpts{})
	svc := service("web", nil)
	spec, err := e.r.desired(svc)
	if err != nil {
		t.Fatal(err)
	}
	// The CCM dies right after CreateLoadBalancer succeeded.
	if _, err := e.r.createLB(context.Background(), svc, spec); err != nil {
		t.Fatal(err)
	}
	// A retried create with the same parameters answers the same CLB.
	if _, err := e.r.createLB(context.Background(), svc, spec); err != nil {
		t.Fatal(err)
	}
	e.restart()
	e.ensure(svc)
	if n := len(e.lbs()); n != 1 {
		t.Fatalf("%d CLBs after crash and restart, want 1", n)
	}
	if n := e.emu.CallCount("CreateLoadBalancer", "OK"); n != 2 {
		t.Errorf("CreateLoadBalancer OK %d times, want the 2 token-deduplicated calls only", n)
	}
}

func TestDeleteOurCLBWithProtection(t *testing.T) {
	e := newEnv(t, envOpts{})
	svc := service("web", nil)
	e.ensure(svc)
	id := e.lbs()[0].LoadBalancerId
	if e.lb(id).DeleteProtection != "on" {
		t.Fatal("new CLB not delete-protected")
	}
	e.emu.ResetAudit()
	if err := e.r.EnsureLoadBalancerDeleted(context.Background(), "k", svc); err != nil {
		t.Fatal(err)
	}
	if n := len(e.lbs()); n != 0 {
		t.Fatalf("%d CLBs left", n)
	}
	w := e.writes()
	if len(w) < 2 || w[0] != "SetLoadBalancerDeleteProtection" || w[1] != "DeleteLoadBalancer" {
		t.Errorf("writes = %v", w)
	}
	// Idempotent: nothing left, no error, no write.
	e.emu.ResetAudit()
	if err := e.r.EnsureLoadBalancerDeleted(context.Background(), "k", svc); err != nil {
		t.Fatal(err)
	}
	if w := e.writes(); len(w) != 0 {
		t.Errorf("second delete wrote %v", w)
	}
	if _, exists, _ := e.r.GetLoadBalancer(context.Background(), "k", svc); exists {
		t.Error("GetLoadBalancer says it exists")
	}
}

func TestPreserveOnDelete(t *testing.T) {
	e := newEnv(t, envOpts{})
	svc := service("web", anno("preserve-lb-on-delete", "true"))
	e.ensure(svc)
	id := e.lbs()[0].LoadBalancerId
	if err := e.r.EnsureLoadBalancerDeleted(context.Background(), "k", svc); err != nil {
		t.Fatal(err)
	}
	lb := e.lb(id)
	tags := tagMap(lb.Tags.Tag)
	if _, ok := tags[TagServiceUID]; ok || lb.DeleteProtection != "off" {
		t.Errorf("preserved CLB: tags %v, delete protection %s", tags, lb.DeleteProtection)
	}
	if len(e.listeners(id)) != 1 {
		t.Error("listeners of the preserved CLB removed")
	}
	if _, exists, _ := e.r.GetLoadBalancer(context.Background(), "k", svc); exists {
		t.Error("the preserved CLB still counts as the Service's")
	}
}

func TestPortAndNodePortChange(t *testing.T) {
	e := newEnv(t, envOpts{})
	svc := service("web", nil, port{"http", 80, 30080, v1.ProtocolTCP})
	e.ensure(svc)
	id := e.lbs()[0].LoadBalancerId
	svc.Spec.Ports[0].Port, svc.Spec.Ports[0].NodePort = 8080, 30081
	e.ensure(svc)
	ls := e.listeners(id)
	if len(ls) != 1 || ls[0].ListenerPort != 8080 || ls[0].Status != "running" {
		t.Fatalf("listeners = %+v", ls)
	}
	m := e.groupMembers(id)
	if len(m) != 1 || len(m["k8s/30081/web/default/"+testCluster]) != 3 {
		t.Errorf("groups = %v, want only the new NodePort's", m)
	}
	// Protocol change on the same port.
	svc.Annotations = anno("protocol-port", "http:8080")
	e.ensure(svc)
	ls = e.listeners(id)
	if len(ls) != 1 || ls[0].ListenerProtocol != "http" {
		t.Fatalf("after protocol change listeners = %+v", ls)
	}
}

func TestSourceRanges(t *testing.T) {
	e := newEnv(t, envOpts{})
	svc := service("web", nil)
	svc.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8", "192.168.1.0/24"}
	e.ensure(svc)
	id := e.lbs()[0].LoadBalancerId
	l := e.listeners(id)[0]
	if l.AclStatus != "on" || l.AclType != "white" || len(l.AclIds) != 1 {
		t.Fatalf("listener ACL: %s %s %v", l.AclStatus, l.AclType, l.AclIds)
	}
	aclID := l.AclIds[0]
	e.emu.ResetAudit()
	e.ensure(svc)
	if w := e.writes(); len(w) != 0 {
		t.Errorf("no-op resync with source ranges wrote %v", w)
	}
	svc.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8", "172.16.0.0/12"}
	e.ensure(svc)
	st, _, err := e.r.readACL(context.Background(), aclID)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.entries) != 2 || !st.entries["172.16.0.0/12"] || st.entries["192.168.1.0/24"] {
		t.Errorf("entries = %v", st.entries)
	}
	svc.Spec.LoadBalancerSourceRanges = nil
	e.ensure(svc)
	if l := e.listeners(id)[0]; l.AclStatus != "off" {
		t.Errorf("ACL still on after removing source ranges")
	}
	e.emu.ResetAudit()
	e.ensure(svc)
	if w := e.writes(); len(w) != 0 {
		t.Errorf("no-op resync after removing source ranges wrote %v", w)
	}
	if err := e.r.EnsureLoadBalancerDeleted(context.Background(), "k", svc); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.r.readACL(context.Background(), aclID); err == nil {
		t.Error("our ACL not deleted with the CLB")
	}
}

func TestEIPStatusAndHostname(t *testing.T) {
	e := newEnv(t, envOpts{})
	svc := service("web", anno("external-ip-type", "eip"))
	e.ensure(svc)
	id := e.lbs()[0].LoadBalancerId
	if err := e.emu.Seed(emulator.SeedState{EIPs: []emulator.EIP{{AllocationID: "eip-1", IPAddress: "47.1.2.3", InstanceID: id, InstanceType: "SlbInstance", Status: "InUse"}}}); err != nil {
		t.Fatal(err)
	}
	if st := e.ensure(svc); len(st.Ingress) != 1 || st.Ingress[0].IP != "47.1.2.3" {
		t.Errorf("EIP status = %+v", st)
	}
	svc.Annotations = anno("hostname", "web.example.com")
	// No ipMode: the API server refuses it without an ip.
	if st := e.ensure(svc); len(st.Ingress) != 1 || st.Ingress[0].Hostname != "web.example.com" || st.Ingress[0].IP != "" || st.Ingress[0].IPMode != nil {
		t.Errorf("hostname status = %+v", st)
	}
}

func TestProxyProtocolIPMode(t *testing.T) {
	e := newEnv(t, envOpts{})
	st := e.ensure(service("web", anno("proxy-protocol", "on")))
	if st.Ingress[0].IPMode == nil || *st.Ingress[0].IPMode != v1.LoadBalancerIPModeProxy {
		t.Errorf("ipMode = %v", st.Ingress[0].IPMode)
	}
}

func TestImmutableFieldChangeIsAnError(t *testing.T) {
	e := newEnv(t, envOpts{})
	svc := service("web", nil)
	e.ensure(svc)
	svc.Annotations = anno("address-type", "intranet")
	e.emu.ResetAudit()
	_, err := e.r.EnsureLoadBalancer(context.Background(), "k", svc, e.nodes)
	var ie *ImmutableError
	if !errors.As(err, &ie) || ie.Field != "address-type" {
		t.Fatalf("err = %v", err)
	}
	if w := e.writes(); len(w) != 0 || len(e.lbs()) != 1 {
		t.Errorf("writes %v, %d CLBs", w, len(e.lbs()))
	}
}

func TestNodeChangeTouchesOnlyBackends(t *testing.T) {
	e := newEnv(t, envOpts{nodes: 4})
	svc := service("web", nil)
	e.ensure(svc)
	e.emu.ResetAudit()
	if err := e.r.UpdateLoadBalancer(context.Background(), "k", svc, e.nodes[:3]); err != nil {
		t.Fatal(err)
	}
	if w := e.writes(); len(w) != 1 || w[0] != "RemoveVServerGroupBackendServers" {
		t.Errorf("writes = %v", w)
	}
	vk := node("vk", "", map[string]string{"type": "virtual-kubelet"})
	e.emu.ResetAudit()
	if err := e.r.UpdateLoadBalancer(context.Background(), "k", svc, append(e.nodes[:3:3], vk)); err != nil {
		t.Fatal(err)
	}
	if w := e.writes(); len(w) != 0 {
		t.Errorf("a virtual node caused writes %v", w)
	}
}

func TestBackendQuotaIsNamed(t *testing.T) {
	lim := emulator.DefaultLimits()
	lim.BackendsPerLB = 2
	e := newEnv(t, envOpts{nodes: 3, limits: &lim})
	_, err := e.r.EnsureLoadBalancer(context.Background(), "k", service("web", nil), e.nodes)
	var q *QuotaError
	if !errors.As(err, &q) || q.Quota != "slb_quota_backendservers_num" {
		t.Fatalf("err = %v", err)
	}
	if !e.sawEvent(ReasonQuotaExceeded) {
		t.Error("no quota event")
	}
}

func TestBatchingAndQuotaOrderingAgainstTheAPI(t *testing.T) {
	lim := emulator.DefaultLimits()
	lim.BackendsPerLB = 50
	e := newEnv(t, envOpts{nodes: 60, limits: &lim})
	svc := service("web", nil)
	e.nodes, e.r.opts.Quotas.BackendsPerCLB = e.nodes[:45], 50
	e.ensure(svc)
	// 45 members: CreateVServerGroup carries 20, then 2 adds.
	if n := e.emu.CallCount("AddVServerGroupBackendServers", "OK"); n != 2 {
		t.Errorf("adds = %d, want 2", n)
	}
	// Swap 15 nodes: 45+15 > 50, so adding before removing would hit the
	// quota; one replace call never grows the CLB's member count.
	all := newEnvNodes(60)
	e.emu.ResetAudit()
	if err := e.r.UpdateLoadBalancer(context.Background(), "k", svc, all[15:60]); err != nil {
		t.Fatal(err)
	}
	if w := e.writes(); len(w) != 1 || w[0] != "ModifyVServerGroupBackendServers" {
		t.Errorf("writes = %v", w)
	}
	// The members are exactly the new nodes.
	e.emu.ResetAudit()
	if err := e.r.UpdateLoadBalancer(context.Background(), "k", svc, all[15:60]); err != nil {
		t.Fatal(err)
	}
	if w := e.writes(); len(w) != 0 {
		t.Errorf("writes after the swap converged = %v", w)
	}
}

func newEnvNodes(n int) []*v1.Node {
	var out []*v1.Node
	for i := 0; i < n; i++ {
		out = append(out, node("node", testRegion+"."+fmtID(i), nil))
	}
	return out
}

// TestVGroupPortRemovedLeavesUserGroup: when vgroup-port goes (or names
// another group), our members leave the user's group; the user's member
// stays.
func TestVGroupPortRemovedLeavesUserGroup(t *testing.T) {
	e := newEnv(t, envOpts{})
	id, err := e.emu.SeedLoadBalancer(emulator.SeedLB{Name: "users-clb",
		VServerGroups: []emulator.SeedVServerGroup{{VServerGroupID: "rsp-user", Name: "user-group", Backends: []emulator.SeedBackend{{ServerID: "i-node0000", Port: 9999}}},
			{VServerGroupID: "rsp-other", Name: "other-group"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		vgroupPort string
		want       map[string]int // members per group name
	}{
		{"attached", "rsp-user:80", map[string]int{"user-group": 4, "other-group": 0}},
		{"moved to another group", "rsp-other:80", map[string]int{"user-group": 1, "other-group": 3}},
		{"annotation removed", "", map[string]int{"user-group": 1, "other-group": 0, "k8s/30080/web/default/c-test": 3}},
	}
	svc := service("web", anno("id", id))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			delete(svc.Annotations, annoPrefix+"vgroup-port")
			if tc.vgroupPort != "" {
				svc.Annotations[annoPrefix+"vgroup-port"] = tc.vgroupPort
			}
			e.ensure(svc)
			got := map[string]int{}
			for name, m := range e.groupMembers(id) {
				got[name] = len(m)
			}
			for name, n := range tc.want {
				if got[name] != n {
					t.Errorf("group %s has %d members, want %d (all: %v)", name, got[name], n, got)
				}
			}
		})
	}
}
