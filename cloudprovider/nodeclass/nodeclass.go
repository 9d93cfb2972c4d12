// Package nodeclass tells what a Kubernetes Node is to this provider: a
// virtual node, a node the cloud has not initialised yet, or a node with an
// ECS instance behind it (data-centre nodes and other clouds' nodes have
// none). The instances, routes and load-balancer code and the controllers
// all ask here, so each class is decided in one place.
package nodeclass

import (
	v1 "k8s.io/api/core/v1"
	cloudproviderapi "k8s.io/cloud-provider/api"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/providerid"
)

// VirtualLabel and VirtualValue mark a virtual-kubelet (ECI) node, as the
// deployment guide's BroadcastJob selects them (label type=virtual-kubelet).
const (
	VirtualLabel = "type"
	VirtualValue = "virtual-kubelet"
)

// IsVirtual reports whether n is a virtual-kubelet (ECI) node: no ECS
// instance stands behind it, so it gets no route and is no ECS backend (its
// pods are ENI backends).
func IsVirtual(n *v1.Node) bool {
	return n != nil && n.Labels[VirtualLabel] == VirtualValue
}

// IsUninitialized reports whether n still carries the taint kubelet sets
// with --cloud-provider=external
// (node.cloudprovider.kubernetes.io/uninitialized) and the framework's
// cloud-node controller removes once the node is initialised from the cloud.
func IsUninitialized(n *v1.Node) bool {
	if n == nil {
		return false
	}
	for _, t := range n.Spec.Taints {
		if t.Key == cloudproviderapi.TaintExternalCloudProvider {
			return true
		}
	}
	return false
}

// ECSInstance returns the ECS instance n's providerID names. ok is false
// for a node without one: a data-centre node, another cloud's node, or a
// node whose providerID is not set yet.
func ECSInstance(n *v1.Node) (id providerid.ID, ok bool) {
	if n == nil {
		return providerid.ID{}, false
	}
	id, err := providerid.Parse(n.Spec.ProviderID)
	return id, err == nil
}
