// Package bench measures the real cloud-controller-manager binary at scale:
// the deployment guide's command line, a real etcd and kube-apiserver, and
// the emulator with a latency on every call and a throttling bucket per
// action. Nodes and EndpointSlices are written by the harness (no kubelet,
// no kube-controller-manager).
//
// It is a Go benchmark, so `go test ./...` compiles it and runs nothing;
// `make bench-e2e` runs it at full size. Sizes come from the environment:
//
//	BENCH_SERVICES     S1-S3 Services, two TCP ports each (default 20)
//	BENCH_NODES        S1-S3 nodes, every one a backend (default 10)
//	BENCH_EXCLUDED_NODES  S1-S3 more nodes, excluded from load balancers (default 0)
//	BENCH_ROUTE_NODES  S4 nodes with pod CIDRs (default 50, at most 1024)
//	BENCH_LATENCY      added to every API call (default 50ms)
//	BENCH_THROTTLE     per-action QPS by product (default Slb=20,Vpc=10,Ecs=20)
//	BENCH_QUIET        no call for this long = idle (default 5s)
//	BENCH_WAIT         bound of every wait (default 40m)
//	BENCH_S5_NODES     S5 nodes (default 200), BENCH_S5_ROUTED of them with pod CIDRs (default 20)
//	BENCH_S5_SERVICES  S5 Services with externalTrafficPolicy Local (default 20)
//	BENCH_S5_CHURN     S5 endpoint moves per second (default 10), for BENCH_S5_CHURN_FOR (default 20s)
//	BENCH_S5_DRAIN     S5 bound of the wait for the last moves to reach the CLBs (default 3m)
//	BENCH_ONLY         scenarios to run, comma-separated (default all: S1,S2,S3,S4,S5)
//	BENCH_API_QPS      the CCM's client-side QPS per product (cloud-config apiQPS, e.g. slb=20); default: the CCM's
//	BENCH_FLAGS        extra CCM flags, space-separated (e.g. --concurrent-service-syncs=3)
//	BENCH_CCM_GOMEMLIMIT  the CCM's GOMEMLIMIT (e.g. 250MiB; default none: the CCM sets one only from a container limit)
//	BENCH_S5_PROFILE   a directory for CPU profiles of the CCM during the S5 churn and a heap profile at its end
package bench

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

func TestMain(m *testing.M) {
	// The harness's /24 Service range holds 254 ClusterIPs; S1 and S5 need
	// up to a few thousand (the last flag wins). A Local Service takes three
	// node ports (two ports and its health check): the default range of
	// 2,768 ports holds 922 of them, S5 at the size needs 1,000.
	os.Exit(framework.Main(m, framework.ControlPlaneOptions{ExtraAPIServerArgs: []string{
		"--service-cluster-ip-range=10.0.0.0/20", "--service-node-port-range=30000-39999"}}))
}

// backendsPerCall is the CLB's limit of backend servers per call
// (TooManyBackendServers above 20), which sets the fewest add calls.
const backendsPerCall = 20

// routesPerCall is CreateRouteEntries' batch limit (50 routes per call).
const routesPerCall = 50

// row is one line of the result table.
type row struct {
	name, wall, fewest, rss, check string
	c                              calls
	ratio                          float64
	note                           string
}

// BenchmarkE2E runs S1-S5 once (whatever b.N is) and prints a table:
//
//	S1: N two-port Services on M nodes created at once -> every ingress set;
//	S2: CCM restart with S1 converged -> idle again; writes must be 0;
//	S3: one node added with S1 converged -> one write per vServer group;
//	S4: K nodes with pod CIDRs when the CCM starts -> all routes Available;
//	S5: a large cluster with Local Services and EndpointSlice churn -> peak
//	    RSS, CPU, calls per minute, endpoint-to-backend delay (s5_test.go).
func BenchmarkE2E(b *testing.B) {
	s, err := loadSizes()
	if err != nil {
		b.Fatal(err)
	}
	if s.routeNodes > 1024 {
		b.Fatalf("BENCH_ROUTE_NODES=%d: the cluster CIDR holds 1024 /26 pod CIDRs", s.routeNodes)
	}
	// The timer runs: one pass takes far more than -benchtime's default 1 s,
	// so the benchmark driver never asks for a second.
	var rows []row
	if s.runs("S1") || s.runs("S2") || s.runs("S3") {
		// S2 and S3 start from S1's converged cluster.
		w := newWorld(b, s, s.nodes+1+s.excluded, s.services)
		rows = append(rows, s1(b, s, w))
		if s.runs("S2") {
			rows = append(rows, s2(b, s, w))
		}
		if s.runs("S3") {
			rows = append(rows, s3(b, s, w))
		}
		w.stop()
	}
	if s.runs("S4") {
		rows = append(rows, s4(b, s))
	}
	if s.runs("S5") {
		rows = append(rows, s5(b, s))
	}
	printTable(s, rows)
}

func (w *world) stop() {
	if w.ccm != nil {
		_ = w.ccm.Stop(15 * time.Second)
	}
}

func s1(b testing.TB, s sizes, w *world) row {
	ctx := context.Background()
	if err := parallel(s.nodes, func(i int) error { return w.createNode(ctx, i, "") }); err != nil {
		b.Fatal(err)
	}
	// Excluded nodes come after the one S3 adds (index s.nodes).
	if err := parallelN(32, s.excluded, func(i int) error { return w.createNodeWith(ctx, s.nodes+1+i, "", true) }); err != nil {
		b.Fatal(err)
	}
	w.startCCM(b, s)
	w.waitIdle(b, s, time.Now()) // node initialization reads
	w.emu.Emulator.ResetAudit()
	start := time.Now()
	if err := parallel(s.services, func(i int) error { return w.createService(ctx, i) }); err != nil {
		b.Fatal(err)
	}
	created := time.Since(start)
	lastReport := time.Now()
	err := framework.Poll(s.timeout, fmt.Sprintf("%d Services with an ingress IP", s.services), func() (bool, error) {
		if w.ccm.Exited() {
			b.Fatalf("the CCM exited: %v\n%s", w.ccm.ExitError(), w.ccm.Tail(40))
		}
		n, err := w.withIngress(ctx)
		if err == nil && n < s.services {
			err = fmt.Errorf("%d of %d", n, s.services)
		}
		// Progress on long runs, with the last failure the CCM reported
		// (a quota it refuses to pass, say) so a stuck run shows why.
		if time.Since(lastReport) > 30*time.Second {
			lastReport = time.Now()
			fmt.Printf("S1: %v after %s%s\n", err, time.Since(start).Round(time.Second), w.lastFailure(ctx))
		}
		return err == nil, err
	})
	if err != nil {
		b.Fatal(err)
	}
	wall := time.Since(start)
	c := summarize(w.emu.Emulator.Counts())
	idle := w.waitIdle(b, s, start)
	// Fewest: per Service one lookup and one CreateLoadBalancer; per port
	// one CreateVServerGroup carrying the first batch of backends, the rest
	// in full batches, and one create and one start of the listener.
	perPort := 1 + (max(s.nodes-backendsPerCall, 0)+backendsPerCall-1)/backendsPerCall + 2
	minWrites := s.services * (1 + 2*perPort)
	minCalls := minWrites + s.services
	return row{name: "S1 create", wall: fmt.Sprintf("%s (idle %s)", wall.Round(time.Millisecond), idle.Round(time.Millisecond)),
		c: c, fewest: fmt.Sprintf("%d (%d w)", minCalls, minWrites), ratio: float64(c.total) / float64(minCalls),
		rss: peakRSS(w.ccm.Pid()), check: "all ingress",
		note: fmt.Sprintf("objects written in %s; writes ratio %.2f", created.Round(time.Millisecond), float64(c.writes)/float64(minWrites))}
}

func s2(b testing.TB, s sizes, w *world) row {
	w.stop()
	w.emu.Emulator.ResetAudit()
	start := time.Now()
	w.startCCM(b, s)
	idle := w.waitIdle(b, s, start)
	c := summarize(w.emu.Emulator.Counts())
	check := "ok: 0 writes"
	if c.writes != 0 {
		check = fmt.Sprintf("FAIL: %d writes", c.writes)
		b.Errorf("S2: a restart of a converged CCM made %d writes:%s", c.writes, c.actions())
	}
	first := "-"
	if a := w.emu.Emulator.Audit(); len(a) > 0 {
		first = a[0].Time.Sub(start).Round(time.Millisecond).String()
	}
	return row{name: "S2 restart", wall: fmt.Sprintf("%s to idle", idle.Round(time.Millisecond)), c: c,
		fewest: fmt.Sprintf("%d (1 read/Svc)", s.services), ratio: float64(c.total) / float64(s.services),
		rss: peakRSS(w.ccm.Pid()), check: check,
		note: fmt.Sprintf("%.2f reads per Service, %d of them member reads (DescribeVServerGroupAttribute); first call %s after start (leader election)",
			float64(c.reads)/float64(s.services), c.byAction["DescribeVServerGroupAttribute"], first)}
}

func s3(b testing.TB, s sizes, w *world) row {
	ctx := context.Background()
	w.emu.Emulator.ResetAudit()
	start := time.Now()
	if err := w.createNode(ctx, s.nodes, ""); err != nil {
		b.Fatal(err)
	}
	want := 2 * s.services
	adds := func() map[string]int {
		m := map[string]int{}
		for _, a := range w.emu.Emulator.Audit() {
			if a.Action == "AddVServerGroupBackendServers" && a.Code == "OK" {
				m[a.Params["VServerGroupId"]]++
			}
		}
		return m
	}
	err := framework.Poll(s.timeout, fmt.Sprintf("the new node added to %d vServer groups", want), func() (bool, error) {
		if n := len(adds()); n < want {
			return false, fmt.Errorf("%d groups", n)
		}
		return true, nil
	})
	if err != nil {
		b.Error(err)
	}
	wall := time.Since(start)
	idle := w.waitIdle(b, s, start)
	c := summarize(w.emu.Emulator.Counts())
	groups, more := adds(), 0
	for _, n := range groups {
		more += n - 1
	}
	other := c.writes - c.byAction["AddVServerGroupBackendServers"]
	// One backend sync per Service: each group's members read once (by
	// the sync that writes it), each CLB's groups listed at most twice
	// (the sync's listing and the one that bounds the vServer groups per
	// server quota after a restart). A call the emulator throttled or
	// failed is retried by a sync that reads again: one read more each.
	memberReads, listings := c.byAction["DescribeVServerGroupAttribute"], c.byAction["DescribeVServerGroups"]
	retries := c.throttled + c.failed
	check := "ok: 1 write/group"
	if len(groups) != want || more != 0 || other != 0 || memberReads > want+retries || listings > 2*s.services+retries {
		check = fmt.Sprintf("FAIL: %d groups, %d extra adds, %d other writes, %d member reads (want <= %d), %d group listings (want <= %d)",
			len(groups), more, other, memberReads, want+retries, listings, 2*s.services+retries)
		b.Errorf("S3: one node added: %s:%s", check, c.actions())
	}
	return row{name: "S3 add node", wall: fmt.Sprintf("%s (idle %s)", wall.Round(time.Millisecond), idle.Round(time.Millisecond)), c: c,
		fewest: fmt.Sprintf("%d (%d w)", want, want), ratio: float64(c.total) / float64(want),
		rss: peakRSS(w.ccm.Pid()), check: check, note: fmt.Sprintf("%.2f writes per vServer group", float64(c.writes)/float64(want))}
}

// podCIDR is node i's /26 in the seed's cluster CIDR 172.16.0.0/16.
func podCIDR(i int) string { return fmt.Sprintf("172.16.%d.%d/26", i/4, i%4*64) }

func s4(b testing.TB, s sizes) row {
	ctx := context.Background()
	w := newWorld(b, s, s.routeNodes, 0)
	// The nodes exist when the CCM starts, as after a cluster bootstrap:
	// with the guide's --route-reconciliation-period=3m, nodes added later
	// wait for the next period.
	if err := parallel(s.routeNodes, func(i int) error { return w.createNode(ctx, i, podCIDR(i)) }); err != nil {
		b.Fatal(err)
	}
	w.emu.Emulator.ResetAudit()
	start := time.Now()
	w.startCCM(b, s, "--allocate-node-cidrs=false")
	defer w.stop()
	err := framework.Poll(s.timeout, fmt.Sprintf("%d routes Available", s.routeNodes), func() (bool, error) {
		if w.ccm.Exited() {
			b.Fatalf("the CCM exited: %v\n%s", w.ccm.ExitError(), w.ccm.Tail(40))
		}
		got := map[string]emulator.DumpRouteEntr{}
		for _, rt := range w.emu.Emulator.Dump().RouteTables {
			if rt.RouteTableID == w.emu.RouteTableID {
				for _, e := range rt.Entries {
					got[e.DestinationCidrBlock] = e
				}
			}
		}
		missing := 0
		for i, in := range w.instances {
			if e, ok := got[podCIDR(i)]; !ok || e.NextHopID != in.InstanceID || e.Status != "Available" {
				missing++
			}
		}
		if missing > 0 {
			return false, fmt.Errorf("%d routes not Available", missing)
		}
		return true, nil
	})
	if err != nil {
		b.Fatal(err)
	}
	wall := time.Since(start)
	c := summarize(w.emu.Emulator.Counts())
	idle := w.waitIdle(b, s, start)
	creates := (s.routeNodes + routesPerCall - 1) / routesPerCall
	return row{name: "S4 routes", wall: fmt.Sprintf("%s (idle %s)", wall.Round(time.Millisecond), idle.Round(time.Millisecond)), c: c,
		fewest: fmt.Sprintf("%d (%d w)", creates+1, creates), ratio: float64(c.total) / float64(creates+1),
		rss: peakRSS(w.ccm.Pid()), check: fmt.Sprintf("%d CreateRouteEntries", c.byAction["CreateRouteEntries"]),
		note: "from CCM start; fewest = ceil(K/50) CreateRouteEntries + 1 DescribeRouteEntryList"}
}

func printTable(s sizes, rows []row) { fmt.Print(table(s, rows)) }

// table renders the result table with each scenario's calls by action.
func table(s sizes, rows []row) string {
	var out strings.Builder
	thr := make([]string, 0, len(s.throttle))
	for k, v := range s.throttle {
		thr = append(thr, fmt.Sprintf("%s=%g/s", k, v))
	}
	sort.Strings(thr)
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Fprintf(&out, "\nE2E bench: real CCM binary (seed command line), etcd + kube-apiserver, emulator\n")
	fmt.Fprintf(&out, "  S1-S3: %d Services x 2 ports on %d nodes; S4: %d nodes; latency %s per call; throttle per action %s\n",
		s.services, s.nodes, s.routeNodes, s.latency, strings.Join(thr, " "))
	qps := "the CCM's defaults"
	if len(s.apiQPS) > 0 {
		qps = fmt.Sprint(s.apiQPS)
	}
	flags := "none (the defaults)"
	if len(s.flags) > 0 {
		flags = strings.Join(s.flags, " ")
	}
	fmt.Fprintf(&out, "  extra CCM flags: %s; client-side QPS: %s\n", flags, qps)
	fmt.Fprintf(&out, "  load average at the end: %s", load)
	fmt.Fprintf(&out, "%-12s %-28s %6s %6s %6s %5s %5s %-18s %6s %-9s %s\n",
		"scenario", "wall", "calls", "reads", "writes", "thr", "err", "fewest", "ratio", "peak RSS", "check")
	for _, r := range rows {
		fmt.Fprintf(&out, "%-12s %-28s %6d %6d %6d %5d %5d %-18s %6.2f %-9s %s\n",
			r.name, r.wall, r.c.total, r.c.reads, r.c.writes, r.c.throttled, r.c.failed, r.fewest, r.ratio, r.rss, r.check)
	}
	for _, r := range rows {
		fmt.Fprintf(&out, "%s: %s\n  by action:%s\n", r.name, r.note, r.c.actions())
	}
	return out.String()
}
