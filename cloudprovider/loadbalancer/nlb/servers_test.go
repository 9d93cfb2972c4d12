package nlb

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/podbackends"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/nodeclass"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// TestDiffServers pins the member diff: missing ones are added, ours that
// are not desired removed, weight or description changes updated (weight
// ones not with ignore-weight-update), members not ours never touched.
func TestDiffServers(t *testing.T) {
	ecs := func(id string, port, w int, desc string) server {
		return server{ID: id, Type: serverEcs, Port: port, Weight: w, Description: desc}
	}
	ours := func(s server) bool { return s.Description != "theirs" }
	tests := []struct {
		name                string
		desired, actual     []server
		ignoreWeight        bool
		add, remove, update []string
	}{
		{name: "empty group", desired: []server{ecs("i-a", 80, 100, "ours")}, add: []string{"Ecs/i-a:80(w100)"}},
		{name: "in place", desired: []server{ecs("i-a", 80, 100, "ours")}, actual: []server{ecs("i-a", 80, 100, "ours")}},
		{name: "ECS members match without their listed IP", desired: []server{ecs("i-a", 80, 100, "ours")},
			actual: []server{{ID: "i-a", Type: serverEcs, IP: "192.168.0.1", Port: 80, Weight: 100, Description: "ours"}}},
		{name: "a NodePort change is a swap", desired: []server{ecs("i-a", 81, 100, "ours")}, actual: []server{ecs("i-a", 80, 100, "ours")},
			add: []string{"Ecs/i-a:81(w100)"}, remove: []string{"Ecs/i-a:80(w100)"}},
		{name: "weight change", desired: []server{ecs("i-a", 80, 3, "ours")}, actual: []server{ecs("i-a", 80, 100, "ours")},
			update: []string{"Ecs/i-a:80(w3)"}},
		{name: "ignore-weight-update", desired: []server{ecs("i-a", 80, 3, "ours")}, actual: []server{ecs("i-a", 80, 100, "ours")}, ignoreWeight: true},
		{name: "ignore-weight-update still fixes a description", desired: []server{ecs("i-a", 80, 3, "ours")}, actual: []server{ecs("i-a", 80, 100, "old")},
			ignoreWeight: true},
		{name: "members not ours are left", desired: []server{ecs("i-a", 80, 100, "ours")},
			actual: []server{ecs("i-a", 80, 50, "theirs"), ecs("i-b", 80, 100, "theirs")}},
		{name: "ours not desired go", actual: []server{ecs("i-a", 80, 100, "ours"), ecs("i-b", 80, 100, "theirs")}, remove: []string{"Ecs/i-a:80(w100)"}},
		{name: "ENI members are told apart by IP", desired: []server{{ID: "eni-1", Type: serverEni, IP: "10.0.0.2", Port: 8080, Weight: 100, Description: "ours"}},
			actual: []server{{ID: "eni-1", Type: serverEni, IP: "10.0.0.1", Port: 8080, Weight: 100, Description: "ours"}},
			add:    []string{"Eni/eni-1:8080(w100)"}, remove: []string{"Eni/eni-1:8080(w100)"}},
		{name: "duplicates in the desired list count once", desired: []server{ecs("i-a", 80, 100, "ours"), ecs("i-a", 80, 100, "ours")},
			add: []string{"Ecs/i-a:80(w100)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := diffServers(tc.desired, tc.actual, ours, tc.ignoreWeight)
			str := func(ss []server) []string {
				var out []string
				for _, s := range ss {
					out = append(out, s.String())
				}
				return out
			}
			if !slices.Equal(str(p.add), tc.add) || !slices.Equal(str(p.remove), tc.remove) {
				t.Fatalf("add %v remove %v, want %v %v", str(p.add), str(p.remove), tc.add, tc.remove)
			}
			if tc.name == "ignore-weight-update still fixes a description" {
				if len(p.update) != 1 || p.update[0].Weight != 100 || p.update[0].Description != "ours" {
					t.Fatalf("update %+v", p.update)
				}
				return
			}
			if !slices.Equal(str(p.update), tc.update) {
				t.Fatalf("update %v, want %v", str(p.update), tc.update)
			}
		})
	}
}

// TestNodeMembers pins which nodes become members without the endpoints
// source and with which weight, per backend annotation.
func TestNodeMembers(t *testing.T) {
	tests := []struct {
		name  string
		nodes func([]*v1.Node) []*v1.Node
		cfg   func(*annotations.NLBConfig)
		want  []string
	}{
		{name: "every ECS node on the NodePort", want: []string{"Ecs/i-node0000:30080(w100)", "Ecs/i-node0001:30080(w100)", "Ecs/i-node0002:30080(w100)"}},
		{name: "virtual, data-centre and excluded nodes are left out", nodes: func(ns []*v1.Node) []*v1.Node {
			ns[0].Labels = map[string]string{nodeclass.VirtualLabel: nodeclass.VirtualValue}
			ns[1].Spec.ProviderID = ""
			return append(ns, testNode("excluded", testRegion+".i-x", map[string]string{"node.kubernetes.io/exclude-from-external-load-balancers": ""}))
		}, want: []string{"Ecs/i-node0002:30080(w100)"}},
		{name: "backend-label", nodes: func(ns []*v1.Node) []*v1.Node {
			ns[1].Labels = map[string]string{"pool": "a"}
			return ns
		}, cfg: func(c *annotations.NLBConfig) { c.Backend.NodeLabels = map[string]string{"pool": "a"} }, want: []string{"Ecs/i-node0001:30080(w100)"}},
		{name: "remove-unscheduled-backend", nodes: func(ns []*v1.Node) []*v1.Node {
			ns[2].Spec.Unschedulable = true
			return ns
		}, cfg: func(c *annotations.NLBConfig) { c.Backend.RemoveUnscheduled = true },
			want: []string{"Ecs/i-node0000:30080(w100)", "Ecs/i-node0001:30080(w100)"}},
		{name: "default-weight", cfg: func(c *annotations.NLBConfig) { c.Backend.DefaultWeight = ptrTo(20) },
			want: []string{"Ecs/i-node0000:30080(w20)", "Ecs/i-node0001:30080(w20)", "Ecs/i-node0002:30080(w20)"}},
		{name: "Ip server group: the nodes' internal IPs", cfg: func(c *annotations.NLBConfig) { c.ServerGroup.Type = annotations.NLBServerGroupIP },
			want: []string{"Ip/192.168.1.10:30080(w100)", "Ip/192.168.1.11:30080(w100)", "Ip/192.168.1.12:30080(w100)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			if tc.nodes != nil {
				e.nodes = tc.nodes(e.nodes)
			}
			svc := testService("web", nil)
			lb := e.addNLB("nlb-1", ownTags(svc))
			cfg := cfgFor(svc)
			if tc.cfg != nil {
				tc.cfg(cfg)
			}
			e.mustSync(lb, svc, cfg, false)
			g := e.ourGroups(svc)["k8s.80.TCP.web.default.c-test"]
			if got := e.serverKeys(g.ServerGroupId); !slices.Equal(got, tc.want) {
				t.Fatalf("members %v, want %v", got, tc.want)
			}
			if g.ServerGroupType != string(cfg.ServerGroup.Type) {
				t.Fatalf("group type %s", g.ServerGroupType)
			}
		})
	}
}

// TestNodeChangesAreDiffs: a node leaving and one joining are one add and
// one remove; a weight change one update; with ignore-weight-update none.
func TestNodeChangesAreDiffs(t *testing.T) {
	e := newEnv(t, envOpts{nodes: 4})
	all := e.nodes
	e.nodes = all[:3]
	svc := testService("web", nil)
	lb := e.addNLB("nlb-1", ownTags(svc))
	cfg := cfgFor(svc)
	e.mustSync(lb, svc, cfg, false)
	e.nodes = all[1:]
	if w := e.mustSync(lb, svc, cfg, false); !slices.Equal(w, []string{"AddServersToServerGroup", "RemoveServersFromServerGroup"}) {
		t.Fatalf("node swap wrote %v", w)
	}
	cfg.Backend.DefaultWeight = ptrTo(50)
	cfg.Backend.IgnoreWeightUpdate = true
	if w := e.mustSync(lb, svc, cfg, false); len(w) != 0 {
		t.Fatalf("ignore-weight-update wrote %v", w)
	}
	cfg.Backend.IgnoreWeightUpdate = false
	if w := e.mustSync(lb, svc, cfg, false); !slices.Equal(w, []string{"UpdateServerGroupServersAttribute"}) {
		t.Fatalf("weight change wrote %v", w)
	}
	g := e.ourGroups(svc)["k8s.80.TCP.web.default.c-test"]
	want := []string{"Ecs/i-node0001:30080(w50)", "Ecs/i-node0002:30080(w50)", "Ecs/i-node0003:30080(w50)"}
	if got := e.serverKeys(g.ServerGroupId); !slices.Equal(got, want) {
		t.Fatalf("members %v, want %v", got, want)
	}
}

// TestManyServersBatched: 90 nodes are added in calls of at most 40.
func TestManyServersBatched(t *testing.T) {
	e := newEnv(t, envOpts{nodes: 90})
	svc := testService("web", nil)
	lb := e.addNLB("nlb-1", ownTags(svc))
	w := e.mustSync(lb, svc, cfgFor(svc), false)
	if count(w, "AddServersToServerGroup") != 3 {
		t.Fatalf("writes %v", w)
	}
	if n := len(e.servers(e.ourGroups(svc)["k8s.80.TCP.web.default.c-test"].ServerGroupId)); n != 90 {
		t.Fatalf("%d members", n)
	}
}

// TestENIBackendsNeedTheSource: ENI backends without the endpoints
// controller are an error naming it, with no write.
func TestENIBackendsNeedTheSource(t *testing.T) {
	e := newEnv(t, envOpts{})
	svc := testService("web", nil)
	lb := e.addNLB("nlb-1", ownTags(svc))
	cfg := cfgFor(svc)
	cfg.Backend.Type = annotations.BackendENI
	e.emu.ResetAudit()
	if _, err := e.sync(lb, svc, cfg, false); err == nil || !strings.Contains(err.Error(), "endpoints controller") {
		t.Fatalf("err = %v", err)
	}
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("wrote %v", w)
	}
}

// fakeSource is an endpoints source: slices, nodes and ENI answers.
type fakeSource struct {
	unsynced bool
	slices   []*discoveryv1.EndpointSlice
	nodes    []*v1.Node
	eni      map[string]string
	missing  []string
	listed   int // Nodes calls
}

var _ loadbalancer.PodBackendSource = (*fakeSource)(nil)

func (f *fakeSource) Synced() bool { return !f.unsynced }

func (f *fakeSource) EndpointSlices(*v1.Service) ([]*discoveryv1.EndpointSlice, error) {
	return f.slices, nil
}

func (f *fakeSource) Nodes() ([]*v1.Node, error) { f.listed++; return f.nodes, nil }

func (f *fakeSource) Node(name string) (*v1.Node, bool) {
	for _, n := range f.nodes {
		if n.Name == name {
			return n, true
		}
	}
	return nil, false
}

func (f *fakeSource) Resolve(_ context.Context, ips []string) (podbackends.Resolution, error) {
	res := podbackends.Resolution{ENI: map[string]string{}}
	for _, ip := range ips {
		switch {
		case f.eni[ip] != "":
			res.ENI[ip] = f.eni[ip]
		case slices.Contains(f.missing, ip):
			res.Missing = append(res.Missing, ip)
		default:
			res.Outside = append(res.Outside, ip)
		}
	}
	return res, nil
}

// endpoint is one pod of a test EndpointSlice.
type endpoint struct {
	ip, node    string
	terminating bool
}

// slice is svc's EndpointSlice for its first port, target port 8080.
func slice(svc *v1.Service, eps ...endpoint) *discoveryv1.EndpointSlice {
	name, port, proto := svc.Spec.Ports[0].Name, int32(8080), v1.ProtocolTCP
	s := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: svc.Namespace, Name: svc.Name + "-x",
		Labels: map[string]string{discoveryv1.LabelServiceName: svc.Name}}, AddressType: discoveryv1.AddressTypeIPv4,
		Ports: []discoveryv1.EndpointPort{{Name: &name, Port: &port, Protocol: &proto}}}
	for _, ep := range eps {
		node, term := ep.node, ep.terminating
		ready := !term
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{ep.ip}, NodeName: &node,
			Conditions: discoveryv1.EndpointConditions{Ready: &ready, Terminating: &term}})
	}
	return s
}

// podENIs seeds an ENI per pod IP 192.168.5.N (eni-podN).
func podENIs(n int) func(*emulator.SeedState) {
	return func(s *emulator.SeedState) {
		for i := 1; i <= n; i++ {
			s.ENIs = append(s.ENIs, emulator.ENI{NetworkInterfaceID: fmt.Sprintf("eni-pod%d", i), Type: "Secondary", VpcID: testVPC,
				VSwitchID: testVSwH, ZoneID: testZoneH, PrimaryIP: fmt.Sprintf("192.168.5.%d", i)})
		}
	}
}

// TestPodMembers pins the members built from endpoints, per policy and
// server group type; only Cluster reads every node.
func TestPodMembers(t *testing.T) {
	eps := []endpoint{{"192.168.5.1", "node-0", false}, {"192.168.5.2", "node-0", false}, {"192.168.5.3", "node-1", false},
		{"192.168.5.4", "node-1", true}}
	tests := []struct {
		name    string
		cfg     func(*annotations.NLBConfig)
		missing []string
		want    []string
		events  []string
	}{
		{name: "Cluster: every node", want: []string{"Ecs/i-node0000:30080(w100)", "Ecs/i-node0001:30080(w100)", "Ecs/i-node0002:30080(w100)"}},
		{name: "Local: nodes with endpoints, weighted by their ready endpoints",
			cfg:  func(c *annotations.NLBConfig) { c.Backend.Policy = annotations.TrafficLocal },
			want: []string{"Ecs/i-node0000:30080(w2)", "Ecs/i-node0001:30080(w1)"}},
		{name: "Local in an Ip group: the endpoints' nodes by their internal IP",
			cfg: func(c *annotations.NLBConfig) {
				c.Backend.Policy, c.ServerGroup.Type = annotations.TrafficLocal, annotations.NLBServerGroupIP
			},
			want: []string{"Ip/192.168.1.10:30080(w2)", "Ip/192.168.1.11:30080(w1)"}},
		{name: "ENI backends in an Instance group: pods by their ENI on the target port, terminating ones at weight 0",
			cfg:  func(c *annotations.NLBConfig) { c.Backend.Type = annotations.BackendENI },
			want: []string{"Eni/eni-pod1:8080(w100)", "Eni/eni-pod2:8080(w100)", "Eni/eni-pod3:8080(w100)", "Eni/eni-pod4:8080(w0)"}},
		{name: "ENI backends in an Ip group: the pod IPs, no ENI lookup",
			cfg: func(c *annotations.NLBConfig) {
				c.Backend.Type, c.ServerGroup.Type = annotations.BackendENI, annotations.NLBServerGroupIP
			},
			missing: []string{"192.168.5.1", "192.168.5.2", "192.168.5.3", "192.168.5.4"},
			want:    []string{"Ip/192.168.5.1:8080(w100)", "Ip/192.168.5.2:8080(w100)", "Ip/192.168.5.3:8080(w100)", "Ip/192.168.5.4:8080(w0)"}},
		{name: "unresolved pods: the others are members, an event says why",
			cfg:     func(c *annotations.NLBConfig) { c.Backend.Type = annotations.BackendENI },
			missing: []string{"192.168.5.4"},
			want:    []string{"Eni/eni-pod1:8080(w100)", "Eni/eni-pod2:8080(w100)", "Eni/eni-pod3:8080(w100)"},
			events:  []string{loadbalancer.ReasonENIUnresolved}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{seed: podENIs(4)})
			svc := testService("web", nil)
			src := &fakeSource{slices: []*discoveryv1.EndpointSlice{slice(svc, eps...)}, nodes: e.nodes, missing: tc.missing,
				eni: map[string]string{"192.168.5.1": "eni-pod1", "192.168.5.2": "eni-pod2", "192.168.5.3": "eni-pod3", "192.168.5.4": "eni-pod4"}}
			for _, ip := range tc.missing {
				delete(src.eni, ip)
			}
			e.r.opts.PodBackends.Set(src)
			lb := e.addNLB("nlb-1", ownTags(svc))
			cfg := cfgFor(svc)
			if tc.cfg != nil {
				tc.cfg(cfg)
			}
			e.mustSync(lb, svc, cfg, false)
			g := e.ourGroups(svc)["k8s.80.TCP.web.default.c-test"]
			if got := e.serverKeys(g.ServerGroupId); !slices.Equal(got, tc.want) {
				t.Fatalf("members %v, want %v", got, tc.want)
			}
			// Only Cluster members read every node; Local and ENI look
			// up their endpoints' nodes by name.
			if cluster := cfg.Backend.Policy != annotations.TrafficLocal && cfg.Backend.Type != annotations.BackendENI; (src.listed > 0) != cluster {
				t.Errorf("read the whole node list %d times (Cluster: %v)", src.listed, cluster)
			}
			for _, reason := range tc.events {
				found := false
				for len(e.events.Events) > 0 {
					ev := <-e.events.Events
					found = found || strings.Contains(ev, reason)
				}
				if !found {
					t.Fatalf("no %s event", reason)
				}
			}
		})
	}
}

// TestUnresolvedPodsRemoveNothing: while a pod's ENI is unknown, members
// of its group are added but none removed; once resolved, the diff runs
// in full.
func TestUnresolvedPodsRemoveNothing(t *testing.T) {
	e := newEnv(t, envOpts{seed: podENIs(3)})
	svc := testService("web", nil)
	src := &fakeSource{nodes: e.nodes, eni: map[string]string{"192.168.5.1": "eni-pod1", "192.168.5.2": "eni-pod2", "192.168.5.3": "eni-pod3"}}
	src.slices = []*discoveryv1.EndpointSlice{slice(svc, endpoint{"192.168.5.1", "node-0", false}, endpoint{"192.168.5.2", "node-0", false})}
	e.r.opts.PodBackends.Set(src)
	lb := e.addNLB("nlb-1", ownTags(svc))
	cfg := cfgFor(svc)
	cfg.Backend.Type = annotations.BackendENI
	e.mustSync(lb, svc, cfg, false)
	// Pod 1 goes, pod 3 comes but its ENI is not found yet.
	src.slices = []*discoveryv1.EndpointSlice{slice(svc, endpoint{"192.168.5.2", "node-0", false}, endpoint{"192.168.5.3", "node-1", false})}
	src.missing, src.eni = []string{"192.168.5.3"}, map[string]string{"192.168.5.2": "eni-pod2"}
	if w := e.mustSync(lb, svc, cfg, false); len(w) != 0 {
		t.Fatalf("incomplete members wrote %v", w)
	}
	src.missing, src.eni["192.168.5.3"] = nil, "eni-pod3"
	if w := e.mustSync(lb, svc, cfg, false); !slices.Equal(w, []string{"AddServersToServerGroup", "RemoveServersFromServerGroup"}) {
		t.Fatalf("resolved members wrote %v", w)
	}
}

// TestUnsyncedSourceRetries: before the endpoints caches sync, the
// reconcile is a retry with no write.
func TestUnsyncedSourceRetries(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.r.opts.PodBackends.Set(&fakeSource{unsynced: true})
	svc := testService("web", nil)
	lb := e.addNLB("nlb-1", ownTags(svc))
	e.emu.ResetAudit()
	if _, err := e.sync(lb, svc, cfgFor(svc), false); err == nil || !strings.Contains(err.Error(), "not synced") {
		t.Fatalf("err = %v", err)
	}
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("wrote %v", w)
	}
}
