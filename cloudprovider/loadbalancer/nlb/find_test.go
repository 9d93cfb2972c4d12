package nlb

import (
	"context"
	"errors"
	"slices"
	"testing"

	k8scloudprovider "k8s.io/cloud-provider"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// seedNLB is a pre-existing Active NLB over vsw-h and vsw-i.
func seedNLB(id, name string, tags map[string]string) emulator.SeedNLB {
	s := emulator.SeedNLB{LoadBalancerID: id, Name: name, VpcID: testVPC,
		Zones: []emulator.SeedNLBZone{{ZoneID: testZoneH, VSwitchID: testVSwH}, {ZoneID: testZoneI, VSwitchID: testVSwI}}}
	for _, k := range sortedKeys(tags) {
		s.Tags = append(s.Tags, emulator.Tag{Key: k, Value: tags[k]})
	}
	return s
}

// ourTags are the ownership tags of svc in cluster.
func ourTags(uid, cluster string) map[string]string {
	return map[string]string{loadbalancer.TagClusterID: cluster, loadbalancer.TagServiceUID: uid}
}

// TestFindOrder pins the lookup order and what each kind of NLB found
// means: ours by tags (one call), the id annotation's NLB (reused, or
// refused when a CCM or cluster tagged it, or gone), a same-named NLB
// only with the official CCM's tag for this Service (adopted), never a
// same-named NLB without proof, several ours (refused), and an id
// annotation added after the Service got its own NLB (refused).
func TestFindOrder(t *testing.T) {
	svc := testService("web", nil)
	uid := string(svc.UID)
	defName := k8scloudprovider.DefaultLoadBalancerName(svc)
	cases := []struct {
		name    string
		seed    []emulator.SeedNLB
		reuseID string
		// want: the NLB found and its class; "" with wantErr
		wantID  string
		wantOwn ownership
		wantErr any
		// calls the lookup makes
		calls []string
	}{
		{name: "ours by tags", seed: []emulator.SeedNLB{seedNLB("nlb-ours", "xx", ourTags(uid, testCluster))},
			wantID: "nlb-ours", wantOwn: ownOurs, calls: []string{"ListLoadBalancers"}},
		{name: "our uid, another cluster: not ours", seed: []emulator.SeedNLB{seedNLB("nlb-other", defName, ourTags(uid, "c-other"))},
			calls: []string{"ListLoadBalancers", "ListLoadBalancers"}},
		{name: "reused by id", seed: []emulator.SeedNLB{seedNLB("nlb-user", "mine", map[string]string{"team": "a"})}, reuseID: "nlb-user",
			wantID: "nlb-user", wantOwn: ownReused, calls: []string{"ListLoadBalancers", "ListLoadBalancers"}},
		{name: "id names an ACK NLB", seed: []emulator.SeedNLB{seedNLB("nlb-ack", "api", map[string]string{loadbalancer.TagOfficialCluster: "c1"})},
			reuseID: "nlb-ack", wantErr: new(*ReuseError)},
		{name: "id names another Service's NLB", seed: []emulator.SeedNLB{seedNLB("nlb-svc", "api", ourTags("uid-other", testCluster))},
			reuseID: "nlb-svc", wantErr: new(*ReuseError)},
		{name: "id names no NLB", reuseID: "nlb-gone", wantErr: new(*ReuseError)},
		{name: "id names the official CCM's NLB of this Service", reuseID: "nlb-off",
			seed:   []emulator.SeedNLB{seedNLB("nlb-off", defName, map[string]string{loadbalancer.TagOfficialOwner: defName})},
			wantID: "nlb-off", wantOwn: ownOfficial},
		{name: "name with the official CCM's tag", seed: []emulator.SeedNLB{seedNLB("nlb-off", defName, map[string]string{loadbalancer.TagOfficialOwner: defName})},
			wantID: "nlb-off", wantOwn: ownOfficial, calls: []string{"ListLoadBalancers", "ListLoadBalancers"}},
		{name: "name without proof is ignored", seed: []emulator.SeedNLB{seedNLB("nlb-same", defName, nil)}},
		{name: "name with another Service's official tag is ignored", seed: []emulator.SeedNLB{seedNLB("nlb-same", defName, map[string]string{loadbalancer.TagOfficialOwner: "aother"})}},
		{name: "two of ours", seed: []emulator.SeedNLB{seedNLB("nlb-a", "aa", ourTags(uid, testCluster)), seedNLB("nlb-b", "bb", ourTags(uid, testCluster))},
			wantErr: new(*DuplicateError)},
		{name: "id added after the Service got its NLB", seed: []emulator.SeedNLB{seedNLB("nlb-ours", "xx", ourTags(uid, testCluster)), seedNLB("nlb-user", "uu", nil)},
			reuseID: "nlb-user", wantErr: new(*ChangedError)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := engineEnv(t, envOpts{seed: func(s *emulator.SeedState) { s.NLBs = tc.seed }})
			e.emu.ResetAudit()
			st, err := e.r.find(context.Background(), svc, loadbalancer.Lookup{ReuseID: tc.reuseID, Name: defName})
			if tc.wantErr != nil {
				if err == nil || !errors.As(err, tc.wantErr) {
					t.Fatalf("want %T, got %v", tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantID == "" {
				if st != nil {
					t.Fatalf("found %s (%v), want none", st.lb.LoadBalancerId, st.own)
				}
			} else if st == nil || st.lb.LoadBalancerId != tc.wantID || st.own != tc.wantOwn {
				t.Fatalf("found %+v, want %s %v", st, tc.wantID, tc.wantOwn)
			}
			if tc.calls != nil && !slices.Equal(e.calls(), tc.calls) {
				t.Errorf("calls %v, want %v", e.calls(), tc.calls)
			}
			if w := e.writes(); len(w) != 0 {
				t.Errorf("a lookup wrote %v", w)
			}
		})
	}
}

// TestReuseRefusedNoWrites: a refused id annotation is a Warning Event
// naming the NLB and the reason, and nothing is written.
func TestReuseRefusedNoWrites(t *testing.T) {
	e := engineEnv(t, envOpts{seed: func(s *emulator.SeedState) {
		s.NLBs = []emulator.SeedNLB{seedNLB("nlb-ack", "api", map[string]string{loadbalancer.TagOfficialCluster: "c1"})}
	}})
	svc := testService("web", anno("id", "nlb-ack"))
	cfg := e.config(svc, func(c *annotations.NLBConfig) { c.LB.ReuseID = "nlb-ack" })
	e.emu.ResetAudit()
	_, err := e.step(svc, cfg)
	var re *ReuseError
	if !errors.As(err, &re) || re.ID != "nlb-ack" {
		t.Fatalf("want a ReuseError for nlb-ack, got %v", err)
	}
	if w := e.writes(); len(w) != 0 {
		t.Errorf("writes %v", w)
	}
	if evs := e.drainEvents(); !hasEvent(evs, loadbalancer.ReasonReuseRefused) || !hasEvent(evs, "nlb-ack") {
		t.Errorf("events %v", evs)
	}
}

// TestAdoptOfficial: the official CCM's NLB of this Service (found by
// name with its owner tag) gets our tags and an Adopted event; its
// DNS name and zones stay; afterwards it is ours by tags.
func TestAdoptOfficial(t *testing.T) {
	svc := testService("web", nil)
	defName := k8scloudprovider.DefaultLoadBalancerName(svc)
	e := engineEnv(t, envOpts{seed: func(s *emulator.SeedState) {
		s.NLBs = []emulator.SeedNLB{seedNLB("nlb-off", defName, map[string]string{loadbalancer.TagOfficialOwner: defName, loadbalancer.TagOfficialCluster: "c1"})}
	}})
	cfg := e.config(svc, func(c *annotations.NLBConfig) {
		c.LB.DeleteProtection = false
		c.LB.ModificationProtection = annotations.NonProtection
	})
	e.emu.ResetAudit()
	st, _ := e.converge(svc, cfg)
	if st.Ingress[0].Hostname != "nlb-off."+testRegion+".nlb.aliyuncs.com" {
		t.Errorf("status %+v", st)
	}
	if w := e.writes(); !slices.Equal(w, []string{"TagResources", "CreateServerGroup", "AddServersToServerGroup", "CreateListener"}) {
		t.Errorf("adoption writes %v", w)
	}
	tags := nlbTagMap(e.only().Tags)
	if tags[loadbalancer.TagServiceUID] != string(svc.UID) || tags[loadbalancer.TagOfficialOwner] != defName {
		t.Errorf("tags %v", tags)
	}
	if evs := e.drainEvents(); !hasEvent(evs, loadbalancer.ReasonAdopted) {
		t.Errorf("events %v", evs)
	}
	found, err := e.r.find(context.Background(), svc, loadbalancer.Lookup{Name: defName})
	if err != nil || found.own != ownOurs {
		t.Fatalf("after adoption: %+v %v", found, err)
	}
}

// TestClassify pins the ownership classes by tags alone.
func TestClassify(t *testing.T) {
	svc := testService("web", nil)
	uid := string(svc.UID)
	def := k8scloudprovider.DefaultLoadBalancerName(svc)
	cases := []struct {
		name    string
		tags    map[string]string
		reuseID string
		want    ownership
	}{
		{"ours", ourTags(uid, testCluster), "", ownOurs},
		{"ours even when the id annotation names it", ourTags(uid, testCluster), "nlb-1", ownOurs},
		{"our uid, other cluster", ourTags(uid, "c-x"), "", ownForeign},
		{"other uid", ourTags("uid-x", testCluster), "nlb-1", ownForeign},
		{"official, this Service", map[string]string{loadbalancer.TagOfficialOwner: def}, "", ownOfficial},
		{"official, other Service", map[string]string{loadbalancer.TagOfficialOwner: "aother"}, "", ownForeign},
		// Named by id, it classifies as reused; find then refuses it by
		// its tag (loadbalancer.ReuseRefusal).
		{"official, other Service, named by id", map[string]string{loadbalancer.TagOfficialOwner: "aother"}, "nlb-1", ownReused},
		{"user's, named by id", map[string]string{"team": "a"}, "nlb-1", ownReused},
		{"user's, not named", nil, "", ownForeign},
		{"user's, another id", nil, "nlb-2", ownForeign},
	}
	for _, tc := range cases {
		if got := classify(tc.tags, "nlb-1", svc, testCluster, tc.reuseID); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if ownOurs.String() != "ours" || !ownOfficial.owned() || ownReused.owned() {
		t.Error("ownership names or owned()")
	}
}

// TestPlanAdditionalTags pins the TagAdditionalKeys rule: only keys we
// listed are ever removed; the list follows the annotation.
func TestPlanAdditionalTags(t *testing.T) {
	list := loadbalancer.TagAdditionalKeys
	cases := []struct {
		name       string
		have, want map[string]string
		add        map[string]string
		remove     []string
	}{
		{"first tags", map[string]string{}, map[string]string{"a": "1"}, map[string]string{"a": "1", list: "a"}, nil},
		{"unchanged", map[string]string{"a": "1", list: "a"}, map[string]string{"a": "1"}, map[string]string{}, nil},
		{"value changed", map[string]string{"a": "1", list: "a"}, map[string]string{"a": "2"}, map[string]string{"a": "2"}, nil},
		{"key dropped", map[string]string{"a": "1", "b": "2", list: "a,b"}, map[string]string{"a": "1"}, map[string]string{list: "a"}, []string{"b"}},
		{"all dropped", map[string]string{"a": "1", list: "a"}, map[string]string{}, map[string]string{}, []string{list, "a"}},
		{"console tag kept", map[string]string{"a": "1", "console": "x", list: "a"}, map[string]string{}, map[string]string{}, []string{list, "a"}},
		{"listed key already gone", map[string]string{list: "a"}, map[string]string{}, map[string]string{}, []string{list}},
	}
	for _, tc := range cases {
		add, remove := planAdditionalTags(tc.have, tc.want)
		slices.Sort(remove)
		want := slices.Clone(tc.remove)
		slices.Sort(want)
		if len(add) != len(tc.add) || !slices.Equal(remove, want) {
			t.Errorf("%s: add %v remove %v, want %v %v", tc.name, add, remove, tc.add, tc.remove)
			continue
		}
		for k, v := range tc.add {
			if add[k] != v {
				t.Errorf("%s: add %v, want %v", tc.name, add, tc.add)
			}
		}
	}
}

// TestReuseOtherVPCRefused: the id annotation naming an NLB in another VPC
// than the cluster's is refused (its server groups could never hold the
// nodes) through EnsureLoadBalancer: a Warning Event naming the annotation
// with its value and both VPCs, no write; the same NLB in the cluster's
// VPC is reused.
func TestReuseOtherVPCRefused(t *testing.T) {
	e := engineEnv(t, envOpts{seed: func(s *emulator.SeedState) {
		s.VPCs = append(s.VPCs, emulator.VPC{VpcID: "vpc-other", CidrBlock: "10.0.0.0/16", VRouterID: "vrt-other"})
		s.VSwitches = append(s.VSwitches,
			emulator.VSwitch{VSwitchID: "vsw-oh", VpcID: "vpc-other", ZoneID: testZoneH, CidrBlock: "10.0.0.0/20"},
			emulator.VSwitch{VSwitchID: "vsw-oi", VpcID: "vpc-other", ZoneID: testZoneI, CidrBlock: "10.0.16.0/20"})
		far := emulator.SeedNLB{LoadBalancerID: "nlb-far", Name: "far", VpcID: "vpc-other",
			Zones: []emulator.SeedNLBZone{{ZoneID: testZoneH, VSwitchID: "vsw-oh"}, {ZoneID: testZoneI, VSwitchID: "vsw-oi"}}}
		s.NLBs = []emulator.SeedNLB{far, seedNLB("nlb-near", "near", nil)}
	}})
	svc := testService("web", anno("id", "nlb-far"))
	e.emu.ResetAudit()
	_, err := e.r.EnsureLoadBalancer(context.Background(), "k", svc, e.nodes)
	var re *ReuseError
	if !errors.As(err, &re) || re.ID != "nlb-far" || isRetry(err) {
		t.Fatalf("want a ReuseError for nlb-far, got %v", err)
	}
	if w := e.writes(); len(w) != 0 {
		t.Errorf("writes %v", w)
	}
	evs := e.drainEvents()
	for _, want := range []string{loadbalancer.ReasonReuseRefused, string(annotations.KeyID), "nlb-far", "vpc-other", testVPC} {
		if !hasEvent(evs, want) {
			t.Errorf("events %v do not name %q", evs, want)
		}
	}

	near := testService("near", anno("id", "nlb-near"))
	st, err := e.r.find(context.Background(), near, loadbalancer.NewLookup(near, "nlb-near", ""))
	if err != nil || st == nil || st.own != ownReused {
		t.Fatalf("the cluster VPC's NLB: %+v %v", st, err)
	}
}
