// Package loadbalancer is the CLB (classic SLB) reconcile engine behind the
// provider's cloudprovider.LoadBalancer: it finds or creates the CLB of a
// Service, proves ownership by tags and descriptions, converges listeners,
// vServer groups and node backends with diff-based, batched writes, and
// publishes the Service status.
//
// The engine treats the API as scarce: one describe of each kind per
// reconcile, only changed attributes are written, and a reconcile of an
// unchanged Service makes no write call at all.
package loadbalancer

import (
	"context"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
)

// SLBAPI lists the CLB actions the engine calls (cloudapi/doc.go: consumers
// declare their own narrow interfaces). *cloudapi.SLB implements it.
type SLBAPI interface {
	ListLoadBalancers(ctx context.Context, req *slb.DescribeLoadBalancersRequest) ([]slb.LoadBalancer, error)
	DescribeLoadBalancerAttribute(ctx context.Context, req *slb.DescribeLoadBalancerAttributeRequest) (*slb.DescribeLoadBalancerAttributeResponse, error)
	CreateLoadBalancer(ctx context.Context, req *slb.CreateLoadBalancerRequest) (*slb.CreateLoadBalancerResponse, error)
	DeleteLoadBalancer(ctx context.Context, req *slb.DeleteLoadBalancerRequest) (*slb.DeleteLoadBalancerResponse, error)
	SetLoadBalancerDeleteProtection(ctx context.Context, req *slb.SetLoadBalancerDeleteProtectionRequest) (*slb.SetLoadBalancerDeleteProtectionResponse, error)
	SetLoadBalancerModificationProtection(ctx context.Context, req *slb.SetLoadBalancerModificationProtectionRequest) (*slb.SetLoadBalancerModificationProtectionResponse, error)
	SetLoadBalancerName(ctx context.Context, req *slb.SetLoadBalancerNameRequest) (*slb.SetLoadBalancerNameResponse, error)
	ModifyLoadBalancerInstanceSpec(ctx context.Context, req *slb.ModifyLoadBalancerInstanceSpecRequest) (*slb.ModifyLoadBalancerInstanceSpecResponse, error)
	ModifyLoadBalancerInternetSpec(ctx context.Context, req *slb.ModifyLoadBalancerInternetSpecRequest) (*slb.ModifyLoadBalancerInternetSpecResponse, error)
	ModifyLoadBalancerInstanceChargeType(ctx context.Context, req *slb.ModifyLoadBalancerInstanceChargeTypeRequest) (*slb.ModifyLoadBalancerInstanceChargeTypeResponse, error)
	TagResources(ctx context.Context, req *slb.TagResourcesRequest) (*slb.TagResourcesResponse, error)
	UntagResources(ctx context.Context, req *slb.UntagResourcesRequest) (*slb.UntagResourcesResponse, error)

	ListLoadBalancerListeners(ctx context.Context, req *slb.DescribeLoadBalancerListenersRequest) ([]slb.ListenerInDescribeLoadBalancerListeners, error)
	CreateLoadBalancerTCPListener(ctx context.Context, req *slb.CreateLoadBalancerTCPListenerRequest) (*slb.CreateLoadBalancerTCPListenerResponse, error)
	CreateLoadBalancerUDPListener(ctx context.Context, req *slb.CreateLoadBalancerUDPListenerRequest) (*slb.CreateLoadBalancerUDPListenerResponse, error)
	CreateLoadBalancerHTTPListener(ctx context.Context, req *slb.CreateLoadBalancerHTTPListenerRequest) (*slb.CreateLoadBalancerHTTPListenerResponse, error)
	CreateLoadBalancerHTTPSListener(ctx context.Context, req *slb.CreateLoadBalancerHTTPSListenerRequest) (*slb.CreateLoadBalancerHTTPSListenerResponse, error)
	SetLoadBalancerTCPListenerAttribute(ctx context.Context, req *slb.SetLoadBalancerTCPListenerAttributeRequest) (*slb.SetLoadBalancerTCPListenerAttributeResponse, error)
	SetLoadBalancerUDPListenerAttribute(ctx context.Context, req *slb.SetLoadBalancerUDPListenerAttributeRequest) (*slb.SetLoadBalancerUDPListenerAttributeResponse, error)
	SetLoadBalancerHTTPListenerAttribute(ctx context.Context, req *slb.SetLoadBalancerHTTPListenerAttributeRequest) (*slb.SetLoadBalancerHTTPListenerAttributeResponse, error)
	SetLoadBalancerHTTPSListenerAttribute(ctx context.Context, req *slb.SetLoadBalancerHTTPSListenerAttributeRequest) (*slb.SetLoadBalancerHTTPSListenerAttributeResponse, error)
	StartLoadBalancerListener(ctx context.Context, req *slb.StartLoadBalancerListenerRequest) (*slb.StartLoadBalancerListenerResponse, error)
	DeleteLoadBalancerListener(ctx context.Context, req *slb.DeleteLoadBalancerListenerRequest) (*slb.DeleteLoadBalancerListenerResponse, error)

	DescribeServerCertificates(ctx context.Context, req *slb.DescribeServerCertificatesRequest) (*slb.DescribeServerCertificatesResponse, error)
	DescribeDomainExtensions(ctx context.Context, req *slb.DescribeDomainExtensionsRequest) (*slb.DescribeDomainExtensionsResponse, error)
	CreateDomainExtension(ctx context.Context, req *slb.CreateDomainExtensionRequest) (*slb.CreateDomainExtensionResponse, error)
	SetDomainExtensionAttribute(ctx context.Context, req *slb.SetDomainExtensionAttributeRequest) (*slb.SetDomainExtensionAttributeResponse, error)
	DeleteDomainExtension(ctx context.Context, req *slb.DeleteDomainExtensionRequest) (*slb.DeleteDomainExtensionResponse, error)

	DescribeVServerGroups(ctx context.Context, req *slb.DescribeVServerGroupsRequest) (*slb.DescribeVServerGroupsResponse, error)
	DescribeVServerGroupAttribute(ctx context.Context, req *slb.DescribeVServerGroupAttributeRequest) (*slb.DescribeVServerGroupAttributeResponse, error)
	CreateVServerGroup(ctx context.Context, req *slb.CreateVServerGroupRequest) (*slb.CreateVServerGroupResponse, error)
	DeleteVServerGroup(ctx context.Context, req *slb.DeleteVServerGroupRequest) (*slb.DeleteVServerGroupResponse, error)
	AddVServerGroupBackendServers(ctx context.Context, req *slb.AddVServerGroupBackendServersRequest) (*slb.AddVServerGroupBackendServersResponse, error)
	RemoveVServerGroupBackendServers(ctx context.Context, req *slb.RemoveVServerGroupBackendServersRequest) (*slb.RemoveVServerGroupBackendServersResponse, error)
	ModifyVServerGroupBackendServers(ctx context.Context, req *slb.ModifyVServerGroupBackendServersRequest) (*slb.ModifyVServerGroupBackendServersResponse, error)
	SetVServerGroupAttribute(ctx context.Context, req *slb.SetVServerGroupAttributeRequest) (*slb.SetVServerGroupAttributeResponse, error)

	CreateAccessControlList(ctx context.Context, req *slb.CreateAccessControlListRequest) (*slb.CreateAccessControlListResponse, error)
	DescribeAccessControlLists(ctx context.Context, req *slb.DescribeAccessControlListsRequest) (*slb.DescribeAccessControlListsResponse, error)
	DescribeAccessControlListAttribute(ctx context.Context, req *slb.DescribeAccessControlListAttributeRequest) (*slb.DescribeAccessControlListAttributeResponse, error)
	AddAccessControlListEntry(ctx context.Context, req *slb.AddAccessControlListEntryRequest) (*slb.AddAccessControlListEntryResponse, error)
	RemoveAccessControlListEntry(ctx context.Context, req *slb.RemoveAccessControlListEntryRequest) (*slb.RemoveAccessControlListEntryResponse, error)
	DeleteAccessControlList(ctx context.Context, req *slb.DeleteAccessControlListRequest) (*slb.DeleteAccessControlListResponse, error)
}

// VPCAPI lists the VPC actions the engine calls (EIP status only).
type VPCAPI interface {
	DescribeEipAddresses(ctx context.Context, req *vpc.DescribeEipAddressesRequest) (*vpc.DescribeEipAddressesResponse, error)
}

var (
	_ SLBAPI = (*cloudapi.SLB)(nil)
	_ VPCAPI = (*cloudapi.VPC)(nil)
)
