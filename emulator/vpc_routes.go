package emulator

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

// Route entry actions. Route writes are asynchronous: a new entry is Pending
// for Config.RouteEntryDelay and a deleted one Deleting for the same time;
// while any entry of a table is in transition, other writes on that table
// are refused (IncorrectRouteEntryStatus,
// https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-createrouteentry).

// errTableBusy is the documented answer while a route entry of the table is
// still Pending/Deleting: IncorrectRouteEntryStatus 400 "Some route entry
// status blocked this operation."
// (https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-createrouteentry).
func errTableBusy() *APIError {
	return Errf(400, "IncorrectRouteEntryStatus", "Some route entry status blocked this operation.")
}

func errTableNotFound() *APIError {
	// InvalidRouteTableId.NotFound 404 (CreateRouteEntry/DeleteRouteEntry pages).
	return Errf(404, "InvalidRouteTableId.NotFound", "Specified route table does not exist.")
}

// tableBusy reports whether a table has an entry in transition.
func (t *routeTable) busy(now time.Time) bool {
	t.sweep(now)
	for _, r := range t.entries {
		if r.busy(now) {
			return true
		}
	}
	return false
}

// validateNewRoute applies CreateRouteEntry's rules for one destination and
// next hop; it returns the masked destination.
// https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-createrouteentry
func (e *Emulator) validateNewRoute(t *routeTable, dst, hopType, hopID string, now time.Time) (string, *APIError) {
	p, err := parseRouteCIDR(dst)
	if err != nil {
		return "", Errf(400, "InvalidCidrBlock.Malformed", "Specified CIDR block is not valid.")
	}
	for _, r := range e.tableEntries(t, now) {
		rp, _ := netip.ParsePrefix(r.Dst)
		switch {
		case rp == p:
			// Unique per table, including the system routes.
			return "", Errf(400, "InvalidCIDRBlock.Duplicate", "Specified CIDR block is already exists.")
		case r.system && rp.Bits() < p.Bits() && rp.Contains(p.Addr()):
			// "must not equal or be inside a vSwitch CIDR" (it may contain one).
			return "", Errf(400, "RouteConflict.AlreadyExist", "Route conflict exists in routing table.")
		}
	}
	// Quota of custom entries per table (vpc_quota_route_entrys_num, default 200).
	if t.customCount() >= e.cfg.Limits.RouteEntriesPerTable {
		return "", Errf(400, "QuotaExceeded", "Route entry quota exceeded in this route table.")
	}
	switch hopType {
	case "", "Instance":
		if hopID == "" {
			return "", Errf(400, "MissingParameter", "Miss mandatory parameter.")
		}
		in, ok := e.instanceByID(hopID)
		if !ok {
			return "", Errf(404, "InvalidInstanId.NotFound", "Specified instance does not exist.")
		}
		if in.VpcID != t.VpcID {
			return "", Errf(404, "OperationFailed.InstanceDismatchCurrentVpc", "The specified instance does not exist in current vpc.")
		}
		if in.Status == "Pending" {
			return "", Errf(400, "IncorrectInstanceStatus", "Current instance status does not support this operation.")
		}
	case "NetworkInterface":
		n, ok := e.eniByID(hopID)
		if !ok || n.VpcID != t.VpcID {
			return "", Errf(404, "InvalidNextHopId.NotFound", "Specified next hop does not exist.")
		}
	case "HaVip", "RouterInterface", "VpnGateway", "IPv6Gateway", "NatGateway", "Attachment", "VpcPeer",
		"Ipv4Gateway", "GatewayEndpoint", "Ecr":
		// Resource kinds the emulator does not model: accepted as given.
		if hopID == "" {
			return "", Errf(400, "MissingParameter", "Miss mandatory parameter.")
		}
	default:
		return "", Errf(400, "InvalidNextHopType", "Specified next hop type is not valid.")
	}
	return p.String(), nil
}

// addRoute stores a new custom entry, Pending until the configured delay.
func (e *Emulator) addRoute(t *routeTable, dst, hopType, hopID, name, desc string, now time.Time) *routeEntry {
	if hopType == "" {
		hopType = "Instance"
	}
	r := &routeEntry{ID: e.nextID("rte-"), Dst: dst, NextHopType: hopType, NextHopID: hopID, Name: name,
		Description: desc, created: now, readyAt: now.Add(e.cfg.RouteEntryDelay)}
	t.entries = append(t.entries, r)
	return r
}

// removeRoute starts deleting an entry (Deleting, then absent).
func (e *Emulator) removeRoute(t *routeTable, r *routeEntry, now time.Time) {
	r.goneAt = now.Add(e.cfg.RouteEntryDelay)
	if e.cfg.RouteEntryDelay <= 0 {
		t.sweep(now)
	}
}

// idempotent replays a ClientToken's earlier answer; a token reused with
// other parameters is IdempotentParameterMismatch 400 (ECS/CLB/VPC common
// tables).
func (c *call) idempotent() (any, bool, error) {
	tok := c.str("ClientToken")
	if tok == "" {
		return nil, false, nil
	}
	rec, ok := c.e.tokens[c.Action+"\x00"+tok]
	if !ok {
		return nil, false, nil
	}
	if rec.params != canonicalParams(c) {
		return nil, true, Errf(400, "IdempotentParameterMismatch", "The request is retried with updated parameters.")
	}
	return rec.result, true, nil
}

func (c *call) remember(result any) {
	if tok := c.str("ClientToken"); tok != "" {
		c.e.tokens[c.Action+"\x00"+tok] = tokenRecord{action: c.Action, params: canonicalParams(c), result: result}
	}
}

func canonicalParams(c *call) string {
	keys := make([]string, 0, len(c.Params))
	for k := range c.Params {
		if !commonParams[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + c.Params.Get(k) + "&")
	}
	return b.String()
}

// CreateRouteEntry (https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-createrouteentry).
func vpcCreateRouteEntry(c *call) (any, error) {
	if prev, ok, err := c.idempotent(); ok {
		return prev, err
	}
	tid, dst := c.str("RouteTableId"), c.str("DestinationCidrBlock")
	if tid == "" || dst == "" {
		return nil, Errf(400, "MissingParameter", "Miss mandatory parameter.")
	}
	if c.str("NextHopList.1.NextHopId") != "" {
		// ECMP next hop lists are not modelled.
		return nil, Errf(400, "UnsupportedParameter", "NextHopList is not supported by the emulator.")
	}
	t, ok := c.e.vpc.routeTables[tid]
	if !ok {
		return nil, errTableNotFound()
	}
	if t.busy(c.Now) {
		return nil, errTableBusy()
	}
	masked, aerr := c.e.validateNewRoute(t, dst, c.str("NextHopType"), c.str("NextHopId"), c.Now)
	if aerr != nil {
		return nil, aerr
	}
	if dry, _ := c.boolean("DryRun", false); dry {
		return nil, Errf(400, "DryRunOperation", "Request validation has been passed with DryRun flag set.")
	}
	r := c.e.addRoute(t, masked, c.str("NextHopType"), c.str("NextHopId"), c.str("RouteEntryName"), c.str("Description"), c.Now)
	res := &vpc.CreateRouteEntryResponse{RouteEntryId: r.ID}
	c.remember(res)
	return res, nil
}

// batchEntry reads RouteEntries.N.* fields.
func batchEntries(c *call) []map[string]string {
	var out []map[string]string
	for i := 1; ; i++ {
		p := "RouteEntries." + strconv.Itoa(i) + "."
		m := map[string]string{}
		for k, v := range c.Params {
			if strings.HasPrefix(k, p) && len(v) > 0 {
				m[strings.TrimPrefix(k, p)] = v[0]
			}
		}
		if len(m) == 0 {
			return out
		}
		out = append(out, m)
	}
}

// CreateRouteEntries: up to 50 entries; per-entry failures are reported in
// FailedRouteEntries with HTTP 200 (partial success)
// (https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-createrouteentries).
func vpcCreateRouteEntries(c *call) (any, error) {
	ents := batchEntries(c)
	if len(ents) == 0 {
		return nil, Errf(400, "MissingParam.RouteTableId", "The parameter RouteTableId is missing.")
	}
	if len(ents) > c.e.cfg.Limits.RoutesPerBatchCall {
		return nil, Errf(400, "InvalidParameter", "The number of RouteEntries exceeds %d.", c.e.cfg.Limits.RoutesPerBatchCall)
	}
	for _, m := range ents {
		if m["RouteTableId"] == "" {
			return nil, Errf(400, "MissingParam.RouteTableId", "The parameter RouteTableId is missing.")
		}
	}
	// The call is one task: tables with an entry in transition refuse it
	// ("does not support concurrent batch creation ... in the same VPC").
	for _, m := range ents {
		if t, ok := c.e.vpc.routeTables[m["RouteTableId"]]; ok && t.busy(c.Now) {
			return nil, errTableBusy()
		}
	}
	if dry, _ := c.boolean("DryRun", false); dry {
		return nil, Errf(400, "DryRunOperation", "Request validation has been passed with DryRun flag set.")
	}
	res := &vpc.CreateRouteEntriesResponse{RouteEntryIds: []string{}, FailedRouteEntries: []vpc.FailedRouteEntriesItem{}}
	for _, m := range ents {
		fail := func(code, msg string) {
			res.FailedCount++
			res.FailedRouteEntries = append(res.FailedRouteEntries, vpc.FailedRouteEntriesItem{
				DstCidrBlock: m["DstCidrBlock"], NextHop: m["NextHop"], FailedCode: code, FailedMessage: msg})
		}
		t, ok := c.e.vpc.routeTables[m["RouteTableId"]]
		if !ok {
			fail("InvalidRouteTableId.NotFound", "Specified route table does not exist.")
			continue
		}
		if m["DstCidrBlock"] == "" || m["NextHop"] == "" || m["NextHopType"] == "" {
			fail("MissingParameter", "Miss mandatory parameter.")
			continue
		}
		masked, aerr := c.e.validateNewRoute(t, m["DstCidrBlock"], m["NextHopType"], m["NextHop"], c.Now)
		if aerr != nil {
			if aerr.Code == "InvalidCIDRBlock.Duplicate" {
				// Per-entry code from the page's example.
				fail("VPC_ROUTE_ENTRY_CIDR_BLOCK_DUPLICATE", "Specified CIDR block is already exists, entry.cidrBlock="+m["DstCidrBlock"])
			} else {
				fail(aerr.Code, aerr.Message)
			}
			continue
		}
		r := c.e.addRoute(t, masked, m["NextHopType"], m["NextHop"], m["Name"], m["Description"], c.Now)
		res.SuccessCount++
		res.RouteEntryIds = append(res.RouteEntryIds, r.ID)
	}
	return res, nil
}

// findRoute locates a custom or system entry by ID across all tables.
func (e *Emulator) findRoute(id string, now time.Time) (*routeTable, *routeEntry) {
	for _, tid := range sortedKeys(e.vpc.routeTables) {
		t := e.vpc.routeTables[tid]
		for _, r := range e.tableEntries(t, now) {
			if r.ID == id {
				return t, r
			}
		}
	}
	return nil, nil
}

// matchRoute finds an entry of a table by destination and (optional) next hop.
func (e *Emulator) matchRoute(t *routeTable, dst, hop string, now time.Time) *routeEntry {
	p, err := parseRouteCIDR(dst)
	if err != nil {
		return nil
	}
	for _, r := range e.tableEntries(t, now) {
		if r.Dst == p.String() && (hop == "" || r.NextHopID == hop) {
			return r
		}
	}
	return nil
}

// checkDeletable applies DeleteRouteEntry's rules: system routes cannot be
// deleted, only Available entries can, and not while another entry of the
// table is in transition
// (https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-deleterouteentry).
func (e *Emulator) checkDeletable(t *routeTable, r *routeEntry, now time.Time) *APIError {
	if r.system {
		return Errf(400, "OperationDenied", "Specified operation is denied as route entry type is system.")
	}
	if t.busy(now) {
		return errTableBusy()
	}
	return nil
}

// DeleteRouteEntry: RouteEntryId, or RouteTableId + DestinationCidrBlock
// (+ NextHopId) (https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-deleterouteentry).
func vpcDeleteRouteEntry(c *call) (any, error) {
	id, tid, dst := c.str("RouteEntryId"), c.str("RouteTableId"), c.str("DestinationCidrBlock")
	var t *routeTable
	var r *routeEntry
	switch {
	case id != "" && (tid != "" || dst != ""):
		return nil, Errf(400, "ParamExclusive.RouteEntryIdAndRouteTableIdOrDestCidrBlock", "RouteEntryId and RouteTableId or DestinationCidrBlock cannot be specified at the same time.")
	case id != "":
		if t, r = c.e.findRoute(id, c.Now); r == nil {
			return nil, Errf(400, "InvalidRouteEntryId.NotFound", "Specified RouteEntryId does not exist.")
		}
	case tid != "" && dst != "":
		var ok bool
		if t, ok = c.e.vpc.routeTables[tid]; !ok {
			return nil, errTableNotFound()
		}
		if r = c.e.matchRoute(t, dst, c.str("NextHopId"), c.Now); r == nil {
			return nil, Errf(400, "InvalidRouteEntry.NotFound", "Route entry not exists.")
		}
	default:
		return nil, Errf(400, "MissingParameter", "Miss mandatory parameter.")
	}
	if err := c.e.checkDeletable(t, r, c.Now); err != nil {
		return nil, err
	}
	if dry, _ := c.boolean("DryRun", false); dry {
		return nil, Errf(400, "DryRunOperation", "Request validation has been passed with DryRun flag set.")
	}
	c.e.removeRoute(t, r, c.Now)
	return &vpc.DeleteRouteEntryResponse{}, nil
}

// DeleteRouteEntries: up to 50 entries, per-entry failures in
// FailedRouteEntries; a table already in transition is TaskConflict 400
// (https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-deleterouteentries).
func vpcDeleteRouteEntries(c *call) (any, error) {
	ents := batchEntries(c)
	if len(ents) == 0 {
		return nil, Errf(400, "MissingParam.RouteTableId", "The parameter RouteTableId is missing.")
	}
	if len(ents) > c.e.cfg.Limits.RoutesPerBatchCall {
		return nil, Errf(400, "InvalidParameter", "The number of RouteEntries exceeds %d.", c.e.cfg.Limits.RoutesPerBatchCall)
	}
	for _, m := range ents {
		if m["RouteTableId"] == "" {
			return nil, Errf(400, "MissingParam.RouteTableId", "The parameter RouteTableId is missing.")
		}
		if t, ok := c.e.vpc.routeTables[m["RouteTableId"]]; ok && t.busy(c.Now) {
			return nil, Errf(400, "TaskConflict", "The operation is too frequent. Please wait a moment and try again.")
		}
	}
	if dry, _ := c.boolean("DryRun", false); dry {
		return nil, Errf(400, "DryRunOperation", "Request validation has been passed with DryRun flag set.")
	}
	res := &vpc.DeleteRouteEntriesResponse{FailedRouteEntries: []vpc.FailedRouteEntriesItem{}}
	var doomed []*routeEntry
	tables := map[*routeEntry]*routeTable{}
	for _, m := range ents {
		fail := func(code, msg string) {
			res.FailedCount++
			res.FailedRouteEntries = append(res.FailedRouteEntries, vpc.FailedRouteEntriesItem{RouteEntryId: m["RouteEntryId"],
				DstCidrBlock: m["DstCidrBlock"], NextHop: m["NextHop"], FailedCode: code, FailedMessage: msg})
		}
		t, ok := c.e.vpc.routeTables[m["RouteTableId"]]
		if !ok {
			fail("InvalidRouteTableId.NotFound", "Specified route table does not exist.")
			continue
		}
		var r *routeEntry
		if id := m["RouteEntryId"]; id != "" {
			for _, x := range c.e.tableEntries(t, c.Now) {
				if x.ID == id {
					r = x
				}
			}
		} else if m["DstCidrBlock"] != "" {
			r = c.e.matchRoute(t, m["DstCidrBlock"], m["NextHop"], c.Now)
		}
		if r == nil || !r.goneAt.IsZero() || tables[r] != nil {
			// Per-entry code from the page's example.
			fail("VPC_ROUTER_ENTRY_NOT_EXIST", "vRouterEntry not exists")
			continue
		}
		if r.system {
			fail("OperationDenied", "Specified operation is denied as route entry type is system.")
			continue
		}
		tables[r] = t // a duplicate in the same call fails as not found
		doomed = append(doomed, r)
		res.SuccessCount++
	}
	for _, r := range doomed {
		c.e.removeRoute(tables[r], r, c.Now)
	}
	return res, nil
}

// DescribeRouteEntryList: MaxResult 1–100 (default 10) with NextToken; no
// token in the answer means the last page
// (https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-describerouteentrylist).
func vpcDescribeRouteEntryList(c *call) (any, error) {
	tid := c.str("RouteTableId")
	if tid == "" {
		return nil, errMissing("RouteTableId")
	}
	t, ok := c.e.vpc.routeTables[tid]
	if !ok {
		return nil, Errf(400, "InvalidRouteTable.NotFound", "The specified RouteTable was not found.")
	}
	limit, err := c.integer("MaxResult", 10)
	if err != nil {
		return nil, err
	}
	switch {
	case limit < 1:
		return nil, errInvalid("MaxResult", c.str("MaxResult"))
	case limit > 100:
		// Documented range 1–100, but the official CCM lists routes with
		// MaxResult=500 (model.RouteMaxQueryRouteEntry, sent by
		// listRouteBatch in
		// https://github.com/kubernetes/cloud-provider-alibaba-cloud/blob/master/pkg/provider/alibaba/vpc/vpc.go)
		// and works in production, following NextToken: the cloud
		// accepts larger values and returns at most 100 per page.
		limit = 100
	}
	typ := c.str("RouteEntryType")
	switch typ {
	case "", "Custom", "System", "BGP", "CEN", "ECR":
	default:
		return nil, Errf(400, "IllegalParam.RouteEntryType", "The specified RouteEntryType is illegal.")
	}
	if typ != "" && typ != "Custom" && (c.str("RouteEntryId") != "" || c.str("RouteEntryName") != "") {
		return nil, Errf(400, "OperationFailed.FilterParamUnderWrongRouteType", "Only custom routes can be filtered by RouteEntryId or RouteEntryName.")
	}
	var dsts []string
	if d := c.str("DestinationCidrBlock"); d != "" {
		dsts = append(dsts, d)
	}
	dsts = append(dsts, c.list("DestCidrBlockList")...)
	var all []*routeEntry
	for _, r := range c.e.tableEntries(t, c.Now) {
		if (typ != "" && r.kind() != typ) || (c.str("RouteEntryId") != "" && r.ID != c.str("RouteEntryId")) ||
			(c.str("RouteEntryName") != "" && r.Name != c.str("RouteEntryName")) ||
			(c.str("NextHopId") != "" && r.NextHopID != c.str("NextHopId")) ||
			(c.str("NextHopType") != "" && r.NextHopType != c.str("NextHopType")) ||
			(c.str("IpVersion") != "" && !strings.EqualFold(c.str("IpVersion"), ipVersion(r.Dst))) {
			continue
		}
		if len(dsts) > 0 && !dstIn(r.Dst, dsts) {
			continue
		}
		all = append(all, r)
	}
	start := 0
	if tok := c.str("NextToken"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		start = -1
		if err == nil {
			for i, r := range all {
				if r.ID == string(raw) {
					start = i
				}
			}
		}
		if start < 0 {
			return nil, Errf(400, "IllegalParam.NextToken", "User nextToken is illegal.")
		}
	}
	end := start + limit
	res := &vpc.DescribeRouteEntryListResponse{}
	if end < len(all) {
		res.NextToken = base64.RawURLEncoding.EncodeToString([]byte(all[end].ID))
	} else {
		end = len(all)
	}
	res.RouteEntrys.RouteEntry = []vpc.RouteEntry{}
	for _, r := range all[start:end] {
		res.RouteEntrys.RouteEntry = append(res.RouteEntrys.RouteEntry, c.e.routeView(t, r, c.Now))
	}
	return res, nil
}

func dstIn(dst string, list []string) bool {
	for _, d := range list {
		if p, err := parseRouteCIDR(d); err == nil && p.String() == dst {
			return true
		}
	}
	return false
}

func ipVersion(cidr string) string {
	if strings.Contains(cidr, ":") {
		return "IPv6"
	}
	return "IPv4"
}

// routeView renders an entry as the SDK's RouteEntry.
func (e *Emulator) routeView(t *routeTable, r *routeEntry, now time.Time) vpc.RouteEntry {
	v := vpc.RouteEntry{RouteEntryId: r.ID, RouteTableId: t.ID, DestinationCidrBlock: r.Dst, Type: r.kind(),
		Status: r.status(now), NextHopType: r.NextHopType, RouteEntryName: r.Name, Description: r.Description,
		IpVersion: ipVersion(r.Dst), GmtModified: isoTime(r.created), Origin: fmt.Sprintf("%sRoute", r.kind())}
	v.NextHops.NextHop = []vpc.NextHop{}
	if !r.system {
		v.InstanceId = r.NextHopID
		hop := vpc.NextHop{NextHopId: r.NextHopID, NextHopType: r.NextHopType, Enabled: 1, NextHopRegionId: e.cfg.Region}
		hop.NextHopRelatedInfo = vpc.NextHopRelatedInfo{InstanceId: r.NextHopID, InstanceType: r.NextHopType, RegionId: e.cfg.Region}
		v.NextHops.NextHop = append(v.NextHops.NextHop, hop)
	}
	return v
}
