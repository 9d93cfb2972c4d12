package loadbalancer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	v1 "k8s.io/api/core/v1"
	cloudproviderapi "k8s.io/cloud-provider/api"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// EnsureLoadBalancer creates or converges the Service's CLB and returns its
// status. Annotations are parsed before anything else: a bad Service gets a
// Warning Event naming key and value and causes no cloud call.
func (r *Reconciler) EnsureLoadBalancer(ctx context.Context, _ string, svc *v1.Service, nodes []*v1.Node) (*v1.LoadBalancerStatus, error) {
	defer r.LockService(serviceKey(svc))()
	r.deleted.clear(svc.UID)
	// A full reconcile reads everything; only its success leaves a view,
	// so a Service it refuses (another CLB named, duplicates) gets no
	// backend-only sync from an older one.
	r.views.drop(svc.UID)
	cfg, err := r.desired(svc)
	if err != nil {
		return nil, err
	}
	st, err := r.ensure(ctx, svc, cfg, nodes, modeFull)
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
// syncs: node changes, and the endpoints controller, whose
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
	cfg, err := r.desired(svc)
	if err != nil {
		return err
	}
	// Within viewTTL of its last reconcile a Service's CLB and groups are
	// known: read only the members (backend_view.go).
	if view, ok := r.views.take(svc.UID, r.now()); ok {
		done, err := r.syncFromView(ctx, svc, cfg, nodes, view)
		if done {
			if err != nil {
				r.warn(svc, err)
			}
			return err
		}
	}
	if _, err := r.ensure(ctx, svc, cfg, nodes, modeBackends); err != nil {
		r.warn(svc, err)
		return err
	}
	return nil
}

// desired parses the Service into the typed desired state the engine
// plans from. The parser's warnings (unknown keys and the like) become
// Warning Events; a Service that cannot be planned gets a Warning Event
// naming key and value, and causes no cloud call.
func (r *Reconciler) desired(svc *v1.Service) (*annotations.Config, error) {
	cfg, err := annotations.Parse(svc, r.opts.Defaults)
	if err == nil {
		for _, w := range cfg.Warnings {
			r.events.Event(svc, v1.EventTypeWarning, ReasonAnnotationWarning, w)
		}
		err = checkNodePorts(cfg)
	}
	if err != nil {
		r.events.Eventf(svc, v1.EventTypeWarning, ReasonInvalidAnnotation, "%v", err)
		return nil, fmt.Errorf("service %s: %w", serviceKey(svc), err)
	}
	return cfg, nil
}

// checkNodePorts refuses to plan node backends before every port has its
// NodePort (ENI backends use the target port; a redirecting HTTP listener
// and a user's vServer group need none).
func checkNodePorts(cfg *annotations.Config) error {
	if cfg.Backend.Type == annotations.BackendENI {
		return nil
	}
	for _, l := range cfg.Listeners {
		if l.NodePort == 0 && l.ForwardPort == 0 && l.VGroupID == "" {
			return fmt.Errorf("service port %d has no nodePort yet", l.Port)
		}
	}
	return nil
}

// ensureMode says how much of the Service's CLB a reconcile converges.
type ensureMode int

const (
	// modeFull is EnsureLoadBalancer: the CLB is created when missing,
	// and its instance attributes, listeners, vServer groups, ACL and
	// domains are converged; the status is returned.
	modeFull ensureMode = iota
	// modeBackends is the backend-only path (node changes,
	// SyncBackends): vServer group members only; a missing CLB is left to
	// EnsureLoadBalancer and no status is returned.
	modeBackends
)

// ensure converges the Service's CLB in named steps: findOrCreate,
// syncInstance, readListeners, syncVServerGroups, then (modeFull)
// syncListeners, cleanup and publishing the status.
//
// Reads per full reconcile in the steady state: DescribeLoadBalancers,
// DescribeVServerGroups, one DescribeVServerGroupAttribute per group and
// DescribeLoadBalancerListeners (plus the ACL and EIP reads when those
// features are used, and on a reused CLB one read per user vServer group
// with members the Service does not name, to take back members a removed
// vgroup-port left there): 3 + ports. Writes: only differences.
func (r *Reconciler) ensure(ctx context.Context, svc *v1.Service, cfg *annotations.Config, nodes []*v1.Node, mode ensureMode) (*v1.LoadBalancerStatus, error) {
	st, strat, created, err := r.findOrCreate(ctx, svc, cfg, nodes, mode)
	// Whether the CLB came from the start-up listing is asked once per
	// start, whatever this reconcile does with it.
	fresh := r.listing.takeFresh(svc.UID)
	if err != nil || st == nil {
		return nil, err
	}
	if mode == modeFull && !created {
		if err := r.syncInstance(ctx, svc, cfg, st); err != nil {
			return nil, err
		}
	}
	// Our tags prove the whole CLB is this Service's: what this cluster
	// wrote on it under a legacy cluster ID is still ours, and is kept as
	// it is (an upgrade writes nothing).
	tagged := st.own == ownOurs || st.own == ownOfficial
	manage := st.own != ownReused || cfg.LB.ForceOverrideListeners
	var listeners []slb.ListenerInDescribeLoadBalancerListeners
	if mode == modeFull {
		// Read before the groups: listeners over the quota get no group.
		if listeners, cfg, err = r.readListeners(ctx, svc, cfg, st, tagged, manage); err != nil {
			return nil, err
		}
	}
	// Read after syncInstance, which makes an adopted CLB ours.
	trust := r.trustFor(ctx, svc, st, mode, fresh, created)
	gs, groups, err := r.syncVServerGroups(ctx, svc, cfg, st, strat, tagged, created, trust)
	if err != nil {
		return nil, err
	}
	if mode == modeBackends {
		r.recordVerified(svc, st, gs)
		r.views.put(svc.UID, st, gs, r.now())
		// Pods without an ENI yet: the backend-only caller (the endpoints
		// controller) retries; a full reconcile goes on to listeners and
		// status, the groups already kept their members.
		if ps, ok := strat.(*podStrategy); ok {
			return nil, ps.incompleteErr(svc)
		}
		return nil, nil
	}
	if err := r.syncListeners(ctx, svc, cfg, st.lb.LoadBalancerId, listeners, groups, manage); err != nil {
		return nil, err
	}
	if err := r.cleanup(ctx, svc, st, gs, groups, tagged); err != nil {
		return nil, err
	}
	// Queued only now: a group cleanup drops the Service from the record
	// first (a dirty mark), which would cancel an earlier clean mark.
	r.recordVerified(svc, st, gs)
	r.views.put(svc.UID, st, gs, r.now())
	return r.status(ctx, svc, cfg, st), nil
}

// findOrCreate finds the Service's CLB, picks how its members are built,
// and in modeFull creates the CLB when there is none (after checking the
// quotas, so a Service that cannot fit gets no CLB at all). A nil state
// with a nil error means there is nothing to do (modeBackends, no CLB).
func (r *Reconciler) findOrCreate(ctx context.Context, svc *v1.Service, cfg *annotations.Config, nodes []*v1.Node, mode ensureMode) (*lbState, backendStrategy, bool, error) {
	st, err := r.find(ctx, svc, configLookup(svc, cfg))
	if err != nil {
		var re *ReuseError
		if errors.As(err, &re) {
			r.events.Eventf(svc, v1.EventTypeWarning, ReasonReuseRefused, "%v", err)
		}
		return nil, nil, false, err
	}
	if st == nil && mode == modeBackends {
		return nil, nil, false, nil // EnsureLoadBalancer creates it
	}
	// Members come from endpoints when the endpoints controller installed
	// its source, else from the nodes (podstrategy.go).
	strat, err := r.pickStrategy(ctx, svc, cfg, nodes)
	if err != nil {
		return nil, nil, false, err
	}
	if st != nil {
		return st, strat, false, nil
	}
	if len(svc.Status.LoadBalancer.Ingress) > 0 {
		r.events.Eventf(svc, v1.EventTypeWarning, ReasonSyncFailed,
			"No CLB carries this Service's ownership tag although the Service has an address; creating a new CLB (its address will differ)")
	}
	if err := r.fitNewLB(ctx, svc, cfg, strat); err != nil {
		return nil, nil, false, err
	}
	if st, err = r.createLB(ctx, svc, cfg); err != nil {
		return nil, nil, false, err
	}
	return st, strat, true, nil
}

// readListeners lists the CLB's listeners, makes those this Service got
// under a legacy cluster ID read as ours, and, where the Service manages
// the listeners, drops the desired ones over the listener quota (the
// returned Config).
func (r *Reconciler) readListeners(ctx context.Context, svc *v1.Service, cfg *annotations.Config, st *lbState, tagged, manage bool) ([]slb.ListenerInDescribeLoadBalancerListeners, *annotations.Config, error) {
	listeners, err := r.listenersOf(ctx, st)
	if err != nil {
		return nil, nil, err
	}
	if tagged {
		r.recogniseLegacyListeners(svc, listeners)
	}
	if manage {
		if cfg, err = r.fitExistingListeners(svc, cfg, listeners); err != nil {
			return nil, nil, err
		}
	}
	return listeners, cfg, nil
}

// syncVServerGroups reads the CLB's vServer groups and converges the
// Service's groups and members. It returns the groups and each
// listener's group ID.
func (r *Reconciler) syncVServerGroups(ctx context.Context, svc *v1.Service, cfg *annotations.Config, st *lbState, strat backendStrategy, tagged, created bool, trust verifiedEntry) (*groupSet, map[listenerKey]string, error) {
	gs, err := r.loadGroups(ctx, st.lb.LoadBalancerId)
	if err != nil {
		if created && isNotFound(err) {
			// The ClientToken answered with a CLB that no longer exists
			// (deleted by hand after an earlier create): use a new token.
			r.bumpSalt(svc)
			return nil, nil, cloudproviderapi.NewRetryError("the CLB answered for this Service's create token no longer exists; creating a new one", busyRetryAfter)
		}
		return nil, nil, err
	}
	if tagged {
		gs.legacy = r.legacy
	}
	groups, err := r.syncGroups(ctx, svc, cfg, st.lb.LoadBalancerId, gs, strat, trust)
	if err != nil {
		return nil, nil, err
	}
	return gs, groups, nil
}

// syncListeners converges the source-ranges ACL, the listeners and the
// HTTPS domain extensions. Listeners of a reused CLB are managed only with
// force-override-listeners (manage).
func (r *Reconciler) syncListeners(ctx context.Context, svc *v1.Service, cfg *annotations.Config, lbID string,
	listeners []slb.ListenerInDescribeLoadBalancerListeners, groups map[listenerKey]string, manage bool) error {
	var aclID, staleACL string
	var err error
	if manage {
		if aclID, staleACL, err = r.syncACL(ctx, svc, cfg, listeners); err != nil {
			return err
		}
	} else if len(cfg.SourceRanges) > 0 {
		// No listener of ours to bind an ACL to: say so rather than
		// create an ACL nothing uses.
		r.events.Eventf(svc, v1.EventTypeWarning, ReasonAnnotationWarning,
			"spec.loadBalancerSourceRanges is not applied: the listeners of reused CLB %s are not managed by this Service (annotation %s%s is not \"true\"); restrict access on the CLB's own listeners",
			lbID, annoPrefix, annoOverride)
	}
	acts, err := r.planListeners(svc, cfg, listeners, groups, aclID, staleACL, manage)
	if err != nil {
		var ce *ListenerConflictError
		if errors.As(err, &ce) {
			r.events.Eventf(svc, v1.EventTypeWarning, ReasonListenerConflict, "CLB %s: %v", lbID, err)
		}
		return err
	}
	if err := r.checkListenerCerts(ctx, svc, acts); err != nil {
		return err
	}
	if err := r.applyListeners(ctx, svc, lbID, acts); err != nil {
		return err
	}
	if manage {
		return r.syncDomains(ctx, svc, cfg, lbID, listeners)
	}
	return nil
}

// cleanup deletes our vServer groups no listener needs any more and, on
// a reused CLB, takes our members out of the user's groups the Service no
// longer names (vgroup-port removed or pointed elsewhere).
func (r *Reconciler) cleanup(ctx context.Context, svc *v1.Service, st *lbState, gs *groupSet, groups map[listenerKey]string, tagged bool) error {
	r.cleanupGroups(ctx, svc, gs, groups, r.ids(tagged))
	if st.own != ownReused {
		return nil
	}
	keep := map[string]bool{}
	for _, id := range groups {
		keep[id] = true
	}
	return r.leaveUserGroups(ctx, svc, gs, keep)
}

// syncInstance checks the create-only fields and converges the mutable
// attributes of our (or the adopted) CLB; of a reused CLB, only the
// attributes the user annotated (the Wanted* methods of
// annotations.LoadBalancer leave the rest unset).
func (r *Reconciler) syncInstance(ctx context.Context, svc *v1.Service, cfg *annotations.Config, st *lbState) error {
	if st.own != ownReused {
		warnings, err := checkImmutable(&cfg.LB, &st.lb)
		if err != nil {
			r.events.Eventf(svc, v1.EventTypeWarning, ReasonImmutableField, "%v", err)
			return err
		}
		for _, w := range warnings {
			r.events.Event(svc, v1.EventTypeWarning, ReasonAnnotationWarning, w)
		}
	}
	writes, err := r.planLBAttrs(svc, &cfg.LB, st)
	if err != nil {
		r.events.Eventf(svc, v1.EventTypeWarning, ReasonImmutableField, "%v", err)
		return err
	}
	for _, w := range writes {
		if err := w.do(ctx); err != nil {
			return classifyErr(fmt.Sprintf("CLB %s: %s", st.lb.LoadBalancerId, w.what), err)
		}
	}
	if st.own == ownOfficial {
		klog.InfoS("Adopted the official CCM's CLB", "service", klog.KObj(svc), "loadBalancer", st.lb.LoadBalancerId)
		r.events.Eventf(svc, v1.EventTypeNormal, ReasonAdopted, "Adopted CLB %s created by the previous cloud controller manager for this Service (address %s kept)", st.lb.LoadBalancerId, st.lb.Address)
		st.own = ownOurs
	}
	return nil
}

// syncACL converges our source-ranges ACL. It returns the ACL to bind
// (none without source ranges) and an ACL of ours that is no longer wanted:
// its listeners get AclStatus off. The API keeps the ACL associated with
// the listeners (there is no parameter to clear AclId), and "You can delete
// an ACL only if it is not associated with a listener" (DeleteAccessControlList
// page), so the unused ACL is deleted with the CLB or our listeners
// (EnsureLoadBalancerDeleted) and reused if source ranges come back.
// Without source ranges and without an active ACL on our listeners it
// makes no call.
func (r *Reconciler) syncACL(ctx context.Context, svc *v1.Service, cfg *annotations.Config, listeners []slb.ListenerInDescribeLoadBalancerListeners) (string, string, error) {
	hint := ""
	for _, l := range listeners {
		if ownedBy(l.Description, svc, r.opts.ClusterID) && l.AclStatus == "on" && len(l.AclIds)+len(l.AclId) > 0 {
			hint = l.AclId
			if len(l.AclIds) > 0 {
				hint = l.AclIds[0]
			}
			break
		}
	}
	if len(cfg.SourceRanges) == 0 && hint == "" {
		return "", "", nil
	}
	acl, err := r.findACL(ctx, svc, hint)
	if err != nil {
		return "", "", err
	}
	if len(cfg.SourceRanges) == 0 {
		if acl != nil {
			return "", acl.id, nil
		}
		return "", "", nil
	}
	ranges := make([]string, 0, len(cfg.SourceRanges))
	for _, p := range cfg.SourceRanges {
		ranges = append(ranges, p.String())
	}
	id, err := r.ensureACL(ctx, svc, acl, ranges)
	return id, "", err
}

// cleanupGroups deletes our groups no listener of the Service needs any
// more (a NodePort change, a removed port). ids are the cluster IDs whose
// groups are ours on this CLB. Failures are logged only: the next
// reconcile retries, and the group does no harm meanwhile.
func (r *Reconciler) cleanupGroups(ctx context.Context, svc *v1.Service, gs *groupSet, used map[listenerKey]string, ids []string) {
	keep := map[string]bool{}
	for _, id := range used {
		keep[id] = true
	}
	var deleted []string
	for _, g := range gs.groups {
		if keep[g.id] || !ownedBy(g.name, svc, ids...) {
			continue
		}
		if err := r.beforeMemberWrite(ctx, svc); err != nil {
			klog.ErrorS(err, "Deleting an unused vServer group", "service", klog.KObj(svc), "group", g.id)
			break
		}
		if err := r.deleteGroup(ctx, g.id); err != nil {
			klog.ErrorS(err, "Deleting an unused vServer group", "service", klog.KObj(svc), "group", g.id)
			continue
		}
		deleted = append(deleted, g.id)
	}
	for _, id := range deleted {
		gs.remove(id)
	}
}

// recogniseLegacyListeners makes the listeners this Service got under a
// legacy cluster ID (Reconciler.SetClusterID) read as ours, on a CLB our
// tags prove is this Service's, by giving them our current description in
// the listing. The listing then plans them like any listener of ours; the
// description in the cloud keeps the legacy key, which stays recognised.
func (r *Reconciler) recogniseLegacyListeners(svc *v1.Service, listeners []slb.ListenerInDescribeLoadBalancerListeners) {
	if len(r.legacy) == 0 {
		return
	}
	for i := range listeners {
		l := &listeners[i]
		if !ownedBy(l.Description, svc, r.opts.ClusterID) && ownedBy(l.Description, svc, r.legacy...) {
			l.Description = keyFor(svc, r.opts.ClusterID, l.ListenerPort).listenerDescription()
		}
	}
}

// groupName is the name of the Service's vServer group for a port: under
// our cluster ID, or the group of that port named under a legacy ID when
// our tags prove the CLB ours (gs.legacy) and no group has our name. Its
// members carry the same legacy name as description, so the group and its
// members stay as they are: no second set of members on an upgrade, which
// the per-CLB backend quota might not hold.
func (r *Reconciler) groupName(gs *groupSet, svc *v1.Service, port int) string {
	name := keyFor(svc, r.opts.ClusterID, port).groupName()
	if gs == nil || len(gs.legacy) == 0 || gs.byName(name) != nil {
		return name
	}
	for _, id := range gs.legacy {
		if old := keyFor(svc, id, port).groupName(); gs.byName(old) != nil {
			return old
		}
	}
	return name
}
