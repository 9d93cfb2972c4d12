package loadbalancer

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// baseLB is an annotations.LoadBalancer as the parser fills it for a
// Service without instance annotations.
func baseLB() annotations.LoadBalancer {
	return annotations.LoadBalancer{AddressType: annotations.AddressTypeInternet, IPVersion: annotations.IPv4,
		DeleteProtection: true, ModificationProtection: annotations.ConsoleProtection}
}

// TestCheckImmutable pins which create-only fields are compared with an
// existing CLB and when: only declared values, the address family only
// when the CLB reports one, network type and address only for intranet
// CLBs, the resource group only when annotated.
func TestCheckImmutable(t *testing.T) {
	internet := slb.LoadBalancer{LoadBalancerId: "lb-1", AddressType: "internet", AddressIPVersion: "ipv4", MasterZoneId: "cn-hangzhou-a",
		ResourceGroupId: "rg-1", NetworkType: "vpc", Address: "47.0.0.1"}
	intranet := internet
	intranet.AddressType, intranet.Address = "intranet", "10.0.0.5"
	tests := []struct {
		name  string
		edit  func(*annotations.LoadBalancer)
		lb    slb.LoadBalancer
		field string // "" = no error
	}{
		{name: "defaults match an internet CLB", lb: internet},
		{name: "address type differs", lb: internet, edit: func(l *annotations.LoadBalancer) { l.AddressType = annotations.AddressTypeIntranet }, field: "address-type"},
		{name: "master zone differs", lb: internet, edit: func(l *annotations.LoadBalancer) { l.MasterZoneID = "cn-hangzhou-b" }, field: "master-zoneid"},
		{name: "master zone equal", lb: internet, edit: func(l *annotations.LoadBalancer) { l.MasterZoneID = "cn-hangzhou-a" }},
		{name: "slave zone differs", lb: internet, edit: func(l *annotations.LoadBalancer) { l.SlaveZoneID = "cn-hangzhou-c" }, field: "slave-zoneid"},
		{name: "ip version differs", lb: internet, edit: func(l *annotations.LoadBalancer) { l.IPVersion = annotations.IPv6 }, field: "ip-version"},
		{name: "ip version not reported is not compared", lb: func() slb.LoadBalancer { l := internet; l.AddressIPVersion = ""; return l }(),
			edit: func(l *annotations.LoadBalancer) { l.IPVersion = annotations.IPv6 }},
		{name: "resource group from cloud-config is not compared", lb: internet, edit: func(l *annotations.LoadBalancer) { l.ResourceGroupID = "rg-2" }},
		{name: "annotated resource group differs", lb: internet,
			edit: func(l *annotations.LoadBalancer) { l.ResourceGroupID, l.ResourceGroupIDSet = "rg-2", true }, field: "resource-group-id"},
		{name: "network type of an internet CLB is not compared", lb: internet,
			edit: func(l *annotations.LoadBalancer) { l.NetworkType = annotations.NetworkTypeClassic }},
		{name: "network type of an intranet CLB differs", lb: intranet,
			edit: func(l *annotations.LoadBalancer) {
				l.AddressType, l.NetworkType = annotations.AddressTypeIntranet, annotations.NetworkTypeClassic
			}, field: "network-type"},
		{name: "address of an intranet CLB differs", lb: intranet,
			edit: func(l *annotations.LoadBalancer) {
				l.AddressType, l.Address = annotations.AddressTypeIntranet, netip.MustParseAddr("10.0.0.6")
			}, field: "ip"},
		{name: "address of an intranet CLB equal", lb: intranet,
			edit: func(l *annotations.LoadBalancer) {
				l.AddressType, l.Address = annotations.AddressTypeIntranet, netip.MustParseAddr("10.0.0.5")
			}},
		{name: "zone compare ignores case", lb: internet, edit: func(l *annotations.LoadBalancer) { l.MasterZoneID = "CN-HANGZHOU-A" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := baseLB()
			if tc.edit != nil {
				tc.edit(&want)
			}
			_, err := checkImmutable(&want, &tc.lb)
			var ie *ImmutableError
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.field != "" && !errors.As(err, &ie):
				t.Fatalf("err = %v, want an ImmutableError for %s", err, tc.field)
			case tc.field != "" && ie.Field != tc.field:
				t.Fatalf("field = %s, want %s", ie.Field, tc.field)
			case tc.field != "" && (!strings.Contains(err.Error(), "lb-1") || !strings.Contains(err.Error(), "cannot be changed")):
				t.Errorf("message %q does not name the CLB and the rule", err)
			}
		})
	}
}

// TestCreateOnlyWarnings: vswitch-id counts at creation only; a different
// one on an existing intranet CLB is a Warning from the same check, not an
// error.
func TestCreateOnlyWarnings(t *testing.T) {
	lb := slb.LoadBalancer{LoadBalancerId: "lb-1", AddressType: "intranet", VSwitchId: "vsw-a"}
	tests := []struct {
		name    string
		vswitch string
		lb      slb.LoadBalancer
		warn    bool
	}{
		{"unset", "", lb, false},
		{"same", "vsw-a", lb, false},
		{"same ignoring case", "VSW-A", lb, false},
		{"different", "vsw-b", lb, true},
		{"internet CLB has no vSwitch", "vsw-b", slb.LoadBalancer{LoadBalancerId: "lb-1", AddressType: "internet"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := baseLB()
			want.AddressType = annotations.AddressType(tc.lb.AddressType)
			want.VSwitchID = tc.vswitch
			got, err := checkImmutable(&want, &tc.lb)
			if err != nil {
				t.Fatalf("a CreateOnly change is not an error: %v", err)
			}
			if (len(got) > 0) != tc.warn {
				t.Fatalf("warnings %v, want warning %v", got, tc.warn)
			}
			if tc.warn && (!strings.Contains(got[0], "vswitch-id") || !strings.Contains(got[0], tc.vswitch)) {
				t.Errorf("warning %q does not name key and value", got[0])
			}
		})
	}
}

// TestPlanLBAttrs pins the instance writes: only declared attributes that
// differ, none when equal; a reused CLB gets only what the user annotated.
func TestPlanLBAttrs(t *testing.T) {
	r := New(nil, nil, nil, Options{ClusterID: "c"})
	svc := service("web", nil)
	ours := ownershipTags(svc, "c")
	synced := slb.LoadBalancer{LoadBalancerId: "lb-1", LoadBalancerName: "web", AddressType: "internet", InstanceChargeType: "PayByCLCU",
		InternetChargeType: "paybytraffic", DeleteProtection: "on", ModificationProtectionStatus: annotations.ConsoleProtection, LoadBalancerSpec: "slb.s1.small"}
	tests := []struct {
		name    string
		edit    func(*annotations.LoadBalancer)
		lb      func(*slb.LoadBalancer)
		own     ownership
		tags    map[string]string
		want    []string
		wantErr string
	}{
		{name: "in sync: no write", edit: func(l *annotations.LoadBalancer) { l.Name = "web" }},
		{name: "rename", edit: func(l *annotations.LoadBalancer) { l.Name = "web2" }, want: []string{"rename the CLB"}},
		{name: "unnamed is not renamed", edit: func(l *annotations.LoadBalancer) { l.Name = "" }},
		{name: "pay-by-spec to pay-by-LCU", lb: func(l *slb.LoadBalancer) { l.InstanceChargeType = "PayBySpec" },
			edit: func(l *annotations.LoadBalancer) { l.InstanceChargeType = "PayByCLCU" }, want: []string{"switch the CLB to pay-by-LCU"}},
		{name: "pay-by-LCU cannot go back", edit: func(l *annotations.LoadBalancer) { l.InstanceChargeType = "PayBySpec" }, wantErr: "instance-charge-type"},
		{name: "spec change on pay-by-spec", lb: func(l *slb.LoadBalancer) { l.InstanceChargeType = "PayBySpec" },
			edit: func(l *annotations.LoadBalancer) { l.InstanceChargeType, l.Spec = "PayBySpec", "slb.s2.small" }, want: []string{"change the CLB spec"}},
		{name: "spec alone on pay-by-LCU is not sent", edit: func(l *annotations.LoadBalancer) { l.Spec = "slb.s2.small" }},
		{name: "internet charge type", edit: func(l *annotations.LoadBalancer) { l.InternetChargeType = "paybybandwidth" },
			want: []string{"change the CLB's internet charge type or bandwidth"}},
		{name: "bandwidth change", lb: func(l *slb.LoadBalancer) { l.InternetChargeType, l.Bandwidth = "paybybandwidth", 10 },
			edit: func(l *annotations.LoadBalancer) { l.InternetChargeType, l.Bandwidth = "paybybandwidth", ptr(20) },
			want: []string{"change the CLB's internet charge type or bandwidth"}},
		{name: "bandwidth equal", lb: func(l *slb.LoadBalancer) { l.InternetChargeType, l.Bandwidth = "paybybandwidth", 20 },
			edit: func(l *annotations.LoadBalancer) { l.InternetChargeType, l.Bandwidth = "PayByBandwidth", ptr(20) }},
		{name: "intranet CLB has no internet spec", lb: func(l *slb.LoadBalancer) { l.AddressType = "intranet" },
			edit: func(l *annotations.LoadBalancer) { l.InternetChargeType = "paybybandwidth" }},
		{name: "delete protection off", edit: func(l *annotations.LoadBalancer) { l.DeleteProtection = false }, want: []string{"set delete protection off"}},
		{name: "modification protection off", edit: func(l *annotations.LoadBalancer) { l.ModificationProtection = annotations.NonProtection },
			want: []string{"set modification protection NonProtection"}},
		{name: "additional tags", edit: func(l *annotations.LoadBalancer) { l.AdditionalTags = []annotations.Tag{{Key: "team", Value: "a"}} },
			want: []string{"add resource tags"}},
		{name: "our CLB without our tags gets them", tags: map[string]string{}, want: []string{"tag the CLB as ours"}},
		{name: "reused: defaults are not applied", own: ownReused, tags: map[string]string{},
			lb: func(l *slb.LoadBalancer) {
				l.DeleteProtection, l.ModificationProtectionStatus = "off", annotations.NonProtection
			},
			edit: func(l *annotations.LoadBalancer) { l.ReuseID = "lb-1" }},
		{name: "reused: annotated protection is applied", own: ownReused, tags: map[string]string{},
			lb:   func(l *slb.LoadBalancer) { l.DeleteProtection = "off" },
			edit: func(l *annotations.LoadBalancer) { l.ReuseID, l.DeleteProtectionSet = "lb-1", true }, want: []string{"set delete protection on"}},
		{name: "reused: annotated tags are added, none of ours", own: ownReused, tags: map[string]string{"team": "b"},
			edit: func(l *annotations.LoadBalancer) {
				l.ReuseID, l.AdditionalTags = "lb-1", []annotations.Tag{{Key: "team", Value: "a"}}
			}, want: []string{"add resource tags"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := baseLB()
			want.Name = "web"
			if tc.edit != nil {
				tc.edit(&want)
			}
			lb := synced
			if tc.lb != nil {
				tc.lb(&lb)
			}
			tags := ours
			if tc.tags != nil {
				tags = tc.tags
			}
			own := ownOurs
			if tc.own != 0 {
				own = tc.own
			}
			writes, err := r.planLBAttrs(svc, &want, &lbState{lb: lb, tags: tags, own: own})
			if tc.wantErr != "" {
				var ie *ImmutableError
				if !errors.As(err, &ie) || ie.Field != tc.wantErr {
					t.Fatalf("err = %v, want an ImmutableError for %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range writes {
				got = append(got, w.what)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("writes %q, want %q", got, tc.want)
			}
		})
	}
}

// TestDiffTags: entries of want the CLB lacks or holds otherwise.
func TestDiffTags(t *testing.T) {
	have := map[string]string{"a": "1", "b": "2"}
	tests := []struct {
		name string
		want map[string]string
		diff []string
	}{
		{"nothing wanted", nil, nil},
		{"all present", map[string]string{"a": "1"}, nil},
		{"value differs", map[string]string{"a": "9"}, []string{"a"}},
		{"missing", map[string]string{"c": "3"}, []string{"c"}},
		{"empty value is a value", map[string]string{"b": ""}, []string{"b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := diffTags(have, tc.want)
			var keys []string
			for k := range d {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, tc.diff) {
				t.Errorf("diff %v, want %v", keys, tc.diff)
			}
			if missingTags(have, tc.want) != (len(tc.diff) > 0) {
				t.Errorf("missingTags disagrees with diffTags")
			}
		})
	}
}
