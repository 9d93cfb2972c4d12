package cloudprovider

import (
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/podbackends"
)

// EndpointBackends gives the endpoints controller (controllers/endpoints)
// what it needs, once: the product selection the framework's service
// controller uses, which dispatches each Service's backend sync to its
// product's engine (CLB or NLB), so both controllers share one code path
// and one per-Service lock; the pod backend slot both engines were built
// with (New, cloud.go), for the controller to install its informer-backed
// source in; and a new ENI resolver on the ECS and VPC clients for the
// cluster VPC. It returns nil values when the load balancer capability is
// not the selection (never the case in this provider, but checked by
// callers).
func (c *Cloud) EndpointBackends() (loadbalancer.BackendSyncer, *loadbalancer.PodBackendSlot, *podbackends.Resolver) {
	p, ok := c.lb.(*productSelector)
	if !ok {
		return nil, nil, nil
	}
	return p, c.podBackends, podbackends.NewResolver(c.clients.ECS, c.clients.VPC, c.cfg.Global.VpcID)
}
