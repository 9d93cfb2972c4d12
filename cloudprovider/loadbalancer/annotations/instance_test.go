package annotations

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// TestInstanceTopics pins what each topic group of parseInstance puts into
// LoadBalancer, defaults and "Set" flags included.
func TestInstanceTopics(t *testing.T) {
	intranet := string(KeyAddressType)
	tests := []struct {
		name string
		ann  map[string]string
		d    Defaults
		want func(lb *LoadBalancer) bool
	}{
		// Network.
		{name: "defaults", want: func(lb *LoadBalancer) bool {
			return lb.AddressType == AddressTypeInternet && !lb.AddressTypeSet && lb.IPVersion == IPv4 && !lb.IPVersionSet &&
				lb.NetworkType == "" && lb.VSwitchID == "" && lb.VSwitchCandidates == nil && !lb.Address.IsValid()
		}},
		{name: "intranet takes the cloud-config vSwitches as candidates", ann: ann(intranet, "intranet"), d: Defaults{VSwitchIDs: []string{"vsw-a", "vsw-b"}},
			want: func(lb *LoadBalancer) bool {
				return lb.AddressTypeSet && reflect.DeepEqual(lb.VSwitchCandidates, []string{"vsw-a", "vsw-b"})
			}},
		{name: "an annotated vSwitch needs no candidates", ann: ann(intranet, "intranet", string(KeyVSwitchID), "vsw-1"), d: Defaults{VSwitchIDs: []string{"vsw-a"}},
			want: func(lb *LoadBalancer) bool { return lb.VSwitchID == "vsw-1" && lb.VSwitchCandidates == nil }},
		{name: "classic has no vSwitch", ann: ann(intranet, "intranet", string(KeyNetworkType), "classic"), d: Defaults{VSwitchIDs: []string{"vsw-a"}},
			want: func(lb *LoadBalancer) bool {
				return lb.NetworkType == NetworkTypeClassic && lb.VSwitchCandidates == nil
			}},
		{name: "internet has no vSwitch candidates", d: Defaults{VSwitchIDs: []string{"vsw-a"}},
			want: func(lb *LoadBalancer) bool { return lb.VSwitchCandidates == nil }},
		{name: "ipv6", ann: ann(string(KeyIPVersion), "ipv6"), want: func(lb *LoadBalancer) bool { return lb.IPVersion == IPv6 && lb.IPVersionSet }},
		{name: "ipv6 address", ann: ann(intranet, "intranet", string(KeyIPVersion), "ipv6", string(KeyIP), "fd00::5"),
			want: func(lb *LoadBalancer) bool {
				return lb.Address == netip.MustParseAddr("fd00::5") && lb.AddressKey == string(KeyIP)
			}},
		{name: "IPv4-mapped address is unmapped", ann: ann(intranet, "intranet", string(KeyIP), "::ffff:10.0.0.5"),
			want: func(lb *LoadBalancer) bool { return lb.Address == netip.MustParseAddr("10.0.0.5") }},
		{name: "legacy ip key is remembered", ann: ann(intranet, "intranet", KeyIP.Legacy(), "10.0.0.5"),
			want: func(lb *LoadBalancer) bool { return lb.AddressKey == KeyIP.Legacy() }},

		// Billing.
		{name: "charge types in canonical case", ann: ann(string(KeyChargeType), "PayByTraffic", string(KeyInstanceChargeType), "paybyspec", string(KeySpec), "slb.s2.small"),
			want: func(lb *LoadBalancer) bool {
				return lb.InternetChargeType == "paybytraffic" && lb.InstanceChargeType == "PayBySpec" && lb.Spec == "slb.s2.small"
			}},
		{name: "bandwidth", ann: ann(string(KeyBandwidth), "100"), want: func(lb *LoadBalancer) bool { return lb.Bandwidth != nil && *lb.Bandwidth == 100 }},
		{name: "billing unset", want: func(lb *LoadBalancer) bool {
			return lb.InternetChargeType == "" && lb.InstanceChargeType == "" && lb.Spec == "" && lb.Bandwidth == nil
		}},

		// Zones.
		{name: "zones", ann: ann(string(KeyMasterZoneID), "cn-hangzhou-h", string(KeySlaveZoneID), "cn-hangzhou-i"),
			want: func(lb *LoadBalancer) bool {
				return lb.MasterZoneID == "cn-hangzhou-h" && lb.SlaveZoneID == "cn-hangzhou-i"
			}},

		// Reuse.
		{name: "reuse with listeners", ann: ann(string(KeyID), "lb-1", string(KeyForceOverrideListeners), "true"),
			want: func(lb *LoadBalancer) bool { return lb.ReuseID == "lb-1" && lb.ForceOverrideListeners }},
		{name: "reuse without listeners", ann: ann(string(KeyID), "lb-1"),
			want: func(lb *LoadBalancer) bool { return lb.ReuseID == "lb-1" && !lb.ForceOverrideListeners }},

		// Name, resource group.
		{name: "name", ann: ann(string(KeyName), "web-lb"), want: func(lb *LoadBalancer) bool { return lb.Name == "web-lb" }},
		{name: "resource group annotated", ann: ann(string(KeyResourceGroupID), "rg-1"), d: Defaults{ResourceGroupID: "rg-d"},
			want: func(lb *LoadBalancer) bool { return lb.ResourceGroupID == "rg-1" && lb.ResourceGroupIDSet }},
		{name: "resource group from cloud-config", d: Defaults{ResourceGroupID: "rg-d"},
			want: func(lb *LoadBalancer) bool { return lb.ResourceGroupID == "rg-d" && !lb.ResourceGroupIDSet }},

		// Protection.
		{name: "protection defaults", want: func(lb *LoadBalancer) bool {
			return lb.DeleteProtection && !lb.DeleteProtectionSet && lb.ModificationProtection == ConsoleProtection &&
				!lb.ModificationProtectionSet && !lb.PreserveOnDelete
		}},
		{name: "protection off", ann: ann(string(KeyDeleteProtection), "off", string(KeyModificationProtection), "NonProtection", string(KeyPreserveLBOnDelete), "true"),
			want: func(lb *LoadBalancer) bool {
				return !lb.DeleteProtection && lb.DeleteProtectionSet && lb.ModificationProtection == NonProtection &&
					lb.ModificationProtectionSet && lb.PreserveOnDelete
			}},
		{name: "delete protection on, written", ann: ann(string(KeyDeleteProtection), "on"),
			want: func(lb *LoadBalancer) bool { return lb.DeleteProtection && lb.DeleteProtectionSet }},

		// Status.
		{name: "hostname", ann: ann(string(KeyHostname), "lb.example.com"), want: func(lb *LoadBalancer) bool { return lb.Hostname == "lb.example.com" }},
		{name: "eip status", ann: ann(intranet, "intranet", string(KeyExternalIPType), "eip"),
			want: func(lb *LoadBalancer) bool { return lb.ExternalIPType == "eip" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustParse(t, newService(tt.ann, nil), tt.d)
			if !tt.want(&cfg.LB) {
				t.Errorf("LoadBalancer = %+v", cfg.LB)
			}
		})
	}
}

// TestInstanceTopicErrors: one error per rule of the instance groups, each
// naming the key as written and the value.
func TestInstanceTopicErrors(t *testing.T) {
	for _, tt := range []struct {
		name     string
		ann      map[string]string
		d        Defaults
		key, val string
		reason   string
	}{
		{name: "public SLB disabled, unset", d: Defaults{DisablePublicSLB: true}, key: string(KeyAddressType), reason: "disablePublicSLB"},
		{name: "vSwitch on classic", ann: ann(string(KeyAddressType), "intranet", string(KeyNetworkType), "classic", string(KeyVSwitchID), "vsw-1"),
			key: string(KeyVSwitchID), val: "vsw-1", reason: "classic network load balancer has no vSwitch"},
		{name: "bandwidth billing with CLCU", ann: ann(string(KeyChargeType), "paybybandwidth", string(KeyInstanceChargeType), "PayByCLCU"),
			key: string(KeyChargeType), val: "paybybandwidth", reason: "charged by traffic only"},
		{name: "backup zone alone", ann: ann(string(KeySlaveZoneID), "z-b"), key: string(KeySlaveZoneID), val: "z-b", reason: "needs"},
		{name: "backup zone equals primary", ann: ann(string(KeyMasterZoneID), "z-a", KeySlaveZoneID.Legacy(), "z-a"),
			key: KeySlaveZoneID.Legacy(), val: "z-a", reason: "must differ"},
		{name: "name too long", ann: ann(string(KeyName), "a"+strings.Repeat("b", maxLBName)), key: string(KeyName), val: "a" + strings.Repeat("b", maxLBName),
			reason: "at most 80 characters"},
		{name: "name starts with a digit", ann: ann(string(KeyName), "9lb"), key: string(KeyName), val: "9lb", reason: "start with a letter"},
		{name: "hostname", ann: ann(string(KeyHostname), "-x-"), key: string(KeyHostname), val: "-x-", reason: "must be a DNS name"},
		{name: "address not an IP", ann: ann(string(KeyAddressType), "intranet", string(KeyIP), "fe80::1%eth0"), key: string(KeyIP), val: "fe80::1%eth0",
			reason: "must be an IP address"},
		{name: "ipv6 address without ipv6", ann: ann(string(KeyAddressType), "intranet", string(KeyIP), "fd00::1"), key: string(KeyIP), val: "fd00::1",
			reason: "needs " + string(KeyIPVersion)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(newService(tt.ann, nil), tt.d)
			if !hasError(err, tt.key, tt.val) || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("err = %v; want %s=%q: ...%s...", err, tt.key, tt.val, tt.reason)
			}
		})
	}
}

// TestTagRules: additional-resource-tags, one case per rule, the reason
// naming the offending tag.
func TestTagRules(t *testing.T) {
	k := string(KeyAdditionalResourceTags)
	many := make([]string, maxTags+1)
	for i := range many {
		many[i] = "k" + strings.Repeat("x", i) + "=v"
	}
	for _, tt := range []struct {
		val    string
		want   []Tag
		reason string
	}{
		{val: "a=1", want: []Tag{{"a", "1"}}},
		{val: "a=1, b = 2 ,c=,d", want: []Tag{{"a", "1"}, {"b", "2"}, {"c", ""}, {"d", ""}}},
		{val: "a==b", want: []Tag{{"a", "=b"}}},
		{val: strings.Join(many[:maxTags], ","), want: nil}, // checked below: maxTags are fine
		{val: strings.Join(many, ","), reason: "at most 20 are allowed"},
		{val: "=v", reason: "has an empty key"},
		{val: strings.Repeat("k", maxTagKey+1) + "=v", reason: "longer than 64 characters"},
		{val: "k=" + strings.Repeat("v", maxTagValue+1), reason: "longer than 128 characters"},
		{val: "Aliyun-x=1", reason: "reserved"},
		{val: "ACS:x=1", reason: "reserved"},
		{val: "url=HTTPS://x", reason: "http:// or https://"},
		{val: "http://x=1", reason: "http:// or https://"},
		{val: "kubernetes.do.not.delete=x", reason: "reserved for the CCM's ownership tags"},
		{val: "ack.aliyun.com=x", reason: "reserved"},
		{val: "alicloud-ccm/service-uid=x", reason: "reserved for the CCM's ownership tags"},
		{val: "k=1,k=2", reason: "given twice"},
		{val: "a=1,,b=2", reason: "empty item"},
	} {
		t.Run(tt.val, func(t *testing.T) {
			cfg, err := Parse(newService(ann(k, tt.val), nil), Defaults{})
			if tt.reason != "" {
				if !hasError(err, k, tt.val) || !strings.Contains(err.Error(), tt.reason) {
					t.Errorf("err = %v, want %q", err, tt.reason)
				}
				if cfg.LB.AdditionalTags != nil {
					t.Errorf("tags kept from a bad value: %v", cfg.LB.AdditionalTags)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != nil && !reflect.DeepEqual(cfg.LB.AdditionalTags, tt.want) {
				t.Errorf("tags = %v, want %v", cfg.LB.AdditionalTags, tt.want)
			}
			if tt.want == nil && len(cfg.LB.AdditionalTags) != maxTags {
				t.Errorf("%d tags, want %d", len(cfg.LB.AdditionalTags), maxTags)
			}
		})
	}
}
