package emulator

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// sgEnv is a seeded emulator (seedBasic plus VPC vpc-other) with SDK clients.
func sgEnv(t testing.TB, opts ...func(*Config)) (*Emulator, *testClients) {
	t.Helper()
	e, tc := newTestEmulator(t, opts...)
	seedBasic(t, e)
	if err := e.Seed(SeedState{VPCs: []VPC{{VpcID: "vpc-other", CidrBlock: "10.0.0.0/16"}}}); err != nil {
		t.Fatal(err)
	}
	return e, tc
}

// mustSG creates a security group in vpc and returns its ID.
func mustSG(t testing.TB, c *ecs.Client, vpc, typ string, tags ...ecs.CreateSecurityGroupTag) string {
	t.Helper()
	r := ecs.CreateCreateSecurityGroupRequest()
	r.VpcId, r.SecurityGroupName, r.SecurityGroupType = vpc, "sg-test", typ
	if len(tags) > 0 {
		r.Tag = &tags
	}
	resp, err := c.CreateSecurityGroup(r)
	if err != nil {
		t.Fatalf("CreateSecurityGroup: %v", err)
	}
	return resp.SecurityGroupId
}

// sgRules reads a group's rules as "proto port source policy priority".
func sgRules(t testing.TB, c *ecs.Client, id string) []string {
	t.Helper()
	r := ecs.CreateDescribeSecurityGroupAttributeRequest()
	r.SecurityGroupId = id
	resp, err := c.DescribeSecurityGroupAttribute(r)
	if err != nil {
		t.Fatalf("DescribeSecurityGroupAttribute: %v", err)
	}
	var out []string
	for _, p := range resp.Permissions.Permission {
		if p.SecurityGroupRuleId == "" || p.Direction != "ingress" {
			t.Fatalf("rule without ID or direction: %+v", p)
		}
		out = append(out, strings.Join([]string{p.IpProtocol, p.PortRange, p.SourceCidrIp, p.Policy, p.Priority}, " "))
	}
	return out
}

func TestCreateSecurityGroup(t *testing.T) {
	_, tc := sgEnv(t)
	c := tc.ECS
	cases := []struct {
		name   string
		set    func(r *ecs.CreateSecurityGroupRequest)
		code   string
		status int
	}{
		{name: "minimal", set: func(*ecs.CreateSecurityGroupRequest) {}},
		{name: "enterprise with tags", set: func(r *ecs.CreateSecurityGroupRequest) {
			r.SecurityGroupType, r.Description = "enterprise", "owned by a test"
			r.Tag = &[]ecs.CreateSecurityGroupTag{{Key: "k8s/uid", Value: "u1"}}
		}},
		{name: "no vpc", set: func(r *ecs.CreateSecurityGroupRequest) { r.VpcId = "" }, code: "MissingParameter", status: 400},
		{name: "unknown vpc", set: func(r *ecs.CreateSecurityGroupRequest) { r.VpcId = "vpc-nope" }, code: "InvalidVpcId.NotFound", status: 404},
		{name: "name starts with a digit", set: func(r *ecs.CreateSecurityGroupRequest) { r.SecurityGroupName = "1abc" }, code: "InvalidSecurityGroupName.Malformed", status: 400},
		{name: "name too long", set: func(r *ecs.CreateSecurityGroupRequest) { r.SecurityGroupName = "a" + strings.Repeat("b", 128) }, code: "InvalidSecurityGroupName.Malformed", status: 400},
		{name: "description http", set: func(r *ecs.CreateSecurityGroupRequest) { r.Description = "http://x" }, code: "InvalidDescription.Malformed", status: 400},
		{name: "bad type", set: func(r *ecs.CreateSecurityGroupRequest) { r.SecurityGroupType = "managed" }, code: "InvalidSecurityGroupType", status: 400},
		{name: "reserved tag key", set: func(r *ecs.CreateSecurityGroupRequest) {
			r.Tag = &[]ecs.CreateSecurityGroupTag{{Key: "acs:x", Value: "v"}}
		}, code: "InvalidParam.TagKey", status: 400},
	}
	for _, tcase := range cases {
		t.Run(tcase.name, func(t *testing.T) {
			r := ecs.CreateCreateSecurityGroupRequest()
			r.VpcId, r.SecurityGroupName = testVPC, "web"
			tcase.set(r)
			resp, err := c.CreateSecurityGroup(r)
			if tcase.code != "" {
				wantErr(t, err, tcase.code, tcase.status)
				return
			}
			if err != nil || !strings.HasPrefix(resp.SecurityGroupId, "sg-") {
				t.Fatalf("%+v %v", resp, err)
			}
		})
	}
}

// TestCreateSecurityGroupClientToken: a retry with the same token answers
// the first group; the same token with other parameters is refused.
func TestCreateSecurityGroupClientToken(t *testing.T) {
	e, tc := sgEnv(t)
	r := ecs.CreateCreateSecurityGroupRequest()
	r.VpcId, r.SecurityGroupName, r.ClientToken = testVPC, "web", "tok-1"
	first, err := tc.ECS.CreateSecurityGroup(r)
	if err != nil {
		t.Fatal(err)
	}
	again, err := tc.ECS.CreateSecurityGroup(r)
	if err != nil || again.SecurityGroupId != first.SecurityGroupId {
		t.Fatalf("retry: %+v %v, want %s", again, err, first.SecurityGroupId)
	}
	if n := len(e.Dump().SecurityGroups); n != 1 {
		t.Fatalf("%d groups after a retried create, want 1", n)
	}
	r.SecurityGroupName = "other"
	_, err = tc.ECS.CreateSecurityGroup(r)
	wantErr(t, err, "IdempotentParameterMismatch", 400)
}

func TestDescribeSecurityGroups(t *testing.T) {
	e, tc := sgEnv(t)
	c := tc.ECS
	a := mustSG(t, c, testVPC, "", ecs.CreateSecurityGroupTag{Key: "owner", Value: "ccm"})
	b := mustSG(t, c, testVPC, "enterprise")
	o := mustSG(t, c, "vpc-other", "", ecs.CreateSecurityGroupTag{Key: "owner", Value: "user"})
	if err := e.AddInstance(Instance{InstanceID: "i-in-a", VSwitchID: testVSWH, SecurityGrps: []string{a}}); err != nil {
		t.Fatal(err)
	}
	desc := func(ids ...string) []string { // descending IDs, as the page says
		slices.Sort(ids)
		slices.Reverse(ids)
		return ids
	}
	cases := []struct {
		name   string
		set    func(r *ecs.DescribeSecurityGroupsRequest)
		want   []string
		code   string
		status int
	}{
		{name: "all", set: func(*ecs.DescribeSecurityGroupsRequest) {}, want: desc(a, b, o)},
		{name: "ids", set: func(r *ecs.DescribeSecurityGroupsRequest) { r.SecurityGroupIds = jsonArray(a, "sg-unknown") }, want: []string{a}},
		{name: "one id", set: func(r *ecs.DescribeSecurityGroupsRequest) { r.SecurityGroupId = b }, want: []string{b}},
		{name: "vpc", set: func(r *ecs.DescribeSecurityGroupsRequest) { r.VpcId = "vpc-other" }, want: []string{o}},
		{name: "type", set: func(r *ecs.DescribeSecurityGroupsRequest) { r.SecurityGroupType = "enterprise" }, want: []string{b}},
		{name: "tag", set: func(r *ecs.DescribeSecurityGroupsRequest) {
			r.Tag = &[]ecs.DescribeSecurityGroupsTag{{Key: "owner", Value: "ccm"}}
		}, want: []string{a}},
		{name: "tag key only", set: func(r *ecs.DescribeSecurityGroupsRequest) {
			r.Tag = &[]ecs.DescribeSecurityGroupsTag{{Key: "owner"}}
		}, want: desc(a, o)},
		{name: "bad ids json", set: func(r *ecs.DescribeSecurityGroupsRequest) { r.SecurityGroupIds = a }, code: "InvalidSecurityGroupIds", status: 400},
		{name: "bad type", set: func(r *ecs.DescribeSecurityGroupsRequest) { r.SecurityGroupType = "x" }, code: "InvalidSecurityGroupType", status: 400},
		{name: "page size 51", set: func(r *ecs.DescribeSecurityGroupsRequest) { r.PageSize = requests.NewInteger(51) }, code: "InvalidPageSize", status: 400},
	}
	for _, tcase := range cases {
		t.Run(tcase.name, func(t *testing.T) {
			r := ecs.CreateDescribeSecurityGroupsRequest()
			tcase.set(r)
			resp, err := c.DescribeSecurityGroups(r)
			if tcase.code != "" {
				wantErr(t, err, tcase.code, tcase.status)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, g := range resp.SecurityGroups.SecurityGroup {
				got = append(got, g.SecurityGroupId)
			}
			if !slices.Equal(got, tcase.want) || resp.TotalCount != len(tcase.want) {
				t.Fatalf("got %v (total %d), want %v", got, resp.TotalCount, tcase.want)
			}
		})
	}
	r := ecs.CreateDescribeSecurityGroupsRequest()
	r.SecurityGroupId = a
	resp, err := c.DescribeSecurityGroups(r)
	if err != nil {
		t.Fatal(err)
	}
	g := resp.SecurityGroups.SecurityGroup[0]
	if g.VpcId != testVPC || g.SecurityGroupType != "normal" || g.EcsCount != 1 || len(g.Tags.Tag) != 1 ||
		g.Tags.Tag[0].TagKey != "owner" || g.Tags.Tag[0].TagValue != "ccm" {
		t.Fatalf("group view %+v", g)
	}
}

// TestDescribeSecurityGroupsPaging walks 25 groups with MaxResults/NextToken.
func TestDescribeSecurityGroupsPaging(t *testing.T) {
	_, tc := sgEnv(t)
	for range 25 {
		mustSG(t, tc.ECS, testVPC, "")
	}
	var seen []string
	token := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		r := ecs.CreateDescribeSecurityGroupsRequest()
		r.MaxResults, r.NextToken = requests.NewInteger(10), token
		resp, err := tc.ECS.DescribeSecurityGroups(r)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range resp.SecurityGroups.SecurityGroup {
			seen = append(seen, g.SecurityGroupId)
		}
		if token = resp.NextToken; token == "" {
			break
		}
	}
	if len(seen) != 25 || len(slices.Compact(slices.Clone(seen))) != 25 {
		t.Fatalf("paged %d groups (%v), want 25 distinct", len(seen), seen)
	}
}

func TestAuthorizeSecurityGroup(t *testing.T) {
	_, tc := sgEnv(t)
	c := tc.ECS
	normal := mustSG(t, c, testVPC, "")
	ent := mustSG(t, c, testVPC, "enterprise")
	other := mustSG(t, c, "vpc-other", "")
	perm := func(proto, ports, src, policy, prio string) ecs.AuthorizeSecurityGroupPermissions {
		return ecs.AuthorizeSecurityGroupPermissions{IpProtocol: proto, PortRange: ports, SourceCidrIp: src, Policy: policy, Priority: prio}
	}
	cases := []struct {
		name   string
		sg     string
		set    func(r *ecs.AuthorizeSecurityGroupRequest)
		code   string
		status int
	}{
		{name: "legacy form", sg: normal, set: func(r *ecs.AuthorizeSecurityGroupRequest) {
			r.IpProtocol, r.PortRange, r.SourceCidrIp = "tcp", "22/22", "10.0.0.0/8"
		}},
		{name: "permissions form", sg: normal, set: func(r *ecs.AuthorizeSecurityGroupRequest) {
			r.Permissions = &[]ecs.AuthorizeSecurityGroupPermissions{perm("TCP", "80/80", "1.2.3.0/24", "accept", "1"),
				perm("all", "-1/-1", "0.0.0.0/0", "drop", "100")}
		}},
		{name: "both forms", sg: normal, set: func(r *ecs.AuthorizeSecurityGroupRequest) {
			r.IpProtocol = "tcp"
			r.Permissions = &[]ecs.AuthorizeSecurityGroupPermissions{perm("TCP", "80/80", "1.2.3.0/24", "", "")}
		}, code: "InvalidParam.Permissions", status: 400},
		{name: "duplicates in one call", sg: normal, set: func(r *ecs.AuthorizeSecurityGroupRequest) {
			r.Permissions = &[]ecs.AuthorizeSecurityGroupPermissions{perm("TCP", "81/81", "1.2.3.0/24", "", ""), perm("tcp", "81/81", "1.2.3.0/24", "accept", "5")}
		}, code: "InvalidParam.DuplicatePermissions", status: 400},
		{name: "unknown group", sg: "sg-nope", set: func(r *ecs.AuthorizeSecurityGroupRequest) {
			r.IpProtocol, r.PortRange, r.SourceCidrIp = "tcp", "22/22", "10.0.0.0/8"
		}, code: "InvalidSecurityGroupId.NotFound", status: 404},
		{name: "bad protocol", sg: normal, set: func(r *ecs.AuthorizeSecurityGroupRequest) {
			r.IpProtocol, r.PortRange, r.SourceCidrIp = "sctp", "22/22", "10.0.0.0/8"
		}, code: "InvalidIpProtocol.ValueNotSupported", status: 400},
		{name: "no port range", sg: normal, set: func(r *ecs.AuthorizeSecurityGroupRequest) { r.IpProtocol, r.SourceCidrIp = "tcp", "10.0.0.0/8" }, code: "InvalidPortRange.Malformed", status: 400},
		{name: "reversed ports", sg: normal, set: func(r *ecs.AuthorizeSecurityGroupRequest) {
			r.IpProtocol, r.PortRange, r.SourceCidrIp = "udp", "90/80", "10.0.0.0/8"
		}, code: "InvalidIpPortRange.Malformed", status: 400},
		{name: "port 0", sg: normal, set: func(r *ecs.AuthorizeSecurityGroupRequest) {
			r.IpProtocol, r.PortRange, r.SourceCidrIp = "udp", "0/80", "10.0.0.0/8"
		}, code: "InvalidIpPortRange.Malformed", status: 400},
		{name: "all with ports", sg: normal, set: func(r *ecs.AuthorizeSecurityGroupRequest) {
			r.IpProtocol, r.PortRange, r.SourceCidrIp = "all", "1/65535", "10.0.0.0/8"
		}, code: "InvalidIpPortRange.Malformed", status: 400},
		{name: "no source", sg: normal, set: func(r *ecs.AuthorizeSecurityGroupRequest) { r.IpProtocol, r.PortRange = "tcp", "22/22" }, code: "MissingParameter.Source", status: 400},
		{name: "bad cidr", sg: normal, set: func(r *ecs.AuthorizeSecurityGroupRequest) {
			r.IpProtocol, r.PortRange, r.SourceCidrIp = "tcp", "22/22", "10.0.0.0/33"
		}, code: "InvalidSourceCidrIp.Malformed", status: 400},
		{name: "bad policy", sg: normal, set: func(r *ecs.AuthorizeSecurityGroupRequest) {
			r.IpProtocol, r.PortRange, r.SourceCidrIp, r.Policy = "tcp", "22/22", "10.0.0.0/8", "reject"
		}, code: "InvalidPolicy.Malformed", status: 400},
		{name: "priority 101", sg: normal, set: func(r *ecs.AuthorizeSecurityGroupRequest) {
			r.IpProtocol, r.PortRange, r.SourceCidrIp, r.Priority = "tcp", "22/22", "10.0.0.0/8", "101"
		}, code: "InvalidPriority.ValueNotSupported", status: 400},
		{name: "priority not a number", sg: normal, set: func(r *ecs.AuthorizeSecurityGroupRequest) {
			r.IpProtocol, r.PortRange, r.SourceCidrIp, r.Priority = "tcp", "22/22", "10.0.0.0/8", "high"
		}, code: "InvalidPriority.Malformed", status: 400},
		{name: "drop on enterprise", sg: ent, set: func(r *ecs.AuthorizeSecurityGroupRequest) {
			r.Permissions = &[]ecs.AuthorizeSecurityGroupPermissions{perm("all", "-1/-1", "0.0.0.0/0", "drop", "100")}
		}, code: "InvalidGroupParameter.OperationDenied", status: 400},
		{name: "source group in another vpc", sg: normal, set: func(r *ecs.AuthorizeSecurityGroupRequest) {
			r.IpProtocol, r.PortRange, r.SourceGroupId = "tcp", "22/22", other
		}, code: "InvalidSourceGroupId.Mismatch", status: 400},
	}
	for _, tcase := range cases {
		t.Run(tcase.name, func(t *testing.T) {
			r := ecs.CreateAuthorizeSecurityGroupRequest()
			r.SecurityGroupId = tcase.sg
			tcase.set(r)
			_, err := c.AuthorizeSecurityGroup(r)
			if tcase.code != "" {
				wantErr(t, err, tcase.code, tcase.status)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
	want := []string{"TCP 22/22 10.0.0.0/8 Accept 1", "TCP 80/80 1.2.3.0/24 Accept 1", "ALL -1/-1 0.0.0.0/0 Drop 100"}
	if got := sgRules(t, c, normal); !slices.Equal(got, want) {
		t.Fatalf("rules %v, want %v", got, want)
	}
	// The same rule again (another priority is still the same rule) adds
	// nothing; a host address is kept as written, a block is masked.
	r := ecs.CreateAuthorizeSecurityGroupRequest()
	r.SecurityGroupId = normal
	r.Permissions = &[]ecs.AuthorizeSecurityGroupPermissions{perm("tcp", "22/22", "10.0.0.0/8", "accept", "7"),
		perm("tcp", "443/443", "10.1.2.3", "", ""), perm("tcp", "443/443", "10.9.9.9/16", "", "")}
	if _, err := c.AuthorizeSecurityGroup(r); err != nil {
		t.Fatal(err)
	}
	want = append(want, "TCP 443/443 10.1.2.3 Accept 1", "TCP 443/443 10.9.0.0/16 Accept 1")
	if got := sgRules(t, c, normal); !slices.Equal(got, want) {
		t.Fatalf("rules %v, want %v", got, want)
	}
}

// TestAuthorizeSecurityGroupLimits: at most 100 rules per call and 200 per
// group; a call that would pass the group's limit adds nothing.
func TestAuthorizeSecurityGroupLimits(t *testing.T) {
	_, tc := sgEnv(t)
	sg := mustSG(t, tc.ECS, testVPC, "")
	batch := func(from, n int) *ecs.AuthorizeSecurityGroupRequest {
		r := ecs.CreateAuthorizeSecurityGroupRequest()
		r.SecurityGroupId = sg
		var ps []ecs.AuthorizeSecurityGroupPermissions
		for i := from; i < from+n; i++ {
			ps = append(ps, ecs.AuthorizeSecurityGroupPermissions{IpProtocol: "tcp", PortRange: fmt.Sprintf("%d/%d", i, i), SourceCidrIp: "10.0.0.0/8"})
		}
		r.Permissions = &ps
		return r
	}
	_, err := tc.ECS.AuthorizeSecurityGroup(batch(1, 101))
	wantErr(t, err, "InvalidParameter", 400)
	for _, from := range []int{1, 101} {
		if _, err := tc.ECS.AuthorizeSecurityGroup(batch(from, 100)); err != nil {
			t.Fatal(err)
		}
	}
	_, err = tc.ECS.AuthorizeSecurityGroup(batch(500, 1))
	wantErr(t, err, "AuthorizationLimitExceed", 403)
	if n := len(sgRules(t, tc.ECS, sg)); n != 200 {
		t.Fatalf("%d rules, want 200", n)
	}
}

func TestRevokeSecurityGroup(t *testing.T) {
	_, tc := sgEnv(t)
	c := tc.ECS
	sg := mustSG(t, c, testVPC, "")
	a := ecs.CreateAuthorizeSecurityGroupRequest()
	a.SecurityGroupId = sg
	a.Permissions = &[]ecs.AuthorizeSecurityGroupPermissions{
		{IpProtocol: "tcp", PortRange: "80/80", SourceCidrIp: "1.1.1.0/24"},
		{IpProtocol: "tcp", PortRange: "443/443", SourceCidrIp: "1.1.1.0/24"},
		{IpProtocol: "all", PortRange: "-1/-1", SourceCidrIp: "0.0.0.0/0", Policy: "drop", Priority: "100"},
	}
	if _, err := c.AuthorizeSecurityGroup(a); err != nil {
		t.Fatal(err)
	}
	attr := ecs.CreateDescribeSecurityGroupAttributeRequest()
	attr.SecurityGroupId = sg
	resp, err := c.DescribeSecurityGroupAttribute(attr)
	if err != nil {
		t.Fatal(err)
	}
	firstID := resp.Permissions.Permission[0].SecurityGroupRuleId
	cases := []struct {
		name   string
		set    func(r *ecs.RevokeSecurityGroupRequest)
		code   string
		status int
		left   int
	}{
		{name: "unknown rule id", set: func(r *ecs.RevokeSecurityGroupRequest) { r.SecurityGroupRuleId = &[]string{firstID, "sgr-nope"} }, code: "InvalidSecurityGroupRuleId.NotFound", status: 404, left: 3},
		{name: "repeated rule id", set: func(r *ecs.RevokeSecurityGroupRequest) { r.SecurityGroupRuleId = &[]string{firstID, firstID} }, code: "InvalidParam.SecurityGroupRuleIdRepeated", status: 400, left: 3},
		{name: "rule id with permissions", set: func(r *ecs.RevokeSecurityGroupRequest) {
			r.SecurityGroupRuleId = &[]string{firstID}
			r.IpProtocol = "tcp"
		}, code: "InvalidParam.Permissions", status: 400, left: 3},
		{name: "permissions that match nothing", set: func(r *ecs.RevokeSecurityGroupRequest) {
			r.Permissions = &[]ecs.RevokeSecurityGroupPermissions{{IpProtocol: "tcp", PortRange: "8080/8080", SourceCidrIp: "1.1.1.0/24"}}
		}, code: "InvalidSecurityGroupRule.RuleNotExist", status: 400, left: 3},
		{name: "by id", set: func(r *ecs.RevokeSecurityGroupRequest) { r.SecurityGroupRuleId = &[]string{firstID} }, left: 2},
		{name: "by permissions (policy and case as written)", set: func(r *ecs.RevokeSecurityGroupRequest) {
			r.Permissions = &[]ecs.RevokeSecurityGroupPermissions{{IpProtocol: "ALL", PortRange: "-1/-1", SourceCidrIp: "0.0.0.0/0", Policy: "Drop"}}
		}, left: 1},
		{name: "legacy form", set: func(r *ecs.RevokeSecurityGroupRequest) {
			r.IpProtocol, r.PortRange, r.SourceCidrIp = "TCP", "443/443", "1.1.1.0/24"
		}, left: 0},
		{name: "unknown group", set: func(r *ecs.RevokeSecurityGroupRequest) { r.SecurityGroupId = "sg-nope" }, code: "InvalidSecurityGroupId.NotFound", status: 404},
	}
	for _, tcase := range cases {
		t.Run(tcase.name, func(t *testing.T) {
			r := ecs.CreateRevokeSecurityGroupRequest()
			r.SecurityGroupId = sg
			tcase.set(r)
			_, err := c.RevokeSecurityGroup(r)
			if tcase.code != "" {
				wantErr(t, err, tcase.code, tcase.status)
			} else if err != nil {
				t.Fatal(err)
			}
			if r.SecurityGroupId == sg {
				if n := len(sgRules(t, c, sg)); n != tcase.left {
					t.Fatalf("%d rules left, want %d", n, tcase.left)
				}
			}
		})
	}
}

// TestDescribeSecurityGroupAttributePaging pages 25 rules by 10 and
// refuses an unknown group.
func TestDescribeSecurityGroupAttributePaging(t *testing.T) {
	_, tc := sgEnv(t)
	sg := mustSG(t, tc.ECS, testVPC, "")
	a := ecs.CreateAuthorizeSecurityGroupRequest()
	a.SecurityGroupId = sg
	var ps []ecs.AuthorizeSecurityGroupPermissions
	for i := 1; i <= 25; i++ {
		ps = append(ps, ecs.AuthorizeSecurityGroupPermissions{IpProtocol: "udp", PortRange: fmt.Sprintf("%d/%d", i, i), SourceCidrIp: "10.0.0.0/8"})
	}
	a.Permissions = &ps
	if _, err := tc.ECS.AuthorizeSecurityGroup(a); err != nil {
		t.Fatal(err)
	}
	n, token := 0, ""
	for pages := 1; ; pages++ {
		r := ecs.CreateDescribeSecurityGroupAttributeRequest()
		r.SecurityGroupId, r.MaxResults, r.NextToken = sg, requests.NewInteger(10), token
		resp, err := tc.ECS.DescribeSecurityGroupAttribute(r)
		if err != nil {
			t.Fatal(err)
		}
		n += len(resp.Permissions.Permission)
		if token = resp.NextToken; token == "" {
			if pages != 3 {
				t.Fatalf("%d pages, want 3", pages)
			}
			break
		}
	}
	if n != 25 {
		t.Fatalf("paged %d rules, want 25", n)
	}
	r := ecs.CreateDescribeSecurityGroupAttributeRequest()
	r.SecurityGroupId = "sg-nope"
	_, err := tc.ECS.DescribeSecurityGroupAttribute(r)
	wantErr(t, err, "InvalidSecurityGroupId.NotFound", 404)
	r.SecurityGroupId, r.Direction = sg, "egress"
	if resp, err := tc.ECS.DescribeSecurityGroupAttribute(r); err != nil || len(resp.Permissions.Permission) != 0 {
		t.Fatalf("egress: %+v %v", resp, err)
	}
}

// TestDeleteSecurityGroup: a group in use by an instance, an NLB or
// another group's rule is DependencyViolation; an idle one goes.
func TestDeleteSecurityGroup(t *testing.T) {
	fc := NewFakeClock(time.Now())
	e, tc := sgEnv(t, withJobs(fc, time.Second))
	c := tc.ECS
	nc := nlbClient(t, tc.Host)
	byInstance, byNLB, referenced, idle := mustSG(t, c, testVPC, ""), mustSG(t, c, testVPC, ""), mustSG(t, c, testVPC, ""), mustSG(t, c, testVPC, "")
	if err := e.AddInstance(Instance{InstanceID: "i-sg", VSwitchID: testVSWH, SecurityGrps: []string{byInstance}}); err != nil {
		t.Fatal(err)
	}
	lb := mustNLB(t, nc)
	fc.Advance(time.Second)
	j := nlb.CreateLoadBalancerJoinSecurityGroupRequest()
	j.LoadBalancerId, j.SecurityGroupIds = lb, &[]string{byNLB}
	if _, err := nc.LoadBalancerJoinSecurityGroup(j); err != nil {
		t.Fatal(err)
	}
	fc.Advance(time.Second)
	a := ecs.CreateAuthorizeSecurityGroupRequest()
	a.SecurityGroupId, a.IpProtocol, a.PortRange, a.SourceGroupId = idle, "tcp", "22/22", referenced
	if _, err := c.AuthorizeSecurityGroup(a); err != nil {
		t.Fatal(err)
	}
	del := func(id string) error {
		r := ecs.CreateDeleteSecurityGroupRequest()
		r.SecurityGroupId = id
		_, err := c.DeleteSecurityGroup(r)
		return err
	}
	wantErr(t, del(byInstance), "DependencyViolation", 403)
	wantErr(t, del(byNLB), "DependencyViolation", 403)
	wantErr(t, del(referenced), "DependencyViolation", 403)
	wantErr(t, del("sg-nope"), "InvalidSecurityGroupId.NotFound", 404)
	if err := del(idle); err != nil {
		t.Fatal(err)
	}
	if err := del(referenced); err != nil {
		t.Fatalf("delete once no rule names it: %v", err)
	}
	l := nlb.CreateLoadBalancerLeaveSecurityGroupRequest()
	l.LoadBalancerId, l.SecurityGroupIds = lb, &[]string{byNLB}
	if _, err := nc.LoadBalancerLeaveSecurityGroup(l); err != nil {
		t.Fatal(err)
	}
	fc.Advance(time.Second)
	if err := del(byNLB); err != nil {
		t.Fatalf("delete after the NLB left: %v", err)
	}
	got := e.Dump().SecurityGroups
	if len(got) != 1 || got[0].SecurityGroupID != byInstance {
		t.Fatalf("groups left %+v, want only %s", got, byInstance)
	}
}

// TestSeedSecurityGroups: seeded groups (a user's) show through the API
// with their rules, and in the dump.
func TestSeedSecurityGroups(t *testing.T) {
	e, tc := sgEnv(t)
	err := e.Seed(SeedState{SecurityGroups: []SecurityGroup{{SecurityGroupID: "sg-user", VpcID: testVPC, Name: "user",
		Rules: []SecurityGroupRule{{IPProtocol: "TCP", PortRange: "22/22", SourceCidrIP: "10.0.0.0/8", Policy: "Accept", Priority: 1}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := sgRules(t, tc.ECS, "sg-user"); !slices.Equal(got, []string{"TCP 22/22 10.0.0.0/8 Accept 1"}) {
		t.Fatalf("rules %v", got)
	}
	if d := e.Dump().SecurityGroups; len(d) != 1 || d[0].Type != "normal" || d[0].Rules[0].RuleID == "" {
		t.Fatalf("dump %+v", d)
	}
	if err := e.Seed(SeedState{SecurityGroups: []SecurityGroup{{VpcID: "vpc-nope"}}}); err == nil {
		t.Fatal("seeding a group in an unknown VPC succeeded")
	}
}
