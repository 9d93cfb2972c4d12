package nlb

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// TestDesiredGroupAttrs pins the planning decisions of a server group's
// attributes: declared values, the drain timeout only with the drain on,
// no client IP preservation behind TCPSSL, the Local health check on
// healthCheckNodePort, the all-port group's health check port.
func TestDesiredGroupAttrs(t *testing.T) {
	local := func(c *annotations.NLBConfig) {
		c.Backend.Policy, c.Backend.HealthCheckNodePort = annotations.TrafficLocal, 32000
	}
	tests := []struct {
		name  string
		cfg   func(*annotations.NLBConfig)
		proto annotations.NLBProtocol
		rng   *annotations.PortRange
		check func(t *testing.T, a groupAttrs)
	}{
		{name: "nothing declared: the name only", check: func(t *testing.T, a groupAttrs) {
			if *a.Name != "g" || a != (groupAttrs{Name: a.Name}) {
				t.Fatalf("%+v", a)
			}
		}},
		{name: "declared values", cfg: func(c *annotations.NLBConfig) {
			c.ServerGroup.Scheduler, c.ServerGroup.PreserveClientIP = "Wlc", ptrTo(true)
			c.ServerGroup.HealthCheck = annotations.NLBHealthCheck{Enabled: ptrTo(true), Type: "HTTP", ConnectPort: ptrTo(8081),
				ConnectTimeout: ptrTo(3), Interval: ptrTo(4), HealthyThreshold: ptrTo(5), UnhealthyThreshold: ptrTo(6),
				URI: "/hc", Domain: "a.example", Method: "HEAD", HTTPCodes: []string{"http_3xx", "http_2xx"}}
		}, check: func(t *testing.T, a groupAttrs) {
			if *a.Scheduler != "Wlc" || !*a.PreserveClientIP || !*a.HCEnabled || *a.HCType != "HTTP" || *a.HCConnectPort != 8081 ||
				*a.HCConnectTimeout != 3 || *a.HCInterval != 4 || *a.HCHealthy != 5 || *a.HCUnhealthy != 6 || *a.HCURL != "/hc" ||
				*a.HCDomain != "a.example" || *a.HCMethod != "HEAD" || *a.HCCodes != "http_2xx,http_3xx" {
				t.Fatalf("%+v", a)
			}
		}},
		{name: "drain timeout without the drain is not sent", cfg: func(c *annotations.NLBConfig) {
			c.ServerGroup.ConnectionDrain, c.ServerGroup.ConnectionDrainTimeout = ptrTo(false), ptrTo(30)
		}, check: func(t *testing.T, a groupAttrs) {
			if *a.DrainEnabled || a.DrainTimeout != nil {
				t.Fatalf("%+v", a)
			}
		}},
		{name: "drain with its timeout", cfg: func(c *annotations.NLBConfig) {
			c.ServerGroup.ConnectionDrain, c.ServerGroup.ConnectionDrainTimeout = ptrTo(true), ptrTo(30)
		}, check: func(t *testing.T, a groupAttrs) {
			if !*a.DrainEnabled || *a.DrainTimeout != 30 {
				t.Fatalf("%+v", a)
			}
		}},
		{name: "TCPSSL: client IP preservation off unless declared", proto: annotations.NLBProtocolTCPSSL, check: func(t *testing.T, a groupAttrs) {
			if a.PreserveClientIP == nil || *a.PreserveClientIP {
				t.Fatalf("%+v", a)
			}
		}},
		{name: "Local: HTTP check of healthCheckNodePort", cfg: local, check: func(t *testing.T, a groupAttrs) {
			if *a.HCType != "HTTP" || *a.HCConnectPort != 32000 || *a.HCURL != "/healthz" {
				t.Fatalf("%+v", a)
			}
		}},
		{name: "Local with a declared check type keeps it", cfg: func(c *annotations.NLBConfig) {
			local(c)
			c.ServerGroup.HealthCheck.Type = "TCP"
		}, check: func(t *testing.T, a groupAttrs) {
			if *a.HCType != "TCP" || a.HCConnectPort != nil {
				t.Fatalf("%+v", a)
			}
		}},
		{name: "Local UDP: no HTTP check", cfg: local, proto: annotations.NLBProtocolUDP, check: func(t *testing.T, a groupAttrs) {
			if a.HCType != nil {
				t.Fatalf("%+v", a)
			}
		}},
		{name: "Local with ENI backends: members are pods, no node check", cfg: func(c *annotations.NLBConfig) {
			local(c)
			c.Backend.Type = annotations.BackendENI
		}, check: func(t *testing.T, a groupAttrs) {
			if a.HCType != nil {
				t.Fatalf("%+v", a)
			}
		}},
		{name: "port range: the check uses the first port", rng: &annotations.PortRange{Start: 100, End: 200}, check: func(t *testing.T, a groupAttrs) {
			if *a.HCConnectPort != 100 {
				t.Fatalf("%+v", a)
			}
		}},
		{name: "port range with the check off: no port", rng: &annotations.PortRange{Start: 100, End: 200},
			cfg: func(c *annotations.NLBConfig) { c.ServerGroup.HealthCheck.Enabled = ptrTo(false) }, check: func(t *testing.T, a groupAttrs) {
				if a.HCConnectPort != nil {
					t.Fatalf("%+v", a)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc := testService("web", nil)
			cfg := cfgFor(svc)
			if tc.cfg != nil {
				tc.cfg(cfg)
			}
			l := &cfg.Listeners[0]
			if tc.proto != "" {
				l.Protocol = tc.proto
			}
			l.PortRange = tc.rng
			r := New(nil, nil, Options{ClusterID: "c1"})
			tc.check(t, r.desiredGroupAttrs(portsInput{Cfg: cfg, Svc: svc}, l, "g"))
		})
	}
}

// TestDiffGroupAttrs: only declared, different attributes are sent;
// schedulers and check types compare without case.
func TestDiffGroupAttrs(t *testing.T) {
	have := listedGroupAttrs(&sdknlb.ServerGroup{ServerGroupName: "g", Scheduler: "Wrr", PreserveClientIpEnabled: true,
		HealthCheck: sdknlb.HealthCheck{HealthCheckEnabled: true, HealthCheckType: "TCP", HealthCheckHttpCode: []string{"http_2xx"}}})
	tests := []struct {
		name string
		want groupAttrs
		diff groupAttrs
	}{
		{"nothing declared", groupAttrs{}, groupAttrs{}},
		{"scheduler in another case", groupAttrs{Scheduler: ptrTo("wrr"), HCType: ptrTo("tcp")}, groupAttrs{}},
		{"scheduler change", groupAttrs{Scheduler: ptrTo("Sch")}, groupAttrs{Scheduler: ptrTo("Sch")}},
		{"preserve off", groupAttrs{PreserveClientIP: ptrTo(false)}, groupAttrs{PreserveClientIP: ptrTo(false)}},
		{"codes", groupAttrs{HCCodes: ptrTo("http_2xx")}, groupAttrs{}},
		{"codes change", groupAttrs{HCCodes: ptrTo("http_2xx,http_3xx")}, groupAttrs{HCCodes: ptrTo("http_2xx,http_3xx")}},
		{"rename", groupAttrs{Name: ptrTo("h"), HCInterval: ptrTo(9)}, groupAttrs{Name: ptrTo("h"), HCInterval: ptrTo(9)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := diffGroupAttrs(tc.want, have)
			if (d == groupAttrs{}) != (tc.diff == groupAttrs{}) {
				t.Fatalf("diff %+v, want %+v", d, tc.diff)
			}
			if tc.diff.Scheduler != nil && *d.Scheduler != *tc.diff.Scheduler || tc.diff.Name != nil && *d.Name != *tc.diff.Name ||
				tc.diff.HCCodes != nil && *d.HCCodes != *tc.diff.HCCodes || tc.diff.PreserveClientIP != nil && *d.PreserveClientIP ||
				tc.diff.HCInterval != nil && *d.HCInterval != 9 {
				t.Fatalf("diff %+v", d)
			}
		})
	}
}

// TestGroupRequestBuilders pins the server group requests field by field.
func TestGroupRequestBuilders(t *testing.T) {
	svc := testService("web", nil)
	cfg := cfgFor(svc)
	cfg.LB.ResourceGroupID = "rg-1"
	r := New(nil, nil, Options{ClusterID: "c1", VpcID: "vpc-opt"})
	a := groupAttrs{Name: ptrTo("g"), Scheduler: ptrTo("Wlc"), PreserveClientIP: ptrTo(false), DrainEnabled: ptrTo(true), DrainTimeout: ptrTo(10),
		HCEnabled: ptrTo(true), HCType: ptrTo("HTTP"), HCURL: ptrTo("/x"), HCDomain: ptrTo("d"), HCMethod: ptrTo("GET"),
		HCConnectPort: ptrTo(1), HCConnectTimeout: ptrTo(2), HCInterval: ptrTo(3), HCHealthy: ptrTo(4), HCUnhealthy: ptrTo(5), HCCodes: ptrTo("http_2xx,http_4xx")}
	s := &groupSpec{name: "g", typ: annotations.NLBServerGroupIP, protocol: "UDP", anyPort: true, attrs: a}
	req := r.createGroupRequest(portsInput{Cfg: cfg, Svc: svc, LB: &sdknlb.LoadbalancerInfo{}}, s, "", time.Unix(0, 0))
	hc := req.HealthCheckConfig
	if req.ServerGroupName != "g" || req.ServerGroupType != "Ip" || req.Protocol != "UDP" || req.VpcId != "vpc-opt" || req.ResourceGroupId != "rg-1" ||
		req.AnyPortEnabled != "true" || len(*req.Tag) != 3 || req.ClientToken == "" || req.Scheduler != "Wlc" || req.PreserveClientIpEnabled != "false" ||
		req.ConnectionDrainEnabled != "true" || req.ConnectionDrainTimeout != "10" || hc.HealthCheckEnabled != "true" || hc.HealthCheckType != "HTTP" ||
		hc.HealthCheckUrl != "/x" || hc.HealthCheckDomain != "d" || hc.HttpCheckMethod != "GET" || hc.HealthCheckConnectPort != "1" ||
		hc.HealthCheckConnectTimeout != "2" || hc.HealthCheckInterval != "3" || hc.HealthyThreshold != "4" || hc.UnhealthyThreshold != "5" ||
		!slices.Equal(*hc.HealthCheckHttpCode, []string{"http_2xx", "http_4xx"}) {
		t.Fatalf("create request %+v", req)
	}
	tags := map[string]string{}
	for _, tg := range *req.Tag {
		tags[tg.Key] = tg.Value
	}
	if tags[loadbalancer.TagClusterID] != "c1" || tags[loadbalancer.TagServiceUID] != string(svc.UID) || tags[loadbalancer.TagService] != "default/web" {
		t.Fatalf("tags %v", tags)
	}
	up := updateGroupRequest("sgp-1", groupAttrs{HCInterval: ptrTo(7)})
	if up.ServerGroupId != "sgp-1" || up.HealthCheckConfig.HealthCheckInterval != "7" || up.Scheduler != "" || up.ServerGroupName != "" ||
		up.HealthCheckConfig.HealthCheckType != "" || up.HealthCheckConfig.HealthCheckHttpCode != nil || up.PreserveClientIpEnabled != "" {
		t.Fatalf("update request %+v", up)
	}
	full := updateGroupRequest("sgp-1", a)
	if full.ServerGroupName != "g" || full.HealthCheckConfig.UnhealthyThreshold != "5" || full.ConnectionDrainTimeout != "10" ||
		!slices.Equal(*full.HealthCheckConfig.HealthCheckHttpCode, []string{"http_2xx", "http_4xx"}) {
		t.Fatalf("full update request %+v", full)
	}
}

// TestGroupAttributesConverge: a changed health check or scheduler is one
// UpdateServerGroupAttribute; the next reconcile writes nothing.
func TestGroupAttributesConverge(t *testing.T) {
	e := newEnv(t, envOpts{})
	svc := testService("web", nil)
	lb := e.addNLB("nlb-1", ownTags(svc))
	cfg := cfgFor(svc)
	e.mustSync(lb, svc, cfg, false)
	cfg.ServerGroup.Scheduler = "Sch"
	cfg.ServerGroup.HealthCheck.Interval, cfg.ServerGroup.ConnectionDrain, cfg.ServerGroup.ConnectionDrainTimeout = ptrTo(7), ptrTo(true), ptrTo(60)
	if w := e.mustSync(lb, svc, cfg, false); !slices.Equal(w, []string{"UpdateServerGroupAttribute"}) {
		t.Fatalf("writes %v", w)
	}
	g := e.ourGroups(svc)["k8s.80.TCP.web.default.c-test"]
	if g.Scheduler != "Sch" || g.HealthCheck.HealthCheckInterval != 7 || !g.ConnectionDrainEnabled || g.ConnectionDrainTimeout != 60 {
		t.Fatalf("group %+v", g)
	}
	if w := e.mustSync(lb, svc, cfg, false); len(w) != 0 {
		t.Fatalf("no-op wrote %v", w)
	}
}

// TestGroupTypeChangeRecreates: Instance to Ip makes a new group, moves
// the listener and deletes the old group.
func TestGroupTypeChangeRecreates(t *testing.T) {
	e := newEnv(t, envOpts{})
	svc := testService("web", nil)
	lb := e.addNLB("nlb-1", ownTags(svc))
	cfg := cfgFor(svc)
	e.mustSync(lb, svc, cfg, false)
	cfg.ServerGroup.Type = annotations.NLBServerGroupIP
	w := e.mustSync(lb, svc, cfg, false)
	if !slices.Equal(w, []string{"CreateServerGroup", "AddServersToServerGroup", "UpdateListenerAttribute", "DeleteServerGroup"}) {
		t.Fatalf("writes %v", w)
	}
	gs := e.ourGroups(svc)
	g := gs["k8s.80.TCP.web.default.c-test"]
	if len(gs) != 1 || g.ServerGroupType != "Ip" || e.listeners(lb.LoadBalancerId)[0].ServerGroupId != g.ServerGroupId {
		t.Fatalf("groups %+v", gs)
	}
}

// TestGroupsOfOtherServicesUntouched: another Service's and a user's
// groups (even one named like ours) are never changed or deleted.
func TestGroupsOfOtherServicesUntouched(t *testing.T) {
	other := testService("other", nil)
	e := newEnv(t, envOpts{seed: func(s *emulator.SeedState) {
		s.NLBServerGroups = append(s.NLBServerGroups,
			emulator.SeedNLBServerGroup{ServerGroupID: "sgp-other", Name: "k8s.80.TCP.web.default.c-test", VpcID: testVPC, Tags: ownTags(other)},
			emulator.SeedNLBServerGroup{ServerGroupID: "sgp-user", Name: "k8s.80.TCP.web.default.c-test", VpcID: testVPC})
	}})
	svc := testService("web", nil)
	lb := e.addNLB("nlb-1", ownTags(svc))
	e.mustSync(lb, svc, cfgFor(svc), false)
	if _, err := e.r.deletePorts(t.Context(), lb.LoadBalancerId, svc); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, g := range e.groups() {
		ids = append(ids, g.ServerGroupId)
	}
	if !slices.Equal(ids, []string{"sgp-other", "sgp-user"}) {
		t.Fatalf("groups left %v", ids)
	}
}

// TestUserGroupChecks pins the refusals of vgroup-port groups: missing,
// created by a CCM, another VPC, another type.
func TestUserGroupChecks(t *testing.T) {
	svc := testService("web", nil)
	tests := []struct {
		name string
		g    *sdknlb.ServerGroup
		want string
	}{
		{"missing", nil, "does not exist"},
		{"ours", &sdknlb.ServerGroup{ServerGroupType: "Instance", VpcId: testVPC, Tags: []sdknlb.Tag{{Key: loadbalancer.TagServiceUID, Value: "u"}}}, "cloud controller manager"},
		{"the official CCM's", &sdknlb.ServerGroup{ServerGroupType: "Instance", VpcId: testVPC, Tags: []sdknlb.Tag{{TagKey: loadbalancer.TagOfficialOwner, TagValue: "a1"}}}, "cloud controller manager"},
		{"another VPC", &sdknlb.ServerGroup{ServerGroupType: "Instance", VpcId: "vpc-x"}, "VPC vpc-x"},
		{"another type", &sdknlb.ServerGroup{ServerGroupType: "Ip", VpcId: testVPC}, "server-group-type"},
		{"fine", &sdknlb.ServerGroup{ServerGroupType: "Instance", VpcId: testVPC}, ""},
	}
	r := New(nil, nil, Options{ClusterID: "c1"})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := r.checkUserGroup(portsInput{Svc: svc, Cfg: cfgFor(svc), LB: &sdknlb.LoadbalancerInfo{VpcId: testVPC}}, "sgp-1", tc.g)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "vgroup-port")) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestGroupNames pins names and descriptions: the official CCM's form,
// sanitised and bounded.
func TestGroupNames(t *testing.T) {
	svc := testService("web", nil)
	l := &annotations.NLBListener{Port: 80, Protocol: annotations.NLBProtocolUDP}
	if n := groupName(svc, l, "c/1"); n != "k8s.80.UDP.web.default.c-1" {
		t.Fatal(n)
	}
	long := testService(strings.Repeat("a", 63), nil)
	long.Namespace = strings.Repeat("n", 63)
	if n := groupName(long, l, strings.Repeat("c", 40)); len(n) != maxNameLen {
		t.Fatalf("len %d", len(n))
	}
	if d := listenerDescription(svc, &annotations.NLBListener{PortRange: &annotations.PortRange{Start: 1, End: 9}, Protocol: "TCP"}, "c"); d != "k8s.1_9.TCP.web.default.c" {
		t.Fatal(d)
	}
	if d := serverDescription(svc, "c 1"); d != "k8s.web.default.c-1" {
		t.Fatal(d)
	}
	if groupProtocol(annotations.NLBProtocolTCPSSL) != "TCP" || groupProtocol(annotations.NLBProtocolUDP) != "UDP" {
		t.Fatal("group protocols")
	}
}

// TestServerOwnership pins which members of a server group the Service
// may change: only those whose description proves them the Service's in
// this cluster (ours, or the official CCM's named key of the same Service),
// in the user's groups of vgroup-port and in our own groups alike. Others
// are never removed or changed, even where they have the key of a member
// the Service wants.
func TestServerOwnership(t *testing.T) {
	ours := serverDescription(testService("web", nil), testCluster)
	tests := []struct {
		name string
		// inUser: the seeded members are in the user's group of vgroup-port;
		// else they are added by hand to our group after it was created.
		inUser bool
		seeded []emulator.SeedNLBServer
		want   []string // the group's members after the sync, with their descriptions
		writes []string
	}{
		{name: "user's group: the user's member with the key of one of ours is left, the others are added", inUser: true,
			seeded: []emulator.SeedNLBServer{{ServerID: nodeID(0), Type: "Ecs", Port: 30080, Weight: ptrTo(7), Description: "user-made"}},
			want:   []string{"Ecs/i-node0000:30080(w7) user-made", "Ecs/i-node0001:30080(w100) " + ours, "Ecs/i-node0002:30080(w100) " + ours},
			writes: []string{"AddServersToServerGroup", "CreateListener"}},
		{name: "user's group: our member of a node gone is removed", inUser: true,
			seeded: []emulator.SeedNLBServer{{ServerID: nodeID(3), Type: "Ecs", Port: 30080, Description: ours}},
			want:   []string{"Ecs/i-node0000:30080(w100) " + ours, "Ecs/i-node0001:30080(w100) " + ours, "Ecs/i-node0002:30080(w100) " + ours},
			writes: []string{"AddServersToServerGroup", "CreateListener", "RemoveServersFromServerGroup"}},
		{name: "user's group: the official CCM's member of this Service is ours (removed when not wanted, relabelled when wanted)", inUser: true,
			seeded: []emulator.SeedNLBServer{{ServerID: nodeID(3), Type: "Ecs", Port: 30080, Description: "k8s.80.TCP.web.default." + testCluster},
				{ServerID: nodeID(0), Type: "Ecs", Port: 30080, Description: "k8s.80.TCP.web.default." + testCluster}},
			want:   []string{"Ecs/i-node0000:30080(w100) " + ours, "Ecs/i-node0001:30080(w100) " + ours, "Ecs/i-node0002:30080(w100) " + ours},
			writes: []string{"AddServersToServerGroup", "CreateListener", "RemoveServersFromServerGroup", "UpdateServerGroupServersAttribute"}},
		{name: "user's group: the official CCM's member of another Service or cluster is left", inUser: true,
			seeded: []emulator.SeedNLBServer{{ServerID: nodeID(3), Type: "Ecs", Port: 30080, Description: "k8s.80.TCP.api.default." + testCluster},
				{ServerID: nodeID(3), Type: "Ecs", Port: 30081, Description: "k8s.80.TCP.web.default.c-other"}},
			want: []string{"Ecs/i-node0000:30080(w100) " + ours, "Ecs/i-node0001:30080(w100) " + ours, "Ecs/i-node0002:30080(w100) " + ours,
				"Ecs/i-node0003:30080(w100) k8s.80.TCP.api.default." + testCluster, "Ecs/i-node0003:30081(w100) k8s.80.TCP.web.default.c-other"},
			writes: []string{"AddServersToServerGroup", "CreateListener"}},
		{name: "our group: a member added by hand is left",
			seeded: []emulator.SeedNLBServer{{ServerID: nodeID(3), Type: "Ecs", Port: 9000, Description: "hand-made"}},
			want: []string{"Ecs/i-node0000:30080(w100) " + ours, "Ecs/i-node0001:30080(w100) " + ours, "Ecs/i-node0002:30080(w100) " + ours,
				"Ecs/i-node0003:9000(w100) hand-made"}},
		{name: "our group: a member added by hand without a description is left",
			seeded: []emulator.SeedNLBServer{{ServerID: nodeID(3), Type: "Ecs", Port: 9000}},
			want: []string{"Ecs/i-node0000:30080(w100) " + ours, "Ecs/i-node0001:30080(w100) " + ours, "Ecs/i-node0002:30080(w100) " + ours,
				"Ecs/i-node0003:9000(w100) "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{nodes: 4, seed: func(s *emulator.SeedState) {
				g := emulator.SeedNLBServerGroup{ServerGroupID: "sgp-user", Name: "user", VpcID: testVPC}
				if tc.inUser {
					g.Servers = tc.seeded
				}
				s.NLBServerGroups = append(s.NLBServerGroups, g)
			}})
			e.nodes = e.nodes[:3]
			svc := testService("web", nil)
			cfg := cfgFor(svc)
			var lb *sdknlb.LoadbalancerInfo
			groupID := "sgp-user"
			if tc.inUser {
				lb = e.addNLB("nlb-user", nil)
				cfg.LB.ReuseID = "nlb-user"
				cfg.Backend.VGroupPorts = map[int32]string{80: "sgp-user"}
			} else {
				lb = e.addNLB("nlb-1", ownTags(svc))
				e.mustSync(lb, svc, cfg, false)
				groupID = e.ourGroups(svc)["k8s.80.TCP.web.default.c-test"].ServerGroupId
				var add []sdknlb.AddServersToServerGroupServers
				for _, s := range tc.seeded {
					add = append(add, sdknlb.AddServersToServerGroupServers{ServerId: s.ServerID, ServerType: s.Type, Port: strconv.Itoa(s.Port),
						Weight: "100", Description: s.Description})
				}
				if _, err := e.api.AddServers(context.Background(), groupID, add); err != nil {
					t.Fatal(err)
				}
				e.clock.Advance(time.Minute)
			}
			w := e.mustSync(lb, svc, cfg, tc.inUser)
			slices.Sort(w)
			if !slices.Equal(w, tc.writes) {
				t.Fatalf("writes %v, want %v", w, tc.writes)
			}
			var got []string
			for _, s := range e.servers(groupID) {
				got = append(got, listedServer(s).String()+" "+s.Description)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("members\n%v\nwant\n%v", got, tc.want)
			}
		})
	}
}
