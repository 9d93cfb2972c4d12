package emulator

import (
	"slices"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
)

// IPv6 sources of security group rules (Ipv6SourceCidrIp), through the SDK.

// sgRulesV6 reads a group's rules as "proto port source policy priority",
// the source being the IPv6 one when the rule has it.
func sgRulesV6(t testing.TB, c *ecs.Client, id string) []string {
	t.Helper()
	r := ecs.CreateDescribeSecurityGroupAttributeRequest()
	r.SecurityGroupId = id
	resp, err := c.DescribeSecurityGroupAttribute(r)
	if err != nil {
		t.Fatalf("DescribeSecurityGroupAttribute: %v", err)
	}
	var out []string
	for _, p := range resp.Permissions.Permission {
		src := p.SourceCidrIp
		if p.Ipv6SourceCidrIp != "" {
			if src != "" {
				t.Fatalf("a rule with two sources: %+v", p)
			}
			src = "v6:" + p.Ipv6SourceCidrIp
		}
		out = append(out, strings.Join([]string{p.IpProtocol, p.PortRange, src, p.Policy, p.Priority}, " "))
	}
	return out
}

// TestAuthorizeSecurityGroupIPv6: an IPv6 block or address is a source of
// its own (beside an IPv4 rule on the same port), shown canonical and
// masked; one rule never takes both sources; a malformed or IPv4 value is
// refused; the same IPv6 rule again adds nothing.
func TestAuthorizeSecurityGroupIPv6(t *testing.T) {
	_, tc := sgEnv(t)
	c := tc.ECS
	sg := mustSG(t, c, testVPC, "")
	v6 := func(proto, ports, src, policy, prio string) ecs.AuthorizeSecurityGroupPermissions {
		return ecs.AuthorizeSecurityGroupPermissions{IpProtocol: proto, PortRange: ports, Ipv6SourceCidrIp: src, Policy: policy, Priority: prio}
	}
	cases := []struct {
		name   string
		perms  []ecs.AuthorizeSecurityGroupPermissions
		legacy string
		code   string
	}{
		{name: "blocks and an address", perms: []ecs.AuthorizeSecurityGroupPermissions{v6("tcp", "80/80", "2001:DB8:0:0::/32", "accept", "1"),
			v6("tcp", "80/80", "2001:db8:1::1", "accept", "1"), v6("tcp", "80/80", "::/0", "drop", "100"),
			{IpProtocol: "tcp", PortRange: "80/80", SourceCidrIp: "0.0.0.0/0", Policy: "drop", Priority: "100"}}},
		{name: "the legacy form", legacy: "2001:db8:ff::/48"},
		{name: "a block not masked", perms: []ecs.AuthorizeSecurityGroupPermissions{v6("udp", "53/53", "2001:db8:aa:bb::1/64", "", "")}},
		{name: "both sources in one rule", perms: []ecs.AuthorizeSecurityGroupPermissions{{IpProtocol: "tcp", PortRange: "81/81",
			SourceCidrIp: "10.0.0.0/8", Ipv6SourceCidrIp: "2001:db8::/32"}}, code: "InvalidParameter"},
		{name: "an IPv4 block as the IPv6 source", perms: []ecs.AuthorizeSecurityGroupPermissions{v6("tcp", "81/81", "10.0.0.0/8", "", "")},
			code: "InvalidIpv6SourceCidrIp.Malformed"},
		{name: "an IPv4-mapped address", perms: []ecs.AuthorizeSecurityGroupPermissions{v6("tcp", "81/81", "::ffff:10.0.0.1", "", "")},
			code: "InvalidIpv6SourceCidrIp.Malformed"},
		{name: "a malformed block", perms: []ecs.AuthorizeSecurityGroupPermissions{v6("tcp", "81/81", "2001:db8::/129", "", "")},
			code: "InvalidIpv6SourceCidrIp.Malformed"},
		{name: "an IPv6 block as the IPv4 source", perms: []ecs.AuthorizeSecurityGroupPermissions{{IpProtocol: "tcp", PortRange: "81/81",
			SourceCidrIp: "2001:db8::/32"}}, code: "InvalidSourceCidrIp.Malformed"},
		{name: "the same rule in another case: nothing added", perms: []ecs.AuthorizeSecurityGroupPermissions{v6("TCP", "80/80", "2001:db8::/32", "Accept", "9")}},
	}
	for _, tcase := range cases {
		t.Run(tcase.name, func(t *testing.T) {
			r := ecs.CreateAuthorizeSecurityGroupRequest()
			r.SecurityGroupId = sg
			if tcase.legacy != "" {
				r.IpProtocol, r.PortRange, r.Ipv6SourceCidrIp = "tcp", "443/443", tcase.legacy
			} else {
				r.Permissions = &tcase.perms
			}
			_, err := c.AuthorizeSecurityGroup(r)
			if tcase.code != "" {
				wantErr(t, err, tcase.code, 400)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
	want := []string{"TCP 80/80 v6:2001:db8::/32 Accept 1", "TCP 80/80 v6:2001:db8:1::1 Accept 1", "TCP 80/80 v6:::/0 Drop 100",
		"TCP 80/80 0.0.0.0/0 Drop 100", "TCP 443/443 v6:2001:db8:ff::/48 Accept 1", "UDP 53/53 v6:2001:db8:aa:bb::/64 Accept 1"}
	if got := sgRulesV6(t, c, sg); !slices.Equal(got, want) {
		t.Fatalf("rules\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestRevokeSecurityGroupIPv6: an IPv6 rule is revoked by its Permissions
// (the IPv4 rule of the same port stays) or by its rule ID; an IPv6 rule
// that does not exist is RuleNotExist.
func TestRevokeSecurityGroupIPv6(t *testing.T) {
	_, tc := sgEnv(t)
	c := tc.ECS
	sg := mustSG(t, c, testVPC, "")
	a := ecs.CreateAuthorizeSecurityGroupRequest()
	a.SecurityGroupId = sg
	a.Permissions = &[]ecs.AuthorizeSecurityGroupPermissions{
		{IpProtocol: "tcp", PortRange: "80/80", Ipv6SourceCidrIp: "2001:db8::/32"},
		{IpProtocol: "tcp", PortRange: "80/80", SourceCidrIp: "10.0.0.0/8"},
		{IpProtocol: "tcp", PortRange: "80/80", Ipv6SourceCidrIp: "::/0", Policy: "drop", Priority: "100"},
	}
	if _, err := c.AuthorizeSecurityGroup(a); err != nil {
		t.Fatal(err)
	}
	revoke := func(p ecs.RevokeSecurityGroupPermissions) error {
		r := ecs.CreateRevokeSecurityGroupRequest()
		r.SecurityGroupId, r.Permissions = sg, &[]ecs.RevokeSecurityGroupPermissions{p}
		_, err := c.RevokeSecurityGroup(r)
		return err
	}
	wantErr(t, revoke(ecs.RevokeSecurityGroupPermissions{IpProtocol: "tcp", PortRange: "80/80", Ipv6SourceCidrIp: "2001:db9::/32"}),
		"InvalidSecurityGroupRule.RuleNotExist", 400)
	if err := revoke(ecs.RevokeSecurityGroupPermissions{IpProtocol: "TCP", PortRange: "80/80", Ipv6SourceCidrIp: "2001:0db8::/32"}); err != nil {
		t.Fatal(err)
	}
	if got, want := sgRulesV6(t, c, sg), []string{"TCP 80/80 10.0.0.0/8 Accept 1", "TCP 80/80 v6:::/0 Drop 100"}; !slices.Equal(got, want) {
		t.Fatalf("rules %v, want %v", got, want)
	}
	attr := ecs.CreateDescribeSecurityGroupAttributeRequest()
	attr.SecurityGroupId = sg
	resp, err := c.DescribeSecurityGroupAttribute(attr)
	if err != nil {
		t.Fatal(err)
	}
	r := ecs.CreateRevokeSecurityGroupRequest()
	r.SecurityGroupId, r.SecurityGroupRuleId = sg, &[]string{resp.Permissions.Permission[1].SecurityGroupRuleId}
	if _, err := c.RevokeSecurityGroup(r); err != nil {
		t.Fatal(err)
	}
	if got, want := sgRulesV6(t, c, sg), []string{"TCP 80/80 10.0.0.0/8 Accept 1"}; !slices.Equal(got, want) {
		t.Fatalf("rules %v, want %v", got, want)
	}
}
