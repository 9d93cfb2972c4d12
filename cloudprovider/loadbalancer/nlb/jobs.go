package nlb

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
	cloudproviderapi "k8s.io/cloud-provider/api"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
)

// NLB writes are asynchronous: the answer carries a JobId and the change
// takes effect in the background, while the resource refuses other writes
// (https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-getjobstatus).
// A reconcile never waits for a job: it records the jobs it started and
// ends with a RetryError; the next reconcile of the Service first asks
// whether they ended (one call for up to 20 jobs) and goes on only then.
// A job that failed is reported once as an error naming its action, and
// the next reconcile writes again (the write was undone).

// Retry delays while jobs run: half the age of the oldest running job,
// within [minJobRetry, maxJobRetry], so a short job (a listener) is
// checked again soon and a long one (a new NLB provisioning for a minute)
// costs a few checks rather than one every second.
const (
	minJobRetry = time.Second
	maxJobRetry = 10 * time.Second
)

// busyRetryAfter is how soon a reconcile stopped by a busy answer (another
// write to the resource in flight, or its job running) is retried.
const busyRetryAfter = 2 * time.Second

// pendingJobs are the jobs one reconcile of a Service started.
type pendingJobs struct {
	ids []string
	// what the jobs do, for messages ("creating the NLB", "listeners").
	what string
	// create is true for the CreateLoadBalancer job: if it fails, the
	// create token must change (the server answers a used token with its
	// first result, the NLB that failed).
	create bool
	since  time.Time
	// started is when these jobs were started, checked counts the checks
	// that found them running (jobTimes learns from both).
	started time.Time
	checked int
	// settled is the status of a reconcile that sent every write it
	// planned and left only these jobs running, and settledKey the inputs
	// it planned from (inputsKey): once the jobs succeeded, a reconcile of
	// the same inputs returns settled without reading the NLB again, since
	// the jobs were the last of its changes. A hint only: losing it (a
	// restart) costs one read of the NLB, its listeners and groups.
	settled    *v1.LoadBalancerStatus
	settledKey string
}

// jobBook holds each Service's pending jobs.
type jobBook struct {
	mu sync.Mutex
	m  map[types.UID]*pendingJobs
	// times learns how long jobs take.
	times jobTimes
}

// jobTimes learns how long NLB jobs take, apart for the NLB's creation
// (provisioning) and for other writes, so the first check of a
// reconcile's jobs comes when they are likely to have ended: a check that
// finds them running is a wasted call, and one per wait is what a job
// costs at least. Jobs found ended at a later check set the estimate to
// their age (an upper bound of how long they took); jobs found ended at
// their first check lower it by a twentieth, so it follows faster jobs,
// until a first check finds them running again. A hint only: a restart
// starts again from minJobRetry.
type jobTimes struct {
	mu  sync.Mutex
	est [2]time.Duration // [create]
}

func kind(create bool) int {
	if create {
		return 1
	}
	return 0
}

// firstCheck is the delay before the first check of jobs of the kind: 0
// while nothing was learned yet.
func (t *jobTimes) firstCheck(create bool) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.est[kind(create)]
}

// observe learns from a check of jobs age old: ended or still running,
// and whether it was their first check.
func (t *jobTimes) observe(create bool, age time.Duration, ended, first bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := &t.est[kind(create)]
	switch {
	case !ended:
		return // the check that finds them ended tells how long they took
	case *e == 0 || !first:
		*e = age
	default:
		*e -= *e / 20
	}
	*e = min(max(*e, minJobRetry), maxJobRetry)
}

func (b *jobBook) get(uid types.UID) *pendingJobs {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.m[uid]
}

func (b *jobBook) set(uid types.UID, p *pendingJobs) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p == nil || len(p.ids) == 0 {
		delete(b.m, uid)
		return
	}
	b.m[uid] = p
}

// jobDelay is the retry delay for jobs running since since.
func (r *Reconciler) jobDelay(since time.Time) time.Duration {
	d := r.now().Sub(since) / 2
	return min(max(d, minJobRetry), maxJobRetry)
}

// startedJobs records the jobs a reconcile started and returns the
// RetryError that ends it; nil when there are none.
func (r *Reconciler) startedJobs(svc *v1.Service, what string, create bool, ids []string) error {
	ids = nonEmpty(ids)
	if len(ids) == 0 {
		return nil
	}
	now := r.now()
	p := &pendingJobs{ids: ids, what: what, create: create, since: now, started: now}
	if old := r.jobs.get(svc.UID); old != nil && old.create == create && old.what == what {
		p.since = old.since // the same wait goes on
	}
	r.jobs.set(svc.UID, p)
	delay := r.jobDelay(p.since)
	if learned := r.jobs.times.firstCheck(create); learned > 0 {
		delay = min(learned, maxJobRetry)
	}
	return cloudproviderapi.NewRetryError(fmt.Sprintf("NLB jobs started (%s): %d running", what, len(ids)), delay)
}

// addJobs records the jobs of a backend-only sync without ending it: the
// next full reconcile waits for them with the ones already recorded.
func (r *Reconciler) addJobs(svc *v1.Service, ids []string) {
	ids = nonEmpty(ids)
	if len(ids) == 0 {
		return
	}
	r.jobs.mu.Lock()
	defer r.jobs.mu.Unlock()
	if p := r.jobs.m[svc.UID]; p != nil {
		p.ids = append(p.ids, ids...)
		// These servers were planned from other inputs (endpoints): the
		// next full reconcile reads the NLB again. Their jobs started
		// later: the wait teaches jobTimes nothing.
		p.settled, p.started = nil, time.Time{}
		return
	}
	r.jobs.m[svc.UID] = &pendingJobs{ids: ids, what: "servers", since: r.now()}
}

// learn feeds a check of p's jobs to jobTimes; jobs a backend-only sync
// added (no start of their own) teach nothing.
func (r *Reconciler) learn(p *pendingJobs, ended bool) {
	if p.started.IsZero() {
		return
	}
	r.jobs.times.observe(p.create, r.now().Sub(p.started), ended, p.checked == 0)
	if !ended {
		p.checked++
	}
}

// awaitJobs checks the jobs the Service's last reconcile started: a
// RetryError while some run, the failure of a failed one (once: the next
// reconcile writes again), nil when all ended well or there were none.
func (r *Reconciler) awaitJobs(ctx context.Context, svc *v1.Service) error {
	p := r.jobs.get(svc.UID)
	if p == nil {
		return nil
	}
	running, err := r.api.PendingJobs(ctx, p.ids)
	var failed *cloudapi.JobFailedError
	switch {
	case errors.As(err, &failed):
		r.jobs.set(svc.UID, nil)
		if p.create {
			r.bumpSalt(svc)
		}
		err = fmt.Errorf("%s: %w", p.what, err)
		r.events.Eventf(svc, v1.EventTypeWarning, loadbalancer.ReasonSyncFailed, "%v", err)
		return err
	case err != nil:
		return classifyErr("checking NLB jobs", err)
	case len(running) > 0:
		r.learn(p, false)
		p.ids = running
		r.jobs.set(svc.UID, p)
		return cloudproviderapi.NewRetryError(fmt.Sprintf("NLB jobs still running (%s): %d", p.what, len(running)), r.jobDelay(p.since))
	}
	r.learn(p, true)
	r.jobs.set(svc.UID, nil)
	return nil
}

// classifyErr wraps an API error of step with context: busy answers and
// jobs still running become a RetryError (retried at a short fixed delay),
// the rest are wrapped as they are.
func classifyErr(step string, err error) error {
	if err == nil {
		return nil
	}
	var re *cloudproviderapi.RetryError
	if errors.As(err, &re) {
		return err
	}
	if cloudapi.IsBusy(err) || cloudapi.IsJobsPending(err) {
		return cloudproviderapi.NewRetryError(fmt.Sprintf("%s: the NLB is busy with a previous change, retrying: %v", step, err), busyRetryAfter)
	}
	return fmt.Errorf("%s: %w", step, err)
}

// isRetry reports whether err asks the framework to retry.
func isRetry(err error) bool {
	var re *cloudproviderapi.RetryError
	return errors.As(err, &re)
}

func nonEmpty(ids []string) []string {
	out := ids[:0:0]
	for _, id := range ids {
		if id != "" {
			out = append(out, id)
		}
	}
	return out
}

// settle marks the jobs just recorded for svc (startedJobs) as the last
// ones of a reconcile of inputs key that returns st once they succeed.
func (r *Reconciler) settle(svc *v1.Service, key string, st *v1.LoadBalancerStatus) {
	r.jobs.mu.Lock()
	defer r.jobs.mu.Unlock()
	if p := r.jobs.m[svc.UID]; p != nil {
		p.settled, p.settledKey = st, key
	}
}

// settledStatus is the status p promised once its jobs ended well, for a
// reconcile of the same inputs; nil when there is none (the reconcile
// reads the NLB).
func (p *pendingJobs) settledStatus(key string) *v1.LoadBalancerStatus {
	if p == nil || p.settled == nil || key == "" || p.settledKey != key {
		return nil
	}
	return p.settled.DeepCopy()
}

// planInputs is the inputsKey of a reconcile of svc: with the endpoints
// source installed the members are planned from the Service's
// EndpointSlices and the source's nodes too (buildMembers), so those are
// part of it; "" (never settled) when the source cannot answer yet.
func (r *Reconciler) planInputs(svc *v1.Service, nodes []*v1.Node) string {
	src := r.opts.PodBackends.Source()
	if src == nil {
		return inputsKey(svc, nodes, nil)
	}
	if !src.Synced() {
		return ""
	}
	slices, err := src.EndpointSlices(svc)
	if err != nil {
		return ""
	}
	all, err := src.Nodes()
	if err != nil {
		return ""
	}
	// The source's nodes are a second list: a node in both counts twice,
	// which changes nothing about when the key changes.
	return "endpoints/" + inputsKey(svc, append(append([]*v1.Node(nil), nodes...), all...), slices)
}

// inputsKey identifies what a reconcile plans from: the Service's version
// (spec, annotations), each node's name and version and each EndpointSlice's
// name and version. Any change, even a node's status heartbeat, makes a
// different key: the hint is then not used, which costs reads and is never
// wrong.
func inputsKey(svc *v1.Service, nodes []*v1.Node, slices []*discoveryv1.EndpointSlice) string {
	var b strings.Builder
	b.WriteString(string(svc.UID) + "/" + svc.ResourceVersion)
	keys := make([]string, 0, len(nodes)+len(slices))
	for _, n := range nodes {
		keys = append(keys, "node/"+n.Name+"/"+n.ResourceVersion)
	}
	for _, s := range slices {
		keys = append(keys, "slice/"+s.Name+"/"+s.ResourceVersion)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString("|" + k)
	}
	return b.String()
}
