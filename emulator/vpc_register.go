package emulator

import "net/url"

// registerVPC registers every VPC (Vpc, 2016-04-28) action.
func registerVPC(e *Emulator) {
	for name, h := range map[string]handler{
		"DescribeVpcs":           vpcDescribeVpcs,
		"DescribeVpcAttribute":   vpcDescribeVpcAttribute,
		"DescribeVSwitches":      vpcDescribeVSwitches,
		"DescribeRouteTableList": vpcDescribeRouteTableList,
		"DescribeRouteEntryList": vpcDescribeRouteEntryList,
		"CreateRouteEntry":       vpcCreateRouteEntry,
		"CreateRouteEntries":     vpcCreateRouteEntries,
		"DeleteRouteEntry":       vpcDeleteRouteEntry,
		"DeleteRouteEntries":     vpcDeleteRouteEntries,
		"DescribeEipAddresses":   vpcDescribeEipAddresses,
	} {
		e.register("Vpc", VersionVPC, name, h)
	}
	// Route writes in one VPC may not run concurrently: "CreateRouteEntry
	// does not support concurrent creation of custom route entries in the
	// same VPC ... may return the TaskConflict error code in concurrent
	// scenarios" (https://help.aliyun.com/en/vpc/developer-reference/api-vpc-2016-04-28-createrouteentry);
	// the same holds for CreateRouteEntries, DeleteRouteEntry and DeleteRouteEntries.
	conflict := Errf(400, "TaskConflict", "The operation is too frequent, please wait a moment and try again.")
	for _, a := range []string{"CreateRouteEntry", "CreateRouteEntries", "DeleteRouteEntry", "DeleteRouteEntries"} {
		e.registerSerial(VersionVPC, a, routeWriteKey, conflict)
	}
}

// routeWriteKey serialises route writes per VPC: the VPC of the route table
// named by RouteTableId, RouteEntries.1.RouteTableId or RouteEntryId.
func routeWriteKey(e *Emulator, p url.Values) string {
	tid := p.Get("RouteTableId")
	if tid == "" {
		tid = p.Get("RouteEntries.1.RouteTableId")
	}
	if tid == "" && p.Get("RouteEntryId") != "" {
		if t, _ := e.findRoute(p.Get("RouteEntryId"), e.clock.Now()); t != nil {
			tid = t.ID
		}
	}
	if t, ok := e.vpc.routeTables[tid]; ok {
		return "route-write/" + t.VpcID
	}
	return ""
}
