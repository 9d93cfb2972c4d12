package loadbalancer

import (
	"context"
	"encoding/json"
	"sort"
	"sync"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// attachIndex knows, per backend server, the vServer groups of this
// cluster's CLBs it is a member of: the usage of the vServer groups per
// server quota (slb_quota_backendserver_attached_num).
//
// How it learns them, cheaply: no API answers "how many groups is this
// instance in" (DescribeLoadBalancers' ServerId filter names CLBs, not
// groups, and would cost a call per node), so the index is fed by the
// reads and writes reconciles make anyway: every listing of a CLB's
// groups (loadGroups) replaces that CLB's group list, every read of a
// group's members (DescribeVServerGroupAttribute) replaces its members,
// every member write and group create/delete updates it, and a deleted
// CLB is forgotten. Before the first plan with joins after a start it is
// filled once from the cloud (warm): one paged DescribeLoadBalancers for
// the CLBs tagged with this cluster and one DescribeVServerGroups per CLB.
// The groups with members it lists are "unread" until a reconcile reads
// their members: a server is in at most the groups known to hold it plus
// every unread one. Only when that bound would put a joining server over
// the quota are the unread groups' members read (one
// DescribeVServerGroupAttribute each). The bound is the common case's
// answer: where every node is a member of every group (the default), the
// quota already holds all the cluster's groups, so a node joining them
// fits without a member read; the syncs of a node change then read each
// group's members once, themselves, instead of a warm-up reading them all
// before them. Plans without joins (the steady state) never consult it. A
// count over the quota is re-read from the cloud before anything is
// refused, so a stale entry cannot block a Service. Groups the cluster
// cannot see (other clusters' or hand-made CLBs) are not counted: for them
// the API's quota answer still stops the write and is reported as a
// QuotaError.
type attachIndex struct {
	// warming serialises the one-time fill, so concurrent reconciles at
	// start-up do not each list the cluster's CLBs.
	warming sync.Mutex
	mu      sync.Mutex
	warmed  bool
	// groups: group ID -> server ID -> entries (one per port or IP).
	groups map[string]map[string]int
	// lbGroups: CLB ID -> its group IDs, from the last listing.
	lbGroups map[string][]string
	// unread: groups the warm-up listed with members whose members were
	// not read since (each may hold any server).
	unread map[string]bool
}

// setLB records the groups a listing of CLB lbID returned; groups of it
// no longer listed are dropped.
func (x *attachIndex) setLB(lbID string, ids []string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.init()
	keep := map[string]bool{}
	for _, id := range ids {
		keep[id] = true
	}
	for _, id := range x.lbGroups[lbID] {
		if !keep[id] {
			delete(x.groups, id)
			delete(x.unread, id)
		}
	}
	x.lbGroups[lbID] = ids
}

// forgetLB drops a deleted CLB's groups.
func (x *attachIndex) forgetLB(lbID string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.init()
	for _, id := range x.lbGroups[lbID] {
		delete(x.groups, id)
		delete(x.unread, id)
	}
	delete(x.lbGroups, lbID)
}

// setMembers records a group's members as read.
func (x *attachIndex) setMembers(groupID string, ms []backend) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.init()
	m := map[string]int{}
	for _, b := range ms {
		m[b.ServerID]++
	}
	x.groups[groupID] = m
	delete(x.unread, groupID)
}

// created records a group we created on CLB lbID with its first members.
func (x *attachIndex) created(lbID, groupID string, ms []backend) {
	x.setMembers(groupID, ms)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.lbGroups[lbID] = append(x.lbGroups[lbID], groupID)
}

// change applies a successful member write (add > 0, remove < 0).
func (x *attachIndex) change(groupID string, bs []backend, delta int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.init()
	m := x.groups[groupID]
	if m == nil {
		m = map[string]int{}
		x.groups[groupID] = m
	}
	for _, b := range bs {
		if m[b.ServerID] += delta; m[b.ServerID] <= 0 {
			delete(m, b.ServerID)
		}
	}
}

// dropGroup forgets a deleted group.
func (x *attachIndex) dropGroup(groupID string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.groups, groupID)
	delete(x.unread, groupID)
}

// markUnread records groups listed with members that were not read.
func (x *attachIndex) markUnread(ids []string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.init()
	for _, id := range ids {
		if _, read := x.groups[id]; !read {
			x.unread[id] = true
		}
	}
}

// unreadGroups returns the unread groups.
func (x *attachIndex) unreadGroups() []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := make([]string, 0, len(x.unread))
	for id := range x.unread {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

func (x *attachIndex) init() {
	if x.groups == nil {
		x.groups, x.lbGroups, x.unread = map[string]map[string]int{}, map[string][]string{}, map[string]bool{}
	}
}

// count returns, per server, the groups it is in, and the groups holding
// any of them.
func (x *attachIndex) count(servers []string) (map[string]int, map[string]bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	want := map[string]bool{}
	for _, s := range servers {
		want[s] = true
	}
	out, holding := map[string]int{}, map[string]bool{}
	for id, m := range x.groups {
		for s := range m {
			if want[s] {
				out[s]++
				holding[id] = true
			}
		}
	}
	return out, holding
}

// counts returns how many groups each server of joins is in, at most:
// exact for a server the joins (server -> groups to join) would put near
// the quota, else possibly more (it counts the unread groups). It warms
// the index on first use, reads the unread groups when their bound would
// put a server over the quota, and re-reads the groups of servers that
// are still over it.
func (x *attachIndex) counts(ctx context.Context, r *Reconciler, joins map[string]int) (map[string]int, error) {
	servers := make([]string, 0, len(joins))
	for s := range joins {
		servers = append(servers, s)
	}
	x.mu.Lock()
	warmed := x.warmed
	x.mu.Unlock()
	if !warmed {
		if err := r.warmAttachIndex(ctx); err != nil {
			return nil, err
		}
	}
	out, _ := x.count(servers)
	over := func(bound int) bool {
		for _, s := range servers {
			if out[s]+bound+joins[s] > r.opts.Quotas.GroupsPerServer {
				return true
			}
		}
		return false
	}
	if unread := x.unreadGroups(); len(unread) > 0 {
		if !over(len(unread)) {
			for _, s := range servers {
				out[s] += len(unread)
			}
			return out, nil
		}
		if err := r.readUnread(ctx); err != nil {
			return nil, err
		}
		out, _ = x.count(servers)
	}
	var full []string
	for _, s := range servers {
		if out[s]+joins[s] > r.opts.Quotas.GroupsPerServer {
			full = append(full, s)
		}
	}
	if len(full) == 0 {
		return out, nil
	}
	_, holding := x.count(full)
	for id := range holding {
		if _, err := r.members(ctx, id); err != nil {
			if isNotFound(err) {
				x.dropGroup(id)
				continue
			}
			return nil, err
		}
	}
	out, _ = x.count(servers)
	return out, nil
}

// warmAttachIndex fills the index from the cloud once (see attachIndex).
func (r *Reconciler) warmAttachIndex(ctx context.Context) error {
	r.attached.warming.Lock()
	defer r.attached.warming.Unlock()
	r.attached.mu.Lock()
	warmed := r.attached.warmed
	r.attached.mu.Unlock()
	if warmed {
		return nil
	}
	tagFilter, _ := json.Marshal([]map[string]string{{"TagKey": TagClusterID, "TagValue": r.opts.ClusterID}})
	req := slb.CreateDescribeLoadBalancersRequest()
	req.Tags = string(tagFilter)
	lbs, err := r.slb.ListLoadBalancers(ctx, req)
	if err != nil {
		return classifyErr("listing the cluster's CLBs for the vServer groups per instance quota", err)
	}
	for _, lb := range lbs {
		gs, err := r.loadGroups(ctx, lb.LoadBalancerId)
		if err != nil {
			if isNotFound(err) {
				continue
			}
			return err
		}
		var withMembers []string
		for _, g := range gs.groups {
			if g.count == 0 {
				r.attached.setMembers(g.id, nil)
				continue
			}
			withMembers = append(withMembers, g.id)
		}
		r.attached.markUnread(withMembers)
	}
	r.attached.mu.Lock()
	r.attached.warmed = true
	r.attached.mu.Unlock()
	return nil
}

// readUnread reads the members of every unread group (see attachIndex),
// once for concurrent callers.
func (r *Reconciler) readUnread(ctx context.Context) error {
	r.attached.warming.Lock()
	defer r.attached.warming.Unlock()
	for _, id := range r.attached.unreadGroups() {
		if _, err := r.members(ctx, id); err != nil {
			if isNotFound(err) {
				r.attached.dropGroup(id)
				continue
			}
			return err
		}
	}
	return nil
}
