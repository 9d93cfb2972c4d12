package routes

import (
	"fmt"
	"net/netip"
)

// Event reasons of the route capability, recorded on the Node whose route
// is concerned.
const (
	// ReasonRouteConflict: the node's pod CIDR is already routed elsewhere
	// (another instance or another kind of next hop) in a route table.
	ReasonRouteConflict = "RouteConflict"
	// ReasonRouteQuotaExceeded: a route table is full.
	ReasonRouteQuotaExceeded = "RouteQuotaExceeded"
	// ReasonRouteFailed: the VPC refused the node's route for another reason.
	ReasonRouteFailed = "CreateRouteFailed"
	// ReasonSourceDestCheckFailed: the node's primary ENI source/destination
	// check could not be turned off.
	ReasonSourceDestCheckFailed = "DisableSourceDestCheckFailed"
)

// QuotaName is the Alibaba Cloud quota of custom route entries per route
// table (default 200), named as the Quota Center names it, so the Event
// tells the operator what to raise.
// https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-createrouteentries
const QuotaName = "vpc_quota_route_entrys_num"

// ConflictError reports that a route table already routes a node's pod
// CIDR to something else. The CCM never overwrites such an entry: it may be
// another node's (then the pod CIDR allocation is wrong) or not ours at all.
type ConflictError struct {
	Table    string
	Dst      netip.Prefix
	Instance string // the next hop we wanted
	Have     string // the next hop the table has
	HaveType string // its next hop type
}

// Error names both next hops.
func (e *ConflictError) Error() string {
	if e.HaveType != nextHopTypeInstance {
		return fmt.Sprintf("route table %s already routes %s to %s %s, not to instance %s; remove that entry or change the node's pod CIDR",
			e.Table, e.Dst, e.HaveType, e.Have, e.Instance)
	}
	return fmt.Sprintf("route table %s already routes %s to instance %s, not to instance %s; two nodes claim the same pod CIDR",
		e.Table, e.Dst, e.Have, e.Instance)
}

// QuotaError reports a full route table.
type QuotaError struct {
	Table string
	Dst   netip.Prefix
	Code  string
}

// Error names the quota to raise.
func (e *QuotaError) Error() string {
	return fmt.Sprintf("route table %s is full, cannot add %s (%s): raise the quota %s (custom route entries per route table) "+
		"in the Quota Center, or use fewer nodes per table", e.Table, e.Dst, e.Code, QuotaName)
}

// EntryError is any other per-entry refusal of a batch route call.
type EntryError struct {
	Action  string
	Table   string
	Dst     netip.Prefix
	Code    string
	Message string
}

// Error names the action, table, destination and the API's code.
func (e *EntryError) Error() string {
	return fmt.Sprintf("%s %s in route table %s: %s: %s", e.Action, e.Dst, e.Table, e.Code, e.Message)
}
