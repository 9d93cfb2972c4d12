package annotations

import (
	"strings"

	v1 "k8s.io/api/core/v1"
)

// Product is the load balancer product a LoadBalancer Service asks for.
type Product string

// Products.
const (
	// ProductCLB: a Classic Load Balancer, the default.
	ProductCLB Product = "clb"
	// ProductNLB: a Network Load Balancer (NLBClass, or KeyLoadBalancerType
	// "nlb").
	ProductNLB Product = "nlb"
	// ProductOther: a loadBalancerClass of another controller; this CCM
	// leaves the Service alone.
	ProductOther Product = "other"
)

// ProductOf reads which load balancer svc asks for, as the official CCM
// selects it: spec.loadBalancerClass NLBClass, or (without a class) the
// annotation KeyLoadBalancerType set to `nlb` (any case; read like every
// other annotation: current prefix first, trimmed). Any other class is not
// ours; any other annotation value is a CLB.
func ProductOf(svc *v1.Service) Product {
	if c := svc.Spec.LoadBalancerClass; c != nil {
		if *c == NLBClass {
			return ProductNLB
		}
		return ProductOther
	}
	if strings.EqualFold(newParser(svc, Defaults{}).str(KeyLoadBalancerType), string(ProductNLB)) {
		return ProductNLB
	}
	return ProductCLB
}
