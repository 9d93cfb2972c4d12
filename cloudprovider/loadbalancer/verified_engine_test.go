package loadbalancer

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// restartWith is a CCM restart whose record is in store.
func (e *env) restartWith(store RecordStore) {
	e.restart()
	e.r.SetRecordStore(store)
}

// flushRecord writes the queued records, as the flusher does.
func (e *env) flushRecord() {
	e.t.Helper()
	if err := e.r.verified.flush(context.Background(), false); err != nil {
		e.t.Fatal(err)
	}
}

// converged creates the Services with the record in store and flushes it.
func convergedWithRecord(t *testing.T, n int) (*env, *memStore, []*v1.Service) {
	e := newEnv(t, envOpts{nodes: 3})
	s := newMemStore()
	e.r.SetRecordStore(s)
	svcs := twoPortServices(n)
	for _, svc := range svcs {
		e.ensure(svc)
	}
	e.flushRecord()
	for _, svc := range svcs {
		if _, ok := s.get(string(svc.UID)); !ok {
			t.Fatalf("%s was not recorded after its reconcile", svc.Name)
		}
	}
	return e, s, svcs
}

// TestRestartTrustsVerifiedRecord: the restart of a converged cluster
// reads no members when the record vouches for them: the listing, one
// DescribeVServerGroups per CLB, and no writes at all (cloud or record).
func TestRestartTrustsVerifiedRecord(t *testing.T) {
	e, s, svcs := convergedWithRecord(t, 12)
	patches := s.patchCount()
	e.restartWith(s)
	e.emu.ResetAudit()
	for _, svc := range svcs {
		e.ensure(svc)
	}
	e.flushRecord()
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("restart wrote %v", w)
	}
	got := e.actionCounts()
	want := map[string]int{"DescribeLoadBalancers": 1, "DescribeLoadBalancerListeners": 2, "DescribeVServerGroups": len(svcs)}
	for a, n := range want {
		if got[a] != n {
			t.Errorf("%s: %d calls, want %d", a, got[a], n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("calls %v, want only %v", got, want)
	}
	if s.patchCount() != patches {
		t.Errorf("the restart rewrote the record: %v", s.patches[patches:])
	}
	// Only the first reconcile after the start trusts the record.
	e.emu.ResetAudit()
	e.ensure(svcs[0])
	if n := e.actionCounts()["DescribeVServerGroupAttribute"]; n != 2 {
		t.Errorf("the second reconcile read %d groups' members, want 2", n)
	}
}

// TestRestartVerifiesWhenRecordCannotVouch: each case is a converged
// Service whose record must not be trusted at the restart; its members
// are read and, where they differ, repaired.
func TestRestartVerifiesWhenRecordCannotVouch(t *testing.T) {
	tests := []struct {
		name string
		// change runs while the CCM is down.
		change func(t *testing.T, e *env, s *memStore, svc *v1.Service)
		// repaired: a member write is expected.
		repaired bool
	}{
		{"no flush before the restart", func(_ *testing.T, _ *env, s *memStore, svc *v1.Service) {
			delete(s.data, string(svc.UID))
		}, false},
		{"member removed by hand (count differs)", func(t *testing.T, e *env, _ *memStore, svc *v1.Service) {
			g, m := e.firstGroupMember(svc)
			req := slb.CreateRemoveVServerGroupBackendServersRequest()
			req.VServerGroupId, req.BackendServers = g, backendsJSON([]backend{m}, true)
			if _, err := e.slb.RemoveVServerGroupBackendServers(context.Background(), req); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"node removed (plan differs)", func(_ *testing.T, e *env, _ *memStore, _ *v1.Service) {
			e.nodes = e.nodes[:2]
		}, true},
		{"weight annotation added (plan differs, count same)", func(_ *testing.T, _ *env, _ *memStore, svc *v1.Service) {
			svc.Annotations = anno("default-weight", "40")
		}, true},
		{"record of another format", func(_ *testing.T, _ *env, s *memStore, svc *v1.Service) {
			s.data[string(svc.UID)] = "v0 junk"
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, s, svcs := convergedWithRecord(t, 1)
			svc := svcs[0]
			tc.change(t, e, s, svc)
			e.restartWith(s)
			e.emu.ResetAudit()
			e.ensure(svc)
			// (A join also fills the attach index once: more reads.)
			if n := e.actionCounts()["DescribeVServerGroupAttribute"]; n < 2 {
				t.Errorf("read %d groups' members, want both groups read", n)
			}
			if got := len(e.writes()) > 0; got != tc.repaired {
				t.Errorf("writes %v, want writes %t", e.writes(), tc.repaired)
			}
			// Converged again: the next restart trusts the new record.
			e.flushRecord()
			e.restartWith(s)
			e.emu.ResetAudit()
			e.ensure(svc)
			if n := e.actionCounts()["DescribeVServerGroupAttribute"]; n != 0 || len(e.writes()) != 0 {
				t.Errorf("after the repair: %d member reads, writes %v; want none", n, e.writes())
			}
		})
	}
}

// firstGroupMember returns one of the Service's groups and a member.
func (e *env) firstGroupMember(svc *v1.Service) (string, backend) {
	e.t.Helper()
	lb := e.lbs()[0]
	gs, err := e.r.loadGroups(context.Background(), lb.LoadBalancerId)
	if err != nil || len(gs.groups) == 0 {
		e.t.Fatalf("groups of %s: %v", svc.Name, err)
	}
	ms, err := e.r.members(context.Background(), gs.groups[0].id)
	if err != nil || len(ms) == 0 {
		e.t.Fatalf("members: %v", err)
	}
	return gs.groups[0].id, ms[0]
}

// TestDirtyBeforeMemberWrite: a member write first removes the Service's
// stored record; when that removal fails, nothing is written. Without it,
// a crash after the write and a revert of the Service while the CCM is
// down would have the restart trust a record that no longer holds (same
// count, same plan, other weights in the cloud).
func TestDirtyBeforeMemberWrite(t *testing.T) {
	e, s, svcs := convergedWithRecord(t, 1)
	svc := svcs[0]
	svc.Annotations = anno("default-weight", "40")

	s.failPatch = errors.New("apiserver unavailable")
	e.emu.ResetAudit()
	if _, err := e.r.EnsureLoadBalancer(context.Background(), "k", svc, e.nodes); err == nil {
		t.Fatal("the reconcile succeeded although the record could not be updated")
	}
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("members written before the record was updated: %v", w)
	}

	// The record can be updated: the key goes first, then the write.
	s.failPatch = nil
	e.ensure(svc)
	if _, ok := s.get(string(svc.UID)); ok {
		t.Fatal("the record still vouches for the old members after a write")
	}
	if n := e.emu.CallCount("SetVServerGroupAttribute", "OK"); n == 0 {
		t.Fatal("the weight was not written")
	}
	// Crash before the flush, the annotation reverted while down.
	svc.Annotations = nil
	e.restartWith(s)
	e.emu.ResetAudit()
	e.ensure(svc)
	if n := e.actionCounts()["DescribeVServerGroupAttribute"]; n != 2 {
		t.Errorf("read %d groups' members after the crash, want 2", n)
	}
	for name, ms := range e.groupMembers(e.lbs()[0].LoadBalancerId) {
		for _, m := range ms {
			if m.Weight != defaultWeight {
				t.Errorf("group %s member %s weight %d, want %d restored", name, m.ServerID, m.Weight, defaultWeight)
			}
		}
	}
}

// TestVerifiedRecordOnlyOwnCLBs: a Service on a reused CLB is never
// recorded (others change that CLB's groups), and a deleted Service's
// record is removed.
func TestVerifiedRecordOnlyOwnCLBs(t *testing.T) {
	e, s, svcs := convergedWithRecord(t, 1)
	if err := e.r.EnsureLoadBalancerDeleted(context.Background(), "k", svcs[0]); err != nil {
		t.Fatal(err)
	}
	e.flushRecord()
	if _, ok := s.get(string(svcs[0].UID)); ok {
		t.Fatal("a deleted Service's record was kept")
	}

	// A reused CLB: made by hand, named by the id annotation.
	id, err := e.emu.SeedLoadBalancer(emulator.SeedLB{Name: "users-clb"})
	if err != nil {
		t.Fatal(err)
	}
	reused := service("reuser", anno("id", id, annoOverride, "true"))
	e.ensure(reused)
	e.flushRecord()
	if _, ok := s.get(string(reused.UID)); ok {
		t.Fatal("a Service on a reused CLB was recorded")
	}
}

// TestBackendSyncRightAfterVerify: the framework's node sync races the
// start-up sync and asks for a backend-only sync of a Service seconds
// after its reconcile verified the members: with the same plan it reads
// nothing; later, or with another plan, it reads the members as before.
func TestBackendSyncRightAfterVerify(t *testing.T) {
	tests := []struct {
		name      string
		age       time.Duration
		nodes     int
		wantReads int
	}{
		{"same plan, seconds later", time.Second, 3, 0},
		{"same plan, after viewTrustAge", viewTrustAge + time.Second, 3, 2},
		{"a node fewer", time.Second, 2, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, s, svcs := convergedWithRecord(t, 1)
			e.restartWith(s)
			now := time.Now()
			e.r.now = func() time.Time { return now }
			e.ensure(svcs[0])
			now = now.Add(tc.age)
			e.emu.ResetAudit()
			if err := e.r.UpdateLoadBalancer(context.Background(), "k", svcs[0], e.nodes[:tc.nodes]); err != nil {
				t.Fatal(err)
			}
			if n := e.actionCounts()["DescribeVServerGroupAttribute"]; n != tc.wantReads {
				t.Errorf("%d member reads, want %d", n, tc.wantReads)
			}
			if wantWrites := tc.nodes != 3; (len(e.writes()) > 0) != wantWrites {
				t.Errorf("writes %v, want writes %t", e.writes(), wantWrites)
			}
		})
	}
}
