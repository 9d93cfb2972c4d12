package annotations

import (
	"net/netip"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
)

func intPtr(v int) *int { return &v }

// TestBackendDecisions pins Local and SharedWeight.
func TestBackendDecisions(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		local  bool
		weight *int
	}{
		{name: "cluster", cfg: Config{Backend: Backend{Policy: TrafficCluster, Weight: intPtr(50)}}},
		{name: "local", cfg: Config{Backend: Backend{Policy: TrafficLocal}}, local: true},
		{name: "eni is not local", cfg: Config{Backend: Backend{Policy: TrafficENI}}},
		{name: "weight with id but no vgroup-port does not count",
			cfg: Config{LB: LoadBalancer{ReuseID: "lb-1"}, Backend: Backend{Weight: intPtr(50)}}},
		{name: "weight with vgroup-port but no id does not count",
			cfg: Config{Backend: Backend{Weight: intPtr(50), VGroupPorts: map[int32]string{80: "rsp-1"}}}},
		{name: "weight on a shared reused CLB counts",
			cfg:    Config{LB: LoadBalancer{ReuseID: "lb-1"}, Backend: Backend{Weight: intPtr(50), VGroupPorts: map[int32]string{80: "rsp-1"}}},
			weight: intPtr(50)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cfg.Backend.Local(); got != tc.local {
				t.Errorf("Local() = %v", got)
			}
			got := tc.cfg.SharedWeight()
			if (got == nil) != (tc.weight == nil) || (got != nil && *got != *tc.weight) {
				t.Errorf("SharedWeight() = %v, want %v", got, tc.weight)
			}
		})
	}
}

// TestWantedInstanceValues: a reused load balancer gets only what the
// user wrote; one of ours gets the defaults too.
func TestWantedInstanceValues(t *testing.T) {
	tests := []struct {
		name                string
		lb                  LoadBalancer
		deleteP, modP, rgID string
	}{
		{name: "ours, defaults", lb: LoadBalancer{DeleteProtection: true, ModificationProtection: ConsoleProtection, ResourceGroupID: "rg-cfg"},
			deleteP: "on", modP: ConsoleProtection},
		{name: "ours, annotated off", lb: LoadBalancer{DeleteProtection: false, DeleteProtectionSet: true, ModificationProtection: NonProtection,
			ModificationProtectionSet: true, ResourceGroupID: "rg-1", ResourceGroupIDSet: true}, deleteP: "off", modP: NonProtection, rgID: "rg-1"},
		{name: "reused, defaults are not wanted", lb: LoadBalancer{ReuseID: "lb-1", DeleteProtection: true, ModificationProtection: ConsoleProtection}},
		{name: "reused, annotated values are", lb: LoadBalancer{ReuseID: "lb-1", DeleteProtection: true, DeleteProtectionSet: true,
			ModificationProtection: NonProtection, ModificationProtectionSet: true}, deleteP: "on", modP: NonProtection},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.lb.WantedDeleteProtection(); got != tc.deleteP {
				t.Errorf("WantedDeleteProtection() = %q, want %q", got, tc.deleteP)
			}
			if got := tc.lb.WantedModificationProtection(); got != tc.modP {
				t.Errorf("WantedModificationProtection() = %q, want %q", got, tc.modP)
			}
			if got := tc.lb.WantedResourceGroupID(); got != tc.rgID {
				t.Errorf("WantedResourceGroupID() = %q, want %q", got, tc.rgID)
			}
		})
	}
}

// TestLoadBalancerAccessors pins the typed views of instance values.
func TestLoadBalancerAccessors(t *testing.T) {
	var lb LoadBalancer
	if lb.AddressString() != "" || lb.BandwidthMbps() != 0 || lb.TagMap() != nil || lb.PublishEIPs() {
		t.Errorf("unset values: address %q bandwidth %d tags %v eips %v", lb.AddressString(), lb.BandwidthMbps(), lb.TagMap(), lb.PublishEIPs())
	}
	lb = LoadBalancer{Address: netip.MustParseAddr("10.0.0.5"), Bandwidth: intPtr(20), ExternalIPType: "EIP",
		AdditionalTags: []Tag{{Key: "a", Value: "1"}, {Key: "b"}}}
	if lb.AddressString() != "10.0.0.5" || lb.BandwidthMbps() != 20 || !lb.PublishEIPs() {
		t.Errorf("address %q bandwidth %d eips %v", lb.AddressString(), lb.BandwidthMbps(), lb.PublishEIPs())
	}
	if m := lb.TagMap(); len(m) != 2 || m["a"] != "1" || m["b"] != "" {
		t.Errorf("tags %v", m)
	}
	if m := (&LoadBalancer{AdditionalTags: []Tag{}}).TagMap(); m == nil || len(m) != 0 {
		t.Errorf("an empty annotation is an empty map (remove our tags), got %v", m)
	}
}

// TestHealthCheckPort pins -520, "the backend server's port".
func TestHealthCheckPort(t *testing.T) {
	tests := []struct {
		name    string
		port    *int
		backend BackendType
		node    int32
		target  intstr.IntOrString
		want    *int
	}{
		{name: "unset", backend: BackendECS, node: 30080},
		{name: "explicit port kept", port: intPtr(9000), backend: BackendECS, node: 30080, want: intPtr(9000)},
		{name: "-520 on node backends is the NodePort", port: intPtr(-520), backend: BackendECS, node: 30080, want: intPtr(30080)},
		{name: "-520 without a NodePort yet is left out", port: intPtr(-520), backend: BackendECS},
		{name: "-520 on ENI backends is the target port", port: intPtr(-520), backend: BackendENI, target: intstr.FromInt32(8080), want: intPtr(8080)},
		{name: "-520 with a named target port is left out", port: intPtr(-520), backend: BackendENI, target: intstr.FromString("http")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := Listener{NodePort: tc.node, TargetPort: tc.target, HealthCheck: HealthCheck{ConnectPort: tc.port}}
			got := l.HealthCheckPort(tc.backend)
			if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
				t.Errorf("HealthCheckPort() = %v, want %v", got, tc.want)
			}
		})
	}
}
