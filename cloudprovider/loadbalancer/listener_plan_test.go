package loadbalancer

import (
	"strconv"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/record"
)

// TestHealthCheckConnectPortBackend: -520 ("the backend port") is sent as
// that port, which the API takes (1-65535), so a listener probing another
// port switches back too.
func TestHealthCheckConnectPortBackend(t *testing.T) {
	r := New(nil, nil, record.NewFakeRecorder(10), Options{})
	tests := []struct {
		name   string
		value  string
		eni    bool
		target intstr.IntOrString
		want   string // "" = not sent
	}{
		{name: "node backends probe the NodePort", value: "-520", target: intstr.FromInt32(8080), want: "30080"},
		{name: "ENI backends probe the target port", value: "-520", eni: true, target: intstr.FromInt32(8080), want: "8080"},
		{name: "named target port is left to the API default", value: "-520", eni: true, target: intstr.FromString("http")},
		{name: "an explicit port is kept", value: "9000", target: intstr.FromInt32(8080), want: "9000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := anno("health-check-connect-port", tc.value)
			if tc.eni {
				a["service.beta.kubernetes.io/backend-type"] = "eni"
			}
			svc := service("web", a)
			svc.Spec.Ports[0].TargetPort = tc.target
			cfg, err := r.desired(svc)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if p := r.desiredAttrs(svc, cfg, &cfg.Listeners[0], "", "", "").HealthCheckConnectPort; p != nil {
				got = strconv.Itoa(*p)
			}
			if got != tc.want {
				t.Errorf("HealthCheckConnectPort = %q, want %q (\"\" = not sent)", got, tc.want)
			}
		})
	}
}
