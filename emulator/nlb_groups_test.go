package emulator

import (
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// TestNLBServerGroupAttributes round-trips CreateServerGroup and
// UpdateServerGroupAttribute settings through ListServerGroups.
func TestNLBServerGroupAttributes(t *testing.T) {
	fc := NewFakeClock(time.Now())
	_, c := nlbEnv(t, withJobs(fc, 3*time.Second))
	r := nlb.CreateCreateServerGroupRequest()
	r.ServerGroupName, r.VpcId, r.Scheduler = "k8s.53.UDP.dns", testVPC, "qch"
	r.Protocol, r.ConnectionDrainEnabled, r.ConnectionDrainTimeout = "UDP", requests.NewBoolean(true), requests.NewInteger(30)
	r.HealthCheckConfig = nlb.CreateServerGroupHealthCheckConfig{HealthCheckType: "HTTP", HealthCheckUrl: "/healthz",
		HealthCheckHttpCode: &[]string{"http_2xx", "http_3xx"}, HealthCheckInterval: "5", HealthyThreshold: "3"}
	r.Tag = &[]nlb.CreateServerGroupTag{{Key: "owner", Value: "ccm"}}
	resp, err := c.CreateServerGroup(r)
	if err != nil {
		t.Fatal(err)
	}
	list := func() nlb.ServerGroup {
		l := nlb.CreateListServerGroupsRequest()
		l.ServerGroupIds = &[]string{resp.ServerGroupId}
		lr, err := c.ListServerGroups(l)
		if err != nil || lr.TotalCount != 1 {
			t.Fatalf("ListServerGroups: %+v %v", lr, err)
		}
		return lr.ServerGroups[0]
	}
	g := list()
	if g.ServerGroupStatus != "Creating" || g.Scheduler != "Qch" || !g.PreserveClientIpEnabled || g.HealthCheck.HealthCheckDomain != "$SERVER_IP" || g.ServerGroupType != "Instance" || !g.ConnectionDrainEnabled ||
		g.ConnectionDrainTimeout != 30 || g.HealthCheck.HealthCheckType != "HTTP" || g.HealthCheck.HealthCheckUrl != "/healthz" ||
		len(g.HealthCheck.HealthCheckHttpCode) != 2 || g.HealthCheck.HealthCheckInterval != 5 || g.HealthCheck.HealthyThreshold != 3 ||
		g.HealthCheck.UnhealthyThreshold != 2 || !g.HealthCheck.HealthCheckEnabled || len(g.Tags) != 1 {
		t.Fatalf("group: %+v", g)
	}
	u := nlb.CreateUpdateServerGroupAttributeRequest()
	u.ServerGroupId, u.Scheduler = resp.ServerGroupId, "Rr"
	_, err = c.UpdateServerGroupAttribute(u)
	wantErr(t, err, "IncorrectStatus.serverGroup", 400)
	fc.Advance(3 * time.Second)
	u = nlb.CreateUpdateServerGroupAttributeRequest()
	u.ServerGroupId, u.Scheduler, u.PreserveClientIpEnabled = resp.ServerGroupId, "rr", requests.NewBoolean(false)
	u.HealthCheckConfig = nlb.UpdateServerGroupAttributeHealthCheckConfig{HealthCheckEnabled: "false"}
	if _, err := c.UpdateServerGroupAttribute(u); err != nil {
		t.Fatal(err)
	}
	if g := list(); g.ServerGroupStatus != "Configuring" || g.Scheduler != "Rr" || g.PreserveClientIpEnabled ||
		g.HealthCheck.HealthCheckEnabled || g.HealthCheck.HealthCheckUrl != "/healthz" {
		t.Fatalf("after update: %+v", g)
	}
	fc.Advance(3 * time.Second)
	for _, tc := range []struct {
		name string
		mod  func(*nlb.CreateServerGroupRequest)
		code string
	}{
		{"no name", func(r *nlb.CreateServerGroupRequest) { r.ServerGroupName = "" }, "MissingParam.ServerGroupName"},
		{"bad type", func(r *nlb.CreateServerGroupRequest) { r.ServerGroupType = "Fargate" }, "IllegalParam.ServerGroupType"},
		{"qch on tcp", func(r *nlb.CreateServerGroupRequest) { r.Scheduler = "Qch" }, "IllegalParam.Scheduler"},
		{"bad interval", func(r *nlb.CreateServerGroupRequest) {
			r.HealthCheckConfig = nlb.CreateServerGroupHealthCheckConfig{HealthCheckInterval: "99"}
		}, "IllegalParam.HealthCheckInterval"},
		{"bad url", func(r *nlb.CreateServerGroupRequest) {
			r.HealthCheckConfig = nlb.CreateServerGroupHealthCheckConfig{HealthCheckType: "HTTP", HealthCheckUrl: "healthz"}
		}, "IlleagalParam.healthCheckUrl"},
		{"all ports without a health check port", func(r *nlb.CreateServerGroupRequest) { r.AnyPortEnabled = requests.NewBoolean(true) },
			"IllegalParam.AnyPortServerGroupConflictWithHealthCheckConfig"},
		{"dry run", func(r *nlb.CreateServerGroupRequest) { r.DryRun = requests.NewBoolean(true) }, "DryRunOperation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := nlb.CreateCreateServerGroupRequest()
			r.ServerGroupName, r.VpcId = "grp", testVPC
			tc.mod(r)
			_, err := c.CreateServerGroup(r)
			wantErr(t, err, tc.code, 400)
		})
	}
	d := nlb.CreateDeleteServerGroupRequest()
	d.ServerGroupId = resp.ServerGroupId
	if _, err := c.DeleteServerGroup(d); err != nil {
		t.Fatal(err)
	}
	if g := list(); g.ServerGroupStatus != "Deleting" {
		t.Fatalf("status %s", g.ServerGroupStatus)
	}
	fc.Advance(3 * time.Second)
	if lr, err := c.ListServerGroups(nlb.CreateListServerGroupsRequest()); err != nil || lr.TotalCount != 0 {
		t.Fatalf("after delete: %+v %v", lr, err)
	}
}

// TestNLBServers covers members of Instance (Ecs, Eni, Eci) and Ip groups,
// the per-call and per-group limits and the documented refusals.
func TestNLBServers(t *testing.T) {
	e, c := nlbEnv(t, func(cfg *Config) { cfg.Limits.NLBServersPerCall, cfg.Limits.NLBServersPerGroup = 3, 4 })
	if err := e.Seed(SeedState{ENIs: []ENI{{NetworkInterfaceID: "eni-pods", Type: "Secondary", InstanceID: testInst1,
		VpcID: testVPC, VSwitchID: testVSWH, PrimaryIP: "192.168.0.50", SecondaryIPs: []string{"192.168.0.51"}}}}); err != nil {
		t.Fatal(err)
	}
	inst := mustGroupNLB(t, c, "Instance", "TCP", false)
	ipg := mustGroupNLB(t, c, "Ip", "TCP", false)
	ecs := func(id, port string) nlb.AddServersToServerGroupServers {
		return nlb.AddServersToServerGroupServers{ServerId: id, ServerType: "Ecs", Port: port, Weight: "50"}
	}
	if _, err := addServers(c, inst, ecs(testInst1, "30080"), ecs(testInst3, "30080"),
		nlb.AddServersToServerGroupServers{ServerId: "eni-pods", ServerType: "Eni", ServerIp: "192.168.0.51", Port: "8080"}); err != nil {
		t.Fatal(err)
	}
	got := groupServers(t, c, inst)
	if len(got) != 3 || got[0].ServerIp != "192.168.0.11" || got[0].Weight != 50 || got[1].ZoneId != "cn-hangzhou-i" || got[2].Weight != 100 {
		t.Fatalf("servers: %+v", got)
	}
	cases := []struct {
		name    string
		group   string
		servers []nlb.AddServersToServerGroupServers
		code    string
		status  int
	}{
		{"too many per call", inst, []nlb.AddServersToServerGroupServers{ecs(testInst2, "1"), ecs(testInst2, "2"), ecs(testInst2, "3"), ecs(testInst2, "4")}, "IllegalParam.Servers", 400},
		{"over the group quota", inst, []nlb.AddServersToServerGroupServers{ecs(testInst2, "1"), ecs(testInst2, "2")}, "QuotaExceeded.QuotaInsufficient", 400},
		{"already a member", inst, []nlb.AddServersToServerGroupServers{ecs(testInst1, "30080")}, "DuplicatedParam.Server", 400},
		{"twice in a call", inst, []nlb.AddServersToServerGroupServers{ecs(testInst2, "1"), ecs(testInst2, "1")}, "DuplicatedParam.Server", 400},
		{"unknown instance", inst, []nlb.AddServersToServerGroupServers{ecs("i-nope", "1")}, "ResourceNotFound.Ecs", 404},
		{"eni without ip", inst, []nlb.AddServersToServerGroupServers{{ServerId: "eni-pods", ServerType: "Eni", Port: "1"}}, "MissingParam.IP", 400},
		{"ip not on the eni", inst, []nlb.AddServersToServerGroupServers{{ServerId: "eni-pods", ServerType: "Eni", ServerIp: "192.168.0.99", Port: "1"}}, "IllegalParam.IP", 400},
		{"ip member in an instance group", inst, []nlb.AddServersToServerGroupServers{{ServerId: "192.168.0.60", ServerType: "Ip", Port: "1"}}, "Mismatch.ServerType", 400},
		{"ecs member in an ip group", ipg, []nlb.AddServersToServerGroupServers{ecs(testInst1, "1")}, "Mismatch.ServerType", 400},
		{"not an ip", ipg, []nlb.AddServersToServerGroupServers{{ServerId: "pod-a", ServerType: "Ip", Port: "1"}}, "IllegalParam.IP", 400},
		{"port 0 on a one-port group", ipg, []nlb.AddServersToServerGroupServers{{ServerId: "192.168.0.60", ServerType: "Ip"}}, "IllegalParam.RSPortConflictWithServerGroup", 400},
		{"bad weight", ipg, []nlb.AddServersToServerGroupServers{{ServerId: "192.168.0.60", ServerType: "Ip", Port: "1", Weight: "101"}}, "IllegalParam.Weight", 400},
		{"unknown group", "sgp-nope", []nlb.AddServersToServerGroupServers{ecs(testInst1, "1")}, "ResourceNotFound.serverGroup", 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := addServers(c, tc.group, tc.servers...)
			wantErr(t, err, tc.code, tc.status)
		})
	}
	if _, err := addServers(c, ipg, nlb.AddServersToServerGroupServers{ServerId: "10.0.0.7", ServerType: "Ip", Port: "8080"}); err != nil {
		t.Fatalf("an Ip member (any address): %v", err)
	}
	u := nlb.CreateUpdateServerGroupServersAttributeRequest()
	u.ServerGroupId = inst
	u.Servers = &[]nlb.UpdateServerGroupServersAttributeServers{{ServerId: testInst1, ServerType: "Ecs", Port: "30080", Weight: "0", Description: "draining"}}
	if _, err := c.UpdateServerGroupServersAttribute(u); err != nil {
		t.Fatal(err)
	}
	if got := groupServers(t, c, inst); got[0].Weight != 0 || got[0].Description != "draining" || got[1].Weight != 50 {
		t.Fatalf("after update: %+v", got)
	}
	rm := nlb.CreateRemoveServersFromServerGroupRequest()
	rm.ServerGroupId = inst
	rm.Servers = &[]nlb.RemoveServersFromServerGroupServers{{ServerId: testInst1, ServerType: "Ecs", Port: "30080"}, {ServerId: testInst2, ServerType: "Ecs", Port: "30080"}}
	_, err := c.RemoveServersFromServerGroup(rm)
	wantErr(t, err, "ResourceNotFound.BackendServer", 404)
	rm = nlb.CreateRemoveServersFromServerGroupRequest()
	rm.ServerGroupId = inst
	rm.Servers = &[]nlb.RemoveServersFromServerGroupServers{{ServerId: testInst1, ServerType: "Ecs", Port: "30080"}}
	if _, err := c.RemoveServersFromServerGroup(rm); err != nil {
		t.Fatal(err)
	}
	l := nlb.CreateListServerGroupServersRequest()
	l.ServerGroupId, l.MaxResults = inst, requests.NewInteger(1)
	lr, err := c.ListServerGroupServers(l)
	if err != nil || lr.TotalCount != 2 || len(lr.Servers) != 1 || lr.NextToken == "" || lr.Servers[0].ServerId != testInst3 {
		t.Fatalf("paged list: %+v %v", lr, err)
	}
	l = nlb.CreateListServerGroupServersRequest()
	l.ServerIps = &[]string{"10.0.0.7"}
	if lr, err := c.ListServerGroupServers(l); err != nil || lr.TotalCount != 1 || lr.Servers[0].ServerGroupId != ipg {
		t.Fatalf("list by IP across groups: %+v %v", lr, err)
	}
}

// TestNLBConflictLock: two writes to one server group that overlap in
// flight (held by injected latency) get Conflict.Lock for the second.
func TestNLBConflictLock(t *testing.T) {
	e, c := nlbEnv(t)
	g := mustGroupNLB(t, c, "Instance", "TCP", false)
	e.SetFaults(FaultProfile{Latency: map[string]LatencySpec{"Nlb.AddServersToServerGroup": {Fixed: Duration(300 * time.Millisecond)}}})
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		ci := nlbClient(t, c.Domain)
		go func(i int) {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 100 * time.Millisecond)
			_, errs[i] = addServers(ci, g, nlb.AddServersToServerGroupServers{ServerId: testInst1, ServerType: "Ecs", Port: itoa(100 + i)})
		}(i)
	}
	wg.Wait()
	if errs[0] != nil {
		t.Fatal(errs[0])
	}
	wantErr(t, errs[1], "Conflict.Lock", 400)
}

// TestNLBMemberQuotas covers the servers-per-NLB, memberships-per-server
// and listeners-per-group quotas, from both directions (adding members to
// a group behind an NLB, and putting a full group behind an NLB).
func TestNLBMemberQuotas(t *testing.T) {
	_, c := nlbEnv(t, func(cfg *Config) {
		cfg.Limits.NLBServersPerLB, cfg.Limits.NLBGroupsPerServer, cfg.Limits.NLBListenersPerGroup = 2, 3, 2
	})
	lb := mustNLB(t, c)
	ip := func(addr string) nlb.AddServersToServerGroupServers {
		return nlb.AddServersToServerGroupServers{ServerId: addr, ServerType: "Ip", Port: "80"}
	}
	a, b := mustGroupNLB(t, c, "Ip", "TCP", false), mustGroupNLB(t, c, "Ip", "TCP", false)
	if _, err := c.CreateListener(tcpListenerReq(lb, a, 80)); err != nil {
		t.Fatal(err)
	}
	if _, err := addServers(c, a, ip("10.0.0.1"), ip("10.0.0.2")); err != nil {
		t.Fatal(err)
	}
	_, err := addServers(c, a, ip("10.0.0.3"))
	wantErr(t, err, "QuotaExceeded.QuotaInsufficient", 400) // 3 servers behind the NLB
	if _, err := addServers(c, b, ip("10.0.0.3")); err != nil {
		t.Fatalf("a group behind no NLB: %v", err)
	}
	_, err = c.CreateListener(tcpListenerReq(lb, b, 81))
	wantErr(t, err, "QuotaExceeded.QuotaInsufficient", 400) // b brings a third server
	if _, err := c.CreateListener(tcpListenerReq(lb, a, 82)); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateListener(tcpListenerReq(lb, a, 83))
	wantErr(t, err, "QuotaExceeded.QuotaInsufficient", 400) // a serves 2 listeners already
	third := mustGroupNLB(t, c, "Ip", "TCP", false)
	if _, err := addServers(c, third, ip("10.0.0.1")); err != nil {
		t.Fatal(err)
	}
	if _, err := addServers(c, b, ip("10.0.0.1")); err != nil {
		t.Fatal(err)
	}
	_, err = addServers(c, mustGroupNLB(t, c, "Ip", "TCP", false), ip("10.0.0.1"))
	wantErr(t, err, "QuotaExceeded.QuotaInsufficient", 400) // 10.0.0.1 is in 3 groups
}
