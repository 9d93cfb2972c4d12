package cloudapi

// Typed VPC methods: VPCs, vSwitches, route tables and EIPs. Each is a thin wrapper over Client.Do; see
// the package doc for retry semantics and the consumer-owned interface pattern.

import (
	"context"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

// DescribeVpcs lists VPCs (PageNumber paging, at most 50 per page).
func (v *VPC) DescribeVpcs(ctx context.Context, req *vpc.DescribeVpcsRequest) (*vpc.DescribeVpcsResponse, error) {
	return call(ctx, v.Client, req, vpc.CreateDescribeVpcsResponse())
}

// DescribeVpcAttribute returns one VPC.
func (v *VPC) DescribeVpcAttribute(ctx context.Context, req *vpc.DescribeVpcAttributeRequest) (*vpc.DescribeVpcAttributeResponse, error) {
	return call(ctx, v.Client, req, vpc.CreateDescribeVpcAttributeResponse())
}

// DescribeVSwitches lists vSwitches (PageNumber paging, at most 50 per page).
func (v *VPC) DescribeVSwitches(ctx context.Context, req *vpc.DescribeVSwitchesRequest) (*vpc.DescribeVSwitchesResponse, error) {
	return call(ctx, v.Client, req, vpc.CreateDescribeVSwitchesResponse())
}

// DescribeRouteTableList lists route tables (PageNumber paging, at most 50 per page).
func (v *VPC) DescribeRouteTableList(ctx context.Context, req *vpc.DescribeRouteTableListRequest) (*vpc.DescribeRouteTableListResponse, error) {
	return call(ctx, v.Client, req, vpc.CreateDescribeRouteTableListResponse())
}

// DescribeRouteEntryList lists route entries of a route table (NextToken/MaxResult paging); see ListRouteEntries.
func (v *VPC) DescribeRouteEntryList(ctx context.Context, req *vpc.DescribeRouteEntryListRequest) (*vpc.DescribeRouteEntryListResponse, error) {
	return call(ctx, v.Client, req, vpc.CreateDescribeRouteEntryListResponse())
}

// CreateRouteEntry adds a custom route (asynchronous: Pending, then Available). A ClientToken is set when empty, so retries are deduplicated server-side.
func (v *VPC) CreateRouteEntry(ctx context.Context, req *vpc.CreateRouteEntryRequest) (*vpc.CreateRouteEntryResponse, error) {
	return call(ctx, v.Client, req, vpc.CreateCreateRouteEntryResponse())
}

// CreateRouteEntries adds up to 50 custom routes; per-entry failures are in the response, not the error.
func (v *VPC) CreateRouteEntries(ctx context.Context, req *vpc.CreateRouteEntriesRequest) (*vpc.CreateRouteEntriesResponse, error) {
	return call(ctx, v.Client, req, vpc.CreateCreateRouteEntriesResponse())
}

// DeleteRouteEntry deletes a custom route (asynchronous).
func (v *VPC) DeleteRouteEntry(ctx context.Context, req *vpc.DeleteRouteEntryRequest) (*vpc.DeleteRouteEntryResponse, error) {
	return call(ctx, v.Client, req, vpc.CreateDeleteRouteEntryResponse())
}

// DeleteRouteEntries deletes up to 50 custom routes; per-entry failures are in the response, not the error.
func (v *VPC) DeleteRouteEntries(ctx context.Context, req *vpc.DeleteRouteEntriesRequest) (*vpc.DeleteRouteEntriesResponse, error) {
	return call(ctx, v.Client, req, vpc.CreateDeleteRouteEntriesResponse())
}

// DescribeEipAddresses lists elastic IP addresses (PageNumber paging, at most 100 per page).
func (v *VPC) DescribeEipAddresses(ctx context.Context, req *vpc.DescribeEipAddressesRequest) (*vpc.DescribeEipAddressesResponse, error) {
	return call(ctx, v.Client, req, vpc.CreateDescribeEipAddressesResponse())
}
