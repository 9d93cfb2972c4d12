package cloudprovider

import (
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/podbackends"
)

// EndpointBackends gives the endpoints controller (controllers/endpoints)
// the CLB engine the framework's service controller uses, so both share
// one code path and one per-Service lock, and a new ENI resolver on the
// ECS and VPC clients for the cluster VPC. The controller calls it once.
// It returns nil values when the load balancer capability is not the
// engine (never the case in this provider, but checked by callers).
func (c *Cloud) EndpointBackends() (*loadbalancer.Reconciler, *podbackends.Resolver) {
	r := c.clbEngine()
	if r == nil {
		return nil, nil
	}
	return r, podbackends.NewResolver(c.clients.ECS, c.clients.VPC, c.cfg.Global.VpcID)
}
