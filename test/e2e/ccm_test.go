package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// defaultLeaseName is k8s.io/cloud-provider's default
// --leader-elect-resource-name, in --leader-elect-resource-namespace kube-system.
const defaultLeaseName = "cloud-controller-manager"

// startTimeout covers the CCM's start on 2 busy cores (it is ready in ~1 s idle).
const startTimeout = 60 * time.Second

// writeSeedCloudConfig starts an emulator for the test and writes the
// cloud-config configmap-ccm.sh produces (base64 keys, region), plus the
// endpoint overrides that point the CCM at the emulator.
func writeSeedCloudConfig(t *testing.T) (string, *framework.Emulator) {
	emu := framework.StartEmulator(t)
	return framework.WriteCloudConfig(t, emu.CloudConfig()), emu
}

// TestSeedCommandLine starts the CCM with the guide's flags and checks the
// lease, plain-HTTP and HTTPS health checks and metrics.
func TestSeedCommandLine(t *testing.T) {
	t.Parallel()
	cp := framework.Dedicated(t) // the CCM acts on every Node of its cluster
	cloudConfig, emu := writeSeedCloudConfig(t)
	framework.CCMBinary(t) // build first, so the timing below is the CCM's own
	start := time.Now()
	ccm := framework.StartCCM(t, cp, framework.SeedArgs(cloudConfig)...)
	ccm.WaitHealthy(t, startTimeout)
	t.Logf("CCM answered plain-HTTP /healthz %s after start", time.Since(start).Round(time.Millisecond))

	// It leads ...
	framework.WaitFor(t, startTimeout, "the CCM to lead "+defaultLeaseName, func() (bool, error) {
		if ccm.Exited() {
			t.Fatalf("CCM exited: %v", ccm.ExitError())
		}
		return isLeader(cp, ccm, defaultLeaseName), nil
	})
	// ... through a Lease under the framework's default name, although the
	// seed asks for an endpoints lock (which client-go alone would refuse).
	hostname, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	lease, err := getLease(t, cp.Client, defaultLeaseName)
	if err != nil {
		t.Fatal(err)
	}
	if h := lease.Spec.HolderIdentity; h == nil || !strings.HasPrefix(*h, hostname+"_") {
		t.Errorf("lease kube-system/%s holder = %v, want %s_<uuid>", defaultLeaseName, h, hostname)
	} else {
		t.Logf("lease holder %s", *h)
	}

	// The seed's livenessProbe: plain HTTP on the secure port.
	expectGet(t, "plain /healthz", ccm.PlainGet, "/healthz", http.StatusOK, "ok")
	expectGet(t, "plain /metrics (refused)", ccm.PlainGet, "/metrics", http.StatusForbidden, "")
	// HTTPS on the same port, verified with the CCM's self-signed certificate.
	secure := func(path string) (int, string, error) { return ccm.SecureGet(path, "") }
	expectGet(t, "HTTPS /healthz", secure, "/healthz", http.StatusOK, "ok")

	// /metrics needs a token the apiserver authenticates (TokenReview) and
	// authorizes (SubjectAccessReview); anonymous requests are denied.
	code, _, err := ccm.SecureGet("/metrics", "")
	if err != nil || (code != http.StatusForbidden && code != http.StatusUnauthorized) {
		t.Errorf("anonymous HTTPS /metrics: got %d, %v; want 401 or 403", code, err)
	}
	code, body, err := ccm.SecureGet("/metrics", cp.Token)
	if err != nil || code != http.StatusOK {
		t.Fatalf("HTTPS /metrics with the admin token: %d, %v\n%s", code, err, body)
	}
	if !strings.Contains(body, "leader_election_master_status") {
		t.Errorf("/metrics lacks leader_election_master_status")
	}
	for _, m := range []string{"rest_client_requests_total", "workqueue_adds_total"} {
		if !strings.Contains(body, m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	// The provider's start-up check reads the VPC (found through the
	// emulated metadata service); the client layer counts the call.
	framework.WaitFor(t, startTimeout, "alicloud_api_requests_total for DescribeVpcAttribute", func() (bool, error) {
		code, body, err := ccm.SecureGet("/metrics", cp.Token)
		if err != nil || code != http.StatusOK {
			return false, fmt.Errorf("GET /metrics: %d %w", code, err)
		}
		v, ok := metricValue(body, "alicloud_api_requests_total", `action="DescribeVpcAttribute"`, `code="Success"`)
		return ok && v >= 1, nil
	})
	if n := emu.Emulator.CallCount("DescribeVpcAttribute", "OK"); n < 1 {
		t.Errorf("emulator saw %d successful DescribeVpcAttribute calls, want >= 1", n)
	}
	if ccm.Exited() {
		t.Fatalf("CCM exited: %v", ccm.ExitError())
	}
}

// TestLeaderFailover runs two replicas: exactly one leads. SIGTERM (a pod's
// shutdown in a DaemonSet rolling update) makes the leader release its
// Lease, so the standby takes over at its next retry, in under 2 s; after a
// SIGKILL (no release) a standby takes over once the lease expires, within
// the lease duration plus a few (jittered) retry periods. Both takeover
// times are printed.
func TestLeaderFailover(t *testing.T) {
	t.Parallel()
	cp := framework.Dedicated(t) // the CCM acts on every Node of its cluster
	const (
		leaseDuration = 4 * time.Second
		renewDeadline = 3 * time.Second
		// The binary's default (--leader-elect-retry-period is not passed):
		// the SIGTERM figure is what a DaemonSet rolling update sees.
		retryPeriod = 700 * time.Millisecond
	)
	leaseName := framework.UniqueName("ccm-failover")
	cloudConfig, _ := writeSeedCloudConfig(t)
	args := append(framework.SeedArgs(cloudConfig),
		"--leader-elect-resource-name="+leaseName,
		"--leader-elect-lease-duration="+leaseDuration.String(),
		"--leader-elect-renew-deadline="+renewDeadline.String(),
	)
	start := func() *framework.CCMProcess {
		r := framework.StartCCM(t, cp, args...)
		r.WaitHealthy(t, startTimeout)
		return r
	}
	replicas := []*framework.CCMProcess{start(), start()}
	leader, follower := waitOneLeader(t, cp, leaseName, replicas)
	// The follower must stay a follower while the leader renews.
	time.Sleep(2 * leaseDuration)
	if isLeader(cp, follower, leaseName) {
		t.Fatalf("both replicas lead %s", leaseName)
	}

	// SIGTERM: the leader hands over.
	before := mustLease(t, cp, leaseName)
	stopped := make(chan error, 1)
	go func() { stopped <- leader.Stop(10 * time.Second) }()
	termTakeover := waitNewHolder(t, cp, leaseName, *before.Spec.HolderIdentity, 4*leaseDuration)
	if err := <-stopped; err != nil {
		t.Errorf("the leader did not stop on SIGTERM: %v", err)
	} else if err := leader.ExitError(); err != nil {
		t.Errorf("the leader exited with %v after SIGTERM, want a clean exit", err)
	}
	checkTransition(t, before, mustLease(t, cp, leaseName))
	t.Logf("takeover %s after SIGTERM (Lease released; retry period %s)", termTakeover.Round(time.Millisecond), retryPeriod)
	if termTakeover > 2*time.Second {
		t.Errorf("takeover after SIGTERM took %s, want < 2s", termTakeover)
	}

	// SIGKILL: a new standby takes over from the killed leader when the
	// lease expires.
	leader = follower
	replicas = []*framework.CCMProcess{leader, start()}
	if l, _ := waitOneLeader(t, cp, leaseName, replicas); l != leader {
		t.Fatalf("leadership moved to the new replica without a failover")
	}
	time.Sleep(2 * leaseDuration)
	before = mustLease(t, cp, leaseName)
	leader.Kill()
	killTakeover := waitNewHolder(t, cp, leaseName, *before.Spec.HolderIdentity, 4*leaseDuration)
	checkTransition(t, before, mustLease(t, cp, leaseName))
	t.Logf("takeover %s after SIGKILL (lease duration %s, retry period %s)", killTakeover.Round(time.Millisecond), leaseDuration, retryPeriod)
	// The standby sees the lease expire leaseDuration after it last saw a
	// renewal (up to 1.2 retry periods late), then acquires on its next
	// retry (jittered up to 1.2 retry periods); allow 1 s for a busy machine.
	if limit := leaseDuration + 3*retryPeriod + time.Second; killTakeover > limit {
		t.Errorf("takeover after SIGKILL took %s, want <= %s", killTakeover, limit)
	}
	fmt.Printf("leader handover: %s after SIGTERM, %s after SIGKILL (lease %s, renew %s, retry %s)\n",
		termTakeover.Round(time.Millisecond), killTakeover.Round(time.Millisecond), leaseDuration, renewDeadline, retryPeriod)
}

// waitOneLeader waits until exactly one of replicas leads leaseName (by its
// leader_election_master_status metric) and returns it and another replica.
func waitOneLeader(t *testing.T, cp *framework.ControlPlane, leaseName string, replicas []*framework.CCMProcess) (leader, follower *framework.CCMProcess) {
	t.Helper()
	framework.WaitFor(t, startTimeout, "exactly one replica to lead "+leaseName, func() (bool, error) {
		leader, follower = nil, nil
		var leaders []*framework.CCMProcess
		for _, r := range replicas {
			if r.Exited() {
				t.Fatalf("replica exited: %v\n%s", r.ExitError(), r.Tail(40))
			}
			if isLeader(cp, r, leaseName) {
				leaders = append(leaders, r)
			} else {
				follower = r
			}
		}
		if len(leaders) != 1 {
			return false, fmt.Errorf("%d leaders", len(leaders))
		}
		leader = leaders[0]
		return true, nil
	})
	return leader, follower
}

// waitNewHolder polls the Lease until a holder other than old (and not the
// empty released holder) has it, and returns how long that took.
func waitNewHolder(t *testing.T, cp *framework.ControlPlane, leaseName, old string, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < timeout {
		l, err := getLease(t, cp.Client, leaseName)
		if err == nil && l.Spec.HolderIdentity != nil && *l.Spec.HolderIdentity != "" && *l.Spec.HolderIdentity != old {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no replica took over %s from %s within %s", leaseName, old, timeout)
	return 0
}

func mustLease(t *testing.T, cp *framework.ControlPlane, name string) *coordinationv1.Lease {
	t.Helper()
	l, err := getLease(t, cp.Client, name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// checkTransition checks after took the Lease over from before.
func checkTransition(t *testing.T, before, after *coordinationv1.Lease) {
	t.Helper()
	if *after.Spec.HolderIdentity == *before.Spec.HolderIdentity {
		t.Errorf("lease holder unchanged (%s) after failover", *after.Spec.HolderIdentity)
	}
	if after.Spec.LeaseTransitions == nil || before.Spec.LeaseTransitions == nil || *after.Spec.LeaseTransitions <= *before.Spec.LeaseTransitions {
		t.Errorf("leaseTransitions did not increase: before %v after %v", before.Spec.LeaseTransitions, after.Spec.LeaseTransitions)
	}
}

// isLeader reads leader_election_master_status for the lease from r's /metrics.
func isLeader(cp *framework.ControlPlane, r *framework.CCMProcess, leaseName string) bool {
	code, body, err := r.SecureGet("/metrics", cp.Token)
	if err != nil || code != http.StatusOK {
		return false
	}
	v, ok := metricValue(body, "leader_election_master_status", `name="`+leaseName+`"`)
	return ok && v == 1
}

func getLease(_ *testing.T, cs kubernetes.Interface, name string) (*coordinationv1.Lease, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := cs.CoordinationV1().Leases("kube-system").Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("lease kube-system/%s not found yet", name)
	}
	if err != nil {
		return nil, fmt.Errorf("getting lease kube-system/%s: %w", name, err)
	}
	return l, nil
}

// metricValue finds the first sample of metric whose labels contain every
// one of labels in a Prometheus text exposition.
func metricValue(body, metric string, labels ...string) (float64, bool) {
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, metric+"{") || !containsAll(line, labels) {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		return v, err == nil
	}
	return 0, false
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// expectGet checks one GET's status and (when want is set) exact body.
func expectGet(t *testing.T, desc string, get func(string) (int, string, error), path string, wantCode int, want string) {
	t.Helper()
	code, body, err := get(path)
	if err != nil {
		t.Errorf("%s: %v", desc, err)
		return
	}
	if code != wantCode || (want != "" && body != want) {
		t.Errorf("%s: got %d %q, want %d %q", desc, code, body, wantCode, want)
	}
}
