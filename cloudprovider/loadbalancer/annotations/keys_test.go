package annotations

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Port sets used by the tests.
var (
	tcp80 = []v1.ServicePort{{Name: "web", Port: 80, Protocol: v1.ProtocolTCP, NodePort: 30080, TargetPort: intstr.FromInt32(8080)}}
	web   = []v1.ServicePort{
		{Name: "http", Port: 80, Protocol: v1.ProtocolTCP, NodePort: 30080, TargetPort: intstr.FromInt32(8080)},
		{Name: "https", Port: 443, Protocol: v1.ProtocolTCP, NodePort: 30443, TargetPort: intstr.FromInt32(8080)},
	}
	udp53 = []v1.ServicePort{{Name: "dns", Port: 53, Protocol: v1.ProtocolUDP, NodePort: 30053, TargetPort: intstr.FromInt32(53)}}
)

// Annotation sets that make a key applicable.
var (
	httpsSetup = map[Name]string{KeyProtocolPort: "http:80,https:443", KeyCertID: "cert-1"}
	httpSetup  = map[Name]string{KeyProtocolPort: "http:80"}
)

// newService builds a LoadBalancer Service; nil ports means tcp80.
func newService(ann map[string]string, ports []v1.ServicePort) *v1.Service {
	if ports == nil {
		ports = tcp80
	}
	return &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "svc", Namespace: "default", UID: "uid-1", Annotations: ann},
		Spec:       v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, Ports: ports},
	}
}

// keyCase lists good, lenient and bad values of one annotation, with the
// other annotations and ports that make it applicable. warn values are
// accepted by the official CCM with a result that is probably not what was
// meant: they parse, with a Warning naming key and value.
type keyCase struct {
	name  Name
	setup map[Name]string
	ports []v1.ServicePort
	good  []string
	warn  []string
	bad   []string
}

var long81 = strings.Repeat("a", 81)

var keyCases = []keyCase{
	// Instance.
	{name: KeyAddressType, good: []string{"internet", "intranet"}, warn: []string{"Internet"}, bad: []string{"public"}},
	{name: KeyVSwitchID, setup: map[Name]string{KeyAddressType: "intranet"}, good: []string{"vsw-abc"}, bad: []string{"vsw a", "vsw-1,vsw-2"}},
	{name: KeyNetworkType, setup: map[Name]string{KeyAddressType: "intranet"}, good: []string{"classic", "vpc"}, warn: []string{"VPC"}, bad: []string{"overlay"}},
	{name: KeyIP, setup: map[Name]string{KeyAddressType: "intranet"}, good: []string{"192.168.0.10"}, bad: []string{"300.1.1.1", "10.0.0.1/24", "fd00::1"}},
	{name: KeyChargeType, good: []string{"paybytraffic", "PayByBandwidth"}, bad: []string{"bytraffic"}},
	{name: KeyBandwidth, good: []string{"1", "5120"}, bad: []string{"0", "5121", "ten"}},
	{name: KeyInstanceChargeType, good: []string{"PayBySpec", "paybyclcu"}, bad: []string{"PayByHour"}},
	{name: KeySpec, good: []string{"slb.s1.small", "slb.s3.large"}, bad: []string{"slb.s9.huge"}},
	{name: KeyMasterZoneID, good: []string{"cn-hangzhou-h"}, bad: []string{"cn hangzhou"}},
	{name: KeySlaveZoneID, setup: map[Name]string{KeyMasterZoneID: "cn-hangzhou-h"}, good: []string{"cn-hangzhou-i"}, bad: []string{"cn-hangzhou-h", "a;b"}},
	{name: KeyIPVersion, good: []string{"ipv4", "ipv6"}, warn: []string{"IPv4"}, bad: []string{"dualstack"}},
	{name: KeyID, good: []string{"lb-abc123"}, bad: []string{"lb-1 lb-2", "lb-1,lb-2"}},
	{name: KeyForceOverrideListeners, setup: map[Name]string{KeyID: "lb-1"}, good: []string{"true", "false"}, warn: []string{"yes", "on", "True"}, bad: []string{}},
	{name: KeyName, good: []string{"my-lb", "负载均衡"}, bad: []string{"1lb", "-lb", "a" + long81}},
	{name: KeyResourceGroupID, good: []string{"rg-abc"}, bad: []string{"rg abc"}},
	{name: KeyAdditionalResourceTags, good: []string{"k1=v1,k2=v2,k3=,k4", "env=prod"},
		bad: []string{"acs:x=1", "aliyun-x=1", "k=1,k=2", "=v", "a,,b", "kubernetes.do.not.delete=x", "url=http://x", long81 + "=1"}},
	{name: KeyDeleteProtection, good: []string{"on", "off"}, warn: []string{"On", "yes"}},
	{name: KeyModificationProtection, good: []string{"ConsoleProtection", "NonProtection"}, warn: []string{"consoleprotection"}, bad: []string{"console"}},
	{name: KeyPreserveLBOnDelete, good: []string{"true", "on"}, warn: []string{"false", "yes"}},
	{name: KeyHostname, good: []string{"lb.example.com"}, bad: []string{"Not_A_Host", "http://x"}},
	{name: KeyExternalIPType, setup: map[Name]string{KeyAddressType: "intranet"}, good: []string{"eip"}, warn: []string{"EIP"}, bad: []string{"eni"}},

	// Listener.
	{name: KeyProtocolPort, setup: map[Name]string{KeyCertID: "cert-1"}, ports: web,
		good: []string{"http:80,https:443", "tcp:80", "https:443"},
		warn: []string{"http:8080", "http:80,https:80", "udp:80", "http:0", "http:x"},
		bad:  []string{"ftp:80", "HTTP:80", "http", "http:80,"}},
	{name: KeyScheduler, good: []string{"rr", "wrr", "wlc", "sch", "tch"}, warn: []string{"RR"}, bad: []string{"lc"}},
	{name: KeyCertID, setup: map[Name]string{KeyProtocolPort: "https:443"}, ports: web, good: []string{"cert-1", "1231579085529123_166f8204689_1714763408_709325732"}, bad: []string{"cert 1"}},
	{name: KeyTLSCipherPolicy, setup: httpsSetup, ports: web, good: []string{"tls_cipher_policy_1_2", "tls_cipher_policy_1_2_strict_with_1_3"}, bad: []string{"tls_1_2"}},
	{name: KeyHTTP2Enabled, setup: httpsSetup, ports: web, good: []string{"on", "off"}, warn: []string{"true"}},
	{name: KeyDomainExtensions, setup: httpsSetup, ports: web, good: []string{"www.example.com:cert-2,*.example.com:cert-3"},
		bad: []string{"example:cert-2", "www.example.com", "a.example.com:c1,a.example.com:c2", "www.example.com:cert 2"}},
	{name: KeyForwardPort, setup: httpsSetup, ports: web, good: []string{"80:443"}, warn: []string{"443:80", "81:443", "80:443,80:443"}, bad: []string{"80:444", "80", "80:x"}},
	{name: KeyACLStatus, setup: map[Name]string{KeyACLID: "acl-1", KeyACLType: "white"}, good: []string{"on", "off"}, warn: []string{"enabled"}},
	{name: KeyACLID, good: []string{"acl-1", "acl-1,acl-2"}, bad: []string{"acl 1", "acl-1,,acl-2"}},
	{name: KeyACLType, good: []string{"white", "black"}, bad: []string{"allow"}},
	{name: KeyPersistenceTimeout, good: []string{"0", "3600"}, bad: []string{"-1", "3601"}},
	{name: KeyEstablishedTimeout, good: []string{"10", "900"}, bad: []string{"9", "901"}},
	{name: KeyIdleTimeout, setup: httpSetup, good: []string{"1", "60"}, bad: []string{"0", "61"}},
	{name: KeyRequestTimeout, setup: httpSetup, good: []string{"1", "180"}, bad: []string{"0", "181"}},
	{name: KeyConnectionDrain, good: []string{"on", "off"}, warn: []string{"1", "On"}},
	{name: KeyConnectionDrainTimeout, setup: map[Name]string{KeyConnectionDrain: "on"}, good: []string{"10", "900"}, bad: []string{"5", "1000"}},
	{name: KeyProxyProtocol, good: []string{"on", "off"}, warn: []string{"enabled", "ON"}},
	{name: KeyStickySession, setup: map[Name]string{KeyProtocolPort: "http:80", KeyStickySessionType: "insert", KeyCookieTimeout: "1800"},
		good: []string{"on", "off"}, warn: []string{"ON"}},
	{name: KeyStickySessionType, setup: map[Name]string{KeyProtocolPort: "http:80", KeyStickySession: "on", KeyCookieTimeout: "1800", KeyCookie: "SID"},
		good: []string{"insert", "server"}, bad: []string{"cookie"}},
	{name: KeyCookieTimeout, setup: httpSetup, good: []string{"1", "86400"}, bad: []string{"0", "86401"}},
	{name: KeyCookie, setup: httpSetup, good: []string{"SESSIONID"}, bad: []string{"$x", "a b", "a;b"}},
	{name: KeyXForwardedForProto, setup: httpSetup, good: []string{"on", "off"}, warn: []string{"true"}},
	{name: KeyXForwardedForSLBPort, setup: httpSetup, good: []string{"on", "off"}, warn: []string{"true"}},
	{name: KeyXForwardedForClientSrcPort, setup: httpSetup, good: []string{"on", "off"}, warn: []string{"true"}},

	// Health check.
	{name: KeyHealthCheckSwitch, good: []string{"on", "off"}, warn: []string{"1", "On"}},
	{name: KeyHealthCheckFlag, setup: httpSetup, good: []string{"on", "off"}, warn: []string{"On"}},
	{name: KeyHealthCheckType, good: []string{"tcp", "http"}, warn: []string{"HTTP"}, bad: []string{"udp"}},
	{name: KeyHealthCheckURI, good: []string{"/healthz", "/"}, bad: []string{"healthz", "/" + long81, "/a b"}},
	{name: KeyHealthCheckDomain, good: []string{"$_ip", "www.example.com"}, bad: []string{"bad_domain!", "$ip"}},
	{name: KeyHealthCheckHTTPCode, good: []string{"http_2xx", "http_2xx,http_3xx"}, bad: []string{"200", "http_2xx,"}},
	{name: KeyHealthCheckMethod, setup: httpSetup, good: []string{"head", "get"}, bad: []string{"post"}},
	{name: KeyHealthCheckConnectPort, good: []string{"-520", "1", "65535"}, bad: []string{"0", "65536", "-1"}},
	{name: KeyHealthCheckInterval, good: []string{"1", "50"}, bad: []string{"0", "51"}},
	{name: KeyHealthyThreshold, good: []string{"2", "10"}, bad: []string{"1", "11"}},
	{name: KeyUnhealthyThreshold, good: []string{"2", "10"}, bad: []string{"1", "11"}},
	{name: KeyHealthCheckConnectTimeout, good: []string{"1", "300"}, bad: []string{"0", "301"}},
	{name: KeyHealthCheckTimeout, setup: httpSetup, good: []string{"1", "300"}, bad: []string{"0", "301"}},

	// Backend.
	{name: KeyBackendType, good: []string{"ecs", "eni"}, warn: []string{"ENI", "pod"}},
	{name: KeyBackendLabel, good: []string{"a=b", "a=b,example.com/c=d", "pool="}, bad: []string{"a", "a=b c", "a=b,a=c"}},
	{name: KeyRemoveUnscheduledBackend, good: []string{"on", "off"}, warn: []string{"true"}},
	{name: KeyDrainUnscheduledBackend, good: []string{"on", "off"}, bad: []string{"On", "true"}},
	{name: KeyVGroupPort, setup: map[Name]string{KeyID: "lb-1"}, good: []string{"rsp-1:80"}, warn: []string{"rsp-1:81", "rsp-1:80,rsp-2:80"}, bad: []string{"rsp-1", "rsp 1:80"}},
	{name: KeyWeight, setup: map[Name]string{KeyID: "lb-1", KeyVGroupPort: "rsp-1:80"}, good: []string{"0", "100"}, bad: []string{"-1", "101"}},
	{name: KeyDefaultWeight, good: []string{"0", "100"}, bad: []string{"101", "x"}},
	{name: KeyIgnoreWeightUpdate, good: []string{"on", "off"}, warn: []string{"On"}},
	{name: KeyBackendIPVersion, setup: map[Name]string{KeyIPVersion: "ipv6"}, good: []string{"ipv4", "ipv6"}, bad: []string{"dualstack", "IPv6"}},
}

func (c keyCase) service(key, val string) *v1.Service {
	ann := map[string]string{}
	for n, v := range c.setup {
		ann[string(n)] = v
	}
	ann[key] = val
	return newService(ann, c.ports)
}

// TestEveryKeyGoodAndBad parses every annotation with good and bad values,
// under the current and (where it exists) the legacy prefix. A bad value must
// produce an *Error naming the key exactly as written and the value.
func TestEveryKeyGoodAndBad(t *testing.T) {
	for _, c := range keyCases {
		keys := []string{string(c.name)}
		if l := c.name.Legacy(); l != "" {
			keys = append(keys, l)
		}
		for _, key := range keys {
			for _, v := range c.good {
				t.Run(key+"="+v, func(t *testing.T) {
					cfg, err := Parse(c.service(key, v), Defaults{})
					if err != nil {
						t.Fatalf("unexpected error: %v", err)
					}
					if cfg == nil {
						t.Fatal("nil config")
					}
					for _, w := range cfg.Warnings {
						if strings.Contains(w, "unknown annotation") {
							t.Errorf("known key reported as unknown: %s", w)
						}
					}
				})
			}
			for _, v := range c.warn {
				t.Run(key+"="+v, func(t *testing.T) {
					cfg, err := Parse(c.service(key, v), Defaults{})
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
					cfg, err := Parse(c.service(key, v), Defaults{})
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

// hasError reports whether err contains an *Error for key and value.
func hasError(err error, key, val string) bool {
	for _, e := range flatten(err) {
		var ae *Error
		if errors.As(e, &ae) && ae.Key == key && ae.Value == val {
			return true
		}
	}
	return false
}

// flatten unwraps an errors.Join tree into its leaves.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// TestEveryRegistryKeyHasCases keeps keyCases complete: a new annotation in
// the registry without good and bad test values fails here.
func TestEveryRegistryKeyHasCases(t *testing.T) {
	covered := map[Name]bool{}
	for _, c := range keyCases {
		if len(c.good) == 0 || len(c.bad)+len(c.warn) == 0 {
			t.Errorf("%s: needs good and bad (or warn) values", c.name)
		}
		covered[c.name] = true
	}
	for _, a := range All() {
		if !a.Name.IsField() && !covered[a.Name] {
			t.Errorf("%s has no keyCases entry", a.Name)
		}
	}
}

// TestRegistryEntriesComplete checks every entry documents itself.
func TestRegistryEntriesComplete(t *testing.T) {
	for _, a := range All() {
		if a.Doc == "" || a.Type == "" || a.Mutability == "" || a.Group == "" {
			t.Errorf("%s: Doc, Type, Mutability and Group are required: %+v", a.Name, a)
		}
		if !a.Name.IsField() && a.Default == "" {
			t.Errorf("%s: Default is required", a.Name)
		}
		if !strings.HasSuffix(a.Doc, ".") {
			t.Errorf("%s: Doc should end with a full stop", a.Name)
		}
		got, ok := Lookup(string(a.Name))
		if !ok || got.Name != a.Name {
			t.Errorf("Lookup(%s) = %v, %v", a.Name, got.Name, ok)
		}
		if l := a.Name.Legacy(); l != "" {
			if got, ok := Lookup(l); !ok || got.Name != a.Name {
				t.Errorf("Lookup(%s) = %v, %v", l, got.Name, ok)
			}
		}
	}
	if _, ok := Lookup(Prefix + "no-such-key"); ok {
		t.Error("Lookup of an unknown key succeeded")
	}
}
