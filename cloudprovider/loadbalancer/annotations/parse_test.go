package annotations

import (
	"errors"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// ann builds an annotation map from Name/value pairs.
func ann(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func mustParse(t *testing.T, svc *v1.Service, d Defaults) *Config {
	t.Helper()
	cfg, err := Parse(svc, d)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return cfg
}

func TestParseInstanceValues(t *testing.T) {
	svc := newService(ann(
		string(KeyAddressType), "intranet",
		string(KeyVSwitchID), " vsw-1 ", // surrounding spaces are trimmed
		string(KeyIP), "192.168.0.10",
		string(KeyInstanceChargeType), "paybyspec",
		string(KeySpec), "slb.s2.small",
		string(KeyMasterZoneID), "cn-hangzhou-h",
		string(KeySlaveZoneID), "cn-hangzhou-i",
		string(KeyName), "my-lb",
		string(KeyResourceGroupID), "rg-1",
		string(KeyAdditionalResourceTags), "env=prod,k3=,k4",
		string(KeyDeleteProtection), "off",
		string(KeyModificationProtection), "NonProtection",
		string(KeyPreserveLBOnDelete), "on",
		string(KeyHostname), "lb.example.com",
		string(KeyExternalIPType), "eip",
	), nil)
	got := mustParse(t, svc, Defaults{ResourceGroupID: "rg-default", VSwitchIDs: []string{"vsw-d"}}).LB
	want := LoadBalancer{
		AddressType: AddressTypeIntranet, AddressTypeSet: true, VSwitchID: "vsw-1",
		Address: netip.MustParseAddr("192.168.0.10"), AddressKey: string(KeyIP),
		InstanceChargeType: "PayBySpec", Spec: "slb.s2.small",
		MasterZoneID: "cn-hangzhou-h", SlaveZoneID: "cn-hangzhou-i", IPVersion: IPv4,
		Name: "my-lb", ResourceGroupID: "rg-1", ResourceGroupIDSet: true,
		AdditionalTags:         []Tag{{"env", "prod"}, {"k3", ""}, {"k4", ""}},
		ModificationProtection: NonProtection, ModificationProtectionSet: true, DeleteProtectionSet: true, PreserveOnDelete: true,
		Hostname: "lb.example.com", ExternalIPType: "eip",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LB =\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseDefaults(t *testing.T) {
	d := Defaults{BackendType: BackendENI, ResourceGroupID: "rg-d", VSwitchIDs: []string{"vsw-a", "vsw-b"}}
	cfg := mustParse(t, newService(ann(string(KeyAddressType), "intranet"), nil), d)
	lb := cfg.LB
	if lb.AddressType != AddressTypeIntranet || lb.IPVersion != IPv4 || !lb.DeleteProtection ||
		lb.ModificationProtection != ConsoleProtection || lb.ResourceGroupID != "rg-d" || lb.ResourceGroupIDSet ||
		!slices.Equal(lb.VSwitchCandidates, d.VSwitchIDs) || lb.InstanceChargeType != "" || lb.Bandwidth != nil {
		t.Errorf("defaults not applied as documented: %+v", lb)
	}
	if cfg.Backend.Type != BackendENI || cfg.Backend.Policy != TrafficENI || cfg.Backend.IPVersion != IPv4 {
		t.Errorf("backend = %+v", cfg.Backend)
	}
	// Nothing unset may be filled with a made-up value.
	l := cfg.Listeners[0]
	if l.Scheduler != "" || l.HealthCheck.Enabled != nil || l.PersistenceTimeout != nil || l.ACL.Status != nil {
		t.Errorf("unset listener values filled in: %+v", l)
	}

	// No annotations, no defaults: internet, ECS, Cluster, no candidates.
	cfg = mustParse(t, newService(nil, nil), Defaults{})
	if cfg.LB.AddressType != AddressTypeInternet || cfg.LB.AddressTypeSet || cfg.LB.VSwitchCandidates != nil ||
		cfg.Backend.Type != BackendECS || cfg.Backend.Policy != TrafficCluster || len(cfg.Warnings) != 0 {
		t.Errorf("bare Service: %+v", cfg)
	}

	// The annotation beats the cloud-config default; classic has no vSwitch.
	cfg = mustParse(t, newService(ann(string(KeyBackendType), "ecs", string(KeyAddressType), "intranet",
		string(KeyNetworkType), "classic"), nil), d)
	if cfg.Backend.Type != BackendECS || cfg.LB.VSwitchCandidates != nil {
		t.Errorf("annotation did not win or classic got vSwitches: %+v", cfg)
	}

	// Local traffic policy.
	svc := newService(nil, nil)
	svc.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal
	if p := mustParse(t, svc, Defaults{}).Backend.Policy; p != TrafficLocal {
		t.Errorf("policy = %s, want Local", p)
	}
	svc.Annotations = ann(string(KeyBackendType), "eni")
	if p := mustParse(t, svc, Defaults{}).Backend.Policy; p != TrafficENI {
		t.Errorf("policy = %s, want ENI (eni ignores externalTrafficPolicy)", p)
	}

	// A broken Defaults.BackendType is reported, not ignored.
	if _, err := Parse(newService(nil, nil), Defaults{BackendType: "pods"}); !hasError(err, "cloud-config serviceBackendType", "pods") {
		t.Errorf("bad default backend type: %v", err)
	}
}

func TestParseListeners(t *testing.T) {
	ports := []v1.ServicePort{
		{Name: "http", Port: 80, Protocol: v1.ProtocolTCP, NodePort: 30080, TargetPort: intstr.FromString("web")},
		{Name: "https", Port: 443, Protocol: v1.ProtocolTCP, NodePort: 30443, TargetPort: intstr.FromInt32(8443)},
		{Name: "raw", Port: 9000, NodePort: 30900, TargetPort: intstr.FromInt32(9000)}, // protocol defaulted
		{Name: "dns", Port: 53, Protocol: v1.ProtocolUDP, NodePort: 30053, TargetPort: intstr.FromInt32(53)},
	}
	svc := newService(ann(
		string(KeyProtocolPort), "http:80,https:443",
		string(KeyCertID), "cert-1",
		string(KeyTLSCipherPolicy), "tls_cipher_policy_1_2",
		string(KeyHTTP2Enabled), "on",
		string(KeyDomainExtensions), "a.example.com:cert-2",
		string(KeyForwardPort), "80:443",
		string(KeyScheduler), "wrr",
		string(KeyACLStatus), "on", string(KeyACLID), "acl-1,acl-2", string(KeyACLType), "white",
		string(KeyPersistenceTimeout), "0",
		string(KeyEstablishedTimeout), "60",
		string(KeyIdleTimeout), "30", string(KeyRequestTimeout), "90",
		string(KeyConnectionDrain), "on", string(KeyConnectionDrainTimeout), "30",
		string(KeyProxyProtocol), "on",
		string(KeyStickySession), "on", string(KeyStickySessionType), "server", string(KeyCookie), "SID",
		string(KeyXForwardedForProto), "on", string(KeyXForwardedForSLBPort), "off",
		string(KeyHealthCheckSwitch), "on", string(KeyHealthCheckFlag), "on",
		string(KeyHealthCheckType), "http", string(KeyHealthCheckURI), "/healthz",
		string(KeyHealthCheckDomain), "$_ip", string(KeyHealthCheckHTTPCode), "http_2xx,http_3xx",
		string(KeyHealthCheckMethod), "get", string(KeyHealthCheckConnectPort), "-520",
		string(KeyHealthCheckInterval), "5", string(KeyHealthyThreshold), "3", string(KeyUnhealthyThreshold), "4",
		string(KeyHealthCheckConnectTimeout), "6", string(KeyHealthCheckTimeout), "7",
	), ports)
	cfg := mustParse(t, svc, Defaults{})
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings: %q", cfg.Warnings)
	}
	if len(cfg.Listeners) != 4 {
		t.Fatalf("listeners = %d, want 4", len(cfg.Listeners))
	}
	acl := ACL{Status: new(true), IDs: []string{"acl-1", "acl-2"}, Type: "white"}
	common := HealthCheck{ConnectPort: new(-520), Interval: new(5), HealthyThreshold: new(3), UnhealthyThreshold: new(4)}
	l7hc := common
	l7hc.Enabled, l7hc.Timeout, l7hc.Method = new(true), new(7), "get"
	l7hc.URI, l7hc.Domain, l7hc.HTTPCodes = "/healthz", "$_ip", []string{"http_2xx", "http_3xx"}
	tcphc := l7hc
	tcphc.Enabled, tcphc.Timeout, tcphc.Method, tcphc.ConnectTimeout, tcphc.Type = new(true), nil, "", new(6), "http"
	udphc := common
	udphc.Enabled, udphc.ConnectTimeout = new(true), new(6)
	sticky := StickySession{Enabled: new(true), Type: "server", Cookie: "SID"}
	xff := XForwardedFor{Proto: new(true), SLBPort: new(false)}

	want := []Listener{
		{PortName: "http", Port: 80, NodePort: 30080, TargetPort: intstr.FromString("web"), ServiceProtocol: v1.ProtocolTCP,
			Protocol: ProtocolHTTP, Scheduler: "wrr", ForwardPort: 443, ACL: acl, IdleTimeout: new(30), RequestTimeout: new(90),
			StickySession: sticky, XForwardedFor: xff, HealthCheck: l7hc},
		{PortName: "https", Port: 443, NodePort: 30443, TargetPort: intstr.FromInt32(8443), ServiceProtocol: v1.ProtocolTCP,
			Protocol: ProtocolHTTPS, Scheduler: "wrr", CertID: "cert-1", TLSCipherPolicy: "tls_cipher_policy_1_2", HTTP2: new(true),
			DomainExtensions: []DomainExtension{{"a.example.com", "cert-2"}}, ACL: acl, IdleTimeout: new(30), RequestTimeout: new(90),
			StickySession: sticky, XForwardedFor: xff, HealthCheck: l7hc},
		{PortName: "raw", Port: 9000, NodePort: 30900, TargetPort: intstr.FromInt32(9000), ServiceProtocol: v1.ProtocolTCP,
			Protocol: ProtocolTCP, Scheduler: "wrr", ACL: acl, PersistenceTimeout: new(0), EstablishedTimeout: new(60),
			ConnectionDrain: new(true), ConnectionDrainTimeout: new(30), ProxyProtocol: new(true), HealthCheck: tcphc},
		{PortName: "dns", Port: 53, NodePort: 30053, TargetPort: intstr.FromInt32(53), ServiceProtocol: v1.ProtocolUDP,
			Protocol: ProtocolUDP, Scheduler: "wrr", ACL: acl,
			ConnectionDrain: new(true), ConnectionDrainTimeout: new(30), ProxyProtocol: new(true), HealthCheck: udphc},
	}
	for i := range want {
		if !reflect.DeepEqual(cfg.Listeners[i], want[i]) {
			t.Errorf("listener %d =\n%+v\nwant\n%+v", i, cfg.Listeners[i], want[i])
		}
	}
}

// TestTCPAndUDPOnOnePort: one port used by a TCP and a UDP ServicePort gives
// two listeners; a protocol-port entry picks the ServicePort it fits.
func TestTCPAndUDPOnOnePort(t *testing.T) {
	ports := []v1.ServicePort{
		{Name: "dns-tcp", Port: 53, Protocol: v1.ProtocolTCP, NodePort: 30053},
		{Name: "dns-udp", Port: 53, Protocol: v1.ProtocolUDP, NodePort: 30053},
	}
	cfg := mustParse(t, newService(ann(string(KeyProtocolPort), "tcp:53,udp:53"), ports), Defaults{})
	if got := []Protocol{cfg.Listeners[0].Protocol, cfg.Listeners[1].Protocol}; !slices.Equal(got, []Protocol{ProtocolTCP, ProtocolUDP}) {
		t.Errorf("protocols = %v", got)
	}
	cfg = mustParse(t, newService(ann(string(KeyProtocolPort), "http:53"), ports), Defaults{})
	if got := []Protocol{cfg.Listeners[0].Protocol, cfg.Listeners[1].Protocol}; !slices.Equal(got, []Protocol{ProtocolHTTP, ProtocolUDP}) {
		t.Errorf("protocols = %v", got)
	}
}

func TestParseBackend(t *testing.T) {
	svc := newService(ann(
		string(KeyID), "lb-1",
		string(KeyVGroupPort), "rsp-1:80,rsp-2:443",
		string(KeyWeight), "40",
		string(KeyDefaultWeight), "0",
		string(KeyIgnoreWeightUpdate), "on",
		string(KeyBackendLabel), "pool=a,example.com/tier=web",
		string(KeyRemoveUnscheduledBackend), "on",
		string(KeyIPVersion), "ipv6",
		string(KeyBackendIPVersion), "ipv6",
	), web)
	cfg := mustParse(t, svc, Defaults{})
	want := Backend{
		Type: BackendECS, Policy: TrafficCluster,
		NodeLabels:        map[string]string{"pool": "a", "example.com/tier": "web"},
		RemoveUnscheduled: true, VGroupPorts: map[int32]string{80: "rsp-1", 443: "rsp-2"},
		Weight: new(40), DefaultWeight: new(0), IgnoreWeightUpdate: true, IPVersion: IPv6,
	}
	if !reflect.DeepEqual(cfg.Backend, want) {
		t.Errorf("Backend =\n%+v\nwant\n%+v", cfg.Backend, want)
	}
	if cfg.Listeners[0].VGroupID != "rsp-1" || cfg.Listeners[1].VGroupID != "rsp-2" {
		t.Errorf("listener vgroups = %q, %q", cfg.Listeners[0].VGroupID, cfg.Listeners[1].VGroupID)
	}
}

func TestSourceRanges(t *testing.T) {
	svc := newService(nil, nil)
	svc.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8", " 192.168.1.7/24 ", "2001:db8::/32"}
	cfg := mustParse(t, svc, Defaults{})
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.0/24"), netip.MustParsePrefix("2001:db8::/32")}
	if !slices.Equal(cfg.SourceRanges, want) {
		t.Errorf("SourceRanges = %v, want %v", cfg.SourceRanges, want)
	}
	svc.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8", "10.0.0.1", "bogus"}
	_, err := Parse(svc, Defaults{})
	if !hasError(err, "spec.loadBalancerSourceRanges[1]", "10.0.0.1") || !hasError(err, "spec.loadBalancerSourceRanges[2]", "bogus") {
		t.Errorf("err = %v", err)
	}
	if !strings.Contains(err.Error(), `field spec.loadBalancerSourceRanges[2]="bogus": must be a CIDR`) {
		t.Errorf("field error format: %v", err)
	}
}

// TestPrefixPrecedence: the current prefix wins over the legacy one, with a
// warning only when the two disagree.
func TestPrefixPrecedence(t *testing.T) {
	legacy := KeyAddressType.Legacy()
	tests := []struct {
		name     string
		ann      map[string]string
		want     AddressType
		warnings int
	}{
		{"legacy only", ann(legacy, "intranet"), AddressTypeIntranet, 0},
		{"both equal", ann(legacy, "intranet", string(KeyAddressType), "intranet"), AddressTypeIntranet, 0},
		{"both differ", ann(legacy, "intranet", string(KeyAddressType), "internet"), AddressTypeInternet, 1},
		// The new key wins even when it is invalid; the legacy value is not a
		// silent fallback.
		{"new empty", ann(legacy, "intranet", string(KeyAddressType), ""), AddressTypeInternet, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustParse(t, newService(tt.ann, nil), Defaults{})
			if cfg.LB.AddressType != tt.want {
				t.Errorf("AddressType = %s, want %s", cfg.LB.AddressType, tt.want)
			}
			if len(cfg.Warnings) != tt.warnings {
				t.Errorf("warnings = %q, want %d", cfg.Warnings, tt.warnings)
			}
			if tt.warnings > 0 && !strings.Contains(cfg.Warnings[0], legacy) {
				t.Errorf("warning does not name the ignored key: %q", cfg.Warnings[0])
			}
		})
	}
	// An error in the winning new key names the new key; the legacy value
	// does not hide it.
	_, err := Parse(newService(ann(legacy, "intranet", string(KeyAddressType), "private"), nil), Defaults{})
	if !hasError(err, string(KeyAddressType), "private") {
		t.Errorf("err = %v", err)
	}
}

// TestAggregatedErrors: every bad key is reported, each as an *Error.
func TestAggregatedErrors(t *testing.T) {
	svc := newService(ann(
		string(KeyHealthCheckInterval), "0",
		KeyScheduler.Legacy(), "fastest",
		string(KeyACLType), "allow",
	), nil)
	cfg, err := Parse(svc, Defaults{})
	if cfg == nil || err == nil {
		t.Fatalf("cfg=%v err=%v", cfg, err)
	}
	leaves := flatten(err)
	if len(leaves) != 3 {
		t.Fatalf("got %d errors, want 3: %v", len(leaves), err)
	}
	for _, want := range []struct{ key, val string }{
		{string(KeyHealthCheckInterval), "0"}, {KeyScheduler.Legacy(), "fastest"}, {string(KeyACLType), "allow"},
	} {
		if !hasError(err, want.key, want.val) {
			t.Errorf("missing error for %s=%q in %v", want.key, want.val, err)
		}
	}
	var ae *Error
	if !errors.As(err, &ae) {
		t.Fatal("errors.As(*Error) failed")
	}
	msg := `annotation service.beta.kubernetes.io/alibaba-cloud-loadbalancer-health-check-interval="0": must be from 1 to 50`
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("message %q does not contain %q", err.Error(), msg)
	}
}

// The engine's own ownership tags (alicloud-ccm/*) are as reserved as the
// official CCM's: a user value for alicloud-ccm/service-uid would be written
// over the CLB's ownership tag, the CLB would stop being found as the
// Service's and a second CLB would be created; dropping such a key later
// would untag the CLB's ownership.
func TestAdditionalTagsRejectOurOwnershipTags(t *testing.T) {
	for _, k := range []string{"alicloud-ccm/service-uid", "alicloud-ccm/cluster-id", "alicloud-ccm/service",
		"alicloud-ccm/additional-tags", "Alicloud-CCM/sni-0123456789abcdef"} {
		svc := newService(ann(string(KeyAdditionalResourceTags), "env=prod,"+k+"=x"), nil)
		_, err := Parse(svc, Defaults{})
		if err == nil || !strings.Contains(err.Error(), k) || !strings.Contains(err.Error(), string(KeyAdditionalResourceTags)) {
			t.Errorf("tag %s: want an error naming the annotation and the key, got %v", k, err)
		}
	}
}

// TestProtocolPortAsOfficial: the listener protocol comes from
// protocol-port whatever the ServicePort protocol, the first entry for a
// port wins, entries for other ports are ignored; forward-port entries for
// ports that are not http listeners are ignored. Each oddity is a Warning.
func TestProtocolPortAsOfficial(t *testing.T) {
	tcp2 := []v1.ServicePort{
		{Name: "a", Port: 80, Protocol: v1.ProtocolTCP, NodePort: 30080},
		{Name: "b", Port: 443, Protocol: v1.ProtocolTCP, NodePort: 30443},
	}
	udp80 := []v1.ServicePort{{Name: "u", Port: 80, Protocol: v1.ProtocolUDP, NodePort: 30080}}
	tests := []struct {
		name  string
		ann   map[string]string
		ports []v1.ServicePort
		want  []Protocol
		fwd   []int32
		warns []string
	}{
		{name: "udp on a TCP port", ann: ann(string(KeyProtocolPort), "tcp:80,udp:443"), ports: tcp2,
			want: []Protocol{ProtocolTCP, ProtocolUDP}, warns: []string{`"udp:443" gives a udp listener on port 443, whose ServicePort is TCP`}},
		{name: "http on a UDP port", ann: ann(string(KeyProtocolPort), "http:80"), ports: udp80,
			want: []Protocol{ProtocolHTTP}, warns: []string{"will carry no traffic"}},
		{name: "unknown port ignored", ann: ann(string(KeyProtocolPort), "http:80,https:8443"), ports: tcp2,
			want: []Protocol{ProtocolHTTP, ProtocolTCP}, warns: []string{`"https:8443" is ignored: 8443 is not a port`}},
		{name: "first entry wins", ann: ann(string(KeyProtocolPort), "http:80,tcp:80"), ports: tcp2,
			want: []Protocol{ProtocolHTTP, ProtocolTCP}, warns: []string{"the first entry wins"}},
		{name: "forward entries for other ports ignored", ann: ann(string(KeyProtocolPort), "http:80,https:443", string(KeyCertID), "c-1",
			string(KeyForwardPort), "80:443,81:444"), ports: tcp2,
			want: []Protocol{ProtocolHTTP, ProtocolHTTPS}, fwd: []int32{443, 0}, warns: []string{`"81:444" is ignored: port 81 is not an http listener`}},
		{name: "forward entry for a tcp port ignored", ann: ann(string(KeyProtocolPort), "https:443", string(KeyCertID), "c-1",
			string(KeyForwardPort), "80:443"), ports: tcp2,
			want: []Protocol{ProtocolTCP, ProtocolHTTPS}, fwd: []int32{0, 0}, warns: []string{"port 80 is not an http listener"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustParse(t, newService(tt.ann, tt.ports), Defaults{})
			var got []Protocol
			var fwd []int32
			for _, l := range cfg.Listeners {
				got = append(got, l.Protocol)
				fwd = append(fwd, l.ForwardPort)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("protocols = %v, want %v", got, tt.want)
			}
			if tt.fwd != nil && !slices.Equal(fwd, tt.fwd) {
				t.Errorf("forward ports = %v, want %v", fwd, tt.fwd)
			}
			if len(cfg.Warnings) != len(tt.warns) {
				t.Fatalf("warnings = %q, want %d", cfg.Warnings, len(tt.warns))
			}
			for i, w := range tt.warns {
				if !strings.Contains(cfg.Warnings[i], w) {
					t.Errorf("warning %q does not contain %q", cfg.Warnings[i], w)
				}
			}
		})
	}
}
