package loadbalancer

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	v1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cloudproviderapi "k8s.io/cloud-provider/api"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/podbackends"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// fakePods is a PodBackendSource with fixed slices, nodes and ENI answers,
// standing in for the endpoints controller's informer-backed source.
type fakePods struct {
	mu         sync.Mutex
	unsynced   bool
	slices     []*discoveryv1.EndpointSlice
	nodes      []*v1.Node
	res        podbackends.Resolution
	resolveErr error
	asked      []string
	incomplete []string
	// listed counts Nodes calls; looked are the names Node was asked.
	listed int
	looked []string
}

func (f *fakePods) Synced() bool { return !f.unsynced }

func (f *fakePods) EndpointSlices(*v1.Service) ([]*discoveryv1.EndpointSlice, error) {
	return f.slices, nil
}

func (f *fakePods) Nodes() ([]*v1.Node, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.listed++
	return f.nodes, nil
}

func (f *fakePods) Node(name string) (*v1.Node, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.looked = append(f.looked, name)
	for _, n := range f.nodes {
		if n.Name == name {
			return n, true
		}
	}
	return nil, false
}

func (f *fakePods) Resolve(_ context.Context, ips []string) (podbackends.Resolution, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, ips...)
	return f.res, f.resolveErr
}

func (f *fakePods) Incomplete(svc *v1.Service) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.incomplete = append(f.incomplete, serviceKey(svc))
}

// ep is one endpoint of a test EndpointSlice.
type ep struct {
	ip, node    string
	terminating bool
}

// endpointSlice is the IPv4 slice of Service name (namespace default) for
// the port named "http" with target port 8080.
func endpointSlice(name string, eps ...ep) *discoveryv1.EndpointSlice {
	portName, proto, port := "http", v1.ProtocolTCP, int32(8080)
	s := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: name + "-abc", Namespace: "default", Labels: map[string]string{discoveryv1.LabelServiceName: name}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: &portName, Protocol: &proto, Port: &port}},
	}
	for _, e := range eps {
		node, ready, term := e.node, !e.terminating, e.terminating
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{e.ip}, NodeName: &node,
			Conditions: discoveryv1.EndpointConditions{Ready: &ready, Terminating: &term}})
	}
	return s
}

// eniBackends is the backend-type annotation (the Kubernetes prefix) for
// ENI backends.
func eniBackends() map[string]string {
	return map[string]string{string(annotations.KeyBackendType): string(annotations.BackendENI)}
}

// podEnv is the harness with a pod backend source installed in the slot
// the engine was built with, as the provider wires it.
func podEnv(t *testing.T, src *fakePods) *env {
	t.Helper()
	slot := &PodBackendSlot{}
	e := newEnv(t, envOpts{options: func(o *Options) { o.PodBackends = slot }})
	if src.nodes == nil {
		src.nodes = e.nodes
	}
	slot.Set(src)
	if e.r.pods.Source() != src {
		t.Fatal("the engine does not read the slot it was built with")
	}
	// One ENI with the pod IPs the tests use, in the cluster VPC.
	if err := e.emu.Seed(emulator.SeedState{ENIs: []emulator.ENI{{NetworkInterfaceID: "eni-pods", Type: "Secondary",
		InstanceID: "i-node0000", VpcID: testVPC, VSwitchID: testVSwitch, PrimaryIP: "192.168.0.50",
		SecondaryIPs: []string{"192.168.0.51", "192.168.0.52", "192.168.0.53", "192.168.0.60"}}}}); err != nil {
		t.Fatal(err)
	}
	return e
}

// memberList renders the members of every group of lbID as
// "group-port:server[ip]:port:weight" (the port in the group's name),
// sorted.
func (e *env) memberList(lbID string) []string {
	e.t.Helper()
	var out []string
	for name, ms := range e.groupMembers(lbID) {
		gp := strings.Split(name, "/")[1] // k8s/<port>/<service>/...
		for _, m := range ms {
			s := gp + ":" + m.ServerID
			if m.Type == annotations.BackendENI {
				s += "[" + m.ServerIP + "]"
			}
			out = append(out, s+":"+strconv.Itoa(m.Port)+":"+strconv.Itoa(m.Weight))
		}
	}
	sort.Strings(out)
	return out
}

// eventsOf drains the recorded events and returns those of a type ("":
// all).
func (e *env) eventsOf(kind string) []string {
	var out []string
	for {
		select {
		case ev := <-e.events.Events:
			if kind == "" || strings.HasPrefix(ev, kind+" ") {
				out = append(out, ev)
			}
		default:
			return out
		}
	}
}

// hasEvent reports whether one of evs carries reason.
func hasEvent(evs []string, reason string) bool {
	return slices.ContainsFunc(evs, func(ev string) bool { return strings.Contains(ev, " "+reason+" ") })
}

// TestPodStrategyMembers pins the members each policy builds from the
// endpoints when the endpoints controller's source is installed, through
// the emulator: Local weights by ready endpoint count on the NodePort
// (nodes without endpoints are not members), Cluster keeps every node at
// 100, ENI puts each pod on its ENI at the target port (terminating ones
// at weight 0), a drained node stays at weight 0. Local and ENI read only
// their endpoints' nodes.
func TestPodStrategyMembers(t *testing.T) {
	all := []ep{{"192.168.0.51", "node-0", false}, {"192.168.0.52", "node-0", false}, {"192.168.0.53", "node-1", false},
		{"192.168.0.60", "node-1", true}}
	eni := podbackends.Resolution{ENI: map[string]string{"192.168.0.51": "eni-pods", "192.168.0.52": "eni-pods",
		"192.168.0.53": "eni-pods", "192.168.0.60": "eni-pods"}}
	tests := []struct {
		name  string
		ann   map[string]string
		local bool
		eps   []ep
		res   podbackends.Resolution
		nodes func([]*v1.Node) []*v1.Node
		want  []string
	}{
		{name: "Local: weight is the ready endpoint count, node-2 has none", local: true, eps: all,
			want: []string{"30080:i-node0000:30080:2", "30080:i-node0001:30080:1"}},
		{name: "Local: a node with only terminating endpoints stays at weight 0", local: true,
			eps:  []ep{{"192.168.0.51", "node-0", false}, {"192.168.0.60", "node-1", true}},
			want: []string{"30080:i-node0000:30080:1", "30080:i-node0001:30080:0"}},
		{name: "Cluster: every eligible node at 100 whatever the endpoints", eps: all[:1],
			want: []string{"30080:i-node0000:30080:100", "30080:i-node0001:30080:100", "30080:i-node0002:30080:100"}},
		{name: "Cluster: default-weight", ann: anno("default-weight", "30"), eps: all[:1],
			want: []string{"30080:i-node0000:30080:30", "30080:i-node0001:30080:30", "30080:i-node0002:30080:30"}},
		{name: "ENI: pods on their ENI at the target port, terminating at 0", ann: eniBackends(), eps: all, res: eni,
			want: []string{"8080:eni-pods[192.168.0.51]:8080:100", "8080:eni-pods[192.168.0.52]:8080:100",
				"8080:eni-pods[192.168.0.53]:8080:100", "8080:eni-pods[192.168.0.60]:8080:0"}},
		{name: "drain: a cordoned node stays at weight 0", ann: anno("drain-unscheduled-backend", "on", "remove-unscheduled-backend", "on"),
			eps: all[:1], nodes: cordon("node-1"),
			want: []string{"30080:i-node0000:30080:100", "30080:i-node0001:30080:0", "30080:i-node0002:30080:100"}},
		{name: "no drain: a cordoned node goes with remove-unscheduled-backend", ann: anno("remove-unscheduled-backend", "on"),
			eps: all[:1], nodes: cordon("node-1"),
			want: []string{"30080:i-node0000:30080:100", "30080:i-node0002:30080:100"}},
		{name: "the autoscaler's taint removes the node without drain", eps: all[:1], nodes: taint("node-2"),
			want: []string{"30080:i-node0000:30080:100", "30080:i-node0001:30080:100"}},
		{name: "with drain the autoscaler's taint keeps the node at 0", ann: anno("drain-unscheduled-backend", "on"),
			eps: all[:1], nodes: taint("node-2"),
			want: []string{"30080:i-node0000:30080:100", "30080:i-node0001:30080:100", "30080:i-node0002:30080:0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := &fakePods{slices: []*discoveryv1.EndpointSlice{endpointSlice("web", tc.eps...)}, res: tc.res}
			e := podEnv(t, src)
			if tc.nodes != nil {
				src.nodes = tc.nodes(e.nodes)
			}
			ann := tc.ann
			if ann == nil {
				ann = map[string]string{}
			}
			svc := service("web", ann)
			if tc.local {
				svc.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal
			}
			e.ensure(svc)
			lbID := e.lbs()[0].LoadBalancerId
			if got := e.memberList(lbID); !slices.Equal(got, tc.want) {
				t.Errorf("members\n got %v\nwant %v", got, tc.want)
			}
			// Local and ENI members look up their endpoints' nodes by
			// name; only Cluster reads every node.
			if cluster := !tc.local && tc.ann[string(annotations.KeyBackendType)] == ""; (src.listed > 0) != cluster {
				t.Errorf("read the whole node list %d times (Cluster: %v)", src.listed, cluster)
			}
			// Members are converged: a second reconcile writes nothing.
			e.emu.ResetAudit()
			e.ensure(svc)
			if w := e.writes(); len(w) > 0 {
				t.Errorf("resync wrote %v", w)
			}
		})
	}
}

// cordon returns the nodes with name marked unschedulable (copies).
func cordon(name string) func([]*v1.Node) []*v1.Node {
	return func(ns []*v1.Node) []*v1.Node {
		out := make([]*v1.Node, len(ns))
		for i, n := range ns {
			out[i] = n.DeepCopy()
			if n.Name == name {
				out[i].Spec.Unschedulable = true
			}
		}
		return out
	}
}

// taint returns the nodes with name tainted by the cluster autoscaler.
func taint(name string) func([]*v1.Node) []*v1.Node {
	return func(ns []*v1.Node) []*v1.Node {
		out := make([]*v1.Node, len(ns))
		for i, n := range ns {
			out[i] = n.DeepCopy()
			if n.Name == name {
				out[i].Spec.Taints = []v1.Taint{{Key: podbackends.TaintToBeDeleted, Effect: v1.TaintEffectNoSchedule}}
			}
		}
		return out
	}
}

// TestPodStrategyLocalListener: with Local members the listener gets the
// wrr scheduler (weights are endpoint counts) and an HTTP check on
// healthCheckNodePort, unless the user chose them.
func TestPodStrategyLocalListener(t *testing.T) {
	tests := []struct {
		name                string
		ann                 map[string]string
		scheduler, hc, path string
		hcPort              int
	}{
		{name: "defaults", ann: map[string]string{}, scheduler: "wrr", hc: "http", path: "/healthz", hcPort: 32000},
		{name: "user's scheduler and check", ann: anno("scheduler", "rr", "health-check-type", "tcp"), scheduler: "rr", hc: "tcp"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := &fakePods{slices: []*discoveryv1.EndpointSlice{endpointSlice("web", ep{"192.168.0.51", "node-0", false})}}
			e := podEnv(t, src)
			svc := service("web", tc.ann)
			svc.Spec.ExternalTrafficPolicy, svc.Spec.HealthCheckNodePort = v1.ServiceExternalTrafficPolicyLocal, 32000
			e.ensure(svc)
			ls := e.listeners(e.lbs()[0].LoadBalancerId)
			if len(ls) != 1 {
				t.Fatalf("%d listeners", len(ls))
			}
			l := ls[0]
			c := l.TCPListenerConfig
			if l.Scheduler != tc.scheduler || c.HealthCheckType != tc.hc {
				t.Errorf("scheduler %q, health check %q; want %q, %q", l.Scheduler, c.HealthCheckType, tc.scheduler, tc.hc)
			}
			if tc.hcPort != 0 && (c.HealthCheckConnectPort != tc.hcPort || c.HealthCheckURI != tc.path) {
				t.Errorf("health check on %d%s, want %d%s", c.HealthCheckConnectPort, c.HealthCheckURI, tc.hcPort, tc.path)
			}
		})
	}
}

// TestPodStrategyUnresolvedPods: a pod IP inside the VPC without an ENI
// yet keeps its group's members (nothing removed), says so with a Warning,
// tells the source to retry, fails the backend-only sync with an
// IncompleteBackendsError naming the IP, and lets the full reconcile
// publish the status. A pod outside the VPC (overlay) is skipped with a
// Normal Event.
func TestPodStrategyUnresolvedPods(t *testing.T) {
	src := &fakePods{slices: []*discoveryv1.EndpointSlice{endpointSlice("web",
		ep{"192.168.0.51", "node-0", false}, ep{"192.168.0.52", "node-1", false})},
		res: podbackends.Resolution{ENI: map[string]string{"192.168.0.51": "eni-pods", "192.168.0.52": "eni-pods"}}}
	e := podEnv(t, src)
	svc := service("web", eniBackends())
	e.ensure(svc)
	lbID := e.lbs()[0].LoadBalancerId
	before := e.memberList(lbID)
	if len(before) != 2 {
		t.Fatalf("members %v, want both pods", before)
	}
	e.eventsOf("")

	// .52 moved to an IP without an ENI yet; .51 is gone.
	src.slices = []*discoveryv1.EndpointSlice{endpointSlice("web", ep{"192.168.0.53", "node-1", false}, ep{"10.9.0.7", "node-1", false})}
	src.res = podbackends.Resolution{ENI: map[string]string{}, Missing: []string{"192.168.0.53"}, Outside: []string{"10.9.0.7"}}
	err := e.r.SyncBackends(context.Background(), svc, e.nodes)
	var ie *IncompleteBackendsError
	if !errors.As(err, &ie) || !slices.Equal(ie.IPs, []string{"192.168.0.53"}) || !strings.Contains(err.Error(), "default/web") {
		t.Fatalf("SyncBackends = %v, want an IncompleteBackendsError for 192.168.0.53", err)
	}
	if got := e.memberList(lbID); !slices.Equal(got, before) {
		t.Errorf("members changed with an unresolved pod: %v, want %v kept", got, before)
	}
	if !slices.Contains(src.incomplete, "default/web") {
		t.Error("the source was not told to retry the Service")
	}
	if !hasEvent(e.eventsOf(v1.EventTypeWarning), ReasonENIUnresolved) {
		t.Error("no Warning event for the unresolved pod")
	}

	// The full reconcile does not fail for it: the status is published.
	st, err := e.r.EnsureLoadBalancer(context.Background(), "kubernetes", svc, e.nodes)
	if err != nil || st == nil || len(st.Ingress) == 0 {
		t.Fatalf("EnsureLoadBalancer = %v, %v; want the status", st, err)
	}
	normal := e.eventsOf(v1.EventTypeNormal)
	if !hasEvent(normal, ReasonOverlayPodSkipped) {
		t.Errorf("no Normal event for the overlay pod: %v", normal)
	}

	// Once the ENI is known the stale member goes and the new one comes.
	src.res = podbackends.Resolution{ENI: map[string]string{"192.168.0.53": "eni-pods"}, Outside: []string{"10.9.0.7"}}
	if err := e.r.SyncBackends(context.Background(), svc, e.nodes); err != nil {
		t.Fatal(err)
	}
	if got, want := e.memberList(lbID), []string{"8080:eni-pods[192.168.0.53]:8080:100"}; !slices.Equal(got, want) {
		t.Errorf("members %v, want %v", got, want)
	}
}

// TestPodStrategyRefusals: a source whose caches are not synced yet is a
// retry, an ENI lookup failure fails the reconcile, and ENI backends
// without the endpoints controller are refused; none of them writes.
func TestPodStrategyRefusals(t *testing.T) {
	tests := []struct {
		name    string
		src     *fakePods // nil: no source installed
		ann     map[string]string
		retry   bool
		message string
	}{
		{name: "caches not synced", src: &fakePods{unsynced: true}, ann: map[string]string{}, retry: true, message: "not synced"},
		{name: "ENI lookup fails", src: &fakePods{resolveErr: errors.New("ecs down"),
			slices: []*discoveryv1.EndpointSlice{endpointSlice("web", ep{"192.168.0.51", "node-0", false})}},
			ann: eniBackends(), message: "ecs down"},
		{name: "ENI without the endpoints controller", ann: eniBackends(), message: "endpoints controller"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e *env
			if tc.src != nil {
				e = podEnv(t, tc.src)
			} else {
				e = newEnv(t, envOpts{})
			}
			e.emu.ResetAudit()
			_, err := e.r.EnsureLoadBalancer(context.Background(), "kubernetes", service("web", tc.ann), e.nodes)
			if err == nil || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("err = %v, want one saying %q", err, tc.message)
			}
			var re *cloudproviderapi.RetryError
			if errors.As(err, &re) != tc.retry {
				t.Errorf("retry error: %v, want %v", errors.As(err, &re), tc.retry)
			}
			if w := e.writes(); len(w) > 0 {
				t.Errorf("wrote %v", w)
			}
		})
	}
}

// TestBackendPolicy: the endpoints controller's filter reads the policy
// from the same parse as the engine; a Service that does not parse is
// reported as such.
func TestBackendPolicy(t *testing.T) {
	r := New(nil, nil, nil, Options{})
	tests := []struct {
		name  string
		ann   map[string]string
		local bool
		want  podbackends.Policy
		ok    bool
	}{
		{"cluster", map[string]string{}, false, podbackends.PolicyCluster, true},
		{"local", map[string]string{}, true, podbackends.PolicyLocal, true},
		{"eni wins over local", eniBackends(), true, podbackends.PolicyENI, true},
		{"does not parse", anno("scheduler", "fastest"), false, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc := service("web", tc.ann)
			if tc.local {
				svc.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal
			}
			got, ok := r.BackendPolicy(svc)
			if got != tc.want || ok != tc.ok {
				t.Errorf("BackendPolicy = %q, %v; want %q, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// TestGroupPortAndServicePort: ENI groups are named by the target port
// (the Service port for a named target), node groups by the NodePort; a
// UDP listener matches only the UDP Service port.
func TestGroupPortAndServicePort(t *testing.T) {
	svc := service("web", nil, port{"dns", 53, 30053, v1.ProtocolUDP}, port{"dnstcp", 53, 30054, v1.ProtocolTCP})
	svc.Spec.Ports[1].TargetPort.IntVal = 5353
	udp := &annotations.Listener{Port: 53, Protocol: annotations.ProtocolUDP, NodePort: 30053}
	tcp := &annotations.Listener{Port: 53, Protocol: annotations.ProtocolTCP, NodePort: 30054}
	nodeCfg := &annotations.Config{}
	eniCfg := &annotations.Config{Backend: annotations.Backend{Type: annotations.BackendENI}}
	for _, tc := range []struct {
		name string
		cfg  *annotations.Config
		l    *annotations.Listener
		want int
	}{
		{"node udp", nodeCfg, udp, 30053},
		{"node tcp", nodeCfg, tcp, 30054},
		{"eni udp target", eniCfg, udp, 8080},
		{"eni tcp target", eniCfg, tcp, 5353},
	} {
		if got := groupPort(svc, tc.cfg, tc.l); got != tc.want {
			t.Errorf("%s: groupPort = %d, want %d", tc.name, got, tc.want)
		}
	}
	if sp, ok := servicePortOf(svc, udp); !ok || sp.Name != "dns" {
		t.Errorf("servicePortOf(udp) = %v, %v", sp.Name, ok)
	}
	if _, ok := servicePortOf(svc, &annotations.Listener{Port: 54, Protocol: annotations.ProtocolTCP}); ok {
		t.Error("a listener without a Service port matched one")
	}
}
