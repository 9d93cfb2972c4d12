package loadbalancer

// Event reasons of the load balancer product selection
// (annotations.ProductOf).
const (
	// ReasonTypeChangeRefused: the Service asks for the other product than
	// the load balancer it has (CLB vs NLB); nothing was written.
	ReasonTypeChangeRefused = "LoadBalancerTypeChangeRefused"
)
