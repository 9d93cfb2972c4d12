package instances

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	v1 "k8s.io/api/core/v1"
	cloudproviderapi "k8s.io/cloud-provider/api"
)

// inst builds an ECS answer: VPC primary IPs, classic inner IPs, public
// IPs, an EIP, and the two host name fields the API has.
type instSpec struct {
	vpcIPs, innerIPs, publicIPs []string
	eip                         string
	hostName, hostname          string
	eniIPs                      []string // addresses of the instance's ENIs (primary and secondary)
}

func (s instSpec) build() *ecs.Instance {
	in := &ecs.Instance{InstanceId: "i-a", HostName: s.hostName, Hostname: s.hostname}
	in.VpcAttributes.PrivateIpAddress.IpAddress = s.vpcIPs
	in.InnerIpAddress.IpAddress = s.innerIPs
	in.PublicIpAddress.IpAddress = s.publicIPs
	in.EipAddress.IpAddress = s.eip
	if len(s.eniIPs) > 0 {
		ni := ecs.NetworkInterface{PrimaryIpAddress: s.eniIPs[0]}
		for _, ip := range s.eniIPs[1:] {
			ni.PrivateIpSets.PrivateIpSet = append(ni.PrivateIpSets.PrivateIpSet, ecs.PrivateIpSet{PrivateIpAddress: ip})
		}
		in.NetworkInterfaces.NetworkInterface = []ecs.NetworkInterface{ni}
	}
	return in
}

// TestNodeAddressesTable pins status.addresses per instance shape: the
// order (primary private IP first), what is deduplicated, when kubelet's
// --node-ip is kept, and when the ECS host name is offered.
func TestNodeAddressesTable(t *testing.T) {
	internal := func(a string) v1.NodeAddress { return v1.NodeAddress{Type: v1.NodeInternalIP, Address: a} }
	external := func(a string) v1.NodeAddress { return v1.NodeAddress{Type: v1.NodeExternalIP, Address: a} }
	host := func(a string) v1.NodeAddress { return v1.NodeAddress{Type: v1.NodeHostName, Address: a} }
	kubeletHost := withHostname("kubelet-host")
	tests := []struct {
		name string
		inst instSpec
		node *v1.Node
		want []v1.NodeAddress
	}{
		{"VPC instance, ECS host name offered", instSpec{vpcIPs: []string{"192.168.0.1"}, hostName: "ecs-host"}, node("n"),
			[]v1.NodeAddress{internal("192.168.0.1"), host("ecs-host")}},
		{"kubelet's host name wins: none offered", instSpec{vpcIPs: []string{"192.168.0.1"}, hostName: "ecs-host"}, node("n", kubeletHost),
			[]v1.NodeAddress{internal("192.168.0.1")}},
		{"empty kubelet host name counts as none", instSpec{vpcIPs: []string{"192.168.0.1"}, hostName: "ecs-host"}, node("n", withHostname("")),
			[]v1.NodeAddress{internal("192.168.0.1"), host("ecs-host")}},
		{"Hostname field when HostName is empty", instSpec{vpcIPs: []string{"192.168.0.1"}, hostname: "lower-host"}, node("n"),
			[]v1.NodeAddress{internal("192.168.0.1"), host("lower-host")}},
		{"no host name at all", instSpec{vpcIPs: []string{"192.168.0.1"}}, node("n"),
			[]v1.NodeAddress{internal("192.168.0.1")}},
		{"classic inner IP after the VPC ones, repeats dropped", instSpec{vpcIPs: []string{"192.168.0.1", "192.168.0.2"},
			innerIPs: []string{"10.1.0.1", "192.168.0.1", ""}}, node("n", kubeletHost),
			[]v1.NodeAddress{internal("192.168.0.1"), internal("192.168.0.2"), internal("10.1.0.1")}},
		{"public IPs and EIP are ExternalIPs", instSpec{vpcIPs: []string{"192.168.0.1"}, publicIPs: []string{"47.0.0.1", "47.0.0.2"},
			eip: "39.0.0.1"}, node("n", kubeletHost),
			[]v1.NodeAddress{internal("192.168.0.1"), external("47.0.0.1"), external("47.0.0.2"), external("39.0.0.1")}},
		{"EIP equal to a public IP listed once", instSpec{vpcIPs: []string{"192.168.0.1"}, publicIPs: []string{"47.0.0.1"},
			eip: "47.0.0.1"}, node("n", kubeletHost),
			[]v1.NodeAddress{internal("192.168.0.1"), external("47.0.0.1")}},
		{"--node-ip on a secondary ENI address is kept", instSpec{vpcIPs: []string{"192.168.0.1"}, eniIPs: []string{"192.168.0.1", "192.168.0.9"}},
			node("n", kubeletHost, withAnnotation(cloudproviderapi.AnnotationAlphaProvidedIPAddr, "192.168.0.9")),
			[]v1.NodeAddress{internal("192.168.0.1"), internal("192.168.0.9")}},
		{"--node-ip not on the instance is dropped", instSpec{vpcIPs: []string{"192.168.0.1"}},
			node("n", kubeletHost, withAnnotation(cloudproviderapi.AnnotationAlphaProvidedIPAddr, "10.9.9.9")),
			[]v1.NodeAddress{internal("192.168.0.1")}},
		{"--node-ip equal to the primary IP is not repeated", instSpec{vpcIPs: []string{"192.168.0.1"}},
			node("n", kubeletHost, withAnnotation(cloudproviderapi.AnnotationAlphaProvidedIPAddr, "192.168.0.1")),
			[]v1.NodeAddress{internal("192.168.0.1")}},
		{"instance without any address", instSpec{}, node("n", kubeletHost), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := nodeAddresses(tc.node, trimInstance(tc.inst.build())); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("nodeAddresses =\n%v\nwant\n%v", got, tc.want)
			}
		})
	}
}

// TestMatchIPs: a node is matched by any address of its instance's ENIs,
// but only the instance's own private IPs become InternalIPs.
func TestMatchIPs(t *testing.T) {
	in := instSpec{vpcIPs: []string{"192.168.0.1"}, innerIPs: []string{"10.1.0.1"}, eniIPs: []string{"192.168.0.1", "192.168.0.7", "192.168.0.8"}}.build()
	if got, want := privateIPs(in), []string{"192.168.0.1", "10.1.0.1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("privateIPs = %v, want %v", got, want)
	}
	if got, want := matchIPs(in), []string{"192.168.0.1", "10.1.0.1", "192.168.0.7", "192.168.0.8"}; !reflect.DeepEqual(got, want) {
		t.Errorf("matchIPs = %v, want %v", got, want)
	}
}

// TestTrimInstance pins what the cache keeps of an ECS answer: every
// field the CCM reads (status, type, zone, host name with its fallback,
// private, matching, public and EIP addresses) and nothing that shares the
// answer's slices, so the decoded instance can be freed.
func TestTrimInstance(t *testing.T) {
	tests := []struct {
		name string
		spec instSpec
		want instance
	}{
		{name: "VPC instance with ENI addresses, public IP and EIP",
			spec: instSpec{vpcIPs: []string{"192.168.0.1"}, eniIPs: []string{"192.168.0.1", "192.168.0.7"}, publicIPs: []string{"47.0.0.1"},
				eip: "47.0.0.2", hostName: "host-a", hostname: "ignored"},
			want: instance{id: "i-a", status: "Running", instanceType: "ecs.g7.large", zone: "cn-hangzhou-h", hostName: "host-a",
				private: []string{"192.168.0.1"}, match: []string{"192.168.0.1", "192.168.0.7"}, public: []string{"47.0.0.1"}, eip: "47.0.0.2"}},
		{name: "classic instance, host name from the second field",
			spec: instSpec{innerIPs: []string{"10.1.0.1"}, hostname: "host-b"},
			want: instance{id: "i-a", status: "Running", instanceType: "ecs.g7.large", zone: "cn-hangzhou-h", hostName: "host-b",
				private: []string{"10.1.0.1"}, match: []string{"10.1.0.1"}}},
		{name: "no addresses", spec: instSpec{},
			want: instance{id: "i-a", status: "Running", instanceType: "ecs.g7.large", zone: "cn-hangzhou-h"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.spec.build()
			in.Status, in.InstanceType, in.ZoneId = "Running", "ecs.g7.large", "cn-hangzhou-h"
			got := trimInstance(in)
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("trimInstance =\n%+v\nwant\n%+v", *got, tc.want)
			}
			// The kept public IPs are a copy: changing the answer leaves them.
			if len(in.PublicIpAddress.IpAddress) > 0 {
				in.PublicIpAddress.IpAddress[0] = "changed"
				if got.public[0] == "changed" {
					t.Error("public IPs share the answer's slice")
				}
			}
		})
	}
}

// TestInternalIPs: only kubelet's IPv4 InternalIPs are looked up, once each.
func TestInternalIPs(t *testing.T) {
	n := node("n", withIP("192.168.0.1"), withIP("fd00::1"), withIP("192.168.0.1"), withIP("not-an-ip"), withHostname("192.168.0.5"), withIP("10.0.0.1"))
	n.Status.Addresses = append(n.Status.Addresses, v1.NodeAddress{Type: v1.NodeExternalIP, Address: "47.0.0.1"})
	if got, want := internalIPs(n), []string{"192.168.0.1", "10.0.0.1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("internalIPs = %v, want %v", got, want)
	}
}

// TestIsSelf is the table of when a node is taken for the machine the
// metadata service describes: never assumed, an address or name must match.
func TestIsSelf(t *testing.T) {
	self := &selfIdentity{instanceID: "i-self", region: testRegion, privateIP: "192.168.0.10", hostname: "Master-Host"}
	tests := []struct {
		name string
		node *v1.Node
		self *selfIdentity
		want bool
	}{
		{"InternalIP matches", node("x", withIP("192.168.0.10")), self, true},
		{"kubelet host name matches, case-insensitively", node("x", withHostname("master-host")), self, true},
		{"node name matches the host name", node("master-host"), self, true},
		{"nothing matches", node("x", withIP("192.168.0.11"), withHostname("other")), self, false},
		{"metadata without instance ID", node("master-host"), &selfIdentity{hostname: "master-host"}, false},
		{"metadata instance ID malformed", node("master-host"), &selfIdentity{instanceID: "eci-1", hostname: "master-host"}, false},
		{"metadata without host name or IP", node("x"), &selfIdentity{instanceID: "i-self"}, false},
		{"empty host name never matches an empty node name", node(""), &selfIdentity{instanceID: "i-self"}, false},
	}
	for _, tc := range tests {
		if got := isSelf(tc.node, internalIPs(tc.node), tc.self); got != tc.want {
			t.Errorf("%s: isSelf = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestKnownInstancesFrom: the prefetch list holds this region's ECS nodes
// only.
func TestKnownInstancesFrom(t *testing.T) {
	nodes := []*v1.Node{
		node("a", withProviderID(pid("i-a"))),
		node("b", withProviderID("alicloud://"+pid("i-b"))),
		node("c", withProviderID("cn-beijing.i-c")),
		node("d", virtual, withProviderID(pid("i-d"))),
		node("e", withProviderID("gce://p/z/e")),
		node("f"),
	}
	got := KnownInstancesFrom(testRegion, func() ([]*v1.Node, error) { return nodes, nil })()
	if want := []string{"i-a", "i-b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("known = %v, want %v", got, want)
	}
	if got := KnownInstancesFrom(testRegion, func() ([]*v1.Node, error) { return nil, errors.New("cache not synced") })(); len(got) != 0 {
		t.Errorf("known after a list error = %v, want none", got)
	}
}

// TestKindString: the kinds as logs and events name them.
func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindECS: "ECS", KindVirtual: "virtual-kubelet", KindForeign: "foreign providerID",
		KindOtherRegion: "other region", KindNotFound: "not found", KindAmbiguous: "ambiguous", Kind(42): "Kind(42)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}

// countingMetadata answers the metadata questions and counts them.
type countingMetadata struct {
	calls int
	err   error
}

func (m *countingMetadata) get(v string) (string, error) {
	m.calls++
	return v, m.err
}
func (m *countingMetadata) InstanceID(context.Context) (string, error)  { return m.get("i-self") }
func (m *countingMetadata) RegionID(context.Context) (string, error)    { return m.get(testRegion) }
func (m *countingMetadata) PrivateIPv4(context.Context) (string, error) { return m.get("192.168.0.10") }
func (m *countingMetadata) Hostname(context.Context) (string, error)    { return m.get("self-host") }

// TestSelfCache: the metadata identity is read once; a failure (off ECS,
// where every lookup times out) is remembered for selfRetryAfter so node
// resolution stays fast, then tried again.
func TestSelfCache(t *testing.T) {
	if _, err := (&selfCache{}).get(context.Background(), time.Now()); err == nil {
		t.Error("no metadata source: want an error")
	}
	md := &countingMetadata{err: errors.New("timeout")}
	s := &selfCache{src: md}
	t0 := time.Unix(1000, 0)
	if _, err := s.get(context.Background(), t0); err == nil {
		t.Fatal("want the metadata error")
	}
	if _, err := s.get(context.Background(), t0.Add(selfRetryAfter-time.Second)); err == nil || md.calls != 1 {
		t.Errorf("within selfRetryAfter: err %v after %d metadata calls, want the remembered error and 1 call", err, md.calls)
	}
	md.err = nil
	id, err := s.get(context.Background(), t0.Add(selfRetryAfter))
	if err != nil || id.instanceID != "i-self" || id.hostname != "self-host" || id.privateIP != "192.168.0.10" || id.region != testRegion {
		t.Fatalf("after selfRetryAfter: %+v, %v", id, err)
	}
	calls := md.calls
	if _, err := s.get(context.Background(), t0.Add(time.Hour)); err != nil || md.calls != calls {
		t.Errorf("a known identity is read again (%d calls, was %d), err %v", md.calls, calls, err)
	}
}
