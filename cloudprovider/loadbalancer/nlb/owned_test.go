package nlb

import (
	"context"
	"slices"
	"testing"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// TestOwnedNLB is the table of the product selection's NLB check: only an
// NLB with this cluster's and this Service's ownership tags counts, found
// with one ListLoadBalancers and no write.
func TestOwnedNLB(t *testing.T) {
	svc := testService("web", nil)
	other := testService("other", nil)
	cases := []struct {
		name string
		tags []emulator.Tag // of the one NLB seeded; nil: none
		want string
	}{
		{name: "no NLB", want: ""},
		{name: "the Service's NLB", tags: ownTags(svc), want: "nlb-1"},
		{name: "another Service's NLB", tags: ownTags(other), want: ""},
		{name: "the Service's UID in another cluster", tags: []emulator.Tag{{Key: loadbalancer.TagClusterID, Value: "c-other"},
			{Key: loadbalancer.TagServiceUID, Value: string(svc.UID)}}, want: ""},
		{name: "an untagged NLB", tags: []emulator.Tag{}, want: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			if tc.tags != nil {
				e.addNLB("nlb-1", tc.tags)
			}
			e.emu.ResetAudit()
			got, err := e.r.OwnedNLB(context.Background(), svc)
			if err != nil || got != tc.want {
				t.Fatalf("OwnedNLB = %q, %v; want %q", got, err, tc.want)
			}
			if calls := e.calls(); !slices.Equal(calls, []string{"ListLoadBalancers"}) {
				t.Errorf("calls %v, want one ListLoadBalancers", calls)
			}
		})
	}
}
