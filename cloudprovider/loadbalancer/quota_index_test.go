package loadbalancer

import (
	"context"
	"fmt"
	"reflect"
	"testing"
)

// membersOf builds backends of the given servers, one entry each.
func membersOf(servers ...string) []backend {
	out := make([]backend, len(servers))
	for i, s := range servers {
		out[i] = backend{ServerID: s, Port: 30000 + i}
	}
	return out
}

// TestAttachIndexBookkeeping pins how the vServer-groups-per-server index
// follows reads and writes: each step applies one event to the index and
// the counts of i-1 and i-2 that follow.
func TestAttachIndexBookkeeping(t *testing.T) {
	var x attachIndex
	steps := []struct {
		name  string
		apply func()
		want  map[string]int
	}{
		{"a listing alone counts nothing", func() { x.setLB("lb-1", []string{"g1", "g2"}) }, map[string]int{}},
		{"members read", func() { x.setMembers("g1", membersOf("i-1", "i-2")) }, map[string]int{"i-1": 1, "i-2": 1}},
		{"two entries of one server in a group count once", func() { x.setMembers("g2", membersOf("i-1", "i-1")) }, map[string]int{"i-1": 2, "i-2": 1}},
		{"a created group with its first members", func() { x.created("lb-2", "g3", membersOf("i-2")) }, map[string]int{"i-1": 2, "i-2": 2}},
		{"an add", func() { x.change("g3", membersOf("i-1"), 1) }, map[string]int{"i-1": 3, "i-2": 2}},
		{"a remove of one of two entries keeps the group", func() { x.change("g2", membersOf("i-1"), -1) }, map[string]int{"i-1": 3, "i-2": 2}},
		{"the last entry removed", func() { x.change("g2", membersOf("i-1"), -1) }, map[string]int{"i-1": 2, "i-2": 2}},
		{"a write to a group never read", func() { x.change("g9", membersOf("i-2"), 1) }, map[string]int{"i-1": 2, "i-2": 3}},
		{"a group deleted", func() { x.dropGroup("g9") }, map[string]int{"i-1": 2, "i-2": 2}},
		{"a listing without g1 drops it", func() { x.setLB("lb-1", []string{"g2"}) }, map[string]int{"i-1": 1, "i-2": 1}},
		{"a deleted CLB is forgotten", func() { x.forgetLB("lb-2") }, map[string]int{}},
	}
	for _, s := range steps {
		s.apply()
		got, _ := x.count([]string{"i-1", "i-2"})
		if !reflect.DeepEqual(got, s.want) {
			t.Errorf("%s: counts %v, want %v", s.name, got, s.want)
		}
	}
}

// TestAttachIndexHolding: count names the groups holding the servers
// asked about, and only those.
func TestAttachIndexHolding(t *testing.T) {
	var x attachIndex
	x.setMembers("g1", membersOf("i-1"))
	x.setMembers("g2", membersOf("i-2"))
	x.setMembers("g3", membersOf("i-1", "i-3"))
	_, holding := x.count([]string{"i-1"})
	if want := map[string]bool{"g1": true, "g3": true}; !reflect.DeepEqual(holding, want) {
		t.Errorf("holding %v, want %v", holding, want)
	}
}

// TestAttachIndexWarmsOnce: the first plan with joins fills the index
// from the cluster's CLBs; later ones do not list them again.
func TestAttachIndexWarmsOnce(t *testing.T) {
	e := newEnv(t, envOpts{nodes: 2})
	e.ensure(service("web", nil))
	e.ensure(service("api", nil, port{"http", 81, 30081, ""}))
	e.restart()
	e.emu.ResetAudit()
	ctx := context.Background()
	joins := map[string]int{fmtID(0): 1, fmtID(1): 1}
	for i := 0; i < 2; i++ {
		got, err := e.r.attached.counts(ctx, e.r, joins)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]int{fmtID(0): 2, fmtID(1): 2}; !reflect.DeepEqual(got, want) {
			t.Errorf("counts %v, want %v", got, want)
		}
	}
	listings := 0
	for _, a := range e.emu.Audit() {
		if a.Action == "DescribeLoadBalancers" {
			listings++
		}
	}
	if listings != 1 {
		t.Errorf("%d listings of the cluster's CLBs, want 1", listings)
	}
}

// TestAttachIndexUnread pins the bookkeeping of unread groups: a group
// listed with members by the warm-up is unread until its members are
// read, and leaves the set when it or its CLB goes.
func TestAttachIndexUnread(t *testing.T) {
	var x attachIndex
	x.setLB("lb-1", []string{"g1", "g2", "g3"})
	x.setMembers("g3", membersOf("i-1"))
	steps := []struct {
		name  string
		apply func()
		want  []string
	}{
		{"listed with members, g3 already read", func() { x.markUnread([]string{"g1", "g2", "g3"}) }, []string{"g1", "g2"}},
		{"members read", func() { x.setMembers("g1", membersOf("i-2")) }, []string{"g2"}},
		{"a write does not make it read", func() { x.change("g2", membersOf("i-1"), 1) }, []string{"g2"}},
		{"a listing without it", func() { x.setLB("lb-1", []string{"g1", "g3"}) }, []string{}},
		{"another CLB's group", func() { x.setLB("lb-2", []string{"g4"}); x.markUnread([]string{"g4"}) }, []string{"g4"}},
		{"its CLB forgotten", func() { x.forgetLB("lb-2") }, []string{}},
		{"a deleted group", func() { x.markUnread([]string{"g5"}); x.dropGroup("g5") }, []string{}},
	}
	for _, s := range steps {
		s.apply()
		if got := x.unreadGroups(); !reflect.DeepEqual(got, s.want) {
			t.Errorf("%s: unread %v, want %v", s.name, got, s.want)
		}
	}
}

// TestAttachIndexBoundAfterRestart: after a restart the warm-up lists the
// cluster's CLBs and their groups but reads no members while the bound
// (known groups + every unread group + the joins) fits the quota; when it
// does not, the unread groups are read and the counts are exact.
func TestAttachIndexBoundAfterRestart(t *testing.T) {
	tests := []struct {
		quota           int
		wantMemberReads int
		want            int // count returned for each server
	}{
		{quota: 50, wantMemberReads: 0, want: 2},
		{quota: 3, wantMemberReads: 0, want: 2}, // 2 unread + 1 join = 3: fits
		// 2 unread + 1 join > 2: both read (exact: in 2 groups), still
		// over, so the groups holding the servers are read again before
		// anything is refused.
		{quota: 2, wantMemberReads: 4, want: 2},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.quota), func(t *testing.T) {
			e := newEnv(t, envOpts{nodes: 2})
			e.ensure(service("web", nil))
			e.ensure(service("api", nil, port{"http", 81, 30081, ""}))
			e.restart()
			e.r.opts.Quotas.GroupsPerServer = tt.quota
			e.emu.ResetAudit()
			got, err := e.r.attached.counts(context.Background(), e.r, map[string]int{fmtID(0): 1, fmtID(1): 1})
			if err != nil {
				t.Fatal(err)
			}
			if want := map[string]int{fmtID(0): tt.want, fmtID(1): tt.want}; !reflect.DeepEqual(got, want) {
				t.Errorf("counts %v, want %v", got, want)
			}
			reads := count(e.reads(), "DescribeVServerGroupAttribute")
			if reads != tt.wantMemberReads {
				t.Errorf("%d member reads, want %d (%v)", reads, tt.wantMemberReads, e.reads())
			}
		})
	}
}
