package loadbalancer

import (
	"context"
	"errors"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// viewTTL bounds how old a Service's view may be when a backend-only
// sync uses it instead of finding its CLB and listing its groups again.
const viewTTL = 2 * time.Minute

// lbView is what the last successful reconcile of a Service read of its
// CLB: the CLB (found by our ownership tag) and its vServer groups with
// their IDs, as the cloud showed them and as our own writes since changed
// them. A backend-only sync within viewTTL starts from it, so it reads
// only the members of its groups (one DescribeVServerGroupAttribute per
// group) instead of also DescribeLoadBalancers and DescribeVServerGroups:
// under endpoint churn that is half of a sync's reads.
//
// It holds identities, not membership: members are always read before
// they are changed. A CLB or group that no longer exists answers the
// member read with NotFound, and the sync then drops the view and reads
// the cloud as without it, before any write. A full reconcile
// (EnsureLoadBalancer) never uses a view, and replaces it.
type lbView struct {
	st *lbState
	gs groupSet
	at time.Time
}

// lbViews are the views by Service UID. A view is taken out while a sync
// uses it and put back only after the sync succeeded, so a failed sync
// leaves none.
type lbViews struct {
	mu sync.Mutex
	m  map[types.UID]lbView
}

// take removes and returns svc's view when it is younger than viewTTL.
func (v *lbViews) take(uid types.UID, now time.Time) (lbView, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	view, ok := v.m[uid]
	delete(v.m, uid)
	if !ok || now.Sub(view.at) > viewTTL {
		return lbView{}, false
	}
	return view, true
}

// put records the view a successful reconcile ended with. Only a CLB our
// tags prove this Service's gets one: on a reused CLB other Services and
// the user change groups too, and the official CCM's CLB is upgraded by a
// full reconcile first.
func (v *lbViews) put(uid types.UID, st *lbState, gs *groupSet, now time.Time) {
	if st == nil || gs == nil || st.own != ownOurs {
		return
	}
	cp := *gs
	cp.groups = append([]groupView(nil), gs.groups...)
	stCopy := *st
	stCopy.listed = nil
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil {
		v.m = map[types.UID]lbView{}
	}
	for u, old := range v.m {
		if now.Sub(old.at) > viewTTL {
			delete(v.m, u) // let deleted Services' views go
		}
	}
	v.m[uid] = lbView{st: &stCopy, gs: cp, at: now}
}

// drop forgets svc's view (its CLB was deleted).
func (v *lbViews) drop(uid types.UID) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.m, uid)
}

// syncFromView is the backend-only sync of a Service with a view: its
// groups' members are read and converged as in ensure. done is false
// when the view proved stale before any write (a CLB or group gone): the
// caller then syncs as without a view.
func (r *Reconciler) syncFromView(ctx context.Context, svc *v1.Service, cfg *annotations.Config, nodes []*v1.Node, view lbView) (done bool, err error) {
	strat, err := r.pickStrategy(ctx, svc, cfg, nodes)
	if err != nil {
		return true, err
	}
	gs := view.gs
	_, err = r.syncGroups(ctx, svc, cfg, view.st.lb.LoadBalancerId, &gs, strat, r.viewTrust(view))
	if err != nil {
		var mr *memberReadError
		if errors.As(err, &mr) && isNotFound(err) {
			klog.V(2).InfoS("The CLB or a vServer group of the Service's last reconcile is gone; reading the cloud",
				"service", klog.KObj(svc), "loadBalancer", view.st.lb.LoadBalancerId)
			return false, nil
		}
		return true, err
	}
	r.recordVerified(svc, view.st, &gs)
	r.views.put(svc.UID, view.st, &gs, r.now())
	if ps, ok := strat.(*podStrategy); ok {
		return true, ps.incompleteErr(svc)
	}
	return true, nil
}

// viewTrustAge is how young a view must be for a backend-only sync to
// take its members from it (viewTrust).
const viewTrustAge = 10 * time.Second

// viewTrust returns the record of members the view's reconcile verified,
// when a backend-only sync may take them as they are instead of reading
// them: within viewTrustAge of that reconcile, which ran in this process
// under the Service lock (so nothing of ours wrote since). The framework's
// node sync asks for exactly that at a start, racing the start-up sync of
// each Service, and would otherwise read every member again seconds after
// it was verified. trustMembers still requires every group's ID,
// ServerCount and plan digest to match, so any change of the plan (a node
// or endpoint change) reads and converges as before, and a reconcile that
// added or removed members leaves counts the view does not match (its
// groups were listed before those writes). A change by hand in those
// seconds is no less visible than one made right after the reconcile.
func (r *Reconciler) viewTrust(view lbView) verifiedEntry {
	if r.now().Sub(view.at) > viewTrustAge {
		return nil
	}
	return view.gs.verified
}

// memberReadError is a failed read of a group's members in syncGroups,
// which reads every group before its first write: nothing was written.
type memberReadError struct{ err error }

func (e *memberReadError) Error() string { return e.err.Error() }
func (e *memberReadError) Unwrap() error { return e.err }
