package loadbalancer

import (
	"context"
	"errors"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// EnsureLoadBalancerDeleted removes what this Service owns; the framework
// calls it when the Service is deleted or stops being a LoadBalancer.
//
//   - Our CLB (created or adopted): delete protection is turned off, then
//     the CLB is deleted with its listeners and groups, then our
//     source-ranges ACL.
//   - Our CLB with preserve-lb-on-delete: as the official CCM does, the CLB
//     keeps its listeners, groups and address (so traffic keeps flowing
//     while the user decides), our ownership tags and the official CCM's
//     kubernetes.do.not.delete tag are removed so no Service adopts it
//     again, and delete and console modification protection are turned
//     off so the user can delete it.
//   - A reused CLB (id annotation) is never deleted: our listeners, our
//     vServer groups, our members of the user's groups and our ACL are
//     removed; everything else stays.
//   - A reused CLB that is now refused (tagged by a CCM or a cluster
//     after we reused it) is handled like a reused one: only what our
//     descriptions and tags prove ours is removed.
//   - Several CLBs carry our tags (Ensure refuses to pick one): each is
//     deleted as our CLB, so the Service can still go.
//   - The id annotation names another CLB than the one we own by our tags
//     (added after the fact; Ensure refuses it): our CLB is deleted as
//     above and the annotated CLB is not touched.
//
// It reads only the id and name annotations, through the lenient
// accessors of package annotations (LenientLookup in find_shared.go), not the
// full parser, so a Service whose other annotations no longer parse can
// still be cleaned up; preserve-lb-on-delete is read the same way. It
// returns nil when there is nothing of ours.
func (r *Reconciler) EnsureLoadBalancerDeleted(ctx context.Context, _ string, svc *v1.Service) error {
	defer r.LockService(serviceKey(svc))()
	r.deleted.mark(svc.UID, time.Now())
	r.views.drop(svc.UID)
	r.forgetVerified(svc)
	st, err := r.find(ctx, svc, LenientLookup(svc))
	var changed *CLBChangedError
	var dup *DuplicateError
	if errors.As(err, &dup) {
		// Every one of them is ours by its tags: delete them all.
		for _, st := range dup.ours {
			if err := r.deleteOwn(ctx, svc, st); err != nil {
				return err
			}
		}
		return r.deleteOurACL(ctx, svc)
	}
	if errors.As(err, &changed) {
		// The id annotation was added or changed after the Service got its
		// CLB: what we own (by our tags) is still ours to clean up, and
		// the CLB the annotation names was never touched (Ensure refuses).
		st, err = changed.ours, nil
	}
	if err != nil {
		var re *ReuseError
		if errors.As(err, &re) {
			if re.gone {
				// The reused CLB was deleted by hand: our ACL, which only
				// its listeners used, is left to delete.
				return r.deleteOurACL(ctx, svc)
			}
			if re.refused != nil {
				// Refused now (tagged after we reused it, say), but the
				// listeners, groups and members proven ours by their
				// descriptions, and our ACL, are still ours: remove those
				// and nothing else; the CLB itself is not modified.
				if err := r.cleanReused(ctx, svc, re.refused); err != nil {
					return err
				}
				r.events.Eventf(svc, v1.EventTypeNormal, ReasonReusedCleaned,
					"Removed this Service's listeners, vServer groups and backends from CLB %s, which may no longer be reused (%s); nothing else on it was changed", re.ID, re.Reason)
			}
			return r.deleteOurACL(ctx, svc)
		}
		return err
	}
	if st == nil {
		return r.deleteOurACL(ctx, svc)
	}
	if st.own == ownReused {
		if err := r.cleanReused(ctx, svc, st); err != nil {
			return err
		}
		r.events.Eventf(svc, v1.EventTypeNormal, ReasonReusedCleaned, "Removed this Service's listeners, vServer groups and backends from reused CLB %s; the CLB is kept", st.lb.LoadBalancerId)
		return r.deleteOurACL(ctx, svc)
	}
	if keep, warnings := annotations.PreserveOnDelete(svc); keep {
		for _, w := range warnings {
			r.events.Event(svc, v1.EventTypeWarning, ReasonAnnotationWarning, w)
		}
		return r.preserve(ctx, svc, st)
	}
	if err := r.deleteOwn(ctx, svc, st); err != nil {
		return err
	}
	return r.deleteOurACL(ctx, svc)
}

// deleteOwn deletes our (or the adopted) CLB with its listeners and
// groups, turning delete protection off first.
func (r *Reconciler) deleteOwn(ctx context.Context, svc *v1.Service, st *lbState) error {
	id := st.lb.LoadBalancerId
	if st.lb.DeleteProtection == "on" {
		if err := r.setDeleteProtection(ctx, id, "off"); err != nil && !isNotFound(err) {
			return classifyErr("CLB "+id+": turning delete protection off", err)
		}
	}
	req := slb.CreateDeleteLoadBalancerRequest()
	req.LoadBalancerId = id
	if _, err := r.slb.DeleteLoadBalancer(ctx, req); err != nil && !isNotFound(err) {
		return classifyErr("deleting CLB "+id, err)
	}
	r.attached.forgetLB(id)
	klog.InfoS("Deleted CLB", "service", klog.KObj(svc), "loadBalancer", id)
	r.events.Eventf(svc, v1.EventTypeNormal, ReasonDeleted, "Deleted CLB %s", id)
	return nil
}

// preserve hands our CLB over to the user (preserve-lb-on-delete), with
// our source-ranges ACL: the kept listeners still use it, and an ACL bound
// to a listener cannot be deleted ("You can delete an ACL only if it is not
// associated with a listener", DeleteAccessControlList page), so a retried
// delete of the Service would be stuck on it. The ACL loses our tags
// before the CLB does: a crash in between finds the CLB still ours and
// hands over again.
func (r *Reconciler) preserve(ctx context.Context, svc *v1.Service, st *lbState) error {
	id := st.lb.LoadBalancerId
	acls, err := r.ourACLs(ctx, svc)
	if err != nil {
		return err
	}
	for _, acl := range acls {
		if err := r.untag(ctx, "acl", acl, []string{TagClusterID, TagServiceUID}); err != nil && !isNotFound(err) {
			return classifyErr("ACL "+acl+": removing ownership tags", err)
		}
	}
	if st.lb.DeleteProtection == "on" {
		if err := r.setDeleteProtection(ctx, id, "off"); err != nil {
			return classifyErr("CLB "+id+": turning delete protection off", err)
		}
	}
	if st.lb.ModificationProtectionStatus == "ConsoleProtection" {
		if err := r.setModificationProtection(ctx, id, "NonProtection", ""); err != nil {
			return classifyErr("CLB "+id+": turning modification protection off", err)
		}
	}
	var keys []string
	for _, k := range []string{TagClusterID, TagServiceUID, TagService, TagAdditionalKeys, TagOfficialOwner} {
		if _, ok := st.tags[k]; ok {
			keys = append(keys, k)
		}
	}
	if len(keys) > 0 {
		if err := r.untag(ctx, "instance", id, keys); err != nil {
			return classifyErr("CLB "+id+": removing ownership tags", err)
		}
	}
	r.events.Eventf(svc, v1.EventTypeWarning, ReasonPreserved,
		"CLB %s (%s) was kept (preserve-lb-on-delete) with its listeners and their source-ranges ACL; it no longer belongs to this Service and must be deleted by hand when no longer needed", id, st.lb.Address)
	return nil
}

// cleanReused removes our objects from a reused CLB. Listeners we created
// are deleted even without force-override-listeners: they point at our
// vServer groups, which cannot be deleted while in use (RspoolVipExist).
func (r *Reconciler) cleanReused(ctx context.Context, svc *v1.Service, st *lbState) error {
	id := st.lb.LoadBalancerId
	listeners, err := r.listListeners(ctx, id)
	if err != nil {
		return err
	}
	var acts []listenerAction
	for _, l := range listeners {
		if ownedBy(l.Description, svc, r.opts.ClusterID) {
			acts = append(acts, listenerAction{op: opDelete, port: l.ListenerPort, proto: annotations.Protocol(l.ListenerProtocol), forward: l.HTTPListenerConfig.ListenerForward == "on"})
		}
	}
	sortActions(acts)
	if err := r.applyListeners(ctx, svc, id, acts); err != nil {
		return err
	}
	gs, err := r.loadGroups(ctx, id)
	if err != nil {
		return err
	}
	for _, g := range gs.groups {
		if ownedBy(g.name, svc, r.opts.ClusterID) {
			if err := r.deleteGroup(ctx, g.id); err != nil {
				return err
			}
		}
	}
	return r.leaveUserGroups(ctx, svc, gs, nil)
}

// leaveUserGroups removes the members we added from the users' vServer
// groups of a reused CLB (vgroup-port), except the groups in keep (those
// the Service still names). Members are ours by their description; the
// users' own members are never touched. It reads each user group with
// members once, so it runs on reused CLBs only.
func (r *Reconciler) leaveUserGroups(ctx context.Context, svc *v1.Service, gs *groupSet, keep map[string]bool) error {
	for i := range gs.groups {
		g := &gs.groups[i]
		if keep[g.id] || managedByAnyCCM(g.name) || g.count == 0 {
			continue // still named, a CCM's group, or nothing to look at
		}
		members, err := r.members(ctx, g.id)
		if err != nil {
			return err
		}
		var ours []backend
		for _, m := range members {
			if ownedBy(m.Description, svc, r.opts.ClusterID) {
				ours = append(ours, m)
			}
		}
		if err := r.applyPlan(ctx, svc, gs, g, backendPlan{remove: ours}); err != nil {
			return err
		}
	}
	return nil
}

// deleteOurACL deletes the Service's source-ranges ACLs: every ACL whose
// tags prove it is the Service's (normally one). A same-named ACL without
// our tags is never deleted.
func (r *Reconciler) deleteOurACL(ctx context.Context, svc *v1.Service) error {
	ids, err := r.ourACLs(ctx, svc)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := r.deleteACL(ctx, id); err != nil {
			return err
		}
	}
	return nil
}
