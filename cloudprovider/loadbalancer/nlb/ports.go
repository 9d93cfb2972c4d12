package nlb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"
	cloudproviderapi "k8s.io/cloud-provider/api"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// portsInput is what the instance level hands the port level (listeners,
// server groups, servers) once the NLB exists and is proven the Service's.
type portsInput struct {
	// LB is the NLB as ListLoadBalancers (or GetLoadBalancerAttribute, copied over)
	// shows it (ID, VpcId, zones, security groups, tags).
	LB *sdknlb.LoadbalancerInfo
	// Reused is true for the user's NLB (id annotation): only listeners
	// on the Service's ports with force-override-listeners, and only
	// server groups the CCM created or vgroup-port names, are touched.
	Reused bool
	Cfg    *annotations.NLBConfig
	Svc    *v1.Service
	// Nodes are the framework's candidate nodes.
	Nodes []*v1.Node
	// BackendsOnly is true for UpdateLoadBalancer: converge servers only.
	BackendsOnly bool
}

// portRetryAfter is how soon a reconcile that stopped at a running NLB job
// (or a busy answer) is retried: NLB jobs take seconds, and a fixed short
// delay converges faster than the framework's exponential backoff.
const portRetryAfter = 5 * time.Second

// syncPorts converges the listeners, server groups and servers of
// in.LB for in.Svc. It returns the IDs of the jobs its writes started
// (the caller waits for them without blocking: a retry error).
//
// Order: read everything (listeners, the Service's server groups, their
// members), plan the listeners (a port held by a listener that is not
// ours stops the reconcile before any write), create and converge server
// groups, converge their members, converge the listeners, then delete our
// server groups no listener needs any more. A write to a resource whose
// job from this reconcile still runs is left for the next reconcile, which
// the caller runs once the returned jobs ended; nothing waits here.
func (r *Reconciler) syncPorts(ctx context.Context, in portsInput) (jobs []string, err error) {
	jobs, _, err = r.syncPortsDone(ctx, in)
	return jobs, err
}

// syncPortsDone is syncPorts that also reports whether the run sent every
// write its plan needed (done): no write waits behind a running job, and no
// member was held back for a pod whose ENI is not known yet. Once the
// returned jobs succeeded, the port level is then what the Service asks for.
func (r *Reconciler) syncPortsDone(ctx context.Context, in portsInput) (jobs []string, done bool, err error) {
	jt := newPortJobs(r.api)
	err = r.syncPortsWith(ctx, jt, in)
	done = err == nil && jt.finished()
	jobs, err = jt.result(err, in.BackendsOnly)
	return jobs, done, err
}

func (r *Reconciler) syncPortsWith(ctx context.Context, jt *portJobs, in portsInput) error {
	lbID := in.LB.LoadBalancerId
	members, err := r.buildMembers(ctx, in)
	if err != nil {
		return err
	}
	var listed []sdknlb.ListenerInfo
	if !in.BackendsOnly {
		if listed, err = r.listListeners(ctx, lbID); err != nil {
			return err
		}
	}
	gs, err := r.loadGroups(ctx, in)
	if err != nil {
		return err
	}
	specs, byListener, err := r.groupSpecs(in, members, gs)
	if err != nil {
		return err
	}
	var plan *listenerPlan
	if !in.BackendsOnly {
		if plan, err = r.planListeners(in, listed, byListener); err != nil {
			return err
		}
	}
	// Quotas are checked once everything is read, before the first write.
	if err := r.fitPorts(ctx, in, specs, listed); err != nil {
		return err
	}
	if !in.BackendsOnly {
		if err := r.syncGroups(ctx, jt, in, specs); err != nil {
			return err
		}
	}
	for _, s := range specs {
		jt.incomplete = jt.incomplete || s.incomplete
		if err := r.syncGroupServers(ctx, jt, in, s); err != nil {
			return err
		}
	}
	if in.BackendsOnly {
		return nil
	}
	if err := r.applyListeners(ctx, jt, in, plan); err != nil {
		return err
	}
	return r.deleteStaleGroups(ctx, jt, in.Svc, lbID, gs.stale, plan)
}

// deletePorts removes the listeners and server groups the CCM made for
// svc on lbID and its servers from server groups it does not own; it
// never touches foreign ones. Called before an owned NLB is deleted
// (server groups outlive their NLB) and for a reused NLB. lbID may be
// empty when the NLB is gone: the Service's server groups are still
// found by their tags.
func (r *Reconciler) deletePorts(ctx context.Context, lbID string, svc *v1.Service) (jobs []string, err error) {
	jt := newPortJobs(r.api)
	return jt.result(r.deletePortsWith(ctx, jt, lbID, svc), false)
}

func (r *Reconciler) deletePortsWith(ctx context.Context, jt *portJobs, lbID string, svc *v1.Service) error {
	lbIDs := []string{lbID}
	if lbID == "" {
		// The NLB is not known: gone, or a reused one whose id annotation
		// was removed before the delete. The Service's server groups,
		// found by our tags anywhere, name the NLBs whose listeners use
		// them; those listeners may be ours and hold the groups.
		owned, err := r.ownedGroups(ctx, svc)
		if err != nil {
			return err
		}
		lbIDs = relatedNLBs(owned)
	}
	// shared are the server groups of listeners not ours: the user's
	// groups, where the Service may have members (vgroup-port).
	var shared []string
	for _, id := range lbIDs {
		s, idle, err := r.deleteOwnListeners(ctx, jt, id, svc)
		if err != nil || !idle {
			return err
		}
		shared = append(shared, s...)
	}
	groups, err := r.ownedGroups(ctx, svc)
	if err != nil {
		return err
	}
	for i := range groups {
		g := &groups[i]
		if len(g.RelatedLoadBalancerIds) > 0 {
			// A listener we do not own uses our group (or a listener of an
			// NLB we no longer see): deleting it would fail, and its
			// listener is not ours to remove.
			r.events.Eventf(svc, v1.EventTypeWarning, loadbalancer.ReasonForeignObject,
				"Server group %s (%s) is still used by listeners of %s that this Service does not own; it is left in place",
				g.ServerGroupId, g.ServerGroupName, strings.Join(g.RelatedLoadBalancerIds, ","))
			continue
		}
		if err := r.deleteGroup(ctx, jt, g.ServerGroupId); err != nil {
			return err
		}
	}
	return r.removeFromUserGroups(ctx, jt, svc, shared)
}

// deleteOwnListeners deletes the Service's listeners on NLB lbID (none
// when lbID is "") and returns the server groups of the listeners that
// are not ours; idle is true once the listener deletes' jobs ended (a
// server group is deletable only when no listener uses it). Not idle (a
// job still runs, recorded in jt) ends this round of the delete.
func (r *Reconciler) deleteOwnListeners(ctx context.Context, jt *portJobs, lbID string, svc *v1.Service) (shared []string, idle bool, err error) {
	if lbID == "" {
		return nil, true, nil
	}
	listed, err := r.listListeners(ctx, lbID)
	if err != nil {
		return nil, false, err
	}
	deleted := false
	for i := range listed {
		l := &listed[i]
		if !r.ownsTags(listenerTags(l), svc) {
			shared = append(shared, l.ServerGroupId)
			continue
		}
		if ok, err := jt.idle(ctx, lbID); err != nil || !ok {
			return nil, false, err
		}
		if err := r.deleteListener(ctx, jt, lbID, l); err != nil {
			return nil, false, err
		}
		deleted = true
	}
	if deleted {
		if ok, err := jt.idle(ctx, lbID); err != nil || !ok {
			return nil, false, err
		}
	}
	return shared, true, nil
}

// relatedNLBs lists, once each, the NLBs whose listeners use groups.
func relatedNLBs(groups []sdknlb.ServerGroup) []string {
	var ids []string
	for _, g := range groups {
		for _, id := range g.RelatedLoadBalancerIds {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// removeFromUserGroups removes the Service's members (by description) from
// the user's server groups: those vgroup-port names and those the NLB's
// listeners that are not ours use (vgroup-port may have changed since);
// other members stay.
func (r *Reconciler) removeFromUserGroups(ctx context.Context, jt *portJobs, svc *v1.Service, shared []string) error {
	ids := map[string]bool{}
	for _, id := range shared {
		ids[id] = id != ""
	}
	if cfg, err := annotations.ParseNLB(svc, r.opts.Defaults); err == nil {
		for _, id := range cfg.Backend.VGroupPorts {
			ids[id] = true
		}
	}
	owned := r.ownsServer(svc)
	for _, id := range sortedTrue(ids) {
		actual, err := r.listServers(ctx, id)
		if cloudapi.IsNotFound(err) {
			continue
		}
		if err != nil {
			return portErr("listing members of server group "+id, err)
		}
		p := diffServers(nil, actual, owned, false)
		if err := r.applyServers(ctx, jt, id, p); err != nil {
			return err
		}
	}
	return nil
}

// portJobs tracks the jobs one reconcile's writes started: the last job
// per resource (a resource takes no write while its job runs) and the jobs
// that stopped a write.
type portJobs struct {
	api     API
	all     []string
	last    map[string]string
	pending []string
	// running are the jobs seen running in this reconcile.
	running map[string]bool
	// incomplete: a group's desired members are not all known (pods
	// without an ENI yet), so a later sync has more to do.
	incomplete bool
	// deferred: adds were held back until this reconcile's removals end
	// (deferAdds), so a later sync has more to do.
	deferred bool
}

// finished reports whether the reconcile sent every write its plan needs:
// no write waits behind a running job, no member waits for an ENI and no
// add waits for removals.
func (j *portJobs) finished() bool {
	return len(j.pending) == 0 && !j.incomplete && !j.deferred
}

func newPortJobs(api API) *portJobs {
	return &portJobs{api: api, last: map[string]string{}, running: map[string]bool{}}
}

// add records jobs that changed resource.
func (j *portJobs) add(resource string, ids ...string) {
	for _, id := range ids {
		if id != "" {
			j.all = append(j.all, id)
			j.last[resource] = id
		}
	}
}

// idle reports whether resource may take a write: no job of this
// reconcile on it still runs. It asks without waiting, and once per
// reconcile for every job: the first question covers the last job of
// every resource not yet seen running (one call for up to 20 jobs), and a
// job seen running counts as running for the rest of the reconcile (it
// started moments ago; the next reconcile asks again). A running job is
// remembered, so the reconcile ends with a retry error. A failed job is an
// error naming it.
func (j *portJobs) idle(ctx context.Context, resource string) (bool, error) {
	id := j.last[resource]
	if id == "" {
		return true, nil
	}
	if !j.running[id] {
		var ask []string
		for _, job := range j.last {
			if !j.running[job] {
				ask = append(ask, job)
			}
		}
		sort.Strings(ask)
		pending, err := j.api.PendingJobs(ctx, ask)
		if err != nil {
			return false, portErr("checking NLB jobs "+strings.Join(ask, ","), err)
		}
		for _, p := range pending {
			j.running[p] = true
		}
		for res, job := range j.last {
			if slices.Contains(ask, job) && !j.running[job] {
				delete(j.last, res) // ended: the resource takes writes
			}
		}
	}
	if !j.running[id] {
		return true, nil
	}
	if !slices.Contains(j.pending, id) {
		j.pending = append(j.pending, id)
	}
	return false, nil
}

// absorb turns a write's *cloudapi.JobsPendingError (a batched write that
// stopped at its previous batch's running job) into a pending job, and
// wraps other errors (portErr).
func (j *portJobs) absorb(step string, err error) error {
	var jp *cloudapi.JobsPendingError
	if errors.As(err, &jp) {
		for _, id := range jp.Jobs {
			j.running[id] = true
		}
		j.pending = append(j.pending, jp.Jobs...)
		return nil
	}
	return portErr(step, err)
}

// result is what syncPorts and deletePorts return: every job started, and
// err. A write left behind a running job needs no error of its own when
// the caller waits for the returned jobs and reconciles again (the full
// reconcile and the delete do); with retry (the backend-only sync, which
// does not wait) it is a retry error.
func (j *portJobs) result(err error, retry bool) ([]string, error) {
	switch {
	case err != nil || !retry:
	case len(j.pending) > 0:
		err = cloudproviderapi.NewRetryError(fmt.Sprintf("NLB jobs still running: %s; the remaining changes follow when they end",
			strings.Join(j.pending, ",")), portRetryAfter)
	case j.deferred:
		err = cloudproviderapi.NewRetryError("server adds wait for this sync's removals (a quota would be passed on the way); they follow in the next sync", portRetryAfter)
	}
	return j.all, err
}

// portErr wraps an API error of step: busy answers (a job of another
// reconcile or of the console still runs on the resource) become a retry
// error; others keep their cause.
func portErr(step string, err error) error {
	if err == nil {
		return nil
	}
	var re *cloudproviderapi.RetryError
	if errors.As(err, &re) {
		return err
	}
	if cloudapi.IsBusy(err) || cloudapi.IsJobsPending(err) {
		return cloudproviderapi.NewRetryError(fmt.Sprintf("%s: the NLB resource is busy with another change, retrying: %v", step, err), portRetryAfter)
	}
	return fmt.Errorf("%s: %w", step, err)
}

// ownershipTags are the tags every listener and server group the CCM
// creates for svc carries (the CLB engine's keys).
func (r *Reconciler) ownershipTags(svc *v1.Service) [][2]string {
	return [][2]string{
		{loadbalancer.TagClusterID, r.opts.ClusterID},
		{loadbalancer.TagServiceUID, string(svc.UID)},
		{loadbalancer.TagService, svc.Namespace + "/" + svc.Name},
	}
}

// ownsTags reports whether tags prove a resource svc's in this cluster.
func (r *Reconciler) ownsTags(tags map[string]string, svc *v1.Service) bool {
	return tags[loadbalancer.TagServiceUID] == string(svc.UID) && tags[loadbalancer.TagClusterID] == r.opts.ClusterID
}

// listenerTags reads a listed listener's tags.
func listenerTags(l *sdknlb.ListenerInfo) map[string]string {
	m := make(map[string]string, len(l.Tags))
	for _, t := range l.Tags {
		m[t.Key] = t.Value
	}
	return m
}

// groupTags reads a listed server group's tags (Key/Value, or the
// TagKey/TagValue spelling some answers use).
func groupTags(g *sdknlb.ServerGroup) map[string]string {
	m := make(map[string]string, len(g.Tags))
	for _, t := range g.Tags {
		if t.Key != "" {
			m[t.Key] = t.Value
		} else {
			m[t.TagKey] = t.TagValue
		}
	}
	return m
}

// createToken is the ClientToken of a create for svc: a retry after a lost
// answer or a crash (same Service version, within the same ten minutes)
// is answered with the first create's result instead of a duplicate. The
// resource version and the time window keep the token from answering with
// a resource deleted since; when it still does (the resource was deleted
// within the window), the create is sent again with the gone resource's ID
// as salt (createAgain), which is as deterministic across a crash.
func createToken(svc *v1.Service, kind, key, salt string, now time.Time) string {
	h := sha256.Sum256([]byte(strings.Join([]string{string(svc.UID), svc.ResourceVersion, kind, key, salt,
		strconv.FormatInt(now.Unix()/600, 10)}, "|")))
	return hex.EncodeToString(h[:])[:40]
}

// Character rules of NLB names and descriptions (CreateServerGroup
// ServerGroupName: 2-128 characters, letters, digits, periods, underscores
// and hyphens, starting with a letter; CreateListener ListenerDescription:
// 2-256 characters, letters, digits and ,.;/@_-).
const (
	nameChars          = "._-"
	descriptionChars   = ",.;/@_-"
	maxNameLen         = 128
	maxDescriptionLen  = 256
	unsanitizedReplace = '-'
)

// sanitize replaces characters outside letters, digits and extra.
func sanitize(s, extra string) string {
	return strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(extra, c) {
			return c
		}
		return unsanitizedReplace
	}, s)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// logWrite logs one write of the port level.
func logWrite(svc *v1.Service, what, id string) {
	klog.V(2).InfoS("NLB port-level change", "service", klog.KObj(svc), "change", what, "resource", id)
}

// sortedTrue are the keys of m whose value is true, sorted.
func sortedTrue(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k, ok := range m {
		if ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
