package routes

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"
	k8scloudprovider "k8s.io/cloud-provider"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

const (
	testRegion   = "cn-hangzhou"
	testVPC      = "vpc-routes0000000000000"
	testKeyID    = "LTAIroutestestkey0000"
	testSecret   = "routes-test-secret-000000000"
	testCluster  = "172.16.0.0/16"
	testIPv6CIDR = "2408:4000:1000::/56"
)

// envOptions shape the emulated VPC of one test.
type envOptions struct {
	instances    int
	delay        time.Duration // emulator RouteEntryDelay
	latency      time.Duration // added to every API call
	routeQuota   int           // Limits.RouteEntriesPerTable; 0 = default 200
	ipv6         bool          // the VPC has an IPv6 CIDR block
	customTables int           // custom route tables besides the system one
	rateLimited  bool          // keep the client's default VPC/ECS rate limits
}

// env is an in-process emulator with one VPC, a vSwitch, instances and the
// real SDK clients pointed at it.
type env struct {
	srv       *emulator.Servers
	emu       *emulator.Emulator
	clients   *cloudapi.Clients
	nodes     *fakeNodes
	events    *record.FakeRecorder
	system    string   // the VPC's system route table
	custom    []string // seeded custom tables
	instances []string
	enis      []string
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	limits := emulator.DefaultLimits()
	if o.routeQuota > 0 {
		limits.RouteEntriesPerTable = o.routeQuota
	}
	srv, err := emulator.Start(emulator.Config{Region: testRegion, AccessKeys: map[string]string{testKeyID: testSecret},
		RouteEntryDelay: o.delay, Limits: limits}, "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	e := &env{srv: srv, emu: srv.Emulator, nodes: newFakeNodes(), events: record.NewFakeRecorder(1000)}
	seed := emulator.SeedState{
		Region: testRegion, Zones: []string{testRegion + "-h"},
		VPCs: []emulator.VPC{{VpcID: testVPC, CidrBlock: "192.168.0.0/16", VRouterID: "vrt-routes000000000000"}},
		VSwitches: []emulator.VSwitch{{VSwitchID: "vsw-routes000000000000", VpcID: testVPC, ZoneID: testRegion + "-h",
			CidrBlock: "192.168.0.0/20"}},
	}
	if o.ipv6 {
		seed.VPCs[0].IPv6Cidr = testIPv6CIDR
	}
	for i := range o.customTables {
		id := fmt.Sprintf("vtb-custom%013d", i)
		seed.RouteTables = append(seed.RouteTables, emulator.SeedRouteTable{RouteTableID: id, VpcID: testVPC, Type: "Custom"})
		e.custom = append(e.custom, id)
	}
	for i := range o.instances {
		id, eni := instanceID(i), fmt.Sprintf("eni-routes%012d", i)
		seed.Instances = append(seed.Instances, emulator.Instance{InstanceID: id, ZoneID: testRegion + "-h", VpcID: testVPC,
			VSwitchID: "vsw-routes000000000000", PrivateIP: fmt.Sprintf("192.168.%d.%d", 1+i/250, 1+i%250), PrimaryENI: eni})
		// ECS creates ENIs with the check on; the emulator's zero value is off.
		seed.ENIs = append(seed.ENIs, emulator.ENI{NetworkInterfaceID: eni, Type: "Primary", InstanceID: id, VpcID: testVPC,
			VSwitchID: "vsw-routes000000000000", ZoneID: testRegion + "-h", PrimaryIP: fmt.Sprintf("192.168.%d.%d", 1+i/250, 1+i%250),
			Status: "InUse", SourceDestCheck: true})
		e.instances, e.enis = append(e.instances, id), append(e.enis, eni)
	}
	if err := e.emu.Seed(seed); err != nil {
		t.Fatal(err)
	}
	for _, rt := range e.emu.Dump().RouteTables {
		if rt.VpcID == testVPC && rt.Type == "System" {
			e.system = rt.RouteTableID
		}
	}
	if o.latency > 0 {
		e.emu.SetFaults(emulator.FaultProfile{Latency: map[string]emulator.LatencySpec{"*": {Fixed: emulator.Duration(o.latency)}}})
	}
	opts := cloudapi.Options{
		Region:      testRegion,
		Credentials: credentials.NewStaticAKCredentialsProvider(testKeyID, testSecret),
		Retry:       cloudapi.RetryPolicy{BaseBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond},
		VPC:         cloudapi.ProductOptions{Endpoint: srv.APIURL},
		ECS:         cloudapi.ProductOptions{Endpoint: srv.APIURL},
		SLB:         cloudapi.ProductOptions{Endpoint: "http://127.0.0.1:1"},
	}
	if !o.rateLimited {
		opts.VPC.RateLimit = cloudapi.RateLimit{QPS: -1}
		opts.ECS.RateLimit = cloudapi.RateLimit{QPS: -1}
	}
	if e.clients, err = cloudapi.New(opts); err != nil {
		t.Fatal(err)
	}
	return e
}

func instanceID(i int) string { return fmt.Sprintf("i-routes%012d", i) }

// podCIDR is the i-th /24 of the test cluster CIDR.
func podCIDR(i int) string { return fmt.Sprintf("172.16.%d.0/24", i) }

// fastTuning keeps tests quick without changing the algorithm.
var fastTuning = Tuning{GatherWindow: 50 * time.Millisecond, PollInitial: 30 * time.Millisecond,
	PollMax: 300 * time.Millisecond, SettleTimeout: 30 * time.Second}

// newRoutes builds the capability under test; mutate adjusts the config.
func (e *env) newRoutes(t testing.TB, mutate ...func(*Config)) *Routes {
	t.Helper()
	cfg := Config{VPC: e.clients.VPC, ECS: e.clients.ECS, VpcID: testVPC, ClusterID: "test-cluster",
		ClusterCIDR: testCluster, Nodes: e.nodes, Events: e.events, Tuning: fastTuning}
	for _, m := range mutate {
		m(&cfg)
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// addNode adds node i (instance i) with the given pod CIDRs.
func (e *env) addNode(i int, cidrs ...string) *v1.Node {
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node-%d", i), UID: types.UID(fmt.Sprintf("uid-%d", i))},
		Spec: v1.NodeSpec{ProviderID: testRegion + "." + instanceID(i), PodCIDRs: cidrs}}
	if len(cidrs) > 0 {
		n.Spec.PodCIDR = cidrs[0]
	}
	e.nodes.add(n)
	return n
}

// entries returns the table's custom entries from the emulator, by CIDR.
func (e *env) entries(table string) map[string]emulator.DumpRouteEntr {
	out := map[string]emulator.DumpRouteEntr{}
	for _, rt := range e.emu.Dump().RouteTables {
		if rt.RouteTableID != table {
			continue
		}
		for _, r := range rt.Entries {
			if r.Type == "Custom" {
				out[r.DestinationCidrBlock] = r
			}
		}
	}
	return out
}

// seedEntry adds a pre-existing custom entry (someone else's, or an orphan).
func (e *env) seedEntry(t testing.TB, table, dst, hopType, hop string) {
	t.Helper()
	err := e.emu.Seed(emulator.SeedState{RouteEntries: []emulator.SeedRouteEntry{{RouteTableID: table,
		DestinationCidrBlock: dst, NextHopType: hopType, NextHopID: hop}}})
	if err != nil {
		t.Fatal(err)
	}
}

// seedOwnedEntry adds a pre-existing Instance entry as the CCM of cluster
// would have written it (its description names the cluster).
func (e *env) seedOwnedEntry(t testing.TB, table, dst, hop, cluster string) {
	t.Helper()
	err := e.emu.Seed(emulator.SeedState{RouteEntries: []emulator.SeedRouteEntry{{RouteTableID: table,
		DestinationCidrBlock: dst, NextHopType: "Instance", NextHopID: hop,
		Description: "Pod CIDR route of node gone, " + ownerMarker(cluster)}}})
	if err != nil {
		t.Fatal(err)
	}
}

// writeCalls counts route write calls per action in the audit, and the
// calls refused as busy/conflicting.
func (e *env) writeCalls() (creates, deletes, conflicts int) {
	for _, a := range e.emu.Audit() {
		switch a.Action {
		case "CreateRouteEntries", "CreateRouteEntry":
			creates++
		case "DeleteRouteEntries", "DeleteRouteEntry":
			deletes++
		}
		if a.Code == "TaskConflict" || a.Code == "IncorrectRouteEntryStatus" {
			conflicts++
		}
	}
	return creates, deletes, conflicts
}

// drainEvents returns the events recorded so far.
func (e *env) drainEvents() []string {
	var out []string
	for {
		select {
		case ev := <-e.events.Events:
			out = append(out, ev)
		default:
			return out
		}
	}
}

// fakeNodes is a NodeGetter over a map.
type fakeNodes struct {
	mu    sync.Mutex
	nodes map[string]*v1.Node
}

func newFakeNodes() *fakeNodes { return &fakeNodes{nodes: map[string]*v1.Node{}} }

func (f *fakeNodes) add(n *v1.Node) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nodes[n.Name] = n
}

func (f *fakeNodes) remove(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.nodes, name)
}

// Get implements NodeGetter.
func (f *fakeNodes) Get(name string) (*v1.Node, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.nodes[name]
	if !ok {
		return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "nodes"}, name)
	}
	return n, nil
}

// List implements NodeGetter.
func (f *fakeNodes) List() ([]*v1.Node, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*v1.Node, 0, len(f.nodes))
	for _, n := range f.nodes {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// createAll calls CreateRoute for every node's pod CIDRs at once, as the
// framework does, and returns the errors by node name.
func createAll(ctx context.Context, r *Routes, nodes []*v1.Node) map[string]error {
	var mu sync.Mutex
	errs := map[string]error{}
	// The framework's reconcile starts with ListRoutes, which reads the
	// nodes' source/destination checks (its errors are other tests' business).
	_, _ = r.ListRoutes(ctx, "kubernetes")
	var wg sync.WaitGroup
	for _, n := range nodes {
		for _, c := range n.Spec.PodCIDRs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := r.CreateRoute(ctx, "kubernetes", string(n.UID), &k8scloudprovider.Route{TargetNode: types.NodeName(n.Name), DestinationCIDR: c})
				if err != nil {
					mu.Lock()
					errs[n.Name] = err
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	return errs
}
