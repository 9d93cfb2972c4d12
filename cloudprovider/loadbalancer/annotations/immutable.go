package annotations

import (
	"fmt"
	"strings"
)

// Actual is what the immutable check reads from an existing load balancer,
// spelled as DescribeLoadBalancers reports it.
type Actual struct {
	ID              string
	AddressType     string
	NetworkType     string
	Address         string
	VSwitchID       string
	MasterZoneID    string
	SlaveZoneID     string
	IPVersion       string
	ResourceGroupID string
}

// ImmutableChange is an Immutable annotation (or field) whose value differs
// from the existing load balancer.
type ImmutableChange struct {
	// Name is the registry entry.
	Name Name
	// Want is the value the Service asks for; Have the load balancer's.
	Want, Have string
}

// Field is the short name of the changed annotation ("address-type"), or
// the Service field.
func (c ImmutableChange) Field() string { return c.Name.Suffix() }

// immutableCheck reads one Immutable or CreateOnly entry's value from the
// desired and the actual load balancer. want "" means unset: whatever the
// load balancer has is kept. applies false skips an attribute the actual
// load balancer does not have (a vSwitch of an internet CLB, say).
type immutableCheck struct {
	want    func(lb *LoadBalancer) string
	have    func(a *Actual) string
	applies func(a *Actual) bool
}

func always(*Actual) bool         { return true }
func intranetOnly(a *Actual) bool { return a.AddressType == string(AddressTypeIntranet) }
func fixedAddress(lb *LoadBalancer) string {
	if !lb.Address.IsValid() {
		return ""
	}
	return lb.Address.String()
}

// immutableChecks says how to compare each entry of the registry whose
// Mutability is Immutable or CreateOnly; which entries are compared, and
// whether a difference is an error or a Warning, comes from the registry
// (TestImmutableChecksMatchRegistry keeps the two in step).
var immutableChecks = map[Name]immutableCheck{
	KeyAddressType: {
		want: func(lb *LoadBalancer) string { return string(lb.AddressType) }, // always set: a default says internet
		have: func(a *Actual) string { return a.AddressType }, applies: always},
	KeyNetworkType: {
		want: func(lb *LoadBalancer) string { return string(lb.NetworkType) },
		have: func(a *Actual) string { return a.NetworkType }, applies: intranetOnly},
	KeyIP: {
		want: func(lb *LoadBalancer) string {
			if lb.AddressKey == string(FieldLoadBalancerIP) {
				return ""
			}
			return fixedAddress(lb)
		},
		have: func(a *Actual) string { return a.Address }, applies: intranetOnly},
	FieldLoadBalancerIP: {
		want: func(lb *LoadBalancer) string {
			if lb.AddressKey != string(FieldLoadBalancerIP) {
				return ""
			}
			return fixedAddress(lb)
		},
		have: func(a *Actual) string { return a.Address }, applies: intranetOnly},
	KeyMasterZoneID: {
		want: func(lb *LoadBalancer) string { return lb.MasterZoneID },
		have: func(a *Actual) string { return a.MasterZoneID }, applies: always},
	KeySlaveZoneID: {
		want: func(lb *LoadBalancer) string { return lb.SlaveZoneID },
		have: func(a *Actual) string { return a.SlaveZoneID }, applies: always},
	KeyIPVersion: {
		want: func(lb *LoadBalancer) string { return string(lb.IPVersion) }, // always set: a default says ipv4
		have: func(a *Actual) string { return a.IPVersion },
		// Older CLBs report no address version.
		applies: func(a *Actual) bool { return a.IPVersion != "" }},
	KeyID: {
		want: func(lb *LoadBalancer) string { return lb.ReuseID },
		have: func(a *Actual) string { return a.ID }, applies: always},
	KeyResourceGroupID: {
		// Only the annotation: a default from cloud-config says nothing
		// about an existing load balancer.
		want: func(lb *LoadBalancer) string {
			if !lb.ResourceGroupIDSet {
				return ""
			}
			return lb.ResourceGroupID
		},
		have:    func(a *Actual) string { return a.ResourceGroupID },
		applies: func(a *Actual) bool { return a.ResourceGroupID != "" }},
	KeyVSwitchID: {
		want: func(lb *LoadBalancer) string { return lb.VSwitchID },
		have: func(a *Actual) string { return a.VSwitchID }, applies: intranetOnly},
}

// CheckImmutable compares every Immutable and CreateOnly entry of the
// registry that the Service sets with the existing load balancer, in
// registry order. A changed Immutable entry is an ImmutableChange: the
// engine reports it and never recreates the load balancer. A changed
// CreateOnly entry (vswitch-id) is a Warning: the official CCM reads it at
// creation only, so the same result here, said aloud. Values compare
// case-insensitively, as the API reports some in another case.
func (lb *LoadBalancer) CheckImmutable(a Actual) (changes []ImmutableChange, warnings []string) {
	for _, e := range registry {
		if e.Mutability != Immutable && e.Mutability != CreateOnly {
			continue
		}
		c := immutableChecks[e.Name]
		want, have := c.want(lb), c.have(&a)
		if want == "" || !c.applies(&a) || strings.EqualFold(want, have) {
			continue
		}
		if e.Mutability == Immutable {
			changes = append(changes, ImmutableChange{Name: e.Name, Want: want, Have: have})
			continue
		}
		warnings = append(warnings, fmt.Sprintf("annotation %s=%q is ignored: load balancer %s has %q and the annotation counts at creation only, as with the official CCM; recreate the Service to change it",
			e.Name, want, a.ID, have))
	}
	return changes, warnings
}

// init checks that every Immutable and CreateOnly registry entry has a
// comparison, and no other entry has one, so a new immutable annotation
// cannot be left out of the check.
func init() {
	for _, e := range registry {
		_, ok := immutableChecks[e.Name]
		if want := e.Mutability == Immutable || e.Mutability == CreateOnly; ok != want {
			panic(fmt.Sprintf("annotations: %s is %q but has an immutable check: %v", e.Name, e.Mutability, ok))
		}
	}
}
