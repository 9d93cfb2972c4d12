package annotations

import (
	"reflect"
	"strings"
	"testing"
)

// TestImmutableChecksMatchRegistry: the entries compared with an existing
// load balancer are exactly the registry's Immutable and CreateOnly ones.
func TestImmutableChecksMatchRegistry(t *testing.T) {
	for _, a := range All() {
		_, has := immutableChecks[a.Name]
		want := a.Mutability == Immutable || a.Mutability == CreateOnly
		if has != want {
			t.Errorf("%s (%s): immutable check %v", a.Name, a.Mutability, has)
		}
	}
	for n := range immutableChecks {
		if _, ok := byName[n]; !ok {
			t.Errorf("immutable check for %s, which is not in the registry", n)
		}
	}
}

// TestCheckImmutable is one case per rule of the comparison.
func TestCheckImmutable(t *testing.T) {
	internet := Actual{ID: "lb-1", AddressType: "internet", IPVersion: "ipv4"}
	intranet := Actual{ID: "lb-1", AddressType: "intranet", NetworkType: "vpc", Address: "192.168.0.9", VSwitchID: "vsw-1",
		MasterZoneID: "z-a", SlaveZoneID: "z-b", IPVersion: "ipv4", ResourceGroupID: "rg-1"}
	intr := string(KeyAddressType)
	tests := []struct {
		name    string
		ann     map[string]string
		lbIP    string
		d       Defaults
		actual  Actual
		changes []ImmutableChange
		warn    string
	}{
		{name: "defaults match an internet CLB", actual: internet},
		{name: "the default address type differs", actual: intranet,
			changes: []ImmutableChange{{Name: KeyAddressType, Want: "internet", Have: "intranet"}}},
		{name: "address type", ann: ann(intr, "intranet"), actual: internet,
			changes: []ImmutableChange{{Name: KeyAddressType, Want: "intranet", Have: "internet"}}},
		{name: "case-insensitive", ann: ann(intr, "intranet", string(KeyNetworkType), "vpc"), actual: Actual{AddressType: "intranet", NetworkType: "VPC"}},
		{name: "network type", ann: ann(intr, "intranet", string(KeyNetworkType), "classic"), actual: intranet,
			changes: []ImmutableChange{{Name: KeyNetworkType, Want: "classic", Have: "vpc"}}},
		{name: "ip annotation", ann: ann(intr, "intranet", string(KeyIP), "192.168.0.10"), actual: intranet,
			changes: []ImmutableChange{{Name: KeyIP, Want: "192.168.0.10", Have: "192.168.0.9"}}},
		{name: "spec.loadBalancerIP", ann: ann(intr, "intranet"), lbIP: "192.168.0.11", actual: intranet,
			changes: []ImmutableChange{{Name: FieldLoadBalancerIP, Want: "192.168.0.11", Have: "192.168.0.9"}}},
		{name: "same address", ann: ann(intr, "intranet", string(KeyIP), "192.168.0.9"), actual: intranet},
		{name: "zones", ann: ann(string(KeyMasterZoneID), "z-c", string(KeySlaveZoneID), "z-d"), actual: internet,
			changes: []ImmutableChange{{Name: KeyMasterZoneID, Want: "z-c"}, {Name: KeySlaveZoneID, Want: "z-d"}}},
		{name: "ip version", ann: ann(string(KeyIPVersion), "ipv6"), actual: internet,
			changes: []ImmutableChange{{Name: KeyIPVersion, Want: "ipv6", Have: "ipv4"}}},
		{name: "ip version unknown on old CLBs", ann: ann(string(KeyIPVersion), "ipv6"), actual: Actual{AddressType: "internet"}},
		{name: "resource group annotation", ann: ann(string(KeyResourceGroupID), "rg-2"), actual: Actual{AddressType: "internet", ResourceGroupID: "rg-1"},
			changes: []ImmutableChange{{Name: KeyResourceGroupID, Want: "rg-2", Have: "rg-1"}}},
		{name: "resource group default is not compared", d: Defaults{ResourceGroupID: "rg-2"}, actual: Actual{AddressType: "internet", ResourceGroupID: "rg-1"}},
		{name: "reused ID", ann: ann(string(KeyID), "lb-2"), actual: internet,
			changes: []ImmutableChange{{Name: KeyID, Want: "lb-2", Have: "lb-1"}}},
		{name: "vswitch is create-only: a Warning", ann: ann(intr, "intranet", string(KeyVSwitchID), "vsw-2"), actual: intranet,
			warn: `vswitch-id="vsw-2" is ignored: load balancer lb-1 has "vsw-1"`},
		{name: "vswitch of an internet CLB", ann: ann(intr, "internet", string(KeyVSwitchID), "vsw-2"), actual: internet},
		{name: "all in registry order", ann: ann(intr, "intranet", string(KeyNetworkType), "classic", string(KeyMasterZoneID), "z-x"),
			actual:  Actual{AddressType: "internet"},
			changes: []ImmutableChange{{Name: KeyAddressType, Want: "intranet", Have: "internet"}, {Name: KeyMasterZoneID, Want: "z-x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := newService(tt.ann, nil)
			svc.Spec.LoadBalancerIP = tt.lbIP
			cfg, err := Parse(svc, tt.d)
			if err != nil {
				t.Fatal(err)
			}
			changes, warnings := cfg.LB.CheckImmutable(tt.actual)
			if !reflect.DeepEqual(changes, tt.changes) {
				t.Errorf("changes =\n%+v\nwant\n%+v", changes, tt.changes)
			}
			switch {
			case tt.warn == "" && len(warnings) > 0:
				t.Errorf("unexpected warnings %q", warnings)
			case tt.warn != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], tt.warn)):
				t.Errorf("warnings %q, want one containing %q", warnings, tt.warn)
			}
		})
	}
}

func TestImmutableChangeField(t *testing.T) {
	if f := (ImmutableChange{Name: KeyAddressType}).Field(); f != "address-type" {
		t.Errorf("Field = %q", f)
	}
	if f := (ImmutableChange{Name: FieldLoadBalancerIP}).Field(); f != "spec.loadBalancerIP" {
		t.Errorf("Field = %q", f)
	}
}
