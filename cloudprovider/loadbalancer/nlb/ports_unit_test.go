package nlb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	cloudproviderapi "k8s.io/cloud-provider/api"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// portJobsAPI answers job checks from a table; the other API methods are not
// called by portJobs.
type portJobsAPI struct {
	API
	running map[string]bool
	failed  map[string]bool
	checks  int
}

func (a *portJobsAPI) PendingJobs(_ context.Context, ids []string) ([]string, error) {
	a.checks++
	var out []string
	for _, id := range ids {
		if a.failed[id] {
			return nil, &cloudapi.JobFailedError{Job: id, Action: "CreateListener", Code: "Boom"}
		}
		if a.running[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

// TestPortJobs pins the job bookkeeping: a resource without a job of this
// reconcile is idle without a call; one whose last job runs is not, and
// the reconcile ends with a retry error naming the job; a failed job is
// an error naming it; every started job is returned.
func TestPortJobs(t *testing.T) {
	api := &portJobsAPI{running: map[string]bool{"job-run": true}, failed: map[string]bool{"job-bad": true}}
	jt := newPortJobs(api)
	ctx := context.Background()
	if ok, err := jt.idle(ctx, "sgp-1"); !ok || err != nil || api.checks != 0 {
		t.Fatalf("untouched resource: %v %v (%d checks)", ok, err, api.checks)
	}
	jt.add("sgp-1", "job-done", "")
	if ok, err := jt.idle(ctx, "sgp-1"); !ok || err != nil || api.checks != 1 {
		t.Fatalf("finished job: %v %v", ok, err)
	}
	if ok, _ := jt.idle(ctx, "sgp-1"); !ok || api.checks != 1 {
		t.Fatal("a finished job is checked again")
	}
	jt.add("nlb-1", "job-run")
	if ok, err := jt.idle(ctx, "nlb-1"); ok || err != nil {
		t.Fatalf("running job: %v %v", ok, err)
	}
	jt.add("sgp-2", "job-bad")
	if _, err := jt.idle(ctx, "sgp-2"); err == nil || !strings.Contains(err.Error(), "job-bad") {
		t.Fatalf("failed job: %v", err)
	}
	if err := jt.absorb("adding", &cloudapi.JobsPendingError{Jobs: []string{"job-batch"}, Left: 10}); err != nil {
		t.Fatalf("absorb pending: %v", err)
	}
	if err := jt.absorb("adding", errors.New("boom")); err == nil || !strings.Contains(err.Error(), "adding: boom") {
		t.Fatalf("absorb other: %v", err)
	}
	jobs, err := jt.result(nil, true)
	var re *cloudproviderapi.RetryError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "job-run,job-batch") {
		t.Fatalf("result err %v", err)
	}
	if !slices.Equal(jobs, []string{"job-done", "job-run", "job-bad"}) {
		t.Fatalf("jobs %v", jobs)
	}
	// A caller that waits for the jobs gets them without an error.
	if jobs, err := jt.result(nil, false); err != nil || len(jobs) != 3 {
		t.Fatalf("waiting caller: %v %v", jobs, err)
	}
	if _, err := newPortJobs(api).result(nil, true); err != nil {
		t.Fatalf("nothing pending: %v", err)
	}
	boom := errors.New("boom")
	if _, err := jt.result(boom, true); !errors.Is(err, boom) {
		t.Fatalf("an error wins over pending jobs: %v", err)
	}
}

// TestPortErr pins error classification: busy answers and pending jobs are
// retry errors, retry errors pass through, others are wrapped.
func TestPortErr(t *testing.T) {
	busy := &cloudapi.APIError{Code: "IncorrectStatus.serverGroup", HTTPStatus: 400}
	retry := cloudproviderapi.NewRetryError("later", time.Second)
	tests := []struct {
		name  string
		err   error
		retry bool
	}{
		{"busy", busy, true},
		{"lock", &cloudapi.APIError{Code: "Conflict.Lock", HTTPStatus: 400}, true},
		{"pending jobs", fmt.Errorf("x: %w", &cloudapi.JobsPendingError{Jobs: []string{"j"}}), true},
		{"retry error", retry, true},
		{"quota", &cloudapi.APIError{Code: "QuotaExceeded.QuotaInsufficient", HTTPStatus: 400}, false},
		{"failed job", &cloudapi.JobFailedError{Job: "j"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := portErr("step", tc.err)
			var re *cloudproviderapi.RetryError
			if errors.As(err, &re) != tc.retry {
				t.Fatalf("portErr(%v) = %v", tc.err, err)
			}
			if !tc.retry && (!errors.Is(err, tc.err) || !strings.HasPrefix(err.Error(), "step: ")) {
				t.Fatalf("not wrapped: %v", err)
			}
		})
	}
	if portErr("x", nil) != nil {
		t.Fatal("nil error wrapped")
	}
}

// TestCreateToken: the same Service version, resource and ten-minute
// window give one token (a retry is deduplicated); a new version, another
// resource or a later window another one.
func TestCreateToken(t *testing.T) {
	svc := testService("web", nil)
	now := time.Unix(1700000400, 0)
	a := createToken(svc, "listener", "80", "", now)
	if len(a) != 40 || a != createToken(svc, "listener", "80", "", now.Add(time.Minute)) {
		t.Fatalf("token %q unstable", a)
	}
	other := svc.DeepCopy()
	other.ResourceVersion = "2"
	for _, b := range []string{createToken(other, "listener", "80", "", now), createToken(svc, "listener", "81", "", now),
		createToken(svc, "servergroup", "80", "", now), createToken(svc, "listener", "80", "", now.Add(11*time.Minute)), createToken(svc, "listener", "80", "lsn-gone", now)} {
		if b == a {
			t.Fatal("tokens collide")
		}
	}
}

// TestSmallHelpers pins the naming and lookup helpers.
func TestSmallHelpers(t *testing.T) {
	if s := sanitize("a b/c_d.e", nameChars); s != "a-b-c_d.e" {
		t.Fatal(s)
	}
	if s := sanitize("a b/c@d", descriptionChars); s != "a-b/c@d" {
		t.Fatal(s)
	}
	if truncate("abc", 2) != "ab" || truncate("a", 2) != "a" {
		t.Fatal("truncate")
	}
	if k := sortedTrue(map[string]bool{"b": true, "a": true, "c": false}); !slices.Equal(k, []string{"a", "b"}) {
		t.Fatal(k)
	}
	if ids := sortedGroupIDs(map[int32]string{80: "sgp-b", 443: "sgp-a", 8080: "sgp-b"}); !slices.Equal(ids, []string{"sgp-a", "sgp-b"}) {
		t.Fatal(ids)
	}
	n := testNode("n", "", nil)
	if internalIP(n) != "" || internalIP(nil) != "" {
		t.Fatal("internal IP of a node without addresses")
	}
	n.Status.Addresses = []v1.NodeAddress{{Type: v1.NodeExternalIP, Address: "1.1.1.1"}, {Type: v1.NodeInternalIP, Address: "10.0.0.1"}}
	if internalIP(n) != "10.0.0.1" {
		t.Fatal(internalIP(n))
	}
	if declared("") != nil || *declared("x") != "x" {
		t.Fatal("declared")
	}
	g := &sdknlb.ServerGroup{Tags: []sdknlb.Tag{{Key: "a", Value: "1"}, {TagKey: "b", TagValue: "2"}}}
	if m := groupTags(g); m["a"] != "1" || m["b"] != "2" {
		t.Fatal(m)
	}
}

// TestWeightsAndPorts pins the weight decisions and the ServicePort
// lookup: default-weight, the weight annotation only where it is shared
// (reused NLB with vgroup-port), UDP listeners on UDP ports.
func TestWeightsAndPorts(t *testing.T) {
	cfg := &annotations.NLBConfig{}
	if defaultWeightOf(cfg) != 100 || cfg.SharedWeight() != nil {
		t.Fatal("defaults")
	}
	cfg.Backend.DefaultWeight, cfg.Backend.Weight = ptrTo(7), ptrTo(50)
	if defaultWeightOf(cfg) != 7 || cfg.SharedWeight() != nil {
		t.Fatal("weight without vgroup-port")
	}
	cfg.LB.ReuseID, cfg.Backend.VGroupPorts = "nlb-1", map[int32]string{80: "sgp-1"}
	if w := cfg.SharedWeight(); w == nil || *w != 50 {
		t.Fatal("shared weight")
	}
	svc := testService("web", nil, svcPort{53, 30053, v1.ProtocolUDP}, svcPort{53, 30054, ""})
	svc.Spec.Ports[1].Protocol = ""
	svc.Spec.Ports[1].TargetPort = intstr.FromString("dns")
	if sp, ok := servicePortOf(svc, &annotations.NLBListener{Port: 53, Protocol: annotations.NLBProtocolUDP}); !ok || sp.NodePort != 30053 {
		t.Fatalf("UDP port %+v", sp)
	}
	if sp, ok := servicePortOf(svc, &annotations.NLBListener{Port: 53, Protocol: annotations.NLBProtocolTCPSSL}); !ok || sp.NodePort != 30054 {
		t.Fatalf("TCPSSL port %+v", sp)
	}
	if _, ok := servicePortOf(svc, &annotations.NLBListener{Port: 54, Protocol: annotations.NLBProtocolTCP}); ok {
		t.Fatal("a port the Service lacks was found")
	}
}

// askingAPI is portJobsAPI that records each question.
type askingAPI struct {
	portJobsAPI
	asked [][]string
}

func (a *askingAPI) PendingJobs(ctx context.Context, ids []string) ([]string, error) {
	a.asked = append(a.asked, slices.Clone(ids))
	return a.portJobsAPI.PendingJobs(ctx, ids)
}

// TestPortJobsAskOnce pins how often a reconcile asks about its jobs: the
// first question covers the last job of every resource (one call), a job
// seen running is not asked about again in the same reconcile (it started
// moments ago), a job seen ended frees its resource for good, and a job a
// batched write reported running (JobsPendingError) is not asked about.
func TestPortJobsAskOnce(t *testing.T) {
	api := &askingAPI{portJobsAPI: portJobsAPI{running: map[string]bool{"job-g1": true, "job-batch": true}}}
	jt := newPortJobs(api)
	ctx := context.Background()
	jt.add("sgp-1", "job-g1")
	jt.add("sgp-2", "job-g2")
	if err := jt.absorb("adding", &cloudapi.JobsPendingError{Jobs: []string{"job-batch"}, Left: 3}); err != nil {
		t.Fatal(err)
	}
	jt.add("sgp-3", "job-batch")
	steps := []struct {
		resource string
		idle     bool
		asked    int // questions so far
	}{
		{"sgp-2", true, 1},  // asks job-g1 and job-g2 at once
		{"sgp-1", false, 1}, // seen running: no new question
		{"sgp-1", false, 1},
		{"sgp-2", true, 1}, // ended: free
		{"sgp-3", false, 1},
		{"nlb-1", true, 1}, // no job at all
	}
	for i, s := range steps {
		ok, err := jt.idle(ctx, s.resource)
		if err != nil || ok != s.idle || len(api.asked) != s.asked {
			t.Fatalf("step %d (%s): idle %v err %v, %d questions %v; want idle %v, %d questions", i, s.resource, ok, err, len(api.asked), api.asked, s.idle, s.asked)
		}
	}
	if !slices.Equal(api.asked[0], []string{"job-g1", "job-g2"}) {
		t.Errorf("first question %v, want both jobs not known running", api.asked[0])
	}
	if !slices.Equal(jt.pending, []string{"job-batch", "job-g1"}) {
		t.Errorf("pending %v: want each running job once", jt.pending)
	}
}

// TestDeferredAddsKeepSyncOpen: when the plan's adds must wait for its
// removals (deferAdds, set on every group of the plan), a group with adds
// and no removal of its own starts no job; the sync must still not count
// as finished and must ask to be run again, or a settled status would
// drop those adds until some input changed.
func TestDeferredAddsKeepSyncOpen(t *testing.T) {
	add := []server{{ID: "i-new", Type: "Ecs", Port: 30080, Weight: 100}}
	tests := []struct {
		name      string
		deferAdds bool
		finished  bool
	}{
		{name: "adds deferred, no removal in this group", deferAdds: true},
		{name: "nothing deferred: finished", finished: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &Reconciler{}
			jt := newPortJobs(&portJobsAPI{})
			s := &groupSpec{id: "sgp-a", planned: true, deferAdds: tc.deferAdds}
			if tc.deferAdds {
				s.plan = serverPlan{add: add}
			}
			if err := r.syncGroupServers(context.Background(), jt, portsInput{}, s); err != nil {
				t.Fatal(err)
			}
			if got := jt.finished(); got != tc.finished {
				t.Errorf("finished = %v, want %v", got, tc.finished)
			}
			_, err := jt.result(nil, true)
			var re *cloudproviderapi.RetryError
			if got := errors.As(err, &re); got == tc.finished {
				t.Errorf("retry error %v, want one: %v", err, !tc.finished)
			}
		})
	}
}
