package loadbalancer

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

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
		}})
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
