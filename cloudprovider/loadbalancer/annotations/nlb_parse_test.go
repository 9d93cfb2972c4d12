package annotations

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// NLB port sets used by the tests.
var (
	nlbTCPUDP = []v1.ServicePort{
		{Name: "web", Port: 80, Protocol: v1.ProtocolTCP, NodePort: 30080, TargetPort: intstr.FromInt32(8080)},
		{Name: "dns", Port: 53, Protocol: v1.ProtocolUDP, NodePort: 30053, TargetPort: intstr.FromInt32(53)},
	}
	nlbTLS = []v1.ServicePort{{Name: "tls", Port: 443, Protocol: v1.ProtocolTCP, NodePort: 30443, TargetPort: intstr.FromInt32(8443)}}
)

// Annotation sets that make an NLB key applicable.
var (
	tcpsslSetup = map[Name]string{KeyProtocolPort: "tcpssl:443", KeyCertID: "cert-1"}
	reuseSetup  = map[Name]string{KeyID: "nlb-1"}
	ipSGSetup   = map[Name]string{KeyServerGroupType: "ip", KeyBackendType: "eni"}
	dualSetup   = map[Name]string{KeyIPVersion: "DualStack"}
	proxySetup  = map[Name]string{KeyProxyProtocol: "on"}
	httpHCSetup = map[Name]string{KeyHealthCheckType: "http"}
)

// nlbKeyCases lists good, lenient and bad values of every key an NLB
// Service reads (registry_nlb.go), with the annotations and ports that
// make it applicable; the same shape as keyCases.
var nlbKeyCases = []keyCase{
	// Instance.
	{name: KeyZoneMaps, good: []string{"cn-hangzhou-h:vsw-1,cn-hangzhou-i:vsw-2", "cn-hangzhou-h:vsw-1:10.0.0.5", "cn-hangzhou-h:vsw-1:10.0.0.5:eip-1", "cn-hangzhou-h:vsw-1::eip-1", " cn-hangzhou-h : vsw-1 "},
		bad: []string{"cn-hangzhou-h", "cn-hangzhou-h:vsw-1,cn-hangzhou-h:vsw-2", "cn-hangzhou-h:sg-1", "cn-hangzhou-h:vsw-1:fd00::1", "cn-hangzhou-h:vsw-1:10.0.0.300",
			"a:vsw-1:1.1.1.1:eip-1:x", "cn hangzhou:vsw-1", "cn-hangzhou-h:vsw-1::eip 1", "z1:vsw-1,,z2:vsw-2",
			"z1:vsw-1,z2:vsw-2,z3:vsw-3,z4:vsw-4,z5:vsw-5,z6:vsw-6,z7:vsw-7,z8:vsw-8,z9:vsw-9,z10:vsw-10,z11:vsw-11"}},
	{name: KeySecurityGroupIDs, good: []string{"sg-1", "sg-1,sg-2,sg-3,sg-4"}, bad: []string{"sg-1,sg-1", "sg-1,sg-2,sg-3,sg-4,sg-5", "acl-1", "sg 1", "sg-1,"}},
	{name: KeyBandwidthPackageID, good: []string{"cbwp-1"}, bad: []string{"cbwp 1", "cbwp-1,cbwp-2"}},
	{name: KeyIPv6AddressType, setup: dualSetup, good: []string{"internet", "intranet"}, warn: []string{"Internet"}, bad: []string{"public"}},
	{name: KeyCrossZoneEnabled, good: []string{"on", "off", "On", "OFF"}, warn: []string{"true", "yes"}},
	{name: KeyAddressType, good: []string{"internet", "intranet"}, warn: []string{"Intranet"}, bad: []string{"public"}},
	{name: KeyIPVersion, good: []string{"ipv4", "DualStack", "dualstack", "IPv4"}, warn: []string{"ipv6"}, bad: []string{"v4", "dual"}},
	{name: KeyName, good: []string{"my-nlb", "nlb_1.a", "负载均衡", "ab"}, bad: []string{"a", "1nlb", "-nlb", "my nlb", "a" + strings.Repeat("b", 128)}},
	{name: KeyResourceGroupID, good: []string{"rg-abc"}, bad: []string{"rg abc"}},
	{name: KeyAdditionalResourceTags, good: []string{"k1=v1,k2=", "env=prod"}, bad: []string{"acs:x=1", "k=1,k=2", "alicloud-ccm/x=1"}},
	{name: KeyID, good: []string{"nlb-abc123"}, bad: []string{"nlb-1 nlb-2", "nlb-1,nlb-2"}},
	{name: KeyForceOverrideListeners, setup: reuseSetup, good: []string{"true", "false"}, warn: []string{"yes", "True"}},
	{name: KeyDeleteProtection, good: []string{"on", "off", "On"}, warn: []string{"yes"}},
	{name: KeyModificationProtection, good: []string{"ConsoleProtection", "NonProtection"}, warn: []string{"nonprotection"}, bad: []string{"none"}},
	{name: KeyPreserveLBOnDelete, good: []string{"true", "on"}, warn: []string{"false"}},

	// Listener.
	{name: KeyProtocolPort, setup: map[Name]string{KeyCertID: "cert-1"}, ports: nlbTCPUDP,
		good: []string{"tcp:80", "tcpssl:80", "udp:53", "tcpssl:80,udp:53"},
		warn: []string{"tcp:8080", "tcp:80,tcpssl:80", "udp:80", "tcp:x"},
		bad:  []string{"http:80", "https:80", "TCPSSL:80", "tcp", "tcp:80,"}},
	{name: KeyCertID, setup: map[Name]string{KeyProtocolPort: "tcpssl:443"}, ports: nlbTLS,
		good: []string{"cert-1", "1231579085529123_166f8204689_1714763408_709325732"}, bad: []string{"cert 1", "cert-1,cert-2", "cert-1,"}},
	{name: KeyAdditionalCertIDs, setup: tcpsslSetup, ports: nlbTLS, good: []string{"cert-2", "cert-2,cert-3"}, bad: []string{"cert-2,cert-2", "cert 2", "cert-2,"}},
	{name: KeyCACertID, setup: tcpsslSetup, ports: nlbTLS, good: []string{"ca-1"}, bad: []string{"ca-1,ca-2", "ca 1"}},
	{name: KeyCACert, setup: map[Name]string{KeyProtocolPort: "tcpssl:443", KeyCertID: "cert-1", KeyCACertID: "ca-1"}, ports: nlbTLS,
		good: []string{"on", "off", "ON"}, warn: []string{"enabled"}},
	{name: KeyTLSCipherPolicy, setup: tcpsslSetup, ports: nlbTLS, good: []string{"tls_cipher_policy_1_2", "tls_cipher_policy_1_2_strict_with_1_3", "spy-abc123"},
		bad: []string{"tls_1_2", "spy 1", "TLS_CIPHER_POLICY_1_2"}},
	{name: KeyALPN, setup: map[Name]string{KeyProtocolPort: "tcpssl:443", KeyCertID: "cert-1", KeyALPNPolicy: "HTTP2Optional"}, ports: nlbTLS,
		good: []string{"on", "off", "On"}, warn: []string{"true"}},
	{name: KeyALPNPolicy, setup: tcpsslSetup, ports: nlbTLS, good: []string{"HTTP1Only", "HTTP2Only", "HTTP2Optional", "HTTP2Preferred"}, warn: []string{"http2only"}, bad: []string{"HTTP3"}},
	{name: KeyCPS, good: []string{"0", "1000000"}, bad: []string{"-1", "1000001", "many"}},
	{name: KeyPPv2PrivateLinkEpID, setup: proxySetup, good: []string{"on", "off"}, warn: []string{"yes"}},
	{name: KeyPPv2PrivateLinkEpsID, setup: proxySetup, good: []string{"on", "off"}, warn: []string{"yes"}},
	{name: KeyPPv2VpcID, setup: proxySetup, good: []string{"on", "off"}, warn: []string{"yes"}},
	{name: KeyListenerPortRange, setup: ipSGSetup, good: []string{"8000-8100:80", " 8000 - 8100 : 80 "}, warn: []string{"8000-8100:81", "8000-8100:80,9000-9100:80"},
		bad: []string{"8000:80", "8000-8100", "8100-8000:80", "8000-8000:80", "0-10:80", "8000-70000:80", "a-b:80", "8000-8100:x"}},
	{name: KeyIdleTimeout, good: []string{"10", "900"}, bad: []string{"9", "901", "x"}},
	{name: KeyProxyProtocol, good: []string{"on", "off", "ON"}, warn: []string{"enabled"}},

	// Server group.
	{name: KeyServerGroupType, good: []string{"instance", "ip", "Ip", "Instance"}, bad: []string{"eni", "pod"}},
	{name: KeyPreserveClientIP, good: []string{"on", "off"}, warn: []string{"true"}},
	{name: KeyScheduler, good: []string{"wrr", "rr", "wlc", "sch", "tch", "Wrr", "RR"}, bad: []string{"lc", "qch"}},
	{name: KeyConnectionDrain, good: []string{"on", "off"}, warn: []string{"1"}},
	{name: KeyConnectionDrainTimeout, setup: map[Name]string{KeyConnectionDrain: "on"}, good: []string{"0", "900"}, bad: []string{"-1", "901"}},
	{name: KeyHealthCheckFlag, good: []string{"on", "off"}, warn: []string{"yes"}},
	{name: KeyHealthCheckType, good: []string{"tcp", "http", "udp", "HTTP", "TCP"}, bad: []string{"icmp"}},
	{name: KeyHealthCheckConnectPort, good: []string{"0", "65535"}, bad: []string{"-520", "-1", "65536"}},
	{name: KeyHealthCheckConnectTimeout, good: []string{"1", "300"}, bad: []string{"0", "301"}},
	{name: KeyHealthyThreshold, good: []string{"2", "10"}, bad: []string{"1", "11"}},
	{name: KeyUnhealthyThreshold, good: []string{"2", "10"}, bad: []string{"1", "11"}},
	{name: KeyHealthCheckInterval, good: []string{"1", "50"}, bad: []string{"0", "51", "301"}},
	{name: KeyHealthCheckURI, setup: httpHCSetup, good: []string{"/healthz", "/"}, bad: []string{"healthz", "/a b"}},
	{name: KeyHealthCheckDomain, setup: httpHCSetup, good: []string{"$SERVER_IP", "www.example.com"}, bad: []string{"$_ip", "bad_domain!", strings.Repeat("a", 78) + ".com"}},
	{name: KeyHealthCheckMethod, setup: httpHCSetup, good: []string{"GET", "HEAD", "get"}, bad: []string{"POST"}},
	{name: KeyHealthCheckHTTPCode, setup: httpHCSetup, good: []string{"http_2xx", "http_2xx,http_3xx"}, bad: []string{"200", "http_2xx,"}},
	{name: KeyVGroupPort, setup: reuseSetup, good: []string{"sgp-1:80"}, warn: []string{"sgp-1:81", "sgp-1:80,sgp-2:80"}, bad: []string{"rsp-1:80", "sgp-1", "sgp 1:80"}},
	{name: KeyWeight, setup: map[Name]string{KeyID: "nlb-1", KeyVGroupPort: "sgp-1:80"}, good: []string{"0", "100"}, bad: []string{"-1", "101"}},
	{name: KeyDefaultWeight, good: []string{"0", "100"}, bad: []string{"101", "x"}},
	{name: KeyIgnoreWeightUpdate, good: []string{"on", "off", "On"}, warn: []string{"true"}},
	{name: KeyBackendType, good: []string{"ecs", "eni"}, warn: []string{"ENI", "pod"}},
	{name: KeyBackendLabel, good: []string{"a=b", "a=b,example.com/c=d"}, bad: []string{"a", "a=b,a=c"}},
	{name: KeyRemoveUnscheduledBackend, good: []string{"on", "off", "On"}, warn: []string{"true"}},
	{name: KeyDrainUnscheduledBackend, good: []string{"on", "off"}, bad: []string{"On", "true"}},
	{name: KeyBackendIPVersion, setup: dualSetup, good: []string{"ipv4", "ipv6", "dualstack"}, bad: []string{"IPv6", "DualStack", "v6"}},
}

// nlbService builds a LoadBalancer Service of the NLB class; nil ports
// means tcp80.
func nlbService(ann map[string]string, ports []v1.ServicePort) *v1.Service {
	svc := newService(ann, ports)
	class := NLBClass
	svc.Spec.LoadBalancerClass = &class
	return svc
}

func (c keyCase) nlbService(key, val string) *v1.Service {
	svc := c.service(key, val)
	class := NLBClass
	svc.Spec.LoadBalancerClass = &class
	return svc
}

func mustParseNLB(t *testing.T, svc *v1.Service, d Defaults) *NLBConfig {
	t.Helper()
	cfg, err := ParseNLB(svc, d)
	if err != nil {
		t.Fatalf("ParseNLB: %v", err)
	}
	return cfg
}

// TestEveryNLBKeyGoodAndBad parses every NLB key with good, lenient and
// bad values under both prefixes: a good value parses without an unknown
// or CLB-only Warning, a lenient one (the official CCM accepts it) parses
// with a Warning naming key and value, a bad one is an *Error naming the
// key as written and the value.
func TestEveryNLBKeyGoodAndBad(t *testing.T) {
	for _, c := range nlbKeyCases {
		keys := []string{string(c.name)}
		if l := c.name.Legacy(); l != "" {
			keys = append(keys, l)
		}
		for _, key := range keys {
			for _, v := range c.good {
				t.Run(key+"="+v, func(t *testing.T) {
					cfg := mustParseNLB(t, c.nlbService(key, v), Defaults{})
					for _, w := range cfg.Warnings {
						if strings.Contains(w, "unknown annotation") || strings.Contains(w, "CLB Services only") {
							t.Errorf("an NLB key reported as unknown or CLB-only: %s", w)
						}
					}
				})
			}
			for _, v := range c.warn {
				t.Run(key+"="+v, func(t *testing.T) {
					cfg, err := ParseNLB(c.nlbService(key, v), Defaults{})
					if err != nil {
						t.Fatalf("the official CCM accepts this value; want a Warning, got error: %v", err)
					}
					if !slices.ContainsFunc(cfg.Warnings, func(w string) bool {
						return strings.Contains(w, key) && strings.Contains(w, strconv.Quote(v))
					}) {
						t.Fatalf("no Warning naming %s=%q in %q", key, v, cfg.Warnings)
					}
				})
			}
			for _, v := range c.bad {
				t.Run(key+"="+v, func(t *testing.T) {
					cfg, err := ParseNLB(c.nlbService(key, v), Defaults{})
					if err == nil {
						t.Fatalf("no error; config %+v", cfg)
					}
					if cfg == nil {
						t.Fatal("nil config with error")
					}
					if !hasError(err, key, v) {
						t.Fatalf("no *Error for %s=%q in: %v", key, v, err)
					}
				})
			}
		}
	}
}

// TestEveryNLBKeyHasCases keeps nlbKeyCases complete: a new key in the
// NLB registry without good and bad test values fails here.
func TestEveryNLBKeyHasCases(t *testing.T) {
	covered := map[Name]bool{}
	for _, c := range nlbKeyCases {
		if len(c.good) == 0 || len(c.bad)+len(c.warn) == 0 {
			t.Errorf("%s: needs good and bad (or warn) values", c.name)
		}
		if _, ok := LookupNLB(string(c.name)); !ok {
			t.Errorf("%s has NLB cases but is not in the NLB registry", c.name)
		}
		covered[c.name] = true
	}
	for _, a := range AllNLB() {
		if !covered[a.Name] {
			t.Errorf("%s has no nlbKeyCases entry", a.Name)
		}
	}
}

// TestNLBRangesFromRegistry: every ranged NLB key is validated with its
// NLB registry row, which may differ from the CLB row of the same key.
func TestNLBRangesFromRegistry(t *testing.T) {
	n := 0
	for _, a := range AllNLB() {
		if a.Range == nil {
			continue
		}
		n++
		if !strings.HasPrefix(a.Type, a.Range.String()) {
			t.Errorf("%s: Type %q is not rendered from its Range %v", a.Name, a.Type, a.Range)
		}
		p := newParser(nlbService(ann(string(a.Name), "0"), nil), Defaults{})
		p.nlb = true
		if got := p.rangeOf(a.Name); got != *a.Range {
			t.Errorf("%s: the NLB parser reads Range %v, want the NLB row's %v", a.Name, got, *a.Range)
		}
	}
	if n < 9 {
		t.Errorf("%d ranged NLB keys, want at least 9", n)
	}
	// The CLB and NLB rows of one key differ: idle-timeout is 1–60 for
	// CLB http listeners and 10–900 for NLB listeners.
	if rangeOf(KeyIdleTimeout) == nlbRangeOf(KeyIdleTimeout) {
		t.Error("idle-timeout: the CLB and NLB ranges should differ")
	}
	defer func() {
		if recover() == nil {
			t.Error("nlbRangeOf of an unranged key did not panic")
		}
	}()
	nlbRangeOf(KeyZoneMaps)
}
