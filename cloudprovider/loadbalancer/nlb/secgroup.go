package nlb

import (
	"context"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
)

// syncSecurityGroups makes the NLB's joined security groups the user's
// (security-group-ids) plus, when spec.loadBalancerSourceRanges is set, a
// CCM-owned security group that admits only those ranges on the
// listeners' ports. Returns the jobs its writes started.
//
// Contract stub: the security group level replaces this file.
func (r *Reconciler) syncSecurityGroups(_ context.Context, _ portsInput) (jobs []string, err error) {
	return nil, nil
}

// deleteSecurityGroups leaves and deletes the CCM-owned security group of
// svc on lbID (never a user's).
func (r *Reconciler) deleteSecurityGroups(_ context.Context, _ string, _ *v1.Service) (jobs []string, err error) {
	return nil, nil
}

// SecurityGroupAPI lists the ECS actions of the security group level.
// *cloudapi.ECS implements it.
type SecurityGroupAPI interface {
	CreateSecurityGroup(ctx context.Context, req *ecs.CreateSecurityGroupRequest) (*ecs.CreateSecurityGroupResponse, error)
	DeleteSecurityGroup(ctx context.Context, req *ecs.DeleteSecurityGroupRequest) (*ecs.DeleteSecurityGroupResponse, error)
	AuthorizeSecurityGroup(ctx context.Context, req *ecs.AuthorizeSecurityGroupRequest) (*ecs.AuthorizeSecurityGroupResponse, error)
	RevokeSecurityGroup(ctx context.Context, req *ecs.RevokeSecurityGroupRequest) (*ecs.RevokeSecurityGroupResponse, error)
	ListAllSecurityGroups(ctx context.Context, req *ecs.DescribeSecurityGroupsRequest) ([]ecs.SecurityGroup, error)
	SecurityGroupRules(ctx context.Context, id string) ([]ecs.Permission, string, error)
}

var _ SecurityGroupAPI = (*cloudapi.ECS)(nil)
