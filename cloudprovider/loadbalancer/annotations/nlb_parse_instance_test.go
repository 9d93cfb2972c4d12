package annotations

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
)

func TestParseNLBInstanceValues(t *testing.T) {
	svc := nlbService(ann(
		string(KeyAddressType), "internet",
		string(KeyIPVersion), "DualStack",
		string(KeyIPv6AddressType), "internet",
		string(KeyName), "my-nlb",
		string(KeyResourceGroupID), "rg-1",
		string(KeyAdditionalResourceTags), "env=prod,team=",
		string(KeyZoneMaps), "cn-hangzhou-h:vsw-1:10.0.0.5:eip-1, cn-hangzhou-i:vsw-2",
		string(KeySecurityGroupIDs), "sg-1, sg-2",
		string(KeyBandwidthPackageID), "cbwp-1",
		string(KeyCrossZoneEnabled), "off",
		string(KeyDeleteProtection), "off",
		string(KeyModificationProtection), "NonProtection",
		string(KeyPreserveLBOnDelete), "true",
	), nil)
	got := mustParseNLB(t, svc, Defaults{ResourceGroupID: "rg-default"}).LB
	want := NLBInstance{
		AddressType: AddressTypeInternet, AddressTypeSet: true, IPVersion: DualStack, IPVersionSet: true, IPv6AddressType: AddressTypeInternet,
		Name: "my-nlb", ResourceGroupID: "rg-1", ResourceGroupIDSet: true,
		AdditionalTags: []Tag{{"env", "prod"}, {"team", ""}},
		ZoneMaps: []ZoneMap{
			{ZoneID: "cn-hangzhou-h", VSwitchID: "vsw-1", PrivateIPv4: netip.MustParseAddr("10.0.0.5"), EIPAllocationID: "eip-1"},
			{ZoneID: "cn-hangzhou-i", VSwitchID: "vsw-2"},
		},
		SecurityGroupIDs: []string{"sg-1", "sg-2"}, BandwidthPackageID: "cbwp-1", CrossZoneEnabled: new(false),
		DeleteProtection: false, DeleteProtectionSet: true, ModificationProtection: NonProtection, ModificationProtectionSet: true,
		PreserveOnDelete: true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LB =\n%+v\nwant\n%+v", got, want)
	}
}

// TestParseNLBDefaults: an NLB Service without annotations gets the
// documented defaults and nothing made up.
func TestParseNLBDefaults(t *testing.T) {
	cfg := mustParseNLB(t, nlbService(nil, nil), Defaults{ResourceGroupID: "rg-d", BackendType: BackendENI})
	want := NLBInstance{AddressType: AddressTypeInternet, IPVersion: IPv4, ResourceGroupID: "rg-d",
		DeleteProtection: true, ModificationProtection: ConsoleProtection}
	if !reflect.DeepEqual(cfg.LB, want) {
		t.Errorf("LB = %+v, want %+v", cfg.LB, want)
	}
	if cfg.ServerGroup.Type != NLBServerGroupInstance || cfg.ServerGroup.Scheduler != "" || cfg.ServerGroup.HealthCheck.Enabled != nil {
		t.Errorf("ServerGroup = %+v", cfg.ServerGroup)
	}
	if cfg.Backend.Type != BackendENI || cfg.Backend.Policy != TrafficENI || cfg.Backend.IPVersion != IPv4 {
		t.Errorf("Backend = %+v", cfg.Backend)
	}
	if len(cfg.Listeners) != 1 || cfg.Listeners[0].Protocol != NLBProtocolTCP || cfg.Listeners[0].IdleTimeout != nil {
		t.Errorf("Listeners = %+v", cfg.Listeners)
	}
	if cfg.SourceRanges != nil || len(cfg.Warnings) != 0 {
		t.Errorf("SourceRanges %v, Warnings %q", cfg.SourceRanges, cfg.Warnings)
	}
}

// TestNLBInstanceDecisions pins each instance decision: the error or
// Warning, and what is kept.
func TestNLBInstanceDecisions(t *testing.T) {
	tests := []struct {
		name    string
		ann     map[string]string
		d       Defaults
		errKey  Name   // an *Error for this key is expected
		warn    string // a Warning containing this is expected
		inspect func(t *testing.T, lb NLBInstance)
	}{
		{name: "disablePublicSLB refuses the default internet NLB, naming the key", d: Defaults{DisablePublicSLB: true}, errKey: KeyAddressType},
		{name: "disablePublicSLB allows intranet", ann: ann(string(KeyAddressType), "intranet"), d: Defaults{DisablePublicSLB: true},
			inspect: func(t *testing.T, lb NLBInstance) {
				if lb.AddressType != AddressTypeIntranet {
					t.Errorf("AddressType %q", lb.AddressType)
				}
			}},
		{name: "ipv6 is read as ipv4 as the official CCM does", ann: ann(string(KeyIPVersion), "ipv6"), warn: "is read as ipv4",
			inspect: func(t *testing.T, lb NLBInstance) {
				if lb.IPVersion != IPv4 || !lb.IPVersionSet {
					t.Errorf("IPVersion %q set %v", lb.IPVersion, lb.IPVersionSet)
				}
			}},
		{name: "ipv6-address-type without DualStack is ignored", ann: ann(string(KeyIPv6AddressType), "internet"), warn: "applies only with " + string(KeyIPVersion),
			inspect: func(t *testing.T, lb NLBInstance) {
				if lb.IPv6AddressType != "" {
					t.Errorf("IPv6AddressType %q", lb.IPv6AddressType)
				}
			}},
		{name: "bandwidth package on an intranet NLB is ignored", ann: ann(string(KeyAddressType), "intranet", string(KeyBandwidthPackageID), "cbwp-1"),
			warn: "internet NLBs only"},
		{name: "an EIP needs an internet NLB", ann: ann(string(KeyAddressType), "intranet", string(KeyZoneMaps), "z1:vsw-1::eip-1"), errKey: KeyZoneMaps},
		{name: "a bad zone entry drops the whole list", ann: ann(string(KeyZoneMaps), "z1:vsw-1,z2:bad"), errKey: KeyZoneMaps,
			inspect: func(t *testing.T, lb NLBInstance) {
				if lb.ZoneMaps != nil {
					t.Errorf("ZoneMaps %+v", lb.ZoneMaps)
				}
			}},
		{name: "zone-maps unset is nil (the engine derives zones)", inspect: func(t *testing.T, lb NLBInstance) {
			if lb.ZoneMaps != nil || lb.SecurityGroupIDs != nil || lb.CrossZoneEnabled != nil {
				t.Errorf("%+v", lb)
			}
		}},
		{name: "force-override-listeners without id is ignored", ann: ann(string(KeyForceOverrideListeners), "true"), warn: "applies only with " + string(KeyID)},
		{name: "delete-protection On is on for an NLB, silently", ann: ann(string(KeyDeleteProtection), "On"),
			inspect: func(t *testing.T, lb NLBInstance) {
				if !lb.DeleteProtection || !lb.DeleteProtectionSet {
					t.Errorf("DeleteProtection %v set %v", lb.DeleteProtection, lb.DeleteProtectionSet)
				}
			}},
		{name: "resource group from cloud-config is not Set", d: Defaults{ResourceGroupID: "rg-d"},
			inspect: func(t *testing.T, lb NLBInstance) {
				if lb.ResourceGroupID != "rg-d" || lb.ResourceGroupIDSet {
					t.Errorf("ResourceGroupID %q set %v", lb.ResourceGroupID, lb.ResourceGroupIDSet)
				}
			}},
		{name: "a CLB name rule is not the NLB's: 81 characters are fine", ann: ann(string(KeyName), "a"+strings.Repeat("b", 80)),
			inspect: func(t *testing.T, lb NLBInstance) {
				if len(lb.Name) != 81 {
					t.Errorf("Name %q", lb.Name)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseNLB(nlbService(tt.ann, nil), tt.d)
			checkOutcome(t, cfg.Warnings, err, tt.errKey, tt.warn)
			if tt.inspect != nil {
				tt.inspect(t, cfg.LB)
			}
		})
	}
}

// checkOutcome checks that err has an *Error for errKey (under either
// prefix) or is nil when errKey is empty, and that a Warning contains
// warn when it is not empty.
func checkOutcome(t *testing.T, warnings []string, err error, errKey Name, warn string) {
	t.Helper()
	switch {
	case errKey == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case errKey != "":
		found := false
		for _, e := range flatten(err) {
			var ae *Error
			if errors.As(e, &ae) && (ae.Key == string(errKey) || ae.Key == errKey.Legacy()) {
				found = true
			}
		}
		if !found {
			t.Fatalf("want an *Error for %s, got %v", errKey, err)
		}
	}
	if warn != "" && !containsSub(warnings, warn) {
		t.Errorf("no Warning containing %q in %q", warn, warnings)
	}
	if warn == "" && errKey == "" && len(warnings) > 0 {
		t.Errorf("unexpected Warnings %q", warnings)
	}
}

// containsSub reports whether any of list contains sub.
func containsSub(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// TestNLBKeysOfTheOtherProduct: a CLB-only key on an NLB Service is a
// Warning naming it and is ignored; an NLB-only key on a CLB Service keeps
// its Warning; an unknown key gets a hint from the NLB registry.
func TestNLBKeysOfTheOtherProduct(t *testing.T) {
	cfg := mustParseNLB(t, nlbService(ann(
		string(KeyHTTP2Enabled), "on",
		LegacyPrefix+"spec", "slb.s1.small",
		Prefix+"zone-map", "z1:vsw-1",
		Prefix+"type", "nlb",
		"example.com/other", "x",
	), nil), Defaults{})
	want := []string{
		"annotation " + string(KeyHTTP2Enabled) + " applies to CLB Services only and is ignored on an NLB Service",
		"unknown annotation " + Prefix + "zone-map is ignored; did you mean zone-maps?",
		"annotation " + LegacyPrefix + "spec applies to CLB Services only",
	}
	if len(cfg.Warnings) != len(want) {
		t.Fatalf("Warnings %q, want %d", cfg.Warnings, len(want))
	}
	for i, w := range want {
		if !strings.Contains(cfg.Warnings[i], w) {
			t.Errorf("Warning %d = %q, want it to contain %q", i, cfg.Warnings[i], w)
		}
	}
	clb := mustParse(t, newService(ann(string(KeyZoneMaps), "z1:vsw-1"), nil), Defaults{})
	if !containsSub(clb.Warnings, "applies to NLB Services only") {
		t.Errorf("CLB Warnings %q", clb.Warnings)
	}
	if s := suggestFrom("cacert-idd", AllNLB()); s != "cacert-id" {
		t.Errorf("suggestFrom(cacert-idd) = %q", s)
	}
}

// TestNLBPrefixPrecedence: the NLB parser reads keys as Parse does.
func TestNLBPrefixPrecedence(t *testing.T) {
	cfg := mustParseNLB(t, nlbService(ann(
		string(KeyName), " current ",
		LegacyPrefix+"name", "legacy",
		LegacyPrefix+"cps", "100",
		string(KeyBandwidthPackageID), "  ",
	), nil), Defaults{})
	if cfg.LB.Name != "current" || cfg.LB.BandwidthPackageID != "" || *cfg.Listeners[0].CPS != 100 {
		t.Errorf("LB %+v, listener %+v", cfg.LB, cfg.Listeners[0])
	}
	if !containsSub(cfg.Warnings, LegacyPrefix+"name") {
		t.Errorf("no Warning for the ignored legacy key: %q", cfg.Warnings)
	}
}

// TestNLBAggregatedErrors: every bad key is reported at once, each an
// *Error naming key and value, with a long value shortened.
func TestNLBAggregatedErrors(t *testing.T) {
	long := strings.Repeat("x", 500)
	svc := nlbService(ann(
		string(KeyZoneMaps), "z1",
		string(KeyCPS), "-5",
		string(KeyScheduler), "lc",
		string(KeyName), long,
	), nil)
	svc.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8", "nope"}
	cfg, err := ParseNLB(svc, Defaults{})
	if cfg == nil || err == nil {
		t.Fatalf("cfg %v err %v", cfg, err)
	}
	errs := flatten(err)
	if len(errs) != 5 {
		t.Fatalf("%d errors, want 5: %v", len(errs), err)
	}
	for _, key := range []string{string(KeyZoneMaps), string(KeyCPS), string(KeyScheduler), string(KeyName), string(FieldLoadBalancerSourceRanges) + "[1]"} {
		found := false
		for _, e := range errs {
			var ae *Error
			if errors.As(e, &ae) && ae.Key == key {
				found = true
			}
		}
		if !found {
			t.Errorf("no *Error for %s in %v", key, err)
		}
	}
	if strings.Contains(err.Error(), long) {
		t.Error("the long value is not shortened")
	}
}

func TestNLBSourceRanges(t *testing.T) {
	svc := nlbService(nil, nil)
	svc.Spec.LoadBalancerSourceRanges = []string{" 10.0.0.1/8 ", "192.168.1.0/24"}
	cfg := mustParseNLB(t, svc, Defaults{})
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.0/24")}
	if !reflect.DeepEqual(cfg.SourceRanges, want) {
		t.Errorf("SourceRanges %v, want %v", cfg.SourceRanges, want)
	}
}

// TestNLBBackend: the shared backend keys read as for CLB, the NLB's
// address families and sgp- groups.
func TestNLBBackend(t *testing.T) {
	svc := nlbService(ann(
		string(KeyID), "nlb-1",
		string(KeyVGroupPort), "sgp-1:80",
		string(KeyWeight), "60",
		string(KeyDefaultWeight), "50",
		string(KeyBackendLabel), "pool=a",
		string(KeyRemoveUnscheduledBackend), "on",
		string(KeyIgnoreWeightUpdate), "on",
		string(KeyIPVersion), "DualStack",
		string(KeyBackendIPVersion), "dualstack",
	), nil)
	svc.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal
	svc.Spec.HealthCheckNodePort = 31000
	got := mustParseNLB(t, svc, Defaults{}).Backend
	want := Backend{Type: BackendECS, Policy: TrafficLocal, NodeLabels: map[string]string{"pool": "a"}, RemoveUnscheduled: true,
		VGroupPorts: map[int32]string{80: "sgp-1"}, Weight: new(60), DefaultWeight: new(50), IgnoreWeightUpdate: true,
		IPVersion: DualStack, HealthCheckNodePort: 31000}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Backend =\n%+v\nwant\n%+v", got, want)
	}
	for _, tt := range []struct {
		ann    map[string]string
		errKey Name
		warn   string
		want   IPVersion
	}{
		{ann: ann(string(KeyBackendIPVersion), "ipv6"), errKey: KeyBackendIPVersion},
		{ann: ann(string(KeyIPVersion), "DualStack", string(KeyBackendIPVersion), "ipv6"), want: IPv6},
		{ann: ann(string(KeyBackendIPVersion), "ipv4"), want: IPv4},
		{ann: ann(string(KeyVGroupPort), "sgp-1:80"), warn: "applies only with " + string(KeyID)},
		{ann: ann(string(KeyWeight), "10"), warn: "applies only with " + string(KeyVGroupPort)},
	} {
		cfg, err := ParseNLB(nlbService(tt.ann, nil), Defaults{})
		checkOutcome(t, cfg.Warnings, err, tt.errKey, tt.warn)
		if tt.errKey == "" && cfg.Backend.IPVersion != tt.want && tt.want != "" {
			t.Errorf("%v: IPVersion %q, want %q", tt.ann, cfg.Backend.IPVersion, tt.want)
		}
	}
}

func TestNLBCheckImmutable(t *testing.T) {
	base := NLBActual{ID: "nlb-1", IPVersion: "ipv4", ResourceGroupID: "rg-1", ServerGroupType: "Instance", ServerGroupIPVersion: "ipv4"}
	tests := []struct {
		name   string
		ann    map[string]string
		actual NLBActual
		want   []Name
	}{
		{name: "unchanged defaults", actual: base},
		{name: "the API's case does not matter", actual: NLBActual{IPVersion: "IPV4", ServerGroupType: "instance"}},
		{name: "unknown actual values are not compared", actual: NLBActual{}},
		{name: "ip-version changed", ann: ann(string(KeyIPVersion), "DualStack"), actual: base, want: []Name{KeyIPVersion}},
		{name: "resource group from the annotation", ann: ann(string(KeyResourceGroupID), "rg-2"), actual: base, want: []Name{KeyResourceGroupID}},
		{name: "another reused NLB", ann: ann(string(KeyID), "nlb-2"), actual: base, want: []Name{KeyID}},
		{name: "server group type changed", ann: ann(string(KeyServerGroupType), "ip"), actual: base, want: []Name{KeyServerGroupType}},
		{name: "backend family changed", ann: ann(string(KeyIPVersion), "DualStack", string(KeyBackendIPVersion), "ipv6"),
			actual: NLBActual{IPVersion: "DualStack", ServerGroupIPVersion: "ipv4"}, want: []Name{KeyBackendIPVersion}},
		{name: "several, in registry order", ann: ann(string(KeyServerGroupType), "ip", string(KeyIPVersion), "DualStack"), actual: base,
			want: []Name{KeyIPVersion, KeyServerGroupType}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustParseNLB(t, nlbService(tt.ann, nil), Defaults{ResourceGroupID: "rg-default"})
			var got []Name
			for _, c := range cfg.CheckImmutable(tt.actual) {
				got = append(got, c.Name)
				if c.Want == "" || c.Have == "" {
					t.Errorf("change %+v without both values", c)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("changes %v, want %v", got, tt.want)
			}
		})
	}
	for _, a := range AllNLB() {
		if _, ok := nlbImmutableChecks[a.Name]; ok != (a.Mutability == Immutable) {
			t.Errorf("%s: %q, immutable check %v", a.Name, a.Mutability, ok)
		}
	}
}

// TestNLBAccessorsReadAsParseNLB: the single-key accessors (for paths that
// must work when other annotations do not parse) read an NLB Service's
// keys as ParseNLB does: on/off in any case.
func TestNLBAccessorsReadAsParseNLB(t *testing.T) {
	for _, tt := range []struct {
		val  string
		want bool
	}{
		{"on", true}, {"On", true}, {" ON ", true}, {"off", false}, {"", false}, {"true", false},
	} {
		t.Run(tt.val, func(t *testing.T) {
			svc := nlbService(ann(string(KeyProxyProtocol), tt.val, KeyRemoveUnscheduledBackend.Legacy(), tt.val,
				string(KeyID), "nlb-1", string(KeyName), "my-nlb", string(KeyPreserveLBOnDelete), "true"), nil)
			cfg := mustParseNLB(t, svc, Defaults{})
			if got, p := ProxyProtocol(svc), cfg.Listeners[0].ProxyProtocol; got != tt.want || (p != nil && *p) != tt.want {
				t.Errorf("ProxyProtocol = %v, ParseNLB %v, want %v", got, boolStr(p), tt.want)
			}
			if got := RemoveUnscheduled(svc); got != tt.want || cfg.Backend.RemoveUnscheduled != tt.want {
				t.Errorf("RemoveUnscheduled = %v, ParseNLB %v, want %v", got, cfg.Backend.RemoveUnscheduled, tt.want)
			}
			if keep, _ := PreserveOnDelete(svc); ReuseID(svc) != cfg.LB.ReuseID || LoadBalancerName(svc) != cfg.LB.Name || keep != cfg.LB.PreserveOnDelete {
				t.Errorf("accessors %q %q %v, ParseNLB %+v", ReuseID(svc), LoadBalancerName(svc), keep, cfg.LB)
			}
		})
	}
	// The same value on a CLB Service is off, as Parse reads it.
	clb := newService(ann(string(KeyProxyProtocol), "On"), nil)
	if ProxyProtocol(clb) {
		t.Error("ProxyProtocol(CLB Service, On) = true; Parse reads it as off")
	}
}
