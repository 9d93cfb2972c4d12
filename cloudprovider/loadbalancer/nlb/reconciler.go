package nlb

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"
	k8scloudprovider "k8s.io/cloud-provider"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// Options configure the engine.
type Options struct {
	// ClusterID goes into ownership tags (cloud-config Global.clusterID).
	ClusterID string
	// Region and VpcID of the cluster. VpcID is required to create NLBs.
	Region, VpcID string
	// Defaults stand in for unset annotations (cloud-config).
	Defaults annotations.Defaults
	// PodBackends is the CLB engine's slot for endpoint-driven members
	// (the endpoints controller installs its source there); the NLB
	// engine reads the same source for Ip server groups and Local weights.
	PodBackends *loadbalancer.PodBackendSlot
	// ECS reads the nodes' instances when a new NLB's zones are derived
	// from the nodes' vSwitches (zones.go); nil: only VSwitches is used.
	ECS InstanceAPI
	// VSwitches are cloud-config Global.vswitchid entries with a zone; they
	// complete the zones of a new NLB when the nodes span fewer than two
	// zones (zones.go).
	VSwitches []annotations.ZoneMap
	// SecurityGroups is the ECS client of the source-ranges security
	// group (*cloudapi.ECS); nil refuses spec.loadBalancerSourceRanges.
	SecurityGroups SecurityGroupAPI
	// Quotas are the NLB quotas plans are checked against (quota.go);
	// zero fields are the documented defaults.
	Quotas Quotas
}

// InstanceAPI is the ECS read the engine makes (*cloudapi.ECS implements it).
type InstanceAPI interface {
	ListInstances(ctx context.Context, ids []string) ([]ecs.Instance, error)
}

var _ InstanceAPI = (*cloudapi.ECS)(nil)

// Reconciler converges the NLB of each Service that asks for one. It
// implements k8scloudprovider.LoadBalancer; every method is safe for
// concurrent use and serialises work per Service (LockService).
type Reconciler struct {
	api    API
	events record.EventRecorder
	opts   Options
	locks  loadbalancer.KeyedLocks

	// jobs are the NLB jobs the last reconcile of each Service started
	// and did not see end (jobs.go). Losing them (a restart) costs at
	// most one redundant read: the cloud shows the same state.
	jobs jobBook
	// ppv2 is the ProxyProtocolV2Config each listing showed (listener_certs.go).
	ppv2 ppv2Book

	// salts bumps the CreateLoadBalancer ClientToken of a Service whose
	// token answered with an NLB that failed to be created or no longer
	// exists: the server answers a used token with its first result.
	saltMu sync.Mutex
	salts  map[types.UID]int
	// created is the NLB the last create of each Service answered with,
	// until a lookup finds it (checkCreated).
	created map[types.UID]string

	// deleted holds the Services EnsureLoadBalancerDeleted ran for, so a
	// backend-only sync decided on a stale view of the Service does not
	// put servers back on a reused NLB.
	deletedMu sync.Mutex
	deleted   map[types.UID]time.Time

	// now is the engine's clock (retry delays by job age).
	now func() time.Time
}

var _ k8scloudprovider.LoadBalancer = (*Reconciler)(nil)

// New returns an engine over api.
func New(api API, events record.EventRecorder, opts Options) *Reconciler {
	if opts.ClusterID == "" {
		opts.ClusterID = loadbalancer.LegacyClusterID // the official CCM's default
	}
	if opts.PodBackends == nil {
		opts.PodBackends = &loadbalancer.PodBackendSlot{}
	}
	return &Reconciler{api: api, events: events, opts: opts, salts: map[types.UID]int{}, created: map[types.UID]string{},
		deleted: map[types.UID]time.Time{}, jobs: jobBook{m: map[types.UID]*pendingJobs{}}, now: time.Now}
}

// LockService takes the per-Service lock (key "<namespace>/<name>") and
// returns its release; the endpoints controller takes it around its
// backend syncs so they never interleave with a reconcile.
func (r *Reconciler) LockService(key string) func() { return r.locks.Lock(key) }

// GetLoadBalancerName is the NLB name of svc: the name annotation, else the
// framework's default name ("a" + UID without dashes), as the official CCM
// names its NLBs.
func (r *Reconciler) GetLoadBalancerName(_ context.Context, _ string, svc *v1.Service) string {
	return loadbalancer.LenientLookup(svc).Name
}

// GetLoadBalancer reports whether the Service has anything of ours in the
// cloud, and its NLB's status. The framework calls EnsureLoadBalancerDeleted
// only when it says true, so it answers true whenever the delete has work:
// our NLB (or several), the reused or a now-refused NLB of the id
// annotation (our listeners and groups on it), or, with no NLB, server
// groups our tags prove the Service's (the NLB was deleted by hand: server
// groups outlive it). It errors only when the cloud could not be read.
func (r *Reconciler) GetLoadBalancer(ctx context.Context, _ string, svc *v1.Service) (*v1.LoadBalancerStatus, bool, error) {
	st, err := r.find(ctx, svc, loadbalancer.LenientLookup(svc))
	var dup *DuplicateError
	var changed *ChangedError
	var refused *ReuseError
	switch {
	case errors.As(err, &dup):
		return lbStatus(&dup.ours[0].lb, nil, svc), true, nil
	case errors.As(err, &changed):
		return lbStatus(&changed.ours.lb, nil, svc), true, nil
	case errors.As(err, &refused):
		return nil, true, nil
	case err != nil:
		return nil, false, err
	case st != nil:
		return lbStatus(&st.lb, nil, svc), true, nil
	}
	left, err := r.ourServerGroups(ctx, svc)
	if err != nil {
		return nil, false, err
	}
	return nil, left, nil
}

// serviceKey is the lock key of a Service.
func serviceKey(svc *v1.Service) string { return svc.Namespace + "/" + svc.Name }

// tombstoneTTL bounds how long a deleted Service is remembered: far
// longer than any cache lag a stale backend sync comes from.
const tombstoneTTL = time.Hour

func (r *Reconciler) markDeleted(uid types.UID) {
	r.deletedMu.Lock()
	defer r.deletedMu.Unlock()
	now := r.now()
	for u, at := range r.deleted {
		if now.Sub(at) > tombstoneTTL {
			delete(r.deleted, u)
		}
	}
	r.deleted[uid] = now
}

func (r *Reconciler) clearDeleted(uid types.UID) {
	r.deletedMu.Lock()
	delete(r.deleted, uid)
	r.deletedMu.Unlock()
}

func (r *Reconciler) wasDeleted(uid types.UID) bool {
	r.deletedMu.Lock()
	defer r.deletedMu.Unlock()
	at, ok := r.deleted[uid]
	return ok && r.now().Sub(at) <= tombstoneTTL
}

// OwnedNLB returns the ID of an NLB carrying the Service's ownership tags
// in this cluster, "" when there is none; one ListLoadBalancers. The
// product selection asks before the CLB engine runs for a Service whose
// status is still empty: a Service whose annotation left NLB while its NLB
// was being created is refused a CLB, so a Service with a CLB status has
// no NLB, and its deletion needs no NLB lookup.
func (r *Reconciler) OwnedNLB(ctx context.Context, svc *v1.Service) (string, error) {
	req := sdknlb.CreateListLoadBalancersRequest()
	req.Tag = &[]sdknlb.ListLoadBalancersTag{
		{Key: loadbalancer.TagClusterID, Value: r.opts.ClusterID},
		{Key: loadbalancer.TagServiceUID, Value: string(svc.UID)},
	}
	lbs, err := r.api.ListAllLoadBalancers(ctx, req)
	if err != nil {
		return "", classifyErr("finding the NLB by its ownership tags", err)
	}
	for _, lb := range lbs {
		if r.state(lb, svc, "").own == ownOurs && lb.LoadBalancerStatus != statusDeleted {
			return lb.LoadBalancerId, nil
		}
	}
	return "", nil
}
