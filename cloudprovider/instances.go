package cloudprovider

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"
	k8scloudprovider "k8s.io/cloud-provider"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/instances"
	"github.com/alicloud-ccm/alicloud-ccm/config/metadata"
)

// newInstances builds the InstancesV2 capability over the ECS client. The
// metadata client lets it recognise the machine the CCM runs on as a last
// resort for a node without providerID.
func newInstances(c *Cloud) (k8scloudprovider.InstancesV2, error) {
	md, err := metadata.New(c.cfg.Global.MetadataOptions())
	if err != nil {
		return nil, fmt.Errorf("metadata client: %w", err)
	}
	inst, err := instances.New(c.clients.ECS, instances.Options{
		Region:   c.cfg.Global.Region,
		VpcID:    c.cfg.Global.VpcID,
		Metadata: md,
		Events:   c.events,
		// Batches fetch other nodes' instances along, so the framework's
		// one-worker status sync costs about nodes/100 calls.
		KnownInstances: instances.KnownInstancesFrom(c.cfg.Global.Region, c.nodes.List),
	})
	if err != nil {
		return nil, err
	}
	return inst, nil
}

// ResolveNode tells which ECS instance a node is (see instances.Resolve).
// The node-provider-id controller reaches it through the
// k8scloudprovider.Interface the framework hands to controllers.
func (c *Cloud) ResolveNode(ctx context.Context, node *v1.Node) (instances.Resolution, error) {
	inst, ok := c.instances.(*instances.Instances)
	if !ok || inst == nil {
		return instances.Resolution{}, fmt.Errorf("node %q: the ECS instances capability is not available", node.Name)
	}
	return inst.Resolve(ctx, node)
}
