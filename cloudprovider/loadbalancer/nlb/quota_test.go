package nlb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// The quota walls of the NLB engine: a plan that cannot fit a documented
// NLB quota is found before the Service's first write, with a Warning
// Event naming the quota, the number needed and the limit. The emulator
// enforces the same quotas (its defaults are the documented ones), so a
// plan the engine let through would fail there.

// userIPGroup seeds a user's Ip server group with n members and a
// listener of the NLB on port 9000 using it.
func userIPGroup(n int) func(*emulator.SeedState) {
	return func(s *emulator.SeedState) {
		g := emulator.SeedNLBServerGroup{ServerGroupID: "sgp-user", Name: "user", Type: "Ip", VpcID: testVPC}
		for i := 0; i < n; i++ {
			ip := fmt.Sprintf("192.168.%d.%d", 100+i/200, 10+i%200)
			g.Servers = append(g.Servers, emulator.SeedNLBServer{ServerID: ip, Type: "Ip", ServerIP: ip, Port: 9000})
		}
		s.NLBServerGroups = append(s.NLBServerGroups, g)
	}
}

// node0Groups seeds n server groups of another cluster's Services, each
// with node 0 as a member.
func node0Groups(n int) func(*emulator.SeedState) {
	return func(s *emulator.SeedState) {
		for i := 0; i < n; i++ {
			s.NLBServerGroups = append(s.NLBServerGroups, emulator.SeedNLBServerGroup{ServerGroupID: fmt.Sprintf("sgp-other%d", i),
				Name: fmt.Sprintf("other%d", i), VpcID: testVPC, Servers: []emulator.SeedNLBServer{{ServerID: nodeID(0), Type: "Ecs", Port: 31000 + i}}})
		}
	}
}

// quotaEvent checks that the events hold one QuotaExceeded Warning naming
// quota, need and limit.
func quotaEvent(t *testing.T, evs []string, quota string, need, limit int) {
	t.Helper()
	for _, ev := range evs {
		if strings.Contains(ev, v1.EventTypeWarning+" "+loadbalancer.ReasonQuotaExceeded) && strings.Contains(ev, quota) &&
			strings.Contains(ev, fmt.Sprintf("needs %d", need)) && strings.Contains(ev, fmt.Sprintf("quota is %d", limit)) {
			return
		}
	}
	t.Fatalf("no %s Warning naming %s, %d needed and the limit %d in %q", loadbalancer.ReasonQuotaExceeded, quota, need, limit, evs)
}

// TestNewNLBQuotaWall: a Service without an NLB whose plan passes a quota
// gets the Warning and no cloud write at all (no NLB); raised quotas in
// Options let the same plan through.
func TestNewNLBQuotaWall(t *testing.T) {
	ports := func(n int) []svcPort {
		var out []svcPort
		for i := 0; i < n; i++ {
			out = append(out, svcPort{port: int32(1000 + i), nodePort: int32(30000 + i)})
		}
		return out
	}
	tests := []struct {
		name        string
		nodes       int
		ports       int
		quotas      Quotas
		seed        func(*emulator.SeedState)
		quota       string
		need, limit int
	}{
		{name: "node 0 in two groups already, two more for the Service's ports", nodes: 3, ports: 2, seed: node0Groups(2),
			quotas: Quotas{GroupsPerServer: 3}, quota: quotaServerAdded, need: 4, limit: 3},
		{name: "node 0 in two groups, room for one more", nodes: 3, ports: 1, seed: node0Groups(2), quotas: Quotas{GroupsPerServer: 3}},
		{name: "a server group of 401 nodes", nodes: 401, ports: 1, quota: quotaGroupServers, need: 401, limit: 400},
		{name: "51 ports", nodes: 1, ports: 51, quota: quotaListeners, need: 51, limit: 50},
		{name: "a lowered servers-per-NLB quota", nodes: 5, ports: 2, quotas: Quotas{ServersPerNLB: 4}, quota: quotaNLBServers, need: 5, limit: 4},
		{name: "a raised servers-per-group quota lets 401 nodes through", nodes: 401, ports: 1, quotas: Quotas{ServersPerGroup: 500, ServersPerNLB: 500}},
		{name: "a raised listener quota lets 51 ports through", nodes: 1, ports: 51, quotas: Quotas{ListenersPerNLB: 60}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := engineEnv(t, envOpts{nodes: tc.nodes, seed: tc.seed, options: func(o *Options) { o.Quotas = tc.quotas }})
			svc := testService("web", nil, ports(tc.ports)...)
			e.emu.ResetAudit()
			_, err := e.step(svc, e.config(svc, nil))
			if tc.quota == "" {
				if e.count("CreateLoadBalancer") != 1 {
					t.Fatalf("err %v, calls %v: the NLB is created", err, e.calls())
				}
				return
			}
			var qe *QuotaError
			if !errors.As(err, &qe) || qe.Quota != tc.quota || qe.Need != tc.need || qe.Limit != tc.limit {
				t.Fatalf("err = %v, want a QuotaError of %s (%d > %d)", err, tc.quota, tc.need, tc.limit)
			}
			quotaEvent(t, e.drainEvents(), tc.quota, tc.need, tc.limit)
			if w := e.writes(); len(w) != 0 {
				t.Fatalf("wrote %v before the quota wall", w)
			}
			if len(e.lbs()) != 0 {
				t.Fatal("an NLB was created")
			}
		})
	}
}

// TestExistingNLBQuotaWall: on an NLB that exists, a change whose end
// state passes a quota is refused before any write of the port level (no
// server group, listener or member write), in the full reconcile and in
// the backend-only sync, while the members already there stay.
func TestExistingNLBQuotaWall(t *testing.T) {
	tests := []struct {
		name  string
		nodes int
		// first are the nodes of the first, converged sync; all nodes
		// come in the second.
		first        int
		seed         func(*emulator.SeedState)
		reused       bool
		backendsOnly bool
		quotas       Quotas
		quota        string
		need, limit  int
	}{
		{name: "a node in three groups joins a fourth", nodes: 3, first: 0, seed: node0Groups(3),
			quotas: Quotas{GroupsPerServer: 3}, quota: quotaServerAdded, need: 4, limit: 3},
		{name: "a node in three groups joins a fourth, backend-only sync", nodes: 3, first: 0, seed: node0Groups(3), backendsOnly: true,
			quotas: Quotas{GroupsPerServer: 3}, quota: quotaServerAdded, need: 4, limit: 3},
		{name: "a node joins a full server group", nodes: 401, first: 400, quota: quotaGroupServers, need: 401, limit: 400},
		{name: "a node joins a full server group, backend-only sync", nodes: 401, first: 400, backendsOnly: true,
			quota: quotaGroupServers, need: 401, limit: 400},
		{name: "the user's group on a reused NLB fills the servers-per-NLB quota", nodes: 101, first: 100, seed: userIPGroup(300),
			reused: true, quota: quotaNLBServers, need: 401, limit: 400},
		{name: "the same, backend-only sync (listeners read for the count)", nodes: 101, first: 100, seed: userIPGroup(300),
			reused: true, backendsOnly: true, quota: quotaNLBServers, need: 401, limit: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{nodes: tc.nodes, seed: tc.seed, options: func(o *Options) { o.Quotas = tc.quotas }})
			all := e.nodes
			svc := testService("web", nil)
			tags := ownTags(svc)
			var ls []emulator.SeedNLBListener
			if tc.reused {
				tags = nil
				ls = []emulator.SeedNLBListener{{Protocol: "TCP", Port: 9000, ServerGroupID: "sgp-user", Description: "user"}}
			}
			lb := e.addNLB("nlb-1", tags, ls...)
			cfg := cfgFor(svc)
			if tc.reused {
				cfg.LB.ReuseID = "nlb-1"
			}
			e.nodes = all[:tc.first]
			e.mustSync(lb, svc, cfg, tc.reused)
			g := e.ourGroups(svc)["k8s.80.TCP.web.default.c-test"]
			before := e.serverKeys(g.ServerGroupId)
			e.drainEvents()
			e.nodes = all
			e.emu.ResetAudit()
			_, err := e.r.syncPorts(context.Background(), portsInput{LB: lb, Reused: tc.reused, Cfg: cfg, Svc: svc, Nodes: e.nodes, BackendsOnly: tc.backendsOnly})
			var qe *QuotaError
			if !errors.As(err, &qe) || qe.Quota != tc.quota || qe.Need != tc.need || qe.Limit != tc.limit {
				t.Fatalf("err = %v, want a QuotaError of %s (%d > %d)", err, tc.quota, tc.need, tc.limit)
			}
			quotaEvent(t, e.drainEvents(), tc.quota, tc.need, tc.limit)
			if w := e.writes(); len(w) != 0 {
				t.Fatalf("wrote %v past the quota wall", w)
			}
			if got := e.serverKeys(g.ServerGroupId); !slices.Equal(got, before) {
				t.Fatal("the members changed")
			}
		})
	}
}

// TestFullGroupSwapRemovesFirst: a group at its quota whose node set is
// swapped (one node out, one in) would pass the quota if the add went
// first, as it does otherwise (no capacity loss): the removal goes first
// and the add follows in the next reconcile, and the emulator, which
// enforces the same quota, accepts every call. With room in the group the
// add goes first.
func TestFullGroupSwapRemovesFirst(t *testing.T) {
	tests := []struct {
		name  string
		nodes int
		// swap runs on nodes[1:]; the first sync on nodes[:nodes-1].
		rounds [][]string
	}{
		{name: "a full group: remove, then add", nodes: 401,
			rounds: [][]string{{"RemoveServersFromServerGroup"}, {"AddServersToServerGroup"}, nil}},
		{name: "room in the group: add, then remove", nodes: 5,
			rounds: [][]string{{"AddServersToServerGroup"}, {"RemoveServersFromServerGroup"}, nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{nodes: tc.nodes, jobs: time.Second})
			all := e.nodes
			svc := testService("web", nil)
			lb := e.addNLB("nlb-1", ownTags(svc))
			cfg := cfgFor(svc)
			if tc.nodes < 400 {
				e.r.opts.Quotas = Quotas{ServersPerGroup: tc.nodes}
			}
			e.nodes = all[:tc.nodes-1]
			e.mustSync(lb, svc, cfg, false)
			e.nodes = all[1:]
			for i, want := range tc.rounds {
				e.emu.ResetAudit()
				if _, err := e.r.syncPorts(context.Background(), portsInput{LB: lb, Cfg: cfg, Svc: svc, Nodes: e.nodes, BackendsOnly: true}); err != nil && !isRetry(err) {
					t.Fatalf("round %d: %v", i, err)
				}
				if w := e.writes(); !slices.Equal(w, want) {
					t.Fatalf("round %d wrote %v, want %v", i, w, want)
				}
				e.clock.Advance(time.Minute)
			}
			g := e.ourGroups(svc)["k8s.80.TCP.web.default.c-test"]
			ss := e.servers(g.ServerGroupId)
			if len(ss) != tc.nodes-1 || slices.ContainsFunc(ss, func(s sdknlb.Server) bool { return s.ServerId == nodeID(0) }) {
				t.Fatalf("%d members, node 0 still in: %v", len(ss), len(ss))
			}
		})
	}
}

// TestQuotaErrorMessage pins the Event text: the quota, what needs it, the
// number needed, the limit, where to raise it and the cloud-config field.
func TestQuotaErrorMessage(t *testing.T) {
	tests := []struct {
		err  QuotaError
		want []string
	}{
		{QuotaError{Quota: quotaGroupServers, What: "server group k8s.80.TCP.web.default.c1", Need: 401, Limit: 400},
			[]string{"nlb_quota_servergroup_noeci_servers_num", "server group k8s.80.TCP.web.default.c1 needs 401", "the quota is 400",
				"Global.quotaServersPerNLBServerGroup", "nlb-quotas", "nothing was written"}},
		{QuotaError{Quota: quotaNLBServers, What: "the NLB nlb-1", Need: 401, Limit: 400},
			[]string{"nlb_quota_loadbalancer_noeci_servers_num", "the NLB nlb-1 needs 401", "Global.quotaServersPerNLB"}},
		{QuotaError{Quota: quotaListeners, What: "the Service's ports", Need: 51, Limit: 50},
			[]string{"nlb_quota_loadbalancer_listeners_num", "needs 51", "the quota is 50", "Global.quotaListenersPerNLB"}},
		{QuotaError{Quota: quotaServerAdded, What: "server i-a (a member 200 times)", Need: 201, Limit: 200},
			[]string{"nlb_quota_server_added_num", "server i-a (a member 200 times) needs 201", "Global.quotaNLBServerGroupsPerServer"}},
	}
	for _, tc := range tests {
		msg := tc.err.Error()
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%q lacks %q", msg, w)
			}
		}
	}
}

// TestQuotaDefaults: zero quotas are the documented defaults; set ones
// are kept.
func TestQuotaDefaults(t *testing.T) {
	tests := []struct {
		in, want Quotas
	}{
		{Quotas{}, Quotas{ServersPerGroup: 400, ServersPerNLB: 400, ListenersPerNLB: 50, GroupsPerServer: 200}},
		{Quotas{ServersPerGroup: 1000, ServersPerNLB: -1, ListenersPerNLB: 80, GroupsPerServer: 300},
			Quotas{ServersPerGroup: 1000, ServersPerNLB: 400, ListenersPerNLB: 80, GroupsPerServer: 300}},
	}
	for _, tc := range tests {
		if got := tc.in.withDefaults(); got != tc.want {
			t.Errorf("%+v.withDefaults() = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

// TestLBServerKey: one ECS instance counts once per NLB whatever its port
// or group; ENIs and IPs count per address.
func TestLBServerKey(t *testing.T) {
	tests := []struct {
		a, b server
		same bool
	}{
		{server{ID: "i-a", Type: serverEcs, Port: 80}, server{ID: "i-a", Type: serverEcs, IP: "10.0.0.1", Port: 81}, true},
		{server{ID: "i-a", Type: serverEcs}, server{ID: "i-b", Type: serverEcs}, false},
		{server{ID: "eni-1", Type: serverEni, IP: "10.0.0.1"}, server{ID: "eni-1", Type: serverEni, IP: "10.0.0.2"}, false},
		{server{ID: "10.0.0.1", Type: serverIP, IP: "10.0.0.1", Port: 80}, server{ID: "10.0.0.1", Type: serverIP, IP: "10.0.0.1", Port: 81}, true},
	}
	for _, tc := range tests {
		if got := tc.a.lbServerKey() == tc.b.lbServerKey(); got != tc.same {
			t.Errorf("%v vs %v: same = %v", tc.a, tc.b, got)
		}
	}
}

// TestListenersAfter pins the listener count the listener quota is
// checked with on an existing NLB: the Service's listeners, plus the
// listeners not ours on other ports or protocols (one on a port and
// protocol of the Service is taken over or stops the plan, so it does not
// add); the Service's own listeners count once.
func TestListenersAfter(t *testing.T) {
	e := newEnv(t, envOpts{})
	svc := testService("web", nil, svcPort{port: 80, nodePort: 30080}, svcPort{port: 53, nodePort: 30053, proto: v1.ProtocolUDP})
	cfg := cfgFor(svc)
	var ours []sdknlb.TagModels
	for _, tg := range e.r.ownershipTags(svc) {
		ours = append(ours, sdknlb.TagModels{Key: tg[0], Value: tg[1]})
	}
	listener := func(proto string, port int, tags []sdknlb.TagModels) sdknlb.ListenerInfo {
		return sdknlb.ListenerInfo{ListenerProtocol: proto, ListenerPort: port, Tags: tags}
	}
	tests := []struct {
		name   string
		listed []sdknlb.ListenerInfo
		want   int
	}{
		{name: "a new NLB: the Service's", want: 2},
		{name: "ours already there count once", listed: []sdknlb.ListenerInfo{listener("TCP", 80, ours), listener("UDP", 53, ours)}, want: 2},
		{name: "the user's on other ports add", listed: []sdknlb.ListenerInfo{listener("TCP", 443, nil), listener("TCP", 8443, nil)}, want: 4},
		{name: "the user's on a port and protocol of the Service do not add", listed: []sdknlb.ListenerInfo{listener("TCP", 80, nil)}, want: 2},
		{name: "the user's on the same port with another protocol adds", listed: []sdknlb.ListenerInfo{listener("UDP", 80, nil)}, want: 3},
		{name: "a user's port range adds", listed: []sdknlb.ListenerInfo{{ListenerProtocol: "TCP", StartPort: "1000", EndPort: "2000"}}, want: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := portsInput{Cfg: cfg, Svc: svc}
			if got := listenersAfter(e.r, in, tc.listed); got != tc.want {
				t.Fatalf("listenersAfter = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestGroupMemberCount: a group's member count for its quota counts each
// identity once (the API's duplicate rule).
func TestGroupMemberCount(t *testing.T) {
	tests := []struct {
		ss   []server
		want int
	}{
		{nil, 0},
		{[]server{{ID: "i-a", Type: serverEcs, Port: 80}, {ID: "i-a", Type: serverEcs, Port: 80}}, 1},
		{[]server{{ID: "i-a", Type: serverEcs, Port: 80}, {ID: "i-a", Type: serverEcs, Port: 81}}, 2},
		{[]server{{ID: "eni-1", Type: serverEni, IP: "10.0.0.1", Port: 80}, {ID: "eni-1", Type: serverEni, IP: "10.0.0.2", Port: 80}}, 2},
	}
	for _, tc := range tests {
		if got := groupMemberCount(tc.ss); got != tc.want {
			t.Errorf("groupMemberCount(%v) = %d, want %d", tc.ss, got, tc.want)
		}
	}
}

// TestServerMemberships pins the read behind the servers-per-server
// quota: no call without joins, ServerIds in batches of 40, every page
// read, each membership of a server counted (one per group and port).
func TestServerMemberships(t *testing.T) {
	tests := []struct {
		name   string
		nodes  int
		groups int // seeded groups holding every node
		joins  int // the first joins nodes join
		calls  int
	}{
		{name: "no joins: no call", nodes: 3, groups: 2},
		{name: "three servers in two groups: one call", nodes: 3, groups: 2, joins: 3, calls: 1},
		{name: "45 servers: two batches of ServerIds", nodes: 45, groups: 1, joins: 45, calls: 2},
		{name: "40 servers in three groups: 120 members, two pages", nodes: 40, groups: 3, joins: 40, calls: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{nodes: tc.nodes, seed: func(s *emulator.SeedState) {
				for g := 0; g < tc.groups; g++ {
					sg := emulator.SeedNLBServerGroup{ServerGroupID: fmt.Sprintf("sgp-%d", g), Name: fmt.Sprintf("g%d", g), VpcID: testVPC}
					for i := 0; i < tc.nodes; i++ {
						sg.Servers = append(sg.Servers, emulator.SeedNLBServer{ServerID: nodeID(i), Type: "Ecs", Port: 30080})
					}
					s.NLBServerGroups = append(s.NLBServerGroups, sg)
				}
			}})
			joins := map[string]int{}
			for i := 0; i < tc.joins; i++ {
				joins[nodeID(i)] = 1
			}
			e.emu.ResetAudit()
			if _, err := e.r.fitServerJoins(context.Background(), testService("web", nil), joins, nil); err != nil {
				t.Fatal(err)
			}
			if n := e.count("ListServerGroupServers"); n != tc.calls {
				t.Fatalf("%d calls, want %d", n, tc.calls)
			}
			if tc.joins == 0 {
				return
			}
			have, err := e.r.serverMemberships(context.Background(), joins)
			if err != nil {
				t.Fatal(err)
			}
			for id := range joins {
				if have[id] != tc.groups {
					t.Fatalf("%s: %d memberships, want %d", id, have[id], tc.groups)
				}
			}
		})
	}
}
