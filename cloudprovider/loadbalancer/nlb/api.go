// Package nlb is the NLB (Network Load Balancer) reconcile engine: for each
// Service that asks for an NLB it finds or creates the NLB, proves
// ownership by tags, converges listeners, server groups and servers with
// diff-based, batched writes, and publishes the Service status. NLB writes
// are asynchronous: a reconcile that must wait for a job returns a retry
// error instead of blocking, so other Services go on.
package nlb

import (
	"context"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
)

// API lists the NLB actions the engine calls (consumers declare their own
// narrow interfaces). *cloudapi.NLB implements it.
type API interface {
	CreateLoadBalancer(ctx context.Context, req *sdknlb.CreateLoadBalancerRequest) (*sdknlb.CreateLoadBalancerResponse, error)
	DeleteLoadBalancer(ctx context.Context, req *sdknlb.DeleteLoadBalancerRequest) (*sdknlb.DeleteLoadBalancerResponse, error)
	GetLoadBalancerAttribute(ctx context.Context, req *sdknlb.GetLoadBalancerAttributeRequest) (*sdknlb.GetLoadBalancerAttributeResponse, error)
	ListAllLoadBalancers(ctx context.Context, req *sdknlb.ListLoadBalancersRequest) ([]sdknlb.LoadbalancerInfo, error)
	UpdateLoadBalancerAttribute(ctx context.Context, req *sdknlb.UpdateLoadBalancerAttributeRequest) (*sdknlb.UpdateLoadBalancerAttributeResponse, error)
	UpdateLoadBalancerAddressTypeConfig(ctx context.Context, req *sdknlb.UpdateLoadBalancerAddressTypeConfigRequest) (*sdknlb.UpdateLoadBalancerAddressTypeConfigResponse, error)
	UpdateLoadBalancerZones(ctx context.Context, req *sdknlb.UpdateLoadBalancerZonesRequest) (*sdknlb.UpdateLoadBalancerZonesResponse, error)
	UpdateLoadBalancerProtection(ctx context.Context, req *sdknlb.UpdateLoadBalancerProtectionRequest) (*sdknlb.UpdateLoadBalancerProtectionResponse, error)
	EnableLoadBalancerIpv6Internet(ctx context.Context, req *sdknlb.EnableLoadBalancerIpv6InternetRequest) (*sdknlb.EnableLoadBalancerIpv6InternetResponse, error)
	DisableLoadBalancerIpv6Internet(ctx context.Context, req *sdknlb.DisableLoadBalancerIpv6InternetRequest) (*sdknlb.DisableLoadBalancerIpv6InternetResponse, error)
	AttachCommonBandwidthPackageToLoadBalancer(ctx context.Context, req *sdknlb.AttachCommonBandwidthPackageToLoadBalancerRequest) (*sdknlb.AttachCommonBandwidthPackageToLoadBalancerResponse, error)
	DetachCommonBandwidthPackageFromLoadBalancer(ctx context.Context, req *sdknlb.DetachCommonBandwidthPackageFromLoadBalancerRequest) (*sdknlb.DetachCommonBandwidthPackageFromLoadBalancerResponse, error)
	LoadBalancerJoinSecurityGroup(ctx context.Context, req *sdknlb.LoadBalancerJoinSecurityGroupRequest) (*sdknlb.LoadBalancerJoinSecurityGroupResponse, error)
	LoadBalancerLeaveSecurityGroup(ctx context.Context, req *sdknlb.LoadBalancerLeaveSecurityGroupRequest) (*sdknlb.LoadBalancerLeaveSecurityGroupResponse, error)

	CreateListener(ctx context.Context, req *sdknlb.CreateListenerRequest) (*sdknlb.CreateListenerResponse, error)
	DeleteListener(ctx context.Context, req *sdknlb.DeleteListenerRequest) (*sdknlb.DeleteListenerResponse, error)
	ListAllListeners(ctx context.Context, req *sdknlb.ListListenersRequest) ([]sdknlb.ListenerInfo, error)
	UpdateListenerAttribute(ctx context.Context, req *sdknlb.UpdateListenerAttributeRequest) (*sdknlb.UpdateListenerAttributeResponse, error)
	StartListener(ctx context.Context, req *sdknlb.StartListenerRequest) (*sdknlb.StartListenerResponse, error)
	ListAllListenersWithPPv2(ctx context.Context, req *sdknlb.ListListenersRequest) ([]sdknlb.ListenerInfo, map[string]cloudapi.NLBProxyProtocolV2, error)
	AssociateAdditionalCertificatesWithListener(ctx context.Context, req *sdknlb.AssociateAdditionalCertificatesWithListenerRequest) (*sdknlb.AssociateAdditionalCertificatesWithListenerResponse, error)
	DisassociateAdditionalCertificatesWithListener(ctx context.Context, req *sdknlb.DisassociateAdditionalCertificatesWithListenerRequest) (*sdknlb.DisassociateAdditionalCertificatesWithListenerResponse, error)
	ListAllListenerCertificates(ctx context.Context, listenerID, certType string) ([]sdknlb.Certificate, error)

	CreateServerGroup(ctx context.Context, req *sdknlb.CreateServerGroupRequest) (*sdknlb.CreateServerGroupResponse, error)
	DeleteServerGroup(ctx context.Context, req *sdknlb.DeleteServerGroupRequest) (*sdknlb.DeleteServerGroupResponse, error)
	UpdateServerGroupAttribute(ctx context.Context, req *sdknlb.UpdateServerGroupAttributeRequest) (*sdknlb.UpdateServerGroupAttributeResponse, error)
	ListAllServerGroups(ctx context.Context, req *sdknlb.ListServerGroupsRequest) ([]sdknlb.ServerGroup, error)
	ListAllServerGroupServers(ctx context.Context, groupID string) ([]sdknlb.Server, error)
	// ListServerGroupServers is one page of members, of any group when
	// no ServerGroupId is given (the servers-per-server quota reads the
	// groups of joining servers with ServerIds).
	ListServerGroupServers(ctx context.Context, req *sdknlb.ListServerGroupServersRequest) (*sdknlb.ListServerGroupServersResponse, error)
	AddServers(ctx context.Context, groupID string, servers []sdknlb.AddServersToServerGroupServers) ([]string, error)
	RemoveServers(ctx context.Context, groupID string, servers []sdknlb.RemoveServersFromServerGroupServers) ([]string, error)
	UpdateServers(ctx context.Context, groupID string, servers []sdknlb.UpdateServerGroupServersAttributeServers) ([]string, error)

	TagResources(ctx context.Context, req *sdknlb.TagResourcesRequest) (*sdknlb.TagResourcesResponse, error)
	UntagResources(ctx context.Context, req *sdknlb.UntagResourcesRequest) (*sdknlb.UntagResourcesResponse, error)
	ListAllTagResources(ctx context.Context, req *sdknlb.ListTagResourcesRequest) ([]sdknlb.TagResultModelList, error)

	// PendingJobs returns the IDs among ids whose jobs still run;
	// CheckJobs fails with *cloudapi.JobsPendingError or
	// *cloudapi.JobFailedError unless every job succeeded.
	PendingJobs(ctx context.Context, ids []string) ([]string, error)
	CheckJobs(ctx context.Context, ids ...string) error
}

var _ API = (*cloudapi.NLB)(nil)
