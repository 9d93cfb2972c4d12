package loadbalancer

import (
	"fmt"

	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// Event reasons of the load balancer product selection
// (annotations.ProductOf).
const (
	// ReasonNLBNotSupported: the Service asks for an NLB, which this CCM
	// does not create yet; nothing was written.
	ReasonNLBNotSupported = "NLBNotSupported"
	// ReasonTypeChangeRefused: the Service asks for the other product than
	// the load balancer it has (CLB vs NLB); nothing was written.
	ReasonTypeChangeRefused = "LoadBalancerTypeChangeRefused"
)

// NLBNotSupportedMessage says why an NLB Service gets no load balancer and
// what to do instead.
func NLBNotSupportedMessage(svc *v1.Service) string {
	how := fmt.Sprintf("annotation %s: nlb", annotations.KeyLoadBalancerType)
	fix := "remove the annotation to get a CLB"
	if svc.Spec.LoadBalancerClass != nil {
		how = "spec.loadBalancerClass " + annotations.NLBClass
		fix = "create the Service without loadBalancerClass to get a CLB (the class cannot be changed)"
	}
	return fmt.Sprintf("%s asks for an NLB (Network Load Balancer), which this CCM does not create yet; nothing was created. "+
		"Use the official CCM for NLB Services, or %s", how, fix)
}
