package loadbalancer

import (
	"context"
	"fmt"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// Defaults of Options.
const (
	// DefaultBatchSize is the documented per-call backend limit of
	// Add/Remove/SetVServerGroup* ("at most 20 backend servers in each
	// call", alibaba-api.md §1.4; the incumbent's 40 exceeds it, §11.6).
	DefaultBatchSize = 20
	// defaultWeight is a backend's weight without annotations.
	defaultWeight = 100
)

// Options configure a Reconciler.
type Options struct {
	// ClusterID goes into ownership tags and descriptions (cloud-config
	// Global.clusterID).
	ClusterID string
	// VpcID is the cluster VPC, for intranet CLBs.
	VpcID string
	// VSwitchID is the default vSwitch of intranet CLBs without vswitch-id.
	VSwitchID string
	// ResourceGroupID is the default resource group of new CLBs.
	ResourceGroupID string
	// DisablePublicSLB refuses internet-facing CLBs.
	DisablePublicSLB bool
	// BatchSize bounds backends per vServer group call (DefaultBatchSize).
	BatchSize int
	// Quotas are the CLB quotas plans are checked against (quota.go);
	// zero fields get the documented defaults.
	Quotas Quotas
	// Defaults are the cloud-config values the annotation parser uses for
	// unset annotations.
	Defaults annotations.Defaults
	// Parse builds the desired state of a Service. Nil selects the parser
	// of the annotations package (config.go).
	Parse func(svc *v1.Service) (*Spec, error)
}

// Reconciler converges the CLB of each LoadBalancer Service. It implements
// cloudprovider.LoadBalancer; every method is safe for concurrent use and
// serialises work per Service (LockService).
type Reconciler struct {
	slb    SLBAPI
	vpc    VPCAPI
	events record.EventRecorder
	opts   Options
	locks  keyedLocks
	// pods is the endpoint source of issue #6 (podstrategy.go).
	pods podSourceHolder
	// attached counts the vServer groups each backend server is in
	// (quota_index.go).
	attached attachIndex

	// salts bumps the CreateLoadBalancer ClientToken of a Service whose
	// token answered with a CLB that no longer exists (deleted by hand):
	// the server keeps answering a used token with its first result.
	saltMu sync.Mutex
	salts  map[types.UID]int

	// now is the clock certificate expiry is checked against.
	now func() time.Time

	// deleted holds the Services EnsureLoadBalancerDeleted ran for, so a
	// backend-only sync decided on a stale view of the Service (it waited
	// on the lock while the delete ran) does not put groups or members
	// back on a reused CLB. EnsureLoadBalancer clears the mark.
	deleted tombstones
}

// tombstoneTTL bounds how long a deleted Service is remembered: far
// longer than any cache lag a stale backend sync comes from.
const tombstoneTTL = time.Hour

// tombstones is a set of Service UIDs with the time they were marked.
type tombstones struct {
	mu sync.Mutex
	at map[types.UID]time.Time
}

func (t *tombstones) mark(uid types.UID, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.at == nil {
		t.at = map[types.UID]time.Time{}
	}
	for u, at := range t.at {
		if now.Sub(at) > tombstoneTTL {
			delete(t.at, u)
		}
	}
	t.at[uid] = now
}

func (t *tombstones) clear(uid types.UID) {
	t.mu.Lock()
	delete(t.at, uid)
	t.mu.Unlock()
}

func (t *tombstones) has(uid types.UID, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	at, ok := t.at[uid]
	return ok && now.Sub(at) <= tombstoneTTL
}

var _ cloudprovider.LoadBalancer = (*Reconciler)(nil)

// New returns a Reconciler using the given API clients and event recorder.
func New(slbAPI SLBAPI, vpcAPI VPCAPI, events record.EventRecorder, opts Options) *Reconciler {
	if opts.BatchSize <= 0 || opts.BatchSize > DefaultBatchSize {
		opts.BatchSize = DefaultBatchSize
	}
	opts.Quotas = opts.Quotas.withDefaults()
	if opts.ClusterID == "" {
		opts.ClusterID = "clusterid" // the incumbent's default (incumbent-ccm.md §1.5)
	}
	r := &Reconciler{slb: slbAPI, vpc: vpcAPI, events: events, opts: opts, salts: map[types.UID]int{}, now: time.Now}
	if r.opts.Parse == nil {
		r.opts.Parse = r.parseAnnotations
	}
	return r
}

// LockService takes the per-Service lock (key "<namespace>/<name>") and
// returns its release. The endpoints controller of issue #6 takes it
// around SyncBackends-style work so it never interleaves with the
// framework's reconciles of the same Service.
func (r *Reconciler) LockService(key string) func() { return r.locks.lock(key) }

// GetLoadBalancerName returns the name of the Service's CLB: the name
// annotation, else the framework's default name ("a" + UID without dashes,
// 32 characters), as the incumbent names its CLBs.
func (r *Reconciler) GetLoadBalancerName(_ context.Context, _ string, svc *v1.Service) string {
	if n := rawAnnotation(svc, annoName); n != "" {
		return n
	}
	return cloudprovider.DefaultLoadBalancerName(svc)
}

// GetLoadBalancer reports whether the Service has a CLB (ours, adopted or
// reused) and its status. The framework calls it before
// EnsureLoadBalancerDeleted and skips the delete when it says false, so a
// reused CLB counts as existing: our listeners and groups on it need
// cleaning.
func (r *Reconciler) GetLoadBalancer(ctx context.Context, _ string, svc *v1.Service) (*v1.LoadBalancerStatus, bool, error) {
	lb, err := r.find(ctx, svc, lenientLookup(svc))
	if err != nil {
		return nil, false, err
	}
	if lb == nil {
		return nil, false, nil
	}
	return lbStatusFromAddress(lb.lb.Address, svc), true, nil
}

// EnsureLoadBalancer creates or converges the Service's CLB and returns its
// status. Annotations are parsed before anything else: a bad Service gets a
// Warning Event naming key and value and causes no cloud call.
func (r *Reconciler) EnsureLoadBalancer(ctx context.Context, _ string, svc *v1.Service, nodes []*v1.Node) (*v1.LoadBalancerStatus, error) {
	defer r.LockService(serviceKey(svc))()
	r.deleted.clear(svc.UID)
	spec, err := r.spec(svc)
	if err != nil {
		return nil, err
	}
	st, err := r.ensure(ctx, svc, spec, nodes, true)
	if err != nil {
		r.warn(svc, err)
		return nil, err
	}
	return st, nil
}

// UpdateLoadBalancer converges the backends to a new node set; listeners
// and instance attributes are left to EnsureLoadBalancer.
func (r *Reconciler) UpdateLoadBalancer(ctx context.Context, _ string, svc *v1.Service, nodes []*v1.Node) error {
	defer r.LockService(serviceKey(svc))()
	return r.syncBackends(ctx, svc, nodes)
}

// SyncBackends converges only the vServer group backends of svc (no
// listener or instance calls). It is the entry point of backend-only
// syncs: node changes now, and the endpoints controller of issue #6, whose
// EndpointSlices feed the Local and ENI backend strategies (backends.go).
// It takes the Service lock itself.
func (r *Reconciler) SyncBackends(ctx context.Context, svc *v1.Service, nodes []*v1.Node) error {
	defer r.LockService(serviceKey(svc))()
	return r.syncBackends(ctx, svc, nodes)
}

func (r *Reconciler) syncBackends(ctx context.Context, svc *v1.Service, nodes []*v1.Node) error {
	if r.deleted.has(svc.UID, time.Now()) {
		klog.V(2).InfoS("Skipping a backend sync of a Service whose load balancer was deleted", "service", klog.KObj(svc))
		return nil
	}
	spec, err := r.spec(svc)
	if err != nil {
		return err
	}
	if _, err := r.ensure(ctx, svc, spec, nodes, false); err != nil {
		r.warn(svc, err)
		return err
	}
	return nil
}

// spec parses the Service and reports a parse failure as a Warning Event.
func (r *Reconciler) spec(svc *v1.Service) (*Spec, error) {
	spec, err := r.opts.Parse(svc)
	if err != nil {
		r.events.Eventf(svc, v1.EventTypeWarning, ReasonInvalidAnnotation, "%v", err)
		return nil, fmt.Errorf("service %s: %w", serviceKey(svc), err)
	}
	return spec, nil
}

// warn records a failed reconcile; quota errors get their own reason.
func (r *Reconciler) warn(svc *v1.Service, err error) {
	var q *QuotaError
	switch {
	case asQuota(err, &q):
		r.events.Eventf(svc, v1.EventTypeWarning, ReasonQuotaExceeded, "%v", err)
	case isRetry(err):
		klog.V(2).InfoS("CLB reconcile will be retried", "service", klog.KObj(svc), "reason", err)
	}
}
