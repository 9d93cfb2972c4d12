package nlb

import (
	"context"
	"errors"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	cloudproviderapi "k8s.io/cloud-provider/api"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// NLB states (LoadBalancerStatus of ListLoadBalancers) the engine acts on.
const (
	statusProvisioning = "Provisioning"
	statusDeleting     = "Deleting"
	statusDeleted      = "Deleted"
)

// nlbTimeLayout is how NLB answers render CreateTime.
const nlbTimeLayout = "2006-01-02T15:04:05Z"

// EnsureLoadBalancer creates or converges the Service's NLB and returns its
// status. The annotations are parsed before anything else: a bad Service
// gets a Warning Event naming key and value, and causes no cloud call.
// While a job the reconcile needs runs (the NLB provisioning, a write of
// the last reconcile), it returns a RetryError and the framework requeues
// the Service: no worker waits on a job.
func (r *Reconciler) EnsureLoadBalancer(ctx context.Context, _ string, svc *v1.Service, nodes []*v1.Node) (*v1.LoadBalancerStatus, error) {
	defer r.LockService(serviceKey(svc))()
	r.clearDeleted(svc.UID)
	cfg, err := r.desired(svc)
	if err != nil {
		return nil, err
	}
	st, err := r.ensure(ctx, svc, cfg, nodes)
	if err != nil {
		if isRetry(err) {
			klog.V(2).InfoS("NLB reconcile will be retried", "service", klog.KObj(svc), "reason", err)
		}
		return nil, err
	}
	return st, nil
}

// UpdateLoadBalancer converges the servers of the Service's NLB to a new
// node set: one lookup and the port level's backend-only sync; instance
// attributes and listeners are left to EnsureLoadBalancer, and a missing
// or still provisioning NLB too.
func (r *Reconciler) UpdateLoadBalancer(ctx context.Context, _ string, svc *v1.Service, nodes []*v1.Node) error {
	defer r.LockService(serviceKey(svc))()
	return r.syncBackends(ctx, svc, nodes)
}

// SyncBackends is UpdateLoadBalancer for callers that hold no framework
// context (the endpoints controller: Local weights, pod backends). It
// takes the Service lock itself.
func (r *Reconciler) SyncBackends(ctx context.Context, svc *v1.Service, nodes []*v1.Node) error {
	defer r.LockService(serviceKey(svc))()
	return r.syncBackends(ctx, svc, nodes)
}

func (r *Reconciler) syncBackends(ctx context.Context, svc *v1.Service, nodes []*v1.Node) error {
	if r.wasDeleted(svc.UID) {
		klog.V(2).InfoS("Skipping a backend sync of a Service whose NLB was deleted", "service", klog.KObj(svc))
		return nil
	}
	cfg, err := r.desired(svc)
	if err != nil {
		return err
	}
	st, err := r.find(ctx, svc, configLookup(svc, cfg))
	if err != nil || st == nil || !ready(st) {
		return err // a missing or provisioning NLB is EnsureLoadBalancer's
	}
	jobs, err := r.syncPorts(ctx, portsInput{LB: &st.lb, Reused: st.own == ownReused, Cfg: cfg, Svc: svc, Nodes: nodes, BackendsOnly: true})
	if err != nil {
		return classifyErr("NLB "+st.lb.LoadBalancerId+": servers", err)
	}
	// The next full reconcile checks these jobs (a failed one is
	// reported there); this sync does not wait for them.
	r.addJobs(svc, jobs)
	return nil
}

// desired parses the Service. The parser's warnings become Warning Events;
// a Service that cannot be parsed gets a Warning Event naming key and
// value, and no cloud call is made.
func (r *Reconciler) desired(svc *v1.Service) (*annotations.NLBConfig, error) {
	cfg, err := annotations.ParseNLB(svc, r.opts.Defaults)
	if err != nil {
		r.events.Eventf(svc, v1.EventTypeWarning, loadbalancer.ReasonInvalidAnnotation, "%v", err)
		return nil, fmt.Errorf("service %s: %w", serviceKey(svc), err)
	}
	for _, w := range cfg.Warnings {
		r.events.Event(svc, v1.EventTypeWarning, loadbalancer.ReasonAnnotationWarning, w)
	}
	return cfg, nil
}

// ensure converges the Service's NLB in steps: the jobs of the last
// reconcile, find (or create), the instance attributes, the security
// groups, then the listeners, server groups and servers, and returns the
// status once no job it started still runs.
//
// Calls of a steady-state reconcile: ListLoadBalancers (the NLB with its
// zones, tags and DNS name), then whatever the port and security-group
// levels read; writes: only differences.
func (r *Reconciler) ensure(ctx context.Context, svc *v1.Service, cfg *annotations.NLBConfig, nodes []*v1.Node) (*v1.LoadBalancerStatus, error) {
	key := r.planInputs(svc, nodes)
	last := r.jobs.get(svc.UID)
	if err := r.awaitJobs(ctx, svc); err != nil {
		return nil, err
	}
	if st := last.settledStatus(key); st != nil {
		// The last reconcile of these inputs sent all its writes and they
		// succeeded: nothing to read again.
		return st, nil
	}
	st, err := r.find(ctx, svc, configLookup(svc, cfg))
	if err != nil {
		r.findFailed(svc, err)
		return nil, err
	}
	if st == nil {
		if err := r.checkCreated(ctx, svc); err != nil {
			return nil, err
		}
		if len(svc.Status.LoadBalancer.Ingress) > 0 {
			r.events.Eventf(svc, v1.EventTypeWarning, loadbalancer.ReasonSyncFailed,
				"No NLB carries this Service's ownership tags although the Service has an address; creating a new NLB (its DNS name will differ)")
		}
		if err := r.checkNewNLBQuotas(ctx, svc, cfg, nodes); err != nil {
			return nil, err
		}
		job, err := r.createLB(ctx, svc, cfg, nodes)
		if err != nil {
			var ze *ZoneError
			if errors.As(err, &ze) || !isRetry(err) {
				r.events.Eventf(svc, v1.EventTypeWarning, loadbalancer.ReasonSyncFailed, "%v", err)
			}
			return nil, err
		}
		if err := r.startedJobs(svc, "creating the NLB", true, []string{job}); err != nil {
			return nil, err
		}
		// No job ID: look again at the next reconcile all the same.
		return nil, cloudproviderapi.NewRetryError("the NLB was created; waiting for it to be provisioned", minJobRetry)
	}
	r.forgetCreated(svc)
	if err := r.waitUsable(st); err != nil {
		return nil, err
	}
	jobs, err := r.syncInstance(ctx, svc, cfg, st)
	if err != nil {
		return nil, err
	}
	if err := r.startedJobs(svc, "NLB attributes", false, jobs); err != nil {
		return nil, err
	}
	in := portsInput{LB: &st.lb, Reused: st.own == ownReused, Cfg: cfg, Svc: svc, Nodes: nodes}
	// Joining or leaving a security group locks the NLB: listeners wait.
	jobs, err = r.syncSecurityGroups(ctx, in)
	if err != nil {
		return nil, classifyErr("NLB "+st.lb.LoadBalancerId+": security groups", err)
	}
	if err := r.startedJobs(svc, "security groups", false, jobs); err != nil {
		return nil, err
	}
	jobs, done, err := r.syncPortsDone(ctx, in)
	if err != nil {
		return nil, classifyErr("NLB "+st.lb.LoadBalancerId+": listeners and server groups", err)
	}
	status := lbStatus(&st.lb, cfg, svc)
	if err := r.startedJobs(svc, "listeners and server groups", false, jobs); err != nil {
		if done {
			r.settle(svc, key, status)
		}
		return nil, err
	}
	return status, nil
}

// findFailed turns a refused lookup into a Warning Event.
func (r *Reconciler) findFailed(svc *v1.Service, err error) {
	var re *ReuseError
	var changed *ChangedError
	var dup *DuplicateError
	switch {
	case errors.As(err, &re):
		r.events.Eventf(svc, v1.EventTypeWarning, loadbalancer.ReasonReuseRefused, "%v", err)
	case errors.As(err, &changed), errors.As(err, &dup):
		r.events.Eventf(svc, v1.EventTypeWarning, loadbalancer.ReasonSyncFailed, "%v", err)
	}
}

// ready reports whether an NLB takes writes to its listeners and groups:
// not provisioning and not being deleted.
func ready(st *lbState) bool {
	switch st.lb.LoadBalancerStatus {
	case statusProvisioning, statusDeleting, statusDeleted:
		return false
	}
	return true
}

// waitUsable returns a RetryError while the NLB is provisioning or (ours)
// being deleted, and a ReuseError for a reused NLB being deleted.
func (r *Reconciler) waitUsable(st *lbState) error {
	id := st.lb.LoadBalancerId
	switch st.lb.LoadBalancerStatus {
	case statusProvisioning:
		since := r.now()
		if t, err := time.Parse(nlbTimeLayout, st.lb.CreateTime); err == nil {
			since = t
		}
		return cloudproviderapi.NewRetryError(fmt.Sprintf("NLB %s is still provisioning", id), r.jobDelay(since))
	case statusDeleting, statusDeleted:
		if st.own == ownReused {
			return &ReuseError{ID: id, Reason: "the NLB is being deleted"}
		}
		return cloudproviderapi.NewRetryError(fmt.Sprintf("NLB %s is being deleted; a new one is created once it is gone", id), maxJobRetry)
	}
	return nil
}
