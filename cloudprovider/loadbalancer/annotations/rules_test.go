package annotations

import (
	"reflect"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
)

// TestCrossFieldErrors covers rules that involve more than one annotation or
// field. want is the key (as written) and value the error must name.
func TestCrossFieldErrors(t *testing.T) {
	sctp := []v1.ServicePort{{Name: "s", Port: 9, Protocol: v1.ProtocolSCTP}}
	tests := []struct {
		name    string
		ann     map[string]string
		ports   []v1.ServicePort
		lbIP    string
		ranges  []string
		d       Defaults
		key     string
		val     string
		reasons string
	}{
		{name: "https needs cert-id", ann: ann(string(KeyProtocolPort), "https:443"), ports: web,
			key: string(KeyProtocolPort), val: "https:443", reasons: "needs annotation " + string(KeyCertID)},
		{name: "sch with an http listener", ann: ann(string(KeyScheduler), "sch", string(KeyProtocolPort), "http:80"),
			key: string(KeyScheduler), val: "sch", reasons: "not available for the http listener"},
		{name: "acl on without id", ann: ann(string(KeyACLStatus), "on", string(KeyACLType), "white"),
			key: string(KeyACLStatus), val: "on", reasons: "needs " + string(KeyACLID)},
		{name: "acl on without type", ann: ann(string(KeyACLStatus), "on", string(KeyACLID), "acl-1"),
			key: string(KeyACLStatus), val: "on", reasons: "needs " + string(KeyACLType)},
		{name: "sticky on without type", ann: ann(string(KeyStickySession), "on", string(KeyProtocolPort), "http:80"),
			key: string(KeyStickySession), val: "on", reasons: "needs " + string(KeyStickySessionType)},
		{name: "insert without timeout", ann: ann(string(KeyStickySession), "on", string(KeyStickySessionType), "insert", string(KeyProtocolPort), "http:80"),
			key: string(KeyStickySessionType), val: "insert", reasons: "needs " + string(KeyCookieTimeout)},
		{name: "server without cookie", ann: ann(string(KeyStickySession), "on", string(KeyStickySessionType), "server", string(KeyProtocolPort), "http:80"),
			key: string(KeyStickySessionType), val: "server", reasons: "needs " + string(KeyCookie)},
		{name: "public disabled by default", d: Defaults{DisablePublicSLB: true},
			key: string(KeyAddressType), val: "", reasons: "disablePublicSLB"},
		{name: "public disabled explicitly", ann: ann(KeyAddressType.Legacy(), "internet"), d: Defaults{DisablePublicSLB: true},
			key: KeyAddressType.Legacy(), val: "internet", reasons: "disablePublicSLB"},
		{name: "fixed ip on internet", ann: ann(string(KeyIP), "10.0.0.5"),
			key: string(KeyIP), val: "10.0.0.5", reasons: "needs " + string(KeyAddressType) + ": intranet"},
		{name: "loadBalancerIP on internet", lbIP: "10.0.0.5",
			key: "spec.loadBalancerIP", val: "10.0.0.5", reasons: "needs"},
		{name: "loadBalancerIP invalid", lbIP: "ten", ann: ann(string(KeyAddressType), "intranet"),
			key: "spec.loadBalancerIP", val: "ten", reasons: "must be an IP address"},
		{name: "ip and loadBalancerIP differ", ann: ann(string(KeyIP), "10.0.0.5", string(KeyAddressType), "intranet"), lbIP: "10.0.0.6",
			key: string(KeyIP), val: "10.0.0.5", reasons: "differs from spec.loadBalancerIP"},
		{name: "ipv4 address with ipv6", ann: ann(string(KeyIP), "10.0.0.5", string(KeyAddressType), "intranet", string(KeyIPVersion), "ipv6"),
			key: string(KeyIP), val: "10.0.0.5", reasons: "does not fit"},
		{name: "ipv6 backends need ipv6 lb", ann: ann(string(KeyBackendIPVersion), "ipv6"),
			key: string(KeyBackendIPVersion), val: "ipv6", reasons: "need " + string(KeyIPVersion)},
		{name: "slave without master", ann: ann(string(KeySlaveZoneID), "cn-hangzhou-i"),
			key: string(KeySlaveZoneID), val: "cn-hangzhou-i", reasons: "needs " + string(KeyMasterZoneID)},
		{name: "bandwidth billing with CLCU", ann: ann(string(KeyChargeType), "paybybandwidth", string(KeyInstanceChargeType), "PayByCLCU"),
			key: string(KeyChargeType), val: "paybybandwidth", reasons: "charged by traffic only"},
		{name: "vswitch with classic", ann: ann(string(KeyAddressType), "intranet", string(KeyNetworkType), "classic", string(KeyVSwitchID), "vsw-1"),
			key: string(KeyVSwitchID), val: "vsw-1", reasons: "classic network"},
		{name: "SCTP port", ports: sctp, key: "spec.ports[s].protocol", val: "SCTP", reasons: "TCP and UDP"},
		{name: "forward to non-https", ann: ann(string(KeyProtocolPort), "http:80", string(KeyForwardPort), "80:443"), ports: web,
			key: string(KeyForwardPort), val: "80:443", reasons: "must be an https listener"},
		{name: "acl-id with source ranges", ann: ann(string(KeyACLStatus), "on", string(KeyACLID), "acl-1", string(KeyACLType), "white"),
			ranges: []string{"10.0.0.0/8"}, key: string(KeyACLID), val: "acl-1", reasons: "one access control list"},
		{name: "acl-status off with source ranges", ann: ann(string(KeyACLStatus), "off"),
			ranges: []string{"10.0.0.0/8"}, key: string(KeyACLStatus), val: "off", reasons: "cannot be combined with spec.loadBalancerSourceRanges"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := newService(tt.ann, tt.ports)
			svc.Spec.LoadBalancerIP = tt.lbIP
			svc.Spec.LoadBalancerSourceRanges = tt.ranges
			_, err := Parse(svc, tt.d)
			if !hasError(err, tt.key, tt.val) {
				t.Fatalf("no error for %s=%q in: %v", tt.key, tt.val, err)
			}
			if !strings.Contains(err.Error(), tt.reasons) {
				t.Errorf("error %q lacks %q", err, tt.reasons)
			}
		})
	}
}

// TestWarnings covers values that are valid but have no effect, and unknown
// keys; none of them is an error.
func TestWarnings(t *testing.T) {
	tests := []struct {
		name  string
		ann   map[string]string
		ports []v1.ServicePort
		want  string // substring of the single warning; "" = no warning
	}{
		{name: "cert-id without https", ann: ann(string(KeyCertID), "cert-1"), want: "applies to https listeners"},
		{name: "tcp-only on udp", ann: ann(string(KeyPersistenceTimeout), "10"), ports: udp53, want: "applies to tcp listeners"},
		{name: "l7 on tcp", ann: ann(string(KeyIdleTimeout), "10"), want: "applies to http or https listeners"},
		{name: "l4 on http", ann: ann(string(KeyProxyProtocol), "on", string(KeyProtocolPort), "http:80"), want: "applies to tcp or udp listeners"},
		{name: "http check on udp", ann: ann(string(KeyHealthCheckURI), "/x"), ports: udp53, want: "applies to tcp, http or https listeners"},
		{name: "weight without vgroup-port", ann: ann(string(KeyWeight), "50"), want: "applies only with " + string(KeyVGroupPort)},
		{name: "vgroup-port without id", ann: ann(string(KeyVGroupPort), "rsp-1:80"), want: "applies only with " + string(KeyID)},
		{name: "force-override without id", ann: ann(string(KeyForceOverrideListeners), "true"), want: "applies only with " + string(KeyID)},
		{name: "drain timeout without drain", ann: ann(string(KeyConnectionDrainTimeout), "30"), want: "applies only with " + string(KeyConnectionDrain)},
		{name: "charge type on intranet", ann: ann(string(KeyChargeType), "paybytraffic", string(KeyAddressType), "intranet"), want: "internet load balancers only"},
		{name: "vswitch on internet", ann: ann(string(KeyVSwitchID), "vsw-1"), want: "intranet load balancers only"},
		{name: "network type on internet", ann: ann(string(KeyNetworkType), "vpc"), want: "intranet load balancers only"},
		{name: "spec with CLCU", ann: ann(string(KeySpec), "slb.s1.small", string(KeyInstanceChargeType), "PayByCLCU"), want: "PayBySpec load balancers only"},
		{name: "bandwidth billing, charge type unset", ann: ann(string(KeyChargeType), "paybybandwidth"), want: "set " + string(KeyInstanceChargeType) + " to PayBySpec"},
		{name: "typo", ann: ann(Prefix+"health-chek-flag", "on"), want: "did you mean health-check-flag?"},
		{name: "legacy typo", ann: ann(LegacyPrefix+"adress-type", "intranet"), want: "unknown annotation " + LegacyPrefix + "adress-type is ignored; did you mean address-type?"},
		{name: "old network key", ann: ann(Prefix+"slb-network-type", "vpc"), want: "did you mean network-type?"},
		{name: "unrelated key, no hint", ann: ann(Prefix+"quantum-flux", "x"), want: "unknown annotation " + Prefix + "quantum-flux is ignored"},
		{name: "NLB-only key", ann: ann(Prefix+"zone-maps", "x"), want: "annotation " + Prefix + "zone-maps applies to NLB Services only"},
		{name: "NLB-only key, legacy prefix", ann: ann(LegacyPrefix+"cps", "10"), want: "annotation " + LegacyPrefix + "cps applies to NLB Services only"},
		{name: "selection keys are known", ann: ann(Prefix+"type", "clb"), want: ""},
		{name: "other prefixes are not ours", ann: ann("service.beta.kubernetes.io/whatever", "x"), want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustParse(t, newService(tt.ann, tt.ports), Defaults{})
			if tt.want == "" {
				if len(cfg.Warnings) != 0 {
					t.Errorf("warnings = %q, want none", cfg.Warnings)
				}
				return
			}
			if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], tt.want) {
				t.Errorf("warnings = %q, want one containing %q", cfg.Warnings, tt.want)
			}
		})
	}
	// No hint for a far-away name.
	cfg := mustParse(t, newService(ann(Prefix+"quantum-flux", "x"), nil), Defaults{})
	if strings.Contains(cfg.Warnings[0], "did you mean") {
		t.Errorf("hint for an unrelated key: %q", cfg.Warnings[0])
	}
}

func TestErrorFormat(t *testing.T) {
	e := &Error{Key: string(KeyBandwidth), Value: "x", Reason: "must be an integer"}
	if got, want := e.Error(), `annotation service.beta.kubernetes.io/alibaba-cloud-loadbalancer-bandwidth="x": must be an integer`; got != want {
		t.Errorf("got %q want %q", got, want)
	}
	e = &Error{Key: "spec.loadBalancerIP", Value: "x", Reason: "bad"}
	if got, want := e.Error(), `field spec.loadBalancerIP="x": bad`; got != want {
		t.Errorf("got %q want %q", got, want)
	}
}

// TestParseNilAnnotations: a Service without annotations parses; Parse does
// not modify the Service.
func TestParseNilAnnotations(t *testing.T) {
	svc := newService(nil, nil)
	before := svc.DeepCopy()
	mustParse(t, svc, Defaults{})
	if !reflect.DeepEqual(svc, before) {
		t.Error("Parse modified the Service")
	}
}
