package nlb

import (
	"context"
	"fmt"
	"strings"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// Annotation names the engine quotes in its messages; values are read only
// through package annotations.
const annoID = annotations.KeyID

// configLookup is the lookup of a parsed Service (lenient: loadbalancer.LenientLookup).
func configLookup(svc *v1.Service, cfg *annotations.NLBConfig) loadbalancer.Lookup {
	return loadbalancer.NewLookup(svc, cfg.LB.ReuseID, cfg.LB.Name)
}

// lbState is a found NLB and whose it is.
type lbState struct {
	lb   sdknlb.LoadbalancerInfo
	tags map[string]string
	own  ownership
}

// ReuseError refuses the NLB named by the id annotation.
type ReuseError struct {
	ID     string
	Reason string
	// gone: no such NLB (rather than a refused one).
	gone bool
	// refused is the refused NLB (nil when gone); deletion still removes
	// what our tags prove ours on it (it may have been tagged after we
	// reused it).
	refused *lbState
}

// Error names the NLB, the annotation and the reason.
func (e *ReuseError) Error() string {
	return fmt.Sprintf("cannot reuse NLB %s (annotation %s): %s", e.ID, annoID, e.Reason)
}

// ChangedError refuses an id annotation naming another NLB than the one
// the Service already owns by our tags; deletion still cleans the owned one.
type ChangedError struct {
	ReuseID string
	ours    *lbState
}

// Error names both NLBs and what to do.
func (e *ChangedError) Error() string {
	return fmt.Sprintf("annotation %s=%s names another NLB than the one this Service already has (%s); the NLB of a Service cannot be changed, create a new Service",
		annoID, e.ReuseID, e.ours.lb.LoadBalancerId)
}

// DuplicateError reports several NLBs with this Service's ownership tags.
// Reconciles stop (which one serves is for a human to decide); deletion
// removes them all, each proven ours by its tags.
type DuplicateError struct {
	UID  string
	ours []*lbState
}

// Error names the NLBs and what to do.
func (e *DuplicateError) Error() string {
	ids := make([]string, len(e.ours))
	for i, o := range e.ours {
		ids[i] = o.lb.LoadBalancerId
	}
	return fmt.Sprintf("several NLBs carry the ownership tag %s=%s: %s; delete the extra ones by hand", loadbalancer.TagServiceUID, e.UID, strings.Join(ids, ", "))
}

// find locates the Service's NLB: by our ownership tags (cluster and
// Service UID) first, then by the id annotation (refused as
// loadbalancer.ReuseRefusal says: made by a CCM or a cluster, or in
// another VPC), then by name, where a name match counts only when the
// official CCM's owner tag proves it is this Service's. A name alone is
// never trusted. nil: there is none.
//
// ListLoadBalancers answers with the attributes, zones, DNS name and tags
// the reconcile needs, so finding costs one call in the steady state.
func (r *Reconciler) find(ctx context.Context, svc *v1.Service, l loadbalancer.Lookup) (*lbState, error) {
	req := sdknlb.CreateListLoadBalancersRequest()
	req.Tag = &[]sdknlb.ListLoadBalancersTag{
		{Key: loadbalancer.TagClusterID, Value: r.opts.ClusterID},
		{Key: loadbalancer.TagServiceUID, Value: string(svc.UID)},
	}
	lbs, err := r.api.ListAllLoadBalancers(ctx, req)
	if err != nil {
		return nil, classifyErr("finding the NLB by its ownership tags", err)
	}
	var ours []*lbState
	for _, lb := range lbs {
		if st := r.state(lb, svc, l.ReuseID); st.own == ownOurs {
			ours = append(ours, st)
		}
	}
	switch {
	case len(ours) > 1:
		return nil, &DuplicateError{UID: string(svc.UID), ours: ours}
	case len(ours) == 1:
		if l.ReuseID != "" && l.ReuseID != ours[0].lb.LoadBalancerId {
			return nil, &ChangedError{ReuseID: l.ReuseID, ours: ours[0]}
		}
		return ours[0], nil
	}

	if l.ReuseID != "" {
		req := sdknlb.CreateListLoadBalancersRequest()
		req.LoadBalancerIds = &[]string{l.ReuseID}
		lbs, err := r.api.ListAllLoadBalancers(ctx, req)
		if err != nil {
			return nil, classifyErr("finding the NLB of the id annotation", err)
		}
		for _, lb := range lbs {
			if lb.LoadBalancerId != l.ReuseID {
				continue
			}
			st := r.state(lb, svc, l.ReuseID)
			if st.own == ownOfficial {
				return st, nil // the official CCM's NLB of this very Service
			}
			if why := loadbalancer.ReuseRefusal("NLB", st.tags, lb.VpcId, r.opts.VpcID); why != "" {
				return nil, &ReuseError{ID: l.ReuseID, Reason: why, refused: st}
			}
			return st, nil
		}
		return nil, &ReuseError{ID: l.ReuseID, Reason: "no such NLB in this region", gone: true}
	}

	req = sdknlb.CreateListLoadBalancersRequest()
	req.LoadBalancerNames = &[]string{l.Name}
	lbs, err = r.api.ListAllLoadBalancers(ctx, req)
	if err != nil {
		return nil, classifyErr("finding the NLB by name", err)
	}
	for _, lb := range lbs {
		if lb.LoadBalancerName != l.Name {
			continue
		}
		st := r.state(lb, svc, "")
		if st.own.owned() {
			return st, nil
		}
		klog.V(2).InfoS("An NLB has this Service's load balancer name but no tag proves it is the Service's; ignoring it",
			"service", klog.KObj(svc), "loadBalancer", lb.LoadBalancerId, "name", l.Name)
	}
	return nil, nil
}

func (r *Reconciler) state(lb sdknlb.LoadbalancerInfo, svc *v1.Service, reuseID string) *lbState {
	tags := nlbTagMap(lb.Tags)
	return &lbState{lb: lb, tags: tags, own: classify(tags, lb.LoadBalancerId, svc, r.opts.ClusterID, reuseID)}
}

// ourServerGroups reports whether server groups carrying this Service's
// ownership tags exist (they outlive their NLB).
func (r *Reconciler) ourServerGroups(ctx context.Context, svc *v1.Service) (bool, error) {
	req := sdknlb.CreateListServerGroupsRequest()
	req.Tag = &[]sdknlb.ListServerGroupsTag{
		{Key: loadbalancer.TagClusterID, Value: r.opts.ClusterID},
		{Key: loadbalancer.TagServiceUID, Value: string(svc.UID)},
	}
	groups, err := r.api.ListAllServerGroups(ctx, req)
	if err != nil {
		return false, classifyErr("listing the Service's server groups", err)
	}
	return len(groups) > 0, nil
}
