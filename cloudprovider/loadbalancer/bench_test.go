package loadbalancer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	v1 "k8s.io/api/core/v1"
	cloudproviderapi "k8s.io/cloud-provider/api"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// BenchmarkCLBServices creates N LoadBalancer Services (2 ports each) on M
// nodes against the emulator with injected per-call latency, driving the
// Reconciler in-process (no kube-apiserver: the framework's service
// controller would only add its queue), with W concurrent workers like the
// framework's --concurrent-service-syncs. It prints the time until every
// Service has an ingress IP, the API calls by action, the ratio of calls
// made to the fewest the work needs, the cost of adding one node, and the
// calls of a no-op resync (whose writes must be 0).
func BenchmarkCLBServices(b *testing.B) {
	const (
		services = 50
		nodes    = 60
		workers  = 5
		latency  = 20 * time.Millisecond
		batch    = DefaultBatchSize
	)
	for i := 0; i < b.N; i++ {
		lim := emulator.DefaultLimits()
		lim.LoadBalancersPerAccount = services + 10
		// Every node joins 2 groups per Service: above the default
		// slb_quota_backendserver_attached_num of 50, raised here as users do.
		lim.GroupsPerServer = 2*services + 10
		e := newEnv(b, envOpts{nodes: nodes + 1, limits: &lim, cfg: func(c *emulator.Config) {
			c.Faults = emulator.FaultProfile{Latency: map[string]emulator.LatencySpec{"*": {Fixed: emulator.Duration(latency)}}}
		}, options: func(o *Options) { o.Quotas.GroupsPerServer = lim.GroupsPerServer }})
		all := e.nodes
		e.nodes = all[:nodes]
		svcs := make([]*v1.Service, services)
		for s := range svcs {
			svcs[s] = service(fmt.Sprintf("svc-%03d", s), nil,
				port{"http", 80, int32(30000 + 2*s), v1.ProtocolTCP}, port{"https", 443, int32(30001 + 2*s), v1.ProtocolTCP})
		}
		e.emu.ResetAudit()
		start := time.Now()
		runAll(b, svcs, workers, func(svc *v1.Service) error {
			st, err := e.r.EnsureLoadBalancer(context.Background(), "k", svc, e.nodes)
			if err == nil && (st == nil || len(st.Ingress) == 0 || st.Ingress[0].IP == "") {
				err = fmt.Errorf("%s: no ingress IP", svc.Name)
			}
			return err
		})
		elapsed := time.Since(start)
		create := e.emu.Audit()

		// Fewest calls: per Service one lookup, one CreateLoadBalancer, and
		// per port one CreateVServerGroup (carrying the first batch), the
		// remaining members in full batches, one create and one start of
		// the listener.
		ports := 2
		perPort := 1 + (max(nodes-batch, 0)+batch-1)/batch + 2
		minWrites := services * (1 + ports*perPort)
		minCalls := minWrites + services

		e.emu.ResetAudit()
		e.nodes = all
		runAll(b, svcs, workers, func(svc *v1.Service) error {
			return e.r.UpdateLoadBalancer(context.Background(), "k", svc, e.nodes)
		})
		nodeAdd := e.emu.Audit()

		e.emu.ResetAudit()
		runAll(b, svcs, workers, func(svc *v1.Service) error {
			_, err := e.r.EnsureLoadBalancer(context.Background(), "k", svc, e.nodes)
			return err
		})
		resync := e.emu.Audit()

		if i == 0 {
			var out strings.Builder
			fmt.Fprintf(&out, "\nCLB engine benchmark (in-process Reconciler driven directly, real SDK + client layer over HTTP to the emulator)\n")
			fmt.Fprintf(&out, "  %d Services x %d ports, %d nodes, %d workers, %v latency per API call, batch %d\n", services, ports, nodes, workers, latency, batch)
			fmt.Fprintf(&out, "  time until every Service has an ingress IP: %v\n", elapsed.Round(time.Millisecond))
			w, r := split(create)
			fmt.Fprintf(&out, "  create: %d calls (%d writes, %d reads); fewest needed %d (%d writes) -> ratio %.2f calls, %.2f writes\n",
				len(create), w, r, minCalls, minWrites, float64(len(create))/float64(minCalls), float64(w)/float64(minWrites))
			fmt.Fprintf(&out, "  create calls by action:%s\n", byAction(create))
			w, r = split(nodeAdd)
			fmt.Fprintf(&out, "  add 1 node: %d writes (fewest %d: one add per vServer group), %d reads%s\n", w, services*ports, r, byAction(nodeAdd))
			w, r = split(resync)
			fmt.Fprintf(&out, "  no-op resync: %d writes (must be 0), %d reads (%.1f per Service)%s\n", w, r, float64(r)/services, byAction(resync))
			b.Log(out.String())
			fmt.Print(out.String())
			if w != 0 {
				b.Errorf("no-op resync made %d writes", w)
			}
		}
		b.ReportMetric(elapsed.Seconds(), "s-to-all-ingress")
	}
}

func runAll(b *testing.B, svcs []*v1.Service, workers int, f func(*v1.Service) error) {
	ch := make(chan *v1.Service)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []string
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for svc := range ch {
				if err := f(svc); err != nil {
					mu.Lock()
					errs = append(errs, err.Error())
					mu.Unlock()
				}
			}
		}()
	}
	for _, s := range svcs {
		ch <- s
	}
	close(ch)
	wg.Wait()
	if len(errs) > 0 {
		b.Fatalf("%d errors, first: %s", len(errs), errs[0])
	}
}

func split(entries []emulator.AuditEntry) (writes, reads int) {
	for _, a := range entries {
		if strings.HasPrefix(a.Action, "Describe") || strings.HasPrefix(a.Action, "List") {
			reads++
		} else {
			writes++
		}
	}
	return
}

func byAction(entries []emulator.AuditEntry) string {
	m := map[string]int{}
	for _, a := range entries {
		m[a.Action]++
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var s strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&s, "\n      %-36s %d", k, m[k])
	}
	return s.String()
}

// BenchmarkCLBFaultStorm creates 50 two-port Services on 20 nodes twice,
// driving the Reconciler in-process as the framework's service controller
// would (5 workers; a failed sync is retried after the cloudproviderapi.RetryError's
// delay, else with exponential backoff), with the client layer's production
// retry policy and rate limits: once fault-free, once with 20% of the calls
// failing (SystemBusy, ServiceUnavailable, InternalError, Throttling.User,
// 5% each, injected before the call takes effect) and a 5 calls/s bucket per
// action. It prints the convergence time and the calls of both runs, checks
// for duplicates (a Service with more than one CLB, a CLB with more
// listeners or groups than ports) and, after deleting every Service, for
// leaks (any CLB, group or ACL left).
func BenchmarkCLBFaultStorm(b *testing.B) {
	for i := 0; i < b.N; i++ {
		free := runStorm(b, false)
		storm := runStorm(b, true)
		ratio := float64(storm.calls) / float64(free.calls)
		var out strings.Builder
		fmt.Fprintf(&out, "\nCLB fault storm (%d Services x 2 ports, %d nodes, %d workers; framework retry delays x%.2f)\n",
			stormServices, stormNodes, stormWorkers, stormDelayScale)
		for _, r := range []stormResult{free, storm} {
			fmt.Fprintf(&out, "  %-10s converged in %v after %d syncs (%d failed): %d calls (%d failed answers); %d duplicates; delete: %d calls, %d leaks\n",
				r.name, r.elapsed.Round(time.Millisecond), r.syncs, r.failedSyncs, r.calls, r.failedCalls, r.duplicates, r.deleteCalls, r.leaks)
		}
		fmt.Fprintf(&out, "  calls ratio storm/fault-free: %.2f (target <= 1.50)\n", ratio)
		fmt.Fprintf(&out, "  storm calls by action (all answers / failed):%s\n", byActionFailed(storm.audit))
		b.Log(out.String())
		fmt.Print(out.String())
		if storm.duplicates+free.duplicates > 0 {
			b.Errorf("%d duplicates", storm.duplicates+free.duplicates)
		}
		if storm.leaks+free.leaks > 0 {
			b.Errorf("%d leaks after delete", storm.leaks+free.leaks)
		}
		b.ReportMetric(ratio, "calls-ratio")
		b.ReportMetric(storm.elapsed.Seconds(), "s-storm")
	}
}

const (
	stormServices = 50
	stormNodes    = 20
	stormWorkers  = 5
	// stormDelayScale shrinks the framework's retry delays (5 s doubling
	// to 300 s, or the cloudproviderapi.RetryError's delay) so the bench takes a minute,
	// not an hour; the client layer's own backoff is unscaled.
	stormDelayScale = 0.1
)

type stormResult struct {
	name                           string
	elapsed                        time.Duration
	syncs, failedSyncs             int
	calls, failedCalls             int
	duplicates, leaks, deleteCalls int
	audit                          []emulator.AuditEntry
}

func runStorm(b *testing.B, faults bool) stormResult {
	lim := emulator.DefaultLimits()
	lim.LoadBalancersPerAccount = stormServices + 10
	lim.GroupsPerServer = 2*stormServices + 10
	e := newEnv(b, envOpts{nodes: stormNodes, limits: &lim})
	// The production client layer: default retry policy and rate limits.
	clients, err := cloudapi.New(cloudapi.Options{
		Region:      testRegion,
		Credentials: credentials.NewStaticAKCredentialsProvider("testid", "testsecret"),
		SLB:         cloudapi.ProductOptions{Endpoint: e.srv.APIURL},
		VPC:         cloudapi.ProductOptions{Endpoint: e.srv.APIURL},
		ECS:         cloudapi.ProductOptions{Endpoint: e.srv.APIURL},
	})
	if err != nil {
		b.Fatal(err)
	}
	opts := e.r.opts
	opts.Quotas.GroupsPerServer = lim.GroupsPerServer // raised in cloud-config as the emulator's
	e.r = New(clients.SLB, clients.VPC, e.events, opts)
	svcs := make([]*v1.Service, stormServices)
	for s := range svcs {
		svcs[s] = service(fmt.Sprintf("svc-%03d", s), nil,
			port{"http", 80, int32(30000 + 2*s), v1.ProtocolTCP}, port{"https", 443, int32(30001 + 2*s), v1.ProtocolTCP})
	}
	res := stormResult{name: "fault-free"}
	profile := emulator.FaultProfile{}
	if faults {
		res.name = "storm"
		const rate = 0.0543 // 4 rules in turn: 1-(1-0.0543)^4 = 20% of calls
		profile = emulator.FaultProfile{Seed: 7,
			Errors: []emulator.ErrorRule{
				{Match: "*", Code: "SystemBusy", Rate: rate},
				{Match: "*", Code: "ServiceUnavailable", Rate: rate},
				{Match: "*", Code: "InternalError", Rate: rate},
				{Match: "*", Code: "Throttling.User", Rate: rate},
			},
			Throttle: map[string]emulator.ThrottleSpec{"*": {Rate: 5}},
		}
	}
	e.emu.ResetAudit()
	e.emu.SetFaults(profile)
	start := time.Now()
	res.syncs, res.failedSyncs = converge(b, svcs, func(svc *v1.Service) error {
		st, err := e.r.EnsureLoadBalancer(context.Background(), "k", svc, e.nodes)
		if err == nil && (st == nil || len(st.Ingress) == 0 || st.Ingress[0].IP == "") {
			err = fmt.Errorf("%s: no ingress IP", svc.Name)
		}
		return err
	})
	res.elapsed = time.Since(start)
	res.audit = e.emu.Audit()
	fmt.Fprintf(os.Stderr, "%s: converged in %v, %d calls\n", res.name, res.elapsed, len(res.audit))
	res.calls = len(res.audit)
	for _, a := range res.audit {
		if a.Code != "OK" {
			res.failedCalls++
		}
	}

	e.emu.SetFaults(emulator.FaultProfile{})
	lbs := e.lbs()
	names := map[string]int{}
	for _, lb := range lbs {
		names[lb.LoadBalancerName]++
		if n := len(e.listeners(lb.LoadBalancerId)); n > 2 {
			res.duplicates += n - 2
		}
		gs, err := e.r.loadGroups(context.Background(), lb.LoadBalancerId)
		if err != nil {
			b.Fatal(err)
		}
		if n := len(gs.groups); n > 2 {
			res.duplicates += n - 2
		}
	}
	for _, n := range names {
		res.duplicates += n - 1
	}
	if len(lbs) != stormServices {
		b.Errorf("%s: %d CLBs for %d Services", res.name, len(lbs), stormServices)
	}

	e.emu.SetFaults(profile)
	e.emu.ResetAudit()
	converge(b, svcs, func(svc *v1.Service) error {
		return e.r.EnsureLoadBalancerDeleted(context.Background(), "k", svc)
	})
	res.deleteCalls = len(e.emu.Audit())
	fmt.Fprintf(os.Stderr, "%s: deleted after %v, %d calls\n", res.name, time.Since(start), res.deleteCalls)
	e.emu.SetFaults(emulator.FaultProfile{})
	res.leaks = len(e.lbs())
	acls, err := e.slb.DescribeAccessControlLists(context.Background(), slb.CreateDescribeAccessControlListsRequest())
	if err != nil {
		b.Fatal(err)
	}
	res.leaks += len(acls.Acls.Acl)
	return res
}

// converge runs f for every Service with stormWorkers workers until it
// succeeds, requeueing a failure as the framework's service controller does:
// after the cloudproviderapi.RetryError's delay, else after 5 s doubling per failure of
// that Service (both scaled by stormDelayScale). It returns the syncs made
// and how many failed.
func converge(b *testing.B, svcs []*v1.Service, f func(*v1.Service) error) (syncs, failed int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, stormWorkers)
	deadline := time.Now().Add(15 * time.Minute)
	for _, svc := range svcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			delay := 5 * time.Second
			for {
				sem <- struct{}{}
				err := f(svc)
				<-sem
				mu.Lock()
				syncs++
				if err != nil {
					failed++
				}
				mu.Unlock()
				if err == nil {
					return
				}
				if time.Now().After(deadline) {
					b.Errorf("%s did not converge: %v", svc.Name, err)
					return
				}
				wait := delay
				var re *cloudproviderapi.RetryError
				if errors.As(err, &re) {
					wait = re.RetryAfter()
				} else {
					delay = min(2*delay, 300*time.Second)
				}
				time.Sleep(time.Duration(float64(wait) * stormDelayScale))
			}
		}()
	}
	wg.Wait()
	return syncs, failed
}

func byActionFailed(entries []emulator.AuditEntry) string {
	all, bad := map[string]int{}, map[string]int{}
	for _, a := range entries {
		all[a.Action]++
		if a.Code != "OK" {
			bad[a.Action]++
		}
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var s strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&s, "\n      %-36s %4d / %d", k, all[k], bad[k])
	}
	return s.String()
}
