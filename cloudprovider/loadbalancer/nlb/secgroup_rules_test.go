package nlb

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

func prefixes(t *testing.T, ss ...string) []netip.Prefix {
	t.Helper()
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

func ruleStrings(rs []sgRule) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	return out
}

// TestDesiredRules pins the owned group's rules: per listener port one
// Accept per range at priority 1, then one Drop of 0.0.0.0/0 at 100 (and
// of ::/0 on a DualStack NLB, whose IPv6 ranges get Accept rules; an ipv4
// NLB's IPv6 ranges get none); TCPSSL is TCP; a port-range listener gives
// its range; a port twice gives its rules once.
func TestDesiredRules(t *testing.T) {
	tcp := func(p int32) annotations.NLBListener {
		return annotations.NLBListener{Port: p, Protocol: annotations.NLBProtocolTCP}
	}
	cases := []struct {
		name      string
		listeners []annotations.NLBListener
		ranges    []string
		dualStack bool
		want      []string
	}{
		{name: "one port, one range", listeners: []annotations.NLBListener{tcp(80)}, ranges: []string{"10.0.0.0/8"},
			want: []string{"TCP 80/80 from 10.0.0.0/8 accept (priority 1)", "TCP 80/80 from 0.0.0.0/0 drop (priority 100)"}},
		{name: "accept rules before drop rules", listeners: []annotations.NLBListener{tcp(80), {Port: 53, Protocol: annotations.NLBProtocolUDP}},
			ranges: []string{"10.0.0.0/8", "1.2.3.4/32"},
			want: []string{"TCP 80/80 from 10.0.0.0/8 accept (priority 1)", "TCP 80/80 from 1.2.3.4/32 accept (priority 1)",
				"UDP 53/53 from 10.0.0.0/8 accept (priority 1)", "UDP 53/53 from 1.2.3.4/32 accept (priority 1)",
				"TCP 80/80 from 0.0.0.0/0 drop (priority 100)", "UDP 53/53 from 0.0.0.0/0 drop (priority 100)"}},
		{name: "tcpssl is tcp", listeners: []annotations.NLBListener{{Port: 443, Protocol: annotations.NLBProtocolTCPSSL}}, ranges: []string{"10.0.0.0/8"},
			want: []string{"TCP 443/443 from 10.0.0.0/8 accept (priority 1)", "TCP 443/443 from 0.0.0.0/0 drop (priority 100)"}},
		{name: "port range listener", listeners: []annotations.NLBListener{{Port: 0, Protocol: annotations.NLBProtocolTCP,
			PortRange: &annotations.PortRange{Start: 1000, End: 2000}}}, ranges: []string{"10.0.0.0/8"},
			want: []string{"TCP 1000/2000 from 10.0.0.0/8 accept (priority 1)", "TCP 1000/2000 from 0.0.0.0/0 drop (priority 100)"}},
		{name: "a port twice", listeners: []annotations.NLBListener{tcp(80), tcp(80)}, ranges: []string{"10.0.0.0/8"},
			want: []string{"TCP 80/80 from 10.0.0.0/8 accept (priority 1)", "TCP 80/80 from 0.0.0.0/0 drop (priority 100)"}},
		{name: "same port tcp and udp", listeners: []annotations.NLBListener{tcp(53), {Port: 53, Protocol: annotations.NLBProtocolUDP}}, ranges: []string{"10.0.0.0/8"},
			want: []string{"TCP 53/53 from 10.0.0.0/8 accept (priority 1)", "UDP 53/53 from 10.0.0.0/8 accept (priority 1)",
				"TCP 53/53 from 0.0.0.0/0 drop (priority 100)", "UDP 53/53 from 0.0.0.0/0 drop (priority 100)"}},
		{name: "no listeners", ranges: []string{"10.0.0.0/8"}, want: []string{}},
		{name: "DualStack: IPv6 ranges and both drops", listeners: []annotations.NLBListener{tcp(80)}, dualStack: true,
			ranges: []string{"10.0.0.0/8", "2001:db8::/32"},
			want: []string{"TCP 80/80 from 10.0.0.0/8 accept (priority 1)", "TCP 80/80 from 2001:db8::/32 accept (priority 1)",
				"TCP 80/80 from 0.0.0.0/0 drop (priority 100)", "TCP 80/80 from ::/0 drop (priority 100)"}},
		{name: "DualStack, IPv4 ranges only: IPv6 clients dropped", listeners: []annotations.NLBListener{tcp(80)}, dualStack: true,
			ranges: []string{"10.0.0.0/8"},
			want: []string{"TCP 80/80 from 10.0.0.0/8 accept (priority 1)", "TCP 80/80 from 0.0.0.0/0 drop (priority 100)",
				"TCP 80/80 from ::/0 drop (priority 100)"}},
		{name: "ipv4 NLB: IPv6 ranges get no rule", listeners: []annotations.NLBListener{tcp(80)}, ranges: []string{"10.0.0.0/8", "2001:db8::/32"},
			want: []string{"TCP 80/80 from 10.0.0.0/8 accept (priority 1)", "TCP 80/80 from 0.0.0.0/0 drop (priority 100)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := ruleStrings(desiredRules(tc.listeners, prefixes(t, tc.ranges...), tc.dualStack))
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func perm(id, proto, ports, src, policy, prio string) ecs.Permission {
	return ecs.Permission{SecurityGroupRuleId: id, IpProtocol: proto, PortRange: ports, SourceCidrIp: src, Policy: policy, Priority: prio}
}

// TestDiffRules pins the rule diff: rules compare by protocol, ports,
// source, policy (any case) and priority; a rule whose priority changed is
// revoked before it is added again (ECS would take the add as a repeat);
// every rule not desired is revoked, a duplicate once.
func TestDiffRules(t *testing.T) {
	want := desiredRules([]annotations.NLBListener{{Port: 80, Protocol: annotations.NLBProtocolTCP}}, prefixes(t, "10.0.0.0/8", "1.0.0.0/8"), false)
	accept10 := perm("sgr-a10", "TCP", "80/80", "10.0.0.0/8", "Accept", "1")
	accept1 := perm("sgr-a1", "tcp", "80/80", "1.0.0.0/8", "accept", "1")
	drop := perm("sgr-d", "TCP", "80/80", "0.0.0.0/0", "Drop", "100")
	cases := []struct {
		name                string
		current             []ecs.Permission
		add                 []string
		revokeFirst, revoke []string
	}{
		{name: "in sync (any case)", current: []ecs.Permission{accept10, accept1, drop}},
		{name: "empty group", add: ruleStrings(want)},
		{name: "a range added", current: []ecs.Permission{accept10, drop}, add: []string{"TCP 80/80 from 1.0.0.0/8 accept (priority 1)"}},
		{name: "a range removed", current: []ecs.Permission{accept10, accept1, drop, perm("sgr-old", "TCP", "80/80", "9.0.0.0/8", "Accept", "1")},
			revoke: []string{"sgr-old"}},
		{name: "a port removed", current: []ecs.Permission{accept10, accept1, drop, perm("sgr-p1", "TCP", "81/81", "10.0.0.0/8", "Accept", "1"),
			perm("sgr-p2", "TCP", "81/81", "0.0.0.0/0", "Drop", "100")}, revoke: []string{"sgr-p1", "sgr-p2"}},
		{name: "priority changed by hand", current: []ecs.Permission{accept10, accept1, perm("sgr-d50", "TCP", "80/80", "0.0.0.0/0", "Drop", "50")},
			add: []string{"TCP 80/80 from 0.0.0.0/0 drop (priority 100)"}, revokeFirst: []string{"sgr-d50"}},
		{name: "a duplicate rule", current: []ecs.Permission{accept10, accept1, drop, perm("sgr-dup", "TCP", "80/80", "10.0.0.0/8", "Accept", "1")},
			revoke: []string{"sgr-dup"}},
		{name: "a rule from another group, an IPv6 rule not wanted", current: []ecs.Permission{accept10, accept1, drop,
			{SecurityGroupRuleId: "sgr-g", IpProtocol: "TCP", PortRange: "80/80", SourceGroupId: "sg-x", Policy: "Accept", Priority: "1"},
			{SecurityGroupRuleId: "sgr-6", IpProtocol: "TCP", PortRange: "80/80", Ipv6SourceCidrIp: "::/0", Policy: "Accept", Priority: "1"}},
			revoke: []string{"sgr-6", "sgr-g"}},
		{name: "a bad priority", current: []ecs.Permission{accept10, accept1, drop, perm("sgr-x", "TCP", "80/80", "0.0.0.0/0", "Drop", "high")},
			revoke: []string{"sgr-x"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := diffRules(tc.current, want)
			if got := ruleStrings(d.Add); !slices.Equal(got, nonNilStrings(tc.add)) {
				t.Errorf("add %v, want %v", got, tc.add)
			}
			if !slices.Equal(d.RevokeFirst, tc.revokeFirst) || !slices.Equal(d.Revoke, tc.revoke) {
				t.Errorf("revoke first %v then %v, want %v then %v", d.RevokeFirst, d.Revoke, tc.revokeFirst, tc.revoke)
			}
			if d.empty() != (len(tc.add)+len(tc.revokeFirst)+len(tc.revoke) == 0) {
				t.Errorf("empty() = %v", d.empty())
			}
		})
	}
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// TestSplitRanges: each family sorted without duplicates.
func TestSplitRanges(t *testing.T) {
	v4, v6 := splitRanges(prefixes(t, "10.0.0.0/8", "2001:db8::/32", "1.2.3.0/24", "10.0.0.0/8", "2001:db8::/32", "2001:da8::/32"))
	if sgPrefixList(v4) != "1.2.3.0/24, 10.0.0.0/8" || sgPrefixList(v6) != "2001:da8::/32, 2001:db8::/32" {
		t.Fatalf("v4 %v v6 %v", v4, v6)
	}
	if v4, v6 := splitRanges(nil); v4 != nil || v6 != nil {
		t.Fatalf("nil ranges: %v %v", v4, v6)
	}
}

// TestPermissions: the Authorize form of a rule, with its description.
func TestPermissions(t *testing.T) {
	got := permissions([]sgRule{{Proto: "UDP", Ports: "53/53", Source: "10.0.0.0/8", Policy: "accept", Priority: 1}})
	if len(got) != 1 || got[0].IpProtocol != "UDP" || got[0].PortRange != "53/53" || got[0].SourceCidrIp != "10.0.0.0/8" ||
		got[0].Policy != "accept" || got[0].Priority != "1" || !strings.Contains(got[0].Description, "loadBalancerSourceRanges") {
		t.Fatalf("%+v", got)
	}
	got = permissions([]sgRule{{Proto: "TCP", Ports: "80/80", Source: "2001:db8::/32", Policy: "accept", Priority: 1},
		{Proto: "TCP", Ports: "80/80", Source: anyIPv6, Policy: "drop", Priority: 100}})
	if len(got) != 2 || got[0].Ipv6SourceCidrIp != "2001:db8::/32" || got[0].SourceCidrIp != "" || got[1].Ipv6SourceCidrIp != "::/0" {
		t.Fatalf("IPv6 rules: %+v", got)
	}
	if r, ok := ruleOf(ecs.Permission{IpProtocol: "tcp", PortRange: "80/80", Ipv6SourceCidrIp: "::/0", Policy: "Drop", Priority: "100"}); !ok ||
		r != (sgRule{Proto: "TCP", Ports: "80/80", Source: anyIPv6, Policy: "drop", Priority: 100}) {
		t.Fatalf("an IPv6 rule read as %+v %v", r, ok)
	}
}

// TestSecurityGroupHelpers pins the small helpers: the record tag's
// parsing, the group name, and ID list handling.
func TestSecurityGroupHelpers(t *testing.T) {
	cases := []struct {
		name string
		got  []string
		want []string
	}{
		{"dedupe trims and drops empties", sgDedupe([]string{" sg-a", "sg-b", "", "sg-a"}), []string{"sg-a", "sg-b"}},
		{"sorted copy", sgSorted([]string{"b", "a"}), []string{"a", "b"}},
		{"job appended", sgAppendJob([]string{"j1"}, "j2"), []string{"j1", "j2"}},
		{"empty job skipped", sgAppendJob([]string{"j1"}, ""), []string{"j1"}},
	}
	for _, tc := range cases {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	long := testService(strings.Repeat("n", 200), nil)
	if n := sgName(long); len(n) != 128 || !strings.HasPrefix(n, "k8s-default-") {
		t.Errorf("name of a long Service %q (%d)", n, len(n))
	}
	if n := sgName(testService("web", nil)); n != "k8s-default-web-source-ranges" {
		t.Errorf("name %q", n)
	}
}
