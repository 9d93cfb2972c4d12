package cloudapi

// Typed SLB methods: vServer groups. Each is a thin wrapper over Client.Do; see
// the package doc for retry semantics and the consumer-owned interface pattern.

import (
	"context"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// CreateVServerGroup creates a vServer group (at most 20 backends per call).
func (s *SLB) CreateVServerGroup(ctx context.Context, req *slb.CreateVServerGroupRequest) (*slb.CreateVServerGroupResponse, error) {
	return call(ctx, s.Client, req, slb.CreateCreateVServerGroupResponse())
}

// DeleteVServerGroup deletes a vServer group that no listener or rule uses.
func (s *SLB) DeleteVServerGroup(ctx context.Context, req *slb.DeleteVServerGroupRequest) (*slb.DeleteVServerGroupResponse, error) {
	return call(ctx, s.Client, req, slb.CreateDeleteVServerGroupResponse())
}

// DescribeVServerGroups lists all vServer groups of a CLB instance (no paging).
func (s *SLB) DescribeVServerGroups(ctx context.Context, req *slb.DescribeVServerGroupsRequest) (*slb.DescribeVServerGroupsResponse, error) {
	return call(ctx, s.Client, req, slb.CreateDescribeVServerGroupsResponse())
}

// DescribeVServerGroupAttribute returns a vServer group with its backend servers.
func (s *SLB) DescribeVServerGroupAttribute(ctx context.Context, req *slb.DescribeVServerGroupAttributeRequest) (*slb.DescribeVServerGroupAttributeResponse, error) {
	return call(ctx, s.Client, req, slb.CreateDescribeVServerGroupAttributeResponse())
}

// SetVServerGroupAttribute renames a group or changes weights/descriptions of existing members.
func (s *SLB) SetVServerGroupAttribute(ctx context.Context, req *slb.SetVServerGroupAttributeRequest) (*slb.SetVServerGroupAttributeResponse, error) {
	return call(ctx, s.Client, req, slb.CreateSetVServerGroupAttributeResponse())
}

// AddVServerGroupBackendServers adds up to 20 backend servers to a vServer group.
func (s *SLB) AddVServerGroupBackendServers(ctx context.Context, req *slb.AddVServerGroupBackendServersRequest) (*slb.AddVServerGroupBackendServersResponse, error) {
	return call(ctx, s.Client, req, slb.CreateAddVServerGroupBackendServersResponse())
}

// RemoveVServerGroupBackendServers removes up to 20 backend servers from a vServer group; absent ones are ignored.
func (s *SLB) RemoveVServerGroupBackendServers(ctx context.Context, req *slb.RemoveVServerGroupBackendServersRequest) (*slb.RemoveVServerGroupBackendServersResponse, error) {
	return call(ctx, s.Client, req, slb.CreateRemoveVServerGroupBackendServersResponse())
}

// ModifyVServerGroupBackendServers replaces up to 20 backend servers of a vServer group.
func (s *SLB) ModifyVServerGroupBackendServers(ctx context.Context, req *slb.ModifyVServerGroupBackendServersRequest) (*slb.ModifyVServerGroupBackendServersResponse, error) {
	return call(ctx, s.Client, req, slb.CreateModifyVServerGroupBackendServersResponse())
}
