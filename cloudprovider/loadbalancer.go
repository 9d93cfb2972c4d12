package cloudprovider

import (
	k8scloudprovider "k8s.io/cloud-provider"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// newLoadBalancer builds the load balancer capability: the CLB reconcile
// engine of package loadbalancer on the SLB and VPC clients, with the
// cloud-config values it needs, behind the product selection (lbselect.go)
// that keeps NLB Services away from it.
func newLoadBalancer(c *Cloud) k8scloudprovider.LoadBalancer {
	return &productSelector{clb: newReconciler(c), events: c.events}
}

// newReconciler is separate so other capabilities (the endpoints
// controller, which syncs ENI/ECI pod backends) can share the engine and
// its per-Service locks.
func newReconciler(c *Cloud) *loadbalancer.Reconciler {
	g := &c.cfg.Global
	var vsws []string
	for _, v := range g.VSwitches() {
		vsws = append(vsws, v.VSwitch)
	}
	defaultVSwitch := ""
	if len(vsws) > 0 {
		defaultVSwitch = vsws[0]
	}
	return loadbalancer.New(c.clients.SLB, c.clients.VPC, c.events, loadbalancer.Options{
		ClusterID:        g.ClusterID,
		VpcID:            g.VpcID,
		VSwitchID:        defaultVSwitch,
		ResourceGroupID:  g.ResourceGroupID,
		DisablePublicSLB: g.DisablePublicSLB,
		Quotas: loadbalancer.Quotas{
			BackendsPerCLB:  g.QuotaBackendServersPerCLB,
			ListenersPerCLB: g.QuotaListenersPerCLB,
			GroupsPerServer: g.QuotaVServerGroupsPerInstance,
		},
		// Built empty in New (cloud.go); the endpoints controller fills
		// it through EndpointBackends. Members are the framework's nodes
		// until then.
		PodBackends: c.podBackends,
		Defaults: annotations.Defaults{
			BackendType:      annotations.BackendType(g.ServiceBackendType),
			ResourceGroupID:  g.ResourceGroupID,
			VSwitchIDs:       vsws,
			DisablePublicSLB: g.DisablePublicSLB,
		},
	})
}
