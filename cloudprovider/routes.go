package cloudprovider

import (
	k8scloudprovider "k8s.io/cloud-provider"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/routes"
)

// newRoutes builds the VPC route table capability (logic in package routes).
// It makes no API call; route tables are resolved on first use, so a
// cluster that runs with --configure-cloud-routes=false never needs them.
func newRoutes(c *Cloud) (k8scloudprovider.Routes, error) {
	return routes.New(routes.Config{
		VPC:                        c.clients.VPC,
		ECS:                        c.clients.ECS,
		VpcID:                      c.cfg.Global.VpcID,
		ClusterID:                  routesClusterID(c.cfg.Global.ClusterID),
		RouteTableIDs:              c.cfg.Global.RouteTables(),
		EntryQuota:                 c.cfg.Global.QuotaRouteEntriesPerTable,
		ClusterCIDR:                c.opts.ClusterCIDR,
		SkipDisableSourceDestCheck: c.opts.SkipDisableSourceDestCheck,
		Nodes:                      c.nodes,
		Events:                     c.events,
	})
}

// routesClusterID is the cluster ID of the route markers until Initialize
// resolves the identity (identity.go): Global.clusterID, else the old
// default, which stays in use only if the identity cannot be read.
func routesClusterID(configured string) string {
	if configured != "" {
		return configured
	}
	return loadbalancer.LegacyClusterID
}
