package loadbalancer

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestACLSafeName: ACL names keep only the characters AclName allows and
// fit its length.
func TestACLSafeName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"k8s/0/web/default/c-1", "k8s/0/web/default/c-1"},
		{"k8s/0/~ab12/default/c:1@x", "k8s/0/_ab12/default/c_1_x"},
		{"a b\tc", "a_b_c"},
		{strings.Repeat("x", maxGroupNameLen+10), strings.Repeat("x", maxGroupNameLen)},
	} {
		if got := aclSafeName(tc.in); got != tc.want {
			t.Errorf("aclSafeName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestACLNames: the usual name comes from the Service key, the alternative
// from the Service UID; both are stable and differ per Service and cluster.
func TestACLNames(t *testing.T) {
	r := New(nil, nil, nil, Options{ClusterID: "c-1"})
	other := New(nil, nil, nil, Options{ClusterID: "c-2"})
	web, api := service("web", nil), service("api", nil)
	restarted := New(nil, nil, nil, Options{ClusterID: "c-1"})
	if r.aclName(web) != restarted.aclName(web) || r.aclAltName(web) != restarted.aclAltName(web) {
		t.Error("names are not stable across a restart")
	}
	names := map[string]bool{}
	for _, n := range []string{r.aclName(web), r.aclName(api), other.aclName(web), r.aclAltName(web), r.aclAltName(api), other.aclAltName(web)} {
		if names[n] {
			t.Errorf("name %q used twice", n)
		}
		names[n] = true
		if aclSafeName(n) != n {
			t.Errorf("name %q is not AclName-safe", n)
		}
	}
	if !strings.Contains(r.aclAltName(web), string(web.UID)) {
		t.Errorf("alternative name %q does not carry the Service UID", r.aclAltName(web))
	}
}

// TestACLEntriesJSON pins the AclEntrys parameter.
func TestACLEntriesJSON(t *testing.T) {
	var got []map[string]string
	if err := json.Unmarshal([]byte(aclEntries([]string{"10.0.0.0/8", "192.168.1.0/24"})), &got); err != nil {
		t.Fatal(err)
	}
	want := []map[string]string{{"entry": "10.0.0.0/8", "comment": "loadBalancerSourceRanges"}, {"entry": "192.168.1.0/24", "comment": "loadBalancerSourceRanges"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v", got)
	}
	if aclEntries(nil) != "[]" {
		t.Errorf("no entries: %s", aclEntries(nil))
	}
}

// TestACLEntriesInBatches: entries are added and removed at most
// aclEntriesPerCall per call, only the difference, and a later change
// keeps the same ACL.
func TestACLEntriesInBatches(t *testing.T) {
	ranges := func(from, n int) []string {
		var out []string
		for i := from; i < from+n; i++ {
			out = append(out, fmt.Sprintf("10.%d.%d.0/24", i/250, i%250))
		}
		return out
	}
	count := func(e *env, action string) int {
		n := 0
		for _, w := range e.writes() {
			if w == action {
				n++
			}
		}
		return n
	}
	e := newEnv(t, envOpts{})
	svc := service("web", nil)
	steps := []struct {
		name          string
		ranges        []string
		adds, removes int
		creates       int
	}{
		{"120 ranges: three adds", ranges(0, 120), 3, 0, 1},
		{"shift by 60: two adds and two removes", ranges(60, 120), 2, 2, 0},
		{"unchanged: nothing", ranges(60, 120), 0, 0, 0},
		{"down to 10: three removes", ranges(60, 10), 0, 3, 0},
	}
	var aclID string
	for _, s := range steps {
		e.emu.ResetAudit()
		svc.Spec.LoadBalancerSourceRanges = s.ranges
		e.ensure(svc)
		if a, r, c := count(e, "AddAccessControlListEntry"), count(e, "RemoveAccessControlListEntry"), count(e, "CreateAccessControlList"); a != s.adds || r != s.removes || c != s.creates {
			t.Errorf("%s: %d adds, %d removes, %d creates; want %d, %d, %d", s.name, a, r, c, s.adds, s.removes, s.creates)
		}
		ids, err := e.r.ourACLs(context.Background(), svc)
		if err != nil || len(ids) != 1 || (aclID != "" && ids[0] != aclID) {
			t.Fatalf("%s: our ACLs %v, %v; want the same one", s.name, ids, err)
		}
		aclID = ids[0]
		st, _, err := e.r.readACL(context.Background(), aclID)
		if err != nil || len(st.entries) != len(s.ranges) {
			t.Errorf("%s: %d entries, %v; want %d", s.name, len(st.entries), err, len(s.ranges))
		}
	}
}

// TestSourceRangesComeBack: ranges removed switch the ACL off and keep
// it; ranges added again bind the same ACL, without a new one.
func TestSourceRangesComeBack(t *testing.T) {
	e := newEnv(t, envOpts{})
	svc := service("web", nil)
	svc.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8"}
	e.ensure(svc)
	lbID := e.lbs()[0].LoadBalancerId
	first := e.listeners(lbID)[0].AclIds
	svc.Spec.LoadBalancerSourceRanges = nil
	e.ensure(svc)
	if l := e.listeners(lbID)[0]; l.AclStatus != "off" {
		t.Fatalf("ACL status %q after removing the ranges", l.AclStatus)
	}
	e.emu.ResetAudit()
	svc.Spec.LoadBalancerSourceRanges = []string{"172.16.0.0/12"}
	e.ensure(svc)
	l := e.listeners(lbID)[0]
	if l.AclStatus != "on" || !reflect.DeepEqual(l.AclIds, first) {
		t.Errorf("listener ACL %s %v, want on with %v", l.AclStatus, l.AclIds, first)
	}
	for _, w := range e.writes() {
		if w == "CreateAccessControlList" {
			t.Error("a second ACL was created")
		}
	}
}
