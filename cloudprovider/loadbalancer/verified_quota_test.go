package loadbalancer

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// TestTrustedGroupsInQuotaIndex: a group whose members a restart takes
// from the verified-backends record enters the vServer-groups-per-server
// quota index as read only when the plan is its whole membership (its
// ServerCount equals the plan); with members someone added by hand (a
// larger ServerCount) it stays unread, so the quota bound still counts it
// as possibly holding any server instead of undercounting those servers.
func TestTrustedGroupsInQuotaIndex(t *testing.T) {
	plan := []backend{{ServerID: "i-1", Type: annotations.BackendECS, Port: 30080, Weight: 100},
		{ServerID: "i-2", Type: annotations.BackendECS, Port: 30080, Weight: 100}}
	tests := []struct {
		name       string
		count      int // the group's ServerCount
		wantUnread bool
	}{
		{name: "only the plan's members: read", count: 2},
		{name: "a member added by hand: unread", count: 3, wantUnread: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &Reconciler{}
			svc := &v1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", UID: "u-1"}}
			cfg := &annotations.Config{}
			g := &groupView{id: "rsp-1", count: tc.count}
			target := &groupTarget{name: "k8s-web", desired: plan, group: g}
			trust := verifiedEntry{{id: "rsp-1", count: tc.count, digest: memberDigest(plan, false)}}
			if !r.trustMembers(svc, cfg, []*groupTarget{target}, trust) {
				t.Fatal("the record matches, the members were not trusted")
			}
			unread := len(r.attached.unreadGroups()) == 1
			if unread != tc.wantUnread {
				t.Errorf("group unread in the quota index = %v, want %v", unread, tc.wantUnread)
			}
			if got, _ := r.attached.count([]string{"i-1"}); !tc.wantUnread && got["i-1"] != 1 {
				t.Errorf("i-1 counted in %d groups, want 1", got["i-1"])
			}
		})
	}
}
