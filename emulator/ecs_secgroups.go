package emulator

// ECS security groups: CreateSecurityGroup, DescribeSecurityGroups,
// DescribeSecurityGroupAttribute, AuthorizeSecurityGroup,
// RevokeSecurityGroup and DeleteSecurityGroup (inbound rules only: an NLB
// security group filters inbound traffic alone). Each page is
// https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-<action in lower case>.

import (
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
)

// SecurityGroup is an ECS security group with its inbound rules.
type SecurityGroup struct {
	SecurityGroupID string              `json:"securityGroupId"` // generated when empty
	Name            string              `json:"securityGroupName,omitempty"`
	Description     string              `json:"description,omitempty"`
	VpcID           string              `json:"vpcId"`
	Type            string              `json:"securityGroupType,omitempty"` // normal (default) | enterprise
	Tags            []Tag               `json:"tags,omitempty"`
	Rules           []SecurityGroupRule `json:"rules,omitempty"`
	CreationTime    string              `json:"creationTime,omitempty"`
}

// SecurityGroupRule is one inbound rule. A rule is identified by protocol,
// port range, source and policy (the AuthorizeSecurityGroup page: a rule
// is determined by its source, one of SourceCidrIp (IPv4),
// Ipv6SourceCidrIp (IPv6), SourcePrefixListId or SourceGroupId, with
// PortRange, IpProtocol and Policy); the priority is not part of its
// identity.
type SecurityGroupRule struct {
	RuleID           string `json:"securityGroupRuleId"`
	IPProtocol       string `json:"ipProtocol"` // TCP | UDP | ICMP | ICMPV6 | GRE | ALL
	PortRange        string `json:"portRange"`  // "a/b", or "-1/-1"
	SourceCidrIP     string `json:"sourceCidrIp,omitempty"`
	Ipv6SourceCidrIP string `json:"ipv6SourceCidrIp,omitempty"`
	SourceGroupID    string `json:"sourceGroupId,omitempty"`
	Policy           string `json:"policy"` // Accept | Drop
	Priority         int    `json:"priority"`
	Description      string `json:"description,omitempty"`
}

func (r SecurityGroupRule) sameRule(o SecurityGroupRule) bool {
	return r.IPProtocol == o.IPProtocol && r.PortRange == o.PortRange && r.SourceCidrIP == o.SourceCidrIP &&
		r.Ipv6SourceCidrIP == o.Ipv6SourceCidrIP && r.SourceGroupID == o.SourceGroupID && r.Policy == o.Policy
}

// errSGNotFound is the documented answer for an unknown group.
func errSGNotFound() *APIError {
	return Errf(http.StatusNotFound, "InvalidSecurityGroupId.NotFound", "The specified SecurityGroupId does not exist.")
}

// securityGroupList returns the groups in creation order.
func (e *Emulator) securityGroupList() []*SecurityGroup {
	out := make([]*SecurityGroup, 0, len(e.ecs.sgOrder))
	for _, id := range e.ecs.sgOrder {
		if g, ok := e.ecs.sgs[id]; ok {
			out = append(out, g)
		}
	}
	return out
}

// addSecurityGroup validates and stores a group; the caller holds e.mu.
func (e *Emulator) addSecurityGroup(g SecurityGroup) (*SecurityGroup, error) {
	if g.SecurityGroupID == "" {
		g.SecurityGroupID = e.nextID("sg-")
	}
	if _, ok := e.vpc.vpcs[g.VpcID]; !ok {
		return nil, Errf(http.StatusNotFound, "InvalidVpcId.NotFound", "The specified VpcId does not exist.")
	}
	if g.Type == "" {
		g.Type = "normal"
	}
	if g.CreationTime == "" {
		g.CreationTime = isoTime(e.clock.Now())
	}
	for i := range g.Rules {
		if g.Rules[i].RuleID == "" {
			g.Rules[i].RuleID = e.nextID("sgr-")
		}
	}
	if _, exists := e.ecs.sgs[g.SecurityGroupID]; !exists {
		e.ecs.sgOrder = append(e.ecs.sgOrder, g.SecurityGroupID)
	}
	e.ecs.sgs[g.SecurityGroupID] = &g
	return &g, nil
}

// sgText checks a name or description: minLen–maxLen characters, not
// starting with http:// or https:// (CreateSecurityGroup page); a name
// must also start with a letter.
func sgText(v string, minLen, maxLen int, letter bool) bool {
	n := len([]rune(v))
	if n < minLen || n > maxLen || strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://") {
		return false
	}
	if !letter {
		return true
	}
	c := v[0]
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// ecsCreateSecurityGroup: VpcId (must exist: an NLB can use VPC groups
// only), SecurityGroupName (2–128 characters, starts with a letter),
// Description (2–256), SecurityGroupType normal|enterprise, Tag.N (≤20),
// ClientToken (idempotent).
func ecsCreateSecurityGroup(c *call) (any, error) {
	if prev, ok, err := c.idempotent(); ok {
		return prev, err
	}
	g := SecurityGroup{Name: c.str("SecurityGroupName"), Description: c.str("Description"), VpcID: c.str("VpcId"),
		Type: c.str("SecurityGroupType")}
	if g.VpcID == "" {
		// Classic-network groups are not emulated; the CCM always names its VPC.
		return nil, Errf(http.StatusBadRequest, "MissingParameter", `The input parameter "VpcId" that is mandatory for processing this request is not supplied.`)
	}
	if c.has("SecurityGroupName") && !sgText(g.Name, 2, 128, true) {
		return nil, Errf(http.StatusBadRequest, "InvalidSecurityGroupName.Malformed", "The specified parameter SecurityGroupName is not valid.")
	}
	if c.has("Description") && !sgText(g.Description, 2, 256, false) {
		return nil, Errf(http.StatusBadRequest, "InvalidDescription.Malformed", "The specified parameter Description is not valid.")
	}
	switch g.Type {
	case "", "normal", "enterprise":
	default:
		return nil, errInvalid("SecurityGroupType", g.Type)
	}
	g.Tags = c.tags()
	if err := validateTags(g.Tags, c.e.cfg.Limits.TagsPerResource); err != nil {
		return nil, err
	}
	sg, err := c.e.addSecurityGroup(g)
	if err != nil {
		return nil, err
	}
	res := &ecs.CreateSecurityGroupResponse{SecurityGroupId: sg.SecurityGroupID}
	c.remember(res)
	return res, nil
}

// ecsDescribeSecurityGroups: SecurityGroupIds (JSON array ≤100),
// SecurityGroupId, VpcId, SecurityGroupType, SecurityGroupName, Tag.N;
// MaxResults 10–100 + NextToken, or deprecated PageNumber/PageSize (≤50).
// Groups come in descending order of ID, as the page says.
func ecsDescribeSecurityGroups(c *call) (any, error) {
	ids, idsSet, err := c.jsonList("SecurityGroupIds", 100)
	if err != nil {
		return nil, err
	}
	tags, err := c.tagFilter()
	if err != nil {
		return nil, err
	}
	switch c.str("SecurityGroupType") {
	case "", "normal", "enterprise":
	default:
		return nil, errInvalid("SecurityGroupType", c.str("SecurityGroupType"))
	}
	var all []*SecurityGroup
	for _, g := range c.e.securityGroupList() {
		if (idsSet && !contains(ids, g.SecurityGroupID)) ||
			(c.str("SecurityGroupId") != "" && g.SecurityGroupID != c.str("SecurityGroupId")) ||
			(c.str("VpcId") != "" && g.VpcID != c.str("VpcId")) ||
			(c.str("SecurityGroupType") != "" && g.Type != c.str("SecurityGroupType")) ||
			(c.str("SecurityGroupName") != "" && g.Name != c.str("SecurityGroupName")) || !tagsMatch(g.Tags, tags) {
			continue
		}
		all = append(all, g)
	}
	slices.SortStableFunc(all, func(a, b *SecurityGroup) int { return strings.Compare(b.SecurityGroupID, a.SecurityGroupID) })
	res := &ecs.DescribeSecurityGroupsResponse{RegionId: c.e.cfg.Region, TotalCount: len(all)}
	var from, to int
	if c.has("MaxResults") || c.has("NextToken") {
		keys := make([]string, len(all))
		for i, g := range all {
			keys[i] = g.SecurityGroupID
		}
		if from, to, res.NextToken, err = c.tokenPage(keys, 100); err != nil {
			return nil, err
		}
	} else {
		num, size, err := c.page(50)
		if err != nil {
			return nil, err
		}
		res.PageNumber, res.PageSize = num, size
		from, to = window(len(all), num, size)
	}
	res.SecurityGroups.SecurityGroup = []ecs.SecurityGroup{}
	for _, g := range all[from:to] {
		v := ecs.SecurityGroup{SecurityGroupId: g.SecurityGroupID, SecurityGroupName: g.Name, Description: g.Description,
			SecurityGroupType: g.Type, VpcId: g.VpcID, CreationTime: g.CreationTime, RuleCount: len(g.Rules),
			EcsCount: c.e.sgMembers(g.SecurityGroupID)}
		v.Tags.Tag = []ecs.Tag{}
		for _, t := range g.Tags {
			v.Tags.Tag = append(v.Tags.Tag, ecs.Tag{TagKey: t.Key, TagValue: t.Value})
		}
		res.SecurityGroups.SecurityGroup = append(res.SecurityGroups.SecurityGroup, v)
	}
	return res, nil
}

// sgMembers counts the instances and NLBs in a group.
func (e *Emulator) sgMembers(id string) int {
	n := 0
	for _, in := range e.instanceList() {
		if contains(in.SecurityGrps, id) {
			n++
		}
	}
	for _, lb := range e.nlb.lbs {
		if contains(lb.SecurityGroups, id) {
			n++
		}
	}
	return n
}

// ecsDescribeSecurityGroupAttribute returns a group with its rules:
// SecurityGroupId required; Direction ingress|egress|all (default all;
// only inbound rules exist here); MaxResults 10–1000 + NextToken. Without
// MaxResults every rule comes in one answer.
func ecsDescribeSecurityGroupAttribute(c *call) (any, error) {
	id, err := c.required("SecurityGroupId")
	if err != nil {
		return nil, err
	}
	g, ok := c.e.ecs.sgs[id]
	if !ok {
		return nil, errSGNotFound()
	}
	dir := c.str("Direction")
	switch dir {
	case "", "all", "ingress", "egress":
	default:
		return nil, errInvalid("Direction", dir)
	}
	res := &ecs.DescribeSecurityGroupAttributeResponse{SecurityGroupId: g.SecurityGroupID, SecurityGroupName: g.Name,
		Description: g.Description, VpcId: g.VpcID, RegionId: c.e.cfg.Region, InnerAccessPolicy: "Accept"}
	if g.Type == "enterprise" {
		res.InnerAccessPolicy = "Drop"
	}
	rules := g.Rules
	if dir == "egress" {
		rules = nil
	}
	from, to := 0, len(rules)
	if c.has("MaxResults") || c.has("NextToken") {
		keys := make([]string, len(rules))
		for i, r := range rules {
			keys[i] = r.RuleID
		}
		if from, to, res.NextToken, err = c.tokenPage(keys, 1000); err != nil {
			return nil, err
		}
	}
	res.Permissions.Permission = []ecs.Permission{}
	for _, r := range rules[from:to] {
		res.Permissions.Permission = append(res.Permissions.Permission, ecs.Permission{SecurityGroupRuleId: r.RuleID,
			Direction: "ingress", IpProtocol: r.IPProtocol, PortRange: r.PortRange, SourceCidrIp: r.SourceCidrIP,
			Ipv6SourceCidrIp: r.Ipv6SourceCidrIP, SourceGroupId: r.SourceGroupID, Policy: r.Policy, Priority: strconv.Itoa(r.Priority), NicType: "intranet",
			Description: r.Description, SourcePortRange: "", CreateTime: g.CreationTime})
	}
	return res, nil
}

// ruleParams reads the rules of an Authorize/Revoke call: Permissions.N.*
// (≤100) or the deprecated top-level fields, never both
// (InvalidParam.Permissions). Each rule is validated as the pages say.
func ruleParams(c *call, write bool) ([]SecurityGroupRule, error) {
	var prefixes []string
	for i := 1; ; i++ {
		p := "Permissions." + strconv.Itoa(i) + "."
		found := false
		for k := range c.Params {
			if strings.HasPrefix(k, p) {
				found = true
				break
			}
		}
		if !found {
			break
		}
		prefixes = append(prefixes, p)
	}
	legacy := false
	for _, k := range []string{"IpProtocol", "PortRange", "SourceCidrIp", "Ipv6SourceCidrIp", "SourceGroupId", "Policy", "Priority"} {
		legacy = legacy || c.has(k)
	}
	if len(prefixes) > 0 && legacy {
		return nil, Errf(http.StatusBadRequest, "InvalidParam.Permissions", "The specified parameter Permissions cannot coexist with other parameters.")
	}
	if len(prefixes) > c.e.cfg.Limits.SecurityGroupRulesPerCall {
		return nil, Errf(http.StatusBadRequest, "InvalidParameter", "The specified parameter Permissions exceeds %d items.", c.e.cfg.Limits.SecurityGroupRulesPerCall)
	}
	if len(prefixes) == 0 {
		prefixes = []string{""}
	}
	var out []SecurityGroupRule
	for _, p := range prefixes {
		r, err := ruleParam(c, p, write)
		if err != nil {
			return nil, err
		}
		for _, o := range out {
			if o.sameRule(r) {
				return nil, Errf(http.StatusBadRequest, "InvalidParam.DuplicatePermissions", "There are duplicate permissions in the specified parameter Permissions.")
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// ruleParam reads and checks one rule (fields named prefix+Name).
func ruleParam(c *call, prefix string, write bool) (SecurityGroupRule, error) {
	get := func(n string) string { return c.str(prefix + n) }
	r := SecurityGroupRule{IPProtocol: strings.ToUpper(get("IpProtocol")), PortRange: get("PortRange"),
		SourceCidrIP: get("SourceCidrIp"), Ipv6SourceCidrIP: get("Ipv6SourceCidrIp"), SourceGroupID: get("SourceGroupId"), Description: get("Description")}
	switch r.IPProtocol {
	case "TCP", "UDP", "ICMP", "ICMPV6", "GRE", "ALL":
	default:
		return r, Errf(http.StatusBadRequest, "InvalidIpProtocol.ValueNotSupported", "The parameter IpProtocol must be specified with case insensitive TCP, UDP, ICMP, GRE or All.")
	}
	if r.PortRange == "" {
		return r, Errf(http.StatusBadRequest, "InvalidPortRange.Malformed", "The specified parameter PortRange must set.")
	}
	if !validPortRange(r.IPProtocol, r.PortRange) {
		return r, Errf(http.StatusBadRequest, "InvalidIpPortRange.Malformed", "The specified parameter PortRange is not valid.")
	}
	if r.SourceCidrIP == "" && r.Ipv6SourceCidrIP == "" && r.SourceGroupID == "" {
		return r, Errf(http.StatusBadRequest, "MissingParameter.Source", "One of the parameters SourceCidrIp, Ipv6SourceCidrIp, SourceGroupId or SourcePrefixListId must be specified.")
	}
	if r.SourceCidrIP != "" && r.Ipv6SourceCidrIP != "" {
		// One rule has one source: an IPv4 or an IPv6 block, not both.
		return r, Errf(http.StatusBadRequest, "InvalidParameter", "The parameters SourceCidrIp and Ipv6SourceCidrIp cannot be specified at the same time.")
	}
	if r.SourceCidrIP != "" {
		canon, ok := canonicalCIDR(r.SourceCidrIP)
		if !ok {
			return r, Errf(http.StatusBadRequest, "InvalidSourceCidrIp.Malformed", "The specified parameter SourceCidrIp is not valid.")
		}
		r.SourceCidrIP, r.SourceGroupID = canon, "" // SourceCidrIp wins over SourceGroupId
	}
	if r.Ipv6SourceCidrIP != "" {
		canon, ok := canonicalCIDRv6(r.Ipv6SourceCidrIP)
		if !ok {
			return r, Errf(http.StatusBadRequest, "InvalidIpv6SourceCidrIp.Malformed", "The specified parameter Ipv6SourceCidrIp is not valid.")
		}
		r.Ipv6SourceCidrIP, r.SourceGroupID = canon, ""
	}
	switch strings.ToLower(get("Policy")) {
	case "", "accept":
		r.Policy = "Accept"
	case "drop":
		r.Policy = "Drop"
	default:
		return r, Errf(http.StatusBadRequest, "InvalidPolicy.Malformed", "The specified parameter Policy is not valid.")
	}
	r.Priority = 1
	if v := get("Priority"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return r, Errf(http.StatusBadRequest, "InvalidPriority.Malformed", "The parameter Priority is invalid.")
		}
		if n < 1 || n > 100 {
			return r, Errf(http.StatusBadRequest, "InvalidPriority.ValueNotSupported", "The specified parameter Priority is invalid.")
		}
		r.Priority = n
	}
	if write && r.Description != "" && len([]rune(r.Description)) > 512 {
		return r, Errf(http.StatusBadRequest, "InvalidSecurityGroupDiscription.Malformed", "The specified security group rule description is not valid.")
	}
	return r, nil
}

// validPortRange: TCP/UDP take "a/b" with 1 ≤ a ≤ b ≤ 65535; the other
// protocols take "-1/-1".
func validPortRange(proto, pr string) bool {
	a, b, ok := strings.Cut(pr, "/")
	if !ok {
		return false
	}
	if proto != "TCP" && proto != "UDP" {
		return a == "-1" && b == "-1"
	}
	lo, err1 := strconv.Atoi(a)
	hi, err2 := strconv.Atoi(b)
	return err1 == nil && err2 == nil && lo >= 1 && lo <= hi && hi <= 65535
}

// canonicalCIDR accepts an IPv4 CIDR block or address ("IPv4 format
// supported") and returns it as the API shows it: an address as is, a
// block masked.
func canonicalCIDR(s string) (string, bool) {
	if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
		return s, true
	}
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		return "", false
	}
	return p.Masked().String(), true
}

// canonicalCIDRv6 accepts an IPv6 CIDR block or address (Ipv6SourceCidrIp:
// "CIDR blocks and IPv6 addresses are supported") and returns it in the
// canonical text form (lower case, zeros compressed), a block masked.
func canonicalCIDRv6(s string) (string, bool) {
	if a, err := netip.ParseAddr(s); err == nil && a.Is6() && !a.Is4In6() && a.Zone() == "" {
		return a.String(), true
	}
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is6() || p.Addr().Is4In6() {
		return "", false
	}
	return p.Masked().String(), true
}

// writableSG resolves the SecurityGroupId of a rule write.
func writableSG(c *call) (*SecurityGroup, error) {
	id, err := c.required("SecurityGroupId")
	if err != nil {
		return nil, err
	}
	g, ok := c.e.ecs.sgs[id]
	if !ok {
		return nil, errSGNotFound()
	}
	return g, nil
}

// ecsAuthorizeSecurityGroup adds inbound rules. A rule that already exists
// is not added again and the call succeeds; a group holds at most
// SecurityGroupRulesPerGroup rules (AuthorizationLimitExceed 403); an
// enterprise group refuses Policy (InvalidGroupParameter.OperationDenied).
func ecsAuthorizeSecurityGroup(c *call) (any, error) {
	if prev, ok, err := c.idempotent(); ok {
		return prev, err
	}
	g, err := writableSG(c)
	if err != nil {
		return nil, err
	}
	rules, err := ruleParams(c, true)
	if err != nil {
		return nil, err
	}
	var add []SecurityGroupRule
	for i, r := range rules {
		if g.Type == "enterprise" && (r.Policy == "Drop" || r.SourceGroupID != "") {
			return nil, Errf(http.StatusBadRequest, "InvalidGroupParameter.OperationDenied", "The attributes Policy, SourceGroupId, DestGroupId of enterprise level security groups are not allowed to be set or modified.")
		}
		if r.SourceGroupID != "" {
			src, ok := c.e.ecs.sgs[r.SourceGroupID]
			if !ok {
				return nil, Errf(http.StatusNotFound, "InvalidSourceGroupId.NotFound", "The SourceGroupId provided does not exist in our records.")
			}
			if src.VpcID != g.VpcID {
				return nil, Errf(http.StatusBadRequest, "InvalidSourceGroupId.Mismatch", "Specified security group and source group are not in the same VPC.")
			}
		}
		if slices.ContainsFunc(g.Rules, rules[i].sameRule) {
			continue
		}
		add = append(add, r)
	}
	if len(g.Rules)+len(add) > c.e.cfg.Limits.SecurityGroupRulesPerGroup {
		return nil, Errf(http.StatusForbidden, "AuthorizationLimitExceed", "The limit of authorization records in the security group reaches.")
	}
	for _, r := range add {
		r.RuleID = c.e.nextID("sgr-")
		g.Rules = append(g.Rules, r)
	}
	res := &ecs.AuthorizeSecurityGroupResponse{}
	c.remember(res)
	return res, nil
}

// ecsRevokeSecurityGroup removes inbound rules by SecurityGroupRuleId.N
// (≤100; an unknown ID is InvalidSecurityGroupRuleId.NotFound 404) or by
// Permissions.N (since July 2024 a rule that does not exist is
// InvalidSecurityGroupRule.RuleNotExist 400 instead of a silent success);
// rule IDs and Permissions never together. Nothing is removed unless
// every rule named is found.
func ecsRevokeSecurityGroup(c *call) (any, error) {
	g, err := writableSG(c)
	if err != nil {
		return nil, err
	}
	ids := c.list("SecurityGroupRuleId")
	var drop []string
	if len(ids) > 0 {
		if c.has("Permissions.1.IpProtocol") || c.has("IpProtocol") {
			return nil, Errf(http.StatusBadRequest, "InvalidParam.Permissions", "The specified parameter Permissions cannot coexist with other parameters.")
		}
		if len(ids) > c.e.cfg.Limits.SecurityGroupRulesPerCall {
			return nil, Errf(http.StatusBadRequest, "InvalidParam.SecurityGroupRuleId", "The specified parameter SecurityGroupRuleId is not valid.")
		}
		for i, id := range ids {
			if slices.Contains(ids[:i], id) {
				return nil, Errf(http.StatusBadRequest, "InvalidParam.SecurityGroupRuleIdRepeated", "The specified parameter SecurityGroupRuleId is repeated.")
			}
			if !slices.ContainsFunc(g.Rules, func(r SecurityGroupRule) bool { return r.RuleID == id }) {
				return nil, Errf(http.StatusNotFound, "InvalidSecurityGroupRuleId.NotFound", "The specified SecurityGroupRuleId is not exists.")
			}
		}
		drop = ids
	} else {
		rules, err := ruleParams(c, false)
		if err != nil {
			return nil, err
		}
		for _, want := range rules {
			i := slices.IndexFunc(g.Rules, want.sameRule)
			if i < 0 {
				return nil, Errf(http.StatusBadRequest, "InvalidSecurityGroupRule.RuleNotExist", "The specified rule does not exist.")
			}
			drop = append(drop, g.Rules[i].RuleID)
		}
	}
	g.Rules = slices.DeleteFunc(g.Rules, func(r SecurityGroupRule) bool { return slices.Contains(drop, r.RuleID) })
	return &ecs.RevokeSecurityGroupResponse{}, nil
}

// ecsDeleteSecurityGroup deletes a group with its rules. A group that still
// holds an instance or an NLB, or that another group's rule names, is
// DependencyViolation 403.
func ecsDeleteSecurityGroup(c *call) (any, error) {
	g, err := writableSG(c)
	if err != nil {
		return nil, err
	}
	if c.e.sgMembers(g.SecurityGroupID) > 0 {
		return nil, Errf(http.StatusForbidden, "DependencyViolation", "There is still instance(s) in the specified security group.")
	}
	for _, o := range c.e.securityGroupList() {
		if o != g && slices.ContainsFunc(o.Rules, func(r SecurityGroupRule) bool { return r.SourceGroupID == g.SecurityGroupID }) {
			return nil, Errf(http.StatusForbidden, "DependencyViolation", "The specified security group has been authorized in another one.")
		}
	}
	delete(c.e.ecs.sgs, g.SecurityGroupID)
	c.e.ecs.sgOrder = removeString(c.e.ecs.sgOrder, g.SecurityGroupID)
	return &ecs.DeleteSecurityGroupResponse{}, nil
}
