package podbackends

import (
	"reflect"
	"testing"

	v1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestForPortConditions pins how ForPort reads endpoint conditions and
// addresses, one case per decision: terminating beats ready, a ready copy
// is never replaced by a later terminating one, every address of an
// endpoint counts, and the result is sorted by IP.
func TestForPortConditions(t *testing.T) {
	svc := &v1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"}}
	sp := v1.ServicePort{Name: "http", Protocol: v1.ProtocolTCP}
	name, port, tcp := "http", int32(8080), v1.ProtocolTCP
	b := func(v bool) *bool { return &v }
	node := func(n string) *string { return &n }
	slice := func(eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
		return &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
			AddressType: discoveryv1.AddressTypeIPv4, Ports: []discoveryv1.EndpointPort{{Name: &name, Port: &port, Protocol: &tcp}}, Endpoints: eps}
	}
	ep := func(ready, term *bool, n *string, ips ...string) discoveryv1.Endpoint {
		return discoveryv1.Endpoint{Addresses: ips, NodeName: n, Conditions: discoveryv1.EndpointConditions{Ready: ready, Terminating: term}}
	}
	for _, tt := range []struct {
		name   string
		slices []*discoveryv1.EndpointSlice
		want   []Endpoint
	}{
		{"ready and terminating at once drains", []*discoveryv1.EndpointSlice{slice(ep(b(true), b(true), node("n0"), "10.0.0.1"))},
			[]Endpoint{{IP: "10.0.0.1", NodeName: "n0", Port: 8080, Terminating: true}}},
		{"terminating false with ready unknown is ready", []*discoveryv1.EndpointSlice{slice(ep(nil, b(false), nil, "10.0.0.1"))},
			[]Endpoint{{IP: "10.0.0.1", Port: 8080}}},
		{"a ready copy is kept when a terminating one follows", []*discoveryv1.EndpointSlice{
			slice(ep(b(true), nil, node("new"), "10.0.0.1")), slice(ep(b(false), b(true), node("old"), "10.0.0.1"))},
			[]Endpoint{{IP: "10.0.0.1", NodeName: "new", Port: 8080}}},
		{"of two terminating copies the last one stays", []*discoveryv1.EndpointSlice{
			slice(ep(b(false), b(true), node("a"), "10.0.0.1")), slice(ep(b(false), b(true), node("b"), "10.0.0.1"))},
			[]Endpoint{{IP: "10.0.0.1", NodeName: "b", Port: 8080, Terminating: true}}},
		{"every address of an endpoint, sorted by IP", []*discoveryv1.EndpointSlice{slice(ep(b(true), nil, node("n0"), "10.0.0.9", "10.0.0.10"))},
			[]Endpoint{{IP: "10.0.0.10", NodeName: "n0", Port: 8080}, {IP: "10.0.0.9", NodeName: "n0", Port: 8080}}},
		{"not ready and not terminating is left out", []*discoveryv1.EndpointSlice{slice(ep(b(false), b(false), node("n0"), "10.0.0.1"))},
			[]Endpoint{}},
		{"no slices", nil, []Endpoint{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := ForPort(svc, sp, tt.slices, discoveryv1.AddressTypeIPv4); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestMembersDecisions pins the member rules TestMembers and
// TestMembersPolicies leave implicit: what counts toward a Local node's
// weight, which nodes a Cluster Service leaves out, and that members
// carry their node's name for messages.
func TestMembersDecisions(t *testing.T) {
	nodes := map[string]Node{
		"n0":   {Name: "n0", InstanceID: "i-0"},
		"n1":   {Name: "n1", InstanceID: "i-1", Draining: true},
		"bare": {Name: "bare"}, // a node that may not be a member
		"vk":   {Name: "vk", Virtual: true},
	}
	type got struct {
		render string
		names  []string
	}
	for _, tt := range []struct {
		name string
		p    Params
		want got
	}{
		{"local: only ready pods count toward the weight", Params{Policy: PolicyLocal, NodePort: 1, Nodes: nodes, Endpoints: []Endpoint{
			{IP: "10.0.0.1", NodeName: "n0"}, {IP: "10.0.0.2", NodeName: "n0", Terminating: true}, {IP: "10.0.0.3", NodeName: "n0"}}},
			got{"i-0:1=2", []string{"n0"}}},
		{"local: a draining node with ready pods is at 0", Params{Policy: PolicyLocal, NodePort: 1, Nodes: nodes, Endpoints: []Endpoint{
			{IP: "10.0.1.1", NodeName: "n1"}}},
			got{"i-1:1=0", []string{"n1"}}},
		{"cluster: a node without instance and pods on ECS nodes are no members", Params{Policy: PolicyCluster, DefaultWeight: 100, NodePort: 1,
			Nodes: map[string]Node{"n0": nodes["n0"], "bare": nodes["bare"]}, Endpoints: []Endpoint{{IP: "10.0.0.1", NodeName: "n0", Port: 80}}},
			got{"i-0:1=100", []string{"n0"}}},
		{"cluster: nodes before pods, whatever their sort keys", Params{Policy: PolicyCluster, DefaultWeight: 100, NodePort: 1,
			Nodes: map[string]Node{"n0": nodes["n0"], "vk": nodes["vk"]}, Endpoints: []Endpoint{{IP: "1.0.0.1", NodeName: "vk", Port: 80}}},
			got{"i-0:1=100 1.0.0.1:80=100", []string{"n0", "vk"}}},
		{"eni: a pod on an unknown node keeps its weight and node name", Params{Policy: PolicyENI, DefaultWeight: 30, Nodes: nodes,
			Endpoints: []Endpoint{{IP: "10.0.9.1", NodeName: "gone", Port: 80}}},
			got{"10.0.9.1:80=30", []string{"gone"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ms := Members(tt.p)
			g := got{render: render(ms)}
			for _, m := range ms {
				g.names = append(g.names, m.NodeName)
			}
			if !reflect.DeepEqual(g, tt.want) {
				t.Errorf("got %+v, want %+v", g, tt.want)
			}
		})
	}
}
