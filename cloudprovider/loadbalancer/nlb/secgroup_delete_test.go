package nlb

import (
	"context"
	"slices"
	"strings"
	"testing"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// The security groups on deletion, through the whole engine (ensure until
// converged, then EnsureLoadBalancerDeleted until done): on an NLB that
// stays (a reused one, or ours kept by preserve-lb-on-delete) the CCM
// leaves exactly the groups its record tag proves it joined for the
// Service, deletes the Service's source-ranges group and removes its
// record tag, so the NLB's groups and tags are as before; a group the
// user joined by hand, or one another Service's record holds, stays.

const delUserNLB = "nlb-user"

// delSvc is a Service on the user's NLB (reuse) or on its own NLB, with
// security-group-ids groups and source ranges.
func delSvc(name string, reuse bool, groups []string, ranges ...string) *v1.Service {
	// Each Service its own port: Services sharing an NLB cannot share one.
	port := svcPort{port: 80 + int32(name[0]-'a'), nodePort: 30080 + int32(name[0]-'a')}
	kv := []string{"zone-maps", testZoneH + ":" + testVSwH + "," + testZoneI + ":" + testVSwI}
	if reuse {
		kv = []string{"id", delUserNLB}
	}
	if len(groups) > 0 {
		kv = append(kv, "security-group-ids", strings.Join(groups, ","))
	}
	svc := testService(name, anno(kv...), port)
	svc.Spec.LoadBalancerSourceRanges = ranges
	return svc
}

// sgView is an NLB's security groups and tags, the owned groups shown as
// "owned-<service>".
type sgView struct {
	joined []string
	tags   []string
}

func (e *env) sgView(lbID string, svcs ...*v1.Service) sgView {
	e.t.Helper()
	owner := map[string]string{}
	for _, g := range e.emu.Dump().SecurityGroups {
		for _, s := range svcs {
			if slices.Contains(g.Tags, emulator.Tag{Key: loadbalancer.TagServiceUID, Value: string(s.UID)}) {
				owner[g.SecurityGroupID] = "owned-" + s.Name
			}
		}
	}
	name := func(id string) string {
		if o, ok := owner[id]; ok {
			return o
		}
		return id
	}
	var v sgView
	lb := e.lb(lbID)
	for _, id := range lb.SecurityGroupIds {
		v.joined = append(v.joined, name(id))
	}
	for _, t := range lb.Tags {
		val := t.Value
		for id, o := range owner {
			val = strings.ReplaceAll(val, id, o)
		}
		v.tags = append(v.tags, t.Key+"="+val)
	}
	slices.Sort(v.joined)
	slices.Sort(v.tags)
	return v
}

// ownedGroupsOf lists the security groups tagged as svc's.
func (e *env) ownedGroupsOf(svc *v1.Service) []string {
	var out []string
	for _, g := range e.emu.Dump().SecurityGroups {
		if slices.Contains(g.Tags, emulator.Tag{Key: loadbalancer.TagServiceUID, Value: string(svc.UID)}) {
			out = append(out, g.SecurityGroupID)
		}
	}
	return out
}

// seedUserNLB adds the user's NLB, its tag team=a, and sg-hand joined by
// hand, plus the user's groups sg-u1, sg-u2 and sg-hand.
func seedUserNLB(s *emulator.SeedState) {
	for _, id := range []string{"sg-u1", "sg-u2", "sg-hand"} {
		s.SecurityGroups = append(s.SecurityGroups, userSG(id))
	}
	s.NLBs = append(s.NLBs, emulator.SeedNLB{LoadBalancerID: delUserNLB, Name: "users", VpcID: testVPC,
		Tags: []emulator.Tag{{Key: "team", Value: "a"}}, SecurityGroupIDs: []string{"sg-hand"},
		Zones: []emulator.SeedNLBZone{{ZoneID: testZoneH, VSwitchID: testVSwH}, {ZoneID: testZoneI, VSwitchID: testVSwI}}})
}

// TestDeleteRestoresReusedNLBSecurityGroups: the table of deletions on the
// user's NLB. Each case converges its Services, deletes the first one and
// checks the NLB's groups and tags, the owned groups and the user's rules.
func TestDeleteRestoresReusedNLBSecurityGroups(t *testing.T) {
	userNLBAsBefore := sgView{joined: []string{"sg-hand"}, tags: []string{"team=a"}}
	cases := []struct {
		name string
		svcs []*v1.Service
		// after is the user's NLB once the first Service is deleted.
		after sgView
		// noLeave: the deletion makes no LoadBalancerLeaveSecurityGroup.
		noLeave bool
		// forget removes the id annotation before the deletion: the NLB
		// is found by the Service's record tag.
		forget bool
	}{
		{name: "the user's groups", svcs: []*v1.Service{delSvc("a", true, []string{"sg-u1", "sg-u2"})}, after: userNLBAsBefore},
		{name: "the user's groups and source ranges", svcs: []*v1.Service{delSvc("a", true, []string{"sg-u1"}, "10.0.0.0/8")}, after: userNLBAsBefore},
		{name: "source ranges only", svcs: []*v1.Service{delSvc("a", true, nil, "10.0.0.0/8", "192.0.2.0/24")}, after: userNLBAsBefore},
		{name: "a group joined by hand, annotated too, stays", svcs: []*v1.Service{delSvc("a", true, []string{"sg-hand", "sg-u1"})}, after: userNLBAsBefore},
		{name: "only a group joined by hand: no write to the groups", svcs: []*v1.Service{delSvc("a", true, []string{"sg-hand"})},
			after: userNLBAsBefore, noLeave: true},
		{name: "the id annotation removed before the deletion", svcs: []*v1.Service{delSvc("a", true, []string{"sg-u1"}, "10.0.0.0/8")},
			after: userNLBAsBefore, forget: true},
		{name: "a group another Service's record holds stays",
			svcs: []*v1.Service{delSvc("a", true, []string{"sg-u1", "sg-u2"}), delSvc("b", true, []string{"sg-u1"}, "10.0.0.0/8")},
			after: sgView{joined: []string{"owned-b", "sg-hand", "sg-u1"},
				tags: []string{sgRecordKey("uid-b") + "=sg-u1,owned-b", "team=a"}}},
		{name: "a group both Services list stays for the other",
			svcs:  []*v1.Service{delSvc("a", true, []string{"sg-u2"}), delSvc("b", true, []string{"sg-u2"})},
			after: sgView{joined: []string{"sg-hand", "sg-u2"}, tags: []string{sgRecordKey("uid-b") + "=sg-u2", "team=a"}}, noLeave: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := engineEnv(t, envOpts{seed: seedUserNLB})
			before := userRulesOf(e)
			for _, svc := range tc.svcs {
				e.converge(svc, e.config(svc, nil))
			}
			// While the Services live, the NLB is in their groups.
			live := e.sgView(delUserNLB, tc.svcs...)
			for _, svc := range tc.svcs {
				for _, g := range e.config(svc, nil).LB.SecurityGroupIDs {
					if !slices.Contains(live.joined, g) {
						t.Fatalf("%s: %s not joined: %v", svc.Name, g, live.joined)
					}
				}
			}
			// Services sharing the NLB do not undo each other: a second
			// round writes nothing.
			e.emu.ResetAudit()
			for _, svc := range tc.svcs {
				e.converge(svc, e.config(svc, nil))
			}
			if w := e.writes(); len(w) > 0 {
				t.Fatalf("steady state writes %v", w)
			}
			e.emu.ResetAudit()
			if tc.forget {
				delete(tc.svcs[0].Annotations, annotations.Prefix+"id")
			}
			e.deleted(tc.svcs[0])
			if got := e.sgView(delUserNLB, tc.svcs...); !slices.Equal(got.joined, tc.after.joined) || !slices.Equal(got.tags, tc.after.tags) {
				t.Errorf("after the delete: joined %v tags %v, want %v %v", got.joined, got.tags, tc.after.joined, tc.after.tags)
			}
			if tc.noLeave && slices.Contains(e.writes(), "LoadBalancerLeaveSecurityGroup") {
				t.Errorf("writes %v, want no LoadBalancerLeaveSecurityGroup", e.writes())
			}
			if g := e.ownedGroupsOf(tc.svcs[0]); len(g) > 0 {
				t.Errorf("the deleted Service's security groups are left: %v", g)
			}
			if after := userRulesOf(e); !mapsEqual(before, after) {
				t.Errorf("the user's groups' rules changed: %v -> %v", before, after)
			}
			// The other Services go too: the NLB is as it was.
			for _, svc := range tc.svcs[1:] {
				e.deleted(svc)
			}
			if got := e.sgView(delUserNLB); !slices.Equal(got.joined, userNLBAsBefore.joined) || !slices.Equal(got.tags, userNLBAsBefore.tags) {
				t.Errorf("after every delete: joined %v tags %v, want %v", got.joined, got.tags, userNLBAsBefore)
			}
		})
	}
}

// userRulesOf renders the rules of every group not tagged by the CCM.
func userRulesOf(e *env) map[string][]string {
	out := map[string][]string{}
	for _, g := range e.emu.Dump().SecurityGroups {
		if !slices.ContainsFunc(g.Tags, func(t emulator.Tag) bool { return t.Key == loadbalancer.TagServiceUID }) {
			out[g.SecurityGroupID] = rulesOf(g)
		}
	}
	return out
}

// TestDeleteOwnNLBSecurityGroups: our NLB deleted leaves no owned group and
// needs no Leave for the user's groups (the NLB goes with its
// memberships); kept by preserve-lb-on-delete, it leaves the groups the
// CCM joined and loses the record tag with the ownership tags.
func TestDeleteOwnNLBSecurityGroups(t *testing.T) {
	cases := []struct {
		name     string
		preserve bool
		// leaves is the number of LoadBalancerLeaveSecurityGroup calls.
		leaves int
	}{
		{name: "deleted", leaves: 1},
		{name: "preserved", preserve: true, leaves: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := engineEnv(t, envOpts{seed: seedUserNLB})
			svc := delSvc("own", false, []string{"sg-u1", "sg-u2"}, "10.0.0.0/8")
			if tc.preserve {
				svc.Annotations[annotations.Prefix+"preserve-lb-on-delete"] = "true"
			}
			e.converge(svc, e.config(svc, nil))
			var id string
			for _, lb := range e.lbs() {
				if lb.LoadBalancerId != delUserNLB {
					id = lb.LoadBalancerId
				}
			}
			if v := e.sgView(id, svc); !slices.Equal(v.joined, []string{"owned-own", "sg-u1", "sg-u2"}) {
				t.Fatalf("joined %v", v.joined)
			}
			e.emu.ResetAudit()
			e.deleted(svc)
			if n := countOf(e.writes(), "LoadBalancerLeaveSecurityGroup"); n != tc.leaves {
				t.Errorf("%d leaves, want %d (writes %v)", n, tc.leaves, e.writes())
			}
			if g := e.ownedGroupsOf(svc); len(g) > 0 {
				t.Errorf("owned groups left: %v", g)
			}
			if !tc.preserve {
				return
			}
			v := e.sgView(id, svc)
			if len(v.joined) > 0 {
				t.Errorf("the kept NLB is still in %v", v.joined)
			}
			want := []string{"alicloud-ccm/"}
			for _, tag := range v.tags {
				if strings.HasPrefix(tag, want[0]) || strings.HasPrefix(tag, loadbalancer.TagOfficialOwner) {
					t.Errorf("tag %s left on the kept NLB", tag)
				}
			}
		})
	}
}

func countOf(s []string, v string) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

// TestSecurityGroupRecordKeys: each Service has its own record tag key,
// within the 64-character tag key limit, found again among the NLB's tags.
func TestSecurityGroupRecordKeys(t *testing.T) {
	uid := types.UID("0f5d3a52-8a1f-4a3c-9a8e-3c1d0e6b7f21")
	k := sgRecordKey(uid)
	if len(k) > 64 || !strings.HasPrefix(k, TagSecurityGroups) {
		t.Fatalf("key %q", k)
	}
	tags := []sdknlb.TagModels{{Key: k, Value: "sg-1,sg-2"}, {Key: sgRecordKey("other"), Value: "sg-2,sg-3"}, {Key: "team", Value: "sg-9"},
		{Key: TagSecurityGroups, Value: "sg-legacy"}}
	mine, others, found := sgRecords(tags, uid)
	if !slices.Equal(mine, []string{"sg-1", "sg-2"}) || !slices.Equal(others, []string{"sg-2", "sg-3"}) || !found {
		t.Fatalf("mine %v others %v found %v", mine, others, found)
	}
	if _, _, found := sgRecords(tags[1:], uid); found {
		t.Fatal("another Service's record read as this one's")
	}
}

// TestDeleteNeverStuck: faults on the way of a deletion from the user's
// NLB (busy answers, errors, a job that fails, the NLB gone before the
// read) only delay it: a few more rounds, then the NLB is as before and
// no group of the Service is left.
func TestDeleteNeverStuck(t *testing.T) {
	cases := []struct {
		name   string
		faults emulator.FaultProfile
	}{
		{name: "the NLB busy on the leave", faults: emulator.FaultProfile{Errors: []emulator.ErrorRule{
			{Match: "Nlb.LoadBalancerLeaveSecurityGroup", Code: "Conflict.Lock", Count: 3}}}},
		{name: "errors on the untag and the group delete", faults: emulator.FaultProfile{Errors: []emulator.ErrorRule{
			{Match: "Nlb.UntagResources", Code: "InternalError", Count: 2}, {Match: "Ecs.DeleteSecurityGroup", Code: "InternalError", Count: 2}}}},
		{name: "the leave's job fails", faults: emulator.FaultProfile{JobFailures: []emulator.JobFailureRule{
			{Match: "Nlb.LoadBalancerLeaveSecurityGroup", Count: 1}}}},
		{name: "errors on the reads", faults: emulator.FaultProfile{Errors: []emulator.ErrorRule{
			{Match: "Nlb.GetLoadBalancerAttribute", Code: "ServiceUnavailable", Count: 2}, {Match: "Ecs.DescribeSecurityGroups", Code: "InternalError", Count: 2}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := engineEnv(t, envOpts{seed: seedUserNLB})
			svc := delSvc("a", true, []string{"sg-u1"}, "10.0.0.0/8")
			e.converge(svc, e.config(svc, nil))
			e.emu.SetFaults(tc.faults)
			e.deletedDespiteErrors(svc)
			for _, f := range tc.faults.Errors {
				if e.emu.CallCount(strings.TrimPrefix(strings.TrimPrefix(f.Match, "Nlb."), "Ecs."), f.Code) == 0 {
					t.Errorf("the fault %s %s never fired", f.Match, f.Code)
				}
			}
			if got := e.sgView(delUserNLB, svc); !slices.Equal(got.joined, []string{"sg-hand"}) || !slices.Equal(got.tags, []string{"team=a"}) {
				t.Errorf("after the delete: %+v", got)
			}
			if g := e.ownedGroupsOf(svc); len(g) > 0 {
				t.Errorf("owned groups left: %v", g)
			}
		})
	}
}

// deletedDespiteErrors runs EnsureLoadBalancerDeleted until it returns
// nil, as the framework's requeue does after an error or a retry.
func (e *env) deletedDespiteErrors(svc *v1.Service) {
	e.t.Helper()
	for round := 1; round <= maxRounds; round++ {
		err := e.r.EnsureLoadBalancerDeleted(context.Background(), "k", svc)
		if err == nil {
			return
		}
		e.clock.Advance(jobTime)
	}
	e.t.Fatalf("delete not done after %d rounds", maxRounds)
}
