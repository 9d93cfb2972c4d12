package annotations

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestNLBSharedWeightAndGroup(t *testing.T) {
	tests := []struct {
		name   string
		ann    map[string]string
		weight *int
		group  string // of port 80
	}{
		{name: "nothing"},
		{name: "reuse without vgroup-port", ann: ann(string(KeyID), "nlb-1", string(KeyWeight), "40")},
		{name: "reuse with vgroup-port and weight", ann: ann(string(KeyID), "nlb-1", string(KeyVGroupPort), "sgp-1:80", string(KeyWeight), "40"),
			weight: new(40), group: "sgp-1"},
		{name: "vgroup-port without reuse is ignored", ann: ann(string(KeyVGroupPort), "sgp-1:80", string(KeyWeight), "40")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := ParseNLB(nlbService(tt.ann, nil), Defaults{})
			got := cfg.SharedWeight()
			if (got == nil) != (tt.weight == nil) || got != nil && *got != *tt.weight {
				t.Errorf("SharedWeight = %v, want %v", got, tt.weight)
			}
			if g := cfg.ServerGroupID(80); g != tt.group {
				t.Errorf("ServerGroupID(80) = %q, want %q", g, tt.group)
			}
			if g := cfg.ServerGroupID(81); g != "" {
				t.Errorf("ServerGroupID(81) = %q", g)
			}
		})
	}
}

func TestNLBBackendPort(t *testing.T) {
	l := NLBListener{Port: 80, NodePort: 30080, TargetPort: intstr.FromInt32(8080)}
	named := NLBListener{Port: 80, NodePort: 30080, TargetPort: intstr.FromString("http")}
	ranged := NLBListener{Port: 80, NodePort: 30080, TargetPort: intstr.FromInt32(8080), PortRange: &PortRange{8000, 8100}}
	for _, tt := range []struct {
		name string
		l    NLBListener
		t    BackendType
		want int
	}{
		{"node backends: NodePort", l, BackendECS, 30080},
		{"pod backends: target port", l, BackendENI, 8080},
		{"named target port: unknown", named, BackendENI, 0},
		{"port range: the client's port", ranged, BackendENI, 0},
		{"no NodePort yet", NLBListener{Port: 80}, BackendECS, 0},
	} {
		if got := tt.l.BackendPort(tt.t); got != tt.want {
			t.Errorf("%s: BackendPort = %d, want %d", tt.name, got, tt.want)
		}
	}
}
