package annotations

import (
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestStickySessionWithoutHTTPListener: session persistence exists on http
// and https listeners only. On a Service with none of them, `on` without
// its type (a value the official CCM accepts there and ignores) is
// accepted and ignored with a Warning naming the key, not refused; with an
// http listener the same annotations stay an error.
func TestStickySessionWithoutHTTPListener(t *testing.T) {
	tests := []struct {
		name    string
		ann     map[string]string
		wantErr bool
	}{
		{name: "tcp only, on without type", ann: ann(string(KeyStickySession), "on")},
		{name: "udp and tcp, insert without timeout", ann: ann(string(KeyStickySession), "on", string(KeyStickySessionType), "insert",
			string(KeyProtocolPort), "udp:53")},
		{name: "http listener, on without type", ann: ann(string(KeyStickySession), "on", string(KeyProtocolPort), "http:80"), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &v1.Service{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "ns", Annotations: tt.ann},
				Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, Ports: []v1.ServicePort{
					{Name: "a", Port: 80, Protocol: v1.ProtocolTCP, NodePort: 30080},
					{Name: "b", Port: 53, Protocol: v1.ProtocolUDP, NodePort: 30053}}}}
			cfg, err := Parse(svc, Defaults{})
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), string(KeyStickySession)) {
					t.Fatalf("want an error naming %s, got %v", KeyStickySession, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !strings.Contains(strings.Join(cfg.Warnings, "\n"), string(KeyStickySession)) {
				t.Errorf("warnings %q: want one naming %s", cfg.Warnings, KeyStickySession)
			}
		})
	}
}
