package bench

import (
	"testing"
	"time"
)

// smokeRSSMiB bounds the CCM's peak RSS with 1,000 nodes in its informers
// (S5's goal for 5,000 nodes is 300 MiB).
const smokeRSSMiB = 300

// maxNodeSyncPasses bounds the upstream service controller's node passes
// during S1 of the smoke run (see TestScaleSmoke).
const maxNodeSyncPasses = 20

// TestScaleSmoke is BenchmarkE2E's short version for `make test`: the real
// binary with the deployment guide's command line and its default number
// of service workers, 50 two-port Services on 20 nodes plus 980 nodes
// excluded from load balancers (all 1,000 in the CCM's informers). It
// asserts correctness only, never time: every Service gets an address
// (S1), a restart of the converged cluster writes nothing (S2), one node
// added is one write per vServer group and nothing else, with each group's
// members read once: one backend sync per Service (S3), and the
// process stays under smokeRSSMiB. The service controller's passes over
// every Service on node events stay few: the 1,001 nodes it sees at its
// start are one pass, not one each (controllers/servicectl). No latency, throttling or client-side
// rate limit slows it down.
// With CI=true a missing etcd or kube-apiserver fails it.
func TestScaleSmoke(t *testing.T) {
	s := sizes{
		services: 50, nodes: 20, excluded: 980, routeNodes: 1,
		quiet:    3 * time.Second,
		timeout:  5 * time.Minute, // a bound for a stuck run, not a goal
		throttle: map[string]float64{},
		// No client-side limit either: at the default 10 SLB calls per
		// second S1-S3 alone would take two minutes.
		apiQPS: map[string]float64{"slb": -1, "vpc": -1, "ecs": -1},
	}
	w := newWorld(t, s, s.nodes+1+s.excluded, s.services)
	defer w.stop()
	r1 := s1(t, s, w)
	// Every node was there when the CCM started: a pass or two, plus a
	// few for the node updates the CCM's own node controller makes; one
	// pass per node would be over a thousand.
	n := w.nodeSyncPasses()
	t.Logf("service controller node passes during S1: %d", n)
	if n < 0 || n > maxNodeSyncPasses {
		t.Errorf("the service controller made %d passes over every Service for %d nodes present at its start, want at most %d (-1: no metric)",
			n, s.nodes+1+s.excluded, maxNodeSyncPasses)
	}
	rows := []row{r1, s2(t, s, w), s3(t, s, w)}
	t.Log("\n" + table(s, rows))
	if rss := peakRSSMiB(w.ccm.Pid()); rss < 0 || rss > smokeRSSMiB {
		t.Errorf("peak RSS of the CCM with %d nodes: %.0f MiB, want under %d MiB", s.nodes+1+s.excluded, rss, smokeRSSMiB)
	}
}
