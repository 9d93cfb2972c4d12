package emulator

import (
	"strconv"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

func TestVPCDescribe(t *testing.T) {
	e, c := newTestEmulator(t)
	seedBasic(t, e)
	if err := e.Seed(SeedState{
		VPCs:        []VPC{{VpcID: "vpc-other", CidrBlock: "10.0.0.0/8"}},
		RouteTables: []SeedRouteTable{{RouteTableID: "vtb-custom", VpcID: testVPC, VSwitchIDs: []string{testVSWI}}},
		EIPs:        []EIP{{AllocationID: "eip-free", IPAddress: "47.0.0.99"}},
	}); err != nil {
		t.Fatal(err)
	}
	t.Run("DescribeVpcs", func(t *testing.T) {
		req := vpc.CreateDescribeVpcsRequest()
		req.VpcId = testVPC
		r, err := c.VPC.DescribeVpcs(req)
		if err != nil || r.TotalCount != 1 || r.Vpcs.Vpc[0].CidrBlock != "192.168.0.0/16" || len(r.Vpcs.Vpc[0].VSwitchIds.VSwitchId) != 2 {
			t.Fatalf("%v %+v", err, r)
		}
		req = vpc.CreateDescribeVpcsRequest()
		req.PageSize = requests.NewInteger(51)
		_, err = c.VPC.DescribeVpcs(req)
		wantErr(t, err, "InvalidPageSize", 400)
	})
	t.Run("DescribeVpcAttribute", func(t *testing.T) {
		req := vpc.CreateDescribeVpcAttributeRequest()
		req.VpcId = testVPC
		r, err := c.VPC.DescribeVpcAttribute(req)
		if err != nil || r.VRouterId != "vrt-test" {
			t.Fatalf("%v %+v", err, r)
		}
		req.VpcId = "vpc-nope"
		_, err = c.VPC.DescribeVpcAttribute(req)
		wantErr(t, err, "InvalidVpcId.NotFound", 404)
	})
	t.Run("DescribeVSwitches", func(t *testing.T) {
		req := vpc.CreateDescribeVSwitchesRequest()
		req.VpcId = testVPC
		r, err := c.VPC.DescribeVSwitches(req)
		if err != nil || r.TotalCount != 2 {
			t.Fatalf("%v %+v", err, r)
		}
		for _, v := range r.VSwitches.VSwitch {
			want := map[string]string{testVSWH: testVTB, testVSWI: "vtb-custom"}[v.VSwitchId]
			if v.RouteTable.RouteTableId != want {
				t.Fatalf("%s uses %s, want %s", v.VSwitchId, v.RouteTable.RouteTableId, want)
			}
		}
		req.ZoneId = "cn-hangzhou-h"
		if r, _ := c.VPC.DescribeVSwitches(req); r.TotalCount != 1 || r.VSwitches.VSwitch[0].VSwitchId != testVSWH {
			t.Fatalf("zone filter: %+v", r)
		}
	})
	t.Run("DescribeRouteTableList", func(t *testing.T) {
		req := vpc.CreateDescribeRouteTableListRequest()
		req.VpcId = testVPC
		r, err := c.VPC.DescribeRouteTableList(req)
		if err != nil || r.TotalCount != 2 {
			t.Fatalf("%v %+v", err, r)
		}
		req.RouteTableType = "System"
		r, _ = c.VPC.DescribeRouteTableList(req)
		if r.TotalCount != 1 || r.RouterTableList.RouterTableListType[0].RouteTableId != testVTB {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("DescribeEipAddresses", func(t *testing.T) {
		req := vpc.CreateDescribeEipAddressesRequest()
		r, err := c.VPC.DescribeEipAddresses(req)
		if err != nil || r.TotalCount != 2 {
			t.Fatalf("%v %+v", err, r)
		}
		req.AssociatedInstanceId = testInst3
		r, _ = c.VPC.DescribeEipAddresses(req)
		if r.TotalCount != 1 || r.EipAddresses.EipAddress[0].IpAddress != "47.0.0.3" || r.EipAddresses.EipAddress[0].Status != "InUse" {
			t.Fatalf("%+v", r)
		}
		req = vpc.CreateDescribeEipAddressesRequest()
		req.Status = "Available"
		if r, _ = c.VPC.DescribeEipAddresses(req); r.TotalCount != 1 || r.EipAddresses.EipAddress[0].AllocationId != "eip-free" {
			t.Fatalf("%+v", r)
		}
	})
}

func createRoute(c *testClients, table, dst, hop string) (*vpc.CreateRouteEntryResponse, error) {
	req := vpc.CreateCreateRouteEntryRequest()
	req.RouteTableId, req.DestinationCidrBlock, req.NextHopId, req.NextHopType = table, dst, hop, "Instance"
	return c.VPC.CreateRouteEntry(req)
}

// routeStatus is the status of a route entry of vtb-test, or "absent".
func routeStatus(t *testing.T, c *testClients, id string) string {
	t.Helper()
	req := vpc.CreateDescribeRouteEntryListRequest()
	req.RouteTableId, req.RouteEntryId = testVTB, id
	r, err := c.VPC.DescribeRouteEntryList(req)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.RouteEntrys.RouteEntry) == 0 {
		return "absent"
	}
	return r.RouteEntrys.RouteEntry[0].Status
}

func TestRouteEntryLifecycle(t *testing.T) {
	fc := NewFakeClock(time.Now())
	e, c := newTestEmulator(t, withFakeClock(fc), func(cfg *Config) { cfg.RouteEntryDelay = 5 * time.Second })
	seedBasic(t, e)
	r, err := createRoute(c, testVTB, "172.16.0.0/24", testInst1)
	if err != nil {
		t.Fatal(err)
	}
	if s := routeStatus(t, c, r.RouteEntryId); s != "Pending" {
		t.Fatalf("status %s, want Pending", s)
	}
	// A second write while the first is Pending is refused.
	_, err = createRoute(c, testVTB, "172.16.1.0/24", testInst2)
	wantErr(t, err, "IncorrectRouteEntryStatus", 400)
	fc.Advance(5 * time.Second)
	if s := routeStatus(t, c, r.RouteEntryId); s != "Available" {
		t.Fatalf("status %s, want Available", s)
	}
	if _, err := createRoute(c, testVTB, "172.16.1.0/24", testInst2); err != nil {
		t.Fatal(err)
	}
	fc.Advance(5 * time.Second)
	del := vpc.CreateDeleteRouteEntryRequest()
	del.RouteEntryId = r.RouteEntryId
	if _, err := c.VPC.DeleteRouteEntry(del); err != nil {
		t.Fatal(err)
	}
	if s := routeStatus(t, c, r.RouteEntryId); s != "Deleting" {
		t.Fatalf("status %s, want Deleting", s)
	}
	_, err = c.VPC.DeleteRouteEntry(del)
	wantErr(t, err, "IncorrectRouteEntryStatus", 400)
	fc.Advance(5 * time.Second)
	if s := routeStatus(t, c, r.RouteEntryId); s != "absent" {
		t.Fatalf("status %s, want absent", s)
	}
	_, err = c.VPC.DeleteRouteEntry(del)
	wantErr(t, err, "InvalidRouteEntryId.NotFound", 400)
}

func TestCreateRouteEntryRules(t *testing.T) {
	e, c := newTestEmulator(t, func(cfg *Config) { cfg.Limits.RouteEntriesPerTable = 3 })
	seedBasic(t, e)
	if err := e.Seed(SeedState{
		VPCs:         []VPC{{VpcID: "vpc-b", CidrBlock: "10.0.0.0/16", RouteTables: []string{"vtb-b"}}},
		VSwitches:    []VSwitch{{VSwitchID: "vsw-b", VpcID: "vpc-b", ZoneID: "cn-hangzhou-h", CidrBlock: "10.0.1.0/24"}},
		Instances:    []Instance{{InstanceID: "i-b", VSwitchID: "vsw-b", PrivateIP: "10.0.1.5"}},
		RouteEntries: []SeedRouteEntry{{VpcID: testVPC, DestinationCidrBlock: "10.99.0.0/16", NextHopID: "i-b-foreign"}},
	}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, table, dst, hop, code string
		status                      int
	}{
		{"ok", testVTB, "172.16.0.0/24", testInst1, "", 0},
		{"duplicate", testVTB, "172.16.0.0/24", testInst2, "InvalidCIDRBlock.Duplicate", 400},
		{"equals vswitch cidr", testVTB, "192.168.0.0/24", testInst1, "InvalidCIDRBlock.Duplicate", 400},
		{"inside vswitch cidr", testVTB, "192.168.0.128/25", testInst1, "RouteConflict.AlreadyExist", 400},
		{"malformed", testVTB, "300.1.0.0/24", testInst1, "InvalidCidrBlock.Malformed", 400},
		{"unknown table", "vtb-nope", "172.16.9.0/24", testInst1, "InvalidRouteTableId.NotFound", 404},
		{"unknown instance", testVTB, "172.16.9.0/24", "i-nope", "InvalidInstanId.NotFound", 404},
		{"instance in other vpc", testVTB, "172.16.9.0/24", "i-b", "OperationFailed.InstanceDismatchCurrentVpc", 404},
		{"contains vswitch cidr is fine", testVTB, "192.168.0.0/20", testInst1, "", 0},
		{"quota (2 custom + 1 foreign)", testVTB, "172.16.9.0/24", testInst1, "QuotaExceeded", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := createRoute(c, tc.table, tc.dst, tc.hop)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, tc.code, tc.status)
		})
	}
	t.Run("system route cannot be deleted", func(t *testing.T) {
		del := vpc.CreateDeleteRouteEntryRequest()
		del.RouteTableId, del.DestinationCidrBlock = testVTB, "192.168.1.0/24"
		_, err := c.VPC.DeleteRouteEntry(del)
		wantErr(t, err, "OperationDenied", 400)
	})
	t.Run("client token idempotency", func(t *testing.T) {
		del := vpc.CreateDeleteRouteEntryRequest()
		del.RouteTableId, del.DestinationCidrBlock = testVTB, "172.16.0.0/24"
		if _, err := c.VPC.DeleteRouteEntry(del); err != nil {
			t.Fatal(err)
		}
		req := vpc.CreateCreateRouteEntryRequest()
		req.RouteTableId, req.DestinationCidrBlock, req.NextHopId, req.ClientToken = testVTB, "172.16.5.0/24", testInst1, "tok-1"
		a, err := c.VPC.CreateRouteEntry(req)
		if err != nil {
			t.Fatal(err)
		}
		req2 := vpc.CreateCreateRouteEntryRequest()
		req2.RouteTableId, req2.DestinationCidrBlock, req2.NextHopId, req2.ClientToken = testVTB, "172.16.5.0/24", testInst1, "tok-1"
		b, err := c.VPC.CreateRouteEntry(req2)
		if err != nil || a.RouteEntryId != b.RouteEntryId {
			t.Fatalf("retry: %v %s vs %s", err, a.RouteEntryId, b.RouteEntryId)
		}
		req3 := vpc.CreateCreateRouteEntryRequest()
		req3.RouteTableId, req3.DestinationCidrBlock, req3.NextHopId, req3.ClientToken = testVTB, "172.16.6.0/24", testInst1, "tok-1"
		_, err = c.VPC.CreateRouteEntry(req3)
		wantErr(t, err, "IdempotentParameterMismatch", 400)
	})
}

func TestRouteEntryBatchAndPaging(t *testing.T) {
	e, c := newTestEmulator(t)
	seedBasic(t, e)
	var ents []vpc.CreateRouteEntriesRouteEntries
	for i := 0; i < 30; i++ {
		ents = append(ents, vpc.CreateRouteEntriesRouteEntries{RouteTableId: testVTB, DstCidrBlock: "172.20." + strconv.Itoa(i) + ".0/24",
			NextHop: testInst1, NextHopType: "Instance"})
	}
	// Two failures: a duplicate inside the batch and an unknown next hop.
	ents = append(ents,
		vpc.CreateRouteEntriesRouteEntries{RouteTableId: testVTB, DstCidrBlock: "172.20.0.0/24", NextHop: testInst2, NextHopType: "Instance"},
		vpc.CreateRouteEntriesRouteEntries{RouteTableId: testVTB, DstCidrBlock: "172.21.0.0/24", NextHop: "i-gone", NextHopType: "Instance"})
	req := vpc.CreateCreateRouteEntriesRequest()
	req.RouteEntries = &ents
	r, err := c.VPC.CreateRouteEntries(req)
	if err != nil || r.SuccessCount != 30 || r.FailedCount != 2 || len(r.RouteEntryIds) != 30 {
		t.Fatalf("%v %+v", err, r)
	}
	if r.FailedRouteEntries[0].FailedCode != "VPC_ROUTE_ENTRY_CIDR_BLOCK_DUPLICATE" || r.FailedRouteEntries[1].FailedCode != "InvalidInstanId.NotFound" {
		t.Fatalf("failed entries %+v", r.FailedRouteEntries)
	}
	t.Run("more than 50", func(t *testing.T) {
		big := make([]vpc.CreateRouteEntriesRouteEntries, 51)
		for i := range big {
			big[i] = vpc.CreateRouteEntriesRouteEntries{RouteTableId: testVTB, DstCidrBlock: "172.30." + strconv.Itoa(i) + ".0/24", NextHop: testInst1, NextHopType: "Instance"}
		}
		req := vpc.CreateCreateRouteEntriesRequest()
		req.RouteEntries = &big
		_, err := c.VPC.CreateRouteEntries(req)
		wantErr(t, err, "InvalidParameter", 400)
	})
	t.Run("paging", func(t *testing.T) {
		seen := map[string]bool{}
		token, pages := "", 0
		for {
			req := vpc.CreateDescribeRouteEntryListRequest()
			req.RouteTableId, req.MaxResult, req.NextToken = testVTB, requests.NewInteger(7), token
			r, err := c.VPC.DescribeRouteEntryList(req)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, x := range r.RouteEntrys.RouteEntry {
				seen[x.DestinationCidrBlock] = true
			}
			if token = r.NextToken; token == "" {
				break
			}
		}
		// 30 custom + 2 vSwitch + 100.64.0.0/10 system routes.
		if len(seen) != 33 || pages != 5 {
			t.Fatalf("saw %d routes in %d pages", len(seen), pages)
		}
		req := vpc.CreateDescribeRouteEntryListRequest()
		req.RouteTableId, req.MaxResult, req.NextToken = testVTB, requests.NewInteger(10), "garbage"
		_, err := c.VPC.DescribeRouteEntryList(req)
		wantErr(t, err, "IllegalParam.NextToken", 400)
		req = vpc.CreateDescribeRouteEntryListRequest() // the SDK keeps old query values
		req.RouteTableId, req.RouteEntryType = testVTB, "System"
		if r, err := c.VPC.DescribeRouteEntryList(req); err != nil || len(r.RouteEntrys.RouteEntry) != 3 {
			t.Fatalf("system routes: %v %+v", err, r.RouteEntrys)
		}
	})
	t.Run("DeleteRouteEntries", func(t *testing.T) {
		del := []vpc.DeleteRouteEntriesRouteEntries{
			{RouteTableId: testVTB, RouteEntryId: r.RouteEntryIds[0]},
			{RouteTableId: testVTB, DstCidrBlock: "172.20.1.0/24", NextHop: testInst1},
			{RouteTableId: testVTB, RouteEntryId: r.RouteEntryIds[0]},
			{RouteTableId: testVTB, DstCidrBlock: "10.9.9.0/24", NextHop: testInst1},
		}
		req := vpc.CreateDeleteRouteEntriesRequest()
		req.RouteEntries = &del
		d, err := c.VPC.DeleteRouteEntries(req)
		if err != nil || d.SuccessCount != 2 || d.FailedCount != 2 || d.FailedRouteEntries[0].FailedCode != "VPC_ROUTER_ENTRY_NOT_EXIST" {
			t.Fatalf("%v %+v", err, d)
		}
		if s := routeStatus(t, c, r.RouteEntryIds[0]); s != "absent" {
			t.Fatalf("status %s", s)
		}
	})
}

func TestConcurrentRouteWritesConflict(t *testing.T) {
	e, c := newTestEmulator(t)
	seedBasic(t, e)
	e.SetFaults(FaultProfile{Latency: map[string]LatencySpec{"CreateRouteEntry": {Fixed: Duration(300 * time.Millisecond)}}})
	errs := make(chan error, 2)
	go func() { _, err := createRoute(c, testVTB, "172.16.0.0/24", testInst1); errs <- err }()
	time.Sleep(100 * time.Millisecond)
	go func() { _, err := createRoute(c, testVTB, "172.16.1.0/24", testInst2); errs <- err }()
	var codes []string
	for i := 0; i < 2; i++ {
		code, _ := apiErr(t, <-errs)
		codes = append(codes, code)
	}
	oneConflict := (codes[0] == "TaskConflict" && codes[1] == "") || (codes[0] == "" && codes[1] == "TaskConflict")
	if !oneConflict {
		t.Fatalf("codes %q, want one TaskConflict", codes)
	}
}
