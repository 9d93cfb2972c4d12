package nlb

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	"k8s.io/client-go/tools/record"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// TestPlanListenersTable pins planListeners alone (no cloud): per listed
// listener and Service listener, the planned operations in execution
// order, or a conflict.
func TestPlanListenersTable(t *testing.T) {
	svc := testService("web", nil)
	r := New(nil, record.NewFakeRecorder(100), Options{ClusterID: testCluster})
	ourTags := []sdknlb.TagModels{{Key: loadbalancer.TagClusterID, Value: testCluster}, {Key: loadbalancer.TagServiceUID, Value: string(svc.UID)}}
	otherCluster := []sdknlb.TagModels{{Key: loadbalancer.TagClusterID, Value: "c-other"}, {Key: loadbalancer.TagServiceUID, Value: string(svc.UID)}}
	lis := func(id, proto string, port int, tags []sdknlb.TagModels) sdknlb.ListenerInfo {
		return sdknlb.ListenerInfo{ListenerId: id, ListenerProtocol: proto, ListenerPort: port, Tags: tags, ServerGroupId: "sgp-x", ListenerStatus: "Running"}
	}
	rng := func(id, proto string, lo, hi int, tags []sdknlb.TagModels) sdknlb.ListenerInfo {
		l := lis(id, proto, 0, tags)
		l.StartPort, l.EndPort = fmt.Sprint(lo), fmt.Sprint(hi)
		return l
	}
	tests := []struct {
		name     string
		listed   []sdknlb.ListenerInfo
		want     []annotations.NLBListener
		reused   bool
		force    bool
		userPort string // vgroup-port group of the first listener
		ops      []string
		conflict bool
	}{
		{name: "nothing listed: create", want: []annotations.NLBListener{{Port: 80, Protocol: "TCP"}}, ops: []string{"create 80"}},
		{name: "ours: update", listed: []sdknlb.ListenerInfo{lis("l1", "TCP", 80, ourTags)}, want: []annotations.NLBListener{{Port: 80, Protocol: "TCP"}},
			ops: []string{"update l1"}},
		{name: "another cluster's tags are not ours", listed: []sdknlb.ListenerInfo{lis("l1", "TCP", 80, otherCluster)},
			want: []annotations.NLBListener{{Port: 80, Protocol: "TCP"}}, reused: true, conflict: true},
		{name: "ours, other protocol of the family: delete then create", listed: []sdknlb.ListenerInfo{lis("l1", "TCP", 443, ourTags)},
			want: []annotations.NLBListener{{Port: 443, Protocol: "TCPSSL"}}, ops: []string{"delete l1", "create 443"}},
		{name: "UDP and TCP on one port are separate", listed: []sdknlb.ListenerInfo{lis("l1", "UDP", 53, nil)},
			want: []annotations.NLBListener{{Port: 53, Protocol: "TCP"}}, reused: true, ops: []string{"create 53"}},
		{name: "a foreign range covering the port conflicts", listed: []sdknlb.ListenerInfo{rng("l1", "TCP", 70, 90, nil)},
			want: []annotations.NLBListener{{Port: 80, Protocol: "TCP"}}, reused: true, conflict: true},
		{name: "our range replaced by a port: delete then create", listed: []sdknlb.ListenerInfo{rng("l1", "TCP", 70, 90, ourTags)},
			want: []annotations.NLBListener{{Port: 80, Protocol: "TCP"}}, ops: []string{"delete l1", "create 80"}},
		{name: "force-override: foreign on the port is updated as a takeover", listed: []sdknlb.ListenerInfo{lis("l1", "TCP", 80, nil)},
			want: []annotations.NLBListener{{Port: 80, Protocol: "TCP"}}, reused: true, force: true, ops: []string{"takeover l1"}},
		{name: "the user's listener on the user's group stays theirs", listed: []sdknlb.ListenerInfo{lis("l1", "TCP", 80, nil)},
			want: []annotations.NLBListener{{Port: 80, Protocol: "TCP"}}, reused: true, userPort: "sgp-x"},
		{name: "the user's listener on another group is a conflict", listed: []sdknlb.ListenerInfo{lis("l1", "TCP", 80, nil)},
			want: []annotations.NLBListener{{Port: 80, Protocol: "TCP"}}, reused: true, userPort: "sgp-y", conflict: true},
		{name: "ours no longer wanted: deleted first", listed: []sdknlb.ListenerInfo{lis("l2", "TCP", 81, ourTags), lis("l3", "UDP", 9, nil)},
			want: []annotations.NLBListener{{Port: 80, Protocol: "TCP"}}, ops: []string{"delete l2", "create 80"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &annotations.NLBConfig{Listeners: tc.want}
			cfg.LB.ForceOverrideListeners = tc.force
			byListener := map[int]*groupSpec{}
			for i := range tc.want {
				byListener[i] = &groupSpec{id: "sgp-ours"}
			}
			if tc.userPort != "" {
				byListener[0] = &groupSpec{id: tc.userPort, userID: tc.userPort}
			}
			plan, err := r.planListeners(portsInput{Svc: svc, Cfg: cfg, Reused: tc.reused}, tc.listed, byListener)
			var ce *loadbalancer.ListenerConflictError
			if tc.conflict {
				if !errors.As(err, &ce) {
					t.Fatalf("err = %v, want a conflict", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, op := range plan.ops {
				switch {
				case op.op == lisDelete:
					got = append(got, "delete "+op.have.ListenerId)
				case op.op == lisCreate:
					got = append(got, "create "+listenerPortName(op.want))
				case op.op == lisUpdate && op.takeover:
					got = append(got, "takeover "+op.have.ListenerId)
				case op.op == lisUpdate:
					got = append(got, "update "+op.have.ListenerId)
				default:
					got = append(got, "start "+op.have.ListenerId)
				}
			}
			if !slices.Equal(got, tc.ops) {
				t.Fatalf("ops %v, want %v", got, tc.ops)
			}
		})
	}
}

// TestStillUses pins which server groups a listener may still use after
// the plan: listeners moved or deleted by it no longer count.
func TestStillUses(t *testing.T) {
	p := &listenerPlan{listed: []sdknlb.ListenerInfo{{ListenerId: "a", ServerGroupId: "g1"}, {ListenerId: "b", ServerGroupId: "g2"}},
		moved: map[string]bool{"b": true}}
	if !p.stillUses("g1") || p.stillUses("g2") || p.stillUses("g3") || (*listenerPlan)(nil).stillUses("g1") {
		t.Fatal("stillUses")
	}
}
