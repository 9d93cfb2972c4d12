package loadbalancer

import (
	"fmt"

	v1 "k8s.io/api/core/v1"
	k8scloudprovider "k8s.io/cloud-provider"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/internal/shorten"
)

// What finding a Service's load balancer means, for both engines (the CLB
// one in this package, the NLB one in package nlb): the lookup keys, and
// which load balancer named by the id annotation may be reused.

// Lookup is what finding a Service's load balancer needs to know about the
// Service.
type Lookup struct {
	// ReuseID is the id annotation: the user's load balancer to reuse.
	ReuseID string
	// Name is the name annotation, else the framework's default name
	// ("a" + the UID without dashes), which the official CCM gives its
	// load balancers too.
	Name string
}

// NewLookup is the Lookup of svc from its parsed id and name annotations
// (an empty name means the default one).
func NewLookup(svc *v1.Service, reuseID, name string) Lookup {
	if name == "" {
		name = k8scloudprovider.DefaultLoadBalancerName(svc)
	}
	return Lookup{ReuseID: reuseID, Name: name}
}

// LenientLookup reads the lookup keys without the full parser, so a Service
// whose other annotations do not parse can still be found and deleted.
func LenientLookup(svc *v1.Service) Lookup {
	return NewLookup(svc, annotations.ReuseID(svc), annotations.LoadBalancerName(svc))
}

// ReuseRefusal says why the load balancer of product ("CLB", "NLB") named
// by the id annotation may not be reused, or "" if it may. tags are its
// tags, vpcID its VPC ("" when it has none, as an Internet CLB) and
// clusterVPC the cluster's (cloud-config Global.vpcid; "" when unknown).
//
//   - Load balancers created by a CCM (ours or the official one, for any
//     Service) or by a cluster (ACK tags the API-server SLB with
//     ack.aliyun.com) are refused, as the ACK docs require ("CCM-created
//     ones, and ACK-managed ones such as the API-server SLB, cannot be
//     reused").
//   - One in another VPC than the cluster's is refused: its backends must
//     be in its own VPC (an NLB server group and an intranet CLB's vServer
//     group take servers of their VPC only), so the nodes could never serve
//     behind it.
func ReuseRefusal(product string, tags map[string]string, vpcID, clusterVPC string) string {
	for _, k := range []string{TagServiceUID, TagOfficialOwner, TagOfficialCluster} {
		if v, ok := tags[k]; ok {
			return fmt.Sprintf("it carries the tag %s=%s: it was created by a cloud controller manager or a cluster, and only %ss created by users can be reused",
				k, shorten.Value(v), product)
		}
	}
	if vpcID != "" && clusterVPC != "" && vpcID != clusterVPC {
		return fmt.Sprintf("it is in VPC %s, not in the cluster's VPC %s (cloud-config vpcid): the nodes cannot be its backends", vpcID, clusterVPC)
	}
	return ""
}
