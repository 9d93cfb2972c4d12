package nlb

import (
	"slices"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/podbackends"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// TestDrainAndUnscheduled pins what a cordoned node and a node the
// cluster autoscaler is about to remove become, per remove-unscheduled-backend
// and drain-unscheduled-backend, with the endpoints controller's source
// (Cluster policy: every candidate node is a member).
func TestDrainAndUnscheduled(t *testing.T) {
	cordon := func(n *v1.Node) { n.Spec.Unschedulable = true }
	autoscaler := func(n *v1.Node) {
		n.Spec.Taints = []v1.Taint{{Key: podbackends.TaintToBeDeleted, Effect: v1.TaintEffectNoSchedule}}
	}
	both := []string{"Ecs/i-node0000:30080(w100)", "Ecs/i-node0001:30080(w100)"}
	tests := []struct {
		name              string
		node2             func(*v1.Node)
		removeUnscheduled bool
		drain             string
		want              []string
		err               string
	}{
		{name: "cordoned: still a member (Ready and cordon are no membership signals)", node2: cordon,
			want: append(slices.Clone(both), "Ecs/i-node0002:30080(w100)")},
		{name: "cordoned, remove-unscheduled-backend: removed", node2: cordon, removeUnscheduled: true, want: both},
		{name: "cordoned, remove-unscheduled-backend and drain: weight 0 until the node is gone", node2: cordon, removeUnscheduled: true,
			drain: "on", want: append(slices.Clone(both), "Ecs/i-node0002:30080(w0)")},
		{name: "cordoned, drain alone: weight 0", node2: cordon, drain: "on", want: append(slices.Clone(both), "Ecs/i-node0002:30080(w0)")},
		{name: "drain off: as without it", node2: cordon, removeUnscheduled: true, drain: "off", want: both},
		{name: "the autoscaler's taint: removed at once", node2: autoscaler, want: both},
		{name: "the autoscaler's taint with drain: weight 0", node2: autoscaler, drain: "on",
			want: append(slices.Clone(both), "Ecs/i-node0002:30080(w0)")},
		{name: "an invalid drain value: a Warning naming key and value, no write", node2: cordon, drain: "maybe",
			err: "drain-unscheduled-backend"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			tc.node2(e.nodes[2])
			var ann map[string]string
			if tc.drain != "" {
				ann = anno("drain-unscheduled-backend", tc.drain)
			}
			svc := testService("web", ann)
			e.r.opts.PodBackends.Set(&fakeSource{nodes: e.nodes, slices: []*discoveryv1.EndpointSlice{slice(svc, endpoint{"192.168.5.1", "node-0", false})}})
			lb := e.addNLB("nlb-1", ownTags(svc))
			cfg := cfgFor(svc)
			cfg.Backend.RemoveUnscheduled = tc.removeUnscheduled
			if tc.err != "" {
				e.emu.ResetAudit()
				_, err := e.sync(lb, svc, cfg, false)
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "maybe") {
					t.Fatalf("err = %v", err)
				}
				if !hasEvent(e.drainEvents(), loadbalancer.ReasonInvalidAnnotation) {
					t.Fatal("no InvalidAnnotation Warning")
				}
				if w := e.writes(); len(w) != 0 {
					t.Fatalf("wrote %v", w)
				}
				return
			}
			e.mustSync(lb, svc, cfg, false)
			g := e.ourGroups(svc)["k8s.80.TCP.web.default.c-test"]
			if got := e.serverKeys(g.ServerGroupId); !slices.Equal(got, tc.want) {
				t.Fatalf("members %v, want %v", got, tc.want)
			}
		})
	}
}

// TestMemberWeights pins the members' weights per weight annotation and
// policy: the API's 100 by default, default-weight, weight spread over the
// members of a user's group on a reused NLB (max(1, W/count), 0 stays 0;
// without vgroup-port it does not count), Local weights by endpoint count,
// and ignore-weight-update (members keep the weight they have, new ones
// get the desired one).
func TestMemberWeights(t *testing.T) {
	eps := []endpoint{{"192.168.5.1", "node-0", false}, {"192.168.5.2", "node-0", false}, {"192.168.5.3", "node-1", false}}
	tests := []struct {
		name string
		cfg  func(*annotations.NLBConfig)
		// reuse: the listener uses the user's group sgp-user of a reused NLB.
		reuse     bool
		endpoints bool
		want      []string
	}{
		{name: "the API's default", want: []string{"Ecs/i-node0000:30080(w100)", "Ecs/i-node0001:30080(w100)", "Ecs/i-node0002:30080(w100)"}},
		{name: "default-weight", cfg: func(c *annotations.NLBConfig) { c.Backend.DefaultWeight = ptrTo(30) },
			want: []string{"Ecs/i-node0000:30080(w30)", "Ecs/i-node0001:30080(w30)", "Ecs/i-node0002:30080(w30)"}},
		{name: "weight without vgroup-port does not count", cfg: func(c *annotations.NLBConfig) { c.Backend.Weight = ptrTo(60) },
			want: []string{"Ecs/i-node0000:30080(w100)", "Ecs/i-node0001:30080(w100)", "Ecs/i-node0002:30080(w100)"}},
		{name: "weight 60 over three members of a user's group", reuse: true, cfg: func(c *annotations.NLBConfig) { c.Backend.Weight = ptrTo(60) },
			want: []string{"Ecs/i-node0000:30080(w20)", "Ecs/i-node0001:30080(w20)", "Ecs/i-node0002:30080(w20)"}},
		{name: "weight 1 over three: at least 1 each", reuse: true, cfg: func(c *annotations.NLBConfig) { c.Backend.Weight = ptrTo(1) },
			want: []string{"Ecs/i-node0000:30080(w1)", "Ecs/i-node0001:30080(w1)", "Ecs/i-node0002:30080(w1)"}},
		{name: "weight 0: no traffic", reuse: true, cfg: func(c *annotations.NLBConfig) { c.Backend.Weight = ptrTo(0) },
			want: []string{"Ecs/i-node0000:30080(w0)", "Ecs/i-node0001:30080(w0)", "Ecs/i-node0002:30080(w0)"}},
		{name: "Local with endpoints: by ready endpoints, nodes without endpoints left out", endpoints: true,
			cfg:  func(c *annotations.NLBConfig) { c.Backend.Policy = annotations.TrafficLocal },
			want: []string{"Ecs/i-node0000:30080(w2)", "Ecs/i-node0001:30080(w1)"}},
		{name: "Local without the endpoints source: every node, the health check decides",
			cfg:  func(c *annotations.NLBConfig) { c.Backend.Policy = annotations.TrafficLocal },
			want: []string{"Ecs/i-node0000:30080(w100)", "Ecs/i-node0001:30080(w100)", "Ecs/i-node0002:30080(w100)"}},
		{name: "Cluster with endpoints: every node at the default weight", endpoints: true,
			cfg:  func(c *annotations.NLBConfig) { c.Backend.DefaultWeight = ptrTo(40) },
			want: []string{"Ecs/i-node0000:30080(w40)", "Ecs/i-node0001:30080(w40)", "Ecs/i-node0002:30080(w40)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{seed: func(s *emulator.SeedState) {
				s.NLBServerGroups = append(s.NLBServerGroups, emulator.SeedNLBServerGroup{ServerGroupID: "sgp-user", Name: "user", VpcID: testVPC})
			}})
			svc := testService("web", nil)
			if tc.endpoints {
				e.r.opts.PodBackends.Set(&fakeSource{nodes: e.nodes, slices: []*discoveryv1.EndpointSlice{slice(svc, eps...)}})
			}
			cfg := cfgFor(svc)
			lb, group := e.addNLB("nlb-1", ownTags(svc)), ""
			if tc.reuse {
				lb = e.addNLB("nlb-user", nil)
				cfg.LB.ReuseID, cfg.Backend.VGroupPorts, group = "nlb-user", map[int32]string{80: "sgp-user"}, "sgp-user"
			}
			if tc.cfg != nil {
				tc.cfg(cfg)
			}
			e.mustSync(lb, svc, cfg, tc.reuse)
			if group == "" {
				group = e.ourGroups(svc)["k8s.80.TCP.web.default.c-test"].ServerGroupId
			}
			if got := e.serverKeys(group); !slices.Equal(got, tc.want) {
				t.Fatalf("members %v, want %v", got, tc.want)
			}
		})
	}
}

// TestIgnoreWeightUpdate: with ignore-weight-update a weight change
// writes nothing and a new member still gets the desired weight; without
// it the change is one update.
func TestIgnoreWeightUpdate(t *testing.T) {
	tests := []struct {
		name   string
		ignore bool
		writes []string
		want   []string
	}{
		{name: "ignored: only the new node, at the new weight", ignore: true, writes: []string{"AddServersToServerGroup"},
			want: []string{"Ecs/i-node0000:30080(w100)", "Ecs/i-node0001:30080(w100)", "Ecs/i-node0002:30080(w50)"}},
		{name: "not ignored: the new node and one update", writes: []string{"AddServersToServerGroup", "UpdateServerGroupServersAttribute"},
			want: []string{"Ecs/i-node0000:30080(w50)", "Ecs/i-node0001:30080(w50)", "Ecs/i-node0002:30080(w50)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			all := e.nodes
			e.nodes = all[:2]
			svc := testService("web", nil)
			lb := e.addNLB("nlb-1", ownTags(svc))
			cfg := cfgFor(svc)
			e.mustSync(lb, svc, cfg, false)
			e.nodes = all
			cfg.Backend.DefaultWeight, cfg.Backend.IgnoreWeightUpdate = ptrTo(50), tc.ignore
			if w := e.mustSync(lb, svc, cfg, false); !slices.Equal(w, tc.writes) {
				t.Fatalf("writes %v, want %v", w, tc.writes)
			}
			g := e.ourGroups(svc)["k8s.80.TCP.web.default.c-test"]
			if got := e.serverKeys(g.ServerGroupId); !slices.Equal(got, tc.want) {
				t.Fatalf("members %v, want %v", got, tc.want)
			}
		})
	}
}
