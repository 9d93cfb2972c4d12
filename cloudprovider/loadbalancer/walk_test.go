package loadbalancer

import (
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// TestHealthCheckIntervalWalk follows health-check-interval from the
// Service to the SDK request, hop by hop as the engine takes it:
// annotations.Parse (string -> *int, the one change of form), desiredAttrs
// (the same *int), and each protocol's typed Create and Set request
// builders. A value the parser refuses never reaches a request.
func TestHealthCheckIntervalWalk(t *testing.T) {
	r := New(nil, nil, nil, Options{ClusterID: "c"})
	for _, tc := range []struct {
		name  string
		proto string
		port  port
	}{
		{"tcp", "tcp:80", port{"p", 80, 30080, v1.ProtocolTCP}},
		{"udp", "udp:53", port{"p", 53, 30053, v1.ProtocolUDP}},
		{"http", "http:80", port{"p", 80, 30080, v1.ProtocolTCP}},
		{"https", "https:443", port{"p", 443, 30443, v1.ProtocolTCP}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := service("web", anno("protocol-port", tc.proto, "cert-id", "cert-1", "health-check-flag", "on", "health-check-interval", " 7 "), tc.port)
			cfg, err := annotations.Parse(svc, annotations.Defaults{})
			if err != nil {
				t.Fatal(err)
			}
			l := &cfg.Listeners[0]
			if l.HealthCheck.Interval == nil || *l.HealthCheck.Interval != 7 {
				t.Fatalf("parsed interval %v, want 7", l.HealthCheck.Interval)
			}
			a := r.desiredAttrs(svc, cfg, l, "rsp-1", "", "")
			if a.HealthCheckInterval != l.HealthCheck.Interval {
				t.Fatal("desiredAttrs does not carry the parsed value")
			}
			var create, set map[string]string
			switch l.Protocol {
			case annotations.ProtocolTCP:
				create, set = sentParams(t, tcpCreateRequest("lb-1", 80, &a)), sentParams(t, tcpSetRequest("lb-1", 80, &a))
			case annotations.ProtocolUDP:
				create, set = sentParams(t, udpCreateRequest("lb-1", 53, &a)), sentParams(t, udpSetRequest("lb-1", 53, &a))
			case annotations.ProtocolHTTP:
				create, set = sentParams(t, httpCreateRequest("lb-1", 80, &a)), sentParams(t, httpSetRequest("lb-1", 80, &a))
			case annotations.ProtocolHTTPS:
				create, set = sentParams(t, httpsCreateRequest("lb-1", 443, &a)), sentParams(t, httpsSetRequest("lb-1", 443, &a))
			}
			// The TCP and UDP create actions spell the parameter
			// healthCheckInterval (as the API reference and the SDK do).
			sent := create["HealthCheckInterval"]
			if l.Protocol == annotations.ProtocolTCP || l.Protocol == annotations.ProtocolUDP {
				sent = create["healthCheckInterval"]
			}
			if sent != "7" || set["HealthCheckInterval"] != "7" {
				t.Errorf("health-check interval sent %q (create), %q (set); want 7", sent, set["HealthCheckInterval"])
			}
		})
	}
	for _, bad := range []string{"0", "51", "seven"} {
		svc := service("web", anno("health-check-interval", bad))
		if _, err := annotations.Parse(svc, annotations.Defaults{}); err == nil {
			t.Errorf("health-check-interval %q parsed", bad)
		}
	}
}
