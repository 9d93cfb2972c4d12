package loadbalancer

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"
	k8scloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// Defaults of Options.
const (
	// DefaultBatchSize is the documented per-call backend limit of
	// Add/Remove/SetVServerGroup* ("at most 20 backend servers in each
	// call", https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-addvservergroupbackendservers;
	// the official CCM's 40 exceeds it).
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
	// PodBackends is the slot where the endpoints controller
	// (controllers/endpoints) installs its source of endpoint-driven
	// members when it is constructed: Local weights by endpoint count, ENI
	// and ECI pod members (PodBackendSlot). The provider passes the same
	// slot to the controller. While it is empty, members are the nodes the
	// framework passes and Services asking for ENI backends are refused.
	// Nil: New makes an empty one, which only tests fill.
	PodBackends *PodBackendSlot
}

// Reconciler converges the CLB of each LoadBalancer Service. It implements
// k8scloudprovider.LoadBalancer; every method is safe for concurrent use and
// serialises work per Service (LockService).
type Reconciler struct {
	slb    SLBAPI
	vpc    VPCAPI
	events record.EventRecorder
	opts   Options
	locks  KeyedLocks
	// pods is Options.PodBackends (podstrategy.go).
	pods *PodBackendSlot
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

	// legacy are cluster IDs this cluster wrote under before (the old
	// default, see SetClusterID), accepted on objects our tags prove ours.
	legacy []string

	// deleted holds the Services EnsureLoadBalancerDeleted ran for, so a
	// backend-only sync decided on a stale view of the Service (it waited
	// on the lock while the delete ran) does not put groups or members
	// back on a reused CLB. EnsureLoadBalancer clears the mark.
	deleted tombstones

	// listing is the cluster's CLBs as listed once after a start, shared
	// by the first reconcile of every Service (listing_cache.go).
	listing startListing

	// views are each Service's CLB and group IDs as its last reconcile
	// read them, for the backend-only syncs that follow (backend_view.go).
	views lbViews

	// verified is the record of the members last verified per Service,
	// kept in Kubernetes, that lets a restart skip the member reads
	// (verified.go).
	verified verifiedRecord
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

var _ k8scloudprovider.LoadBalancer = (*Reconciler)(nil)

// New returns a Reconciler using the given API clients and event recorder.
// Its members come from the nodes the framework passes until a pod backend
// source is installed in opts.PodBackends (the endpoints controller does
// it when the framework constructs it; the provider hands it the slot).
func New(slbAPI SLBAPI, vpcAPI VPCAPI, events record.EventRecorder, opts Options) *Reconciler {
	if opts.BatchSize <= 0 || opts.BatchSize > DefaultBatchSize {
		opts.BatchSize = DefaultBatchSize
	}
	opts.Quotas = opts.Quotas.withDefaults()
	if opts.ClusterID == "" {
		opts.ClusterID = LegacyClusterID // the official CCM's default
	}
	if opts.PodBackends == nil {
		opts.PodBackends = &PodBackendSlot{}
	}
	return &Reconciler{slb: slbAPI, vpc: vpcAPI, events: events, opts: opts, pods: opts.PodBackends, salts: map[types.UID]int{}, now: time.Now}
}

// LegacyClusterID is the cluster ID every cluster wrote when
// Global.clusterID was unset, before each cluster got an identity of its
// own: two clusters sharing a CLB could not tell their objects apart.
const LegacyClusterID = "clusterid"

// SetClusterID sets the identity written into new ownership tags and
// descriptions, and the legacy IDs still recognised on objects whose tags
// prove they are this Service's (our CLB by its Service UID tag, our ACL).
// Descriptions on a CLB others may share (a reused one) must match id
// exactly: there a legacy ID cannot tell this cluster from another. It
// must be called before the first reconcile (cloud provider Initialize).
func (r *Reconciler) SetClusterID(id string, legacy ...string) {
	r.opts.ClusterID = id
	r.legacy = slices.DeleteFunc(slices.Clone(legacy), func(l string) bool { return l == id })
}

// ids are the cluster IDs whose objects are ours: this cluster's, plus the
// legacy ones when tagged is true (the object's tags, or its CLB's, prove
// it is this Service's).
func (r *Reconciler) ids(tagged bool) []string {
	if !tagged {
		return []string{r.opts.ClusterID}
	}
	return append([]string{r.opts.ClusterID}, r.legacy...)
}

// LockService takes the per-Service lock (key "<namespace>/<name>") and
// returns its release. The endpoints controller takes it
// around SyncBackends-style work so it never interleaves with the
// framework's reconciles of the same Service.
func (r *Reconciler) LockService(key string) func() { return r.locks.Lock(key) }

// GetLoadBalancerName returns the name of the Service's CLB: the name
// annotation, else the framework's default name ("a" + UID without dashes,
// 32 characters), as the official CCM names its CLBs.
func (r *Reconciler) GetLoadBalancerName(_ context.Context, _ string, svc *v1.Service) string {
	if n := annotations.LoadBalancerName(svc); n != "" {
		return n
	}
	return k8scloudprovider.DefaultLoadBalancerName(svc)
}

// GetLoadBalancer reports whether the Service has anything of ours in the
// cloud, and its CLB's status. The framework's service controller calls it
// before EnsureLoadBalancerDeleted and skips the delete when it says false
// (then removes the finalizer); an error keeps the Service Terminating and
// is retried. So it answers true whenever the delete has work to do, and
// errors only when the cloud could not be read:
//
//   - our, the adopted or a reused CLB: our listeners and groups on it
//     need cleaning; several CLBs with our tags: all are deleted;
//   - the id annotation names a CLB that is gone or that may not be reused
//     (refused): EnsureLoadBalancerDeleted removes what is ours on it, if
//     anything, and our ACL; the refusal is not an error here, or the
//     Service could never be deleted;
//   - no CLB but our source-ranges ACL (the CLB was deleted by hand, or we
//     crashed between DeleteLoadBalancer and the ACL's delete): the ACL
//     must still go, or it leaks and eats the per-region ACL quota.
func (r *Reconciler) GetLoadBalancer(ctx context.Context, _ string, svc *v1.Service) (*v1.LoadBalancerStatus, bool, error) {
	lb, err := r.find(ctx, svc, LenientLookup(svc))
	var changed *CLBChangedError
	var refused *ReuseError
	var dup *DuplicateError
	switch {
	case errors.As(err, &dup):
		return lbStatusFromAddress(dup.ours[0].lb.Address, svc), true, nil
	case errors.As(err, &changed):
		return lbStatusFromAddress(changed.ours.lb.Address, svc), true, nil
	case errors.As(err, &refused):
		return nil, true, nil
	case err != nil:
		return nil, false, err
	case lb != nil:
		return lbStatusFromAddress(lb.lb.Address, svc), true, nil
	}
	acls, err := r.ourACLs(ctx, svc)
	if err != nil {
		return nil, false, err
	}
	return nil, len(acls) > 0, nil
}

// serviceKey is the lock and cache key of a Service.
func serviceKey(svc *v1.Service) string { return svc.Namespace + "/" + svc.Name }

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
