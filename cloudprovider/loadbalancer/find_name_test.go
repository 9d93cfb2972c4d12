package loadbalancer

import (
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// TestMayHaveOfficialCLB: the name lookup is for Services the official
// CCM may have served; each of its marks, or an address, is enough.
func TestMayHaveOfficialCLB(t *testing.T) {
	tests := []struct {
		name   string
		change func(*v1.Service)
		want   bool
	}{
		{"new Service", func(*v1.Service) {}, false},
		{"another finalizer", func(s *v1.Service) { s.Finalizers = []string{"service.kubernetes.io/load-balancer-cleanup"} }, false},
		{"another label", func(s *v1.Service) { s.Labels = map[string]string{"app": "web"} }, false},
		{"an address", func(s *v1.Service) {
			s.Status.LoadBalancer.Ingress = []v1.LoadBalancerIngress{{IP: "47.99.0.1"}}
		}, true},
		{"the official finalizer", func(s *v1.Service) { s.Finalizers = []string{"a", officialFinalizer} }, true},
		{"the official CLB ID label", func(s *v1.Service) { s.Labels = map[string]string{officialLBIDLabel: "lb-1"} }, true},
		{"the official hash label", func(s *v1.Service) { s.Labels = map[string]string{officialHashLabel: "x"} }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := service("web", nil)
			tt.change(svc)
			if got := mayHaveOfficialCLB(svc); got != tt.want {
				t.Errorf("mayHaveOfficialCLB = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestFindNameLookup: a new Service's create makes no lookup by name
// (only the one by our tag); a Service the official CCM marked is looked
// up by name too, and its CLB adopted rather than a second made.
func TestFindNameLookup(t *testing.T) {
	tests := []struct {
		name       string
		official   bool // an official CCM's CLB of the Service exists
		mark       func(*v1.Service)
		wantByName bool // a DescribeLoadBalancers by LoadBalancerName
		wantCreate bool
	}{
		{name: "new Service", mark: func(*v1.Service) {}, wantCreate: true},
		{name: "official finalizer, no CLB left", mark: func(s *v1.Service) { s.Finalizers = []string{officialFinalizer} },
			wantByName: true, wantCreate: true},
		{name: "official finalizer", official: true, mark: func(s *v1.Service) { s.Finalizers = []string{officialFinalizer} },
			wantByName: true},
		{name: "official CLB ID label", official: true, mark: func(s *v1.Service) { s.Labels = map[string]string{officialLBIDLabel: "lb-x"} },
			wantByName: true},
		{name: "an address", official: true, mark: func(s *v1.Service) {
			s.Status.LoadBalancer.Ingress = []v1.LoadBalancerIngress{{IP: "47.99.0.9"}}
		}, wantByName: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			svc := service("web", nil)
			tt.mark(svc)
			if tt.official {
				name := defaultName(svc)
				if _, err := e.emu.SeedLoadBalancer(emulator.SeedLB{Name: name, DeleteProtection: true,
					Tags: []emulator.Tag{{Key: TagOfficialOwner, Value: name}, {Key: TagOfficialCluster, Value: testCluster}}}); err != nil {
					t.Fatal(err)
				}
			}
			e.emu.ResetAudit()
			e.ensure(svc)
			byName, created := false, false
			for _, a := range e.emu.Audit() {
				if a.Action == "DescribeLoadBalancers" && a.Params["LoadBalancerName"] != "" {
					byName = true
				}
				if a.Action == "CreateLoadBalancer" {
					created = true
				}
			}
			if byName != tt.wantByName || created != tt.wantCreate {
				t.Errorf("looked up by name: %v, created: %v; want %v, %v", byName, created, tt.wantByName, tt.wantCreate)
			}
			if n := len(e.lbs()); n != 1 {
				t.Errorf("%d CLBs, want 1", n)
			}
		})
	}
}
