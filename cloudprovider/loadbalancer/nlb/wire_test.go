package nlb

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/podbackends"
)

// TestPolicyOf: which EndpointSlice changes matter to an NLB Service's
// members, one row per decision.
func TestPolicyOf(t *testing.T) {
	tests := []struct {
		name string
		cfg  annotations.NLBConfig
		want podbackends.Policy
	}{
		{"Instance group, Cluster policy: nodes only", annotations.NLBConfig{ServerGroup: annotations.NLBServerGroup{Type: annotations.NLBServerGroupInstance}}, podbackends.PolicyCluster},
		{"Local: weights follow endpoints", annotations.NLBConfig{Backend: annotations.Backend{Policy: annotations.TrafficLocal}}, podbackends.PolicyLocal},
		{"Ip server group: pod members", annotations.NLBConfig{ServerGroup: annotations.NLBServerGroup{Type: annotations.NLBServerGroupIP}}, podbackends.PolicyENI},
		{"backend-type eni: pod members", annotations.NLBConfig{Backend: annotations.Backend{Type: annotations.BackendENI}}, podbackends.PolicyENI},
		{"Ip group wins over Local", annotations.NLBConfig{ServerGroup: annotations.NLBServerGroup{Type: annotations.NLBServerGroupIP},
			Backend: annotations.Backend{Policy: annotations.TrafficLocal}}, podbackends.PolicyENI},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := policyOf(&tc.cfg); got != tc.want {
				t.Errorf("policyOf = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestWireEntryPoints: the provider's calls on the engine: the backend
// policy of a plain NLB Service, and the cluster identity Initialize sets.
func TestWireEntryPoints(t *testing.T) {
	r := New(nil, nil, Options{ClusterID: "clusterid"})
	svc := &v1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, Ports: []v1.ServicePort{{Port: 80, NodePort: 30080, Protocol: v1.ProtocolTCP}}}}
	if p, ok := r.BackendPolicy(svc); !ok || p != podbackends.PolicyCluster {
		t.Errorf("BackendPolicy = %q, %v; want Cluster, true", p, ok)
	}
	r.SetClusterID("uid-of-kube-system")
	if r.opts.ClusterID != "uid-of-kube-system" {
		t.Errorf("cluster ID %q after SetClusterID", r.opts.ClusterID)
	}
}
