package cloudprovider

import (
	cloudprovider "k8s.io/cloud-provider"
)

// newLoadBalancer builds the LoadBalancer capability; nil means not supported yet.
func newLoadBalancer(c *Cloud) (cloudprovider.LoadBalancer, error) { return nil, nil }
