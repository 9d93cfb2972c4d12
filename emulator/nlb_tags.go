package emulator

// NLB tags (TagResources, UntagResources, ListTagResources) and security
// groups (LoadBalancerJoinSecurityGroup, LoadBalancerLeaveSecurityGroup).
// Each page is
// https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-<action in lower case>.

import (
	"net/http"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// nlbTagTarget returns the tag list of a taggable resource: ResourceType
// loadbalancer, listener or servergroup (securitypolicy is not emulated).
func (s *nlbState) nlbTagTarget(rtype, id string) (*[]Tag, error) {
	switch rtype {
	case "loadbalancer":
		if lb, ok := s.lbs[id]; ok {
			return &lb.Tags, nil
		}
		return nil, nlbNotFound("loadBalancer")
	case "listener":
		if l, ok := s.listeners[id]; ok {
			return &l.Tags, nil
		}
		return nil, errNLBListenerNotFound(id)
	case "servergroup":
		if g, ok := s.groups[id]; ok {
			return &g.Tags, nil
		}
		return nil, nlbNotFound("serverGroup")
	}
	return nil, nlbIllegal("ResourceType")
}

// nlbTagRequest reads ResourceType and ResourceId.N (at most 50) and
// resolves every target first, so a bad ID changes nothing.
func (s *nlbState) nlbTagRequest(c *call, idsRequired bool) (string, []string, []*[]Tag, error) {
	rtype, err := nlbRequired(c, "ResourceType")
	if err != nil {
		return "", nil, nil, err
	}
	rtype = strings.ToLower(rtype)
	ids := c.list("ResourceId")
	if idsRequired && len(ids) == 0 {
		return "", nil, nil, nlbMissing("ResourceId")
	}
	if len(ids) > 50 {
		return "", nil, nil, nlbIllegal("ResourceId")
	}
	var targets []*[]Tag
	for _, id := range ids {
		t, err := s.nlbTagTarget(rtype, id)
		if err != nil {
			return "", nil, nil, err
		}
		targets = append(targets, t)
	}
	return rtype, ids, targets, nil
}

// nlbTagResources adds or overwrites up to 20 tags per call; a resource
// holds at most TagsPerResource tags (api-nlb-2022-04-30-tagresources).
func nlbTagResources(c *call) (any, error) {
	s := c.e.nlb
	_, _, targets, err := s.nlbTagRequest(c, true)
	if err != nil {
		return nil, err
	}
	tags := c.tags()
	if len(tags) == 0 {
		return nil, nlbMissing("Tag")
	}
	lim := c.e.cfg.Limits.TagsPerResource
	if err := validateTags(tags, lim); err != nil {
		return nil, err
	}
	merged := make([][]Tag, len(targets))
	for i, t := range targets {
		if merged[i], err = mergeTags(*t, tags, lim); err != nil {
			return nil, err
		}
	}
	if err := nlbDryRun(c); err != nil {
		return nil, err
	}
	for i, t := range targets {
		*t = merged[i]
	}
	return &nlb.TagResourcesResponse{JobId: s.newJob(c, "update").ID}, nil
}

// nlbUntagResources removes TagKey.N, or every tag with All=true
// (api-nlb-2022-04-30-untagresources).
func nlbUntagResources(c *call) (any, error) {
	s := c.e.nlb
	_, _, targets, err := s.nlbTagRequest(c, true)
	if err != nil {
		return nil, err
	}
	all, err := nlbBool(c, "All", false)
	if err != nil {
		return nil, err
	}
	keys := c.list("TagKey")
	if !all && len(keys) == 0 {
		return nil, nlbMissing("TagKey")
	}
	if err := nlbDryRun(c); err != nil {
		return nil, err
	}
	for _, t := range targets {
		var keep []Tag
		for _, tag := range *t {
			if !all && !contains(keys, tag.Key) {
				keep = append(keep, tag)
			}
		}
		*t = keep
	}
	return &nlb.UntagResourcesResponse{JobId: s.newJob(c, "update").ID}, nil
}

// nlbListTagResources lists (resource, tag) pairs of one ResourceType,
// filtered by ResourceId.N and Tag.N, paged with MaxResults/NextToken
// (api-nlb-2022-04-30-listtagresources).
func nlbListTagResources(c *call) (any, error) {
	s := c.e.nlb
	rtype, ids, _, err := s.nlbTagRequest(c, false)
	if err != nil {
		return nil, err
	}
	want, err := nlbTagFilter(c)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		ids = s.nlbResourceIDs(rtype)
	}
	var rows []nlb.TagResultModelList
	var keys []string
	for _, id := range ids {
		t, err := s.nlbTagTarget(rtype, id)
		if err != nil {
			return nil, err
		}
		if !matchTags(*t, want) {
			continue
		}
		for _, tag := range *t {
			rows = append(rows, nlb.TagResultModelList{ResourceId: id, ResourceType: rtype, RegionNo: c.e.cfg.Region,
				TagKey: tag.Key, TagValue: tag.Value, Scope: "Custom", Category: "Custom"})
			keys = append(keys, id+"\x00"+tag.Key)
		}
	}
	from, to, limit, next, err := nlbPage(c, keys)
	if err != nil {
		return nil, err
	}
	return &nlb.ListTagResourcesResponse{TotalCount: len(rows), NextToken: next, MaxResults: limit,
		TagResources: append([]nlb.TagResultModelList{}, rows[from:to]...)}, nil
}

// nlbResourceIDs lists every resource of a type in creation order.
func (s *nlbState) nlbResourceIDs(rtype string) []string {
	var out []string
	switch rtype {
	case "loadbalancer":
		for id := range s.lbs {
			out = append(out, id)
		}
		return bySeq(out, func(id string) uint64 { return s.lbs[id].seq })
	case "listener":
		for id := range s.listeners {
			out = append(out, id)
		}
		return bySeq(out, func(id string) uint64 { return s.listeners[id].seq })
	case "servergroup":
		for _, g := range s.sortedGroups() {
			out = append(out, g.ID)
		}
	}
	return out
}

// securityGroupParams reads SecurityGroupIds.N.
func securityGroupParams(c *call) ([]string, error) {
	ids := c.list("SecurityGroupIds")
	if len(ids) == 0 {
		return nil, nlbMissing("SecurityGroupIds")
	}
	return ids, nil
}

func errNLBSecurityGroupNotFound() *APIError {
	return Errf(http.StatusNotFound, "ResourceNotFound.SecurityGroup", "The specified resource of SecurityGroup is not found.")
}

// checkJoin checks the groups an NLB joins against ECS state, as "Add an
// NLB instance to a security group" states the limits
// (https://www.alibabacloud.com/help/en/slb/network-load-balancer/user-guide/add-an-nlb-instance-to-a-security-group):
// the group must exist (ResourceNotFound.SecurityGroup 404), be in the
// NLB's VPC, and be of the same type (basic or advanced) as the groups
// the NLB is already in. The API page lists no code for the last two; the
// emulator answers OperationDenied.SecurityGroupVpcMismatch and
// OperationDenied.SecurityGroupTypeMismatch (400).
func (e *Emulator) checkJoin(lb *nlbLB, next []string) error {
	typ := ""
	for _, id := range next {
		g, ok := e.ecs.sgs[id]
		if !ok {
			if contains(lb.SecurityGroups, id) {
				continue // joined before (a seeded NLB): not re-checked
			}
			return errNLBSecurityGroupNotFound()
		}
		if g.VpcID != lb.VpcID {
			return Errf(http.StatusBadRequest, "OperationDenied.SecurityGroupVpcMismatch",
				"The security group %s is not in the VPC %s of the load balancer.", id, lb.VpcID)
		}
		if typ != "" && g.Type != typ {
			return Errf(http.StatusBadRequest, "OperationDenied.SecurityGroupTypeMismatch",
				"The security groups of a load balancer must all be basic or all advanced.")
		}
		typ = g.Type
	}
	return nil
}

// nlbLoadBalancerJoinSecurityGroup adds security groups (at most
// NLBSecurityGroupsPerLB per NLB); joining one already joined changes
// nothing (api-nlb-2022-04-30-loadbalancerjoinsecuritygroup).
func nlbLoadBalancerJoinSecurityGroup(c *call) (any, error) {
	return nlbSecurityGroups(c, true)
}

// nlbLoadBalancerLeaveSecurityGroup removes security groups; leaving one
// not joined changes nothing, leaving one that exists nowhere is
// ResourceNotFound.SecurityGroup (api-nlb-2022-04-30-loadbalancerleavesecuritygroup).
func nlbLoadBalancerLeaveSecurityGroup(c *call) (any, error) {
	return nlbSecurityGroups(c, false)
}

func nlbSecurityGroups(c *call, join bool) (any, error) {
	s := c.e.nlb
	lb, err := s.writableLB(c)
	if err != nil {
		return nil, err
	}
	ids, err := securityGroupParams(c)
	if err != nil {
		return nil, err
	}
	next := append([]string(nil), lb.SecurityGroups...)
	for _, id := range ids {
		_, exists := c.e.ecs.sgs[id]
		switch {
		case join && !contains(next, id):
			next = append(next, id)
		case !join && !exists && !contains(next, id):
			return nil, errNLBSecurityGroupNotFound()
		case !join:
			next = removeString(next, id)
		}
	}
	if join {
		if err := c.e.checkJoin(lb, next); err != nil {
			return nil, err
		}
	}
	if limit := c.e.cfg.Limits.NLBSecurityGroupsPerLB; len(next) > limit {
		return nil, nlbQuota("nlb_quota_loadbalancer_securitygroups_num", len(lb.SecurityGroups), limit)
	}
	if err := nlbDryRun(c); err != nil {
		return nil, err
	}
	lb.SecurityGroups = next
	j := s.newJob(c, "update", lb.ID)
	if join {
		return &nlb.LoadBalancerJoinSecurityGroupResponse{JobId: j.ID}, nil
	}
	return &nlb.LoadBalancerLeaveSecurityGroupResponse{JobId: j.ID}, nil
}
