package loadbalancer

import (
	"context"
	"errors"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	k8scloudprovider "k8s.io/cloud-provider"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// TestLookup pins the lookup keys both engines find by: the id annotation
// and the name annotation, the framework's default name without one; the
// lenient reading and the parsed one agree.
func TestLookup(t *testing.T) {
	plain := service("web", nil)
	def := k8scloudprovider.DefaultLoadBalancerName(plain)
	cases := []struct {
		name          string
		svc           *v1.Service
		reuseID, want string
	}{
		{"no annotations: the default name", plain, "", def},
		{"name annotation", service("web", anno("name", "shop")), "", "shop"},
		{"id annotation keeps the default name", service("web", anno("id", "lb-user")), "lb-user", def},
		{"both", service("web", anno("id", "nlb-user", "name", "shop")), "nlb-user", "shop"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := LenientLookup(tc.svc)
			if got != (Lookup{ReuseID: tc.reuseID, Name: tc.want}) {
				t.Errorf("LenientLookup = %+v, want id %q name %q", got, tc.reuseID, tc.want)
			}
			name := ""
			if tc.want != def {
				name = tc.want
			}
			if parsed := NewLookup(tc.svc, tc.reuseID, name); parsed != got {
				t.Errorf("NewLookup = %+v, LenientLookup = %+v", parsed, got)
			}
		})
	}
}

// TestReuseRefusalRules pins which load balancer named by the id
// annotation may be reused: made by a user (no CCM's or cluster's tag),
// and in the cluster's VPC when both VPCs are known. The reason names the
// tag or both VPCs, and the product.
func TestReuseRefusalRules(t *testing.T) {
	cases := []struct {
		name, product    string
		tags             map[string]string
		vpc, clusterVPC  string
		refuse           bool
		mentions         []string
		mentionsNotFound string
	}{
		{name: "user's, same VPC", product: "NLB", tags: map[string]string{"team": "a"}, vpc: "vpc-1", clusterVPC: "vpc-1"},
		{name: "user's, no VPC (an Internet CLB)", product: "CLB", clusterVPC: "vpc-1"},
		{name: "user's, cluster VPC unknown", product: "NLB", vpc: "vpc-2"},
		{name: "another VPC", product: "NLB", vpc: "vpc-2", clusterVPC: "vpc-1", refuse: true, mentions: []string{"vpc-2", "vpc-1", "vpcid"}},
		{name: "our tag", product: "NLB", tags: map[string]string{TagServiceUID: "u"}, refuse: true, mentions: []string{TagServiceUID + "=u", "only NLBs"}},
		{name: "the official CCM's tag", product: "CLB", tags: map[string]string{TagOfficialOwner: "a123"}, refuse: true, mentions: []string{TagOfficialOwner, "only CLBs"}},
		{name: "ACK's tag", product: "CLB", tags: map[string]string{TagOfficialCluster: "c1"}, refuse: true, mentions: []string{TagOfficialCluster}},
		{name: "a tag wins over the VPC", product: "NLB", tags: map[string]string{TagOfficialCluster: "c1"}, vpc: "vpc-2", clusterVPC: "vpc-1",
			refuse: true, mentions: []string{TagOfficialCluster}, mentionsNotFound: "vpc-2"},
		{name: "a long tag value is shortened", product: "NLB", tags: map[string]string{TagOfficialOwner: strings.Repeat("x", 500)}, refuse: true,
			mentionsNotFound: strings.Repeat("x", 500)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := ReuseRefusal(tc.product, tc.tags, tc.vpc, tc.clusterVPC)
			if (got != "") != tc.refuse {
				t.Fatalf("ReuseRefusal = %q, refuse %v", got, tc.refuse)
			}
			for _, m := range tc.mentions {
				if !strings.Contains(got, m) {
					t.Errorf("%q does not name %q", got, m)
				}
			}
			if tc.mentionsNotFound != "" && strings.Contains(got, tc.mentionsNotFound) {
				t.Errorf("%q names %q", got, tc.mentionsNotFound)
			}
		})
	}
}

// TestReuseOtherVPCRefusedCLB: the id annotation naming an intranet CLB in
// another VPC than the cluster's is refused (its vServer groups take
// servers of its VPC only): a ReuseRefused Warning naming the annotation,
// its value and both VPCs, and no write. An Internet CLB is in no VPC and
// is reused.
func TestReuseOtherVPCRefusedCLB(t *testing.T) {
	e := newEnv(t, envOpts{})
	err := e.emu.Seed(emulator.SeedState{VPCs: []emulator.VPC{{VpcID: "vpc-far", CidrBlock: "10.0.0.0/16", VRouterID: "vrt-far"}},
		VSwitches: []emulator.VSwitch{{VSwitchID: "vsw-far", VpcID: "vpc-far", ZoneID: "cn-hangzhou-h", CidrBlock: "10.0.0.0/20"}}})
	if err != nil {
		t.Fatal(err)
	}
	far, err := e.emu.SeedLoadBalancer(emulator.SeedLB{Name: "far", AddressType: "intranet", VSwitchID: "vsw-far"})
	if err != nil {
		t.Fatal(err)
	}
	public, err := e.emu.SeedLoadBalancer(emulator.SeedLB{Name: "public"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	svc := service("web", anno("id", far))
	e.eventsOf("")
	e.emu.ResetAudit()
	_, err = e.r.EnsureLoadBalancer(ctx, "", svc, e.nodes)
	var re *ReuseError
	if !errors.As(err, &re) || re.ID != far {
		t.Fatalf("EnsureLoadBalancer = %v, want a ReuseError for %s", err, far)
	}
	if w := e.writes(); len(w) > 0 {
		t.Errorf("wrote %v", w)
	}
	evs := e.eventsOf(v1.EventTypeWarning)
	if !hasEvent(evs, ReasonReuseRefused) {
		t.Errorf("events %v", evs)
	}
	for _, want := range []string{annoPrefix + annoID, far, "vpc-far", testVPC} {
		if !strings.Contains(strings.Join(evs, "\n"), want) {
			t.Errorf("events %v do not name %q", evs, want)
		}
	}

	pub := service("pub", anno("id", public))
	st, err := e.r.find(ctx, pub, LenientLookup(pub))
	if err != nil || st == nil || st.own != ownReused {
		t.Fatalf("the Internet CLB: %+v %v", st, err)
	}
}
