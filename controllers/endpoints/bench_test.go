package endpoints

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	v1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/podbackends"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// BenchmarkEndpointBackends drives the engine and this controller
// in-process against the emulator (fake Kubernetes clientset) and
// reports: the calls of one node added to a cluster with N Services (the
// framework calls UpdateLoadBalancer per Service; the goal is one batched
// write per affected vServer group), and the calls of a rolling update of
// K pods of a Local Service, whose slice updates arrive in a burst.
func BenchmarkEndpointBackends(b *testing.B) {
	const (
		services = 20
		nodes    = 10
		pods     = 30
	)
	for i := 0; i < b.N; i++ {
		e := newBenchEnv(b, nodes+1)
		ctx := context.Background()
		all := e.nodes
		for _, n := range all[:nodes] {
			e.create(b, n)
		}
		var svcs []*v1.Service
		for s := range services {
			svcs = append(svcs, e.service(b, fmt.Sprintf("svc-%02d", s), v1.ServiceExternalTrafficPolicyCluster, int32(30000+s)))
		}
		local := e.service(b, "local", v1.ServiceExternalTrafficPolicyLocal, 31000)
		e.slice(b, local, 0, pods, nodes)
		for _, svc := range append(svcs, local) {
			e.ensure(b, svc, all[:nodes])
		}
		e.settle(b)

		// One node added: the framework's node sync calls
		// UpdateLoadBalancer for every Service.
		e.create(b, all[nodes])
		e.emu.ResetAudit()
		for _, svc := range svcs {
			if err := e.r.UpdateLoadBalancer(ctx, "k", svc, all); err != nil {
				b.Fatal(err)
			}
		}
		e.settle(b)
		reads, writes := split(e.emu.Audit())
		b.ReportMetric(float64(len(writes))/services, "writes/group(node-add)")
		b.ReportMetric(float64(len(reads)+len(writes))/services, "calls/group(node-add)")
		b.Logf("node add, %d Services: %d writes (%s), %d reads (%s)", services, len(writes), count(writes), len(reads), count(reads))

		// Rolling update of K pods: each pod is replaced by a new one on
		// another node, one slice update per step, as fast as the
		// EndpointSlice controller writes them.
		e.emu.ResetAudit()
		for k := 1; k <= pods; k++ {
			e.slice(b, local, k, pods, nodes)
		}
		e.settle(b)
		reads, writes = split(e.emu.Audit())
		b.ReportMetric(float64(len(reads)+len(writes)), "calls(churn)")
		b.Logf("churn of %d pods (%d slice updates): %d writes (%s), %d reads (%s)", pods, pods, len(writes), count(writes), len(reads), count(reads))
		for _, w := range writes {
			if !strings.Contains(w, "VServerGroup") {
				b.Errorf("endpoint churn made a non-member write: %s", w)
			}
		}

		// Scale up by K pods, one slice update per pod, landing on half
		// the nodes: those nodes' weights change.
		e.emu.ResetAudit()
		for k := 1; k <= pods; k++ {
			e.sliceN(b, local, pods, pods+k, nodes/2)
		}
		e.settle(b)
		reads, writes = split(e.emu.Audit())
		b.ReportMetric(float64(len(reads)+len(writes)), "calls(scale)")
		b.Logf("scale-up by %d pods (%d slice updates): %d writes (%s), %d reads (%s)", pods, pods, len(writes), count(writes), len(reads), count(reads))
	}
}

// sliceN writes the Local Service's slice with the rolled-out pods plus
// pods base..total-1 on the first spread nodes.
func (e *benchEnv) sliceN(b *testing.B, svc *v1.Service, base, total, spread int) {
	s, err := e.cs.DiscoveryV1().EndpointSlices("default").Get(context.Background(), svc.Name, metav1.GetOptions{})
	if err != nil {
		b.Fatal(err)
	}
	s = s.DeepCopy()
	s.Endpoints = s.Endpoints[:base]
	for p := base; p < total; p++ {
		n := fmt.Sprintf("node-%d", p%spread)
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{fmt.Sprintf("10.2.%d.%d", p/200, p%200)}, NodeName: &n})
	}
	if _, err := e.cs.DiscoveryV1().EndpointSlices("default").Update(context.Background(), s, metav1.UpdateOptions{}); err != nil {
		b.Fatal(err)
	}
}

type benchEnv struct {
	emu   *emulator.Emulator
	r     *loadbalancer.Reconciler
	cs    *fake.Clientset
	c     *Controller
	nodes []*v1.Node
}

func newBenchEnv(b *testing.B, n int) *benchEnv {
	srv, err := emulator.Start(emulator.Config{Region: "cn-hangzhou", AccessKeys: map[string]string{"id": "secret"}}, "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	seed := emulator.SeedState{Region: "cn-hangzhou", Zones: []string{"cn-hangzhou-h"},
		VPCs:      []emulator.VPC{{VpcID: "vpc-b", CidrBlock: "192.168.0.0/16", VRouterID: "vrt-b"}},
		VSwitches: []emulator.VSwitch{{VSwitchID: "vsw-b", VpcID: "vpc-b", ZoneID: "cn-hangzhou-h", CidrBlock: "192.168.0.0/20"}}}
	e := &benchEnv{emu: srv.Emulator, cs: fake.NewClientset()}
	for i := range n {
		id := fmt.Sprintf("i-bench%04d", i)
		seed.Instances = append(seed.Instances, emulator.Instance{InstanceID: id, ZoneID: "cn-hangzhou-h", VpcID: "vpc-b", VSwitchID: "vsw-b", PrivateIP: fmt.Sprintf("192.168.1.%d", 10+i)})
		e.nodes = append(e.nodes, &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node-%d", i)}, Spec: v1.NodeSpec{ProviderID: "cn-hangzhou." + id}})
	}
	if err := srv.Emulator.Seed(seed); err != nil {
		b.Fatal(err)
	}
	opts := cloudapi.ProductOptions{Endpoint: srv.APIURL, RateLimit: cloudapi.RateLimit{QPS: -1}}
	clients, err := cloudapi.New(cloudapi.Options{Region: "cn-hangzhou", Credentials: credentials.NewStaticAKCredentialsProvider("id", "secret"),
		SLB: opts, VPC: opts, ECS: opts})
	if err != nil {
		b.Fatal(err)
	}
	pods := &loadbalancer.PodBackendSlot{}
	e.r = loadbalancer.New(clients.SLB, clients.VPC, record.NewFakeRecorder(10000), loadbalancer.Options{ClusterID: "c-bench", VpcID: "vpc-b", PodBackends: pods})
	f := informers.NewSharedInformerFactory(e.cs, 0)
	e.c, err = New(e.r, pods, f.Core().V1().Services(), f.Discovery().V1().EndpointSlices(), f.Core().V1().Nodes(),
		podbackends.NewResolver(clients.ECS, clients.VPC, "vpc-b"), Options{Coalesce: 200 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	f.Start(ctx.Done())
	go e.c.Run(ctx)
	return e
}

func (e *benchEnv) create(b *testing.B, n *v1.Node) {
	if _, err := e.cs.CoreV1().Nodes().Create(context.Background(), n, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
}

func (e *benchEnv) service(b *testing.B, name string, policy v1.ServiceExternalTrafficPolicy, nodePort int32) *v1.Service {
	svc := &v1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID("uid-" + name)},
		Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, ExternalTrafficPolicy: policy, HealthCheckNodePort: nodePort + 1000,
			Ports: []v1.ServicePort{{Name: "http", Port: 80, NodePort: nodePort, TargetPort: intstr.FromInt32(8080), Protocol: v1.ProtocolTCP}}}}
	out, err := e.cs.CoreV1().Services("default").Create(context.Background(), svc, metav1.CreateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// ensure runs EnsureLoadBalancer (as the framework does) and publishes
// the status, which makes the controller consider the Service.
func (e *benchEnv) ensure(b *testing.B, svc *v1.Service, nodes []*v1.Node) {
	var st *v1.LoadBalancerStatus
	err := e.waitFor(func() bool {
		var err error
		st, err = e.r.EnsureLoadBalancer(context.Background(), "k", svc, nodes)
		return err == nil
	})
	if err != nil {
		b.Fatalf("ensure %s: %v", svc.Name, err)
	}
	svc.Status.LoadBalancer = *st
	if _, err := e.cs.CoreV1().Services("default").UpdateStatus(context.Background(), svc, metav1.UpdateOptions{}); err != nil {
		b.Fatal(err)
	}
}

// slice writes the Local Service's slice at rollout step k: pods 0..k-1
// were replaced by pods on the next node.
func (e *benchEnv) slice(b *testing.B, svc *v1.Service, k, pods, nodes int) {
	s := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: svc.Name, Namespace: "default", Labels: map[string]string{discoveryv1.LabelServiceName: svc.Name}},
		AddressType: discoveryv1.AddressTypeIPv4}
	name, port, proto := "http", int32(8080), v1.ProtocolTCP
	s.Ports = []discoveryv1.EndpointPort{{Name: &name, Port: &port, Protocol: &proto}}
	for p := range pods {
		node, gen := p%nodes, 0
		if p < k {
			node, gen = (p+1)%nodes, 1
		}
		n := fmt.Sprintf("node-%d", node)
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{fmt.Sprintf("10.%d.%d.%d", gen, p/200, p%200)}, NodeName: &n})
	}
	api := e.cs.DiscoveryV1().EndpointSlices("default")
	if _, err := api.Update(context.Background(), s, metav1.UpdateOptions{}); err != nil {
		if _, err := api.Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// settle waits until the controller's queue is empty and the audit log
// stopped growing for a while.
func (e *benchEnv) settle(b *testing.B) {
	last, quiet := -1, 0
	for range 300 {
		time.Sleep(50 * time.Millisecond)
		n := len(e.emu.Audit())
		if n == last && e.c.queue.Len() == 0 {
			if quiet++; quiet >= 20 {
				return
			}
			continue
		}
		last, quiet = n, 0
	}
	b.Fatal("the controller did not settle")
}

func (e *benchEnv) waitFor(cond func() bool) error {
	for range 100 {
		if cond() {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("timed out")
}

func split(audit []emulator.AuditEntry) (reads, writes []string) {
	for _, a := range audit {
		if strings.HasPrefix(a.Action, "Describe") || strings.HasPrefix(a.Action, "List") {
			reads = append(reads, a.Action)
		} else {
			writes = append(writes, a.Action)
		}
	}
	return reads, writes
}

func count(actions []string) string {
	m := map[string]int{}
	for _, a := range actions {
		m[a]++
	}
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}
