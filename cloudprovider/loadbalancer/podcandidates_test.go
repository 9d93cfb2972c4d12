package loadbalancer

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/podbackends"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/nodeclass"
)

// candidateCluster is a cluster with one node of every kind the node
// rules decide on, in name order, and a Service "web" with an endpoint on
// each of them (plus one on a node the cache does not have).
func candidateCluster() ([]*v1.Node, *discoveryv1.EndpointSlice) {
	ecs := func(name, id, zone string) *v1.Node {
		return node(name, "cn-hangzhou."+id, map[string]string{v1.LabelTopologyZone: zone})
	}
	cordoned := ecs("n-cord", "i-c", "z1")
	cordoned.Spec.Unschedulable = true
	tainted := ecs("n-taint", "i-t", "z1")
	tainted.Spec.Taints = []v1.Taint{{Key: podbackends.TaintToBeDeleted, Effect: v1.TaintEffectNoSchedule}}
	deleted := ecs("n-del", "i-d", "z1")
	deleted.DeletionTimestamp = &metav1.Time{}
	unready := ecs("n-unready", "i-u", "z2")
	unready.Status.Conditions = []v1.NodeCondition{{Type: v1.NodeReady, Status: v1.ConditionFalse}}
	pool := ecs("n-pool", "i-p", "z2")
	pool.Labels["pool"] = "x"
	nodes := []*v1.Node{
		ecs("n-a", "i-a", "z1"),
		node("n-alpha", "cn-hangzhou.i-al", map[string]string{labelExcludeBalancerAlpha: "true"}),
		ecs("n-b", "i-b", "z2"),
		cordoned,
		deleted,
		ecs("n-dup1", "i-x", "z1"),
		ecs("n-dup2", "i-x", "z2"),
		node("n-excl", "cn-hangzhou.i-e", map[string]string{labelExcludeFromLB: ""}),
		node("n-idc", "", nil),
		pool,
		tainted,
		unready,
		node("n-vk", "", map[string]string{nodeclass.VirtualLabel: nodeclass.VirtualValue}),
	}
	slice := endpointSlice("web",
		ep{"10.0.0.1", "n-a", false}, ep{"10.0.0.2", "n-a", false}, ep{"10.0.0.3", "n-b", true},
		ep{"10.0.0.4", "n-excl", false}, ep{"10.0.0.5", "n-alpha", false}, ep{"10.0.0.6", "n-idc", false},
		ep{"10.0.0.7", "n-vk", false}, ep{"10.0.0.8", "n-cord", false}, ep{"10.0.0.9", "n-taint", false},
		ep{"10.0.0.10", "n-del", false}, ep{"10.0.0.11", "n-dup1", false}, ep{"10.0.0.12", "n-dup2", false},
		ep{"10.0.0.13", "n-pool", false}, ep{"10.0.0.14", "n-unready", false}, ep{"10.0.0.15", "n-gone", false})
	// Not ready (and not terminating): left out of the members, whatever
	// its node.
	notReady := false
	for _, ip := range []string{"10.0.0.16", "10.0.0.17"} {
		name := map[string]string{"10.0.0.16": "n-b", "10.0.0.17": "n-a"}[ip]
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{Addresses: []string{ip}, NodeName: &name,
			Conditions: discoveryv1.EndpointConditions{Ready: &notReady}})
	}
	return nodes, slice
}

// renderMembers is "instance:port:weight" for node members and
// "pod ip:port:weight" for pod members, in Members' order.
func renderMembers(ms []podbackends.Member) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		if m.IsPod() {
			out = append(out, fmt.Sprintf("pod %s:%d:%d", m.IP, m.Port, m.Weight))
			continue
		}
		out = append(out, fmt.Sprintf("%s:%d:%d", m.InstanceID, m.Port, m.Weight))
	}
	return out
}

// TestPodCandidatesByName pins the members of Local and ENI Services now
// that their nodes are looked up by name (the nodes of their endpoints)
// instead of filtered from every node: the same decisions as the whole
// list gives (excluded, alpha-excluded, non-ECS, deleted, tainted,
// cordoned, backend-label nodes; unready nodes stay; virtual-kubelet pods
// are pod members; weights by ready endpoint count, terminating at 0,
// spread by the weight annotation; drain keeps at 0), with no read of the
// whole node list; Cluster still reads every node, since every eligible
// node is its member.
func TestPodCandidatesByName(t *testing.T) {
	nodes, slice := candidateCluster()
	total := func(w int) *int { return &w }
	tests := []struct {
		name   string
		policy podbackends.Policy
		spec   annotations.Backend
		drain  bool
		total  *int
		want   []string
	}{
		{name: "Local: excluded, non-ECS, deleted, tainted and duplicate-instance nodes go; unready and cordoned stay",
			policy: podbackends.PolicyLocal,
			want: []string{"i-a:30080:2", "i-b:30080:0", "i-c:30080:1", "i-p:30080:1", "i-u:30080:1", "i-x:30080:1",
				"pod 10.0.0.7:8080:1"}},
		{name: "Local: backend-label keeps matching nodes; virtual pods stay", policy: podbackends.PolicyLocal,
			spec: annotations.Backend{NodeLabels: map[string]string{"pool": "x"}},
			want: []string{"i-p:30080:1", "pod 10.0.0.7:8080:1"}},
		{name: "Local: remove-unscheduled-backend drops the cordoned node", policy: podbackends.PolicyLocal,
			spec: annotations.Backend{RemoveUnscheduled: true},
			want: []string{"i-a:30080:2", "i-b:30080:0", "i-p:30080:1", "i-u:30080:1", "i-x:30080:1", "pod 10.0.0.7:8080:1"}},
		{name: "Local: drain keeps cordoned and tainted nodes at weight 0", policy: podbackends.PolicyLocal,
			spec: annotations.Backend{RemoveUnscheduled: true}, drain: true,
			want: []string{"i-a:30080:2", "i-b:30080:0", "i-c:30080:0", "i-p:30080:1", "i-t:30080:0", "i-u:30080:1", "i-x:30080:1",
				"pod 10.0.0.7:8080:1"}},
		{name: "Local: the weight annotation is spread by endpoint count", policy: podbackends.PolicyLocal, total: total(70),
			want: []string{"i-a:30080:20", "i-b:30080:0", "i-c:30080:10", "i-p:30080:10", "i-u:30080:10", "i-x:30080:10",
				"pod 10.0.0.7:8080:10"}},
		{name: "ENI: every ready or terminating pod, whatever its node", policy: podbackends.PolicyENI,
			want: []string{"pod 10.0.0.1:8080:100", "pod 10.0.0.10:8080:100", "pod 10.0.0.11:8080:100", "pod 10.0.0.12:8080:100",
				"pod 10.0.0.13:8080:100", "pod 10.0.0.14:8080:100", "pod 10.0.0.15:8080:100", "pod 10.0.0.2:8080:100",
				"pod 10.0.0.3:8080:0", "pod 10.0.0.4:8080:100", "pod 10.0.0.5:8080:100", "pod 10.0.0.6:8080:100",
				"pod 10.0.0.7:8080:100", "pod 10.0.0.8:8080:100", "pod 10.0.0.9:8080:100"}},
		{name: "ENI: drain puts the pods of cordoned and tainted nodes at 0", policy: podbackends.PolicyENI, drain: true,
			want: []string{"pod 10.0.0.1:8080:100", "pod 10.0.0.10:8080:100", "pod 10.0.0.11:8080:100", "pod 10.0.0.12:8080:100",
				"pod 10.0.0.13:8080:100", "pod 10.0.0.14:8080:100", "pod 10.0.0.15:8080:100", "pod 10.0.0.2:8080:100",
				"pod 10.0.0.3:8080:0", "pod 10.0.0.4:8080:100", "pod 10.0.0.5:8080:100", "pod 10.0.0.6:8080:100",
				"pod 10.0.0.7:8080:100", "pod 10.0.0.8:8080:0", "pod 10.0.0.9:8080:0"}},
		{name: "Cluster: every eligible node, virtual pods too", policy: podbackends.PolicyCluster,
			want: []string{"i-a:30080:100", "i-b:30080:100", "i-c:30080:100", "i-p:30080:100", "i-u:30080:100", "i-x:30080:100",
				"pod 10.0.0.7:8080:100"}},
	}
	svc := service("web", nil, port{name: "http", port: 80, nodePort: 30080})
	sp := svc.Spec.Ports[0]
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := &fakePods{nodes: nodes, slices: []*discoveryv1.EndpointSlice{slice}}
			rules := newNodeRules(&tc.spec, tc.drain)
			cands, zones, err := podCandidates(src, svc, src.slices, tc.policy, rules)
			if err != nil {
				t.Fatal(err)
			}
			members := func(c map[string]podbackends.Node) []string {
				return renderMembers(podbackends.Members(podbackends.Params{Policy: tc.policy, DefaultWeight: defaultWeight,
					NodePort: 30080, Nodes: c, TotalWeight: tc.total,
					Endpoints: podbackends.ForPort(svc, sp, src.slices, discoveryv1.AddressTypeIPv4)}))
			}
			got := members(cands)
			if !slices.Equal(got, tc.want) {
				t.Errorf("members\n got %v\nwant %v", got, tc.want)
			}
			// The whole list gives the same members (its nodes are in
			// name order, so the duplicate instance resolves alike).
			if all := members(candidateNodes(nodes, &tc.spec, tc.drain)); !slices.Equal(got, all) {
				t.Errorf("by name %v, from every node %v", got, all)
			}
			// A member's zone is its node's.
			for _, m := range podbackends.Members(podbackends.Params{Policy: tc.policy, NodePort: 30080, Nodes: cands,
				Endpoints: podbackends.ForPort(svc, sp, src.slices, discoveryv1.AddressTypeIPv4)}) {
				if !m.IsPod() && zones[m.InstanceID] == "" {
					t.Errorf("no zone for member %s", m.InstanceID)
				}
			}
			if tc.policy == podbackends.PolicyCluster {
				if src.listed != 1 || len(src.looked) > 0 {
					t.Errorf("Cluster: %d lists, looked up %v; want one list", src.listed, src.looked)
				}
				return
			}
			wantLooked := []string{"n-a", "n-alpha", "n-b", "n-cord", "n-del", "n-dup1", "n-dup2", "n-excl", "n-gone", "n-idc",
				"n-pool", "n-taint", "n-unready", "n-vk"}
			if src.listed != 0 || !slices.Equal(src.looked, wantLooked) {
				t.Errorf("listed every node %d times, looked up %v; want no list and %v", src.listed, src.looked, wantLooked)
			}
		})
	}
}

// TestPodCandidateZonesAndDuplicates pins the zones (of candidate
// instances only) and the rule for two Nodes naming one instance: one
// member, from the first of them by name among the endpoints' nodes.
func TestPodCandidateZonesAndDuplicates(t *testing.T) {
	nodes, slice := candidateCluster()
	svc := service("web", nil)
	src := &fakePods{nodes: nodes, slices: []*discoveryv1.EndpointSlice{slice}}
	cands, zones, err := podCandidates(src, svc, src.slices, podbackends.PolicyLocal, newNodeRules(&annotations.Backend{}, false))
	if err != nil {
		t.Fatal(err)
	}
	wantZones := map[string]string{"i-a": "z1", "i-b": "z2", "i-c": "z1", "i-p": "z2", "i-u": "z2", "i-x": "z1"}
	if !maps.Equal(zones, wantZones) {
		t.Errorf("zones %v, want %v", zones, wantZones)
	}
	if _, ok := cands["n-dup2"]; ok || cands["n-dup1"].InstanceID != "i-x" {
		t.Errorf("duplicate instance: candidates %v", cands)
	}
	// Only n-dup2's pod left: n-dup2 is the instance's member.
	only := endpointSlice("web", ep{"10.0.0.12", "n-dup2", false})
	src.slices = []*discoveryv1.EndpointSlice{only}
	cands, _, _ = podCandidates(src, svc, src.slices, podbackends.PolicyLocal, newNodeRules(&annotations.Backend{}, false))
	if got := slices.Sorted(maps.Keys(cands)); !slices.Equal(got, []string{"n-dup2"}) {
		t.Errorf("candidates %v, want [n-dup2]", got)
	}
}

// TestEndpointNodes pins the node names a Service's slices name: every
// endpoint with a node, of the Service's slices only, sorted, each once.
func TestEndpointNodes(t *testing.T) {
	svc := service("web", nil)
	other := endpointSlice("api", ep{"10.0.0.9", "n-other", false})
	ns := endpointSlice("web", ep{"10.0.0.8", "n-ns", false})
	ns.Namespace = "kube-system"
	tests := []struct {
		name   string
		slices []*discoveryv1.EndpointSlice
		want   []string
	}{
		{"none", nil, nil},
		{"sorted, each once, terminating too", []*discoveryv1.EndpointSlice{
			endpointSlice("web", ep{"10.0.0.2", "n-b", false}, ep{"10.0.0.1", "n-a", true}, ep{"10.0.0.3", "n-b", false}),
		}, []string{"n-a", "n-b"}},
		{"no node name, other Services and namespaces left out", []*discoveryv1.EndpointSlice{
			endpointSlice("web", ep{"10.0.0.4", "", false}, ep{"10.0.0.5", "n-c", false}), other, ns, nil,
		}, []string{"n-c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := podbackends.EndpointNodes(svc, tc.slices); !slices.Equal(got, tc.want) {
				t.Errorf("EndpointNodes = %v, want %v", got, tc.want)
			}
		})
	}
	if got := strings.Join(podbackends.EndpointNodes(svc, []*discoveryv1.EndpointSlice{endpointSlice("web")}), ","); got != "" {
		t.Errorf("empty slice: %q", got)
	}
}
