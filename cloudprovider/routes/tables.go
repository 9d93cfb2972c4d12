package routes

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
)

// vpcInfoTTL is how long the route tables and the VPC's IPv6 state are
// cached. Both change rarely (an operator adds a custom table or enables
// IPv6), and re-reading costs two calls.
const vpcInfoTTL = 5 * time.Minute

// routeTablePageSize is DescribeRouteTableList's maximum PageSize
// (https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-describeroutetablelist).
const routeTablePageSize = 50

// vpcInfo resolves and caches the route tables to write and whether the
// VPC has IPv6.
type vpcInfo struct {
	api        vpcAPI
	vpcID      string
	configured []string // Global.routeTableIDs

	mu       sync.Mutex
	tables   []string
	ipv6     bool
	ipv6CIDR string
	readAt   time.Time
	now      func() time.Time
}

// get returns the route tables and the VPC's IPv6 state, refreshing them
// after vpcInfoTTL. A failed refresh keeps nothing: the caller gets the
// error and the next call tries again.
func (v *vpcInfo) get(ctx context.Context) (tables []string, ipv6 bool, err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.tables != nil && v.now().Sub(v.readAt) < vpcInfoTTL {
		return v.tables, v.ipv6, nil
	}
	req := vpc.CreateDescribeVpcAttributeRequest()
	req.VpcId = v.vpcID
	attr, err := v.api.DescribeVpcAttribute(ctx, req)
	if err != nil {
		if cloudapi.IsNotFound(err) {
			return nil, false, fmt.Errorf("VPC %s (Global.vpcid) does not exist: %w", v.vpcID, err)
		}
		return nil, false, fmt.Errorf("reading VPC %s: %w", v.vpcID, err)
	}
	found, err := v.listTables(ctx)
	if err != nil {
		return nil, false, err
	}
	tables, err = v.choose(found)
	if err != nil {
		return nil, false, err
	}
	v.tables, v.readAt = tables, v.now()
	v.ipv6CIDR = attr.Ipv6CidrBlock
	v.ipv6 = attr.Ipv6CidrBlock != "" || attr.EnabledIpv6 || len(attr.Ipv6CidrBlocks.Ipv6CidrBlock) > 0
	return v.tables, v.ipv6, nil
}

// listTables lists the VRouter route tables of the VPC.
func (v *vpcInfo) listTables(ctx context.Context) ([]vpc.RouterTableListType, error) {
	var out []vpc.RouterTableListType
	err := cloudapi.ForEachPageNumber(ctx, routeTablePageSize, func(page int) (int, int, error) {
		req := vpc.CreateDescribeRouteTableListRequest()
		req.VpcId = v.vpcID
		req.PageNumber = requests.NewInteger(page)
		req.PageSize = requests.NewInteger(routeTablePageSize)
		resp, err := v.api.DescribeRouteTableList(ctx, req)
		if err != nil {
			return 0, 0, err
		}
		got := resp.RouterTableList.RouterTableListType
		out = append(out, got...)
		return len(got), resp.TotalCount, nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing route tables of VPC %s: %w", v.vpcID, err)
	}
	return out, nil
}

// choose applies the table selection rules. Configured tables must belong
// to the VPC (a typo would otherwise surface as a confusing per-entry
// error on every route). Without configuration, a VPC with a single route
// table uses it; with custom tables, the CCM cannot know which ones the
// nodes' (and ECI pods') vSwitches use, so it asks for Global.routeTableIDs
// rather than guess (the official CCM, kubernetes/cloud-provider-alibaba-cloud,
// refuses several discovered tables too: "multiple route tables found").
func (v *vpcInfo) choose(found []vpc.RouterTableListType) ([]string, error) {
	ids := make([]string, 0, len(found))
	var desc []string
	for _, t := range found {
		ids = append(ids, t.RouteTableId)
		desc = append(desc, fmt.Sprintf("%s (%s)", t.RouteTableId, t.RouteTableType))
	}
	if len(v.configured) > 0 {
		for _, id := range v.configured {
			if !slices.Contains(ids, id) {
				return nil, fmt.Errorf("route table %s in Global.routeTableIDs is not a route table of VPC %s (it has: %s)",
					id, v.vpcID, strings.Join(desc, ", "))
			}
		}
		return slices.Clone(v.configured), nil
	}
	switch len(ids) {
	case 0:
		return nil, fmt.Errorf("VPC %s has no route table; set Global.routeTableIDs in the cloud-config", v.vpcID)
	case 1:
		return ids, nil
	default:
		return nil, fmt.Errorf("VPC %s has %d route tables (%s): set Global.routeTableIDs in the cloud-config to the "+
			"comma-separated tables that should carry the pod CIDR routes", v.vpcID, len(ids), strings.Join(desc, ", "))
	}
}

// findDst returns the custom entry of the listing with destination dst.
func findDst(listing []entry, dst netip.Prefix) (entry, bool) {
	for _, e := range listing {
		if e.Dst == dst {
			return e, true
		}
	}
	return entry{}, false
}

// listCustom reads the custom entries of a table (system routes are never
// ours and are not needed to decide anything) and exports their number, all
// owners included, as the quota counts them, next to the quota.
func listCustom(ctx context.Context, api vpcAPI, table string, quota int) ([]entry, error) {
	req := vpc.CreateDescribeRouteEntryListRequest()
	req.RouteTableId = table
	req.RouteEntryType = entryTypeCustom
	raw, err := api.ListRouteEntries(ctx, req)
	if err != nil {
		if cloudapi.IsNotFound(err) {
			return nil, fmt.Errorf("route table %s does not exist (check Global.routeTableIDs): %w", table, err)
		}
		return nil, err
	}
	observeTable(table, len(raw), quota)
	out := make([]entry, 0, len(raw))
	for _, r := range raw {
		if e, ok := fromAPI(table, r); ok {
			out = append(out, e)
		}
	}
	return out, nil
}
