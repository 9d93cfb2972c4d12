package cloudapi

// NLB listers (NextToken paging over every page, ID filters split into the
// documented per-call batches) and batched server-group member writes.

import (
	"context"
	"fmt"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// Documented NLB per-call limits
// (https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-dir).
const (
	// MaxNLBIDsPerCall is the ID filter limit of ListLoadBalancers
	// (LoadBalancerIds), ListListeners (LoadBalancerIds, ListenerIds) and
	// ListServerGroups (ServerGroupIds): "You can specify at most 20 IDs".
	MaxNLBIDsPerCall = 20
	// MaxNLBServersPerCall is the Servers limit of AddServersToServerGroup,
	// RemoveServersFromServerGroup and UpdateServerGroupServersAttribute:
	// "You can specify up to 40 backend servers in each call" (the official
	// CCM batches by 40 too).
	MaxNLBServersPerCall = 40
	// MaxNLBTagResourceIDs is ListTagResources' ResourceId limit.
	MaxNLBTagResourceIDs = 50
	// nlbMaxResults is the page size the listers request (MaxResults 1-100).
	nlbMaxResults = 100
)

// idBatches splits an optional ID filter into batches of at most size; no
// filter gives one unfiltered batch (nil).
func idBatches(ids *[]string, size int) [][]string {
	if ids == nil {
		return [][]string{nil}
	}
	b := Chunk(dedupe(*ids), size)
	if len(b) == 0 {
		// An explicitly empty filter matches nothing; do not widen it to
		// an unfiltered listing.
		return nil
	}
	return b
}

// ptr returns a pointer to a copy of ids, or nil for a nil batch.
func ptr(ids []string) *[]string {
	if ids == nil {
		return nil
	}
	c := append([]string(nil), ids...)
	return &c
}

// ListAllLoadBalancers returns every NLB instance matching req's filters
// (tags, VPC, names, IDs...; nil: all in the region). A LoadBalancerIds list
// longer than 20 is split into several calls; NextToken and MaxResults of
// req are ignored.
func (n *NLB) ListAllLoadBalancers(ctx context.Context, req *nlb.ListLoadBalancersRequest) ([]nlb.LoadbalancerInfo, error) {
	if req == nil {
		req = nlb.CreateListLoadBalancersRequest()
	}
	var out []nlb.LoadbalancerInfo
	for _, batch := range idBatches(req.LoadBalancerIds, MaxNLBIDsPerCall) {
		err := ForEachPage(ctx, func(token string) (string, error) {
			r := *req
			r.RpcRequest = freshRPC(nlb.CreateListLoadBalancersRequest().RpcRequest, req.RpcRequest)
			r.LoadBalancerIds = ptr(batch)
			r.NextToken = token
			r.MaxResults = requests.NewInteger(nlbMaxResults)
			resp, err := n.ListLoadBalancers(ctx, &r)
			if err != nil {
				return "", err
			}
			out = append(out, resp.LoadBalancers...)
			return resp.NextToken, nil
		})
		if err != nil {
			return nil, fmt.Errorf("list NLB instances: %w", err)
		}
	}
	return out, nil
}

// ListAllListeners returns every listener matching req (typically
// LoadBalancerIds), splitting a LoadBalancerIds list longer than 20 into
// several calls; NextToken and MaxResults of req are ignored.
func (n *NLB) ListAllListeners(ctx context.Context, req *nlb.ListListenersRequest) ([]nlb.ListenerInfo, error) {
	if req == nil {
		req = nlb.CreateListListenersRequest()
	}
	var out []nlb.ListenerInfo
	for _, batch := range idBatches(req.LoadBalancerIds, MaxNLBIDsPerCall) {
		err := ForEachPage(ctx, func(token string) (string, error) {
			r := *req
			r.RpcRequest = freshRPC(nlb.CreateListListenersRequest().RpcRequest, req.RpcRequest)
			r.LoadBalancerIds = ptr(batch)
			r.NextToken = token
			r.MaxResults = requests.NewInteger(nlbMaxResults)
			resp, err := n.ListListeners(ctx, &r)
			if err != nil {
				return "", err
			}
			out = append(out, resp.Listeners...)
			return resp.NextToken, nil
		})
		if err != nil {
			return nil, fmt.Errorf("list NLB listeners: %w", err)
		}
	}
	return out, nil
}

// ListAllServerGroups returns every server group matching req (tags, VPC,
// IDs...), splitting a ServerGroupIds list longer than 20 into several
// calls; NextToken and MaxResults of req are ignored.
func (n *NLB) ListAllServerGroups(ctx context.Context, req *nlb.ListServerGroupsRequest) ([]nlb.ServerGroup, error) {
	if req == nil {
		req = nlb.CreateListServerGroupsRequest()
	}
	var out []nlb.ServerGroup
	for _, batch := range idBatches(req.ServerGroupIds, MaxNLBIDsPerCall) {
		err := ForEachPage(ctx, func(token string) (string, error) {
			r := *req
			r.RpcRequest = freshRPC(nlb.CreateListServerGroupsRequest().RpcRequest, req.RpcRequest)
			r.ServerGroupIds = ptr(batch)
			r.NextToken = token
			r.MaxResults = requests.NewInteger(nlbMaxResults)
			resp, err := n.ListServerGroups(ctx, &r)
			if err != nil {
				return "", err
			}
			out = append(out, resp.ServerGroups...)
			return resp.NextToken, nil
		})
		if err != nil {
			return nil, fmt.Errorf("list NLB server groups: %w", err)
		}
	}
	return out, nil
}

// ListAllServerGroupServers returns every member of the server group
// groupID, following NextToken.
func (n *NLB) ListAllServerGroupServers(ctx context.Context, groupID string) ([]nlb.Server, error) {
	var out []nlb.Server
	err := ForEachPage(ctx, func(token string) (string, error) {
		r := nlb.CreateListServerGroupServersRequest()
		r.ServerGroupId = groupID
		r.NextToken = token
		r.MaxResults = requests.NewInteger(nlbMaxResults)
		resp, err := n.ListServerGroupServers(ctx, r)
		if err != nil {
			return "", err
		}
		out = append(out, resp.Servers...)
		return resp.NextToken, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list servers of NLB server group %s: %w", groupID, err)
	}
	return out, nil
}

// ListAllTagResources returns every tag of the resources matching req
// (ResourceType is required; ResourceId and/or Tag filter), splitting a
// ResourceId list longer than 50 into several calls; NextToken and
// MaxResults of req are ignored.
func (n *NLB) ListAllTagResources(ctx context.Context, req *nlb.ListTagResourcesRequest) ([]nlb.TagResultModelList, error) {
	if req == nil || req.ResourceType == "" {
		return nil, fmt.Errorf("list NLB tags: ResourceType is required")
	}
	var out []nlb.TagResultModelList
	for _, batch := range idBatches(req.ResourceId, MaxNLBTagResourceIDs) {
		err := ForEachPage(ctx, func(token string) (string, error) {
			r := *req
			r.RpcRequest = freshRPC(nlb.CreateListTagResourcesRequest().RpcRequest, req.RpcRequest)
			r.ResourceId = ptr(batch)
			r.NextToken = token
			r.MaxResults = requests.NewInteger(nlbMaxResults)
			r.Page, r.PageSize = "", ""
			resp, err := n.ListTagResources(ctx, &r)
			if err != nil {
				return "", err
			}
			out = append(out, resp.TagResources...)
			return resp.NextToken, nil
		})
		if err != nil {
			return nil, fmt.Errorf("list NLB tags: %w", err)
		}
	}
	return out, nil
}

// AddServers adds servers to the server group groupID in calls of at most
// MaxNLBServersPerCall. A server group is busy while the previous call's
// job runs, so before each call after the first it checks that job once
// (GetJobStatus, no waiting): if the job still runs, it stops and returns a
// *JobsPendingError, which the caller turns into a requeue; its next
// reconcile lists the members and sends only what is still missing.
// It returns the JobIds of the calls made. On any error, the servers of the
// earlier calls were sent; repeating with the remaining servers is safe.
func (n *NLB) AddServers(ctx context.Context, groupID string, servers []nlb.AddServersToServerGroupServers) ([]string, error) {
	var jobs []string
	for i, batch := range Chunk(servers, MaxNLBServersPerCall) {
		if err := n.jobsDone(ctx, jobs, len(servers)-i*MaxNLBServersPerCall); err != nil {
			return jobs, err
		}
		r := nlb.CreateAddServersToServerGroupRequest()
		r.ServerGroupId = groupID
		b := append([]nlb.AddServersToServerGroupServers(nil), batch...)
		r.Servers = &b
		resp, err := n.AddServersToServerGroup(ctx, r)
		if err != nil {
			return jobs, fmt.Errorf("add %d servers to NLB server group %s: %w", len(batch), groupID, err)
		}
		jobs = appendJob(jobs, resp.JobId)
	}
	return jobs, nil
}

// RemoveServers removes servers from the server group groupID in calls of
// at most MaxNLBServersPerCall, like AddServers.
func (n *NLB) RemoveServers(ctx context.Context, groupID string, servers []nlb.RemoveServersFromServerGroupServers) ([]string, error) {
	var jobs []string
	for i, batch := range Chunk(servers, MaxNLBServersPerCall) {
		if err := n.jobsDone(ctx, jobs, len(servers)-i*MaxNLBServersPerCall); err != nil {
			return jobs, err
		}
		r := nlb.CreateRemoveServersFromServerGroupRequest()
		r.ServerGroupId = groupID
		b := append([]nlb.RemoveServersFromServerGroupServers(nil), batch...)
		r.Servers = &b
		resp, err := n.RemoveServersFromServerGroup(ctx, r)
		if err != nil {
			return jobs, fmt.Errorf("remove %d servers from NLB server group %s: %w", len(batch), groupID, err)
		}
		jobs = appendJob(jobs, resp.JobId)
	}
	return jobs, nil
}

// UpdateServers changes weights or descriptions of members of the server
// group groupID in calls of at most MaxNLBServersPerCall, like AddServers.
func (n *NLB) UpdateServers(ctx context.Context, groupID string, servers []nlb.UpdateServerGroupServersAttributeServers) ([]string, error) {
	var jobs []string
	for i, batch := range Chunk(servers, MaxNLBServersPerCall) {
		if err := n.jobsDone(ctx, jobs, len(servers)-i*MaxNLBServersPerCall); err != nil {
			return jobs, err
		}
		r := nlb.CreateUpdateServerGroupServersAttributeRequest()
		r.ServerGroupId = groupID
		b := append([]nlb.UpdateServerGroupServersAttributeServers(nil), batch...)
		r.Servers = &b
		resp, err := n.UpdateServerGroupServersAttribute(ctx, r)
		if err != nil {
			return jobs, fmt.Errorf("update %d servers of NLB server group %s: %w", len(batch), groupID, err)
		}
		jobs = appendJob(jobs, resp.JobId)
	}
	return jobs, nil
}

func appendJob(jobs []string, id string) []string {
	if id == "" {
		return jobs
	}
	return append(jobs, id)
}
