package podbackends

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
	v1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func render(ms []Member) string {
	var out []string
	for _, m := range ms {
		id := m.InstanceID
		if m.IsPod() {
			id = m.IP
		}
		out = append(out, fmt.Sprintf("%s:%d=%d", id, m.Port, m.Weight))
	}
	return strings.Join(out, " ")
}

func TestMembers(t *testing.T) {
	nodes := map[string]Node{
		"n0": {Name: "n0", InstanceID: "i-0"},
		"n1": {Name: "n1", InstanceID: "i-1"},
		"n2": {Name: "n2", InstanceID: "i-2", Draining: true},
		"vk": {Name: "vk", Virtual: true},
	}
	eps := []Endpoint{
		{IP: "10.0.0.1", NodeName: "n0", Port: 8080},
		{IP: "10.0.0.2", NodeName: "n0", Port: 8080},
		{IP: "10.0.0.3", NodeName: "n0", Port: 8080, Terminating: true},
		{IP: "10.0.1.1", NodeName: "n1", Port: 8080, Terminating: true},
		{IP: "10.0.2.1", NodeName: "n2", Port: 8080},
		{IP: "192.168.9.1", NodeName: "vk", Port: 8080},
		{IP: "192.168.9.2", NodeName: "vk", Port: 8080, Terminating: true},
		{IP: "10.0.9.9", NodeName: "gone", Port: 8080},
	}
	w := func(v int) *int { return &v }
	cases := []struct {
		name string
		p    Params
		want string
	}{
		{"cluster: all ECS nodes, ECI pods at the default weight", Params{Policy: PolicyCluster, DefaultWeight: 100, NodePort: 30080, Nodes: nodes, Endpoints: eps},
			"i-0:30080=100 i-1:30080=100 i-2:30080=0 192.168.9.1:8080=100 192.168.9.2:8080=0"},
		{"local: endpoint counts, terminating-only node at 0, ECI pods weigh 1", Params{Policy: PolicyLocal, DefaultWeight: 100, NodePort: 30080, Nodes: nodes, Endpoints: eps},
			"i-0:30080=2 i-1:30080=0 i-2:30080=0 192.168.9.1:8080=1 192.168.9.2:8080=0"},
		{"eni: every endpoint, nodes never", Params{Policy: PolicyENI, DefaultWeight: 50, Nodes: nodes, Endpoints: eps},
			"10.0.0.1:8080=50 10.0.0.2:8080=50 10.0.0.3:8080=0 10.0.1.1:8080=0 10.0.2.1:8080=0 10.0.9.9:8080=50 192.168.9.1:8080=50 192.168.9.2:8080=0"},
		{"local with a total weight spreads by count", Params{Policy: PolicyLocal, NodePort: 1, Nodes: nodes, Endpoints: eps[:3], TotalWeight: w(90)},
			"i-0:1=90"},
		{"cluster with total weight 0", Params{Policy: PolicyCluster, DefaultWeight: 100, NodePort: 1, Nodes: map[string]Node{"n0": nodes["n0"]}, TotalWeight: w(0)},
			"i-0:1=0"},
		{"local weight is capped at 100", Params{Policy: PolicyLocal, NodePort: 1, Nodes: nodes, Endpoints: manyOn("n0", 150)}, "i-0:1=100"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := render(Members(c.p)); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

func manyOn(node string, n int) []Endpoint {
	out := make([]Endpoint, n)
	for i := range out {
		out[i] = Endpoint{IP: fmt.Sprintf("10.9.%d.%d", i/250, i%250), NodeName: node, Port: 1}
	}
	return out
}

func TestForPort(t *testing.T) {
	svc := &v1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"}}
	sp := v1.ServicePort{Name: "http", Port: 80, TargetPort: intstr.FromString("web"), Protocol: v1.ProtocolTCP}
	b := func(v bool) *bool { return &v }
	port := func(name string, p int32) discoveryv1.EndpointPort {
		tcp := v1.ProtocolTCP
		return discoveryv1.EndpointPort{Name: &name, Port: &p, Protocol: &tcp}
	}
	node := "n0"
	slice := func(name, svcName string, fam discoveryv1.AddressType, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
		return &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{discoveryv1.LabelServiceName: svcName}},
			AddressType: fam, Ports: []discoveryv1.EndpointPort{port("http", 8080), port("metrics", 9090)}, Endpoints: eps}
	}
	ready := discoveryv1.Endpoint{Addresses: []string{"10.0.0.1"}, NodeName: &node, Conditions: discoveryv1.EndpointConditions{Ready: b(true)}}
	unknown := discoveryv1.Endpoint{Addresses: []string{"10.0.0.2"}, NodeName: &node}
	notReady := discoveryv1.Endpoint{Addresses: []string{"10.0.0.3"}, Conditions: discoveryv1.EndpointConditions{Ready: b(false)}}
	term := discoveryv1.Endpoint{Addresses: []string{"10.0.0.4"}, Conditions: discoveryv1.EndpointConditions{Ready: b(false), Terminating: b(true)}}
	dupTerm := discoveryv1.Endpoint{Addresses: []string{"10.0.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: b(false), Terminating: b(true)}}
	cases := []struct {
		name   string
		slices []*discoveryv1.EndpointSlice
		want   []Endpoint
	}{
		{"ready, unknown-ready and terminating; not-ready left out", []*discoveryv1.EndpointSlice{slice("a", "web", discoveryv1.AddressTypeIPv4, ready, unknown, notReady, term)},
			[]Endpoint{{IP: "10.0.0.1", NodeName: "n0", Port: 8080}, {IP: "10.0.0.2", NodeName: "n0", Port: 8080}, {IP: "10.0.0.4", Port: 8080, Terminating: true}}},
		{"a ready copy wins over a terminating one in another slice", []*discoveryv1.EndpointSlice{slice("a", "web", discoveryv1.AddressTypeIPv4, dupTerm), slice("b", "web", discoveryv1.AddressTypeIPv4, ready)},
			[]Endpoint{{IP: "10.0.0.1", NodeName: "n0", Port: 8080}}},
		{"other Services and families are ignored", []*discoveryv1.EndpointSlice{slice("a", "other", discoveryv1.AddressTypeIPv4, ready), slice("b", "web", discoveryv1.AddressTypeIPv6, ready)},
			[]Endpoint{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ForPort(svc, sp, c.slices, ""); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

// fakeCloud answers DescribeNetworkInterfaces from a table of ENIs and
// counts calls.
type fakeCloud struct {
	enis  []ecs.NetworkInterfaceSet
	calls []string
}

func (f *fakeCloud) ListNetworkInterfaces(_ context.Context, req *ecs.DescribeNetworkInterfacesRequest) ([]ecs.NetworkInterfaceSet, error) {
	f.calls = append(f.calls, fmt.Sprintf("type=%q ips=%d", req.Type, len(*req.PrivateIpAddress)))
	if len(*req.PrivateIpAddress) > MaxIPsPerCall {
		return nil, fmt.Errorf("too many IPs")
	}
	var out []ecs.NetworkInterfaceSet
	for _, n := range f.enis {
		// The real API leaves trunk members out unless asked for them.
		if (req.Type == "" && n.Type == typeMember) || (req.Type != "" && n.Type != req.Type) {
			continue
		}
		for _, ip := range *req.PrivateIpAddress {
			if ip == n.PrivateIpAddress {
				out = append(out, n)
				break
			}
		}
	}
	return out, nil
}

func (f *fakeCloud) DescribeVpcAttribute(context.Context, *vpc.DescribeVpcAttributeRequest) (*vpc.DescribeVpcAttributeResponse, error) {
	f.calls = append(f.calls, "vpc")
	r := &vpc.DescribeVpcAttributeResponse{CidrBlock: "192.168.0.0/16"}
	r.SecondaryCidrBlocks.SecondaryCidrBlock = []string{"10.10.0.0/16"}
	return r, nil
}

func TestResolver(t *testing.T) {
	f := &fakeCloud{}
	var ips []string
	for i := range 150 {
		ip := fmt.Sprintf("192.168.%d.%d", i/200, 10+i%200)
		ips = append(ips, ip)
		f.enis = append(f.enis, ecs.NetworkInterfaceSet{NetworkInterfaceId: fmt.Sprintf("eni-%d", i), Type: "Secondary", PrivateIpAddress: ip})
	}
	f.enis = append(f.enis, ecs.NetworkInterfaceSet{NetworkInterfaceId: "eni-member", Type: typeMember, PrivateIpAddress: "10.10.0.5"})
	r := NewResolver(f, f, "vpc-1")
	res, err := r.Resolve(context.Background(), append(ips, "10.10.0.5", "172.16.0.1", "192.168.5.5"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.ENI) != 151 || res.ENI["10.10.0.5"] != "eni-member" || res.ENI[ips[120]] != "eni-120" {
		t.Errorf("resolved %d IPs: %v", len(res.ENI), res.ENI["10.10.0.5"])
	}
	if !reflect.DeepEqual(res.Outside, []string{"172.16.0.1"}) || !reflect.DeepEqual(res.Missing, []string{"192.168.5.5"}) {
		t.Errorf("outside %v missing %v", res.Outside, res.Missing)
	}
	want := []string{"vpc", `type="" ips=100`, `type="" ips=52`, `type="Member" ips=2`, `type="Trunk" ips=1`}
	if !reflect.DeepEqual(f.calls, want) {
		t.Errorf("calls %v, want %v", f.calls, want)
	}
	// A second resolution is served from the cache, except the missing IP.
	f.calls = nil
	if _, err := r.Resolve(context.Background(), append(ips, "192.168.5.5")); err != nil {
		t.Fatal(err)
	}
	if want := []string{`type="" ips=1`, `type="Member" ips=1`, `type="Trunk" ips=1`}; !reflect.DeepEqual(f.calls, want) {
		t.Errorf("cached calls %v, want %v", f.calls, want)
	}
}
