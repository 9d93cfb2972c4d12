package cloudprovider

import (
	cloudprovider "k8s.io/cloud-provider"
)

// newInstances builds the InstancesV2 capability; nil means not supported yet.
func newInstances(c *Cloud) (cloudprovider.InstancesV2, error) { return nil, nil }
