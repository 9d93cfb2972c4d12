package cloudapi

// Typed ECS security group methods (the NLB engine's source-ranges group)
// and their listers. Each is a thin wrapper over Client.Do, counted in the
// metrics by action like every call.

import (
	"context"
	"fmt"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
)

// Documented security group per-call limits
// (https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-authorizesecuritygroup
// and -revokesecuritygroup, -describesecuritygroups).
const (
	// MaxSecurityGroupRulesPerCall is the Permissions.N (and
	// SecurityGroupRuleId.N) limit of AuthorizeSecurityGroup and
	// RevokeSecurityGroup: "Valid values of N: 1 to 100".
	MaxSecurityGroupRulesPerCall = 100
	// sgMaxResults is the page size ListAllSecurityGroups asks for
	// (DescribeSecurityGroups MaxResults: 10 to 100).
	sgMaxResults = 100
	// sgRuleMaxResults is the page size SecurityGroupRules asks for
	// (DescribeSecurityGroupAttribute MaxResults: 10 to 1000).
	sgRuleMaxResults = 1000
)

// CreateSecurityGroup creates a security group (send a ClientToken: a retry then returns the first group).
func (e *ECS) CreateSecurityGroup(ctx context.Context, req *ecs.CreateSecurityGroupRequest) (*ecs.CreateSecurityGroupResponse, error) {
	return call(ctx, e.Client, req, ecs.CreateCreateSecurityGroupResponse())
}

// DeleteSecurityGroup deletes a security group with its rules (DependencyViolation while in use).
func (e *ECS) DeleteSecurityGroup(ctx context.Context, req *ecs.DeleteSecurityGroupRequest) (*ecs.DeleteSecurityGroupResponse, error) {
	return call(ctx, e.Client, req, ecs.CreateDeleteSecurityGroupResponse())
}

// DescribeSecurityGroups lists security groups (NextToken paging); see ListAllSecurityGroups.
func (e *ECS) DescribeSecurityGroups(ctx context.Context, req *ecs.DescribeSecurityGroupsRequest) (*ecs.DescribeSecurityGroupsResponse, error) {
	return call(ctx, e.Client, req, ecs.CreateDescribeSecurityGroupsResponse())
}

// DescribeSecurityGroupAttribute returns a security group with its rules (NextToken paging); see SecurityGroupRules.
func (e *ECS) DescribeSecurityGroupAttribute(ctx context.Context, req *ecs.DescribeSecurityGroupAttributeRequest) (*ecs.DescribeSecurityGroupAttributeResponse, error) {
	return call(ctx, e.Client, req, ecs.CreateDescribeSecurityGroupAttributeResponse())
}

// AuthorizeSecurityGroup adds inbound rules (at most 100 per call); an existing rule is not added twice.
func (e *ECS) AuthorizeSecurityGroup(ctx context.Context, req *ecs.AuthorizeSecurityGroupRequest) (*ecs.AuthorizeSecurityGroupResponse, error) {
	return call(ctx, e.Client, req, ecs.CreateAuthorizeSecurityGroupResponse())
}

// RevokeSecurityGroup removes inbound rules, by rule ID or by Permissions (at most 100 per call).
func (e *ECS) RevokeSecurityGroup(ctx context.Context, req *ecs.RevokeSecurityGroupRequest) (*ecs.RevokeSecurityGroupResponse, error) {
	return call(ctx, e.Client, req, ecs.CreateRevokeSecurityGroupResponse())
}

// ListAllSecurityGroups returns every security group matching req's
// filters (VPC, tags, a SecurityGroupIds JSON array of at most 100),
// reading every page; NextToken, MaxResults and the deprecated page
// parameters of req are ignored.
func (e *ECS) ListAllSecurityGroups(ctx context.Context, req *ecs.DescribeSecurityGroupsRequest) ([]ecs.SecurityGroup, error) {
	if req == nil {
		req = ecs.CreateDescribeSecurityGroupsRequest()
	}
	var out []ecs.SecurityGroup
	err := ForEachPage(ctx, func(token string) (string, error) {
		r := *req
		r.RpcRequest = freshRPC(ecs.CreateDescribeSecurityGroupsRequest().RpcRequest, req.RpcRequest)
		r.NextToken, r.MaxResults = token, requests.NewInteger(sgMaxResults)
		r.PageNumber, r.PageSize = "", ""
		resp, err := e.DescribeSecurityGroups(ctx, &r)
		if err != nil {
			return "", err
		}
		out = append(out, resp.SecurityGroups.SecurityGroup...)
		return resp.NextToken, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list security groups: %w", err)
	}
	return out, nil
}

// SecurityGroupRules returns the inbound rules of a security group and
// its VPC, reading every page of DescribeSecurityGroupAttribute.
func (e *ECS) SecurityGroupRules(ctx context.Context, id string) (rules []ecs.Permission, vpcID string, err error) {
	err = ForEachPage(ctx, func(token string) (string, error) {
		r := ecs.CreateDescribeSecurityGroupAttributeRequest()
		r.SecurityGroupId, r.Direction = id, "ingress"
		r.NextToken, r.MaxResults = token, requests.NewInteger(sgRuleMaxResults)
		resp, err := e.DescribeSecurityGroupAttribute(ctx, r)
		if err != nil {
			return "", err
		}
		rules, vpcID = append(rules, resp.Permissions.Permission...), resp.VpcId
		return resp.NextToken, nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("read the rules of security group %s: %w", id, err)
	}
	return rules, vpcID, nil
}
