package nlb

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	cloudproviderapi "k8s.io/cloud-provider/api"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// BenchmarkNLBServices creates N NLB Services (2 ports each) on M nodes in
// two zones against the emulator, on real time, with a fixed latency per
// API call and NLB jobs that take jobDuration, driving the Reconciler
// in-process with W workers as the framework's service controller would:
// a RetryError requeues the Service after its delay, no worker waits on a
// job. The NLB zones come from the nodes' vSwitches. It prints the time
// until every Service has its hostname, the calls by action and the ratio
// to the fewest the work needs, the calls of a no-op resync (whose writes
// must be 0), and of deleting every Service (no NLB may be left).
// Run by make bench.
func BenchmarkNLBServices(b *testing.B) {
	const (
		services    = 40
		nodes       = 50
		workers     = 5
		latency     = 20 * time.Millisecond
		jobDuration = 2 * time.Second
	)
	for i := 0; i < b.N; i++ {
		vsws := make([]string, nodes)
		for n := range vsws {
			vsws[n] = []string{testVSwH, testVSwI}[n%2]
		}
		e := newEnv(b, envOpts{nodeVSwitches: vsws, jobs: jobDuration, realClock: true,
			faults:  &emulator.FaultProfile{Latency: map[string]emulator.LatencySpec{"*": {Fixed: emulator.Duration(latency)}}},
			options: func(o *Options) { o.VSwitches = nil }})
		svcs := make([]*v1.Service, services)
		for s := range svcs {
			svcs[s] = testService(fmt.Sprintf("svc-%03d", s), nil,
				svcPort{80, int32(30000 + 2*s), v1.ProtocolTCP}, svcPort{443, int32(30001 + 2*s), v1.ProtocolTCP})
		}
		e.emu.ResetAudit()
		start := time.Now()
		rounds := drive(b, svcs, workers, func(svc *v1.Service) error {
			st, err := e.r.EnsureLoadBalancer(context.Background(), "k", svc, e.nodes)
			if err == nil && (st == nil || len(st.Ingress) == 0 || !strings.Contains(st.Ingress[0].Hostname, ".nlb.aliyuncs")) {
				err = fmt.Errorf("%s: no hostname", svc.Name)
			}
			return err
		})
		elapsed := time.Since(start)
		create := e.emu.Audit()

		// Fewest calls of the instance level per Service: the tag lookup
		// and the name lookup (nothing found), one DescribeInstances for
		// the zones, CreateLoadBalancer, one job check after the job
		// ended, and the lookup that finds the NLB Active: 6, 1 write.
		// The port level's fewest, when it creates listeners: per port a
		// server group, its servers in batches of 40 and a listener.
		all, err := e.api.ListAllListeners(context.Background(), nil)
		if err != nil {
			b.Fatal(err)
		}
		listeners := len(all)
		minWrites, minCalls := services, 6*services
		if listeners > 0 {
			perPort := 1 + (nodes+39)/40 + 1
			minWrites += services * 2 * perPort
			minCalls += services * 2 * perPort
		}

		e.emu.ResetAudit()
		drive(b, svcs, workers, func(svc *v1.Service) error {
			_, err := e.r.EnsureLoadBalancer(context.Background(), "k", svc, e.nodes)
			return err
		})
		resync := e.emu.Audit()

		e.emu.ResetAudit()
		delStart := time.Now()
		drive(b, svcs, workers, func(svc *v1.Service) error {
			return e.r.EnsureLoadBalancerDeleted(context.Background(), "k", svc)
		})
		delElapsed := time.Since(delStart)
		deletes := e.emu.Audit()
		time.Sleep(jobDuration + 100*time.Millisecond)
		left := len(e.lbs())

		if i == 0 {
			var out strings.Builder
			fmt.Fprintf(&out, "\nNLB engine benchmark (in-process Reconciler, real SDK + client layer over HTTP to the emulator, real time)\n")
			fmt.Fprintf(&out, "  %d Services x 2 ports, %d nodes in 2 zones, %d workers, %v latency per API call, NLB jobs %v\n",
				services, nodes, workers, latency, jobDuration)
			fmt.Fprintf(&out, "  time until every Service has its hostname: %v (%d reconciles, %.1f per Service)\n",
				elapsed.Round(time.Millisecond), rounds, float64(rounds)/services)
			w, r := splitCalls(create)
			fmt.Fprintf(&out, "  create: %d calls (%d writes, %d reads); fewest needed %d (%d writes) -> ratio %.2f calls, %.2f writes\n",
				len(create), w, r, minCalls, minWrites, float64(len(create))/float64(minCalls), float64(w)/float64(minWrites))
			fmt.Fprintf(&out, "  create calls by action:%s\n", callsByAction(create))
			w, r = splitCalls(resync)
			fmt.Fprintf(&out, "  no-op resync: %d writes (must be 0), %d reads (%.1f per Service)%s\n", w, r, float64(r)/services, callsByAction(resync))
			w, r = splitCalls(deletes)
			fmt.Fprintf(&out, "  delete every Service: %v, %d writes, %d reads; NLBs left: %d%s\n",
				delElapsed.Round(time.Millisecond), w, r, left, callsByAction(deletes))
			b.Log(out.String())
			fmt.Print(out.String())
			if w, _ := splitCalls(resync); w != 0 {
				b.Errorf("no-op resync made %d writes", w)
			}
			if left != 0 {
				b.Errorf("%d NLBs left after deleting every Service", left)
			}
		}
		b.ReportMetric(elapsed.Seconds(), "s-to-all-hostnames")
	}
}

// drive runs f for every Service with workers goroutines, as the
// framework's queue does: a RetryError puts the Service back after its
// delay, another error after 1 s; it returns when f succeeded for all,
// with the number of calls of f. It fails after 5 minutes.
func drive(b *testing.B, svcs []*v1.Service, workers int, f func(*v1.Service) error) int {
	b.Helper()
	queue := make(chan *v1.Service, len(svcs))
	for _, s := range svcs {
		queue <- s
	}
	var (
		mu      sync.Mutex
		pending = len(svcs)
		calls   int
		lastErr error
		done    = make(chan struct{})
		wg      sync.WaitGroup
	)
	deadline := time.After(5 * time.Minute)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				case svc := <-queue:
					err := f(svc)
					mu.Lock()
					calls++
					if err == nil {
						pending--
						if pending == 0 {
							close(done)
						}
						mu.Unlock()
						continue
					}
					lastErr = err
					mu.Unlock()
					delay := time.Second
					var re *cloudproviderapi.RetryError
					if errors.As(err, &re) {
						delay = re.RetryAfter()
					}
					time.AfterFunc(delay, func() { queue <- svc })
				}
			}
		}()
	}
	select {
	case <-done:
	case <-deadline:
		mu.Lock()
		b.Fatalf("%d Services not done after 5 minutes; last error: %v", pending, lastErr)
		mu.Unlock()
	}
	wg.Wait()
	return calls
}

func splitCalls(entries []emulator.AuditEntry) (writes, reads int) {
	for _, a := range entries {
		if isReadAction(a.Action) {
			reads++
		} else {
			writes++
		}
	}
	return writes, reads
}

func callsByAction(entries []emulator.AuditEntry) string {
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
