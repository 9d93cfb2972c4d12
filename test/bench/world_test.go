package bench

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// sizes are the scenario sizes, from the environment (BENCH_*), so that a
// smoke run and the full run are the same code.
type sizes struct {
	services   int           // S1-S3: LoadBalancer Services, two ports each
	nodes      int           // S1-S3: nodes (every one a backend of every Service)
	excluded   int           // S1-S3: more nodes, excluded from load balancers (memory)
	routeNodes int           // S4: nodes with pod CIDRs
	latency    time.Duration // added to every emulated API call
	quiet      time.Duration // no API call for this long = the CCM is idle
	timeout    time.Duration // bound of every wait
	throttle   map[string]float64
	// flags are extra CCM flags (BENCH_FLAGS, space-separated), e.g.
	// --concurrent-service-syncs=3 to compare worker counts.
	flags []string
	// apiQPS is the CCM's client-side rate limit per product
	// (cloud-config Global.apiQPS, BENCH_API_QPS "slb=20,vpc=10"); empty:
	// the CCM's defaults.
	apiQPS map[string]float64
	// only are the scenarios to run (BENCH_ONLY); empty = all.
	only map[string]bool
}

// runs reports whether scenario name (S1..S5) is selected.
func (s sizes) runs(name string) bool { return len(s.only) == 0 || s.only[name] }

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v >= 0 {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// defaultThrottle is the per-action QPS of the emulator's throttling
// buckets, by product. Alibaba Cloud publishes its per-API limits only in
// each account's Quota Center ("API rate limits"), so these are
// assumptions, set by BENCH_THROTTLE (e.g. "Slb=20,Vpc=10,Ecs=20").
var defaultThrottle = map[string]float64{"Slb": 20, "Vpc": 10, "Ecs": 20}

func loadSizes() (sizes, error) {
	s := sizes{
		services:   envInt("BENCH_SERVICES", 20),
		nodes:      envInt("BENCH_NODES", 10),
		excluded:   envInt("BENCH_EXCLUDED_NODES", 0),
		routeNodes: envInt("BENCH_ROUTE_NODES", 50),
		latency:    envDuration("BENCH_LATENCY", 50*time.Millisecond),
		quiet:      envDuration("BENCH_QUIET", 5*time.Second),
		timeout:    envDuration("BENCH_WAIT", 40*time.Minute),
		throttle:   map[string]float64{},
		flags:      strings.Fields(os.Getenv("BENCH_FLAGS")),
		only:       map[string]bool{},
		apiQPS:     map[string]float64{},
	}
	if v := os.Getenv("BENCH_API_QPS"); v != "" {
		for _, kv := range strings.Split(v, ",") {
			k, q, ok := strings.Cut(strings.TrimSpace(kv), "=")
			f, err := strconv.ParseFloat(q, 64)
			if !ok || err != nil {
				return s, fmt.Errorf("BENCH_API_QPS: %q is not product=QPS", kv)
			}
			s.apiQPS[strings.ToLower(k)] = f
		}
	}
	for _, n := range strings.Split(os.Getenv("BENCH_ONLY"), ",") {
		if n = strings.ToUpper(strings.TrimSpace(n)); n != "" {
			s.only[n] = true
		}
	}
	for k, v := range defaultThrottle {
		s.throttle[k] = v
	}
	if v := os.Getenv("BENCH_THROTTLE"); v != "" {
		for _, kv := range strings.Split(v, ",") {
			k, q, ok := strings.Cut(strings.TrimSpace(kv), "=")
			f, err := strconv.ParseFloat(q, 64)
			if !ok || err != nil {
				return s, fmt.Errorf("BENCH_THROTTLE: %q is not Product=QPS", kv)
			}
			if f <= 0 {
				delete(s.throttle, k)
			} else {
				s.throttle[k] = f
			}
		}
	}
	if s.nodes < 1 || s.services < 1 || s.routeNodes < 1 {
		return s, fmt.Errorf("BENCH_SERVICES, BENCH_NODES and BENCH_ROUTE_NODES must be at least 1")
	}
	return s, nil
}

// faults is the emulator's profile: a fixed latency on every call and one
// token bucket per action (burst = one second's worth).
func (s sizes) faults() emulator.FaultProfile {
	p := emulator.FaultProfile{
		Latency:  map[string]emulator.LatencySpec{"*": {Fixed: emulator.Duration(s.latency)}},
		Throttle: map[string]emulator.ThrottleSpec{},
	}
	for prod, q := range s.throttle {
		p.Throttle[prod] = emulator.ThrottleSpec{Rate: q, Burst: max(1, int(q))}
	}
	return p
}

// world is one control plane, one emulator and the bench's ECS instances.
type world struct {
	cp        *framework.ControlPlane
	cs        kubernetes.Interface
	emu       *framework.Emulator
	cfg       string
	instances []emulator.Instance
	ccm       *framework.CCMProcess
	lease     string
}

// newWorld starts a dedicated control plane and an emulator seeded with n
// extra instances (named bench-<i>), with quotas raised for svcs two-port
// Services on them.
func newWorld(b testing.TB, s sizes, n, svcs int) *world {
	b.Helper()
	cp := framework.Dedicated(b)
	allowControllers(b, cp.Client)
	emu := framework.StartEmulator(b)
	lim := emulator.DefaultLimits()
	lim.LoadBalancersPerAccount = max(lim.LoadBalancersPerAccount, svcs+10)
	// Every node joins two groups per Service: above the default
	// slb_quota_backendserver_attached_num, raised as users do.
	lim.GroupsPerServer = max(lim.GroupsPerServer, 2*svcs+10)
	lim.BackendsPerLB = max(lim.BackendsPerLB, 2*s.nodes+10)
	lim.RouteEntriesPerTable = max(lim.RouteEntriesPerTable, n+10)
	emu.Emulator.SetLimits(lim)
	// The harness stands in for kubelets and kube-controller-manager,
	// which each have their own client: no client-side limit, so writing
	// thousands of Nodes is bound by the apiserver, not by the shared
	// test client's 100 QPS.
	rc := rest.CopyConfig(cp.Config)
	rc.QPS, rc.Burst = -1, 0
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		b.Fatal(err)
	}
	w := &world{cp: cp, cs: cs, emu: emu, lease: framework.UniqueName("bench")}
	// Two /20 vSwitches, one per zone: room for thousands of nodes.
	seed := emulator.SeedState{VSwitches: []emulator.VSwitch{
		{VSwitchID: "vsw-bp1bench00000000000h", VpcID: emu.VpcID, ZoneID: emu.Zones[0], CidrBlock: "192.168.16.0/20"},
		{VSwitchID: "vsw-bp1bench00000000000i", VpcID: emu.VpcID, ZoneID: emu.Zones[1], CidrBlock: "192.168.32.0/20"},
	}}
	for i := range n {
		z, k := i%2, i/2
		seed.Instances = append(seed.Instances, emulator.Instance{
			InstanceID: fmt.Sprintf("i-bp1bench%012d", i), InstanceName: nodeName(i), HostName: nodeName(i),
			ZoneID: emu.Zones[z], VpcID: emu.VpcID, VSwitchID: seed.VSwitches[z].VSwitchID,
			PrivateIP: fmt.Sprintf("192.168.%d.%d", 16+16*z+k/250, 1+k%250), Status: "Running",
		})
	}
	if err := emu.Emulator.Seed(seed); err != nil {
		b.Fatalf("seeding %d instances: %v", n, err)
	}
	w.instances = seed.Instances
	emu.Emulator.SetFaults(s.faults())
	// The raised quotas, told to the CCM as a user who raised them in Quota
	// Center does (it checks them before writing).
	cfg := emu.CloudConfig()
	cfg["Global"]["quotaVServerGroupsPerInstance"] = lim.GroupsPerServer
	cfg["Global"]["quotaBackendServersPerCLB"] = lim.BackendsPerLB
	if len(s.apiQPS) > 0 {
		cfg["Global"]["apiQPS"] = s.apiQPS
	}
	w.cfg = framework.WriteCloudConfig(b, cfg)
	return w
}

func nodeName(i int) string { return fmt.Sprintf("bench-%d", i) }

// allowControllers binds cluster-admin to kube-system's service accounts:
// with --use-service-account-credentials each controller and the provider
// act as their own account. The deployment's exact RBAC is TestDeployRBAC's
// business; here it would only add setup.
func allowControllers(b testing.TB, cs kubernetes.Interface) {
	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "bench-kube-system-admin"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects: []rbacv1.Subject{{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: "system:serviceaccounts:kube-system"}}}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(context.Background(), crb, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		b.Fatal(err)
	}
}

// startCCM runs the binary with the deployment guide's command line
// (framework.SeedArgs) and a lease of the world's own, waits for /healthz
// and returns when it runs.
func (w *world) startCCM(b testing.TB, s sizes, extra ...string) {
	b.Helper()
	args := append(framework.SeedArgs(w.cfg), "--leader-elect-resource-name="+w.lease)
	args = append(append(args, s.flags...), extra...)
	// BENCH_CCM_GOMEMLIMIT is the CCM's GOMEMLIMIT: set only while the
	// CCM process starts (it inherits this process's environment), so a
	// control plane started later keeps none.
	if v := os.Getenv("BENCH_CCM_GOMEMLIMIT"); v != "" {
		if err := os.Setenv("GOMEMLIMIT", v); err != nil {
			b.Fatal(err)
		}
		defer os.Unsetenv("GOMEMLIMIT")
	}
	w.ccm = framework.StartCCM(b, w.cp, args...)
	w.ccm.WaitHealthy(b, 2*time.Minute)
}

// parallel runs f(0..n-1) on 8 goroutines and returns the first error.
func parallel(n int, f func(i int) error) error { return parallelN(8, n, f) }

// parallelN runs f(0..n-1) on workers goroutines and returns the first error.
func parallelN(workers, n int, f func(i int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan int)
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

// createNode writes the Node kubelet would (provider ID, zone, InternalIP,
// Ready), optionally with a pod CIDR as IPAM would set it.
func (w *world) createNode(ctx context.Context, i int, podCIDR string) error {
	return w.createNodeWith(ctx, i, podCIDR, false)
}

// createNodeWith is createNode; exclude labels the node
// node.kubernetes.io/exclude-from-external-load-balancers, so it is in
// every informer of the CCM but no CLB's backend.
func (w *world) createNodeWith(ctx context.Context, i int, podCIDR string, exclude bool) error {
	in := w.instances[i]
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: in.InstanceName, Labels: map[string]string{corev1.LabelTopologyZone: in.ZoneID}},
		Spec:       corev1.NodeSpec{ProviderID: w.emu.Region + "." + in.InstanceID},
	}
	if exclude {
		node.Labels[corev1.LabelNodeExcludeBalancers] = "true"
	}
	if podCIDR != "" {
		node.Spec.PodCIDR, node.Spec.PodCIDRs = podCIDR, []string{podCIDR}
	}
	// A Node's status may be set on create (kubelet registers its node
	// so): one write per node, which halves the harness's share of S5's
	// setup.
	node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: in.PrivateIP}}
	node.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
		LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now()}}
	created, err := w.cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("creating node %s: %w", node.Name, err)
	}
	if !isReady(created) {
		return fmt.Errorf("node %s lost its status on create", node.Name)
	}
	return nil
}

// isReady reports whether a Node has Ready=True.
func isReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// createService creates a two-port LoadBalancer Service and the
// EndpointSlice kube-controller-manager would write for it (one ready pod).
func (w *world) createService(ctx context.Context, i int) error {
	name := fmt.Sprintf("svc-%04d", i)
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": name},
			Ports: []corev1.ServicePort{
				{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP},
				{Name: "https", Port: 443, TargetPort: intstr.FromInt32(8443), Protocol: corev1.ProtocolTCP},
			}},
	}
	if _, err := w.cs.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating service %s: %w", name, err)
	}
	ready, node := true, nodeName(i%len(w.instances))
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-1", Namespace: "default", Labels: map[string]string{
			discoveryv1.LabelServiceName: name, discoveryv1.LabelManagedBy: "endpointslice-controller.k8s.io"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{fmt.Sprintf("10.%d.%d.%d", 100+i/65536, i/256%256, i%256)},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready}, NodeName: &node}},
	}
	for _, p := range svc.Spec.Ports {
		n, port, proto := p.Name, p.TargetPort.IntVal, p.Protocol
		slice.Ports = append(slice.Ports, discoveryv1.EndpointPort{Name: &n, Port: &port, Protocol: &proto})
	}
	if _, err := w.cs.DiscoveryV1().EndpointSlices("default").Create(ctx, slice, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating endpointslice of %s: %w", name, err)
	}
	return nil
}

// withIngress counts the Services that have an ingress IP.
func (w *world) withIngress(ctx context.Context) (int, error) {
	l, err := w.cs.CoreV1().Services("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range l.Items {
		if len(s.Status.LoadBalancer.Ingress) > 0 && s.Status.LoadBalancer.Ingress[0].IP != "" {
			n++
		}
	}
	return n, nil
}

// lastFailure returns the newest SyncLoadBalancerFailed Event's message
// (shortened), or "".
func (w *world) lastFailure(ctx context.Context) string {
	l, err := w.cs.CoreV1().Events("default").List(ctx, metav1.ListOptions{FieldSelector: "reason=SyncLoadBalancerFailed"})
	if err != nil || len(l.Items) == 0 {
		return ""
	}
	last := l.Items[0]
	for _, e := range l.Items {
		if e.LastTimestamp.After(last.LastTimestamp.Time) {
			last = e
		}
	}
	msg := last.Message
	if len(msg) > 300 {
		msg = msg[:300] + "..."
	}
	return fmt.Sprintf("; last failure (%s): %s", last.InvolvedObject.Name, msg)
}

// totalCalls is the number of API calls the emulator has answered.
func totalCalls(c emulator.Counts) int {
	n := 0
	for _, m := range c {
		for _, v := range m {
			n += v
		}
	}
	return n
}

// waitIdle waits until no API call arrives for s.quiet and returns the time
// of the last call (relative to since; 0 when there was none after since).
func (w *world) waitIdle(b testing.TB, s sizes, since time.Time) time.Duration {
	b.Helper()
	last, lastAt := totalCalls(w.emu.Emulator.Counts()), time.Now()
	deadline := time.Now().Add(s.timeout)
	for time.Since(lastAt) < s.quiet {
		if time.Now().After(deadline) {
			b.Fatalf("the CCM was not idle for %s within %s", s.quiet, s.timeout)
		}
		if w.ccm != nil && w.ccm.Exited() {
			b.Fatalf("the CCM exited: %v\n%s", w.ccm.ExitError(), w.ccm.Tail(40))
		}
		time.Sleep(200 * time.Millisecond)
		if n := totalCalls(w.emu.Emulator.Counts()); n != last {
			last, lastAt = n, time.Now()
		}
	}
	// The audit log has the exact time of the last call.
	if a := w.emu.Emulator.Audit(); len(a) > 0 {
		lastAt = a[len(a)-1].Time
	}
	if lastAt.Before(since) {
		return 0
	}
	return lastAt.Sub(since)
}

// peakRSS reads VmHWM (the peak resident set) of pid from /proc.
func peakRSS(pid int) string {
	if m := peakRSSMiB(pid); m >= 0 {
		return fmt.Sprintf("%.0f MiB", m)
	}
	return "?"
}

// peakRSSMiB is VmHWM of pid in MiB, or -1.
func peakRSSMiB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			if f := strings.Fields(v); len(f) > 0 {
				if kb, err := strconv.Atoi(f[0]); err == nil {
					return float64(kb) / 1024
				}
			}
		}
	}
	return -1
}

// isRead classifies an action: Describe* and List* read, the rest write.
func isRead(action string) bool {
	return strings.HasPrefix(action, "Describe") || strings.HasPrefix(action, "List")
}

// calls summarizes the emulator's counters since the last ResetAudit.
type calls struct {
	total, reads, writes, throttled, failed int
	byAction                                map[string]int
}

func summarize(c emulator.Counts) calls {
	out := calls{byAction: map[string]int{}}
	for key, m := range c {
		_, action, _ := strings.Cut(key, ".")
		for code, n := range m {
			out.total += n
			out.byAction[action] += n
			if isRead(action) {
				out.reads += n
			} else {
				out.writes += n
			}
			switch {
			case strings.HasPrefix(code, "Throttling"):
				out.throttled += n
			case code != "OK":
				out.failed += n
			}
		}
	}
	return out
}

func (c calls) actions() string {
	keys := make([]string, 0, len(c.byAction))
	for k := range c.byAction {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sb, " %s=%d", k, c.byAction[k])
	}
	return sb.String()
}

// nodeSyncPasses is the number of passes the framework's service
// controller made over every Service on node events
// (service_controller_nodesync_latency_seconds_count on /metrics), or -1.
func (w *world) nodeSyncPasses() int {
	code, body, err := w.ccm.SecureGet("/metrics", w.cp.Token)
	if err != nil || code != 200 {
		return -1
	}
	for _, l := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(l, "service_controller_nodesync_latency_seconds_count "); ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				return int(f)
			}
		}
	}
	return -1
}
