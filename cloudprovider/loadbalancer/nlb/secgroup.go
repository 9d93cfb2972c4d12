package nlb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// The security group level. An NLB's joined security groups are:
//   - the user's, from the security-group-ids annotation. The CCM joins
//     them and records each one it joined for the Service in the NLB's
//     tag sgRecordKey(Service UID) (secgroup_delete.go); a group removed
//     from the annotation, or every one when the Service is deleted, is
//     left only when that record proves the CCM joined it for this
//     Service and no other Service's record holds it (a group the user
//     joined by hand stays). The CCM never changes a user's group's rules.
//   - with spec.loadBalancerSourceRanges, one security group the CCM owns
//     (ownership tags, created with a ClientToken from the Service UID),
//     whose rules let the ranges in on the listeners' ports and drop the
//     rest (secgroup_rules.go). Rules are diffed; a cleared field makes
//     the CCM leave and delete the group.
// NLB writes are asynchronous and a running job makes the NLB refuse the
// next write, so a pass makes at most one Join or Leave and returns its
// job; the caller waits and the next pass goes on.

// maxSecurityGroupsPerNLB is the documented limit: "You can add an NLB
// instance to up to four security groups".
const maxSecurityGroupsPerNLB = 4

// ReasonSecurityGroupInUse is the Warning reason when the CCM's security
// group cannot be deleted because something else still uses it; it is
// left in place.
const ReasonSecurityGroupInUse = "SecurityGroupInUse"

// SecurityGroupAPI lists the ECS actions of the security group level.
// *cloudapi.ECS implements it.
type SecurityGroupAPI interface {
	CreateSecurityGroup(ctx context.Context, req *ecs.CreateSecurityGroupRequest) (*ecs.CreateSecurityGroupResponse, error)
	DeleteSecurityGroup(ctx context.Context, req *ecs.DeleteSecurityGroupRequest) (*ecs.DeleteSecurityGroupResponse, error)
	AuthorizeSecurityGroup(ctx context.Context, req *ecs.AuthorizeSecurityGroupRequest) (*ecs.AuthorizeSecurityGroupResponse, error)
	RevokeSecurityGroup(ctx context.Context, req *ecs.RevokeSecurityGroupRequest) (*ecs.RevokeSecurityGroupResponse, error)
	ListAllSecurityGroups(ctx context.Context, req *ecs.DescribeSecurityGroupsRequest) ([]ecs.SecurityGroup, error)
	SecurityGroupRules(ctx context.Context, id string) ([]ecs.Permission, string, error)
}

var _ SecurityGroupAPI = (*cloudapi.ECS)(nil)

// sgAPI is Options.SecurityGroups, else Options.ECS when it serves
// security groups too (*cloudapi.ECS does), else nil.
func (r *Reconciler) sgAPI() SecurityGroupAPI {
	if r.opts.SecurityGroups != nil {
		return r.opts.SecurityGroups
	}
	if s, ok := r.opts.ECS.(SecurityGroupAPI); ok {
		return s
	}
	return nil
}

// sgPlan is what a pass decided about the NLB's security groups.
type sgPlan struct {
	user    []string // the annotation's groups, in order
	joined  []string // the NLB's groups now
	record  []string // the Service's record (sgRecordKey) now
	others  []string // the groups other Services' records hold
	ranges  bool     // the Service asks for the owned group
	owned   string   // the owned group to keep (ranges); "" to create
	strays  []string // other owned groups (extra, or the field was cleared)
	ownedIn bool     // owned is joined
}

// syncSecurityGroups makes the NLB's joined security groups the user's
// (security-group-ids) plus, when spec.loadBalancerSourceRanges is set, a
// CCM-owned security group that admits only those ranges on the
// listeners' ports. Returns the jobs its writes started.
func (r *Reconciler) syncSecurityGroups(ctx context.Context, in portsInput) (jobs []string, err error) {
	if in.BackendsOnly || in.LB == nil || in.Cfg == nil || in.Svc == nil {
		return nil, nil
	}
	v4, v6 := splitRanges(in.Cfg.SourceRanges)
	dualStack := strings.EqualFold(in.LB.AddressIpVersion, string(annotations.DualStack))
	ranges := v4
	switch {
	case dualStack:
		ranges = append(slices.Clone(v4), v6...)
	case len(v6) > 0:
		// An ipv4 NLB has no IPv6 address: no IPv6 client reaches it, so
		// there is nothing to filter.
		r.events.Eventf(in.Svc, v1.EventTypeWarning, loadbalancer.ReasonAnnotationWarning,
			"spec.loadBalancerSourceRanges: the IPv6 ranges %s are not applied: NLB %s is ipv4 only (%s: DualStack gives it IPv6 addresses); IPv4 clients outside the IPv4 ranges are dropped",
			sgPrefixList(v6), in.LB.LoadBalancerId, annotations.KeyIPVersion)
	}
	p := sgPlan{user: sgDedupe(in.Cfg.LB.SecurityGroupIDs), joined: in.LB.SecurityGroupIds, ranges: len(in.Cfg.SourceRanges) > 0}
	p.record, p.others, _ = sgRecords(in.LB.Tags, in.Svc.UID)
	if err := r.checkSecurityGroupQuota(in.Svc, p); err != nil {
		return nil, err
	}
	want := desiredRules(in.Cfg.Listeners, ranges, dualStack)
	if p.ranges && len(want) > maxRulesPerGroup {
		r.events.Eventf(in.Svc, v1.EventTypeWarning, loadbalancer.ReasonQuotaExceeded,
			"spec.loadBalancerSourceRanges: %d ranges on %d listener ports need %d security group rules; a group holds at most %d",
			len(ranges), len(listenerPorts(in.Cfg.Listeners)), len(want), maxRulesPerGroup)
		return nil, fmt.Errorf("the source ranges need %d security group rules, more than the %d a group holds", len(want), maxRulesPerGroup)
	}
	if p.ranges || r.mayHoldOwned(p) {
		if r.sgAPI() == nil {
			return nil, errors.New("spec.loadBalancerSourceRanges needs the ECS client of the NLB engine (Options.SecurityGroups or Options.ECS)")
		}
		if err := r.findOwned(ctx, in, &p); err != nil {
			return nil, err
		}
	}
	if p.ranges {
		if err := r.syncOwnedRules(ctx, in, &p, want); err != nil {
			return nil, err
		}
	}
	return r.syncJoined(ctx, in, p)
}

// checkSecurityGroupQuota refuses, before any write, more groups than an
// NLB can join.
func (r *Reconciler) checkSecurityGroupQuota(svc *v1.Service, p sgPlan) error {
	n := len(p.user)
	if p.ranges {
		n++
	}
	if n <= maxSecurityGroupsPerNLB {
		return nil
	}
	msg := fmt.Sprintf("annotation %s lists %d security groups", annotations.KeySecurityGroupIDs, len(p.user))
	if p.ranges {
		msg += " and spec.loadBalancerSourceRanges needs one more"
	}
	msg = fmt.Sprintf("%s; an NLB joins at most %d", msg, maxSecurityGroupsPerNLB)
	r.events.Event(svc, v1.EventTypeWarning, loadbalancer.ReasonQuotaExceeded, msg)
	return errors.New(msg)
}

// mayHoldOwned reports whether the record names a group the annotation
// does not list: the owned group once the field is cleared, or a user's
// group on its way out. Only then does a Service without source ranges
// read ECS, so a Service without them costs no ECS call. (The owned group
// is recorded when it is joined; one created but never joined before the
// field was cleared is deleted with the Service.)
func (r *Reconciler) mayHoldOwned(p sgPlan) bool {
	return slices.ContainsFunc(p.record, func(id string) bool { return !slices.Contains(p.user, id) })
}

// ownedSecurityGroups lists the security groups whose tags prove they are svc's
// in this cluster (the tag filter is checked again on the answer).
func (r *Reconciler) ownedSecurityGroups(ctx context.Context, svc *v1.Service, vpcID string) ([]ecs.SecurityGroup, error) {
	req := ecs.CreateDescribeSecurityGroupsRequest()
	req.VpcId = vpcID
	req.Tag = &[]ecs.DescribeSecurityGroupsTag{{Key: loadbalancer.TagServiceUID, Value: string(svc.UID)}}
	all, err := r.sgAPI().ListAllSecurityGroups(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("finding the source-ranges security group by its ownership tags: %w", err)
	}
	var out []ecs.SecurityGroup
	for _, g := range all {
		tags := map[string]string{}
		for _, t := range g.Tags.Tag {
			tags[t.TagKey] = t.TagValue
		}
		if tags[loadbalancer.TagServiceUID] == string(svc.UID) && tags[loadbalancer.TagClusterID] == r.opts.ClusterID {
			out = append(out, g)
		}
	}
	// Oldest first (creation time, then ID), so every pass picks the same one.
	slices.SortFunc(out, func(a, b ecs.SecurityGroup) int {
		return strings.Compare(a.CreationTime+a.SecurityGroupId, b.CreationTime+b.SecurityGroupId)
	})
	return out, nil
}

// findOwned fills p.owned (the group to keep: a joined one first) and
// p.strays (every other owned group).
func (r *Reconciler) findOwned(ctx context.Context, in portsInput, p *sgPlan) error {
	owned, err := r.ownedSecurityGroups(ctx, in.Svc, in.LB.VpcId)
	if err != nil {
		return err
	}
	keep := -1
	if p.ranges {
		keep = slices.IndexFunc(owned, func(g ecs.SecurityGroup) bool { return slices.Contains(p.joined, g.SecurityGroupId) })
		if keep < 0 && len(owned) > 0 {
			keep = 0
		}
	}
	for i, g := range owned {
		if i == keep {
			p.owned, p.ownedIn = g.SecurityGroupId, slices.Contains(p.joined, g.SecurityGroupId)
			continue
		}
		p.strays = append(p.strays, g.SecurityGroupId)
	}
	return nil
}

// syncOwnedRules creates the owned group if needed and converges its rules.
func (r *Reconciler) syncOwnedRules(ctx context.Context, in portsInput, p *sgPlan, want []sgRule) error {
	var current []ecs.Permission
	if p.owned == "" {
		id, err := r.createOwned(ctx, in, "")
		if err != nil {
			return err
		}
		p.owned = id
		err = r.writeRules(ctx, in.Svc, id, diffRules(nil, want))
		if !cloudapi.IsNotFound(err) {
			return err
		}
		// The token answered a group deleted since (the field was cleared
		// and set again within one generation, or the group was deleted by
		// hand): create one with a salted token. A crash here can leave a
		// second group, which the next passes delete as a stray.
		if p.owned, err = r.createOwned(ctx, in, "-"+strconv.FormatInt(r.now().UnixNano()%(36*36*36*36*36*36*36*36), 36)); err != nil {
			return err
		}
	} else {
		rules, _, err := r.sgAPI().SecurityGroupRules(ctx, p.owned)
		if err != nil {
			return err
		}
		current = rules
	}
	return r.writeRules(ctx, in.Svc, p.owned, diffRules(current, want))
}

// createOwned creates svc's source-ranges group with its ownership tags.
// The ClientToken comes from the Service UID and generation: a retry after
// a lost answer or a crash gets the same group back, while a group created
// again after the field was cleared (a later generation) is a new one.
func (r *Reconciler) createOwned(ctx context.Context, in portsInput, salt string) (string, error) {
	svc := in.Svc
	req := ecs.CreateCreateSecurityGroupRequest()
	req.VpcId, req.SecurityGroupType = in.LB.VpcId, "normal" // advanced groups take no Drop rules
	req.SecurityGroupName = sgName(svc)
	req.Description = fmt.Sprintf("spec.loadBalancerSourceRanges of Service %s/%s, managed by alicloud-ccm", svc.Namespace, svc.Name)
	// At most 64 ASCII characters: "sg", the UID's 32 hex digits, the
	// generation and the salt's 9.
	req.ClientToken = "sg" + strings.ReplaceAll(string(svc.UID), "-", "") + "-" + strconv.FormatInt(svc.Generation, 10) + salt
	req.Tag = &[]ecs.CreateSecurityGroupTag{{Key: loadbalancer.TagClusterID, Value: r.opts.ClusterID},
		{Key: loadbalancer.TagServiceUID, Value: string(svc.UID)}, {Key: loadbalancer.TagService, Value: svc.Namespace + "/" + svc.Name}}
	resp, err := r.sgAPI().CreateSecurityGroup(ctx, req)
	if err != nil {
		return "", fmt.Errorf("creating the source-ranges security group: %w", err)
	}
	return resp.SecurityGroupId, nil
}

// sgName is the owned group's name (2-128 characters starting with a
// letter); only humans read it.
func sgName(svc *v1.Service) string {
	n := "k8s-" + svc.Namespace + "-" + svc.Name + "-source-ranges"
	return n[:min(len(n), 128)]
}

// writeRules applies a rule diff in batches of the per-call limit: rules
// sharing an identity with a new one are revoked first, then the new rules
// are added (Accept before Drop), then the others are revoked. A rule
// already gone (a retry) counts as revoked.
func (r *Reconciler) writeRules(ctx context.Context, svc *v1.Service, id string, d ruleDiff) error {
	if err := r.revokeRules(ctx, id, d.RevokeFirst); err != nil {
		return err
	}
	for _, batch := range cloudapi.Chunk(d.Add, cloudapi.MaxSecurityGroupRulesPerCall) {
		req := ecs.CreateAuthorizeSecurityGroupRequest()
		perms := permissions(batch)
		req.SecurityGroupId, req.Permissions = id, &perms
		if _, err := r.sgAPI().AuthorizeSecurityGroup(ctx, req); err != nil {
			return fmt.Errorf("adding %d rules to security group %s (first: %s): %w", len(batch), id, batch[0], err)
		}
	}
	if err := r.revokeRules(ctx, id, d.Revoke); err != nil {
		return err
	}
	if !d.empty() {
		r.events.Eventf(svc, v1.EventTypeNormal, ReasonSecurityGroupRules, "security group %s: %d rules added, %d removed",
			id, len(d.Add), len(d.RevokeFirst)+len(d.Revoke))
	}
	return nil
}

// ReasonSecurityGroupRules is the Normal reason when the owned group's
// rules changed.
const ReasonSecurityGroupRules = "UpdatedSourceRanges"

func (r *Reconciler) revokeRules(ctx context.Context, id string, ruleIDs []string) error {
	for _, batch := range cloudapi.Chunk(ruleIDs, cloudapi.MaxSecurityGroupRulesPerCall) {
		req := ecs.CreateRevokeSecurityGroupRequest()
		b := slices.Clone(batch)
		req.SecurityGroupId, req.SecurityGroupRuleId = id, &b
		if _, err := r.sgAPI().RevokeSecurityGroup(ctx, req); err != nil && !cloudapi.IsNotFound(err) {
			return fmt.Errorf("removing %d rules from security group %s: %w", len(batch), id, err)
		}
	}
	return nil
}

// syncJoined records, joins and leaves: the record first (so a crash never
// leaves a group the CCM joined unrecorded), then one Join, else one
// Leave; then the owned groups nothing holds any more are deleted.
func (r *Reconciler) syncJoined(ctx context.Context, in portsInput, p sgPlan) ([]string, error) {
	want := slices.Clone(p.user)
	if p.ranges {
		want = append(want, p.owned)
	}
	var join, leave []string
	for _, id := range want {
		if !slices.Contains(p.joined, id) {
			join = append(join, id)
		}
	}
	for _, id := range p.joined {
		if slices.Contains(want, id) {
			continue
		}
		if slices.Contains(p.strays, id) || slices.Contains(p.record, id) && !slices.Contains(p.others, id) {
			leave = append(leave, id)
		}
	}
	record := nextRecord(p, want, join, leave)
	var jobs []string
	job, err := r.writeRecord(ctx, in.LB.LoadBalancerId, in.Svc.UID, p.record, record)
	if err != nil {
		return nil, err
	}
	jobs = sgAppendJob(jobs, job)
	switch {
	case len(join) > 0:
		req := sdknlb.CreateLoadBalancerJoinSecurityGroupRequest()
		req.LoadBalancerId, req.SecurityGroupIds = in.LB.LoadBalancerId, &join
		resp, err := r.api.LoadBalancerJoinSecurityGroup(ctx, req)
		if err != nil {
			return jobs, fmt.Errorf("joining NLB %s to security groups %s: %w", in.LB.LoadBalancerId, strings.Join(join, ", "), err)
		}
		return sgAppendJob(jobs, resp.JobId), nil
	case len(leave) > 0:
		job, err := r.leaveSecurityGroups(ctx, in.LB.LoadBalancerId, leave)
		return sgAppendJob(jobs, job), err
	}
	return jobs, r.deleteStrays(ctx, in.Svc, p.strays, p.joined)
}

// nextRecord is the Service's record after this pass: the recorded groups
// still joined that the Service still wants or is about to leave (kept
// until they are seen gone), then, in the order wanted, the groups about
// to be joined and the joined ones another Service's record holds (the
// CCM joined them; this Service now needs them too, so the other's
// deletion must not leave them). A wanted group joined by hand is never
// recorded.
func nextRecord(p sgPlan, want, join, leave []string) []string {
	var record []string
	for _, id := range p.record {
		if slices.Contains(p.joined, id) && (slices.Contains(want, id) || slices.Contains(leave, id)) {
			record = append(record, id)
		}
	}
	for _, id := range want {
		joinNow := slices.Contains(join, id)
		shared := slices.Contains(p.joined, id) && slices.Contains(p.others, id)
		if (joinNow || shared) && !slices.Contains(record, id) {
			record = append(record, id)
		}
	}
	return record
}

func sgAppendJob(jobs []string, job string) []string {
	if job == "" {
		return jobs
	}
	return append(jobs, job)
}

// leaveSecurityGroups makes the NLB leave groups and returns the job.
func (r *Reconciler) leaveSecurityGroups(ctx context.Context, lbID string, ids []string) (string, error) {
	req := sdknlb.CreateLoadBalancerLeaveSecurityGroupRequest()
	ids = slices.Clone(ids)
	req.LoadBalancerId, req.SecurityGroupIds = lbID, &ids
	resp, err := r.api.LoadBalancerLeaveSecurityGroup(ctx, req)
	if err != nil {
		return "", fmt.Errorf("NLB %s leaving security groups %s: %w", lbID, strings.Join(ids, ", "), err)
	}
	return resp.JobId, nil
}

// deleteStrays deletes owned groups the NLB does not hold. A group that
// is gone already is fine; one still in use elsewhere is reported and
// left, so it never blocks the Service.
func (r *Reconciler) deleteStrays(ctx context.Context, svc *v1.Service, strays, joined []string) error {
	for _, id := range strays {
		if slices.Contains(joined, id) {
			continue
		}
		req := ecs.CreateDeleteSecurityGroupRequest()
		req.SecurityGroupId = id
		_, err := r.sgAPI().DeleteSecurityGroup(ctx, req)
		switch {
		case err == nil || cloudapi.IsNotFound(err):
		case cloudapi.Code(err) == "DependencyViolation":
			r.events.Eventf(svc, v1.EventTypeWarning, ReasonSecurityGroupInUse,
				"security group %s of this Service's source ranges is still used by another resource; it is left in place: %v", id, err)
		default:
			return fmt.Errorf("deleting security group %s: %w", id, err)
		}
	}
	return nil
}

// prefixList renders prefixes for an event.
func sgPrefixList[T fmt.Stringer](ps []T) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

func sgDedupe(ids []string) []string {
	var out []string
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func sgSorted(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
