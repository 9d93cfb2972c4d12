package loadbalancer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// TestLBViewsTakePut pins when a backend-only sync may start from a view:
// only of a CLB our tags prove the Service's, only within viewTTL, and
// only once until a successful sync puts it back.
func TestLBViewsTakePut(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	gs := &groupSet{groups: []groupView{{id: "rsp-1", name: "g1", count: 2}}, total: 2}
	tests := []struct {
		name   string
		own    ownership
		nilGS  bool
		age    time.Duration
		twice  bool
		wantOK bool
	}{
		{name: "our CLB, fresh", own: ownOurs, wantOK: true},
		{name: "our CLB, just within the TTL", own: ownOurs, age: viewTTL, wantOK: true},
		{name: "our CLB, older than the TTL", own: ownOurs, age: viewTTL + time.Second},
		{name: "taken once already (a sync is using it or failed)", own: ownOurs, twice: true},
		{name: "a reused CLB: other Services and the user change its groups", own: ownReused},
		{name: "the official CCM's CLB: upgraded by a full reconcile first", own: ownOfficial},
		{name: "no groups read", own: ownOurs, nilGS: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v lbViews
			g := gs
			if tt.nilGS {
				g = nil
			}
			v.put("uid", &lbState{own: tt.own, lb: slb.LoadBalancer{LoadBalancerId: "lb-1"}}, g, t0)
			if tt.twice {
				v.take("uid", t0)
			}
			view, ok := v.take("uid", t0.Add(tt.age))
			if ok != tt.wantOK {
				t.Fatalf("take = %v, want %v", ok, tt.wantOK)
			}
			if ok && (view.st.lb.LoadBalancerId != "lb-1" || len(view.gs.groups) != 1 || view.gs.total != 2) {
				t.Errorf("view = %+v", view)
			}
		})
	}
	// The view is a copy: changes to the reconcile's groupSet after put
	// do not reach it.
	var v lbViews
	mine := &groupSet{groups: []groupView{{id: "rsp-1", name: "g1"}}}
	v.put(types.UID("u"), &lbState{own: ownOurs}, mine, t0)
	mine.groups[0].id = "changed"
	if view, _ := v.take("u", t0); view.gs.groups[0].id != "rsp-1" {
		t.Errorf("the view shares the reconcile's groups: %+v", view.gs.groups)
	}
}

// reads lists the read actions in the audit log since the last reset.
func (e *env) reads() []string {
	var out []string
	for _, a := range e.emu.Audit() {
		if strings.HasPrefix(a.Action, "Describe") || strings.HasPrefix(a.Action, "List") {
			out = append(out, a.Action)
		}
	}
	return out
}

func count(actions []string, action string) int {
	n := 0
	for _, a := range actions {
		if a == action {
			n++
		}
	}
	return n
}

// TestBackendSyncFromView: after a reconcile, a backend-only sync (an
// endpoint or node change) reads only its groups' members, one
// DescribeVServerGroupAttribute per group, and writes what differs; a CLB
// deleted by hand, or a view older than viewTTL, makes it read the cloud
// as before.
func TestBackendSyncFromView(t *testing.T) {
	ports := []port{{"http", 80, 30080, v1.ProtocolTCP}, {"https", 443, 30443, v1.ProtocolTCP}}
	tests := []struct {
		name string
		// before runs after the first reconcile and before the sync.
		before func(e *env, lbID string)
		// wantLookups: DescribeLoadBalancers + DescribeVServerGroups.
		wantLookups int
		wantWrites  []string
		wantMembers int // per group after the sync; -1: no CLB left
	}{
		{name: "within the TTL: members only", wantLookups: 0,
			wantWrites: []string{"RemoveVServerGroupBackendServers", "RemoveVServerGroupBackendServers"}, wantMembers: 2},
		{name: "older than the TTL: the CLB and its groups are read again",
			before: func(e *env, _ string) {
				e.r.now = func() time.Time { return time.Now().Add(viewTTL + time.Minute) }
			},
			wantLookups: 2, wantWrites: []string{"RemoveVServerGroupBackendServers", "RemoveVServerGroupBackendServers"}, wantMembers: 2},
		{name: "the CLB was deleted by hand: the member read finds nothing, the sync reads the cloud and writes nothing",
			before: func(e *env, lbID string) {
				p := slb.CreateSetLoadBalancerDeleteProtectionRequest()
				p.LoadBalancerId, p.DeleteProtection = lbID, "off"
				if _, err := e.slb.SetLoadBalancerDeleteProtection(context.Background(), p); err != nil {
					t.Fatal(err)
				}
				req := slb.CreateDeleteLoadBalancerRequest()
				req.LoadBalancerId = lbID
				if _, err := e.slb.DeleteLoadBalancer(context.Background(), req); err != nil {
					t.Fatal(err)
				}
			},
			wantLookups: 2, wantWrites: nil, wantMembers: -1}, // by tag, then by name
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpts{nodes: 3})
			svc := service("web", nil, ports...)
			// The Service has its address, as after any reconcile: a
			// Service with one gets the name lookup too.
			svc.Status.LoadBalancer = *e.ensure(svc)
			lbs := e.lbs()
			if len(lbs) != 1 {
				t.Fatalf("%d CLBs", len(lbs))
			}
			lbID := lbs[0].LoadBalancerId
			if tt.before != nil {
				tt.before(e, lbID)
			}
			e.emu.ResetAudit()
			// One node fewer: one member less in each group.
			if err := e.r.SyncBackends(context.Background(), svc, e.nodes[:2]); err != nil {
				t.Fatalf("SyncBackends: %v", err)
			}
			reads := e.reads()
			if got := count(reads, "DescribeLoadBalancers") + count(reads, "DescribeVServerGroups"); got != tt.wantLookups {
				t.Errorf("lookups = %d, want %d (reads %v)", got, tt.wantLookups, reads)
			}
			if tt.wantMembers >= 0 && count(reads, "DescribeVServerGroupAttribute") != 2 {
				t.Errorf("member reads: %v, want one per group", reads)
			}
			if got := e.writes(); strings.Join(got, ",") != strings.Join(tt.wantWrites, ",") {
				t.Errorf("writes = %v, want %v", got, tt.wantWrites)
			}
			if tt.wantMembers < 0 {
				if len(e.lbs()) != 0 {
					t.Error("a CLB came back")
				}
				return
			}
			for name, ms := range e.groupMembers(lbID) {
				if len(ms) != tt.wantMembers {
					t.Errorf("group %s has %d members, want %d", name, len(ms), tt.wantMembers)
				}
			}
			// The next sync of the same state writes nothing and, its
			// view put back, looks nothing up.
			e.emu.ResetAudit()
			if err := e.r.SyncBackends(context.Background(), svc, e.nodes[:2]); err != nil {
				t.Fatal(err)
			}
			if w := e.writes(); len(w) != 0 {
				t.Errorf("second sync writes %v", w)
			}
			if tt.wantLookups == 0 {
				if r := e.reads(); count(r, "DescribeLoadBalancers")+count(r, "DescribeVServerGroups") != 0 {
					t.Errorf("second sync looked up %v", r)
				}
			}
		})
	}
}

// TestDeleteDropsView: a deleted Service's view is gone, so a sync that
// waited on the lock while the delete ran cannot write from it.
func TestDeleteDropsView(t *testing.T) {
	e := newEnv(t, envOpts{nodes: 2})
	svc := service("web", nil)
	e.ensure(svc)
	if err := e.r.EnsureLoadBalancerDeleted(context.Background(), "k", svc); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.r.views.take(svc.UID, time.Now()); ok {
		t.Error("the view outlived the delete")
	}
}

// TestRefusedReconcileDropsView: a full reconcile that fails (here: the id
// annotation names another CLB than the Service's own) leaves no view, so
// the backend-only syncs after it find the CLB again and stop on the same
// refusal instead of writing to the old CLB's groups.
func TestRefusedReconcileDropsView(t *testing.T) {
	e := newEnv(t, envOpts{nodes: 2})
	svc := service("web", nil)
	e.ensure(svc)
	svc.Annotations = anno(annoID, "lb-someoneelse")
	if _, err := e.r.EnsureLoadBalancer(context.Background(), "k", svc, e.nodes); err == nil {
		t.Fatal("EnsureLoadBalancer accepted another CLB")
	}
	e.emu.ResetAudit()
	if err := e.r.SyncBackends(context.Background(), svc, e.nodes[:1]); err == nil {
		t.Error("SyncBackends wrote to the old CLB from a view")
	}
	if w := e.writes(); len(w) != 0 {
		t.Errorf("writes = %v", w)
	}
}
