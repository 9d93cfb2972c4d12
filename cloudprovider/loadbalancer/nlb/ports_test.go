package nlb

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"
	cloudproviderapi "k8s.io/cloud-provider/api"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// cfgFor is the typed config of svc as the parser gives it for a Service
// without annotations (Cluster policy, ECS backends, Instance groups),
// built by hand so these tests pin the port level alone.
func cfgFor(svc *v1.Service) *annotations.NLBConfig {
	cfg := &annotations.NLBConfig{
		LB:          annotations.NLBInstance{AddressType: annotations.AddressTypeInternet, IPVersion: annotations.IPv4},
		ServerGroup: annotations.NLBServerGroup{Type: annotations.NLBServerGroupInstance},
		Backend:     annotations.Backend{Type: annotations.BackendECS, Policy: annotations.TrafficCluster, IPVersion: annotations.IPv4},
	}
	for _, sp := range svc.Spec.Ports {
		proto := annotations.NLBProtocolTCP
		if sp.Protocol == v1.ProtocolUDP {
			proto = annotations.NLBProtocolUDP
		}
		cfg.Listeners = append(cfg.Listeners, annotations.NLBListener{Port: sp.Port, NodePort: sp.NodePort, TargetPort: sp.TargetPort, Protocol: proto})
	}
	return cfg
}

// sync runs syncPorts once.
func (e *env) sync(lb *sdknlb.LoadbalancerInfo, svc *v1.Service, cfg *annotations.NLBConfig, reused bool) ([]string, error) {
	return e.r.syncPorts(context.Background(), portsInput{LB: lb, Reused: reused, Cfg: cfg, Svc: svc, Nodes: e.nodes})
}

// mustSync runs syncPorts until a run starts no job (as the engine
// reconciles again once the returned jobs ended; the fake clock moves
// past them), failing on errors other than retries; it returns the
// writes.
func (e *env) mustSync(lb *sdknlb.LoadbalancerInfo, svc *v1.Service, cfg *annotations.NLBConfig, reused bool) []string {
	e.t.Helper()
	e.emu.ResetAudit()
	for i := 0; i < 50; i++ {
		jobs, err := e.sync(lb, svc, cfg, reused)
		if err == nil && len(jobs) == 0 {
			return e.writes()
		}
		var re *cloudproviderapi.RetryError
		if err != nil && !errors.As(err, &re) {
			e.t.Fatalf("syncPorts: %v", err)
		}
		e.clock.Advance(time.Minute)
	}
	e.t.Fatal("syncPorts did not converge in 50 rounds")
	return nil
}

// ourGroups are the server groups tagged for svc, by name.
func (e *env) ourGroups(svc *v1.Service) map[string]sdknlb.ServerGroup {
	out := map[string]sdknlb.ServerGroup{}
	for _, g := range e.groups() {
		if tags := groupTags(&g); tags[loadbalancer.TagServiceUID] == string(svc.UID) {
			out[g.ServerGroupName] = g
		}
	}
	return out
}

// serverKeys renders a group's members as "Type/ID:port(wW)" sorted.
func (e *env) serverKeys(groupID string) []string {
	var out []string
	for _, s := range e.servers(groupID) {
		out = append(out, listedServer(s).String())
	}
	sort.Strings(out)
	return out
}

func count(ws []string, action string) int {
	n := 0
	for _, w := range ws {
		if w == action {
			n++
		}
	}
	return n
}

// TestSyncPortsCreatesThenNoOp: a fresh NLB gets one tagged server group
// and one tagged, running listener per Service port, every eligible node
// on the NodePort; a second reconcile writes nothing.
func TestSyncPortsCreatesThenNoOp(t *testing.T) {
	e := newEnv(t, envOpts{})
	svc := testService("web", nil, svcPort{80, 30080, v1.ProtocolTCP}, svcPort{53, 30053, v1.ProtocolUDP})
	lb := e.addNLB("nlb-own", ownTags(svc))
	cfg := cfgFor(svc)
	jobs, err := e.sync(lb, svc, cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	w := e.writes()
	if count(w, "CreateServerGroup") != 2 || count(w, "CreateListener") != 2 || count(w, "AddServersToServerGroup") != 2 || len(w) != 6 {
		t.Fatalf("writes %v", w)
	}
	if len(jobs) != 6 {
		t.Fatalf("jobs %v, want one per write", jobs)
	}
	groups := e.ourGroups(svc)
	tcp, udp := groups["k8s.80.TCP.web.default.c-test"], groups["k8s.53.UDP.web.default.c-test"]
	if tcp.Protocol != "TCP" || udp.Protocol != "UDP" || tcp.ServerGroupType != "Instance" || len(groupTags(&tcp)) != 3 {
		t.Fatalf("groups %+v", groups)
	}
	want := []string{"Ecs/i-node0000:30080(w100)", "Ecs/i-node0001:30080(w100)", "Ecs/i-node0002:30080(w100)"}
	if got := e.serverKeys(tcp.ServerGroupId); !slices.Equal(got, want) {
		t.Fatalf("TCP members %v, want %v", got, want)
	}
	ls := e.listeners(lb.LoadBalancerId)
	if len(ls) != 2 {
		t.Fatalf("listeners %+v", ls)
	}
	for _, l := range ls {
		wantGroup := tcp.ServerGroupId
		if l.ListenerProtocol == "UDP" {
			wantGroup = udp.ServerGroupId
		}
		if l.ServerGroupId != wantGroup || l.ListenerStatus != "Running" || !r(e).ownsTags(listenerTags(&l), svc) ||
			!strings.HasPrefix(l.ListenerDescription, "k8s.") {
			t.Fatalf("listener %+v", l)
		}
	}
	if w := e.mustSync(lb, svc, cfg, false); len(w) != 0 {
		t.Fatalf("no-op reconcile wrote %v", w)
	}
}

func r(e *env) *Reconciler { return e.r }

// TestDeletePorts: deleting removes our listeners and server groups, and
// nothing else: a user's listener and group on the same NLB stay.
func TestDeletePorts(t *testing.T) {
	e := newEnv(t, envOpts{seed: foreignGroup})
	svc := testService("web", nil, svcPort{80, 30080, v1.ProtocolTCP}, svcPort{53, 30053, v1.ProtocolUDP})
	lb := e.addNLB("nlb-1", nil, emulator.SeedNLBListener{Protocol: "TCP", Port: 8080, ServerGroupID: "sgp-foreign"})
	cfg := cfgFor(svc)
	cfg.LB.ReuseID = "nlb-1"
	e.mustSync(lb, svc, cfg, true)
	e.emu.ResetAudit()
	jobs, err := e.r.deletePorts(context.Background(), lb.LoadBalancerId, svc)
	if err != nil {
		t.Fatal(err)
	}
	w := e.writes()
	if !slices.Equal(w, []string{"DeleteListener", "DeleteListener", "DeleteServerGroup", "DeleteServerGroup"}) || len(jobs) != 4 {
		t.Fatalf("writes %v jobs %v", w, jobs)
	}
	ls := e.listeners(lb.LoadBalancerId)
	if len(ls) != 1 || ls[0].ListenerPort != 8080 {
		t.Fatalf("listeners left %+v", ls)
	}
	if len(e.ourGroups(svc)) != 0 || len(e.servers("sgp-foreign")) != 1 {
		t.Fatalf("groups left %+v", e.groups())
	}
	e.emu.ResetAudit()
	if _, err := e.r.deletePorts(context.Background(), lb.LoadBalancerId, svc); err != nil || len(e.writes()) != 0 {
		t.Fatalf("second delete: %v, writes %v", err, e.writes())
	}
}

// TestDeletePortsWithoutNLB: server groups outlive their NLB; with the NLB
// gone they are still found by their tags and deleted.
func TestDeletePortsWithoutNLB(t *testing.T) {
	svc := testService("web", nil)
	e := newEnv(t, envOpts{seed: func(s *emulator.SeedState) {
		s.NLBServerGroups = append(s.NLBServerGroups, emulator.SeedNLBServerGroup{ServerGroupID: "sgp-left", Name: "k8s.80.TCP.web.default.c-test",
			VpcID: testVPC, Tags: ownTags(svc)})
	}})
	if _, err := e.r.deletePorts(context.Background(), "", svc); err != nil {
		t.Fatal(err)
	}
	if w := e.writes(); !slices.Equal(w, []string{"DeleteServerGroup"}) || len(e.groups()) != 0 {
		t.Fatalf("writes %v groups %+v", w, e.groups())
	}
}

// TestDeletePortsLeavesGroupsOthersUse: our group that a listener we do
// not own uses is left in place with a Warning Event; the deletion goes on.
func TestDeletePortsLeavesGroupsOthersUse(t *testing.T) {
	svc := testService("web", nil)
	e := newEnv(t, envOpts{seed: func(s *emulator.SeedState) {
		s.NLBServerGroups = append(s.NLBServerGroups, emulator.SeedNLBServerGroup{ServerGroupID: "sgp-ours", Name: "k8s.80.TCP.web.default.c-test",
			VpcID: testVPC, Tags: ownTags(svc)})
	}})
	e.addNLB("nlb-user", nil, emulator.SeedNLBListener{Protocol: "TCP", Port: 80, ServerGroupID: "sgp-ours"})
	if _, err := e.r.deletePorts(context.Background(), "", svc); err != nil {
		t.Fatal(err)
	}
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("writes %v", w)
	}
	if ev := <-e.events.Events; !strings.Contains(ev, loadbalancer.ReasonForeignObject) || !strings.Contains(ev, "sgp-ours") {
		t.Fatalf("event %q", ev)
	}
}

// TestJobsAreNotWaitedFor: with NLB jobs that run for a while, each
// reconcile writes what it can, returns the started jobs and a retry
// error instead of waiting; repeated reconciles converge to the same
// state as with instant jobs, and then write nothing. Deletion works the
// same way.
func TestJobsAreNotWaitedFor(t *testing.T) {
	e := newEnv(t, envOpts{jobs: 10 * time.Second})
	svc := testService("web", nil, svcPort{80, 30080, v1.ProtocolTCP}, svcPort{443, 30443, v1.ProtocolTCP})
	lb := e.addNLB("nlb-1", ownTags(svc))
	cfg := cfgFor(svc)
	jobs, err := e.sync(lb, svc, cfg, false)
	if err != nil || len(jobs) == 0 {
		t.Fatalf("first reconcile: jobs %v err %v", jobs, err)
	}
	// The first reconcile created both groups, but no member or listener
	// could follow while the groups were being created.
	if w := e.writes(); !slices.Equal(w, []string{"CreateServerGroup", "CreateServerGroup"}) {
		t.Fatalf("first reconcile wrote %v", w)
	}
	rounds := 1
	for ; rounds < 20 && len(jobs) > 0; rounds++ {
		e.clock.Advance(11 * time.Second)
		if jobs, err = e.sync(lb, svc, cfg, false); err != nil {
			t.Fatal(err)
		}
	}
	if len(jobs) > 0 {
		t.Fatalf("no convergence after %d rounds", rounds)
	}
	if ls := e.listeners(lb.LoadBalancerId); len(ls) != 2 || len(e.ourGroups(svc)) != 2 {
		t.Fatalf("listeners %+v groups %+v", ls, e.ourGroups(svc))
	}
	for _, g := range e.ourGroups(svc) {
		if len(e.servers(g.ServerGroupId)) != 3 {
			t.Fatalf("group %s members %+v", g.ServerGroupId, e.servers(g.ServerGroupId))
		}
	}
	e.clock.Advance(11 * time.Second)
	e.emu.ResetAudit()
	if jobs, err := e.sync(lb, svc, cfg, false); err != nil || len(jobs) != 0 || len(e.writes()) != 0 {
		t.Fatalf("no-op: jobs %v err %v writes %v", jobs, err, e.writes())
	}
	for i := 0; ; i++ {
		jobs, err := e.r.deletePorts(context.Background(), lb.LoadBalancerId, svc)
		if err != nil || i > 20 {
			t.Fatalf("delete: %v", err)
		}
		if len(jobs) == 0 {
			break
		}
		e.clock.Advance(11 * time.Second)
	}
	e.clock.Advance(11 * time.Second)
	if len(e.listeners(lb.LoadBalancerId)) != 0 || len(e.ourGroups(svc)) != 0 {
		t.Fatal("delete left listeners or groups")
	}
}

// TestBackendsOnly: UpdateLoadBalancer's sync converges members only: no
// listener or group is created or changed.
func TestBackendsOnly(t *testing.T) {
	e := newEnv(t, envOpts{})
	svc := testService("web", nil, svcPort{80, 30080, v1.ProtocolTCP}, svcPort{81, 30081, v1.ProtocolTCP})
	lb := e.addNLB("nlb-1", ownTags(svc))
	cfg := cfgFor(svc)
	e.mustSync(lb, svc, cfgFor(testService("web", nil)), false) // port 80 only
	e.nodes = e.nodes[:2]
	cfg.ServerGroup.Scheduler = "Sch"
	e.emu.ResetAudit()
	if _, err := e.r.syncPorts(context.Background(), portsInput{LB: lb, Cfg: cfg, Svc: svc, Nodes: e.nodes, BackendsOnly: true}); err != nil {
		t.Fatal(err)
	}
	if w := e.writes(); !slices.Equal(w, []string{"RemoveServersFromServerGroup"}) {
		t.Fatalf("writes %v", w)
	}
	if len(e.listeners(lb.LoadBalancerId)) != 1 || len(e.ourGroups(svc)) != 1 {
		t.Fatal("backend-only sync created listeners or groups")
	}
}

// TestVGroupPortSharing: on a reused NLB, vgroup-port puts the Service's
// members into the user's server group next to the user's members, with
// the weight annotation spread over them; the user's members and the
// group's attributes are never changed; deleting removes only ours.
func TestVGroupPortSharing(t *testing.T) {
	e := newEnv(t, envOpts{seed: func(s *emulator.SeedState) {
		s.NLBServerGroups = append(s.NLBServerGroups, emulator.SeedNLBServerGroup{ServerGroupID: "sgp-user", Name: "user", VpcID: testVPC,
			Servers: []emulator.SeedNLBServer{{ServerID: nodeID(0), Type: "Ecs", Port: 9000, Description: "user-made"}}})
	}})
	svc := testService("web", map[string]string{annotations.Prefix + "vgroup-port": "sgp-user:80"})
	lb := e.addNLB("nlb-user", nil, emulator.SeedNLBListener{Protocol: "TCP", Port: 80, ServerGroupID: "sgp-user", Description: "user"})
	cfg := cfgFor(svc)
	cfg.LB.ReuseID = "nlb-user"
	cfg.Backend.VGroupPorts = map[int32]string{80: "sgp-user"}
	cfg.Backend.Weight = ptrTo(60)
	w := e.mustSync(lb, svc, cfg, true)
	if !slices.Equal(w, []string{"AddServersToServerGroup"}) {
		t.Fatalf("writes %v (the user's listener forwards to the user's group and stays theirs)", w)
	}
	want := []string{"Ecs/i-node0000:30080(w20)", "Ecs/i-node0000:9000(w100)", "Ecs/i-node0001:30080(w20)", "Ecs/i-node0002:30080(w20)"}
	if got := e.serverKeys("sgp-user"); !slices.Equal(got, want) {
		t.Fatalf("members %v, want %v", got, want)
	}
	if ls := e.listeners("nlb-user"); len(ls) != 1 || ls[0].ListenerDescription != "user" || r(e).ownsTags(listenerTags(&ls[0]), svc) {
		t.Fatalf("the user's listener changed: %+v", ls)
	}
	if w := e.mustSync(lb, svc, cfg, true); len(w) != 0 {
		t.Fatalf("no-op wrote %v", w)
	}
	e.emu.ResetAudit()
	if _, err := e.r.deletePorts(context.Background(), "nlb-user", svc); err != nil {
		t.Fatal(err)
	}
	if got := e.serverKeys("sgp-user"); !slices.Equal(got, []string{"Ecs/i-node0000:9000(w100)"}) {
		t.Fatalf("after delete %v", got)
	}
	if w := e.writes(); !slices.Equal(w, []string{"RemoveServersFromServerGroup"}) {
		t.Fatalf("delete writes %v", w)
	}
}

// TestVGroupPortCreatesListenerOnFreePort: with vgroup-port on a port no
// listener holds, our listener is created on the user's group.
func TestVGroupPortCreatesListenerOnFreePort(t *testing.T) {
	e := newEnv(t, envOpts{seed: func(s *emulator.SeedState) {
		s.NLBServerGroups = append(s.NLBServerGroups, emulator.SeedNLBServerGroup{ServerGroupID: "sgp-user", Name: "user", VpcID: testVPC})
	}})
	svc := testService("web", nil)
	lb := e.addNLB("nlb-user", nil)
	cfg := cfgFor(svc)
	cfg.LB.ReuseID = "nlb-user"
	cfg.Backend.VGroupPorts = map[int32]string{80: "sgp-user"}
	if w := e.mustSync(lb, svc, cfg, true); !slices.Equal(w, []string{"AddServersToServerGroup", "CreateListener"}) {
		t.Fatalf("writes %v", w)
	}
	ls := e.listeners("nlb-user")
	if len(ls) != 1 || ls[0].ServerGroupId != "sgp-user" || !r(e).ownsTags(listenerTags(&ls[0]), svc) {
		t.Fatalf("listeners %+v", ls)
	}
	if len(e.ourGroups(svc)) != 0 {
		t.Fatal("a group of ours was created for a vgroup-port")
	}
}

// TestVGroupPortRefusesBadGroups: a missing user group stops the
// reconcile before any write.
func TestVGroupPortRefusesBadGroups(t *testing.T) {
	e := newEnv(t, envOpts{})
	svc := testService("web", nil)
	lb := e.addNLB("nlb-user", nil)
	cfg := cfgFor(svc)
	cfg.LB.ReuseID = "nlb-user"
	cfg.Backend.VGroupPorts = map[int32]string{80: "sgp-missing"}
	e.emu.ResetAudit()
	if _, err := e.sync(lb, svc, cfg, true); err == nil || !strings.Contains(err.Error(), "sgp-missing") {
		t.Fatalf("err = %v", err)
	}
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("wrote %v", w)
	}
}

// TestVGroupPortNeedsReuse: vgroup-port counts only with the id
// annotation (annotations.NLBConfig.ServerGroupID). On an NLB the CCM made
// for the Service, the port gets a group of ours and the user's group
// named by vgroup-port is neither read nor written.
func TestVGroupPortNeedsReuse(t *testing.T) {
	e := newEnv(t, envOpts{seed: func(s *emulator.SeedState) {
		s.NLBServerGroups = append(s.NLBServerGroups, emulator.SeedNLBServerGroup{ServerGroupID: "sgp-user", Name: "user", VpcID: testVPC})
	}})
	svc := testService("web", nil)
	lb := e.addNLB("nlb-ours", nil)
	cfg := cfgFor(svc)
	cfg.Backend.VGroupPorts = map[int32]string{80: "sgp-user"}
	e.mustSync(lb, svc, cfg, false)
	if got := e.serverKeys("sgp-user"); len(got) != 0 {
		t.Fatalf("the user's group got members %v", got)
	}
	if len(e.ourGroups(svc)) != 1 {
		t.Fatalf("groups of ours: %d, want 1", len(e.ourGroups(svc)))
	}
}
