package cloudprovider

import (
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/podbackends"
)

// EndpointBackends gives the endpoints controller (controllers/endpoints)
// what it needs, once: the CLB engine the framework's service controller
// uses, so both share one code path and one per-Service lock; the pod
// backend slot the engines were built with (New, cloud.go), for the
// controller to install its informer-backed source in; and a new ENI
// resolver on the ECS and VPC clients for the cluster VPC. It returns nil
// values when the load balancer capability is not the engine (never the
// case in this provider, but checked by callers).
func (c *Cloud) EndpointBackends() (*loadbalancer.Reconciler, *loadbalancer.PodBackendSlot, *podbackends.Resolver) {
	r := c.clbEngine()
	if r == nil {
		return nil, nil, nil
	}
	return r, c.podBackends, podbackends.NewResolver(c.clients.ECS, c.clients.VPC, c.cfg.Global.VpcID)
}
