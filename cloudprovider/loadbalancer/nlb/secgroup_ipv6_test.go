package nlb

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// IPv6 source ranges against the emulator: on a DualStack NLB they are
// rules of the owned group (Ipv6SourceCidrIp) with a Drop of ::/0 per
// port, diffed like the IPv4 ones; on an ipv4 NLB they are a Warning and
// no rule.

// syncAs runs one pass on the seeded NLB shown with ipVersion.
func (s *sgEnv) syncAs(ipVersion string, cfg *annotations.NLBConfig) error {
	s.emu.ResetAudit()
	lb := s.lb(sgTestLB)
	lb.AddressIpVersion = ipVersion
	_, err := s.r.syncSecurityGroups(context.Background(), portsInput{LB: lb, Cfg: cfg, Svc: s.svc})
	s.clock.Advance(2 * time.Second)
	return err
}

func acceptFrom(src string) string {
	return sgRule{Proto: "TCP", Ports: "80/80", Source: src, Policy: "accept", Priority: 1}.String()
}

// rulesOfV6 renders a group's rules with either source.
func rulesOfV6(g emulator.SecurityGroup) []string {
	var out []string
	for _, r := range g.Rules {
		src := r.SourceCidrIP
		if src == "" {
			src = r.Ipv6SourceCidrIP
		}
		out = append(out, sgRule{Proto: r.IPProtocol, Ports: r.PortRange, Source: src, Policy: strings.ToLower(r.Policy), Priority: r.Priority}.String())
	}
	slices.Sort(out)
	return out
}

// TestSourceRangesIPv6: the steps of a Service's IPv6 ranges; each step's
// ECS writes, the owned group's rules and whether it warns.
func TestSourceRangesIPv6(t *testing.T) {
	drop4, drop6 := dropAll("TCP", "80/80"), sgRule{Proto: "TCP", Ports: "80/80", Source: anyIPv6, Policy: "drop", Priority: 100}.String()
	p80 := []int32{80}
	steps := []struct {
		name, ipVersion string
		cfg             *annotations.NLBConfig
		ecsWrites       []string
		rules           []string
		warn            bool
	}{
		{name: "DualStack: both families", ipVersion: "DualStack", cfg: sgCfg(p80, nil, "10.0.0.0/8", "2001:db8::/32"),
			ecsWrites: []string{"CreateSecurityGroup", "AuthorizeSecurityGroup"},
			rules:     []string{acceptFrom("10.0.0.0/8"), acceptFrom("2001:db8::/32"), drop4, drop6}},
		{name: "steady", ipVersion: "DualStack", cfg: sgCfg(p80, nil, "2001:db8::/32", "10.0.0.0/8"),
			rules: []string{acceptFrom("10.0.0.0/8"), acceptFrom("2001:db8::/32"), drop4, drop6}},
		{name: "an IPv6 range changed: only its rules", ipVersion: "DualStack", cfg: sgCfg(p80, nil, "10.0.0.0/8", "2001:db8:1::/48"),
			ecsWrites: []string{"AuthorizeSecurityGroup", "RevokeSecurityGroup"},
			rules:     []string{acceptFrom("10.0.0.0/8"), acceptFrom("2001:db8:1::/48"), drop4, drop6}},
		{name: "IPv4 ranges only: IPv6 clients still dropped", ipVersion: "DualStack", cfg: sgCfg(p80, nil, "10.0.0.0/8"),
			ecsWrites: []string{"RevokeSecurityGroup"}, rules: []string{acceptFrom("10.0.0.0/8"), drop4, drop6}},
		{name: "ipv4 NLB: IPv6 ranges warned, no IPv6 rule", ipVersion: "ipv4", cfg: sgCfg(p80, nil, "10.0.0.0/8", "2001:db8::/32"),
			ecsWrites: []string{"RevokeSecurityGroup"}, rules: []string{acceptFrom("10.0.0.0/8"), drop4}, warn: true},
	}
	s := newSGEnv(t)
	for _, st := range steps {
		if err := s.syncAs(st.ipVersion, st.cfg); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := s.ecsCalls(false); !slices.Equal(got, st.ecsWrites) {
			t.Errorf("%s: ECS writes %v, want %v", st.name, got, st.ecsWrites)
		}
		owned := s.owned()
		if len(owned) != 1 {
			t.Fatalf("%s: %d owned groups", st.name, len(owned))
		}
		if got := rulesOfV6(owned[0]); !slices.Equal(got, sortedStrings(st.rules)) {
			t.Errorf("%s: rules\n%s\nwant\n%s", st.name, strings.Join(got, "\n"), strings.Join(sortedStrings(st.rules), "\n"))
		}
		if warned := s.sgEvent(loadbalancer.ReasonAnnotationWarning, "IPv6 ranges"); warned != st.warn {
			t.Errorf("%s: warned %v, want %v", st.name, warned, st.warn)
		}
	}
}

// TestSourceRangesIPv6Quota: the rule count that is refused counts the
// IPv6 rules of a DualStack NLB.
func TestSourceRangesIPv6Quota(t *testing.T) {
	var ranges []string
	for i := range 99 {
		ranges = append(ranges, netipPrefixString(i))
	}
	ranges = append(ranges, "2001:db8::/32")
	for _, tc := range []struct {
		ipVersion string
		refused   bool
	}{{"ipv4", false}, {"DualStack", true}} {
		s := newSGEnv(t)
		err := s.syncAs(tc.ipVersion, sgCfg([]int32{80, 81}, nil, ranges...))
		if (err != nil) != tc.refused {
			t.Errorf("%s: %v, refused want %v", tc.ipVersion, err, tc.refused)
		}
		if tc.refused && (len(s.ecsCalls(true)) > 0 || !s.sgEvent(loadbalancer.ReasonQuotaExceeded, "need 204 security group rules")) {
			t.Errorf("%s: calls %v before the refusal, or no event", tc.ipVersion, s.ecsCalls(true))
		}
	}
}
