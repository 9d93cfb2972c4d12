package routes

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

// Route entry vocabulary of DescribeRouteEntryList
// (https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-describerouteentrylist).
const (
	entryTypeCustom     = "Custom"
	nextHopTypeInstance = "Instance"
	statusAvailable     = "Available"
	statusPending       = "Pending"
	statusModifying     = "Modifying"
	statusDeleting      = "Deleting"
)

// clusterCIDRs is the parsed --cluster-cidr: the address space whose
// next-hop-Instance routes this CCM owns.
type clusterCIDRs []netip.Prefix

// parseClusterCIDRs reads a comma-separated list of IPv4/IPv6 CIDRs. An empty
// string gives an empty set (routes are then refused with a clear error).
func parseClusterCIDRs(s string) (clusterCIDRs, error) {
	var out clusterCIDRs
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("--cluster-cidr %q: %w", part, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// contains reports whether dst lies wholly inside one of the cluster CIDRs.
// Stricter than the framework's overlap test on purpose: a wider route
// covering the whole cluster CIDR (say a VPN's 172.16.0.0/12) is not ours.
func (c clusterCIDRs) contains(dst netip.Prefix) bool {
	for _, p := range c {
		if p.Addr().Is4() == dst.Addr().Is4() && p.Bits() <= dst.Bits() && p.Contains(dst.Addr()) {
			return true
		}
	}
	return false
}

// String gives the CIDRs as --cluster-cidr spells them.
func (c clusterCIDRs) String() string {
	s := make([]string, len(c))
	for i, p := range c {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// parseCIDR canonicalises a route destination ("10.0.1.5/24" -> "10.0.1.0/24").
// A bare address is a host route, as the VPC API treats it.
func parseCIDR(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("destination %q is not a CIDR: %w", s, err)
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("destination %q is not a CIDR: %w", s, err)
	}
	return p.Masked(), nil
}

// entry is the part of a route entry the controller looks at.
type entry struct {
	ID       string
	Table    string
	Dst      netip.Prefix
	Custom   bool   // Type == Custom
	HopType  string // "" when the entry has no or several (ECMP) next hops
	Instance string // next hop ID when HopType is Instance
	Status   string
	Name     string
	Desc     string
}

// fromAPI reads a DescribeRouteEntryList item. The next hop comes from
// NextHops.NextHop (the documented field); the flat InstanceId/NextHopType
// fields of older answers are a fallback. ECMP entries (several next hops)
// are never ours: the CCM writes single-hop entries only.
func fromAPI(table string, r vpc.RouteEntry) (entry, bool) {
	dst, err := parseCIDR(r.DestinationCidrBlock)
	if err != nil {
		return entry{}, false
	}
	e := entry{ID: r.RouteEntryId, Table: table, Dst: dst, Custom: r.Type == entryTypeCustom,
		Status: r.Status, Name: r.RouteEntryName, Desc: r.Description}
	if r.RouteTableId != "" {
		e.Table = r.RouteTableId
	}
	switch hops := r.NextHops.NextHop; len(hops) {
	case 0:
		e.HopType, e.Instance = r.NextHopType, r.InstanceId
	case 1:
		e.HopType, e.Instance = hops[0].NextHopType, hops[0].NextHopId
	default:
		e.HopType = ""
	}
	return e, true
}

// transient reports whether the entry is changing; VPC refuses writes to
// the table meanwhile ("IncorrectRouteEntryStatus",
// https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-createrouteentry).
func (e entry) transient() bool {
	return e.Status == statusPending || e.Status == statusModifying || e.Status == statusDeleting
}

// owned reports whether the entry is one the CCM may manage: a custom,
// single-hop Instance route inside the cluster CIDRs. Everything else (VPN,
// NAT, ECMP, system routes, destinations outside the cluster) is never
// touched.
func (e entry) owned(c clusterCIDRs) bool {
	return e.Custom && e.HopType == nextHopTypeInstance && e.Instance != "" && c.contains(e.Dst)
}

// routeName is the framework Route.Name of an entry: instance and CIDR, so
// DeleteRoute can find the entry again even when the node is gone.
func routeName(instance string, dst netip.Prefix) string {
	return instance + "/" + dst.String()
}

// parseRouteName splits a routeName; ok is false for names we did not make.
func parseRouteName(name string) (instance string, dst netip.Prefix, ok bool) {
	instance, rest, found := strings.Cut(name, "/")
	if !found || !strings.HasPrefix(instance, "i-") {
		return "", netip.Prefix{}, false
	}
	dst, err := parseCIDR(rest)
	if err != nil {
		return "", netip.Prefix{}, false
	}
	return instance, dst, true
}
