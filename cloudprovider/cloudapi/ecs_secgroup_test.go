package cloudapi

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// ECS security group client tests: the real SDK over HTTP against the
// in-process emulator.

const sgTestVPC = "vpc-sgtest"

// sgEnv is an emulator with one VPC and an ECS client on it.
type sgEnv struct {
	emu *emulator.Emulator
	ecs *ECS
}

func newSGEnv(t *testing.T) *sgEnv {
	t.Helper()
	cfg := emulator.Config{Region: "cn-hangzhou", AccessKeys: map[string]string{"testid": "testsecret"}}
	srv, err := emulator.Start(cfg, "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	if err := srv.Emulator.Seed(emulator.SeedState{VPCs: []emulator.VPC{{VpcID: sgTestVPC, CidrBlock: "192.168.0.0/16"}}}); err != nil {
		t.Fatal(err)
	}
	clients, err := New(Options{
		Region:      "cn-hangzhou",
		Credentials: credentials.NewStaticAKCredentialsProvider("testid", "testsecret"),
		ECS:         ProductOptions{Endpoint: srv.APIURL, RateLimit: RateLimit{QPS: -1}},
		Retry:       RetryPolicy{MaxAttempts: 3, BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &sgEnv{emu: srv.Emulator, ecs: clients.ECS}
}

// group creates a security group tagged k=v and returns its ID.
func (e *sgEnv) group(t *testing.T, k, v string) string {
	t.Helper()
	r := ecs.CreateCreateSecurityGroupRequest()
	r.VpcId = sgTestVPC
	r.Tag = &[]ecs.CreateSecurityGroupTag{{Key: k, Value: v}}
	resp, err := e.ecs.CreateSecurityGroup(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return resp.SecurityGroupId
}

// TestSecurityGroupWrappers: each wrapper sends its own action and is
// counted under product "ecs" by action and code.
func TestSecurityGroupWrappers(t *testing.T) {
	e := newSGEnv(t)
	ctx := context.Background()
	id := ""
	steps := []struct {
		action string
		call   func() error
	}{
		{"CreateSecurityGroup", func() error {
			r := ecs.CreateCreateSecurityGroupRequest()
			r.VpcId = sgTestVPC
			resp, err := e.ecs.CreateSecurityGroup(ctx, r)
			id = resp.SecurityGroupId
			return err
		}},
		{"AuthorizeSecurityGroup", func() error {
			r := ecs.CreateAuthorizeSecurityGroupRequest()
			r.SecurityGroupId = id
			r.Permissions = &[]ecs.AuthorizeSecurityGroupPermissions{{IpProtocol: "tcp", PortRange: "80/80", SourceCidrIp: "10.0.0.0/8"}}
			_, err := e.ecs.AuthorizeSecurityGroup(ctx, r)
			return err
		}},
		{"DescribeSecurityGroups", func() error {
			_, err := e.ecs.DescribeSecurityGroups(ctx, ecs.CreateDescribeSecurityGroupsRequest())
			return err
		}},
		{"DescribeSecurityGroupAttribute", func() error {
			r := ecs.CreateDescribeSecurityGroupAttributeRequest()
			r.SecurityGroupId = id
			_, err := e.ecs.DescribeSecurityGroupAttribute(ctx, r)
			return err
		}},
		{"RevokeSecurityGroup", func() error {
			r := ecs.CreateRevokeSecurityGroupRequest()
			r.SecurityGroupId = id
			r.Permissions = &[]ecs.RevokeSecurityGroupPermissions{{IpProtocol: "tcp", PortRange: "80/80", SourceCidrIp: "10.0.0.0/8"}}
			_, err := e.ecs.RevokeSecurityGroup(ctx, r)
			return err
		}},
		{"DeleteSecurityGroup", func() error {
			r := ecs.CreateDeleteSecurityGroupRequest()
			r.SecurityGroupId = id
			_, err := e.ecs.DeleteSecurityGroup(ctx, r)
			return err
		}},
	}
	for _, s := range steps {
		before := counter(t, requestsTotal.WithLabelValues("ecs", s.action, CodeSuccess))
		if err := s.call(); err != nil {
			t.Fatalf("%s: %v", s.action, err)
		}
		if d := counter(t, requestsTotal.WithLabelValues("ecs", s.action, CodeSuccess)) - before; d != 1 {
			t.Errorf("%s: Success counted %v times, want 1", s.action, d)
		}
		if n := e.emu.Counts()["Ecs."+s.action]["OK"]; n != 1 {
			t.Errorf("%s: the emulator saw %d calls, want 1", s.action, n)
		}
	}
	// An error answer is counted under its code.
	nf := counter(t, requestsTotal.WithLabelValues("ecs", "DeleteSecurityGroup", "InvalidSecurityGroupId.NotFound"))
	r := ecs.CreateDeleteSecurityGroupRequest()
	r.SecurityGroupId = id
	if _, err := e.ecs.DeleteSecurityGroup(ctx, r); Code(err) != "InvalidSecurityGroupId.NotFound" {
		t.Fatalf("second delete: %v", err)
	}
	if d := counter(t, requestsTotal.WithLabelValues("ecs", "DeleteSecurityGroup", "InvalidSecurityGroupId.NotFound")) - nf; d != 1 {
		t.Errorf("NotFound counted %v times, want 1", d)
	}
}

// TestListAllSecurityGroupsPaginates: 230 groups come in three pages of
// at most 100; filters of the request are kept on every page.
func TestListAllSecurityGroupsPaginates(t *testing.T) {
	e := newSGEnv(t)
	for i := range 230 {
		e.group(t, "batch", fmt.Sprint(i%2))
	}
	before := e.emu.Counts()["Ecs.DescribeSecurityGroups"]["OK"]
	all, err := e.ecs.ListAllSecurityGroups(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 230 {
		t.Fatalf("%d groups, want 230", len(all))
	}
	if n := e.emu.Counts()["Ecs.DescribeSecurityGroups"]["OK"] - before; n != 3 {
		t.Errorf("%d calls, want 3 pages", n)
	}
	req := ecs.CreateDescribeSecurityGroupsRequest()
	req.Tag = &[]ecs.DescribeSecurityGroupsTag{{Key: "batch", Value: "1"}}
	req.PageSize = "10" // ignored: the lister pages by token
	odd, err := e.ecs.ListAllSecurityGroups(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(odd) != 115 {
		t.Fatalf("%d tagged groups, want 115", len(odd))
	}
	for _, g := range odd {
		if len(g.Tags.Tag) != 1 || g.Tags.Tag[0].TagValue != "1" {
			t.Fatalf("group %s does not match the filter: %+v", g.SecurityGroupId, g.Tags)
		}
	}
}

// TestSecurityGroupRulesPaginates reads 1500 rules in two pages of 1000.
func TestSecurityGroupRulesPaginates(t *testing.T) {
	e := newSGEnv(t)
	e.emu.SetLimits(emulator.Limits{SecurityGroupRulesPerGroup: 2000})
	id := e.group(t, "k", "v")
	for b := range 15 {
		r := ecs.CreateAuthorizeSecurityGroupRequest()
		r.SecurityGroupId = id
		var ps []ecs.AuthorizeSecurityGroupPermissions
		for i := range MaxSecurityGroupRulesPerCall {
			p := b*MaxSecurityGroupRulesPerCall + i + 1
			ps = append(ps, ecs.AuthorizeSecurityGroupPermissions{IpProtocol: "tcp", PortRange: fmt.Sprintf("%d/%d", p, p), SourceCidrIp: "10.0.0.0/8"})
		}
		r.Permissions = &ps
		if _, err := e.ecs.AuthorizeSecurityGroup(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	rules, vpc, err := e.ecs.SecurityGroupRules(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 1500 || vpc != sgTestVPC {
		t.Fatalf("%d rules in %q, want 1500 in %s", len(rules), vpc, sgTestVPC)
	}
	if n := e.emu.Counts()["Ecs.DescribeSecurityGroupAttribute"]["OK"]; n != 2 {
		t.Errorf("%d calls, want 2 pages", n)
	}
	if _, _, err := e.ecs.SecurityGroupRules(context.Background(), "sg-missing"); Code(err) != "InvalidSecurityGroupId.NotFound" {
		t.Fatalf("rules of a missing group: %v", err)
	}
}

// TestCreateSecurityGroupRetriedWithToken: a create that meets a server
// error is retried with the ClientToken the client set before the first
// attempt, so it cannot make a second group.
func TestCreateSecurityGroupRetriedWithToken(t *testing.T) {
	e := newSGEnv(t)
	e.emu.SetFaults(emulator.FaultProfile{Errors: []emulator.ErrorRule{{Match: "Ecs.CreateSecurityGroup", Code: "ServiceUnavailable", Count: 1}}})
	r := ecs.CreateCreateSecurityGroupRequest()
	r.VpcId = sgTestVPC
	resp, err := e.ecs.CreateSecurityGroup(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if r.ClientToken == "" {
		t.Fatal("no ClientToken was set on the create")
	}
	if n := e.emu.Counts()["Ecs.CreateSecurityGroup"]["ServiceUnavailable"]; n != 1 {
		t.Fatalf("the injected error fired %d times, want 1", n)
	}
	if got := e.emu.Dump().SecurityGroups; len(got) != 1 || got[0].SecurityGroupID != resp.SecurityGroupId {
		t.Fatalf("groups %+v, want only %s", got, resp.SecurityGroupId)
	}
}
