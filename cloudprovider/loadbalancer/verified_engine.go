package loadbalancer

import (
	"context"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// SetRecordStore installs the store of the verified-backends record
// (verified.go). Without one, every reconcile reads every group's
// members. It must be called before the first reconcile (cloud provider
// Initialize).
func (r *Reconciler) SetRecordStore(s RecordStore) { r.verified.setStore(s) }

// StartRecordFlusher writes the queued verified-backends records every
// few seconds until stop, and the whole queue at stop.
func (r *Reconciler) StartRecordFlusher(stop <-chan struct{}) {
	go r.verified.run(stop, verifiedFlushInterval)
}

// FlushRecord writes the whole queue of verified-backends records now,
// within timeout: at a graceful shutdown, whose signal does not reach the
// provider's stop channel while leader election runs (the framework runs
// the controllers under a context of its own).
func (r *Reconciler) FlushRecord(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return r.verified.flush(ctx, false)
}

// trustFor returns the record this reconcile may take members from, or
// nil: only the first full reconcile of a Service after a start whose CLB
// came from the start-up listing (fresh), on a CLB our tags prove the
// Service's (not reused, not adopted in this reconcile, not just
// created). Any later reconcile reads members, as does one for which the
// record has nothing.
func (r *Reconciler) trustFor(ctx context.Context, svc *v1.Service, st *lbState, mode ensureMode, fresh, created bool) verifiedEntry {
	if mode != modeFull || !fresh || created || st == nil || st.own != ownOurs {
		return nil
	}
	return r.verified.trusted(ctx, svc.UID)
}

// trustMembers decides whether the Service's members are taken from the
// record instead of read: every group the Service needs must be its own
// (no user's group named by vgroup-port), have a complete plan (no pod
// waiting for its ENI), exist with the recorded ID and with the recorded
// ServerCount (a member added or removed by hand changes it), and its
// plan must hash to the recorded digest (any change of nodes, endpoints,
// weights or annotations since changes it). All or nothing: one group
// that does not match has every group read. Trusted groups get the plan
// as their members, which makes their diff empty.
func (r *Reconciler) trustMembers(svc *v1.Service, cfg *annotations.Config, targets []*groupTarget, trust verifiedEntry) bool {
	if trust == nil || len(targets) == 0 {
		return false
	}
	for _, t := range targets {
		if t.userID != "" || t.incomplete || t.group == nil {
			return false
		}
		rec := trust.group(t.group.id)
		if rec == nil || rec.count != t.group.count || rec.digest != memberDigest(t.desired, cfg.Backend.IgnoreWeightUpdate) {
			klog.V(4).InfoS("The verified-backends record does not match; reading members", "service", klog.KObj(svc), "group", t.group.id)
			return false
		}
	}
	for _, t := range targets {
		t.trusted = true
		t.actual = dedupMembers(t.desired)
		t.base = t.group.count
		// The plan is the group's whole membership only when the counts
		// agree; members someone added by hand (in ServerCount, not in
		// the plan) are unknown, so the quota index keeps the group
		// unread and bounds it as holding any server.
		if t.group.count == len(t.actual) {
			r.attached.setMembers(t.group.id, t.actual)
		} else {
			r.attached.markUnread([]string{t.group.id})
		}
	}
	klog.V(2).InfoS("Members match the verified-backends record; not reading them", "service", klog.KObj(svc), "groups", len(targets))
	return true
}

// dedupMembers is the members once each (the diff counts a member listed
// twice once).
func dedupMembers(ms []backend) []backend {
	seen := make(map[string]bool, len(ms))
	out := make([]backend, 0, len(ms))
	for _, m := range ms {
		if !seen[m.key()] {
			seen[m.key()] = true
			out = append(out, m)
		}
	}
	return out
}

// verifiedOf is the record of a syncGroups that succeeded: every group's
// members are now the plan. nil when the Service cannot be recorded (a
// user's group, whose other members are not ours to vouch for, or pods
// without an ENI, whose plan is not the whole truth).
func verifiedOf(cfg *annotations.Config, targets []*groupTarget) verifiedEntry {
	if len(targets) == 0 {
		return nil
	}
	out := make(verifiedEntry, 0, len(targets))
	for _, t := range targets {
		if t.userID != "" || t.incomplete || t.group == nil {
			return nil
		}
		out = append(out, verifiedGroup{id: t.group.id, count: t.count, digest: memberDigest(t.desired, cfg.Backend.IgnoreWeightUpdate)})
	}
	return out
}

// beforeMemberWrite is the dirty mark before any member write of the
// Service (a group created with members or deleted, members added,
// removed or changed): its record is removed first, so a crash during the
// writes can never leave a record vouching for members that changed. It
// costs nothing for a Service without a stored record.
func (r *Reconciler) beforeMemberWrite(ctx context.Context, svc *v1.Service) error {
	return r.verified.dirty(ctx, svc.UID)
}

// recordVerified queues the record of a reconcile that ended with the
// Service's members verified (ensure, syncFromView), on a CLB our tags
// prove the Service's.
func (r *Reconciler) recordVerified(svc *v1.Service, st *lbState, gs *groupSet) {
	if st == nil || gs == nil || st.own != ownOurs || gs.verified == nil {
		return
	}
	r.verified.clean(svc.UID, gs.verified)
}

// forgetVerified queues the removal of a deleted Service's record.
func (r *Reconciler) forgetVerified(svc *v1.Service) { r.verified.forget(svc.UID) }
