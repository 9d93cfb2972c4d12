package emulator

import (
	"fmt"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// slbEnv starts a seeded emulator and returns it with its SLB client.
func slbEnv(t testing.TB, opts ...func(*Config)) (*Emulator, *slb.Client) {
	t.Helper()
	e, tc := newTestEmulator(t, opts...)
	seedBasic(t, e)
	return e, tc.SLB
}

// newLBReq is a valid intranet CreateLoadBalancer request in vsw-h.
func newLBReq(name string) *slb.CreateLoadBalancerRequest {
	r := slb.CreateCreateLoadBalancerRequest()
	r.AddressType, r.VSwitchId, r.VpcId = "intranet", testVSWH, testVPC
	r.LoadBalancerSpec, r.LoadBalancerName = "slb.s1.small", name
	return r
}

// mustLB creates an intranet CLB and returns its ID.
func mustLB(t testing.TB, c *slb.Client, name string) string {
	t.Helper()
	resp, err := c.CreateLoadBalancer(newLBReq(name))
	if err != nil {
		t.Fatalf("CreateLoadBalancer: %v", err)
	}
	return resp.LoadBalancerId
}

func describeLB(t testing.TB, c *slb.Client, id string) *slb.DescribeLoadBalancerAttributeResponse {
	t.Helper()
	r := slb.CreateDescribeLoadBalancerAttributeRequest()
	r.LoadBalancerId = id
	resp, err := c.DescribeLoadBalancerAttribute(r)
	if err != nil {
		t.Fatalf("DescribeLoadBalancerAttribute: %v", err)
	}
	return resp
}

func TestSLBCreateLoadBalancer(t *testing.T) {
	_, c := slbEnv(t)
	tests := []struct {
		name   string
		mod    func(r *slb.CreateLoadBalancerRequest)
		code   string
		status int
		check  func(t *testing.T, r *slb.CreateLoadBalancerResponse)
	}{
		{name: "intranet gets first free address", check: func(t *testing.T, r *slb.CreateLoadBalancerResponse) {
			// .0 is reserved, .11/.12 are ENIs of seeded nodes: first free is .1
			if r.Address != "192.168.0.1" || r.NetworkType != "vpc" || r.VpcId != testVPC || r.VSwitchId != testVSWH {
				t.Fatalf("got %+v", r)
			}
		}},
		{name: "fixed address", mod: func(r *slb.CreateLoadBalancerRequest) { r.Address = "192.168.0.100" },
			check: func(t *testing.T, r *slb.CreateLoadBalancerResponse) {
				if r.Address != "192.168.0.100" {
					t.Fatalf("address %s", r.Address)
				}
			}},
		{name: "address outside vswitch", mod: func(r *slb.CreateLoadBalancerRequest) { r.Address = "192.168.1.5" }, code: "InvalidParameter", status: 400},
		{name: "reserved address", mod: func(r *slb.CreateLoadBalancerRequest) { r.Address = "192.168.0.255" }, code: "InvalidParameter", status: 400},
		{name: "address of an ENI", mod: func(r *slb.CreateLoadBalancerRequest) { r.Address = "192.168.0.11" }, code: "InvalidParameter", status: 400},
		{name: "internet", mod: func(r *slb.CreateLoadBalancerRequest) { r.AddressType, r.VSwitchId, r.VpcId = "internet", "", "" },
			check: func(t *testing.T, r *slb.CreateLoadBalancerResponse) {
				if r.Address != "47.99.0.1" || r.NetworkType != "classic" || r.VpcId != "" {
					t.Fatalf("got %+v", r)
				}
			}},
		{name: "missing vswitch", mod: func(r *slb.CreateLoadBalancerRequest) { r.VSwitchId = "" }, code: "MissingParam.VSwitchId", status: 400},
		{name: "unknown vswitch", mod: func(r *slb.CreateLoadBalancerRequest) { r.VSwitchId = "vsw-nope" }, code: "VSwitchNotExist", status: 400},
		{name: "unknown vpc", mod: func(r *slb.CreateLoadBalancerRequest) { r.VpcId = "vpc-nope" }, code: "InvalidVpcId.NotExist", status: 400},
		{name: "missing spec", mod: func(r *slb.CreateLoadBalancerRequest) { r.LoadBalancerSpec = "" }, code: "MissingParam.LoadBalancerSpec", status: 400},
		{name: "lcu ignores spec", mod: func(r *slb.CreateLoadBalancerRequest) { r.LoadBalancerSpec, r.InstanceChargeType = "", "PayByCLCU" }},
		{name: "bad charge type", mod: func(r *slb.CreateLoadBalancerRequest) { r.InstanceChargeType = "Monthly" }, code: "IllegalParam.InstanceChargeType", status: 400},
		{name: "bad bandwidth", mod: func(r *slb.CreateLoadBalancerRequest) {
			r.InternetChargeType, r.Bandwidth = "paybybandwidth", requests.NewInteger(6000)
		}, code: "InvalidParameter.Bandwidth", status: 400},
		{name: "bad name", mod: func(r *slb.CreateLoadBalancerRequest) { r.LoadBalancerName = "1abc" }, code: "InvalidLoadBalancerName", status: 400},
		{name: "reason without console protection", mod: func(r *slb.CreateLoadBalancerRequest) { r.ModificationProtectionReason = "x" },
			code: "InvalidParam.ModificationProtectionReason", status: 400},
		{name: "bad tag key", mod: func(r *slb.CreateLoadBalancerRequest) {
			r.Tag = &[]slb.CreateLoadBalancerTag{{Key: "aliyun:x", Value: "v"}}
		}, code: "InvalidParam.TagKey", status: 400},
		{name: "too many tags", mod: func(r *slb.CreateLoadBalancerRequest) {
			var tags []slb.CreateLoadBalancerTag
			for i := 0; i < 21; i++ {
				tags = append(tags, slb.CreateLoadBalancerTag{Key: fmt.Sprint("k", i), Value: "v"})
			}
			r.Tag = &tags
		}, code: "SizeLimitExceeded.Tag", status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newLBReq("lb1")
			if tt.mod != nil {
				tt.mod(r)
			}
			resp, err := c.CreateLoadBalancer(r)
			if tt.code != "" {
				wantErr(t, err, tt.code, tt.status)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, resp)
			}
		})
	}
}

func TestSLBCreateAttributesRoundTrip(t *testing.T) {
	_, c := slbEnv(t)
	r := newLBReq("full")
	r.DeleteProtection, r.ModificationProtectionStatus, r.ModificationProtectionReason = "on", "ConsoleProtection", "managed.by.ack"
	r.MasterZoneId, r.SlaveZoneId, r.ResourceGroupId = "cn-hangzhou-h", "cn-hangzhou-i", "rg-1"
	r.Tag = &[]slb.CreateLoadBalancerTag{{Key: "kubernetes.do.not.delete", Value: "svc"}}
	resp, err := c.CreateLoadBalancer(r)
	if err != nil {
		t.Fatal(err)
	}
	a := describeLB(t, c, resp.LoadBalancerId)
	if a.LoadBalancerName != "full" || a.DeleteProtection != "on" || a.ModificationProtectionStatus != "ConsoleProtection" ||
		a.ModificationProtectionReason != "managed.by.ack" || a.MasterZoneId != "cn-hangzhou-h" || a.SlaveZoneId != "cn-hangzhou-i" ||
		a.ResourceGroupId != "rg-1" || a.LoadBalancerStatus != "active" || a.LoadBalancerSpec != "slb.s1.small" ||
		a.AddressIPVersion != "ipv4" || a.InternetChargeType != "paybytraffic" || a.RegionId != "cn-hangzhou" ||
		len(a.Tags.Tag) != 1 || a.Tags.Tag[0].TagKey != "kubernetes.do.not.delete" || a.CreateTimeStamp == 0 {
		t.Fatalf("attributes: %+v", a)
	}
}

func TestSLBClientToken(t *testing.T) {
	_, c := slbEnv(t)
	r := newLBReq("tok")
	r.ClientToken = "token-1"
	first, err := c.CreateLoadBalancer(r)
	if err != nil {
		t.Fatal(err)
	}
	r2 := newLBReq("tok")
	r2.ClientToken = "token-1"
	again, err := c.CreateLoadBalancer(r2)
	if err != nil {
		t.Fatal(err)
	}
	if again.LoadBalancerId != first.LoadBalancerId || again.Address != first.Address {
		t.Fatalf("retry made a new CLB: %s vs %s", again.LoadBalancerId, first.LoadBalancerId)
	}
	r3 := newLBReq("other-name")
	r3.ClientToken = "token-1"
	_, err = c.CreateLoadBalancer(r3)
	wantErr(t, err, "LX_REQUEST_TOKEN_CONFLICT", 400)
	d := slb.CreateDescribeLoadBalancersRequest()
	all, err := c.DescribeLoadBalancers(d)
	if err != nil || all.TotalCount != 1 {
		t.Fatalf("want 1 CLB, got %v %v", all, err)
	}
}

func TestSLBQuotaAndDelete(t *testing.T) {
	_, c := slbEnv(t, func(cfg *Config) { cfg.Limits = DefaultLimits(); cfg.Limits.LoadBalancersPerAccount = 2 })
	a := mustLB(t, c, "a")
	mustLB(t, c, "b")
	_, err := c.CreateLoadBalancer(newLBReq("c"))
	wantErr(t, err, "OverQuota", 400)

	// Delete protection blocks delete; modification protection does not.
	p := slb.CreateSetLoadBalancerDeleteProtectionRequest()
	p.LoadBalancerId, p.DeleteProtection = a, "on"
	if _, err := c.SetLoadBalancerDeleteProtection(p); err != nil {
		t.Fatal(err)
	}
	del := slb.CreateDeleteLoadBalancerRequest()
	del.LoadBalancerId = a
	_, err = c.DeleteLoadBalancer(del)
	wantErr(t, err, "OperationDenied.DeleteProtectionIsOn", 400)
	p.DeleteProtection = "off"
	if _, err := c.SetLoadBalancerDeleteProtection(p); err != nil {
		t.Fatal(err)
	}
	m := slb.CreateSetLoadBalancerModificationProtectionRequest()
	m.LoadBalancerId, m.ModificationProtectionStatus, m.ModificationProtectionReason = a, "ConsoleProtection", "managed"
	if _, err := c.SetLoadBalancerModificationProtection(m); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteLoadBalancer(del); err != nil {
		t.Fatalf("delete with ConsoleProtection: %v", err)
	}
	_, err = c.DeleteLoadBalancer(del)
	wantErr(t, err, "InvalidLoadBalancerId.NotFound", 404)
	r := slb.CreateDescribeLoadBalancerAttributeRequest()
	r.LoadBalancerId = a
	_, err = c.DescribeLoadBalancerAttribute(r)
	wantErr(t, err, "InvalidLoadBalancerId.NotFound", 404)
	// The quota slot is free again.
	mustLB(t, c, "c")
}

func TestSLBDescribeLoadBalancersFilters(t *testing.T) {
	_, c := slbEnv(t)
	var ids []string
	for i := 0; i < 12; i++ {
		r := newLBReq(fmt.Sprintf("lb-%02d", i))
		if i%2 == 0 {
			r.Tag = &[]slb.CreateLoadBalancerTag{{Key: "even", Value: "yes"}, {Key: "cluster", Value: "c1"}}
		}
		if i == 5 {
			r.VSwitchId = testVSWI
		}
		if i == 7 {
			r.AddressType, r.VSwitchId, r.VpcId = "internet", "", ""
		}
		resp, err := c.CreateLoadBalancer(r)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, resp.LoadBalancerId)
	}
	tests := []struct {
		name  string
		mod   func(r *slb.DescribeLoadBalancersRequest)
		total int
		page  int
		code  string
	}{
		{name: "all", total: 12, page: 12},
		{name: "page 2 of 5", mod: func(r *slb.DescribeLoadBalancersRequest) {
			r.PageNumber, r.PageSize = requests.NewInteger(3), requests.NewInteger(5)
		}, total: 12, page: 2},
		{name: "page size only defaults number", mod: func(r *slb.DescribeLoadBalancersRequest) { r.PageSize = requests.NewInteger(10) }, total: 12, page: 10},
		{name: "bad page size", mod: func(r *slb.DescribeLoadBalancersRequest) { r.PageSize = requests.NewInteger(101) }, code: "InvalidPageSize"},
		{name: "ids", mod: func(r *slb.DescribeLoadBalancersRequest) { r.LoadBalancerId = ids[0] + "," + ids[3] }, total: 2, page: 2},
		{name: "too many ids", mod: func(r *slb.DescribeLoadBalancersRequest) {
			r.LoadBalancerId = "a,b,c,d,e,f,g,h,i,j,k"
		}, code: "InvalidParameter"},
		{name: "name", mod: func(r *slb.DescribeLoadBalancersRequest) { r.LoadBalancerName = "lb-03" }, total: 1, page: 1},
		{name: "address type", mod: func(r *slb.DescribeLoadBalancersRequest) { r.AddressType = "internet" }, total: 1, page: 1},
		{name: "network type", mod: func(r *slb.DescribeLoadBalancersRequest) { r.NetworkType = "vpc" }, total: 11, page: 11},
		{name: "vswitch", mod: func(r *slb.DescribeLoadBalancersRequest) { r.VSwitchId = testVSWI }, total: 1, page: 1},
		{name: "vpc", mod: func(r *slb.DescribeLoadBalancersRequest) { r.VpcId = testVPC }, total: 11, page: 11},
		{name: "address", mod: func(r *slb.DescribeLoadBalancersRequest) { r.Address = "192.168.0.1" }, total: 1, page: 1},
		{name: "resource group", mod: func(r *slb.DescribeLoadBalancersRequest) { r.ResourceGroupId = "rg-default" }, total: 12, page: 12},
		{name: "Tags JSON", mod: func(r *slb.DescribeLoadBalancersRequest) { r.Tags = `[{"TagKey":"even","TagValue":"yes"}]` }, total: 6, page: 6},
		{name: "Tags JSON object", mod: func(r *slb.DescribeLoadBalancersRequest) { r.Tags = `{"cluster":"c1"}` }, total: 6, page: 6},
		{name: "bad Tags JSON", mod: func(r *slb.DescribeLoadBalancersRequest) { r.Tags = `[{` }, code: "InvalidTag"},
		{name: "Tag.N AND", mod: func(r *slb.DescribeLoadBalancersRequest) {
			r.Tag = &[]slb.DescribeLoadBalancersTag{{Key: "even", Value: "yes"}, {Key: "cluster", Value: "c2"}}
		}, total: 0, page: 0},
		{name: "Tag.N key only", mod: func(r *slb.DescribeLoadBalancersRequest) {
			r.Tag = &[]slb.DescribeLoadBalancersTag{{Key: "cluster"}}
		}, total: 6, page: 6},
		{name: "server id without members", mod: func(r *slb.DescribeLoadBalancersRequest) { r.ServerId = testInst1 }, total: 0, page: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := slb.CreateDescribeLoadBalancersRequest()
			if tt.mod != nil {
				tt.mod(r)
			}
			resp, err := c.DescribeLoadBalancers(r)
			if tt.code != "" {
				wantErr(t, err, tt.code, 400)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.TotalCount != tt.total || len(resp.LoadBalancers.LoadBalancer) != tt.page {
				t.Fatalf("total %d page %d, want %d %d", resp.TotalCount, len(resp.LoadBalancers.LoadBalancer), tt.total, tt.page)
			}
		})
	}
}

func TestSLBModifyInstance(t *testing.T) {
	fc := NewFakeClock(time.Now())
	_, c := slbEnv(t, withFakeClock(fc), func(cfg *Config) { cfg.TimestampTolerance = -1 })
	r := newLBReq("m")
	r.AddressType, r.VSwitchId, r.VpcId = "internet", "", ""
	resp, err := c.CreateLoadBalancer(r)
	if err != nil {
		t.Fatal(err)
	}
	id := resp.LoadBalancerId

	n := slb.CreateSetLoadBalancerNameRequest()
	n.LoadBalancerId, n.LoadBalancerName = id, "renamed"
	if _, err := c.SetLoadBalancerName(n); err != nil {
		t.Fatal(err)
	}
	s := slb.CreateModifyLoadBalancerInstanceSpecRequest()
	s.LoadBalancerId, s.LoadBalancerSpec = id, "slb.s2.medium"
	if _, err := c.ModifyLoadBalancerInstanceSpec(s); err != nil {
		t.Fatal(err)
	}
	s.LoadBalancerSpec = "slb.huge"
	_, err = c.ModifyLoadBalancerInstanceSpec(s)
	wantErr(t, err, "ModifySpecNotAllowed", 400)

	// A metering change takes effect at 00:00 the next day; bandwidth alone is immediate.
	is := slb.CreateModifyLoadBalancerInternetSpecRequest()
	is.LoadBalancerId, is.InternetChargeType, is.Bandwidth = id, "paybybandwidth", requests.NewInteger(20)
	if _, err := c.ModifyLoadBalancerInternetSpec(is); err != nil {
		t.Fatal(err)
	}
	a := describeLB(t, c, id)
	if a.LoadBalancerName != "renamed" || a.LoadBalancerSpec != "slb.s2.medium" || a.InternetChargeType != "paybytraffic" || a.Bandwidth != 20 {
		t.Fatalf("before billing day: %+v", a)
	}
	_, err = c.ModifyLoadBalancerInternetSpec(is)
	wantErr(t, err, "Operation.NotAllowed", 400)
	fc.Advance(25 * time.Hour)
	if a := describeLB(t, c, id); a.InternetChargeType != "paybybandwidth" || a.Bandwidth != 20 {
		t.Fatalf("after billing day: %s %d", a.InternetChargeType, a.Bandwidth)
	}
	ct := slb.CreateModifyLoadBalancerInstanceChargeTypeRequest()
	ct.LoadBalancerId, ct.InstanceChargeType = id, "PayBySpec"
	_, err = c.ModifyLoadBalancerInstanceChargeType(ct)
	wantErr(t, err, "IllegalParam.InstanceChargeType", 400)
	ct.InstanceChargeType = "PayByCLCU"
	if _, err := c.ModifyLoadBalancerInstanceChargeType(ct); err != nil {
		t.Fatal(err)
	}
	fc.Advance(25 * time.Hour)
	if a := describeLB(t, c, id); a.InstanceChargeType != "PayByCLCU" || a.LoadBalancerSpec != "slb.lcu.elastic" {
		t.Fatalf("charge type: %+v", a)
	}
	_, err = c.ModifyLoadBalancerInstanceChargeType(ct)
	wantErr(t, err, "OperationDenied.PayByCLCU", 400)
}

func TestSLBBusyAfterWrite(t *testing.T) {
	fc := NewFakeClock(time.Now())
	_, c := slbEnv(t, withFakeClock(fc), func(cfg *Config) { cfg.CLBBusyAfterWrite = 2 * time.Second })
	id := mustLB(t, c, "busy")
	n := slb.CreateSetLoadBalancerNameRequest()
	n.LoadBalancerId, n.LoadBalancerName = id, "x"
	_, err := c.SetLoadBalancerName(n)
	wantErr(t, err, "OperationBusy", 400)
	g := slb.CreateCreateVServerGroupRequest()
	g.LoadBalancerId = id
	_, err = c.CreateVServerGroup(g)
	wantErr(t, err, "VServerGroupProcessing", 400)
	l := slb.CreateCreateLoadBalancerTCPListenerRequest()
	l.LoadBalancerId, l.ListenerPort, l.BackendServerPort, l.Bandwidth = id, requests.NewInteger(80), requests.NewInteger(80), requests.NewInteger(-1)
	_, err = c.CreateLoadBalancerTCPListener(l)
	wantErr(t, err, "ServiceIsConfiguring", 400)
	// Reads are never busy.
	describeLB(t, c, id)
	fc.Advance(2 * time.Second)
	if _, err := c.CreateLoadBalancerTCPListener(l); err != nil {
		t.Fatal(err)
	}
	_, err = c.SetLoadBalancerName(n)
	wantErr(t, err, "OperationBusy", 400)
	fc.Advance(3 * time.Second)
	if _, err := c.SetLoadBalancerName(n); err != nil {
		t.Fatal(err)
	}
}
