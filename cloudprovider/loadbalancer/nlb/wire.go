package nlb

import (
	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/podbackends"
)

// SetClusterID sets the cluster identity the ownership tags carry. The
// provider calls it once in Initialize, before any controller runs, when
// Global.clusterID is unset (the identity is then the kube-system
// namespace's UID, known only once the API server answers). Unlike the
// CLB engine it takes no legacy identities: this CCM never made an NLB
// under an earlier default.
func (r *Reconciler) SetClusterID(id string) { r.opts.ClusterID = id }

// BackendPolicy reports how the members of svc's server groups are built
// and whether its annotations parse; the endpoints controller uses it to
// skip EndpointSlice changes that cannot change a member (the nodes of a
// Cluster-policy Service do not follow its endpoints). Ip server groups
// (server-group-type ip, or backend-type eni) hold pod IPs; Local weights
// nodes by their endpoints. It parses without recording events.
func (r *Reconciler) BackendPolicy(svc *v1.Service) (podbackends.Policy, bool) {
	cfg, err := annotations.ParseNLB(svc, r.opts.Defaults)
	if err != nil {
		return "", false
	}
	return policyOf(cfg), true
}

// policyOf is the backend policy of a parsed NLB Service.
func policyOf(cfg *annotations.NLBConfig) podbackends.Policy {
	switch {
	case cfg.ServerGroup.Type == annotations.NLBServerGroupIP || cfg.Backend.Type == annotations.BackendENI:
		return podbackends.PolicyENI
	case cfg.Backend.Local():
		return podbackends.PolicyLocal
	}
	return podbackends.PolicyCluster
}
