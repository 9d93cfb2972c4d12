package cloudapi

// Typed ECS methods: instances and network interfaces. Each is a thin wrapper over Client.Do; see
// the package doc for retry semantics and the consumer-owned interface pattern.

import (
	"context"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
)

// DescribeInstances lists ECS instances (at most 100 IDs per call, NextToken paging); see ListInstances.
func (e *ECS) DescribeInstances(ctx context.Context, req *ecs.DescribeInstancesRequest) (*ecs.DescribeInstancesResponse, error) {
	return call(ctx, e.Client, req, ecs.CreateDescribeInstancesResponse())
}

// DescribeNetworkInterfaces lists elastic network interfaces (NextToken paging).
func (e *ECS) DescribeNetworkInterfaces(ctx context.Context, req *ecs.DescribeNetworkInterfacesRequest) (*ecs.DescribeNetworkInterfacesResponse, error) {
	return call(ctx, e.Client, req, ecs.CreateDescribeNetworkInterfacesResponse())
}

// ModifyNetworkInterfaceAttribute changes attributes of an elastic network interface.
func (e *ECS) ModifyNetworkInterfaceAttribute(ctx context.Context, req *ecs.ModifyNetworkInterfaceAttributeRequest) (*ecs.ModifyNetworkInterfaceAttributeResponse, error) {
	return call(ctx, e.Client, req, ecs.CreateModifyNetworkInterfaceAttributeResponse())
}
