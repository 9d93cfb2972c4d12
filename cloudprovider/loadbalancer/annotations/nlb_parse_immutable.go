package annotations

import (
	"fmt"
	"strings"
)

// NLBActual is what the NLB immutable check reads from an existing NLB
// and the Service's server groups, spelled as GetLoadBalancerAttribute and
// ListServerGroups report it. An empty field is unknown and not compared.
type NLBActual struct {
	// ID is the NLB ID; IPVersion its AddressIpVersion (ipv4, DualStack);
	// ResourceGroupID its resource group.
	ID, IPVersion, ResourceGroupID string
	// ServerGroupType is the ServerGroupType (Instance, Ip) and
	// ServerGroupIPVersion the AddressIPVersion (ipv4, DualStack) of the
	// server groups the CCM made for the Service; "" when it has none.
	ServerGroupType, ServerGroupIPVersion string
}

// nlbImmutableCheck reads one Immutable entry's value from the desired
// config and the actual NLB; want "" means unset (not compared).
type nlbImmutableCheck struct {
	want func(c *NLBConfig) string
	have func(a *NLBActual) string
}

// nlbImmutableChecks says how to compare each NLB registry entry whose
// Mutability is Immutable; which entries, from the registry (the init
// below keeps the two in step).
var nlbImmutableChecks = map[Name]nlbImmutableCheck{
	KeyIPVersion: {
		want: func(c *NLBConfig) string { return string(c.LB.IPVersion) }, // always set: a default says ipv4
		have: func(a *NLBActual) string { return a.IPVersion }},
	KeyResourceGroupID: {
		// Only the annotation: a default from cloud-config says nothing
		// about an existing NLB.
		want: func(c *NLBConfig) string {
			if !c.LB.ResourceGroupIDSet {
				return ""
			}
			return c.LB.ResourceGroupID
		},
		have: func(a *NLBActual) string { return a.ResourceGroupID }},
	KeyID: {
		want: func(c *NLBConfig) string { return c.LB.ReuseID },
		have: func(a *NLBActual) string { return a.ID }},
	KeyServerGroupType: {
		want: func(c *NLBConfig) string { return string(c.ServerGroup.Type) }, // always set: a default says Instance
		have: func(a *NLBActual) string { return a.ServerGroupType }},
	KeyBackendIPVersion: {
		// ipv6 and dualstack pod backends both live in DualStack groups.
		want: func(c *NLBConfig) string {
			if c.Backend.IPVersion == IPv4 || c.Backend.IPVersion == "" {
				return string(IPv4)
			}
			return string(DualStack)
		},
		have: func(a *NLBActual) string { return a.ServerGroupIPVersion }},
}

// CheckImmutable compares every Immutable entry of the NLB registry with
// the existing NLB and the Service's server groups, in registry order. A
// difference is an ImmutableChange: the engine reports it (a Warning
// Event naming the annotation, both values, and no writes) and never
// recreates the NLB or its groups. Values compare case-insensitively, as
// the API reports some in another case; an unknown actual value (empty)
// is not compared.
func (c *NLBConfig) CheckImmutable(a NLBActual) []ImmutableChange {
	var changes []ImmutableChange
	for _, e := range AllNLB() {
		if e.Mutability != Immutable {
			continue
		}
		chk := nlbImmutableChecks[e.Name]
		want, have := chk.want(c), chk.have(&a)
		if want == "" || have == "" || strings.EqualFold(want, have) {
			continue
		}
		changes = append(changes, ImmutableChange{Name: e.Name, Want: want, Have: have})
	}
	return changes
}

// init checks that every Immutable NLB registry entry has a comparison and
// no other entry has one (the NLB registry has no CreateOnly entries).
func init() {
	for _, e := range AllNLB() {
		_, ok := nlbImmutableChecks[e.Name]
		if e.Mutability == CreateOnly || ok != (e.Mutability == Immutable) {
			panic(fmt.Sprintf("annotations: NLB %s is %q but has an immutable check: %v", e.Name, e.Mutability, ok))
		}
	}
}
