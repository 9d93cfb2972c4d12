package nlb

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/record"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// The shared test harness of package nlb: an in-process emulator with a
// Reconciler talking to it through the real SDK and client layer.

const (
	testRegion  = "cn-hangzhou"
	testCluster = "c-test"
	testVPC     = "vpc-test"
	testZoneH   = "cn-hangzhou-h"
	testZoneI   = "cn-hangzhou-i"
	testZoneJ   = "cn-hangzhou-j"
	testVSwH    = "vsw-h"
	testVSwI    = "vsw-i"
	// testVSwH2 is a second vSwitch in zone H, testVSwJ one in zone J.
	testVSwH2 = "vsw-h2"
	testVSwJ  = "vsw-j"
)

// vswitchOf places the harness's vSwitches: zone and the third octet of
// their /20.
var vswitchOf = map[string]struct {
	zone  string
	octet int
}{testVSwH: {testZoneH, 0}, testVSwI: {testZoneI, 16}, testVSwH2: {testZoneH, 32}, testVSwJ: {testZoneJ, 48}}

// env is one emulator, its NLB client and a Reconciler over it.
type env struct {
	t      testing.TB
	srv    *emulator.Servers
	emu    *emulator.Emulator
	api    *cloudapi.NLB
	ecs    *cloudapi.ECS
	r      *Reconciler
	events *record.FakeRecorder
	nodes  []*v1.Node
	// clock is the emulator's clock; jobs last envOpts.jobs on it.
	clock *emulator.FakeClock
}

// envOpts configure newEnv.
type envOpts struct {
	// nodes is the number of ECS nodes (default 3).
	nodes int
	// jobs is how long NLB jobs run on the fake clock (0: they end at once).
	jobs time.Duration
	// seed adds to the seeded state (ENIs, NLBs, server groups).
	seed func(*emulator.SeedState)
	// options change the Reconciler's Options.
	options func(*Options)
	// nodeVSwitches, when set, places one node per entry in that vSwitch
	// (instead of nodes nodes in vsw-h).
	nodeVSwitches []string
	// faults is the emulator's initial fault profile.
	faults *emulator.FaultProfile
	// realClock runs the emulator and the engine on real time (benches:
	// jobs take real time); env.clock is then nil.
	realClock bool
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	clock := emulator.NewFakeClock(time.Now())
	cfg := emulator.Config{Region: testRegion, AccessKeys: map[string]string{"testid": "testsecret"}, Clock: clock, NLBJobDuration: o.jobs,
		TimestampTolerance: -1}
	if o.realClock {
		cfg.Clock, clock = nil, nil
	}
	if o.faults != nil {
		cfg.Faults = *o.faults
	}
	srv, err := emulator.Start(cfg, "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	if o.nodes == 0 {
		o.nodes = 3
	}
	seed := emulator.SeedState{
		Region: testRegion,
		Zones:  []string{testZoneH, testZoneI, testZoneJ},
		VPCs:   []emulator.VPC{{VpcID: testVPC, CidrBlock: "192.168.0.0/16", VRouterID: "vrt-test"}},
		VSwitches: []emulator.VSwitch{{VSwitchID: testVSwH, VpcID: testVPC, ZoneID: testZoneH, CidrBlock: "192.168.0.0/20"},
			{VSwitchID: testVSwI, VpcID: testVPC, ZoneID: testZoneI, CidrBlock: "192.168.16.0/20"},
			{VSwitchID: testVSwH2, VpcID: testVPC, ZoneID: testZoneH, CidrBlock: "192.168.32.0/20"},
			{VSwitchID: testVSwJ, VpcID: testVPC, ZoneID: testZoneJ, CidrBlock: "192.168.48.0/20"}},
	}
	e := &env{t: t, srv: srv, emu: srv.Emulator, events: record.NewFakeRecorder(1000), clock: clock}
	if o.nodeVSwitches != nil {
		o.nodes = len(o.nodeVSwitches)
	}
	for i := 0; i < o.nodes; i++ {
		id := nodeID(i)
		vsw := testVSwH
		if o.nodeVSwitches != nil {
			vsw = o.nodeVSwitches[i]
		}
		ip := fmt.Sprintf("192.168.%d.%d", vswitchOf[vsw].octet+1+i/200, 10+i%200)
		seed.Instances = append(seed.Instances, emulator.Instance{InstanceID: id, ZoneID: vswitchOf[vsw].zone, VpcID: testVPC,
			VSwitchID: vsw, PrivateIP: ip})
		n := testNode(fmt.Sprintf("node-%d", i), testRegion+"."+id, nil)
		n.Status.Addresses = []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: ip}}
		e.nodes = append(e.nodes, n)
	}
	if o.seed != nil {
		o.seed(&seed)
	}
	if err := srv.Emulator.Seed(seed); err != nil {
		t.Fatal(err)
	}
	clients, err := cloudapi.New(cloudapi.Options{
		Region:      testRegion,
		Credentials: credentials.NewStaticAKCredentialsProvider("testid", "testsecret"),
		NLB:         cloudapi.ProductOptions{Endpoint: srv.APIURL, RateLimit: cloudapi.RateLimit{QPS: -1}},
		ECS:         cloudapi.ProductOptions{Endpoint: srv.APIURL, RateLimit: cloudapi.RateLimit{QPS: -1}},
		Retry:       cloudapi.RetryPolicy{MaxAttempts: 2, BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.api, e.ecs = clients.NLB, clients.ECS
	// New NLBs take the nodes' zones (all in zone H by default) completed
	// by cloud-config's vSwitch of zone I: two zones, as NLB needs.
	opts := Options{ClusterID: testCluster, Region: testRegion, VpcID: testVPC, PodBackends: &loadbalancer.PodBackendSlot{},
		ECS: clients.ECS, VSwitches: []annotations.ZoneMap{{ZoneID: testZoneI, VSwitchID: testVSwI}}}
	if o.options != nil {
		o.options(&opts)
	}
	e.r = New(clients.NLB, e.events, opts)
	if clock != nil {
		e.r.now = clock.Now
	}
	return e
}

func nodeID(i int) string { return fmt.Sprintf("i-node%04d", i) }

func testNode(name, providerID string, labels map[string]string) *v1.Node {
	return &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Spec: v1.NodeSpec{ProviderID: providerID}}
}

// svcPort is one ServicePort of a test Service.
type svcPort struct {
	port, nodePort int32
	proto          v1.Protocol
}

// testService is an NLB Service with ports (default 80/TCP on 30080),
// target port 8080.
func testService(name string, ann map[string]string, ports ...svcPort) *v1.Service {
	svc := &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID("uid-" + name), Annotations: ann, ResourceVersion: "1"},
		Spec:       v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, ExternalTrafficPolicy: v1.ServiceExternalTrafficPolicyCluster},
	}
	if len(ports) == 0 {
		ports = []svcPort{{80, 30080, v1.ProtocolTCP}}
	}
	for _, p := range ports {
		if p.proto == "" {
			p.proto = v1.ProtocolTCP
		}
		svc.Spec.Ports = append(svc.Spec.Ports, v1.ServicePort{Name: fmt.Sprintf("p%d", p.port), Port: p.port, NodePort: p.nodePort,
			Protocol: p.proto, TargetPort: intstr.FromInt32(8080)})
	}
	return svc
}

// ownTags are the ownership tags of svc's resources.
func ownTags(svc *v1.Service) []emulator.Tag {
	return []emulator.Tag{{Key: loadbalancer.TagClusterID, Value: testCluster}, {Key: loadbalancer.TagServiceUID, Value: string(svc.UID)},
		{Key: loadbalancer.TagService, Value: svc.Namespace + "/" + svc.Name}}
}

// addNLB seeds an idle NLB with tags and listeners and returns it as
// ListLoadBalancers shows it.
func (e *env) addNLB(id string, tags []emulator.Tag, listeners ...emulator.SeedNLBListener) *sdknlb.LoadbalancerInfo {
	e.t.Helper()
	err := e.emu.Seed(emulator.SeedState{NLBs: []emulator.SeedNLB{{LoadBalancerID: id, VpcID: testVPC, Tags: tags, Listeners: listeners,
		Zones: []emulator.SeedNLBZone{{ZoneID: testZoneH, VSwitchID: testVSwH}, {ZoneID: testZoneI, VSwitchID: testVSwI}}}}})
	if err != nil {
		e.t.Fatal(err)
	}
	return e.lb(id)
}

// lb lists one NLB.
func (e *env) lb(id string) *sdknlb.LoadbalancerInfo {
	e.t.Helper()
	req := sdknlb.CreateListLoadBalancersRequest()
	req.LoadBalancerIds = &[]string{id}
	lbs, err := e.api.ListAllLoadBalancers(context.Background(), req)
	if err != nil || len(lbs) != 1 {
		e.t.Fatalf("list NLB %s: %v (%d found)", id, err, len(lbs))
	}
	return &lbs[0]
}

// writes lists the NLB write actions since the last ResetAudit.
func (e *env) writes() []string {
	var out []string
	for _, a := range e.emu.Audit() {
		if a.Product != "Nlb" || strings.HasPrefix(a.Action, "List") || strings.HasPrefix(a.Action, "Get") {
			continue
		}
		out = append(out, a.Action)
	}
	return out
}

// listeners lists the listeners of an NLB.
func (e *env) listeners(lbID string) []sdknlb.ListenerInfo {
	e.t.Helper()
	req := sdknlb.CreateListListenersRequest()
	req.LoadBalancerIds = &[]string{lbID}
	ls, err := e.api.ListAllListeners(context.Background(), req)
	if err != nil {
		e.t.Fatal(err)
	}
	return ls
}

// groups lists every server group in the VPC.
func (e *env) groups() []sdknlb.ServerGroup {
	e.t.Helper()
	req := sdknlb.CreateListServerGroupsRequest()
	req.VpcId = testVPC
	gs, err := e.api.ListAllServerGroups(context.Background(), req)
	if err != nil {
		e.t.Fatal(err)
	}
	return gs
}

// servers lists a server group's members.
func (e *env) servers(groupID string) []sdknlb.Server {
	e.t.Helper()
	ss, err := e.api.ListAllServerGroupServers(context.Background(), groupID)
	if err != nil {
		e.t.Fatal(err)
	}
	return ss
}
