package cloudapi

// Typed SLB methods: load balancer instances and tags. Each is a thin wrapper over Client.Do; see
// the package doc for retry semantics and the consumer-owned interface pattern.

import (
	"context"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// CreateLoadBalancer creates a CLB instance. A ClientToken is set when empty, so retries are deduplicated server-side.
func (s *SLB) CreateLoadBalancer(ctx context.Context, req *slb.CreateLoadBalancerRequest) (*slb.CreateLoadBalancerResponse, error) {
	return call(ctx, s.Client, req, slb.CreateCreateLoadBalancerResponse())
}

// DeleteLoadBalancer deletes a CLB instance with its listeners and tags.
func (s *SLB) DeleteLoadBalancer(ctx context.Context, req *slb.DeleteLoadBalancerRequest) (*slb.DeleteLoadBalancerResponse, error) {
	return call(ctx, s.Client, req, slb.CreateDeleteLoadBalancerResponse())
}

// DescribeLoadBalancers lists CLB instances (at most 10 IDs per call, paged); see ListLoadBalancers.
func (s *SLB) DescribeLoadBalancers(ctx context.Context, req *slb.DescribeLoadBalancersRequest) (*slb.DescribeLoadBalancersResponse, error) {
	return call(ctx, s.Client, req, slb.CreateDescribeLoadBalancersResponse())
}

// DescribeLoadBalancerAttribute returns the details of one CLB instance.
func (s *SLB) DescribeLoadBalancerAttribute(ctx context.Context, req *slb.DescribeLoadBalancerAttributeRequest) (*slb.DescribeLoadBalancerAttributeResponse, error) {
	return call(ctx, s.Client, req, slb.CreateDescribeLoadBalancerAttributeResponse())
}

// SetLoadBalancerName renames a CLB instance.
func (s *SLB) SetLoadBalancerName(ctx context.Context, req *slb.SetLoadBalancerNameRequest) (*slb.SetLoadBalancerNameResponse, error) {
	return call(ctx, s.Client, req, slb.CreateSetLoadBalancerNameResponse())
}

// SetLoadBalancerDeleteProtection turns delete protection on or off.
func (s *SLB) SetLoadBalancerDeleteProtection(ctx context.Context, req *slb.SetLoadBalancerDeleteProtectionRequest) (*slb.SetLoadBalancerDeleteProtectionResponse, error) {
	return call(ctx, s.Client, req, slb.CreateSetLoadBalancerDeleteProtectionResponse())
}

// SetLoadBalancerModificationProtection sets the console modification protection.
func (s *SLB) SetLoadBalancerModificationProtection(ctx context.Context, req *slb.SetLoadBalancerModificationProtectionRequest) (*slb.SetLoadBalancerModificationProtectionResponse, error) {
	return call(ctx, s.Client, req, slb.CreateSetLoadBalancerModificationProtectionResponse())
}

// ModifyLoadBalancerInstanceSpec changes the instance specification.
func (s *SLB) ModifyLoadBalancerInstanceSpec(ctx context.Context, req *slb.ModifyLoadBalancerInstanceSpecRequest) (*slb.ModifyLoadBalancerInstanceSpecResponse, error) {
	return call(ctx, s.Client, req, slb.CreateModifyLoadBalancerInstanceSpecResponse())
}

// ModifyLoadBalancerInternetSpec changes the Internet metering method or bandwidth.
func (s *SLB) ModifyLoadBalancerInternetSpec(ctx context.Context, req *slb.ModifyLoadBalancerInternetSpecRequest) (*slb.ModifyLoadBalancerInternetSpecResponse, error) {
	return call(ctx, s.Client, req, slb.CreateModifyLoadBalancerInternetSpecResponse())
}

// ModifyLoadBalancerInstanceChargeType switches a pay-by-spec instance to pay-by-LCU.
func (s *SLB) ModifyLoadBalancerInstanceChargeType(ctx context.Context, req *slb.ModifyLoadBalancerInstanceChargeTypeRequest) (*slb.ModifyLoadBalancerInstanceChargeTypeResponse, error) {
	return call(ctx, s.Client, req, slb.CreateModifyLoadBalancerInstanceChargeTypeResponse())
}

// TagResources adds tags to up to 20 CLB resources.
func (s *SLB) TagResources(ctx context.Context, req *slb.TagResourcesRequest) (*slb.TagResourcesResponse, error) {
	return call(ctx, s.Client, req, slb.CreateTagResourcesResponse())
}

// UntagResources removes tags from up to 20 CLB resources.
func (s *SLB) UntagResources(ctx context.Context, req *slb.UntagResourcesRequest) (*slb.UntagResourcesResponse, error) {
	return call(ctx, s.Client, req, slb.CreateUntagResourcesResponse())
}
