package annotations

import (
	"reflect"
	"strconv"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The tests in decisions_test.go pin each decision on hand-built typed
// values. These start from the annotation strings a user writes, so they
// also pin that Parse sets what the decisions read (the *Set flags, the
// cloud-config defaults, the policy), under either prefix.

// withLegacy returns the annotations with every key under the legacy
// prefix instead (keys without a legacy form stay as they are).
func withLegacy(a map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		if l := Name(k).Legacy(); l != "" {
			k = l
		}
		out[k] = v
	}
	return out
}

// TestParsedInstanceDecisions: from annotations to the instance values the
// engine converges to. A reused CLB gets only what the user annotated; a
// cloud-config resource group is a default for new CLBs, not a wanted
// value.
func TestParsedInstanceDecisions(t *testing.T) {
	type want struct {
		deleteP, modP, rgID string
		eips                bool
		tags                map[string]string
	}
	for _, tt := range []struct {
		name string
		ann  map[string]string
		d    Defaults
		want want
	}{
		{name: "ours, nothing annotated: the defaults", d: Defaults{ResourceGroupID: "rg-cfg"},
			want: want{deleteP: "on", modP: ConsoleProtection}},
		{name: "ours, protections off", ann: ann(string(KeyDeleteProtection), "off", string(KeyModificationProtection), "NonProtection"),
			want: want{deleteP: "off", modP: NonProtection}},
		{name: "ours, lenient On reads off with the official CCM", ann: ann(string(KeyDeleteProtection), "On"),
			want: want{deleteP: "off", modP: ConsoleProtection}},
		{name: "ours, annotated resource group wins over cloud-config", ann: ann(string(KeyResourceGroupID), "rg-ann"), d: Defaults{ResourceGroupID: "rg-cfg"},
			want: want{deleteP: "on", modP: ConsoleProtection, rgID: "rg-ann"}},
		{name: "reused, nothing annotated: leave it alone", ann: ann(string(KeyID), "lb-1"), d: Defaults{ResourceGroupID: "rg-cfg"},
			want: want{}},
		{name: "reused, annotated protections", ann: ann(string(KeyID), "lb-1", string(KeyDeleteProtection), "on", string(KeyModificationProtection), "NonProtection"),
			want: want{deleteP: "on", modP: NonProtection}},
		{name: "reused, only delete protection annotated", ann: ann(string(KeyID), "lb-1", string(KeyDeleteProtection), "off"),
			want: want{deleteP: "off"}},
		{name: "intranet with eip status", ann: ann(string(KeyAddressType), "intranet", string(KeyExternalIPType), "eip"),
			want: want{deleteP: "on", modP: ConsoleProtection, eips: true}},
		{name: "tags: empty value and bare key are tags without value", ann: ann(string(KeyAdditionalResourceTags), "env=prod, team= ,solo"),
			want: want{deleteP: "on", modP: ConsoleProtection, tags: map[string]string{"env": "prod", "team": "", "solo": ""}}},
	} {
		for _, prefix := range []string{"current", "legacy"} {
			t.Run(tt.name+"/"+prefix, func(t *testing.T) {
				a := tt.ann
				if prefix == "legacy" {
					a = withLegacy(a)
				}
				cfg := mustParse(t, newService(a, nil), tt.d)
				lb := &cfg.LB
				got := want{deleteP: lb.WantedDeleteProtection(), modP: lb.WantedModificationProtection(),
					rgID: lb.WantedResourceGroupID(), eips: lb.PublishEIPs(), tags: lb.TagMap()}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("got %+v\nwant %+v", got, tt.want)
				}
			})
		}
	}
}

// TestParsedSharedWeight: the weight annotation counts only with both id
// and vgroup-port, whatever the order or prefix they are written in.
func TestParsedSharedWeight(t *testing.T) {
	for _, tt := range []struct {
		name string
		ann  map[string]string
		want *int
	}{
		{name: "weight alone", ann: ann(string(KeyWeight), "30")},
		{name: "weight on a reused CLB without vgroup-port", ann: ann(string(KeyID), "lb-1", string(KeyWeight), "30")},
		{name: "weight with vgroup-port on a reused CLB", ann: ann(string(KeyID), "lb-1", string(KeyVGroupPort), "rsp-1:80", string(KeyWeight), "30"),
			want: intPtr(30)},
		{name: "weight 0 counts: the Service's share is nothing", ann: ann(string(KeyID), "lb-1", string(KeyVGroupPort), "rsp-1:80", string(KeyWeight), "0"),
			want: intPtr(0)},
		{name: "vgroup-port without weight", ann: ann(string(KeyID), "lb-1", string(KeyVGroupPort), "rsp-1:80")},
	} {
		for _, prefix := range []string{"current", "legacy"} {
			t.Run(tt.name+"/"+prefix, func(t *testing.T) {
				a := tt.ann
				if prefix == "legacy" {
					a = withLegacy(a)
				}
				cfg := mustParse(t, newService(a, nil), Defaults{})
				got := cfg.SharedWeight()
				if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
					t.Errorf("SharedWeight() = %v, want %v", got, tt.want)
				}
			})
		}
	}
}

// TestParsedBackendPorts: where members and health checks point, from the
// Service's ports, its traffic policy, the backend-type annotation and
// cloud-config serviceBackendType (the annotation wins over the default).
func TestParsedBackendPorts(t *testing.T) {
	port := func(target intstr.IntOrString) []v1.ServicePort {
		return []v1.ServicePort{{Name: "http", Port: 80, NodePort: 30080, TargetPort: target, Protocol: v1.ProtocolTCP}}
	}
	type want struct {
		typ     BackendType
		policy  TrafficPolicy
		backend int
		check   *int // health check port
	}
	for _, tt := range []struct {
		name  string
		ann   map[string]string
		d     Defaults
		ports []v1.ServicePort
		local bool
		want  want
	}{
		{name: "nodes: the NodePort", ports: port(intstr.FromInt32(8080)),
			want: want{typ: BackendECS, policy: TrafficCluster, backend: 30080}},
		{name: "nodes, Local policy", ports: port(intstr.FromInt32(8080)), local: true,
			want: want{typ: BackendECS, policy: TrafficLocal, backend: 30080}},
		{name: "nodes, check on the backend port (-520)", ann: ann(string(KeyHealthCheckConnectPort), "-520"), ports: port(intstr.FromInt32(8080)),
			want: want{typ: BackendECS, policy: TrafficCluster, backend: 30080, check: intPtr(30080)}},
		{name: "nodes, check on a fixed port", ann: ann(string(KeyHealthCheckConnectPort), "10256"), ports: port(intstr.FromInt32(8080)),
			want: want{typ: BackendECS, policy: TrafficCluster, backend: 30080, check: intPtr(10256)}},
		{name: "eni by annotation: the target port, Local or not", ann: ann(string(KeyBackendType), "eni"), ports: port(intstr.FromInt32(8080)), local: true,
			want: want{typ: BackendENI, policy: TrafficENI, backend: 8080}},
		{name: "eni by cloud-config", d: Defaults{BackendType: BackendENI}, ports: port(intstr.FromInt32(8080)),
			want: want{typ: BackendENI, policy: TrafficENI, backend: 8080}},
		{name: "annotation ecs beats cloud-config eni", ann: ann(string(KeyBackendType), "ecs"), d: Defaults{BackendType: BackendENI}, ports: port(intstr.FromInt32(8080)),
			want: want{typ: BackendECS, policy: TrafficCluster, backend: 30080}},
		{name: "eni, -520 with a named target port is left to the CLB", ann: ann(string(KeyBackendType), "eni", string(KeyHealthCheckConnectPort), "-520"),
			ports: port(intstr.FromString("web")), want: want{typ: BackendENI, policy: TrafficENI}},
		{name: "eni, -520 is the target port", ann: ann(string(KeyBackendType), "eni", string(KeyHealthCheckConnectPort), "-520"),
			ports: port(intstr.FromInt32(8443)), want: want{typ: BackendENI, policy: TrafficENI, backend: 8443, check: intPtr(8443)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			svc := newService(tt.ann, tt.ports)
			if tt.local {
				svc.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal
			}
			cfg := mustParse(t, svc, tt.d)
			if len(cfg.Listeners) != 1 {
				t.Fatalf("%d listeners, want 1", len(cfg.Listeners))
			}
			l := &cfg.Listeners[0]
			got := want{typ: cfg.Backend.Type, policy: cfg.Backend.Policy, backend: l.BackendPort(cfg.Backend.Type), check: l.HealthCheckPort(cfg.Backend.Type)}
			if got.typ != tt.want.typ || got.policy != tt.want.policy || got.backend != tt.want.backend ||
				(got.check == nil) != (tt.want.check == nil) || got.check != nil && *got.check != *tt.want.check {
				t.Errorf("got type %s policy %s backend port %d check %v\nwant type %s policy %s backend port %d check %v",
					got.typ, got.policy, got.backend, ptrStr(got.check), tt.want.typ, tt.want.policy, tt.want.backend, ptrStr(tt.want.check))
			}
			if got.policy == TrafficLocal != cfg.Backend.Local() {
				t.Errorf("Local() = %v with policy %s", cfg.Backend.Local(), got.policy)
			}
		})
	}
}

func ptrStr(p *int) string {
	if p == nil {
		return "unset"
	}
	return strconv.Itoa(*p)
}
