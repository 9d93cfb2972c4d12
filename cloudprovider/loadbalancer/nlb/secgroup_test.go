package nlb

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// The security group level against the emulator: the owned source-ranges
// group's life, the user's groups and the join record, quotas, crashes
// and deletion. Jobs last one second on the fake clock; a step advances
// the clock past its jobs.

const sgTestLB = "nlb-sgtest"

// userSG is a user's security group with one rule of its own.
func userSG(id string) emulator.SecurityGroup {
	return emulator.SecurityGroup{SecurityGroupID: id, VpcID: testVPC, Name: "user",
		Rules: []emulator.SecurityGroupRule{{IPProtocol: "TCP", PortRange: "22/22", SourceCidrIP: "10.9.0.0/16", Policy: "Accept", Priority: 5}}}
}

// sgEnv is a harness with svc's NLB (seeded, its own, idle), the user's
// groups sg-u1..sg-u4 and sg-hand, which the NLB joined by hand.
type sgEnv struct {
	*env
	svc *v1.Service
}

func newSGEnv(t *testing.T) *sgEnv {
	t.Helper()
	svc := testService("web", nil)
	svc.Generation = 3
	e := newEnv(t, envOpts{jobs: time.Second, seed: func(s *emulator.SeedState) {
		for _, id := range []string{"sg-u1", "sg-u2", "sg-u3", "sg-u4", "sg-hand"} {
			s.SecurityGroups = append(s.SecurityGroups, userSG(id))
		}
		s.NLBs = append(s.NLBs, emulator.SeedNLB{LoadBalancerID: sgTestLB, VpcID: testVPC, Tags: ownTags(svc), SecurityGroupIDs: []string{"sg-hand"},
			Zones: []emulator.SeedNLBZone{{ZoneID: testZoneH, VSwitchID: testVSwH}, {ZoneID: testZoneI, VSwitchID: testVSwI}}})
	}})
	return &sgEnv{env: e, svc: svc}
}

// cfg is an NLBConfig with TCP listeners on ports, user groups and ranges.
func sgCfg(ports []int32, user []string, ranges ...string) *annotations.NLBConfig {
	c := &annotations.NLBConfig{LB: annotations.NLBInstance{SecurityGroupIDs: user}}
	for _, p := range ports {
		proto := annotations.NLBProtocolTCP
		if p == 53 {
			proto = annotations.NLBProtocolUDP
		}
		c.Listeners = append(c.Listeners, annotations.NLBListener{Port: p, Protocol: proto})
	}
	for _, r := range ranges {
		c.SourceRanges = append(c.SourceRanges, netipPrefix(r))
	}
	return c
}

// sync runs one pass on the NLB as ListLoadBalancers shows it now, then
// lets its jobs end.
func (s *sgEnv) sync(cfg *annotations.NLBConfig) ([]string, error) {
	s.emu.ResetAudit()
	jobs, err := s.r.syncSecurityGroups(context.Background(), portsInput{LB: s.lb(sgTestLB), Cfg: cfg, Svc: s.svc})
	s.clock.Advance(2 * time.Second)
	return jobs, err
}

// ecsCalls lists the ECS actions since the last ResetAudit (reads too
// when all is set).
func (s *sgEnv) ecsCalls(all bool) []string {
	var out []string
	for _, a := range s.emu.Audit() {
		if a.Product == "Ecs" && (all || !strings.HasPrefix(a.Action, "Describe")) {
			out = append(out, a.Action)
		}
	}
	return out
}

// owned returns the groups tagged as svc's.
func (s *sgEnv) owned() []emulator.SecurityGroup {
	var out []emulator.SecurityGroup
	for _, g := range s.emu.Dump().SecurityGroups {
		if slices.Contains(g.Tags, emulator.Tag{Key: loadbalancer.TagServiceUID, Value: string(s.svc.UID)}) {
			out = append(out, g)
		}
	}
	return out
}

// rules renders a group's rules.
func rulesOf(g emulator.SecurityGroup) []string {
	var out []string
	for _, r := range g.Rules {
		out = append(out, sgRule{Proto: r.IPProtocol, Ports: r.PortRange, Source: r.SourceCidrIP, Policy: strings.ToLower(r.Policy), Priority: r.Priority}.String())
	}
	slices.Sort(out)
	return out
}

// joined is the NLB's groups with the owned group shown as "owned".
func (s *sgEnv) joined() []string {
	owned := s.owned()
	var out []string
	for _, id := range s.lb(sgTestLB).SecurityGroupIds {
		if len(owned) > 0 && id == owned[0].SecurityGroupID {
			id = "owned"
		}
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// record is the NLB's record tag with the owned group shown as "owned".
func (s *sgEnv) record() string {
	for _, t := range s.lb(sgTestLB).Tags {
		if t.Key == sgRecordKey(s.svc.UID) {
			if owned := s.owned(); len(owned) > 0 {
				return strings.ReplaceAll(t.Value, owned[0].SecurityGroupID, "owned")
			}
			return t.Value
		}
	}
	return ""
}

// userRules are the rules of the user's groups (never to change).
func (s *sgEnv) userRules() map[string][]string {
	out := map[string][]string{}
	for _, g := range s.emu.Dump().SecurityGroups {
		if strings.HasPrefix(g.SecurityGroupID, "sg-u") || g.SecurityGroupID == "sg-hand" {
			out[g.SecurityGroupID] = rulesOf(g)
		}
	}
	return out
}

// sgStep is one reconcile of a table test and what it must do.
type sgStep struct {
	name            string
	cfg             *annotations.NLBConfig
	nlbWrites, ecsW []string
	joined          []string // sorted; "owned" is the owned group
	rules           []string // the owned group's rules, sorted; nil: no owned group
	record          string
	noECSCall       bool
}

func runSGSteps(t *testing.T, s *sgEnv, steps []sgStep) {
	t.Helper()
	before := s.userRules()
	for _, st := range steps {
		jobs, err := s.sync(st.cfg)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := s.writes(); !slices.Equal(got, st.nlbWrites) {
			t.Errorf("%s: NLB writes %v, want %v", st.name, got, st.nlbWrites)
		}
		if got := s.ecsCalls(false); !slices.Equal(got, st.ecsW) {
			t.Errorf("%s: ECS writes %v, want %v", st.name, got, st.ecsW)
		}
		if st.noECSCall && len(s.ecsCalls(true)) > 0 {
			t.Errorf("%s: ECS calls %v, want none", st.name, s.ecsCalls(true))
		}
		if (len(jobs) == 0) != (len(st.nlbWrites) == 0) {
			t.Errorf("%s: jobs %v for NLB writes %v", st.name, jobs, st.nlbWrites)
		}
		if got := s.joined(); !slices.Equal(got, st.joined) {
			t.Errorf("%s: joined %v, want %v", st.name, got, st.joined)
		}
		owned := s.owned()
		switch {
		case st.rules == nil && len(owned) > 0:
			t.Errorf("%s: owned groups %+v, want none", st.name, owned)
		case st.rules != nil && len(owned) != 1:
			t.Errorf("%s: %d owned groups, want 1", st.name, len(owned))
		case st.rules != nil:
			if got := rulesOf(owned[0]); !slices.Equal(got, sortedStrings(st.rules)) {
				t.Errorf("%s: rules\n%s\nwant\n%s", st.name, strings.Join(got, "\n"), strings.Join(sortedStrings(st.rules), "\n"))
			}
		}
		if got := s.record(); got != st.record {
			t.Errorf("%s: record %q, want %q", st.name, got, st.record)
		}
	}
	if after := s.userRules(); !mapsEqual(before, after) {
		t.Errorf("the user's groups' rules changed: %v -> %v", before, after)
	}
}

func sortedStrings(s []string) []string { return sgSorted(s) }

func mapsEqual(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func accept(ports, src string) string {
	return sgRule{Proto: "TCP", Ports: ports, Source: src, Policy: "accept", Priority: 1}.String()
}

func dropAll(proto, ports string) string {
	return sgRule{Proto: proto, Ports: ports, Source: anyIPv4, Policy: "drop", Priority: 100}.String()
}

// TestSourceRangesLifecycle: set -> an owned group with the rules, joined;
// unchanged -> no write; changed -> only the rule diff; a port added ->
// its rules; cleared -> left, then deleted; then no ECS call at all.
func TestSourceRangesLifecycle(t *testing.T) {
	s := newSGEnv(t)
	p80 := []int32{80}
	runSGSteps(t, s, []sgStep{
		{name: "set", cfg: sgCfg(p80, nil, "10.0.0.0/8", "1.2.3.0/24"),
			ecsW: []string{"CreateSecurityGroup", "AuthorizeSecurityGroup"}, nlbWrites: []string{"TagResources", "LoadBalancerJoinSecurityGroup"},
			joined: []string{"owned", "sg-hand"}, record: "owned", rules: []string{accept("80/80", "10.0.0.0/8"), accept("80/80", "1.2.3.0/24"), dropAll("TCP", "80/80")}},
		{name: "unchanged", cfg: sgCfg(p80, nil, "1.2.3.0/24", "10.0.0.0/8"),
			joined: []string{"owned", "sg-hand"}, record: "owned", rules: []string{accept("80/80", "10.0.0.0/8"), accept("80/80", "1.2.3.0/24"), dropAll("TCP", "80/80")}},
		{name: "a range changed", cfg: sgCfg(p80, nil, "10.0.0.0/16", "1.2.3.0/24"),
			ecsW:   []string{"AuthorizeSecurityGroup", "RevokeSecurityGroup"},
			joined: []string{"owned", "sg-hand"}, record: "owned", rules: []string{accept("80/80", "10.0.0.0/16"), accept("80/80", "1.2.3.0/24"), dropAll("TCP", "80/80")}},
		{name: "a UDP port added", cfg: sgCfg([]int32{80, 53}, nil, "10.0.0.0/16", "1.2.3.0/24"),
			ecsW:   []string{"AuthorizeSecurityGroup"},
			joined: []string{"owned", "sg-hand"}, record: "owned",
			rules: []string{accept("80/80", "10.0.0.0/16"), accept("80/80", "1.2.3.0/24"), dropAll("TCP", "80/80"),
				sgRule{Proto: "UDP", Ports: "53/53", Source: "10.0.0.0/16", Policy: "accept", Priority: 1}.String(),
				sgRule{Proto: "UDP", Ports: "53/53", Source: "1.2.3.0/24", Policy: "accept", Priority: 1}.String(), dropAll("UDP", "53/53")}},
		{name: "cleared: the NLB leaves the group", cfg: sgCfg(p80, nil), nlbWrites: []string{"LoadBalancerLeaveSecurityGroup"},
			joined: []string{"sg-hand"}, record: "owned", rules: []string{accept("80/80", "10.0.0.0/16"), accept("80/80", "1.2.3.0/24"), dropAll("TCP", "80/80"),
				sgRule{Proto: "UDP", Ports: "53/53", Source: "10.0.0.0/16", Policy: "accept", Priority: 1}.String(),
				sgRule{Proto: "UDP", Ports: "53/53", Source: "1.2.3.0/24", Policy: "accept", Priority: 1}.String(), dropAll("UDP", "53/53")}},
		{name: "cleared: the group is deleted", cfg: sgCfg(p80, nil), ecsW: []string{"DeleteSecurityGroup"}, nlbWrites: []string{"UntagResources"},
			joined: []string{"sg-hand"}},
		{name: "no ranges: no ECS call", cfg: sgCfg(p80, nil), joined: []string{"sg-hand"}, noECSCall: true},
	})
}

// TestUserSecurityGroups: the user's groups are joined and recorded; a
// group dropped from the annotation is left only when the record proves
// the CCM joined it; the record follows what is seen joined; the user's
// rules never change and no ECS write is made.
func TestUserSecurityGroups(t *testing.T) {
	s := newSGEnv(t)
	p80 := []int32{80}
	runSGSteps(t, s, []sgStep{
		{name: "two groups", cfg: sgCfg(p80, []string{"sg-u1", "sg-u2"}), nlbWrites: []string{"TagResources", "LoadBalancerJoinSecurityGroup"},
			joined: []string{"sg-hand", "sg-u1", "sg-u2"}, record: "sg-u1,sg-u2"},
		{name: "steady", cfg: sgCfg(p80, []string{"sg-u1", "sg-u2"}), joined: []string{"sg-hand", "sg-u1", "sg-u2"}, record: "sg-u1,sg-u2", noECSCall: true},
		{name: "one dropped: left", cfg: sgCfg(p80, []string{"sg-u2"}), nlbWrites: []string{"LoadBalancerLeaveSecurityGroup"},
			joined: []string{"sg-hand", "sg-u2"}, record: "sg-u1,sg-u2"},
		{name: "the record follows", cfg: sgCfg(p80, []string{"sg-u2"}), nlbWrites: []string{"TagResources"},
			joined: []string{"sg-hand", "sg-u2"}, record: "sg-u2"},
		{name: "a group joined by hand, now annotated", cfg: sgCfg(p80, []string{"sg-u2", "sg-hand"}),
			joined: []string{"sg-hand", "sg-u2"}, record: "sg-u2"},
		{name: "annotation removed: only the recorded group leaves", cfg: sgCfg(p80, nil), nlbWrites: []string{"LoadBalancerLeaveSecurityGroup"},
			joined: []string{"sg-hand"}, record: "sg-u2"},
		{name: "the record goes", cfg: sgCfg(p80, nil), nlbWrites: []string{"UntagResources"}, joined: []string{"sg-hand"}},
		{name: "steady without groups", cfg: sgCfg(p80, nil), joined: []string{"sg-hand"}, noECSCall: true},
	})
}

// TestUserGroupsWithSourceRanges: the user's groups and the owned group
// are joined in one call.
func TestUserGroupsWithSourceRanges(t *testing.T) {
	s := newSGEnv(t)
	runSGSteps(t, s, []sgStep{
		{name: "both", cfg: sgCfg([]int32{443}, []string{"sg-u1"}, "10.0.0.0/8"),
			nlbWrites: []string{"TagResources", "LoadBalancerJoinSecurityGroup"}, ecsW: []string{"CreateSecurityGroup", "AuthorizeSecurityGroup"},
			joined: []string{"owned", "sg-hand", "sg-u1"}, record: "sg-u1,owned", rules: []string{accept("443/443", "10.0.0.0/8"), dropAll("TCP", "443/443")}},
		{name: "steady", cfg: sgCfg([]int32{443}, []string{"sg-u1"}, "10.0.0.0/8"),
			joined: []string{"owned", "sg-hand", "sg-u1"}, record: "sg-u1,owned", rules: []string{accept("443/443", "10.0.0.0/8"), dropAll("TCP", "443/443")}},
	})
	if g := s.owned()[0]; g.VpcID != testVPC || g.Type != "normal" || !slices.Contains(g.Tags, emulator.Tag{Key: loadbalancer.TagClusterID, Value: testCluster}) ||
		!slices.Contains(g.Tags, emulator.Tag{Key: loadbalancer.TagService, Value: "default/web"}) {
		t.Fatalf("owned group %+v", g)
	}
}

// TestSecurityGroupLimits: more groups than an NLB joins, or more rules
// than a group holds, is an error and a Warning Event before any write.
func TestSecurityGroupLimits(t *testing.T) {
	many := make([]string, 0, 101)
	for i := range 101 {
		many = append(many, netipPrefixString(i))
	}
	cases := []struct {
		name, event string
		cfg         *annotations.NLBConfig
	}{
		{name: "four user groups and source ranges", event: "an NLB joins at most 4",
			cfg: sgCfg([]int32{80}, []string{"sg-u1", "sg-u2", "sg-u3", "sg-u4"}, "10.0.0.0/8")},
		{name: "five user groups", event: "lists 5 security groups", cfg: sgCfg([]int32{80}, []string{"sg-u1", "sg-u2", "sg-u3", "sg-u4", "sg-hand"})},
		{name: "too many rules", event: "need 204 security group rules", cfg: sgCfg([]int32{80, 81}, nil, many...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSGEnv(t)
			if _, err := s.sync(tc.cfg); err == nil {
				t.Fatal("no error")
			}
			if w := s.writes(); len(w) > 0 || len(s.ecsCalls(true)) > 0 {
				t.Fatalf("calls before the refusal: NLB %v, ECS %v", w, s.ecsCalls(true))
			}
			if ev := strings.Join(s.drainEvents(), "\n"); !strings.Contains(ev, loadbalancer.ReasonQuotaExceeded) || !strings.Contains(ev, tc.event) {
				t.Fatalf("events %q, want %s with %q", ev, loadbalancer.ReasonQuotaExceeded, tc.event)
			}
		})
	}
}

// sgEvent reports whether an event of reason mentions sub.
func (s *sgEnv) sgEvent(reason, sub string) bool {
	for _, ev := range s.drainEvents() {
		if strings.Contains(ev, reason) && strings.Contains(ev, sub) {
			return true
		}
	}
	return false
}

func netipPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// netipPrefixString is the i-th distinct /32 source range.
func netipPrefixString(i int) string { return fmt.Sprintf("10.1.%d.%d/32", i/250, i%250) }

// TestSourceRangesCrashAfterCreate: a pass that fails after creating the
// group and writing its rules (the join refused) is finished by the next
// pass without a second group or a rule write; a stray owned group (from
// an earlier generation) is deleted once nothing holds it.
func TestSourceRangesCrashAfterCreate(t *testing.T) {
	s := newSGEnv(t)
	cfg := sgCfg([]int32{80}, nil, "10.0.0.0/8")
	s.emu.SetFaults(emulator.FaultProfile{Errors: []emulator.ErrorRule{{Match: "Nlb.LoadBalancerJoinSecurityGroup", Code: "InternalError", Count: 5}}})
	if _, err := s.sync(cfg); err == nil {
		t.Fatal("the join failure was not reported")
	}
	if got := s.ecsCalls(false); !slices.Equal(got, []string{"CreateSecurityGroup", "AuthorizeSecurityGroup"}) {
		t.Fatalf("first pass ECS writes %v", got)
	}
	s.emu.SetFaults(emulator.FaultProfile{})
	stray := s.svc.DeepCopy()
	stray.Generation = 1 // an older generation's group, e.g. created before a restart lost its answer
	if _, err := s.r.createOwned(context.Background(), portsInput{LB: s.lb(sgTestLB), Svc: stray}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.sync(cfg); err != nil {
		t.Fatal(err)
	}
	if got := s.ecsCalls(false); len(got) != 0 {
		t.Fatalf("second pass ECS writes %v, want none (group found by tags, rules in sync)", got)
	}
	if got := s.writes(); !slices.Equal(got, []string{"LoadBalancerJoinSecurityGroup"}) {
		t.Fatalf("second pass NLB writes %v", got)
	}
	if _, err := s.sync(cfg); err != nil {
		t.Fatal(err)
	}
	if got := s.ecsCalls(false); !slices.Equal(got, []string{"DeleteSecurityGroup"}) {
		t.Fatalf("third pass ECS writes %v, want the stray's delete", got)
	}
	if n := len(s.owned()); n != 1 {
		t.Fatalf("%d owned groups, want 1", n)
	}
	// The create's ClientToken makes a retried create answer the same group.
	a, err1 := s.r.createOwned(context.Background(), portsInput{LB: s.lb(sgTestLB), Svc: s.svc}, "")
	b, err2 := s.r.createOwned(context.Background(), portsInput{LB: s.lb(sgTestLB), Svc: s.svc}, "")
	if err1 != nil || err2 != nil || a != b || a != s.owned()[0].SecurityGroupID {
		t.Fatalf("retried create: %s %v, %s %v; owned %s", a, err1, b, err2, s.owned()[0].SecurityGroupID)
	}
}

// TestDeleteSecurityGroups: the owned group is left (job), then deleted;
// the user's groups and the record stay; a group something else uses is
// reported and left, never blocking; no owned group costs one read.
func TestDeleteSecurityGroups(t *testing.T) {
	s := newSGEnv(t)
	if _, err := s.sync(sgCfg([]int32{80}, []string{"sg-u1"}, "10.0.0.0/8")); err != nil {
		t.Fatal(err)
	}
	before := s.userRules()
	del := func(lbID string) []string {
		t.Helper()
		s.emu.ResetAudit()
		jobs, err := s.r.deleteSecurityGroups(context.Background(), lbID, s.svc, false)
		if err != nil {
			t.Fatal(err)
		}
		s.clock.Advance(2 * time.Second)
		return jobs
	}
	if jobs := del(sgTestLB); len(jobs) != 1 || !slices.Equal(s.writes(), []string{"LoadBalancerLeaveSecurityGroup"}) || len(s.ecsCalls(false)) > 0 {
		t.Fatalf("first delete pass: jobs %v, NLB %v, ECS %v", jobs, s.writes(), s.ecsCalls(false))
	}
	if jobs := del(sgTestLB); len(jobs) != 0 || len(s.writes()) > 0 || !slices.Equal(s.ecsCalls(false), []string{"DeleteSecurityGroup"}) {
		t.Fatalf("second delete pass: jobs %v, NLB %v, ECS %v", jobs, s.writes(), s.ecsCalls(false))
	}
	if got := s.joined(); !slices.Equal(got, []string{"sg-hand", "sg-u1"}) || len(s.owned()) != 0 {
		t.Fatalf("after delete: joined %v, owned %+v", got, s.owned())
	}
	if del(sgTestLB); len(s.writes())+len(s.ecsCalls(false)) > 0 || !slices.Equal(s.ecsCalls(true), []string{"DescribeSecurityGroups"}) {
		t.Fatalf("nothing left: NLB %v, ECS %v", s.writes(), s.ecsCalls(true))
	}
	if !mapsEqual(before, s.userRules()) {
		t.Fatal("the user's groups' rules changed")
	}
	// No NLB is found ("") nor any NLB with the Service's record, and the
	// group is still in use: the Service is not blocked, an Event names
	// the group.
	if _, err := s.sync(sgCfg([]int32{80}, nil, "10.0.0.0/8")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.r.untagRecord(context.Background(), sgTestLB, s.svc.UID); err != nil {
		t.Fatal(err)
	}
	id := s.owned()[0].SecurityGroupID
	if err := s.emu.AddInstance(emulator.Instance{InstanceID: "i-user", VSwitchID: testVSwH, SecurityGrps: []string{id}}); err != nil {
		t.Fatal(err)
	}
	if jobs := del(""); len(jobs) != 0 || !slices.Equal(s.ecsCalls(false), []string{"DeleteSecurityGroup"}) {
		t.Fatalf("delete without an NLB: jobs %v, ECS %v", jobs, s.ecsCalls(false))
	}
	if !s.sgEvent(ReasonSecurityGroupInUse, id) {
		t.Fatalf("no %s event naming %s", ReasonSecurityGroupInUse, id)
	}
}

// TestSecurityGroupsSkipped: a backend-only sync, or a Service without
// groups and ranges whose NLB holds only groups it cannot own, makes no
// call; IPv6-only ranges still drop IPv4 clients (fail closed) and say so.
func TestSecurityGroupsSkipped(t *testing.T) {
	s := newSGEnv(t)
	s.emu.ResetAudit()
	jobs, err := s.r.syncSecurityGroups(context.Background(), portsInput{LB: s.lb(sgTestLB), Cfg: sgCfg([]int32{80}, nil, "10.0.0.0/8"), Svc: s.svc, BackendsOnly: true})
	if err != nil || len(jobs) > 0 || len(s.writes())+len(s.ecsCalls(true)) > 0 {
		t.Fatalf("backends only: %v %v, NLB %v, ECS %v", jobs, err, s.writes(), s.ecsCalls(true))
	}
	if _, err := s.sync(sgCfg([]int32{80}, nil, "2001:db8::/32")); err != nil {
		t.Fatal(err)
	}
	if g := s.owned(); len(g) != 1 || !slices.Equal(rulesOf(g[0]), []string{dropAll("TCP", "80/80")}) {
		t.Fatalf("IPv6-only ranges: owned %+v", g)
	}
	if !s.sgEvent(loadbalancer.ReasonAnnotationWarning, "2001:db8::/32") {
		t.Fatal("no warning about the IPv6 range")
	}
	s.r.opts.ECS, s.r.opts.SecurityGroups = nil, nil
	if _, err := s.sync(sgCfg([]int32{80}, nil, "10.0.0.0/8")); err == nil || !strings.Contains(err.Error(), "ECS client") {
		t.Fatalf("without an ECS client: %v", err)
	}
}

// TestOwnedGroupDeletedBeforeJoin: the create token answers a group that
// was deleted by hand before the NLB joined it; the pass creates a new
// group with a salted token (both tokens within the 64-character limit,
// even with a large generation), writes its rules and joins it.
func TestOwnedGroupDeletedBeforeJoin(t *testing.T) {
	s := newSGEnv(t)
	s.svc.Generation = 1<<62 + 12345
	first, err := s.r.createOwned(context.Background(), portsInput{LB: s.lb(sgTestLB), Svc: s.svc}, "")
	if err != nil {
		t.Fatal(err)
	}
	req := ecs.CreateDeleteSecurityGroupRequest()
	req.SecurityGroupId = first
	if _, err := s.ecs.DeleteSecurityGroup(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if _, err := s.sync(sgCfg([]int32{80}, nil, "10.0.0.0/8")); err != nil {
		t.Fatal(err)
	}
	var tokens []string
	for _, a := range s.emu.Audit() {
		if a.Action == "CreateSecurityGroup" {
			tokens = append(tokens, a.Params["ClientToken"])
		}
	}
	if len(tokens) != 2 || tokens[0] == tokens[1] || len(tokens[0]) > 64 || len(tokens[1]) > 64 {
		t.Fatalf("create tokens %q, want two distinct of at most 64 characters", tokens)
	}
	owned := s.owned()
	if len(owned) != 1 || owned[0].SecurityGroupID == first || len(owned[0].Rules) != 2 {
		t.Fatalf("owned groups %+v, want one new group with 2 rules", owned)
	}
	if got := s.joined(); !slices.Equal(got, []string{"owned", "sg-hand"}) {
		t.Fatalf("joined %v", got)
	}
}
