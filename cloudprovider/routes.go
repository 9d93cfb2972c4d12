package cloudprovider

import (
	cloudprovider "k8s.io/cloud-provider"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/routes"
)

// newRoutes builds the VPC route table capability (logic in package routes).
// It makes no API call; route tables are resolved on first use, so a
// cluster that runs with --configure-cloud-routes=false never needs them.
func newRoutes(c *Cloud) (cloudprovider.Routes, error) {
	return routes.New(routes.Config{
		VPC:                        c.clients.VPC,
		ECS:                        c.clients.ECS,
		VpcID:                      c.cfg.Global.VpcID,
		ClusterID:                  c.cfg.Global.ClusterID,
		RouteTableIDs:              c.cfg.Global.RouteTables(),
		ClusterCIDR:                c.opts.ClusterCIDR,
		SkipDisableSourceDestCheck: c.opts.SkipDisableSourceDestCheck,
		Nodes:                      c.nodes,
		Events:                     c.events,
	})
}
