package loadbalancer

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// groupView is a vServer group as DescribeVServerGroups lists it.
type groupView struct {
	id, name string
	count    int
}

// groupSet is the CLB's vServer groups, read once per reconcile.
type groupSet struct {
	groups []groupView
	// total is the number of members on the CLB, which the backends quota
	// (slb_quota_backendservers_num) counts.
	total int
	// legacy are the cluster IDs whose group names are also ours on this
	// CLB (Reconciler.groupName); empty unless our tags prove it ours.
	legacy []string
	// verified is the verified-backends record of the Service's groups
	// as the last syncGroups left them (verified.go); nil when the
	// Service cannot be recorded (a user's group, pods without an ENI).
	verified verifiedEntry
}

func (g *groupSet) byName(name string) *groupView {
	for i := range g.groups {
		if g.groups[i].name == name {
			return &g.groups[i]
		}
	}
	return nil
}

// remove drops a deleted group and its members from the set.
func (g *groupSet) remove(id string) {
	for i := range g.groups {
		if g.groups[i].id == id {
			g.total -= g.groups[i].count
			g.groups = append(g.groups[:i], g.groups[i+1:]...)
			return
		}
	}
}

func (g *groupSet) byID(id string) *groupView {
	for i := range g.groups {
		if g.groups[i].id == id {
			return &g.groups[i]
		}
	}
	return nil
}

// loadGroups lists the CLB's vServer groups; DescribeVServerGroups has no
// paging and returns all groups
// (https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-describevservergroups).
func (r *Reconciler) loadGroups(ctx context.Context, lbID string) (*groupSet, error) {
	req := slb.CreateDescribeVServerGroupsRequest()
	req.LoadBalancerId = lbID
	resp, err := r.slb.DescribeVServerGroups(ctx, req)
	if err != nil {
		return nil, classifyErr("listing vServer groups", err)
	}
	gs := &groupSet{}
	ids := make([]string, 0, len(resp.VServerGroups.VServerGroup))
	for _, g := range resp.VServerGroups.VServerGroup {
		gs.groups = append(gs.groups, groupView{id: g.VServerGroupId, name: g.VServerGroupName, count: int(g.ServerCount)})
		gs.total += int(g.ServerCount)
		ids = append(ids, g.VServerGroupId)
	}
	r.attached.setLB(lbID, ids)
	return gs, nil
}

// members reads a group's backends.
func (r *Reconciler) members(ctx context.Context, groupID string) ([]backend, error) {
	req := slb.CreateDescribeVServerGroupAttributeRequest()
	req.VServerGroupId = groupID
	resp, err := r.slb.DescribeVServerGroupAttribute(ctx, req)
	if err != nil {
		return nil, classifyErr("reading vServer group "+groupID, err)
	}
	out := make([]backend, 0, len(resp.BackendServers.BackendServer))
	for _, b := range resp.BackendServers.BackendServer {
		out = append(out, backend{ServerID: b.ServerId, Type: annotations.BackendType(orDefault(b.Type, string(annotations.BackendECS))), ServerIP: b.ServerIp,
			Port: b.Port, Weight: b.Weight, Description: b.Description})
	}
	r.attached.setMembers(groupID, out)
	return out, nil
}

// groupTarget is one group the Service needs, shared by its listeners with
// the same backend port (TCP and UDP on one NodePort).
type groupTarget struct {
	name    string // our key; for a user group, the description of our members
	userID  string // a user's group (vgroup-port); we touch only our members
	desired []backend
	// incomplete: some desired pods have no ENI yet, so the desired list
	// is not the whole truth and no member may be removed.
	incomplete bool
	// group and actual: the existing group and its members (nil when the
	// group is still to be created).
	group  *groupView
	actual []backend
	// trusted: actual is the plan, vouched for by the verified-backends
	// record instead of read; base is the group's member count before
	// the sync and count after it.
	trusted     bool
	base, count int
}

// groupTargets builds the groups the Service's listeners need, in
// listener order, and each listener's group. gs is the CLB's groups (nil
// before the CLB exists).
func (r *Reconciler) groupTargets(svc *v1.Service, cfg *annotations.Config, gs *groupSet, strat backendStrategy) ([]*groupTarget, map[listenerKey]*groupTarget) {
	byKey := map[string]*groupTarget{}
	var targets []*groupTarget
	byListener := map[listenerKey]*groupTarget{}
	for i := range cfg.Listeners {
		l := &cfg.Listeners[i]
		name := r.groupName(gs, svc, groupPort(svc, cfg, l))
		tkey := name
		if l.VGroupID != "" {
			tkey = "user:" + l.VGroupID
		}
		t := byKey[tkey]
		if t == nil {
			t = &groupTarget{name: name, userID: l.VGroupID, desired: strat.build(l, name)}
			if ps, ok := strat.(*podStrategy); ok {
				t.incomplete = ps.incomplete(l)
			}
			byKey[tkey] = t
			targets = append(targets, t)
		}
		byListener[keyOf(l)] = t
	}
	return targets, byListener
}

// syncGroups makes sure every listener has its group with the right
// members and returns the group ID per listener. Every existing group is
// read before the first member write, so the quota plan (fitBackends)
// sees the whole Service. New groups are created with their first batch
// of members in the same call (CreateVServerGroup takes up to 20), saving
// a call per group.
//
// trust is the Service's verified-backends record when this reconcile may
// take members as planned without reading them (trustMembers decides);
// nil: read them.
func (r *Reconciler) syncGroups(ctx context.Context, svc *v1.Service, cfg *annotations.Config, lbID string, gs *groupSet, strat backendStrategy, trust verifiedEntry) (map[listenerKey]string, error) {
	targets, byListener := r.groupTargets(svc, cfg, gs, strat)
	gs.verified = nil
	for _, t := range targets {
		g, err := r.resolveGroup(lbID, gs, t)
		if err != nil {
			return nil, err
		}
		t.group = g
	}
	trusted := r.trustMembers(svc, cfg, targets, trust)
	for _, t := range targets {
		if t.group == nil || trusted {
			continue
		}
		var err error
		if t.actual, err = r.members(ctx, t.group.id); err != nil {
			return nil, &memberReadError{err}
		}
		t.base = len(t.actual)
	}
	if err := r.fitBackends(ctx, svc, targets, gs.total, strat, false); err != nil {
		return nil, err
	}
	// Groups that shrink go first, so the ones that grow find room under
	// the CLB's backend quota.
	order := append([]*groupTarget(nil), targets...)
	shrinks := func(t *groupTarget) bool { return len(t.desired) < len(t.actual) }
	sort.SliceStable(order, func(i, j int) bool { return shrinks(order[i]) && !shrinks(order[j]) })
	for _, t := range order {
		if err := r.syncGroup(ctx, svc, cfg, lbID, gs, t); err != nil {
			return nil, err
		}
	}
	out := make(map[listenerKey]string, len(byListener))
	for lk, t := range byListener {
		out[lk] = t.group.id
	}
	gs.verified = verifiedOf(cfg, targets)
	return out, nil
}

// resolveGroup finds a target's existing group: the user's group named by
// vgroup-port (which must exist and not be a CCM's), or ours by name;
// nil when ours is still to be created.
func (r *Reconciler) resolveGroup(lbID string, gs *groupSet, t *groupTarget) (*groupView, error) {
	if t.userID == "" {
		return gs.byName(t.name), nil
	}
	g := gs.byID(t.userID)
	if g == nil {
		return nil, fmt.Errorf("vServer group %s (annotation %svgroup-port) does not exist on CLB %s", t.userID, annoPrefix, lbID)
	}
	if managedByAnyCCM(g.name) {
		return nil, fmt.Errorf("vServer group %s (%s) was created by a cloud controller manager and cannot be reused by vgroup-port; name a group you created", g.id, g.name)
	}
	return g, nil
}

// syncGroup converges one group (creating ours when missing) and sets
// t.group.
func (r *Reconciler) syncGroup(ctx context.Context, svc *v1.Service, cfg *annotations.Config, lbID string, gs *groupSet, t *groupTarget) error {
	if t.group == nil {
		if err := r.beforeMemberWrite(ctx, svc); err != nil {
			return err
		}
		first := t.desired[:min(len(t.desired), r.opts.BatchSize)]
		req := slb.CreateCreateVServerGroupRequest()
		req.LoadBalancerId, req.VServerGroupName = lbID, t.name
		if len(first) > 0 {
			req.BackendServers = backendsJSON(first, false)
		}
		resp, err := r.slb.CreateVServerGroup(ctx, req)
		if err != nil {
			return classifyErr("creating vServer group "+t.name, err)
		}
		r.attached.created(lbID, resp.VServerGroupId, first)
		gs.groups = append(gs.groups, groupView{id: resp.VServerGroupId, name: t.name, count: len(first)})
		gs.total += len(first)
		t.group = &gs.groups[len(gs.groups)-1]
		plan := backendPlan{add: t.desired[len(first):]}
		t.count = len(first) + len(plan.add)
		return r.applyPlan(ctx, svc, gs, t.group, plan)
	}
	owned := func(b backend) bool { return b.Description == t.name }
	plan := diffBackends(t.desired, t.actual, owned, cfg.Backend.IgnoreWeightUpdate)
	if t.incomplete {
		plan.remove = nil
	}
	t.count = t.base + len(plan.add) - len(plan.remove)
	return r.applyPlan(ctx, svc, gs, t.group, plan)
}

// applyPlan runs a group's diff (orderPlan). A quota the adds still hit
// is reported; the next sync plans again from what the cloud shows.
func (r *Reconciler) applyPlan(ctx context.Context, svc *v1.Service, gs *groupSet, g *groupView, p backendPlan) error {
	if p.empty() {
		return nil
	}
	if err := r.beforeMemberWrite(ctx, svc); err != nil {
		return err
	}
	klog.V(2).InfoS("Updating vServer group members", "service", klog.KObj(svc), "group", g.id,
		"add", len(p.add), "remove", len(p.remove), "update", len(p.update))
	for _, s := range orderPlan(p, r.opts.BatchSize) {
		if err := r.runStep(ctx, g.id, s); err != nil {
			return classifyErr(fmt.Sprintf("%s members of vServer group %s", s.op, g.id), err)
		}
		switch s.op {
		case "add":
			gs.total += len(s.batch)
		case "remove":
			gs.total -= len(s.batch)
		}
	}
	return nil
}

// runStep sends one batch.
func (r *Reconciler) runStep(ctx context.Context, groupID string, s step) error {
	var err error
	switch s.op {
	case "add":
		req := slb.CreateAddVServerGroupBackendServersRequest()
		req.VServerGroupId, req.BackendServers = groupID, backendsJSON(s.batch, false)
		_, err = r.slb.AddVServerGroupBackendServers(ctx, req)
	case "remove":
		req := slb.CreateRemoveVServerGroupBackendServersRequest()
		req.VServerGroupId, req.BackendServers = groupID, backendsJSON(s.batch, true)
		_, err = r.slb.RemoveVServerGroupBackendServers(ctx, req)
	case "replace":
		req := slb.CreateModifyVServerGroupBackendServersRequest()
		req.VServerGroupId = groupID
		req.OldBackendServers, req.NewBackendServers = backendsJSON(s.old, false), backendsJSON(s.batch, false)
		_, err = r.slb.ModifyVServerGroupBackendServers(ctx, req)
		if err == nil {
			r.attached.change(groupID, s.old, -1)
		}
	case "update":
		req := slb.CreateSetVServerGroupAttributeRequest()
		req.VServerGroupId, req.BackendServers = groupID, backendsJSON(s.batch, false)
		_, err = r.slb.SetVServerGroupAttribute(ctx, req)
	}
	if err == nil && s.op != "update" {
		delta := 1
		if s.op == "remove" {
			delta = -1
		}
		r.attached.change(groupID, s.batch, delta)
	}
	return err
}

// backendsJSON renders the BackendServers parameter: a JSON list of
// {ServerId, Weight, Type, ServerIp, Port, Description}
// (https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-addvservergroupbackendservers).
// Removal needs only the identity.
func backendsJSON(bs []backend, identityOnly bool) string {
	items := make([]map[string]string, 0, len(bs))
	for _, b := range bs {
		m := map[string]string{"ServerId": b.ServerID, "Port": strconv.Itoa(b.Port), "Type": string(b.Type)}
		if b.ServerIP != "" {
			m["ServerIp"] = b.ServerIP
		}
		if !identityOnly {
			m["Weight"] = strconv.Itoa(b.Weight)
			if b.Description != "" {
				m["Description"] = b.Description
			}
		}
		items = append(items, m)
	}
	out, _ := json.Marshal(items)
	return string(out)
}

// deleteGroup deletes one of our groups; a group still used by a listener
// cannot be deleted (RspoolVipExist), so listeners are converged first.
func (r *Reconciler) deleteGroup(ctx context.Context, id string) error {
	req := slb.CreateDeleteVServerGroupRequest()
	req.VServerGroupId = id
	_, err := r.slb.DeleteVServerGroup(ctx, req)
	if err != nil && !isNotFound(err) {
		return classifyErr("deleting vServer group "+id, err)
	}
	r.attached.dropGroup(id)
	return nil
}
