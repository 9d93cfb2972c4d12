package loadbalancer

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// TestBackendsJSON pins the BackendServers parameter: ECS members without
// ServerIp, ENI members with it, removals with the identity only.
func TestBackendsJSON(t *testing.T) {
	ecs := backend{ServerID: "i-1", Type: annotations.BackendECS, Port: 30080, Weight: 100, Description: "k8s/30080/web/default/c"}
	eni := backend{ServerID: "eni-1", Type: annotations.BackendENI, ServerIP: "192.168.0.5", Port: 8080, Weight: 0}
	tests := []struct {
		name     string
		bs       []backend
		identity bool
		want     []map[string]string
	}{
		{"ecs", []backend{ecs}, false, []map[string]string{{"ServerId": "i-1", "Port": "30080", "Type": "ecs", "Weight": "100", "Description": "k8s/30080/web/default/c"}}},
		{"eni at weight 0, no description", []backend{eni}, false, []map[string]string{{"ServerId": "eni-1", "ServerIp": "192.168.0.5", "Port": "8080", "Type": "eni", "Weight": "0"}}},
		{"removal: identity only", []backend{ecs, eni}, true, []map[string]string{{"ServerId": "i-1", "Port": "30080", "Type": "ecs"},
			{"ServerId": "eni-1", "ServerIp": "192.168.0.5", "Port": "8080", "Type": "eni"}}},
		{"none", nil, false, []map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []map[string]string
			if err := json.Unmarshal([]byte(backendsJSON(tc.bs, tc.identity)), &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestBackendKey: ECS members are identified by (server, port), as the API
// fills in their ServerIp on describe; ENI members by (server, IP, port).
func TestBackendKey(t *testing.T) {
	a := backend{ServerID: "i-1", Type: annotations.BackendECS, Port: 80}
	b := a
	b.ServerIP = "192.168.0.1" // as listed
	if a.key() != b.key() {
		t.Errorf("ECS keys differ by ServerIp: %q %q", a.key(), b.key())
	}
	untyped := backend{ServerID: "i-1", ServerIP: "192.168.0.1", Port: 80}
	if untyped.key() != a.key() {
		t.Errorf("a member without type is ECS: %q %q", untyped.key(), a.key())
	}
	e1 := backend{ServerID: "eni-1", Type: annotations.BackendENI, ServerIP: "192.168.0.1", Port: 80}
	e2 := e1
	e2.ServerIP = "192.168.0.2"
	if e1.key() == e2.key() {
		t.Error("two IPs of one ENI share a key")
	}
	if got := e1.String(); got != "eni-1:80(w0)" {
		t.Errorf("String = %q", got)
	}
}

// TestGroupSharing: listeners with the same backend port share one group
// (TCP and UDP on one NodePort); other ports get their own.
func TestGroupSharing(t *testing.T) {
	e := newEnv(t, envOpts{})
	svc := service("dns", nil, port{"dns-udp", 53, 30053, v1.ProtocolUDP}, port{"dns-tcp", 53, 30053, v1.ProtocolTCP},
		port{"metrics", 9153, 30153, v1.ProtocolTCP})
	e.ensure(svc)
	lbID := e.lbs()[0].LoadBalancerId
	groups := e.groupMembers(lbID)
	var names []string
	for n := range groups {
		names = append(names, n)
	}
	slices.Sort(names)
	want := []string{"k8s/30053/dns/default/" + testCluster, "k8s/30153/dns/default/" + testCluster}
	if !slices.Equal(names, want) {
		t.Fatalf("groups %v, want %v", names, want)
	}
	byPort := map[string]string{}
	for _, l := range e.listeners(lbID) {
		byPort[l.ListenerProtocol+":"+strconv.Itoa(l.ListenerPort)] = l.VServerGroupId
	}
	if byPort["udp:53"] == "" || byPort["udp:53"] != byPort["tcp:53"] || byPort["tcp:9153"] == byPort["tcp:53"] {
		t.Errorf("listener groups %v: udp and tcp 53 must share one, 9153 its own", byPort)
	}
}

// TestNewGroupTakesItsFirstBatch: a new group is created with its first
// BatchSize members in the same call and the rest are added in batches.
func TestNewGroupTakesItsFirstBatch(t *testing.T) {
	e := newEnv(t, envOpts{nodes: 7, options: func(o *Options) { o.BatchSize = 3 }})
	e.ensure(service("web", nil))
	var calls []string
	for _, a := range e.emu.Audit() {
		if strings.Contains(a.Action, "VServerGroup") && !strings.HasPrefix(a.Action, "Describe") {
			calls = append(calls, a.Action)
		}
	}
	want := []string{"CreateVServerGroup", "AddVServerGroupBackendServers", "AddVServerGroupBackendServers"}
	if !slices.Equal(calls, want) {
		t.Errorf("group calls %v, want %v", calls, want)
	}
	for _, ms := range e.groupMembers(e.lbs()[0].LoadBalancerId) {
		if len(ms) != 7 {
			t.Errorf("%d members, want 7", len(ms))
		}
	}
}

// TestMemberWeights: a weight changed by hand is restored, unless
// ignore-weight-update is on; a member someone else added to our group
// (another description) is left alone either way.
func TestMemberWeights(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ann      map[string]string
		restored bool
	}{
		{"restored", map[string]string{}, true},
		{"ignore-weight-update", anno("ignore-weight-update", "on"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, envOpts{nodes: 2})
			svc := service("web", tc.ann)
			e.ensure(svc)
			lbID := e.lbs()[0].LoadBalancerId
			gs, err := e.r.loadGroups(ctx, lbID)
			if err != nil {
				t.Fatal(err)
			}
			gid := gs.groups[0].id
			set := slb.CreateSetVServerGroupAttributeRequest()
			set.VServerGroupId = gid
			set.BackendServers = `[{"ServerId":"i-node0000","Port":"30080","Weight":"7","Type":"ecs","Description":"` + gs.groups[0].name + `"}]`
			if _, err := e.slb.SetVServerGroupAttribute(ctx, set); err != nil {
				t.Fatal(err)
			}
			add := slb.CreateAddVServerGroupBackendServersRequest()
			add.VServerGroupId = gid
			add.BackendServers = `[{"ServerId":"i-node0001","Port":"9999","Weight":"5","Type":"ecs","Description":"by hand"}]`
			if _, err := e.slb.AddVServerGroupBackendServers(ctx, add); err != nil {
				t.Fatal(err)
			}
			e.emu.ResetAudit()
			e.ensure(svc)
			ms, err := e.r.members(ctx, gid)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			for _, m := range ms {
				got[m.ServerID+":"+strconv.Itoa(m.Port)] = m.Weight
			}
			wantW := 7
			if tc.restored {
				wantW = defaultWeight
			}
			if got["i-node0000:30080"] != wantW || got["i-node0001:9999"] != 5 || len(got) != 3 {
				t.Errorf("members %v: want i-node0000 at %d and the hand-added member kept", got, wantW)
			}
			if w := e.writes(); tc.restored != slices.Contains(w, "SetVServerGroupAttribute") {
				t.Errorf("writes %v (weight restored: %v)", w, tc.restored)
			}
		})
	}
}

// TestVGroupPortRefusals: vgroup-port must name an existing group the user
// created; a missing one or one a CCM created is an error naming it, and no
// listener is written.
func TestVGroupPortRefusals(t *testing.T) {
	e := newEnv(t, envOpts{})
	id, err := e.emu.SeedLoadBalancer(emulator.SeedLB{Name: "users", VServerGroups: []emulator.SeedVServerGroup{
		{VServerGroupID: "rsp-ccm", Name: "k8s/30080/other/default/c-other"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, group, want string
	}{
		{"missing", "rsp-missing", "does not exist"},
		{"a CCM's group", "rsp-ccm", "created by a cloud controller manager"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.emu.ResetAudit()
			svc := service("web-"+tc.name[:1], anno("id", id, annoOverride, "true", "vgroup-port", tc.group+":80"))
			_, err := e.r.EnsureLoadBalancer(context.Background(), "", svc, e.nodes)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.group) {
				t.Fatalf("err = %v, want one naming %s: %s", err, tc.group, tc.want)
			}
			for _, w := range e.writes() {
				if strings.Contains(w, "Listener") {
					t.Errorf("wrote %s", w)
				}
			}
		})
	}
}

// TestUnusedGroupDeleted: a NodePort change leaves the old group without a
// listener; it is deleted, and a group of another Service is not.
func TestUnusedGroupDeleted(t *testing.T) {
	e := newEnv(t, envOpts{})
	svc := service("web", nil)
	e.ensure(svc)
	lbID := e.lbs()[0].LoadBalancerId
	svc.Spec.Ports[0].NodePort = 31080
	e.ensure(svc)
	var names []string
	for n := range e.groupMembers(lbID) {
		names = append(names, n)
	}
	if want := []string{"k8s/31080/web/default/" + testCluster}; !slices.Equal(names, want) {
		t.Errorf("groups %v, want %v", names, want)
	}
}
