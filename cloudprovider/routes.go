package cloudprovider

import (
	cloudprovider "k8s.io/cloud-provider"
)

// newRoutes builds the Routes capability; nil means not supported yet.
func newRoutes(c *Cloud) (cloudprovider.Routes, error) { return nil, nil }
