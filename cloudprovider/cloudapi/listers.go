package cloudapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

// The listers below send a copy of the caller's request per page, with a
// fresh SDK RpcRequest: the SDK keeps every parameter it ever serialized in
// the request's query map and skips empty fields, so reusing one request
// across pages or ID batches could leak a previous page's parameters. Only
// the exported fields of the request and its RegionId are carried over.

// freshRPC returns fresh, with orig's RegionId if orig has one.
func freshRPC(fresh, orig *requests.RpcRequest) *requests.RpcRequest {
	if orig != nil {
		if region := safeRegion(orig); region != "" {
			fresh.RegionId = region
		}
	}
	return fresh
}

// safeRegion reads the region of a request that may lack its embedded base
// (a struct literal rather than an SDK constructor).
func safeRegion(r *requests.RpcRequest) (region string) {
	defer func() { _ = recover() }()
	return r.GetRegionId()
}

// splitIDs splits a comma-separated ID filter, trimming blanks and repeats.
func splitIDs(s string) []string {
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return dedupe(parts)
}

// ListLoadBalancers returns all CLB instances matching req (nil: all in the
// region). A LoadBalancerId filter with more than 10 IDs is split into calls
// of at most 10; PageNumber and PageSize of req are ignored.
func (s *SLB) ListLoadBalancers(ctx context.Context, req *slb.DescribeLoadBalancersRequest) ([]slb.LoadBalancer, error) {
	if req == nil {
		req = slb.CreateDescribeLoadBalancersRequest()
	}
	batches := Chunk(splitIDs(req.LoadBalancerId), MaxLoadBalancerIDsPerCall)
	if len(batches) == 0 {
		batches = [][]string{nil} // no ID filter: one unfiltered listing
	}
	var out []slb.LoadBalancer
	for _, batch := range batches {
		err := ForEachPageNumber(ctx, slbPageSize, func(page int) (int, int, error) {
			r := *req
			r.RpcRequest = freshRPC(slb.CreateDescribeLoadBalancersRequest().RpcRequest, req.RpcRequest)
			r.LoadBalancerId = strings.Join(batch, ",")
			r.PageNumber = requests.NewInteger(page)
			r.PageSize = requests.NewInteger(slbPageSize)
			resp, err := s.DescribeLoadBalancers(ctx, &r)
			if err != nil {
				return 0, 0, err
			}
			out = append(out, resp.LoadBalancers.LoadBalancer...)
			return len(resp.LoadBalancers.LoadBalancer), resp.TotalCount, nil
		})
		if err != nil {
			return nil, fmt.Errorf("list load balancers: %w", err)
		}
	}
	return out, nil
}

// ListLoadBalancerListeners returns all listeners matching req, splitting a
// LoadBalancerId list longer than 10 into several calls; NextToken and
// MaxResults of req are ignored.
func (s *SLB) ListLoadBalancerListeners(ctx context.Context, req *slb.DescribeLoadBalancerListenersRequest) ([]slb.ListenerInDescribeLoadBalancerListeners, error) {
	if req == nil {
		req = slb.CreateDescribeLoadBalancerListenersRequest()
	}
	var ids []string
	if req.LoadBalancerId != nil {
		ids = dedupe(*req.LoadBalancerId)
	}
	batches := Chunk(ids, MaxLoadBalancerIDsPerCall)
	if len(batches) == 0 {
		batches = [][]string{nil}
	}
	var out []slb.ListenerInDescribeLoadBalancerListeners
	for _, batch := range batches {
		err := ForEachPage(ctx, func(token string) (string, error) {
			r := *req
			r.RpcRequest = freshRPC(slb.CreateDescribeLoadBalancerListenersRequest().RpcRequest, req.RpcRequest)
			if batch != nil {
				b := batch
				r.LoadBalancerId = &b
			}
			r.NextToken = token
			r.MaxResults = requests.NewInteger(listenerMaxResults)
			resp, err := s.DescribeLoadBalancerListeners(ctx, &r)
			if err != nil {
				return "", err
			}
			out = append(out, resp.Listeners...)
			return resp.NextToken, nil
		})
		if err != nil {
			return nil, fmt.Errorf("list load balancer listeners: %w", err)
		}
	}
	return out, nil
}

// ListRouteEntries returns all route entries matching req (RouteTableId is
// required by the API), following NextToken with MaxResult 100.
func (v *VPC) ListRouteEntries(ctx context.Context, req *vpc.DescribeRouteEntryListRequest) ([]vpc.RouteEntry, error) {
	if req == nil {
		return nil, fmt.Errorf("list route entries: nil request (RouteTableId is required)")
	}
	var out []vpc.RouteEntry
	err := ForEachPage(ctx, func(token string) (string, error) {
		r := *req
		r.RpcRequest = freshRPC(vpc.CreateDescribeRouteEntryListRequest().RpcRequest, req.RpcRequest)
		r.NextToken = token
		r.MaxResult = requests.NewInteger(routeMaxResult)
		resp, err := v.DescribeRouteEntryList(ctx, &r)
		if err != nil {
			return "", err
		}
		out = append(out, resp.RouteEntrys.RouteEntry...)
		return resp.NextToken, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list route entries of %s: %w", req.RouteTableId, err)
	}
	return out, nil
}

// ListInstances returns the ECS instances with the given IDs, in calls of at
// most 100 IDs. Missing instances are simply absent from the result. An empty
// ids returns nil without calling the API: DescribeInstances treats an empty
// InstanceIds array as a filter matching nothing, and omitting it would list
// the whole region.
func (e *ECS) ListInstances(ctx context.Context, ids []string) ([]ecs.Instance, error) {
	var out []ecs.Instance
	for _, batch := range Chunk(dedupe(ids), MaxInstanceIDsPerCall) {
		js, err := json.Marshal(batch)
		if err != nil {
			return nil, fmt.Errorf("list instances: encode IDs: %w", err)
		}
		req := ecs.CreateDescribeInstancesRequest()
		req.InstanceIds = string(js)
		got, err := e.ListAllInstances(ctx, req)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// ListAllInstances returns every instance matching req's filters (VpcId,
// tags, ...), following NextToken with MaxResults 100. Beware: a nil req or
// one without filters lists the whole region.
func (e *ECS) ListAllInstances(ctx context.Context, req *ecs.DescribeInstancesRequest) ([]ecs.Instance, error) {
	if req == nil {
		req = ecs.CreateDescribeInstancesRequest()
	}
	var out []ecs.Instance
	err := ForEachPage(ctx, func(token string) (string, error) {
		r := *req
		r.RpcRequest = freshRPC(ecs.CreateDescribeInstancesRequest().RpcRequest, req.RpcRequest)
		r.NextToken = token
		r.MaxResults = requests.NewInteger(ecsMaxResults)
		// PageNumber/PageSize are ignored with NextToken; clear them to avoid
		// ambiguity.
		r.PageNumber, r.PageSize = "", ""
		resp, err := e.DescribeInstances(ctx, &r)
		if err != nil {
			return "", err
		}
		out = append(out, resp.Instances.Instance...)
		return resp.NextToken, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	return out, nil
}

// ListNetworkInterfaces returns all ENIs matching req, splitting a
// NetworkInterfaceId list longer than 100 into several calls and following
// NextToken with MaxResults 500.
func (e *ECS) ListNetworkInterfaces(ctx context.Context, req *ecs.DescribeNetworkInterfacesRequest) ([]ecs.NetworkInterfaceSet, error) {
	if req == nil {
		req = ecs.CreateDescribeNetworkInterfacesRequest()
	}
	var ids []string
	if req.NetworkInterfaceId != nil {
		ids = dedupe(*req.NetworkInterfaceId)
	}
	batches := Chunk(ids, MaxNetworkInterfaceIDsPerCall)
	if len(batches) == 0 {
		batches = [][]string{nil}
	}
	var out []ecs.NetworkInterfaceSet
	for _, batch := range batches {
		err := ForEachPage(ctx, func(token string) (string, error) {
			r := *req
			r.RpcRequest = freshRPC(ecs.CreateDescribeNetworkInterfacesRequest().RpcRequest, req.RpcRequest)
			if batch != nil {
				b := batch
				r.NetworkInterfaceId = &b
			}
			r.NextToken = token
			r.MaxResults = requests.NewInteger(eniMaxResults)
			r.PageNumber, r.PageSize = "", ""
			resp, err := e.DescribeNetworkInterfaces(ctx, &r)
			if err != nil {
				return "", err
			}
			out = append(out, resp.NetworkInterfaceSets.NetworkInterfaceSet...)
			return resp.NextToken, nil
		})
		if err != nil {
			return nil, fmt.Errorf("list network interfaces: %w", err)
		}
	}
	return out, nil
}
