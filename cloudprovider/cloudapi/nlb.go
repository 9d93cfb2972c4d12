package cloudapi

// Typed NLB (Network Load Balancer, API 2022-04-30) methods. Each is a thin
// wrapper over Client.Do; see the package doc for retry semantics and the
// consumer-owned interface pattern. Every NLB write carries a ClientToken
// (filled when empty), so a retried write is deduplicated server-side, and
// most writes are asynchronous: the answer's JobId is the handle to check
// with PendingJobs before the next write to the same resource
// (https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-dir).

import (
	"context"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// CreateLoadBalancer creates an NLB instance (asynchronous: the answer carries a JobId; the instance is Provisioning until the job ends). A ClientToken is set when empty, so retries are deduplicated server-side.
func (n *NLB) CreateLoadBalancer(ctx context.Context, req *nlb.CreateLoadBalancerRequest) (*nlb.CreateLoadBalancerResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateCreateLoadBalancerResponse())
}

// DeleteLoadBalancer deletes an NLB instance with its listeners (asynchronous).
func (n *NLB) DeleteLoadBalancer(ctx context.Context, req *nlb.DeleteLoadBalancerRequest) (*nlb.DeleteLoadBalancerResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateDeleteLoadBalancerResponse())
}

// GetLoadBalancerAttribute returns one NLB instance with its zone mappings, DNS name, security groups and protection settings.
func (n *NLB) GetLoadBalancerAttribute(ctx context.Context, req *nlb.GetLoadBalancerAttributeRequest) (*nlb.GetLoadBalancerAttributeResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateGetLoadBalancerAttributeResponse())
}

// ListLoadBalancers lists NLB instances, one page (at most 20 IDs, NextToken paging); see ListAllLoadBalancers.
func (n *NLB) ListLoadBalancers(ctx context.Context, req *nlb.ListLoadBalancersRequest) (*nlb.ListLoadBalancersResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateListLoadBalancersResponse())
}

// UpdateLoadBalancerAttribute renames an NLB instance or changes its cross-zone and Cps settings (asynchronous).
func (n *NLB) UpdateLoadBalancerAttribute(ctx context.Context, req *nlb.UpdateLoadBalancerAttributeRequest) (*nlb.UpdateLoadBalancerAttributeResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateUpdateLoadBalancerAttributeResponse())
}

// UpdateLoadBalancerAddressTypeConfig switches an NLB instance between Internet and Intranet (asynchronous).
func (n *NLB) UpdateLoadBalancerAddressTypeConfig(ctx context.Context, req *nlb.UpdateLoadBalancerAddressTypeConfigRequest) (*nlb.UpdateLoadBalancerAddressTypeConfigResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateUpdateLoadBalancerAddressTypeConfigResponse())
}

// UpdateLoadBalancerZones replaces the zone mappings of an NLB instance (asynchronous).
func (n *NLB) UpdateLoadBalancerZones(ctx context.Context, req *nlb.UpdateLoadBalancerZonesRequest) (*nlb.UpdateLoadBalancerZonesResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateUpdateLoadBalancerZonesResponse())
}

// UpdateLoadBalancerProtection sets the deletion and modification protection of an NLB instance.
func (n *NLB) UpdateLoadBalancerProtection(ctx context.Context, req *nlb.UpdateLoadBalancerProtectionRequest) (*nlb.UpdateLoadBalancerProtectionResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateUpdateLoadBalancerProtectionResponse())
}

// AttachCommonBandwidthPackageToLoadBalancer associates an Internet Shared Bandwidth package with an Internet NLB (asynchronous).
func (n *NLB) AttachCommonBandwidthPackageToLoadBalancer(ctx context.Context, req *nlb.AttachCommonBandwidthPackageToLoadBalancerRequest) (*nlb.AttachCommonBandwidthPackageToLoadBalancerResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateAttachCommonBandwidthPackageToLoadBalancerResponse())
}

// DetachCommonBandwidthPackageFromLoadBalancer disassociates an NLB's Internet Shared Bandwidth package (asynchronous).
func (n *NLB) DetachCommonBandwidthPackageFromLoadBalancer(ctx context.Context, req *nlb.DetachCommonBandwidthPackageFromLoadBalancerRequest) (*nlb.DetachCommonBandwidthPackageFromLoadBalancerResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateDetachCommonBandwidthPackageFromLoadBalancerResponse())
}

// LoadBalancerJoinSecurityGroup attaches security groups to an NLB instance (asynchronous).
func (n *NLB) LoadBalancerJoinSecurityGroup(ctx context.Context, req *nlb.LoadBalancerJoinSecurityGroupRequest) (*nlb.LoadBalancerJoinSecurityGroupResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateLoadBalancerJoinSecurityGroupResponse())
}

// LoadBalancerLeaveSecurityGroup detaches security groups from an NLB instance (asynchronous).
func (n *NLB) LoadBalancerLeaveSecurityGroup(ctx context.Context, req *nlb.LoadBalancerLeaveSecurityGroupRequest) (*nlb.LoadBalancerLeaveSecurityGroupResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateLoadBalancerLeaveSecurityGroupResponse())
}

// CreateListener creates a TCP, UDP or TCPSSL listener (asynchronous); NLB keeps one listener per port and protocol.
func (n *NLB) CreateListener(ctx context.Context, req *nlb.CreateListenerRequest) (*nlb.CreateListenerResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateCreateListenerResponse())
}

// DeleteListener deletes a listener (asynchronous).
func (n *NLB) DeleteListener(ctx context.Context, req *nlb.DeleteListenerRequest) (*nlb.DeleteListenerResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateDeleteListenerResponse())
}

// GetListenerAttribute returns one listener.
func (n *NLB) GetListenerAttribute(ctx context.Context, req *nlb.GetListenerAttributeRequest) (*nlb.GetListenerAttributeResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateGetListenerAttributeResponse())
}

// ListListeners lists listeners, one page (at most 20 NLB IDs, NextToken paging); see ListAllListeners.
func (n *NLB) ListListeners(ctx context.Context, req *nlb.ListListenersRequest) (*nlb.ListListenersResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateListListenersResponse())
}

// UpdateListenerAttribute changes a listener's settings (asynchronous).
func (n *NLB) UpdateListenerAttribute(ctx context.Context, req *nlb.UpdateListenerAttributeRequest) (*nlb.UpdateListenerAttributeResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateUpdateListenerAttributeResponse())
}

// StartListener starts a stopped listener (asynchronous).
func (n *NLB) StartListener(ctx context.Context, req *nlb.StartListenerRequest) (*nlb.StartListenerResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateStartListenerResponse())
}

// StopListener stops a listener (asynchronous).
func (n *NLB) StopListener(ctx context.Context, req *nlb.StopListenerRequest) (*nlb.StopListenerResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateStopListenerResponse())
}

// CreateServerGroup creates an Instance or Ip server group (asynchronous).
func (n *NLB) CreateServerGroup(ctx context.Context, req *nlb.CreateServerGroupRequest) (*nlb.CreateServerGroupResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateCreateServerGroupResponse())
}

// DeleteServerGroup deletes a server group that no listener uses (asynchronous).
func (n *NLB) DeleteServerGroup(ctx context.Context, req *nlb.DeleteServerGroupRequest) (*nlb.DeleteServerGroupResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateDeleteServerGroupResponse())
}

// UpdateServerGroupAttribute changes a server group's name, scheduler, health check, drain or client-IP settings (asynchronous).
func (n *NLB) UpdateServerGroupAttribute(ctx context.Context, req *nlb.UpdateServerGroupAttributeRequest) (*nlb.UpdateServerGroupAttributeResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateUpdateServerGroupAttributeResponse())
}

// ListServerGroups lists server groups, one page (at most 20 IDs, NextToken paging); see ListAllServerGroups.
func (n *NLB) ListServerGroups(ctx context.Context, req *nlb.ListServerGroupsRequest) (*nlb.ListServerGroupsResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateListServerGroupsResponse())
}

// AddServersToServerGroup adds backend servers to a server group (asynchronous; at most MaxNLBServersPerCall per call, see AddServers).
func (n *NLB) AddServersToServerGroup(ctx context.Context, req *nlb.AddServersToServerGroupRequest) (*nlb.AddServersToServerGroupResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateAddServersToServerGroupResponse())
}

// RemoveServersFromServerGroup removes backend servers from a server group (asynchronous; at most MaxNLBServersPerCall per call, see RemoveServers).
func (n *NLB) RemoveServersFromServerGroup(ctx context.Context, req *nlb.RemoveServersFromServerGroupRequest) (*nlb.RemoveServersFromServerGroupResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateRemoveServersFromServerGroupResponse())
}

// UpdateServerGroupServersAttribute changes the weight or description of server group members (asynchronous; at most MaxNLBServersPerCall per call, see UpdateServers).
func (n *NLB) UpdateServerGroupServersAttribute(ctx context.Context, req *nlb.UpdateServerGroupServersAttributeRequest) (*nlb.UpdateServerGroupServersAttributeResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateUpdateServerGroupServersAttributeResponse())
}

// ListServerGroupServers lists the members of a server group, one page (NextToken paging); see ListAllServerGroupServers.
func (n *NLB) ListServerGroupServers(ctx context.Context, req *nlb.ListServerGroupServersRequest) (*nlb.ListServerGroupServersResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateListServerGroupServersResponse())
}

// TagResources adds or overwrites tags on NLB resources (loadbalancer, listener, servergroup).
func (n *NLB) TagResources(ctx context.Context, req *nlb.TagResourcesRequest) (*nlb.TagResourcesResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateTagResourcesResponse())
}

// UntagResources removes tags from NLB resources.
func (n *NLB) UntagResources(ctx context.Context, req *nlb.UntagResourcesRequest) (*nlb.UntagResourcesResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateUntagResourcesResponse())
}

// ListTagResources lists the tags of NLB resources, one page (NextToken paging); see ListAllTagResources.
func (n *NLB) ListTagResources(ctx context.Context, req *nlb.ListTagResourcesRequest) (*nlb.ListTagResourcesResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateListTagResourcesResponse())
}

// GetJobStatus returns the status of an asynchronous job (Processing, Succeeded or Failed); see PendingJobs.
func (n *NLB) GetJobStatus(ctx context.Context, req *nlb.GetJobStatusRequest) (*nlb.GetJobStatusResponse, error) {
	return call(ctx, n.Client, req, nlb.CreateGetJobStatusResponse())
}
