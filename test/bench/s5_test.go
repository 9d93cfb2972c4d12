package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// s5Sizes are S5's sizes (BENCH_S5_*): a large cluster with Local Services
// whose endpoints keep moving.
type s5Sizes struct {
	nodes, routed, services int
	churn                   int           // endpoint changes per second
	churnFor                time.Duration // how long the churn lasts
	drain                   time.Duration // bound of the wait for the last changes
	profileDir              string        // CPU and heap profiles of the CCM during the churn
}

func loadS5Sizes() s5Sizes {
	s := s5Sizes{
		nodes:      envInt("BENCH_S5_NODES", 200),
		routed:     envInt("BENCH_S5_ROUTED", 20),
		services:   envInt("BENCH_S5_SERVICES", 20),
		churn:      envInt("BENCH_S5_CHURN", 10),
		churnFor:   envDuration("BENCH_S5_CHURN_FOR", 20*time.Second),
		drain:      envDuration("BENCH_S5_DRAIN", 3*time.Minute),
		profileDir: os.Getenv("BENCH_S5_PROFILE"),
	}
	s.nodes = max(s.nodes, 3)
	s.routed = min(s.routed, s.nodes, 1024)
	s.services = max(s.services, 1)
	return s
}

// s5Goals are the goals S5 prints against (never asserted: the figures
// depend on the machine and the assumed API rate limits).
const (
	s5GoalRSSMiB = 300
	s5GoalP99    = 5 * time.Second
)

// endpointsPerService is the number of ready pods of each S5 Service, each
// on its own node.
const endpointsPerService = 2

// change is one endpoint move of S5: at time at, Service svc's pod in
// slot moved to node.
type change struct {
	svc, slot, node int
	at              time.Time
}

// s5 builds a cluster of K nodes (R with pod CIDRs) and N Services with
// externalTrafficPolicy Local, two ready pods each, waits until every
// Service has an address, then moves pods between nodes at C per second
// for T and measures the CCM process (peak RSS, CPU) and the delay from
// each EndpointSlice update to the first vServer group write that
// reflects it.
func s5(b testing.TB, s sizes) row {
	ctx := context.Background()
	z := loadS5Sizes()
	w := newWorld(b, s, z.nodes, z.services)
	setup := time.Now()
	if err := parallelN(64, z.nodes, func(i int) error {
		cidr := ""
		if i < z.routed {
			cidr = podCIDR(i)
		}
		return w.createNode(ctx, i, cidr)
	}); err != nil {
		b.Fatal(err)
	}
	nodesAt := time.Since(setup)
	w.startCCM(b, s, "--allocate-node-cidrs=false")
	defer w.stop()
	pid := w.ccm.Pid()
	cpu0 := cpuTicks(pid)
	// pods[svc][slot] is the node of each pod.
	pods := make([][]int, z.services)
	for i := range pods {
		pods[i] = make([]int, endpointsPerService)
		for k := range pods[i] {
			pods[i][k] = (i*endpointsPerService + k) % z.nodes
		}
	}
	if err := parallelN(16, z.services, func(i int) error { return w.createLocalService(ctx, i, pods[i]) }); err != nil {
		b.Fatal(err)
	}
	lastReport := time.Now()
	err := framework.Poll(s.timeout, fmt.Sprintf("%d Local Services with an ingress IP", z.services), func() (bool, error) {
		if w.ccm.Exited() {
			b.Fatalf("the CCM exited: %v\n%s", w.ccm.ExitError(), w.ccm.Tail(40))
		}
		n, err := w.withIngress(ctx)
		if err == nil && n < z.services {
			err = fmt.Errorf("%d of %d", n, z.services)
		}
		if time.Since(lastReport) > 30*time.Second {
			lastReport = time.Now()
			fmt.Printf("S5: %v after %s%s\n", err, time.Since(setup).Round(time.Second), w.lastFailure(ctx))
		}
		return err == nil, err
	})
	if err != nil {
		b.Fatal(err)
	}
	converged := time.Since(setup)
	w.waitIdle(b, s, setup)
	// The peak so far (VmHWM) tells whether the overall peak belongs to
	// the start and the first syncs or to the churn; a heap profile of
	// this moment goes with the churn's.
	rssConverged := peakRSSMiB(pid)
	w.saveHeap(z.profileDir, "heap-converged.pprof")

	// The churn: every tick moves one pod of the next Service (round
	// robin) to a node it never had, alternating its two slots.
	w.emu.Emulator.ResetAudit()
	cpu1 := cpuTicks(pid)
	start := time.Now()
	var (
		mu      sync.Mutex
		changes []change
		failed  int
	)
	stopProfiles := w.profile(b, z.profileDir)
	tick := time.NewTicker(time.Second / time.Duration(max(z.churn, 1)))
	next := 0
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for time.Since(start) < z.churnFor {
		<-tick.C
		i := next % z.services
		gen := next / z.services
		next++
		slot := gen % endpointsPerService
		// Node (i*2 + gen + 2) mod K: a sliding window, so each move
		// names a node this Service never had (for K/2 generations).
		pods[i][slot] = (i*endpointsPerService + gen + endpointsPerService) % z.nodes
		nodes := slices.Clone(pods[i])
		sem <- struct{}{}
		wg.Add(1)
		go func(i, slot int, nodes []int) {
			defer func() { <-sem; wg.Done() }()
			at := time.Now()
			err := w.updateLocalSlice(ctx, i, nodes)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
				return
			}
			changes = append(changes, change{svc: i, slot: slot, node: nodes[slot], at: at})
		}(i, slot, nodes)
	}
	tick.Stop()
	wg.Wait()
	stopProfiles()
	churnWall := time.Since(start)

	// Wait until every change is reflected, or the drain bound.
	var (
		delays  []time.Duration
		pending int
	)
	deadline := time.Now().Add(z.drain)
	for {
		delays, pending = w.endpointDelays(changes)
		if pending == 0 || time.Now().After(deadline) || w.ccm.Exited() {
			break
		}
		time.Sleep(2 * time.Second)
	}
	w.waitIdle(b, s, start)
	wall := time.Since(start)
	cpu2 := cpuTicks(pid)
	c := summarize(w.emu.Emulator.Counts())
	slices.Sort(delays)
	p50, p99 := quantile(delays, 0.50), quantile(delays, 0.99)
	rss := peakRSSMiB(pid)
	perMin := float64(c.total) / wall.Minutes()
	check := "ok"
	var misses []string
	if rss > s5GoalRSSMiB {
		misses = append(misses, fmt.Sprintf("RSS %.0f MiB > %d", rss, s5GoalRSSMiB))
	}
	if pending > 0 || p99 > s5GoalP99 {
		misses = append(misses, fmt.Sprintf("p99 %s > %s", p99.Round(time.Millisecond), s5GoalP99))
	}
	if len(misses) > 0 {
		check = "goal missed: " + strings.Join(misses, ", ")
	}
	hz := 100.0 // USER_HZ on Linux
	note := fmt.Sprintf("%d nodes (%d routed), %d Local Services: nodes written in %s, every Service addressed %s after the start (CPU %.0f s);\n"+
		"  churn %d/s for %s (%d changes, %d failed updates, took %s): endpoint->backend p50 %s p99 %s (%d of %d changes not reflected within %s of the end);\n"+
		"  %.0f API calls/min, %d writes; CCM CPU during the churn %.1f s (%.0f%% of a core); peak RSS %.0f MiB (goal < %d MiB; %.0f MiB until every Service was addressed), p99 goal < %s",
		z.nodes, z.routed, z.services, nodesAt.Round(time.Second), (converged - nodesAt).Round(time.Second), float64(cpu1-cpu0)/hz,
		z.churn, z.churnFor, len(changes), failed, churnWall.Round(time.Millisecond), p50.Round(time.Millisecond), p99.Round(time.Millisecond),
		pending, len(changes), z.drain, perMin, c.writes, float64(cpu2-cpu1)/hz, 100*float64(cpu2-cpu1)/hz/wall.Seconds(), rss, s5GoalRSSMiB, rssConverged, s5GoalP99)
	// The fewest writes: each moved Service's end state at once, one
	// replace (ModifyVServerGroupBackendServers) per vServer group (2
	// groups).
	moved := map[int]bool{}
	for _, ch := range changes {
		moved[ch.svc] = true
	}
	fewest := 2 * len(moved)
	return row{name: "S5 churn", wall: fmt.Sprintf("%s (p99 %s)", wall.Round(time.Millisecond), p99.Round(time.Millisecond)), c: c,
		fewest: fmt.Sprintf("%d (%d w)", fewest, fewest), ratio: float64(c.total) / float64(max(fewest, 1)),
		rss: fmt.Sprintf("%.0f MiB", rss), check: check,
		note: note + "\n  fewest = each moved Service's end state in one replace per vServer group"}
}

// quantile of sorted d (0 when empty).
func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(q*float64(len(d))))]
}

// endpointDelays returns, for each change reflected so far, the time from
// its EndpointSlice update to the first vServer group write of its
// Service that names its node or the node of a later move of the same
// Service (a sync that saw the later move saw this one too), and how many
// changes are not reflected yet.
func (w *world) endpointDelays(changes []change) ([]time.Duration, int) {
	type hit struct {
		svc, node int
		at        time.Time
	}
	// The audit log is in time order: per Service, hits are too.
	hits := map[int][]hit{}
	for _, a := range w.emu.Emulator.Audit() {
		if a.Code != "OK" || (a.Action != "AddVServerGroupBackendServers" && a.Action != "SetVServerGroupAttribute" &&
			a.Action != "ModifyVServerGroupBackendServers") {
			continue
		}
		var members []struct {
			ServerID    string `json:"ServerId"`
			Description string
		}
		_ = json.Unmarshal([]byte(a.Params["BackendServers"]+a.Params["NewBackendServers"]), &members)
		for _, m := range members {
			svc, node := svcOfDescription(m.Description), w.nodeOfInstance(m.ServerID)
			if svc >= 0 && node >= 0 {
				hits[svc] = append(hits[svc], hit{svc, node, a.Time})
			}
		}
	}
	// later[i] = nodes moved to by change i and every later change of its
	// Service.
	bySvc := map[int][]int{} // svc -> change indexes, in time order
	for i, c := range changes {
		bySvc[c.svc] = append(bySvc[c.svc], i)
	}
	var delays []time.Duration
	pending := 0
	for _, c := range changes {
		nodes := map[int]bool{}
		for _, j := range bySvc[c.svc] {
			if !changes[j].at.Before(c.at) {
				nodes[changes[j].node] = true
			}
		}
		first := time.Time{}
		for _, h := range hits[c.svc] {
			if nodes[h.node] && !h.at.Before(c.at) {
				first = h.at
				break
			}
		}
		if first.IsZero() {
			pending++
			continue
		}
		delays = append(delays, first.Sub(c.at))
	}
	return delays, pending
}

// svcOfDescription is the Service index in a member description
// "k8s/<port>/svc-NNNN/<namespace>/<cluster>", or -1.
func svcOfDescription(d string) int {
	for _, f := range strings.Split(d, "/") {
		if n, ok := strings.CutPrefix(f, "svc-"); ok {
			if i, err := strconv.Atoi(n); err == nil {
				return i
			}
		}
	}
	return -1
}

// nodeOfInstance is the node index of an instance ID, or -1.
func (w *world) nodeOfInstance(id string) int {
	n, ok := strings.CutPrefix(id, "i-bp1bench")
	if !ok {
		return -1
	}
	i, err := strconv.Atoi(strings.TrimLeft(n, "0"))
	if err != nil {
		if strings.Trim(n, "0") == "" {
			return 0
		}
		return -1
	}
	return i
}

// createLocalService creates a two-port Service with externalTrafficPolicy
// Local and its EndpointSlice with one ready pod on each of nodes.
func (w *world) createLocalService(ctx context.Context, i int, nodes []int) error {
	name := fmt.Sprintf("svc-%04d", i)
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": name},
			ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal,
			Ports: []corev1.ServicePort{
				{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP},
				{Name: "https", Port: 443, TargetPort: intstr.FromInt32(8443), Protocol: corev1.ProtocolTCP},
			}},
	}
	if _, err := w.cs.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating service %s: %w", name, err)
	}
	if _, err := w.cs.DiscoveryV1().EndpointSlices("default").Create(ctx, localSlice(i, nodes), metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating endpointslice of %s: %w", name, err)
	}
	return nil
}

// updateLocalSlice rewrites Service i's EndpointSlice with pods on nodes,
// as the EndpointSlice controller does when a pod is replaced.
func (w *world) updateLocalSlice(ctx context.Context, i int, nodes []int) error {
	_, err := w.cs.DiscoveryV1().EndpointSlices("default").Update(ctx, localSlice(i, nodes), metav1.UpdateOptions{})
	return err
}

// localSlice is Service i's EndpointSlice with one ready pod per node; a
// pod's IP depends on its node, so a moved pod is a new endpoint.
func localSlice(i int, nodes []int) *discoveryv1.EndpointSlice {
	name := fmt.Sprintf("svc-%04d", i)
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-1", Namespace: "default", Labels: map[string]string{
			discoveryv1.LabelServiceName: name, discoveryv1.LabelManagedBy: "endpointslice-controller.k8s.io"}},
		AddressType: discoveryv1.AddressTypeIPv4,
	}
	for _, n := range nodes {
		ready, node := true, nodeName(n)
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{fmt.Sprintf("172.%d.%d.%d", 17+n/65536, n/256%256, n%256)},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready}, NodeName: &node})
	}
	for _, p := range []struct {
		name string
		port int32
	}{{"http", 8080}, {"https", 8443}} {
		n, port, proto := p.name, p.port, corev1.ProtocolTCP
		slice.Ports = append(slice.Ports, discoveryv1.EndpointPort{Name: &n, Port: &port, Protocol: &proto})
	}
	return slice
}

// cpuTicks is utime+stime of pid in clock ticks (/proc/<pid>/stat fields
// 14 and 15), or 0.
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: split after its ')'.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return u + st
}

// profile collects 3-second CPU profiles of the CCM (its /debug/pprof, as
// the admin) into dir until the returned stop is called, then one heap
// profile. Without dir it does nothing. Read them with
// `go tool pprof -top <binary> dir/cpu-*.pprof`.
func (w *world) profile(b testing.TB, dir string) (stop func()) {
	if dir == "" {
		return func() {}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	save := func(name, path string) { w.saveProfile(dir, name, path) }
	go func() {
		defer close(finished)
		for i := 0; ; i++ {
			select {
			case <-done:
				save("heap.pprof", "/debug/pprof/heap")
				return
			default:
			}
			save(fmt.Sprintf("cpu-%02d.pprof", i), "/debug/pprof/profile?seconds=3")
		}
	}()
	return func() { close(done); <-finished }
}

// saveProfile writes the CCM's /debug/pprof answer at path (as the admin)
// to dir/name; a failure is printed, not fatal.
func (w *world) saveProfile(dir, name, path string) {
	code, body, err := w.ccm.SecureGet(path, w.cp.Token)
	if err != nil || code != 200 {
		fmt.Printf("S5: profile %s: %d %v\n", path, code, err)
		return
	}
	_ = os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
}

// saveHeap writes a heap profile of the CCM to dir/name; without dir it
// does nothing.
func (w *world) saveHeap(dir, name string) {
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Printf("S5: %v\n", err)
		return
	}
	w.saveProfile(dir, name, "/debug/pprof/heap")
}
