package cloudprovider

import (
	"time"

	k8scloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/nlb"
	"github.com/alicloud-ccm/alicloud-ccm/config"
)

// newLoadBalancer builds the load balancer capability: the CLB engine
// (package loadbalancer, on the SLB and VPC clients) and the NLB engine
// (package nlb, on the NLB client) with the cloud-config values they need,
// behind the product selection (lbselect.go) that sends each Service to
// the engine of the product it asks for.
func newLoadBalancer(c *Cloud) k8scloudprovider.LoadBalancer {
	// Both engines read the pod backend slot built empty in New
	// (cloud.go); the endpoints controller fills it through
	// EndpointBackends. Members are the framework's nodes until then.
	c.clb = newReconciler(c, c.podBackends)
	return &productSelector{clb: c.clb, nlb: newNLBReconciler(c, c.podBackends), events: c.events}
}

// startVerifiedRecord gives the CLB engine its verified-backends record
// (a ConfigMap in the CCM's namespace, read by the first reconcile) and
// starts its flusher. Without a Kubernetes client the engine reads every
// group's members at a restart, as it would without the record.
func (c *Cloud) startVerifiedRecord(builder k8scloudprovider.ControllerClientBuilder, stop <-chan struct{}) {
	if c.clb == nil || builder == nil {
		return
	}
	client, err := builder.Client(providerClientName)
	if err != nil {
		klog.ErrorS(err, "No Kubernetes client for the verified-backends record; every restart reads every vServer group's members")
		return
	}
	c.clb.SetRecordStore(loadbalancer.NewConfigMapStore(client, loadbalancer.RecordNamespace()))
	c.clb.StartRecordFlusher(stop)
}

// FlushOnShutdown makes the provider's last writes before the process
// exits on SIGTERM, within timeout: the verified-backends records still
// queued, so the next start can trust them. The command calls it.
func (c *Cloud) FlushOnShutdown(timeout time.Duration) {
	if c.clb == nil {
		return
	}
	if err := c.clb.FlushRecord(timeout); err != nil {
		klog.ErrorS(err, "Writing the verified-backends record at shutdown; the next start reads the members of the Services it missed")
	}
}

// newReconciler builds the CLB engine.
func newReconciler(c *Cloud, pods *loadbalancer.PodBackendSlot) *loadbalancer.Reconciler {
	g := &c.cfg.Global
	d := lbDefaults(g)
	defaultVSwitch := ""
	if len(d.VSwitchIDs) > 0 {
		defaultVSwitch = d.VSwitchIDs[0]
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
		PodBackends: pods,
		Defaults:    d,
	})
}

// newNLBReconciler builds the NLB engine. Its cluster ID is the configured
// one; when none is configured, Initialize sets the resolved identity
// (identity.go) before any controller runs, as for the CLB engine, and
// until then (or when it cannot be resolved) both engines use the same
// fallback (loadbalancer.LegacyClusterID). The ECS client reads the
// nodes' vSwitches for a new NLB's zones and manages the source-ranges
// security group; the cloud-config vSwitches with a zone complete the
// zones when the nodes span fewer than two.
func newNLBReconciler(c *Cloud, pods *loadbalancer.PodBackendSlot) *nlb.Reconciler {
	g := &c.cfg.Global
	var zoned []annotations.ZoneMap
	for _, v := range g.VSwitches() {
		if v.Zone != "" {
			zoned = append(zoned, annotations.ZoneMap{ZoneID: v.Zone, VSwitchID: v.VSwitch})
		}
	}
	return nlb.New(c.clients.NLB, c.events, nlb.Options{
		ClusterID:      g.ClusterID,
		Region:         g.Region,
		VpcID:          g.VpcID,
		Defaults:       lbDefaults(g),
		PodBackends:    pods,
		ECS:            c.clients.ECS,
		VSwitches:      zoned,
		SecurityGroups: c.clients.ECS,
		Quotas: nlb.Quotas{
			ServersPerGroup: g.QuotaServersPerNLBServerGroup,
			ServersPerNLB:   g.QuotaServersPerNLB,
			ListenersPerNLB: g.QuotaListenersPerNLB,
			GroupsPerServer: g.QuotaNLBServerGroupsPerServer,
		},
	})
}

// lbDefaults are the cloud-config values that stand in for unset
// annotations, the same for both products.
func lbDefaults(g *config.Global) annotations.Defaults {
	var vsws []string
	for _, v := range g.VSwitches() {
		vsws = append(vsws, v.VSwitch)
	}
	return annotations.Defaults{
		BackendType:      annotations.BackendType(g.ServiceBackendType),
		ResourceGroupID:  g.ResourceGroupID,
		VSwitchIDs:       vsws,
		DisablePublicSLB: g.DisablePublicSLB,
	}
}
