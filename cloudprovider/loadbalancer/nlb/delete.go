package nlb

import (
	"context"
	"errors"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// EnsureLoadBalancerDeleted removes what the Service owns. First, always,
// the port level removes our listeners, server groups and servers and the
// security-group level our security group (they are the Service's
// wherever they are); then:
//
//   - our NLB (created or adopted): delete protection is turned off and
//     the NLB deleted;
//   - our NLB with preserve-lb-on-delete: as the official CCM does, it is
//     kept with its DNS name and addresses, our ownership tags and the
//     official CCM's are removed (no Service adopts it again) and delete
//     and modification protection are turned off, so the user can reuse
//     or delete it;
//   - a reused NLB, or one the id annotation names that may no longer be
//     reused, is never deleted or otherwise changed;
//   - several NLBs with our tags: each is deleted;
//   - no NLB at all (deleted by hand): nothing more; the Service is never
//     stuck on an NLB that is gone.
//
// While a job of those removals runs it returns a RetryError. It reads the
// raw annotations, so a Service whose annotations no longer parse can
// still be deleted.
func (r *Reconciler) EnsureLoadBalancerDeleted(ctx context.Context, _ string, svc *v1.Service) error {
	defer r.LockService(serviceKey(svc))()
	r.markDeleted(svc.UID)
	if err := r.awaitJobs(ctx, svc); err != nil && isRetry(err) {
		return err // a failed job is no reason to keep the Service
	}
	st, err := r.find(ctx, svc, loadbalancer.LenientLookup(svc))
	var dup *DuplicateError
	var changed *ChangedError
	var re *ReuseError
	switch {
	case errors.As(err, &dup):
		for _, o := range dup.ours {
			if err := r.deleteOwned(ctx, svc, o); err != nil {
				return err
			}
		}
		return nil
	case errors.As(err, &changed):
		// The id annotation came after the Service got its NLB: ours is
		// still ours to delete; the annotated one was never touched.
		st = changed.ours
	case errors.As(err, &re):
		if re.refused != nil {
			return r.cleanReused(ctx, svc, re.refused.lb.LoadBalancerId)
		}
		return r.cleanLeftovers(ctx, svc)
	case err != nil:
		return err
	}
	switch {
	case st == nil:
		return r.cleanLeftovers(ctx, svc)
	case st.own == ownReused:
		return r.cleanReused(ctx, svc, st.lb.LoadBalancerId)
	}
	if keep, warnings := annotations.PreserveOnDelete(svc); keep {
		for _, w := range warnings {
			r.events.Event(svc, v1.EventTypeWarning, loadbalancer.ReasonAnnotationWarning, w)
		}
		return r.preserve(ctx, svc, st)
	}
	return r.deleteOwned(ctx, svc, st)
}

// removePorts runs the port and security-group levels' removal on lbID
// ("" when the NLB is gone: they remove what their tags prove the
// Service's anywhere) and ends with a RetryError while their jobs run.
// keep is true when the NLB stays (reused, or preserved): the security
// groups the CCM joined for the Service are left and its record removed.
func (r *Reconciler) removePorts(ctx context.Context, svc *v1.Service, lbID string, keep bool) error {
	jobs, err := r.deletePorts(ctx, lbID, svc)
	if err != nil {
		return classifyErr("NLB "+lbID+": removing the Service's listeners and server groups", err)
	}
	if len(nonEmpty(jobs)) > 0 {
		// Their jobs hold the NLB: a security group write now would only
		// be refused as busy.
		return r.startedJobs(svc, "removing listeners, server groups and security groups", false, jobs)
	}
	sgJobs, err := r.deleteSecurityGroups(ctx, lbID, svc, keep)
	if err != nil {
		return classifyErr("NLB "+lbID+": removing the Service's security groups", err)
	}
	return r.startedJobs(svc, "removing listeners, server groups and security groups", false, sgJobs)
}

// cleanLeftovers removes what the Service may still own without an NLB.
func (r *Reconciler) cleanLeftovers(ctx context.Context, svc *v1.Service) error {
	if err := r.removePorts(ctx, svc, "", false); err != nil {
		return err
	}
	r.jobs.set(svc.UID, nil)
	return nil
}

// cleanReused removes our objects from an NLB we do not own; the NLB
// itself is not changed.
func (r *Reconciler) cleanReused(ctx context.Context, svc *v1.Service, id string) error {
	if err := r.removePorts(ctx, svc, id, true); err != nil {
		return err
	}
	r.jobs.set(svc.UID, nil)
	r.events.Eventf(svc, v1.EventTypeNormal, loadbalancer.ReasonReusedCleaned,
		"Removed this Service's listeners, server groups and servers from NLB %s; the NLB is kept", id)
	return nil
}

// deleteOwned deletes our NLB after our listeners and groups are gone.
func (r *Reconciler) deleteOwned(ctx context.Context, svc *v1.Service, st *lbState) error {
	id := st.lb.LoadBalancerId
	switch st.lb.LoadBalancerStatus {
	case statusDeleting, statusDeleted:
		r.jobs.set(svc.UID, nil)
		return nil
	case statusProvisioning:
		return r.waitUsable(st)
	}
	if err := r.removePorts(ctx, svc, id, false); err != nil {
		return err
	}
	if st.lb.DeletionProtectionConfig.Enabled {
		req := sdknlb.CreateUpdateLoadBalancerProtectionRequest()
		req.LoadBalancerId, req.DeletionProtectionEnabled = id, requests.NewBoolean(false)
		if _, err := r.api.UpdateLoadBalancerProtection(ctx, req); err != nil && !cloudapi.IsNotFound(err) {
			return classifyErr("NLB "+id+": turning delete protection off", err)
		}
	}
	req := sdknlb.CreateDeleteLoadBalancerRequest()
	req.LoadBalancerId = id
	if _, err := r.api.DeleteLoadBalancer(ctx, req); err != nil && !cloudapi.IsNotFound(err) {
		return classifyErr("deleting NLB "+id, err)
	}
	r.jobs.set(svc.UID, nil)
	klog.InfoS("Deleted NLB", "service", klog.KObj(svc), "loadBalancer", id)
	r.events.Eventf(svc, v1.EventTypeNormal, ReasonDeleted, "Deleted NLB %s", id)
	return nil
}

// preserve hands our NLB over to the user (preserve-lb-on-delete).
func (r *Reconciler) preserve(ctx context.Context, svc *v1.Service, st *lbState) error {
	id := st.lb.LoadBalancerId
	if st.lb.LoadBalancerStatus == statusProvisioning {
		return r.waitUsable(st)
	}
	if err := r.removePorts(ctx, svc, id, true); err != nil {
		return err
	}
	if st.lb.DeletionProtectionConfig.Enabled || st.lb.ModificationProtectionConfig.Status == annotations.ConsoleProtection {
		req := sdknlb.CreateUpdateLoadBalancerProtectionRequest()
		req.LoadBalancerId = id
		req.DeletionProtectionEnabled = requests.NewBoolean(false)
		req.ModificationProtectionStatus = annotations.NonProtection
		if _, err := r.api.UpdateLoadBalancerProtection(ctx, req); err != nil {
			return classifyErr("NLB "+id+": turning protection off", err)
		}
	}
	var keys []string
	for _, k := range ownTagKeys {
		if _, ok := st.tags[k]; ok {
			keys = append(keys, k)
		}
	}
	if len(keys) > 0 {
		req := sdknlb.CreateUntagResourcesRequest()
		req.ResourceType, req.ResourceId, req.TagKey = "loadbalancer", &[]string{id}, &keys
		if _, err := r.api.UntagResources(ctx, req); err != nil {
			return classifyErr("NLB "+id+": removing the ownership tags", err)
		}
	}
	r.jobs.set(svc.UID, nil)
	r.events.Eventf(svc, v1.EventTypeWarning, loadbalancer.ReasonPreserved,
		"NLB %s (%s) was kept (preserve-lb-on-delete) without this Service's listeners; it no longer belongs to this Service and must be deleted by hand when no longer needed", id, st.lb.DNSName)
	return nil
}
