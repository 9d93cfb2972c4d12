package nlb

import (
	"context"
	"fmt"
	"slices"
	"strings"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
)

// The record of the security groups the CCM joined, and the security
// groups on deletion.
//
// Several Services may reuse one NLB (the id annotation), each with its
// own security-group-ids, so each Service records the groups it joined
// under its own tag key on the NLB. A group is left only by a Service
// whose record holds it while no other Service's record does; a Service
// that wants a group another Service's record holds records it too, so
// whichever Service goes first leaves it joined for the other.

// TagSecurityGroups is the prefix of the NLB tag keys recording, per
// Service, the security groups the CCM joined (comma-separated): the key
// is the prefix, "/" and the Service UID without its dashes.
const TagSecurityGroups = "alicloud-ccm/security-groups"

// maxTagKeyLen is a tag key's limit on an NLB (TagResources: up to 64
// characters).
const maxTagKeyLen = 64

// sgRecordKey is the record's tag key of the Service with uid: 29
// characters of prefix and the UID's 32 hex digits.
func sgRecordKey(uid types.UID) string {
	k := TagSecurityGroups + "/" + strings.ReplaceAll(string(uid), "-", "")
	return k[:min(len(k), maxTagKeyLen)]
}

// sgRecords reads the NLB's records: the Service's own (found: its key is
// there), and the union of the other Services' records. A key of another
// form (a user's tag) proves nothing.
func sgRecords(tags []sdknlb.TagModels, uid types.UID) (mine, others []string, found bool) {
	key := sgRecordKey(uid)
	for _, t := range tags {
		switch {
		case t.Key == key:
			mine, found = sgDedupe(strings.Split(t.Value, ",")), true
		case strings.HasPrefix(t.Key, TagSecurityGroups+"/"):
			others = append(others, strings.Split(t.Value, ",")...)
		}
	}
	return mine, sgDedupe(others), found
}

// sgRecordsOfAttribute reads the records from GetLoadBalancerAttribute's
// tags (another type than the list's).
func sgRecordsOfAttribute(tags []sdknlb.Tag, uid types.UID) (mine, others []string, found bool) {
	models := make([]sdknlb.TagModels, len(tags))
	for i, t := range tags {
		models[i] = sdknlb.TagModels{Key: t.Key, Value: t.Value}
	}
	return sgRecords(models, uid)
}

// writeRecord sets the Service's record to next when it changes, or
// removes its tag when next is empty.
func (r *Reconciler) writeRecord(ctx context.Context, lbID string, uid types.UID, old, next []string) (string, error) {
	if slices.Equal(sgSorted(old), sgSorted(next)) {
		return "", nil
	}
	if len(next) == 0 {
		return r.untagRecord(ctx, lbID, uid)
	}
	req := sdknlb.CreateTagResourcesRequest()
	req.ResourceType, req.ResourceId = "loadbalancer", &[]string{lbID}
	req.Tag = &[]sdknlb.TagResourcesTag{{Key: sgRecordKey(uid), Value: strings.Join(next, ",")}}
	resp, err := r.api.TagResources(ctx, req)
	if err != nil {
		return "", fmt.Errorf("recording the joined security groups in tag %s of NLB %s: %w", sgRecordKey(uid), lbID, err)
	}
	return resp.JobId, nil
}

// untagRecord removes the Service's record tag from the NLB.
func (r *Reconciler) untagRecord(ctx context.Context, lbID string, uid types.UID) (string, error) {
	req := sdknlb.CreateUntagResourcesRequest()
	req.ResourceType, req.ResourceId, req.TagKey = "loadbalancer", &[]string{lbID}, &[]string{sgRecordKey(uid)}
	resp, err := r.api.UntagResources(ctx, req)
	if err != nil {
		return "", fmt.Errorf("removing tag %s from NLB %s: %w", sgRecordKey(uid), lbID, err)
	}
	return resp.JobId, nil
}

// deleteSecurityGroups undoes the security group level for svc on lbID
// ("" when the NLB is gone). keep is true when the NLB stays (a reused
// NLB, or ours kept by preserve-lb-on-delete): then the NLB also leaves
// the user's groups the Service's record proves the CCM joined (unless
// another Service's record holds them) and loses the record tag, so it is
// in the groups it was in before. When the NLB is about to be deleted its
// memberships go with it, and only the owned group is left (a group an
// NLB is in cannot be deleted). Each pass makes at most one NLB write and
// returns its job: first the Leave (the record stays until the groups are
// seen gone), then the record's removal; the owned groups nothing holds
// are deleted on the way.
func (r *Reconciler) deleteSecurityGroups(ctx context.Context, lbID string, svc *v1.Service, keep bool) (jobs []string, err error) {
	if svc == nil {
		return nil, nil
	}
	if lbID == "" {
		// No NLB was found for the Service (the id annotation was removed,
		// say): an NLB carrying its record is one it joined to groups.
		recorded, err := r.recordedNLBs(ctx, svc.UID)
		if err != nil {
			return nil, err
		}
		if len(recorded) > 0 {
			return r.deleteSecurityGroups(ctx, recorded[0], svc, true)
		}
	}
	var joined, mine, others []string
	var recorded bool
	if lbID != "" {
		req := sdknlb.CreateGetLoadBalancerAttributeRequest()
		req.LoadBalancerId = lbID
		resp, err := r.api.GetLoadBalancerAttribute(ctx, req)
		switch {
		case cloudapi.IsNotFound(err):
			lbID = "" // gone meanwhile: only the owned groups are left to delete
		case err != nil:
			return nil, fmt.Errorf("reading the security groups of NLB %s: %w", lbID, err)
		default:
			joined = resp.SecurityGroupIds
			mine, others, recorded = sgRecordsOfAttribute(resp.Tags, svc.UID)
		}
	}
	var owned []string
	if r.sgAPI() != nil {
		groups, err := r.ownedSecurityGroups(ctx, svc, "")
		if err != nil {
			return nil, err
		}
		for _, g := range groups {
			owned = append(owned, g.SecurityGroupId)
		}
	}
	var leave []string
	for _, id := range joined {
		ours := slices.Contains(owned, id)
		joinedByUs := keep && slices.Contains(mine, id) && !slices.Contains(others, id)
		if ours || joinedByUs {
			leave = append(leave, id)
		}
	}
	if len(leave) > 0 {
		job, err := r.leaveSecurityGroups(ctx, lbID, leave)
		return sgAppendJob(nil, job), err
	}
	if keep && recorded {
		job, err := r.untagRecord(ctx, lbID, svc.UID)
		if cloudapi.IsNotFound(err) {
			err = nil
		}
		if err != nil {
			return nil, err
		}
		jobs = sgAppendJob(jobs, job)
	}
	return jobs, r.deleteStrays(ctx, svc, owned, joined)
}

// recordedNLBs lists the NLBs carrying the record tag of the Service with
// uid (the key alone is the filter; the answer is checked again).
func (r *Reconciler) recordedNLBs(ctx context.Context, uid types.UID) ([]string, error) {
	key := sgRecordKey(uid)
	req := sdknlb.CreateListLoadBalancersRequest()
	req.Tag = &[]sdknlb.ListLoadBalancersTag{{Key: key}}
	lbs, err := r.api.ListAllLoadBalancers(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("finding the NLBs recording this Service's security groups (tag %s): %w", key, err)
	}
	var ids []string
	for _, lb := range lbs {
		if _, _, found := sgRecords(lb.Tags, uid); found {
			ids = append(ids, lb.LoadBalancerId)
		}
	}
	return ids, nil
}
