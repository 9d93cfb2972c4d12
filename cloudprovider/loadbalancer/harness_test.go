package loadbalancer

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/record"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

const (
	testRegion  = "cn-hangzhou"
	testCluster = "c-test"
	testVPC     = "vpc-test"
	testVSwitch = "vsw-test"
)

// env is an in-process emulator with a Reconciler talking to it through
// the real SDK and client layer.
type env struct {
	t      testing.TB
	srv    *emulator.Servers
	emu    *emulator.Emulator
	slb    *cloudapi.SLB
	r      *Reconciler
	events *record.FakeRecorder
	nodes  []*v1.Node
}

type envOpts struct {
	nodes   int
	limits  *emulator.Limits
	cfg     func(*emulator.Config)
	options func(*Options)
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	cfg := emulator.Config{Region: testRegion, AccessKeys: map[string]string{"testid": "testsecret"}}
	if o.limits != nil {
		cfg.Limits = *o.limits
	}
	if o.cfg != nil {
		o.cfg(&cfg)
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
		Region:    testRegion,
		Zones:     []string{"cn-hangzhou-h"},
		VPCs:      []emulator.VPC{{VpcID: testVPC, CidrBlock: "192.168.0.0/16", VRouterID: "vrt-test"}},
		VSwitches: []emulator.VSwitch{{VSwitchID: testVSwitch, VpcID: testVPC, ZoneID: "cn-hangzhou-h", CidrBlock: "192.168.0.0/20"}},
	}
	e := &env{t: t, srv: srv, emu: srv.Emulator, events: record.NewFakeRecorder(1000)}
	for i := 0; i < o.nodes; i++ {
		id := fmt.Sprintf("i-node%04d", i)
		seed.Instances = append(seed.Instances, emulator.Instance{InstanceID: id, ZoneID: "cn-hangzhou-h", VpcID: testVPC,
			VSwitchID: testVSwitch, PrivateIP: fmt.Sprintf("192.168.%d.%d", 1+i/200, 10+i%200)})
		e.nodes = append(e.nodes, node(fmt.Sprintf("node-%d", i), testRegion+"."+id, nil))
	}
	if err := srv.Emulator.Seed(seed); err != nil {
		t.Fatal(err)
	}
	clients, err := cloudapi.New(cloudapi.Options{
		Region:      testRegion,
		Credentials: credentials.NewStaticAKCredentialsProvider("testid", "testsecret"),
		SLB:         cloudapi.ProductOptions{Endpoint: srv.APIURL, RateLimit: cloudapi.RateLimit{QPS: -1}},
		VPC:         cloudapi.ProductOptions{Endpoint: srv.APIURL, RateLimit: cloudapi.RateLimit{QPS: -1}},
		ECS:         cloudapi.ProductOptions{Endpoint: srv.APIURL, RateLimit: cloudapi.RateLimit{QPS: -1}},
		Retry:       cloudapi.RetryPolicy{MaxAttempts: 3, BaseBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.slb = clients.SLB
	opts := Options{ClusterID: testCluster, VpcID: testVPC, VSwitchID: testVSwitch}
	if o.options != nil {
		o.options(&opts)
	}
	e.r = New(clients.SLB, clients.VPC, e.events, opts)
	return e
}

// restart builds a fresh Reconciler on the same cloud, as a CCM restart.
func (e *env) restart() {
	e.r = New(e.r.slb, e.r.vpc, e.events, e.r.opts)
}

func node(name, providerID string, labels map[string]string) *v1.Node {
	return &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Spec: v1.NodeSpec{ProviderID: providerID}}
}

type port struct {
	name     string
	port     int32
	nodePort int32
	proto    v1.Protocol
}

func service(name string, ann map[string]string, ports ...port) *v1.Service {
	svc := &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID("uid-" + name + "-0000-1111-2222"), Annotations: ann},
		Spec:       v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, ExternalTrafficPolicy: v1.ServiceExternalTrafficPolicyCluster},
	}
	if len(ports) == 0 {
		ports = []port{{"http", 80, 30080, v1.ProtocolTCP}}
	}
	for _, p := range ports {
		if p.proto == "" {
			p.proto = v1.ProtocolTCP
		}
		svc.Spec.Ports = append(svc.Spec.Ports, v1.ServicePort{Name: p.name, Port: p.port, NodePort: p.nodePort, Protocol: p.proto, TargetPort: intstr.FromInt32(8080)})
	}
	return svc
}

func anno(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[annoPrefix+kv[i]] = kv[i+1]
	}
	return m
}

func (e *env) ensure(svc *v1.Service) *v1.LoadBalancerStatus {
	e.t.Helper()
	st, err := e.r.EnsureLoadBalancer(context.Background(), "kubernetes", svc, e.nodes)
	if err != nil {
		e.t.Fatalf("EnsureLoadBalancer: %v", err)
	}
	return st
}

// writes counts mutating calls in the audit log since the last reset.
func (e *env) writes() []string {
	var out []string
	for _, a := range e.emu.Audit() {
		if !strings.HasPrefix(a.Action, "Describe") && !strings.HasPrefix(a.Action, "List") {
			out = append(out, a.Action)
		}
	}
	return out
}

// lbs returns the CLBs in the emulator.
func (e *env) lbs() []slb.LoadBalancer {
	e.t.Helper()
	lbs, err := e.slb.ListLoadBalancers(context.Background(), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return lbs
}

func (e *env) listeners(lbID string) []slb.ListenerInDescribeLoadBalancerListeners {
	e.t.Helper()
	ls, err := e.r.listListeners(context.Background(), lbID)
	if err != nil {
		e.t.Fatal(err)
	}
	return ls
}

func (e *env) groupMembers(lbID string) map[string][]backend {
	e.t.Helper()
	gs, err := e.r.loadGroups(context.Background(), lbID)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string][]backend{}
	for _, g := range gs.groups {
		m, err := e.r.members(context.Background(), g.id)
		if err != nil {
			e.t.Fatal(err)
		}
		out[g.name] = m
	}
	return out
}

func defaultName(svc *v1.Service) string { return LenientLookup(svc).Name }

func fmtID(i int) string { return fmt.Sprintf("i-node%04d", i) }
