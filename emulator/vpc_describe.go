package emulator

import (
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

// VPC read-only actions. Responses use the SDK's own response types, so the
// JSON shape is exactly what the SDK parses.

// isoTime is the API's timestamp format.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// page reads PageNumber/PageSize (default 1 and 10) with the action's
// maximum page size, answering Invalid{Name} for values out of range.
func (c *call) page(maxSize int) (num, size int, err error) {
	if num, err = c.integer("PageNumber", 1); err != nil {
		return 0, 0, err
	}
	if num < 1 {
		return 0, 0, errInvalid("PageNumber", c.str("PageNumber"))
	}
	if size, err = c.integer("PageSize", 10); err != nil {
		return 0, 0, err
	}
	if size < 1 || size > maxSize {
		return 0, 0, errInvalid("PageSize", c.str("PageSize"))
	}
	return num, size, nil
}

// window returns the [from, to) bounds of a page over n items.
func window(n, num, size int) (int, int) {
	from := (num - 1) * size
	if from > n {
		from = n
	}
	to := from + size
	if to > n {
		to = n
	}
	return from, to
}

func (e *Emulator) vpcVSwitchIDs(vpcID string) []string {
	var out []string
	for _, id := range sortedKeys(e.vpc.vswitches) {
		if e.vpc.vswitches[id].VpcID == vpcID {
			out = append(out, id)
		}
	}
	return out
}

// DescribeVpcs: VpcId ≤20 comma-separated, PageSize max 50 default 10
// (https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-describevpcs).
func vpcDescribeVpcs(c *call) (any, error) {
	num, size, err := c.page(50)
	if err != nil {
		return nil, err
	}
	var ids []string
	if v := c.str("VpcId"); v != "" {
		ids = strings.Split(v, ",")
		if len(ids) > 20 {
			return nil, Errf(400, "InvalidVpcIdNumber.NotSupported", "The number of vpcIds exceeds the limit.")
		}
	}
	var all []vpc.Vpc
	for _, id := range sortedKeys(c.e.vpc.vpcs) {
		v := c.e.vpc.vpcs[id]
		if ids != nil && !contains(ids, id) {
			continue
		}
		if n := c.str("VpcName"); n != "" && n != v.VpcID {
			continue
		}
		all = append(all, vpc.Vpc{VpcId: v.VpcID, VpcName: v.VpcID, Status: "Available", CidrBlock: v.CidrBlock,
			VRouterId: v.VRouterID, RegionId: c.e.cfg.Region, Ipv6CidrBlock: v.IPv6Cidr, EnabledIpv6: v.IPv6Cidr != "",
			CreationTime: isoTime(c.Now), VSwitchIds: vpc.VSwitchIdsInDescribeVpcs{VSwitchId: nonNil(c.e.vpcVSwitchIDs(id))},
			RouterTableIds: vpc.RouterTableIds{RouterTableIds: nonNil(v.RouteTables)}})
	}
	from, to := window(len(all), num, size)
	r := &vpc.DescribeVpcsResponse{PageNumber: num, PageSize: size, TotalCount: len(all)}
	r.Vpcs.Vpc = nonNil(all[from:to])
	return r, nil
}

// nonNil turns a nil slice into an empty one so JSON shows [] as the API does.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// DescribeVpcAttribute: unknown VPC is InvalidVpcId.NotFound 404
// (https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-describevpcattribute).
func vpcDescribeVpcAttribute(c *call) (any, error) {
	id, err := c.required("VpcId")
	if err != nil {
		return nil, err
	}
	v, ok := c.e.vpcByID(id)
	if !ok {
		return nil, Errf(404, "InvalidVpcId.NotFound", "Specified VPC does not exist.")
	}
	r := &vpc.DescribeVpcAttributeResponse{VpcId: v.VpcID, VpcName: v.VpcID, Status: "Available", CidrBlock: v.CidrBlock,
		VRouterId: v.VRouterID, RegionId: c.e.cfg.Region, Ipv6CidrBlock: v.IPv6Cidr, EnabledIpv6: v.IPv6Cidr != "",
		CreationTime: isoTime(c.Now)}
	r.VSwitchIds.VSwitchId = nonNil(c.e.vpcVSwitchIDs(id))
	return r, nil
}

// DescribeVSwitches: PageSize max 50; an unknown VSwitchId gives an empty
// list here (the doc's InvalidVSwitchId.NotFound is reserved for malformed
// lookups and is unconfirmed for plain filters)
// (https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-describevswitches).
func vpcDescribeVSwitches(c *call) (any, error) {
	num, size, err := c.page(50)
	if err != nil {
		return nil, err
	}
	if vid := c.str("VpcId"); vid != "" {
		if _, ok := c.e.vpcByID(vid); !ok {
			return nil, Errf(400, "Forbidden.VpcNotFound", "Specified VPC can not found.")
		}
	}
	var all []vpc.VSwitch
	for _, id := range sortedKeys(c.e.vpc.vswitches) {
		v := c.e.vpc.vswitches[id]
		if (c.str("VpcId") != "" && v.VpcID != c.str("VpcId")) || (c.str("VSwitchId") != "" && id != c.str("VSwitchId")) ||
			(c.str("ZoneId") != "" && v.ZoneID != c.str("ZoneId")) {
			continue
		}
		tid, ttype := c.e.vswitchTable(v)
		if c.str("RouteTableId") != "" && tid != c.str("RouteTableId") {
			continue
		}
		all = append(all, vpc.VSwitch{VSwitchId: id, VpcId: v.VpcID, Status: "Available", CidrBlock: v.CidrBlock,
			ZoneId: v.ZoneID, VSwitchName: id, AvailableIpAddressCount: c.e.freeIPs(v), CreationTime: isoTime(c.Now),
			RouteTable: vpc.RouteTable{RouteTableId: tid, RouteTableType: ttype}})
	}
	from, to := window(len(all), num, size)
	r := &vpc.DescribeVSwitchesResponse{PageNumber: num, PageSize: size, TotalCount: len(all)}
	r.VSwitches.VSwitch = nonNil(all[from:to])
	return r, nil
}

// vswitchTable returns the route table a vSwitch uses: its custom table or
// the VPC's system table.
func (e *Emulator) vswitchTable(v *VSwitch) (string, string) {
	if v.RouteTableID != "" {
		return v.RouteTableID, "Custom"
	}
	if vp, ok := e.vpc.vpcs[v.VpcID]; ok && len(vp.RouteTables) > 0 {
		return vp.RouteTables[0], "System"
	}
	return "", "System"
}

// freeIPs estimates available addresses: the CIDR size minus the 4
// addresses the vSwitch reserves and the addresses ENIs, CLBs and NLBs hold
// in it (see allocAddress).
func (e *Emulator) freeIPs(v *VSwitch) int64 {
	p, err := parseRouteCIDR(v.CidrBlock)
	if err != nil || p.Bits() < 8 {
		return 0
	}
	n := int64(1)<<(32-p.Bits()) - 4
	for _, ni := range e.ecs.enis {
		if ni.VSwitchID == v.VSwitchID {
			n -= int64(1 + len(ni.SecondaryIPs))
		}
	}
	for _, lb := range e.slb.order {
		if lb.VSwitchID == v.VSwitchID && lb.AddressType != "internet" && lb.Address != "" {
			n--
		}
	}
	for _, lb := range e.nlb.lbs {
		for _, z := range lb.Zones {
			if z.VSwitchID == v.VSwitchID && z.PrivateIP != "" {
				n--
			}
		}
	}
	if n < 0 {
		n = 0
	}
	return n
}

// DescribeRouteTableList: VpcId, RouteTableId, RouteTableType filters,
// PageSize max 50 default 10
// (https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-describeroutetablelist).
func vpcDescribeRouteTableList(c *call) (any, error) {
	num, size, err := c.page(50)
	if err != nil {
		return nil, err
	}
	var all []vpc.RouterTableListType
	for _, id := range sortedKeys(c.e.vpc.routeTables) {
		t := c.e.vpc.routeTables[id]
		if (c.str("VpcId") != "" && t.VpcID != c.str("VpcId")) || (c.str("RouteTableId") != "" && id != c.str("RouteTableId")) ||
			(c.str("RouteTableType") != "" && t.Type != c.str("RouteTableType")) ||
			(c.str("RouterId") != "" && t.RouterID != c.str("RouterId")) ||
			(c.str("RouteTableName") != "" && t.Name != c.str("RouteTableName")) {
			continue
		}
		var vsws []string
		for _, vid := range c.e.vpcVSwitchIDs(t.VpcID) {
			if tid, _ := c.e.vswitchTable(c.e.vpc.vswitches[vid]); tid == id {
				vsws = append(vsws, vid)
			}
		}
		all = append(all, vpc.RouterTableListType{RouteTableId: id, RouteTableType: t.Type, RouteTableName: t.Name,
			VpcId: t.VpcID, RouterId: t.RouterID, RouterType: "VRouter", Status: "Available", AssociateType: "VSwitch",
			CreationTime: isoTime(t.created), VSwitchIds: vpc.VSwitchIdsInDescribeRouteTableList{VSwitchId: nonNil(vsws)}})
	}
	from, to := window(len(all), num, size)
	r := &vpc.DescribeRouteTableListResponse{Success: true, Code: "200", Message: "successful",
		PageNumber: num, PageSize: size, TotalCount: len(all)}
	r.RouterTableList.RouterTableListType = nonNil(all[from:to])
	return r, nil
}

// DescribeEipAddresses: AllocationId/EipAddress ≤50 comma-separated,
// AssociatedInstanceType + AssociatedInstanceId, Status, PageSize 1–100
// default 10 (https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-describeeipaddresses).
func vpcDescribeEipAddresses(c *call) (any, error) {
	num, size, err := c.page(100)
	if err != nil {
		return nil, err
	}
	split := func(name string) ([]string, error) {
		v := c.str(name)
		if v == "" {
			return nil, nil
		}
		l := strings.Split(v, ",")
		if len(l) > 50 {
			return nil, errInvalid(name, v)
		}
		return l, nil
	}
	ids, err := split("AllocationId")
	if err != nil {
		return nil, err
	}
	addrs, err := split("EipAddress")
	if err != nil {
		return nil, err
	}
	at := c.str("AssociatedInstanceType")
	switch at {
	case "", "EcsInstance", "SlbInstance", "Nat", "HaVip", "NetworkInterface", "IpAddress":
	default:
		return nil, Errf(400, "InvalidIAssociatedInstanceType.ValueNotSupported", "The specified AssociatedInstanceType is not supported.")
	}
	var all []vpc.EipAddress
	for _, id := range sortedKeys(c.e.vpc.eips) {
		x := c.e.vpc.eips[id]
		if (ids != nil && !contains(ids, id)) || (addrs != nil && !contains(addrs, x.IPAddress)) ||
			(c.str("Status") != "" && x.Status != c.str("Status")) {
			continue
		}
		if aid := c.str("AssociatedInstanceId"); aid != "" {
			// The type defaults to EcsInstance when an instance is given.
			want := at
			if want == "" {
				want = "EcsInstance"
			}
			if x.InstanceID != aid || x.InstanceType != want {
				continue
			}
		} else if at != "" && x.InstanceType != at {
			continue
		}
		ea := vpc.EipAddress{AllocationId: id, IpAddress: x.IPAddress, Status: x.Status, InstanceId: x.InstanceID,
			InstanceType: x.InstanceType, RegionId: c.e.cfg.Region, Bandwidth: "5", InternetChargeType: "PayByTraffic",
			ChargeType: "PostPaid", AllocationTime: isoTime(c.Now)}
		if x.InstanceID != "" {
			ea.InstanceRegionId = c.e.cfg.Region
			if in, ok := c.e.instanceByID(x.InstanceID); ok {
				ea.PrivateIpAddress, ea.VpcId = in.PrivateIP, in.VpcID
			}
		}
		all = append(all, ea)
	}
	from, to := window(len(all), num, size)
	r := &vpc.DescribeEipAddressesResponse{PageNumber: num, PageSize: size, TotalCount: len(all)}
	r.EipAddresses.EipAddress = nonNil(all[from:to])
	return r, nil
}
