package podbackends

import (
	"reflect"
	"testing"

	v1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/nodeclass"
)

func TestIsVirtualAndDraining(t *testing.T) {
	for _, tt := range []struct {
		name              string
		n                 *v1.Node
		virtual, draining bool
	}{
		{name: "nil"},
		{name: "plain node", n: &v1.Node{}},
		{name: "virtual kubelet", n: &v1.Node{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"type": "virtual-kubelet"}}}, virtual: true},
		{name: "other type label", n: &v1.Node{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"type": "ecs"}}}},
		{name: "cordoned", n: &v1.Node{Spec: v1.NodeSpec{Unschedulable: true}}, draining: true},
		{name: "autoscaler taint", n: &v1.Node{Spec: v1.NodeSpec{Taints: []v1.Taint{{Key: "other"}, {Key: TaintToBeDeleted, Effect: v1.TaintEffectNoSchedule}}}}, draining: true},
		{name: "other taint", n: &v1.Node{Spec: v1.NodeSpec{Taints: []v1.Taint{{Key: "node.kubernetes.io/not-ready"}}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := nodeclass.IsVirtual(tt.n); got != tt.virtual {
				t.Errorf("IsVirtual = %v", got)
			}
			if got := IsDraining(tt.n); got != tt.draining {
				t.Errorf("IsDraining = %v", got)
			}
		})
	}
}

// TestSpread: the weight annotation's share per member, one case per rule.
func TestSpread(t *testing.T) {
	m := func(w, count int) Member { return Member{Weight: w, count: count} }
	weights := func(ms []Member) []int {
		out := make([]int, len(ms))
		for i := range ms {
			out[i] = ms[i].Weight
		}
		return out
	}
	for _, tt := range []struct {
		name    string
		in      []Member
		total   int
		byCount bool
		want    []int
	}{
		{"evenly", []Member{m(100, 1), m(100, 1), m(100, 1), m(100, 1)}, 100, false, []int{25, 25, 25, 25}},
		{"rounded down", []Member{m(100, 1), m(100, 1), m(100, 1)}, 100, false, []int{33, 33, 33}},
		{"at least 1", []Member{m(100, 1), m(100, 1), m(100, 1)}, 2, false, []int{1, 1, 1}},
		{"zero total zeroes all", []Member{m(100, 1), m(5, 1)}, 0, false, []int{0, 0}},
		{"negative total zeroes all", []Member{m(100, 1)}, -1, false, []int{0}},
		{"draining members stay at 0 and do not count", []Member{m(100, 1), m(0, 1)}, 60, false, []int{60, 0}},
		{"by count", []Member{m(3, 3), m(1, 1)}, 100, true, []int{75, 25}},
		{"by count, at least 1", []Member{m(99, 99), m(1, 1)}, 10, true, []int{9, 1}},
		{"by count ignores zero-weight members", []Member{m(2, 2), m(0, 5)}, 50, true, []int{50, 0}},
		{"nothing to spread", nil, 100, false, []int{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ms := append([]Member(nil), tt.in...)
			spread(ms, tt.total, tt.byCount)
			if got := weights(ms); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("weights = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestMembersPolicies: one case per policy rule not covered by TestMembers.
func TestMembersPolicies(t *testing.T) {
	nodes := map[string]Node{
		"n0":    {Name: "n0", InstanceID: "i-0"},
		"n1":    {Name: "n1", InstanceID: "i-1"},
		"noeci": {Name: "noeci"}, // eligible by name, but no ECS instance
		"vk":    {Name: "vk", Virtual: true, Draining: true},
	}
	w := func(v int) *int { return &v }
	for _, tt := range []struct {
		name string
		p    Params
		want string
	}{
		{"cluster without endpoints still lists every ECS node", Params{Policy: PolicyCluster, DefaultWeight: 7, NodePort: 30000, Nodes: nodes},
			"i-0:30000=7 i-1:30000=7"},
		{"empty policy is Cluster", Params{DefaultWeight: 1, NodePort: 1, Nodes: map[string]Node{"n1": nodes["n1"]}}, "i-1:1=1"},
		{"cluster: pods on a draining virtual node at 0", Params{Policy: PolicyCluster, DefaultWeight: 100, NodePort: 1, Nodes: map[string]Node{"vk": nodes["vk"]},
			Endpoints: []Endpoint{{IP: "192.168.0.1", NodeName: "vk", Port: 80}}}, "192.168.0.1:80=0"},
		{"local: a node without endpoints is not a member", Params{Policy: PolicyLocal, NodePort: 1, Nodes: nodes,
			Endpoints: []Endpoint{{IP: "10.0.0.1", NodeName: "n1", Port: 80}}}, "i-1:1=1"},
		{"local: endpoints on a node without instance are left out", Params{Policy: PolicyLocal, NodePort: 1, Nodes: nodes,
			Endpoints: []Endpoint{{IP: "10.0.0.1", NodeName: "noeci", Port: 80}}}, ""},
		{"local: endpoints on an unknown node are left out", Params{Policy: PolicyLocal, NodePort: 1, Nodes: nodes,
			Endpoints: []Endpoint{{IP: "10.0.0.1", NodeName: "elsewhere", Port: 80}}}, ""},
		{"eni: the pod's port, never the node port", Params{Policy: PolicyENI, DefaultWeight: 100, NodePort: 30000, Nodes: nodes,
			Endpoints: []Endpoint{{IP: "10.0.0.2", NodeName: "n0", Port: 8443}, {IP: "10.0.0.1", NodeName: "n1", Port: 8443}}}, "10.0.0.1:8443=100 10.0.0.2:8443=100"},
		{"eni: pods on a draining node at 0", Params{Policy: PolicyENI, DefaultWeight: 100, Nodes: nodes,
			Endpoints: []Endpoint{{IP: "192.168.0.1", NodeName: "vk", Port: 80}}}, "192.168.0.1:80=0"},
		{"eni with a total weight spreads evenly", Params{Policy: PolicyENI, DefaultWeight: 100, Nodes: nodes, TotalWeight: w(50),
			Endpoints: []Endpoint{{IP: "10.0.0.1", NodeName: "n0", Port: 80}, {IP: "10.0.0.2", NodeName: "n1", Port: 80}}}, "10.0.0.1:80=25 10.0.0.2:80=25"},
		{"cluster with a total weight spreads over nodes and pods", Params{Policy: PolicyCluster, DefaultWeight: 100, NodePort: 1, TotalWeight: w(90),
			Nodes: map[string]Node{"n0": nodes["n0"], "vk": {Name: "vk", Virtual: true}}, Endpoints: []Endpoint{{IP: "192.168.0.1", NodeName: "vk", Port: 80}}},
			"i-0:1=45 192.168.0.1:80=45"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := render(Members(tt.p)); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestForPortPorts: the target port comes from the slice port with the
// ServicePort's name and protocol; a slice without it contributes nothing.
func TestForPortPorts(t *testing.T) {
	svc := &v1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"}}
	tcp, udp := v1.ProtocolTCP, v1.ProtocolUDP
	named := func(name string, p int32, proto *v1.Protocol) discoveryv1.EndpointPort {
		return discoveryv1.EndpointPort{Name: &name, Port: &p, Protocol: proto}
	}
	slice := func(fam discoveryv1.AddressType, ports ...discoveryv1.EndpointPort) *discoveryv1.EndpointSlice {
		addr := " 10.0.0.1 " // trimmed
		if fam == discoveryv1.AddressTypeIPv6 {
			addr = "fd00::1"
		}
		return &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
			AddressType: fam, Ports: ports, Endpoints: []discoveryv1.Endpoint{{Addresses: []string{addr}}}}
	}
	for _, tt := range []struct {
		name   string
		sp     v1.ServicePort
		slices []*discoveryv1.EndpointSlice
		family discoveryv1.AddressType
		want   []Endpoint
	}{
		{name: "by name", sp: v1.ServicePort{Name: "http", Protocol: tcp, TargetPort: intstr.FromString("web")},
			slices: []*discoveryv1.EndpointSlice{slice(discoveryv1.AddressTypeIPv4, named("metrics", 9090, &tcp), named("http", 8080, &tcp))},
			want:   []Endpoint{{IP: "10.0.0.1", Port: 8080}}},
		{name: "protocol unset means TCP", sp: v1.ServicePort{Name: "http"},
			slices: []*discoveryv1.EndpointSlice{slice(discoveryv1.AddressTypeIPv4, named("http", 8080, nil))},
			want:   []Endpoint{{IP: "10.0.0.1", Port: 8080}}},
		{name: "UDP port of the same name", sp: v1.ServicePort{Name: "dns", Protocol: udp},
			slices: []*discoveryv1.EndpointSlice{slice(discoveryv1.AddressTypeIPv4, named("dns", 53, &tcp), named("dns", 5353, &udp))},
			want:   []Endpoint{{IP: "10.0.0.1", Port: 5353}}},
		{name: "no port of that name", sp: v1.ServicePort{Name: "http", Protocol: tcp},
			slices: []*discoveryv1.EndpointSlice{slice(discoveryv1.AddressTypeIPv4, named("other", 8080, &tcp))}, want: []Endpoint{}},
		{name: "a port without number is skipped", sp: v1.ServicePort{Name: "http", Protocol: tcp},
			slices: []*discoveryv1.EndpointSlice{slice(discoveryv1.AddressTypeIPv4, discoveryv1.EndpointPort{Name: new("http")})}, want: []Endpoint{}},
		{name: "IPv6 family", sp: v1.ServicePort{Name: "http", Protocol: tcp}, family: discoveryv1.AddressTypeIPv6,
			slices: []*discoveryv1.EndpointSlice{slice(discoveryv1.AddressTypeIPv4, named("http", 8080, &tcp)), slice(discoveryv1.AddressTypeIPv6, named("http", 8080, &tcp))},
			want:   []Endpoint{{IP: "fd00::1", Port: 8080}}},
		{name: "nil slice and other namespace ignored", sp: v1.ServicePort{Name: "http", Protocol: tcp},
			slices: []*discoveryv1.EndpointSlice{nil, {ObjectMeta: metav1.ObjectMeta{Namespace: "other", Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
				AddressType: discoveryv1.AddressTypeIPv4, Ports: []discoveryv1.EndpointPort{named("http", 1, &tcp)},
				Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.1.1.1"}}}}},
			want: []Endpoint{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := ForPort(svc, tt.sp, tt.slices, tt.family); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
