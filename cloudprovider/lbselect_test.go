package cloudprovider

import (
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

func TestStatusProduct(t *testing.T) {
	tests := []struct {
		name string
		in   []v1.LoadBalancerIngress
		want annotations.Product
	}{
		{"nothing published", nil, ""},
		{"CLB address", []v1.LoadBalancerIngress{{IP: "47.1.2.3"}}, annotations.ProductCLB},
		{"CLB hostname annotation", []v1.LoadBalancerIngress{{Hostname: "www.example.com"}}, annotations.ProductCLB},
		{"NLB DNS name", []v1.LoadBalancerIngress{{Hostname: "nlb-abc.cn-hangzhou.nlb.aliyuncs.com"}}, annotations.ProductNLB},
		{"NLB DNS name (aliyuncsslb)", []v1.LoadBalancerIngress{{Hostname: "nlb-abc.cn-hangzhou.nlb.aliyuncsslb.com"}}, annotations.ProductNLB},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statusProduct(v1.LoadBalancerStatus{Ingress: tt.in}); got != tt.want {
				t.Errorf("statusProduct = %q, want %q", got, tt.want)
			}
		})
	}
}
