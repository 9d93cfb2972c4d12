package emulator

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// TestNLBCreateAndAsyncJob drives CreateLoadBalancer through its job:
// Provisioning and Processing while it runs, busy codes for writes, then
// Active and Succeeded; ListAsynJobs agrees.
func TestNLBCreateAndAsyncJob(t *testing.T) {
	fc := NewFakeClock(time.Now())
	_, c := nlbEnv(t, withJobs(fc, 10*time.Second))
	r := newNLBReq("web")
	r.Tag = &[]nlb.CreateLoadBalancerTag{{Key: "cluster", Value: "c1"}}
	r.ZoneMappings = &[]nlb.CreateLoadBalancerZoneMappings{
		{ZoneId: "cn-hangzhou-h", VSwitchId: testVSWH, PrivateIPv4Address: "192.168.0.100"},
		{ZoneId: "cn-hangzhou-i", VSwitchId: testVSWI, AllocationId: "eip-free1"}}
	resp, err := c.CreateLoadBalancer(r)
	if err != nil {
		t.Fatal(err)
	}
	id := resp.LoadbalancerId
	if !strings.HasPrefix(id, "nlb-") {
		t.Fatalf("id %q", id)
	}
	got := getNLB(t, c, id)
	if got.LoadBalancerStatus != "Provisioning" || jobStatus(t, c, resp.JobId) != "Processing" {
		t.Fatalf("during the job: status %s, job %s", got.LoadBalancerStatus, jobStatus(t, c, resp.JobId))
	}
	if got.DNSName != id+".cn-hangzhou.nlb.aliyuncs.com" || len(got.ZoneMappings) != 2 || len(got.Tags) != 1 {
		t.Fatalf("attributes: %+v", got)
	}
	a0, a1 := got.ZoneMappings[0].LoadBalancerAddresses[0], got.ZoneMappings[1].LoadBalancerAddresses[0]
	if a0.PrivateIPv4Address != "192.168.0.100" || a0.PublicIPv4Address == "" || a1.AllocationId != "eip-free1" ||
		a1.PublicIPv4Address != "47.1.1.1" || !strings.HasPrefix(a1.PrivateIPv4Address, "192.168.1.") {
		t.Fatalf("addresses: %+v %+v", a0, a1)
	}
	u := nlb.CreateUpdateLoadBalancerAttributeRequest()
	u.LoadBalancerId, u.LoadBalancerName = id, "web2"
	_, err = c.UpdateLoadBalancerAttribute(u)
	wantErr(t, err, "ResourceInConfiguring.loadbalancer", 400)
	d := nlb.CreateDeleteLoadBalancerRequest()
	d.LoadBalancerId = id
	_, err = c.DeleteLoadBalancer(d)
	wantErr(t, err, "ResourceInCreating.loadbalancer", 400)
	if jobs, err := listAsynJobs(t, c, resp.JobId); err != nil || jobs[resp.JobId] != "Processing" {
		t.Fatalf("ListAsynJobs: %v %v", jobs, err)
	}

	fc.Advance(10 * time.Second)
	if s := getNLB(t, c, id).LoadBalancerStatus; s != "Active" || jobStatus(t, c, resp.JobId) != "Succeeded" {
		t.Fatalf("after the job: %s", s)
	}
	up, err := c.UpdateLoadBalancerAttribute(u)
	if err != nil {
		t.Fatal(err)
	}
	if s := getNLB(t, c, id).LoadBalancerStatus; s != "Configuring" {
		t.Fatalf("during an update: %s", s)
	}
	fc.Advance(10 * time.Second)
	if jobs, err := listAsynJobs(t, c, resp.JobId, up.JobId); err != nil || jobs[up.JobId] != "Succeeded" || len(jobs) != 2 {
		t.Fatalf("ListAsynJobs: %v %v", jobs, err)
	}
	if g := getNLB(t, c, id); g.LoadBalancerName != "web2" {
		t.Fatalf("name %q", g.LoadBalancerName)
	}
	_, err = listAsynJobs(t, c, "no-such-job")
	wantErr(t, err, "ResourceNotFound.JobId", 404)
	jr := nlb.CreateGetJobStatusRequest()
	jr.JobId = "no-such-job"
	_, err = c.GetJobStatus(jr)
	wantErr(t, err, "ResourceNotFound.JobId", 404)

	// Deleting: refused under protection, then Deleting until the job ends.
	p := nlb.CreateUpdateLoadBalancerProtectionRequest()
	p.LoadBalancerId, p.DeletionProtectionEnabled, p.DeletionProtectionReason = id, requests.NewBoolean(true), "prod"
	p.ModificationProtectionStatus, p.ModificationProtectionReason = "ConsoleProtection", "managed"
	if _, err := c.UpdateLoadBalancerProtection(p); err != nil {
		t.Fatal(err)
	}
	if g := getNLB(t, c, id); !g.DeletionProtectionConfig.Enabled || g.DeletionProtectionConfig.Reason != "prod" ||
		g.ModificationProtectionConfig.Status != "ConsoleProtection" {
		t.Fatalf("protection: %+v %+v", g.DeletionProtectionConfig, g.ModificationProtectionConfig)
	}
	_, err = c.DeleteLoadBalancer(d)
	wantErr(t, err, "OperationDenied.DeletionProtectionEnabled", 400)
	p = nlb.CreateUpdateLoadBalancerProtectionRequest()
	p.LoadBalancerId, p.DeletionProtectionEnabled = id, requests.NewBoolean(false)
	if _, err := c.UpdateLoadBalancerProtection(p); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteLoadBalancer(d); err != nil {
		t.Fatal(err)
	}
	if s := getNLB(t, c, id).LoadBalancerStatus; s != "Deleting" {
		t.Fatalf("during delete: %s", s)
	}
	fc.Advance(10 * time.Second)
	g := nlb.CreateGetLoadBalancerAttributeRequest()
	g.LoadBalancerId = id
	_, err = c.GetLoadBalancerAttribute(g)
	wantErr(t, err, "ResourceNotFound.loadBalancer", 404)
}

// TestNLBCreateLoadBalancerErrors covers the documented refusals; none of
// them creates anything.
func TestNLBCreateLoadBalancerErrors(t *testing.T) {
	e, c := nlbEnv(t, func(cfg *Config) { cfg.Limits.NLBPerAccount = 1 })
	cases := []struct {
		name   string
		mod    func(r *nlb.CreateLoadBalancerRequest)
		code   string
		status int
	}{
		{"no address type", func(r *nlb.CreateLoadBalancerRequest) { r.AddressType = "" }, "MissingParam.AddressType", 400},
		{"bad address type", func(r *nlb.CreateLoadBalancerRequest) { r.AddressType = "internet-ish" }, "IllegalParam.AddressType", 400},
		{"no vpc", func(r *nlb.CreateLoadBalancerRequest) { r.VpcId = "" }, "MissingParam.VpcId", 400},
		{"unknown vpc", func(r *nlb.CreateLoadBalancerRequest) { r.VpcId = "vpc-nope" }, "ResourceNotFound.Vpc", 404},
		{"bad name", func(r *nlb.CreateLoadBalancerRequest) { r.LoadBalancerName = "1abc" }, "IllegalParam.loadBalancerName", 400},
		{"no zones", func(r *nlb.CreateLoadBalancerRequest) { r.ZoneMappings = nil }, "MissingParam.ZoneMappings", 400},
		{"one zone", func(r *nlb.CreateLoadBalancerRequest) { (*r.ZoneMappings) = (*r.ZoneMappings)[:1] }, "InvalidZones", 400},
		{"same zone twice", func(r *nlb.CreateLoadBalancerRequest) { (*r.ZoneMappings)[1] = (*r.ZoneMappings)[0] }, "InvalidZones", 400},
		{"unknown vswitch", func(r *nlb.CreateLoadBalancerRequest) { (*r.ZoneMappings)[0].VSwitchId = "vsw-nope" }, "ResourceNotFound.VSwitch", 404},
		{"zone mismatch", func(r *nlb.CreateLoadBalancerRequest) { (*r.ZoneMappings)[0].ZoneId = "cn-hangzhou-k" }, "Mismatch.ZoneIdAndVswitchId", 400},
		{"ip outside vswitch", func(r *nlb.CreateLoadBalancerRequest) { (*r.ZoneMappings)[0].PrivateIPv4Address = "10.0.0.1" }, "IllegalParam.PrivateIPv4Address", 400},
		{"ip of a node", func(r *nlb.CreateLoadBalancerRequest) { (*r.ZoneMappings)[0].PrivateIPv4Address = "192.168.0.11" }, "ResourceInUse.IP", 400},
		{"unknown eip", func(r *nlb.CreateLoadBalancerRequest) { (*r.ZoneMappings)[0].AllocationId = "eip-nope" }, "ResourceNotFound.Eip", 404},
		{"dry run", func(r *nlb.CreateLoadBalancerRequest) { r.DryRun = requests.NewBoolean(true) }, "DryRunOperation", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newNLBReq("web")
			tc.mod(r)
			_, err := c.CreateLoadBalancer(r)
			wantErr(t, err, tc.code, tc.status)
		})
	}
	if n := e.CallCount("Nlb.CreateLoadBalancer", "OK"); n != 0 {
		t.Fatalf("%d creates succeeded", n)
	}
	// ClientToken: a retry replays the first answer; other parameters are refused.
	r := newNLBReq("web")
	r.ClientToken = "tok-1"
	first, err := c.CreateLoadBalancer(r)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.CreateLoadBalancer(r)
	if err != nil || again.LoadbalancerId != first.LoadbalancerId || again.JobId != first.JobId {
		t.Fatalf("retry: %+v %v", again, err)
	}
	r.LoadBalancerName = "other"
	_, err = c.CreateLoadBalancer(r)
	wantErr(t, err, "IdempotenceSignatureMismatch", 400)
	_, err = c.CreateLoadBalancer(newNLBReq("second"))
	wantErr(t, err, "QuotaExceeded.QuotaInsufficient", 400)
}

// TestNLBListAndUpdateLoadBalancers covers ListLoadBalancers filters and
// paging, zone updates, address type changes and the EIP bindings.
func TestNLBListAndUpdateLoadBalancers(t *testing.T) {
	e, c := nlbEnv(t)
	var ids []string
	for i := 0; i < 5; i++ {
		r := newNLBReq("lb" + itoa(i))
		if i%2 == 0 {
			r.Tag = &[]nlb.CreateLoadBalancerTag{{Key: "even", Value: "yes"}}
		}
		if i == 4 {
			r.AddressType = "Intranet"
		}
		resp, err := c.CreateLoadBalancer(r)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, resp.LoadbalancerId)
	}
	l := nlb.CreateListLoadBalancersRequest()
	l.MaxResults = requests.NewInteger(2)
	var seen []string
	for {
		resp, err := c.ListLoadBalancers(l)
		if err != nil {
			t.Fatal(err)
		}
		if resp.TotalCount != 5 || len(resp.LoadBalancers) > 2 {
			t.Fatalf("page: total %d, %d items", resp.TotalCount, len(resp.LoadBalancers))
		}
		for _, lb := range resp.LoadBalancers {
			seen = append(seen, lb.LoadBalancerId)
		}
		if resp.NextToken == "" {
			break
		}
		l.NextToken = resp.NextToken
	}
	if strings.Join(seen, ",") != strings.Join(ids, ",") {
		t.Fatalf("pages %v, want %v", seen, ids)
	}
	f := nlb.CreateListLoadBalancersRequest()
	f.Tag = &[]nlb.ListLoadBalancersTag{{Key: "even", Value: "yes"}}
	f.AddressType = "Internet"
	if resp, err := c.ListLoadBalancers(f); err != nil || resp.TotalCount != 2 {
		t.Fatalf("tag+type filter: %v %v", resp, err)
	}
	f = nlb.CreateListLoadBalancersRequest()
	f.LoadBalancerIds = &[]string{ids[1], ids[3]}
	f.NextToken = "garbage!"
	_, err := c.ListLoadBalancers(f)
	wantErr(t, err, "IllegalParam.NextToken", 400)

	// Zones: keep h, move i's address, and an Intranet NLB going Internet with an EIP.
	z := nlb.CreateUpdateLoadBalancerZonesRequest()
	z.LoadBalancerId = ids[4]
	z.ZoneMappings = &[]nlb.UpdateLoadBalancerZonesZoneMappings{{ZoneId: "cn-hangzhou-h", VSwitchId: testVSWH},
		{ZoneId: "cn-hangzhou-i", VSwitchId: testVSWI, PrivateIPv4Address: "192.168.1.200"}}
	before := getNLB(t, c, ids[4]).ZoneMappings[0].LoadBalancerAddresses[0].PrivateIPv4Address
	if _, err := c.UpdateLoadBalancerZones(z); err != nil {
		t.Fatal(err)
	}
	g := getNLB(t, c, ids[4])
	if g.ZoneMappings[0].LoadBalancerAddresses[0].PrivateIPv4Address != before ||
		g.ZoneMappings[1].LoadBalancerAddresses[0].PrivateIPv4Address != "192.168.1.200" {
		t.Fatalf("zones: %+v", g.ZoneMappings)
	}
	z = nlb.CreateUpdateLoadBalancerZonesRequest() // the SDK keeps a sent request's parameters
	z.LoadBalancerId = ids[4]
	z.ZoneMappings = &[]nlb.UpdateLoadBalancerZonesZoneMappings{{ZoneId: "cn-hangzhou-h", VSwitchId: testVSWH}}
	_, err = c.UpdateLoadBalancerZones(z)
	wantErr(t, err, "InvalidZones", 400)

	a := nlb.CreateUpdateLoadBalancerAddressTypeConfigRequest()
	a.LoadBalancerId, a.AddressType = ids[4], "Intranet"
	_, err = c.UpdateLoadBalancerAddressTypeConfig(a)
	wantErr(t, err, "OperationDenied.AddressTypeNotChanged", 400)
	a = nlb.CreateUpdateLoadBalancerAddressTypeConfigRequest()
	a.LoadBalancerId, a.AddressType = ids[4], "Internet"
	a.ZoneMappings = &[]nlb.UpdateLoadBalancerAddressTypeConfigZoneMappings{{ZoneId: "cn-hangzhou-h", VSwitchId: testVSWH, AllocationId: "eip-free2"}}
	if _, err := c.UpdateLoadBalancerAddressTypeConfig(a); err != nil {
		t.Fatal(err)
	}
	g = getNLB(t, c, ids[4])
	if g.AddressType != "Internet" || g.ZoneMappings[0].LoadBalancerAddresses[0].PublicIPv4Address != "47.1.1.2" ||
		g.ZoneMappings[1].LoadBalancerAddresses[0].PublicIPv4Address == "" {
		t.Fatalf("address type: %+v", g)
	}
	if eip := e.Dump().EIPs; !hasEIPBound(eip, "eip-free2", ids[4]) {
		t.Fatalf("eip-free2 not bound to %s: %+v", ids[4], eip)
	}
	a = nlb.CreateUpdateLoadBalancerAddressTypeConfigRequest()
	a.LoadBalancerId, a.AddressType = ids[4], "Intranet"
	if _, err := c.UpdateLoadBalancerAddressTypeConfig(a); err != nil {
		t.Fatal(err)
	}
	if eip := e.Dump().EIPs; hasEIPBound(eip, "eip-free2", ids[4]) {
		t.Fatalf("eip-free2 still bound: %+v", eip)
	}
}

func hasEIPBound(eips []EIP, id, to string) bool {
	for _, e := range eips {
		if e.AllocationID == id {
			return e.InstanceID == to && e.Status == "InUse"
		}
	}
	return false
}

// TestNLBClientTokenConcurrentReplays: retries with one ClientToken racing
// each other all get the first answer, and exactly one NLB exists.
func TestNLBClientTokenConcurrentReplays(t *testing.T) {
	_, c := nlbEnv(t)
	ids := make([]string, 8)
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		ci := nlbClient(t, c.Domain)
		go func(i int) {
			defer wg.Done()
			r := newNLBReq("web")
			r.ClientToken = "crash-retry"
			resp, err := ci.CreateLoadBalancer(r)
			if err == nil {
				ids[i] = resp.LoadbalancerId
			}
			errs[i] = err
		}(i)
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Fatalf("replay %d: %s %v (first %s)", i, ids[i], errs[i], ids[0])
		}
	}
	if resp, err := c.ListLoadBalancers(nlb.CreateListLoadBalancersRequest()); err != nil || resp.TotalCount != 1 {
		t.Fatalf("NLBs: %+v %v", resp, err)
	}
}
