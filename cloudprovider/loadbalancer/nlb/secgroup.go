package nlb

import (
	"context"

	v1 "k8s.io/api/core/v1"
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
