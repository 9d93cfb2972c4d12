package annotations

import (
	"reflect"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// tcpUDPHTTPS has one listener of each kind: tcp 80, udp 53, http 8080 and
// https 443 (by protocol-port).
var tcpUDPHTTPS = []v1.ServicePort{
	{Name: "tcp", Port: 80, Protocol: v1.ProtocolTCP, NodePort: 30080, TargetPort: intstr.FromInt32(80)},
	{Name: "udp", Port: 53, Protocol: v1.ProtocolUDP, NodePort: 30053, TargetPort: intstr.FromInt32(53)},
	{Name: "http", Port: 8080, Protocol: v1.ProtocolTCP, NodePort: 30081, TargetPort: intstr.FromInt32(80)},
	{Name: "https", Port: 443, Protocol: v1.ProtocolTCP, NodePort: 30443, TargetPort: intstr.FromInt32(80)},
}

// TestHealthCheckPerProtocol: each health check annotation reaches exactly
// the listeners whose protocol it fits.
func TestHealthCheckPerProtocol(t *testing.T) {
	svc := newService(ann(
		string(KeyProtocolPort), "http:8080,https:443", string(KeyCertID), "cert-1",
		string(KeyHealthCheckSwitch), "on", string(KeyHealthCheckFlag), "on",
		string(KeyHealthCheckType), "http", string(KeyHealthCheckURI), "/healthz",
		string(KeyHealthCheckDomain), "$_ip", string(KeyHealthCheckHTTPCode), "http_2xx,http_3xx",
		string(KeyHealthCheckMethod), "get", string(KeyHealthCheckConnectPort), "-520",
		string(KeyHealthCheckInterval), "5", string(KeyHealthyThreshold), "3", string(KeyUnhealthyThreshold), "4",
		string(KeyHealthCheckConnectTimeout), "6", string(KeyHealthCheckTimeout), "7",
	), tcpUDPHTTPS)
	cfg := mustParse(t, svc, Defaults{})
	byPort := map[int32]HealthCheck{}
	for _, l := range cfg.Listeners {
		byPort[l.Port] = l.HealthCheck
	}
	i := func(v int) *int { return &v }
	on := new(true)
	codes := []string{"http_2xx", "http_3xx"}
	want := map[int32]HealthCheck{
		80: {Enabled: on, Type: "http", URI: "/healthz", Domain: "$_ip", HTTPCodes: codes, ConnectPort: i(-520), Interval: i(5),
			HealthyThreshold: i(3), UnhealthyThreshold: i(4), ConnectTimeout: i(6)},
		53: {Enabled: on, ConnectPort: i(-520), Interval: i(5), HealthyThreshold: i(3), UnhealthyThreshold: i(4), ConnectTimeout: i(6)},
		8080: {Enabled: on, URI: "/healthz", Domain: "$_ip", HTTPCodes: codes, Method: "get", ConnectPort: i(-520), Interval: i(5),
			HealthyThreshold: i(3), UnhealthyThreshold: i(4), Timeout: i(7)},
	}
	want[443] = want[8080]
	for port, w := range want {
		if got := byPort[port]; !reflect.DeepEqual(got, w) {
			t.Errorf("listener %d: health check\n%+v\nwant\n%+v", port, got, w)
		}
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings %q", cfg.Warnings)
	}
}

// TestHealthCheckUnset: nothing annotated, nothing managed.
func TestHealthCheckUnset(t *testing.T) {
	cfg := mustParse(t, newService(ann(string(KeyProtocolPort), "http:8080,https:443", string(KeyCertID), "cert-1"), tcpUDPHTTPS), Defaults{})
	for _, l := range cfg.Listeners {
		if !reflect.DeepEqual(l.HealthCheck, HealthCheck{}) {
			t.Errorf("listener %d: %+v", l.Port, l.HealthCheck)
		}
	}
}

// TestHealthCheckValues: the free-form health check values, one rule each.
func TestHealthCheckValues(t *testing.T) {
	for _, tt := range []struct {
		key  Name
		val  string
		ok   bool
		part string
	}{
		{KeyHealthCheckURI, "/", true, ""},
		{KeyHealthCheckURI, "/" + strings.Repeat("a", maxHealthCheckURI-1), true, ""},
		{KeyHealthCheckURI, "/" + strings.Repeat("a", maxHealthCheckURI), false, "at most 80 characters"},
		{KeyHealthCheckURI, "healthz", false, "starting with /"},
		{KeyHealthCheckURI, "/a\tb", false, "without spaces"},
		{KeyHealthCheckDomain, "$_ip", true, ""},
		{KeyHealthCheckDomain, "a.example.com", true, ""},
		{KeyHealthCheckDomain, "$_IP", false, "$_ip or a domain name"},
		{KeyHealthCheckHTTPCode, "http_5xx", true, ""},
		{KeyHealthCheckHTTPCode, "http_2xx,http_3xx,http_4xx,http_5xx", true, ""},
		{KeyHealthCheckHTTPCode, "http_1xx", false, `"http_1xx" is not one of http_2xx, http_3xx, http_4xx, http_5xx`},
		{KeyHealthCheckConnectPort, "-520", true, ""},
		{KeyHealthCheckConnectPort, "+80", true, ""},
		{KeyHealthCheckConnectPort, "-521", false, "from 1 to 65535, or -520"},
		{KeyHealthCheckConnectPort, "eighty", false, "from 1 to 65535, or -520"},
	} {
		t.Run(tt.key.Suffix()+"="+tt.val, func(t *testing.T) {
			_, err := Parse(newService(ann(string(tt.key), tt.val), nil), Defaults{})
			switch {
			case tt.ok && err != nil:
				t.Errorf("unexpected error %v", err)
			case !tt.ok && (!hasError(err, string(tt.key), tt.val) || !strings.Contains(err.Error(), tt.part)):
				t.Errorf("err = %v, want %q", err, tt.part)
			}
		})
	}
}

// TestBackendTypeAndPolicy: backend type from the annotation, else
// cloud-config, else ecs; the policy follows from it and the Service.
func TestBackendTypeAndPolicy(t *testing.T) {
	local := v1.ServiceExternalTrafficPolicyLocal
	for _, tt := range []struct {
		name   string
		ann    map[string]string
		d      Defaults
		policy v1.ServiceExternalTrafficPolicy
		typ    BackendType
		pol    TrafficPolicy
		hcPort int32
		err    string
	}{
		{name: "defaults", typ: BackendECS, pol: TrafficCluster},
		{name: "Local", policy: local, typ: BackendECS, pol: TrafficLocal, hcPort: 32000},
		{name: "eni ignores Local", ann: ann(string(KeyBackendType), "eni"), policy: local, typ: BackendENI, pol: TrafficENI},
		{name: "cloud-config eni", d: Defaults{BackendType: BackendENI}, typ: BackendENI, pol: TrafficENI},
		{name: "annotation wins over cloud-config", ann: ann(string(KeyBackendType), "ecs"), d: Defaults{BackendType: BackendENI}, typ: BackendECS, pol: TrafficCluster},
		{name: "a bad cloud-config value", d: Defaults{BackendType: "pod"}, typ: BackendECS, pol: TrafficCluster, err: "cloud-config serviceBackendType"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			svc := newService(tt.ann, nil)
			svc.Spec.ExternalTrafficPolicy = tt.policy
			if tt.policy == local {
				svc.Spec.HealthCheckNodePort = 32000
			}
			cfg, err := Parse(svc, tt.d)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b := cfg.Backend
			if b.Type != tt.typ || b.Policy != tt.pol || b.HealthCheckNodePort != tt.hcPort {
				t.Errorf("backend = %s %s %d, want %s %s %d", b.Type, b.Policy, b.HealthCheckNodePort, tt.typ, tt.pol, tt.hcPort)
			}
		})
	}
}

// TestBackendValues: node labels, vgroup-port and weights as parsed.
func TestBackendValues(t *testing.T) {
	cfg := mustParse(t, newService(ann(
		string(KeyBackendLabel), "pool=web, example.com/zone=a ,empty=",
		string(KeyID), "lb-1", string(KeyVGroupPort), "rsp-1:80,rsp-2:443",
		string(KeyWeight), "40", string(KeyDefaultWeight), "0",
		string(KeyIgnoreWeightUpdate), "on", string(KeyRemoveUnscheduledBackend), "on",
	), web), Defaults{})
	b := cfg.Backend
	if !reflect.DeepEqual(b.NodeLabels, map[string]string{"pool": "web", "example.com/zone": "a", "empty": ""}) {
		t.Errorf("labels %v", b.NodeLabels)
	}
	if !reflect.DeepEqual(b.VGroupPorts, map[int32]string{80: "rsp-1", 443: "rsp-2"}) {
		t.Errorf("vgroup-port %v", b.VGroupPorts)
	}
	if b.Weight == nil || *b.Weight != 40 || b.DefaultWeight == nil || *b.DefaultWeight != 0 {
		t.Errorf("weights %v %v", b.Weight, b.DefaultWeight)
	}
	if !b.IgnoreWeightUpdate || !b.RemoveUnscheduled || b.IPVersion != IPv4 {
		t.Errorf("backend %+v", b)
	}
}

// TestDrainStrict: drain-unscheduled-backend has no official CCM reading
// to follow: only on and off.
func TestDrainStrict(t *testing.T) {
	for _, tt := range []struct {
		val  string
		on   bool
		fail bool
	}{{"", false, false}, {"on", true, false}, {"off", false, false}, {"On", false, true}, {"true", false, true}} {
		svc := newService(ann(KeyDrainUnscheduledBackend.Legacy(), tt.val), nil)
		on, err := ParseDrain(svc)
		if on != tt.on || (err != nil) != tt.fail {
			t.Errorf("ParseDrain(%q) = %v, %v", tt.val, on, err)
		}
		if _, perr := Parse(svc, Defaults{}); (perr != nil) != tt.fail {
			t.Errorf("Parse(%q): %v", tt.val, perr)
		}
	}
}
