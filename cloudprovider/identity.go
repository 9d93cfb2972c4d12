package cloudprovider

import (
	"context"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8scloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/routes"
)

// identityNamespace is the namespace whose UID identifies the cluster when
// Global.clusterID is unset: it exists in every cluster, cannot be
// deleted, and its UID is unique per cluster.
const identityNamespace = "kube-system"

// resolveClusterID gives the load balancer engine the cluster's identity
// before any controller runs: Global.clusterID when set, else the UID of
// the kube-system namespace, so two clusters with the deployment guide's
// cloud-config (no clusterID) sharing a CLB write distinct ownership marks.
// The old default (loadbalancer.LegacyClusterID) stays recognised on
// objects whose tags prove them ours. Errors are retried with backoff
// until stop; only a permission denial falls back to the legacy default,
// loudly, so a CCM without the namespaces permission keeps working as it
// did.
func (c *Cloud) resolveClusterID(builder k8scloudprovider.ControllerClientBuilder, stop <-chan struct{}) {
	r := c.clbEngine()
	if r == nil || c.cfg.Global.ClusterID != "" {
		return // New already set the configured ID
	}
	if builder == nil {
		klog.InfoS("No Kubernetes client: using the legacy cluster ID", "clusterID", loadbalancer.LegacyClusterID)
		return
	}
	client, err := builder.Client(providerClientName)
	if err != nil {
		klog.ErrorS(err, "No Kubernetes client to read the cluster identity; using the legacy cluster ID: set Global.clusterID", "clusterID", loadbalancer.LegacyClusterID)
		return
	}
	ctx, cancel := context.WithCancel(contextFromStop(stop))
	defer cancel()
	delay := time.Second
	for {
		ns, err := client.CoreV1().Namespaces().Get(ctx, identityNamespace, metav1.GetOptions{})
		switch {
		case err == nil && ns.UID != "":
			r.SetClusterID(string(ns.UID), loadbalancer.LegacyClusterID)
			if n := c.nlbEngine(); n != nil {
				n.SetClusterID(string(ns.UID))
			}
			if rt, ok := c.routes.(*routes.Routes); ok {
				rt.SetClusterID(string(ns.UID), loadbalancer.LegacyClusterID)
			}
			klog.InfoS("Cluster identity for ownership tags and descriptions", "clusterID", ns.UID, "source", "UID of namespace "+identityNamespace)
			return
		case apierrors.IsForbidden(err):
			klog.ErrorS(err, "Cannot read namespace "+identityNamespace+" for the cluster identity; using the legacy cluster ID, which other clusters sharing a CLB may also use: grant get on namespaces (examples/deploy/ccm.yaml) or set Global.clusterID",
				"clusterID", loadbalancer.LegacyClusterID)
			return
		case err == nil:
			klog.ErrorS(nil, "Namespace "+identityNamespace+" has no UID; retrying", "retryIn", delay)
		default:
			klog.ErrorS(err, "Reading namespace "+identityNamespace+" for the cluster identity; retrying", "retryIn", delay)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, 30*time.Second)
	}
}
