package nlb

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/record"
	cloudproviderapi "k8s.io/cloud-provider/api"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
)

// jobsAPI answers PendingJobs from a table: running IDs, failed IDs, or an
// error; every other method is the nil API (a call would panic: the job
// checks must make no other call).
type jobsAPI struct {
	API
	running map[string]bool
	failed  string
	err     error
	asked   [][]string
}

func (j *jobsAPI) PendingJobs(_ context.Context, ids []string) ([]string, error) {
	j.asked = append(j.asked, slices.Clone(ids))
	if j.err != nil {
		return nil, j.err
	}
	if j.failed != "" && slices.Contains(ids, j.failed) {
		return nil, &cloudapi.JobFailedError{Job: j.failed, Action: "CreateListener", Code: "Boom"}
	}
	var out []string
	for _, id := range ids {
		if j.running[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

func jobsEngine(api API) (*Reconciler, *record.FakeRecorder, *time.Time) {
	ev := record.NewFakeRecorder(100)
	r := New(api, ev, Options{})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r.now = func() time.Time { return now }
	return r, ev, &now
}

// TestAwaitJobs pins the decisions on the jobs a reconcile started: none
// (no call), still running (a RetryError and only the running ones kept),
// all done (forgotten), a failed one (an error naming the step and the
// job, a Warning Event, forgotten; a failed create also changes the create
// token), and a job status that cannot be read (wrapped, kept).
func TestAwaitJobs(t *testing.T) {
	svc := testService("web", nil)
	cases := []struct {
		name      string
		jobs      []string
		create    bool
		api       *jobsAPI
		retry     bool
		wantErr   string
		left      []string
		saltBumps int
	}{
		{name: "none", api: &jobsAPI{}},
		{name: "running", jobs: []string{"j1", "j2"}, api: &jobsAPI{running: map[string]bool{"j2": true}}, retry: true, left: []string{"j2"}},
		{name: "done", jobs: []string{"j1", "j2"}, api: &jobsAPI{}},
		{name: "failed", jobs: []string{"j1"}, api: &jobsAPI{failed: "j1"}, wantErr: "listeners: NLB job j1 (CreateListener) failed: Boom"},
		{name: "failed create", jobs: []string{"j1"}, create: true, api: &jobsAPI{failed: "j1"}, wantErr: "NLB job j1", saltBumps: 1},
		{name: "unreadable", jobs: []string{"j1"}, api: &jobsAPI{err: errors.New("timeout")}, wantErr: "checking NLB jobs: timeout", left: []string{"j1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, ev, _ := jobsEngine(tc.api)
			if len(tc.jobs) > 0 {
				_ = r.startedJobs(svc, "listeners", tc.create, tc.jobs)
			}
			err := r.awaitJobs(context.Background(), svc)
			switch {
			case tc.retry:
				if !isRetry(err) {
					t.Fatalf("want a retry, got %v", err)
				}
			case tc.wantErr != "":
				if err == nil || isRetry(err) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want %q, got %v", tc.wantErr, err)
				}
			case err != nil:
				t.Fatal(err)
			}
			var left []string
			if p := r.jobs.get(svc.UID); p != nil {
				left = p.ids
			}
			if !slices.Equal(left, tc.left) {
				t.Errorf("jobs kept %v, want %v", left, tc.left)
			}
			if got := r.salts[svc.UID]; got != tc.saltBumps {
				t.Errorf("salt %d, want %d", got, tc.saltBumps)
			}
			if tc.jobs == nil && len(tc.api.asked) != 0 {
				t.Errorf("asked %v without jobs", tc.api.asked)
			}
			if tc.api.failed != "" && len(ev.Events) == 0 {
				t.Error("no Warning Event for the failed job")
			}
		})
	}
}

// TestStartedJobs: no job, no retry; jobs are recorded and end the
// reconcile with a RetryError; the same wait (same step) keeps its start,
// so the delay keeps growing; a new step starts a new wait; empty IDs
// are dropped.
func TestStartedJobs(t *testing.T) {
	svc := testService("web", nil)
	r, _, now := jobsEngine(&jobsAPI{})
	if err := r.startedJobs(svc, "x", false, []string{"", ""}); err != nil || r.jobs.get(svc.UID) != nil {
		t.Fatalf("empty jobs: %v", err)
	}
	err := r.startedJobs(svc, "listeners", false, []string{"j1", ""})
	var re *cloudproviderapi.RetryError
	if !errors.As(err, &re) || re.RetryAfter() != minJobRetry {
		t.Fatalf("first: %v", err)
	}
	start := r.jobs.get(svc.UID).since
	*now = now.Add(8 * time.Second)
	if err := r.startedJobs(svc, "listeners", false, []string{"j2"}); !errors.As(err, &re) || re.RetryAfter() != 4*time.Second {
		t.Fatalf("same wait: %v", err)
	}
	if p := r.jobs.get(svc.UID); !p.since.Equal(start) || !slices.Equal(p.ids, []string{"j2"}) {
		t.Errorf("kept %+v", p)
	}
	if err := r.startedJobs(svc, "security groups", false, []string{"j3"}); !errors.As(err, &re) || re.RetryAfter() != minJobRetry {
		t.Errorf("new step: %v", err)
	}
}

// TestAddJobs: a backend-only sync's jobs join those already recorded and
// do not end anything.
func TestAddJobs(t *testing.T) {
	svc := testService("web", nil)
	api := &jobsAPI{running: map[string]bool{"s2": true}}
	r, _, _ := jobsEngine(api)
	r.addJobs(svc, nil)
	if r.jobs.get(svc.UID) != nil {
		t.Fatal("no jobs recorded something")
	}
	r.addJobs(svc, []string{"s1"})
	r.addJobs(svc, []string{"s2", ""})
	if p := r.jobs.get(svc.UID); !slices.Equal(p.ids, []string{"s1", "s2"}) {
		t.Fatalf("jobs %v", p.ids)
	}
	if err := r.awaitJobs(context.Background(), svc); !isRetry(err) || !strings.Contains(err.Error(), "servers") {
		t.Errorf("await: %v", err)
	}
	if len(api.asked) != 1 || len(api.asked[0]) != 2 {
		t.Errorf("one check for both jobs: %v", api.asked)
	}
}

// TestJobsAcrossServices: each Service waits only for its own jobs.
func TestJobsAcrossServices(t *testing.T) {
	a, b := testService("a", nil), testService("b", nil)
	api := &jobsAPI{running: map[string]bool{"ja": true}}
	r, _, _ := jobsEngine(api)
	_ = r.startedJobs(a, "x", false, []string{"ja"})
	_ = r.startedJobs(b, "x", false, []string{"jb"})
	if err := r.awaitJobs(context.Background(), a); !isRetry(err) {
		t.Errorf("a: %v", err)
	}
	if err := r.awaitJobs(context.Background(), b); err != nil {
		t.Errorf("b: %v", err)
	}
	if r.jobs.get(b.UID) != nil || r.jobs.get(a.UID) == nil {
		t.Error("the books got mixed")
	}
}

// TestJobTimes is the table of how the first-check delay is learned: from
// nothing (none), a check that found the jobs running teaches nothing, a
// later check that found them ended sets it to their age, a first check
// that found them ended lowers it by a twentieth; the NLB's creation is
// learned apart; it stays within [minJobRetry, maxJobRetry].
func TestJobTimes(t *testing.T) {
	type obs struct {
		create       bool
		age          time.Duration
		ended, first bool
	}
	s := time.Second
	cases := []struct {
		name               string
		seq                []obs
		wantOther, wantNew time.Duration
	}{
		{name: "nothing learned", wantOther: 0, wantNew: 0},
		{name: "running at the first check", seq: []obs{{age: 2 * s, first: true}}, wantOther: 0},
		{name: "then ended at a later check", seq: []obs{{age: s, first: true}, {age: 2100 * time.Millisecond, ended: true}}, wantOther: 2100 * time.Millisecond},
		{name: "a later check after a learned estimate: the new age", seq: []obs{{age: 2 * s, ended: true, first: true}, {age: 2 * s, first: true},
			{age: 3 * s, ended: true}}, wantOther: 3 * s},
		{name: "ended at the first check, nothing known: its age", seq: []obs{{age: 3 * s, ended: true, first: true}}, wantOther: 3 * s},
		{name: "ended at the first check: a twentieth less", seq: []obs{{age: 2 * s, ended: true, first: true}, {age: 2 * s, ended: true, first: true}},
			wantOther: 1900 * time.Millisecond},
		{name: "never below minJobRetry", seq: []obs{{age: 100 * time.Millisecond, ended: true, first: true}}, wantOther: minJobRetry},
		{name: "never above maxJobRetry", seq: []obs{{create: true, age: 40 * s, ended: true}}, wantNew: maxJobRetry},
		{name: "the NLB's creation apart", seq: []obs{{create: true, age: 4 * s, ended: true, first: true}, {age: 2 * s, ended: true, first: true}},
			wantOther: 2 * s, wantNew: 4 * s},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var jt jobTimes
			for _, o := range tc.seq {
				jt.observe(o.create, o.age, o.ended, o.first)
			}
			if got := jt.firstCheck(false); got != tc.wantOther {
				t.Errorf("other writes: %v, want %v", got, tc.wantOther)
			}
			if got := jt.firstCheck(true); got != tc.wantNew {
				t.Errorf("the NLB's creation: %v, want %v", got, tc.wantNew)
			}
		})
	}
}

// TestFirstCheckLearned: the engine learns from its own waits: jobs found
// ended at the second check (2.5 s old) make the next reconcile's first
// check come after 2.5 s instead of minJobRetry; a backend-only sync's
// jobs teach nothing.
func TestFirstCheckLearned(t *testing.T) {
	svc := testService("web", nil)
	api := &jobsAPI{running: map[string]bool{"j1": true}}
	r, _, now := jobsEngine(api)
	var re *cloudproviderapi.RetryError
	if err := r.startedJobs(svc, "listeners", false, []string{"j1"}); !errors.As(err, &re) || re.RetryAfter() != minJobRetry {
		t.Fatalf("nothing learned: %v", err)
	}
	*now = now.Add(time.Second)
	if err := r.awaitJobs(context.Background(), svc); !isRetry(err) {
		t.Fatalf("running: %v", err)
	}
	*now = now.Add(1500 * time.Millisecond)
	api.running = nil
	if err := r.awaitJobs(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
	if err := r.startedJobs(svc, "listeners", false, []string{"j2"}); !errors.As(err, &re) || re.RetryAfter() != 2500*time.Millisecond {
		t.Fatalf("learned: %v", err)
	}
	r.addJobs(svc, []string{"s1"})
	*now = now.Add(9 * time.Second)
	if err := r.awaitJobs(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
	if got := r.jobs.times.firstCheck(false); got != 2500*time.Millisecond {
		t.Errorf("a backend-only sync's wait changed the estimate to %v", got)
	}
}
