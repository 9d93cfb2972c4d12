package nlb

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// The rules of the CCM-owned source-ranges security group. An NLB's
// listener ports accept everyone until a security group it is in holds a
// Deny rule ("If you want to allow requests only from specific IP
// addresses to your NLB instance, you must create at least one Deny
// rule",
// https://www.alibabacloud.com/help/en/slb/network-load-balancer/user-guide/add-an-nlb-instance-to-a-security-group).
// So the group holds, for each listener port, an Accept rule per source
// range at priority acceptPriority and a Drop rule for 0.0.0.0/0 at
// dropPriority; a smaller number wins, and at equal priority Drop wins
// (https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-authorizesecuritygroup).
// On a DualStack NLB the IPv6 ranges get Accept rules too (an IPv6 source
// is AuthorizeSecurityGroup's Ipv6SourceCidrIp, "IPv6 CIDR blocks and IPv6
// addresses are supported") and each port a Drop rule for ::/0, so IPv6
// clients outside the ranges are dropped as IPv4 ones are.
// The Drop rules name the Service's ports only, so other listeners of a
// reused NLB stay open.
const (
	acceptPriority = 1
	dropPriority   = 100
	// maxRulesPerGroup is the documented rule quota of a security group
	// (inbound plus outbound: 200).
	maxRulesPerGroup = 200
	// anyIPv4 and anyIPv6 are the Drop rules' sources.
	anyIPv4 = "0.0.0.0/0"
	anyIPv6 = "::/0"
)

// sgRule is one inbound rule as the engine compares them: protocol upper
// case, port range "a/b", source, policy "accept" or "drop", priority.
type sgRule struct {
	Proto, Ports, Source, Policy string
	Priority                     int
}

func (r sgRule) String() string {
	return fmt.Sprintf("%s %s from %s %s (priority %d)", r.Proto, r.Ports, r.Source, r.Policy, r.Priority)
}

// identity is what ECS identifies a rule by: the priority is not part of
// it, so a rule whose priority changes is revoked before it is added again.
func (r sgRule) identity() sgRule { r.Priority = 0; return r }

// ruleOf reads a rule as DescribeSecurityGroupAttribute shows it (the
// protocol and policy in any case; an IPv4 or an IPv6 source); ok is false
// for rules the engine never writes (another source type).
func ruleOf(p ecs.Permission) (sgRule, bool) {
	prio, err := strconv.Atoi(p.Priority)
	src := p.SourceCidrIp
	if src == "" {
		src = p.Ipv6SourceCidrIp
	}
	if err != nil || src == "" {
		return sgRule{}, false
	}
	return sgRule{Proto: strings.ToUpper(p.IpProtocol), Ports: p.PortRange, Source: src,
		Policy: strings.ToLower(p.Policy), Priority: prio}, true
}

// listenerPorts returns the protocol and port range of each listener
// (TCPSSL is TCP to a security group), without duplicates, in order.
func listenerPorts(ls []annotations.NLBListener) []sgRule {
	var out []sgRule
	for _, l := range ls {
		proto := "TCP"
		if l.Protocol == annotations.NLBProtocolUDP {
			proto = "UDP"
		}
		lo, hi := l.Port, l.Port
		if l.PortRange != nil {
			lo, hi = l.PortRange.Start, l.PortRange.End
		}
		r := sgRule{Proto: proto, Ports: fmt.Sprintf("%d/%d", lo, hi)}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// desiredRules are the owned group's rules for the listeners and the
// source ranges (IPv6 ones only with dualStack), with the Drop rules of
// IPv4 and, with dualStack, of IPv6: Accept rules first, so a write in
// batches never drops traffic before the ranges are let in.
func desiredRules(ls []annotations.NLBListener, ranges []netip.Prefix, dualStack bool) []sgRule {
	ports := listenerPorts(ls)
	var accept, drop []sgRule
	for _, p := range ports {
		for _, src := range ranges {
			if src.Addr().Is4() || dualStack {
				accept = append(accept, sgRule{Proto: p.Proto, Ports: p.Ports, Source: src.String(), Policy: "accept", Priority: acceptPriority})
			}
		}
		drop = append(drop, sgRule{Proto: p.Proto, Ports: p.Ports, Source: anyIPv4, Policy: "drop", Priority: dropPriority})
		if dualStack {
			drop = append(drop, sgRule{Proto: p.Proto, Ports: p.Ports, Source: anyIPv6, Policy: "drop", Priority: dropPriority})
		}
	}
	return append(accept, drop...)
}

// ruleDiff is the writes that turn the current rules into the desired ones.
type ruleDiff struct {
	// RevokeFirst are rules whose identity a rule of Add shares (another
	// priority): ECS would take the Add as a repeat, so they go first.
	RevokeFirst []string
	// Add are the rules to authorize, in desired order.
	Add []sgRule
	// Revoke are the other rules to remove, by rule ID.
	Revoke []string
}

func (d ruleDiff) empty() bool { return len(d.RevokeFirst)+len(d.Add)+len(d.Revoke) == 0 }

// diffRules compares the group's rules with the desired ones. Every rule
// not desired is removed: the group is the CCM's (its tags prove it), so a
// rule added to it by hand is drift.
func diffRules(current []ecs.Permission, want []sgRule) ruleDiff {
	var d ruleDiff
	have := map[sgRule]bool{}
	var drop []ecs.Permission
	for _, p := range current {
		r, ok := ruleOf(p)
		if ok && slices.Contains(want, r) && !have[r] {
			have[r] = true
			continue
		}
		drop = append(drop, p)
	}
	for _, w := range want {
		if !have[w] {
			d.Add = append(d.Add, w)
		}
	}
	for _, p := range drop {
		r, ok := ruleOf(p)
		if ok && slices.ContainsFunc(d.Add, func(w sgRule) bool { return w.identity() == r.identity() }) {
			d.RevokeFirst = append(d.RevokeFirst, p.SecurityGroupRuleId)
		} else {
			d.Revoke = append(d.Revoke, p.SecurityGroupRuleId)
		}
	}
	slices.Sort(d.RevokeFirst)
	slices.Sort(d.Revoke)
	return d
}

// permissions renders rules as AuthorizeSecurityGroup's Permissions.N.
func permissions(rules []sgRule) []ecs.AuthorizeSecurityGroupPermissions {
	out := make([]ecs.AuthorizeSecurityGroupPermissions, 0, len(rules))
	for _, r := range rules {
		p := ecs.AuthorizeSecurityGroupPermissions{IpProtocol: r.Proto, PortRange: r.Ports, Policy: r.Policy,
			Priority: strconv.Itoa(r.Priority), Description: "alicloud-ccm: spec.loadBalancerSourceRanges"}
		if isIPv6Source(r.Source) {
			p.Ipv6SourceCidrIp = r.Source
		} else {
			p.SourceCidrIp = r.Source
		}
		out = append(out, p)
	}
	return out
}

// isIPv6Source tells an IPv6 block from an IPv4 one.
func isIPv6Source(src string) bool { return strings.Contains(src, ":") }

// splitRanges splits the source ranges by family, each sorted and without
// duplicates.
func splitRanges(ranges []netip.Prefix) (v4, v6 []netip.Prefix) {
	for _, p := range ranges {
		if p.Addr().Is4() {
			v4 = append(v4, p)
		} else {
			v6 = append(v6, p)
		}
	}
	byText := func(a, b netip.Prefix) int { return cmp.Compare(a.String(), b.String()) }
	slices.SortFunc(v4, byText)
	slices.SortFunc(v6, byText)
	return slices.Compact(v4), slices.Compact(v6)
}
