package loadbalancer

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// Annotation suffixes the engine names in its messages. Their values are
// read only through package annotations.
const (
	annoPrefix   = annotations.Prefix
	annoID       = "id"
	annoOverride = "force-override-listeners"
)

// configLookup is the lookup of a parsed Service (lenient: LenientLookup).
func configLookup(svc *v1.Service, cfg *annotations.Config) Lookup {
	return NewLookup(svc, cfg.LB.ReuseID, cfg.LB.Name)
}

// lbState is a found CLB and whose it is.
type lbState struct {
	lb   slb.LoadBalancer
	tags map[string]string
	own  ownership
	// listed are the CLB's listeners when it came from the start-up
	// listing (listing_cache.go); nil: read them.
	listed *listedListeners
}

// ReuseError refuses the CLB named by the id annotation.
type ReuseError struct {
	ID     string
	Reason string
	// gone: the CLB does not exist (rather than being refused).
	gone bool
	// refused is the refused CLB (nil when gone). The delete path still
	// removes our own listeners, groups and members from it: the CLB may
	// have been tagged after we reused it.
	refused *lbState
}

// Error names the CLB and the reason.
func (e *ReuseError) Error() string {
	return fmt.Sprintf("cannot reuse CLB %s (annotation %s%s): %s", e.ID, annoPrefix, annoID, e.Reason)
}

// CLBChangedError refuses an id annotation naming another CLB than the
// one this Service already owns (by our tags). The owned CLB is kept in
// the error: deletion must still clean it up, whatever the annotation says.
type CLBChangedError struct {
	ReuseID string
	ours    *lbState
}

// Error names both CLBs and what to do.
func (e *CLBChangedError) Error() string {
	return fmt.Sprintf("annotation %s%s=%s names another CLB than the one this Service already has (%s); the CLB of a Service cannot be changed, create a new Service",
		annoPrefix, annoID, e.ReuseID, e.ours.lb.LoadBalancerId)
}

// DuplicateError reports several CLBs carrying this Service's ownership
// tags. Reconciles stop (which one serves is for a human to decide), but
// deletion removes them all: every one is proven ours by its tags.
type DuplicateError struct {
	UID  string
	ours []*lbState
}

// Error names the CLBs and what to do.
func (e *DuplicateError) Error() string {
	ids := make([]string, len(e.ours))
	for i, o := range e.ours {
		ids[i] = o.lb.LoadBalancerId
	}
	return fmt.Sprintf("several CLBs carry the ownership tag %s=%s: %s; delete the extra ones by hand", TagServiceUID, e.UID, strings.Join(ids, ", "))
}

// find locates the Service's CLB: by our ownership tag (the Service UID)
// first, then by the id annotation (refused as ReuseRefusal says), then
// by name; a name match counts only
// when its tags prove it is this Service's (the official CCM's
// kubernetes.do.not.delete=<default name> tag). It never trusts a name
// alone. nil means there is none.
//
// DescribeLoadBalancers answers with the attributes and tags the reconcile
// needs, so finding costs one call in the steady state.
func (r *Reconciler) find(ctx context.Context, svc *v1.Service, l Lookup) (*lbState, error) {
	// After a start, the first reconcile of each Service takes its CLB
	// from one listing shared by all Services (listing_cache.go).
	lbs, listed, ok := r.takeListed(ctx, svc.UID)
	if !ok {
		tagFilter, _ := json.Marshal([]map[string]string{{"TagKey": TagServiceUID, "TagValue": string(svc.UID)}})
		req := slb.CreateDescribeLoadBalancersRequest()
		req.Tags = string(tagFilter)
		var err error
		if lbs, err = r.slb.ListLoadBalancers(ctx, req); err != nil {
			return nil, classifyErr("finding the CLB by its ownership tag", err)
		}
	}
	var ours []*lbState
	for _, lb := range lbs {
		st := r.state(lb, svc, l.ReuseID)
		if st.own == ownOurs {
			st.listed = listed[lb.LoadBalancerId]
			ours = append(ours, st)
		}
	}
	switch {
	case len(ours) > 1:
		return nil, &DuplicateError{UID: string(svc.UID), ours: ours}
	case len(ours) == 1:
		if l.ReuseID != "" && l.ReuseID != ours[0].lb.LoadBalancerId {
			return nil, &CLBChangedError{ReuseID: l.ReuseID, ours: ours[0]}
		}
		return ours[0], nil
	}

	if l.ReuseID != "" {
		req := slb.CreateDescribeLoadBalancersRequest()
		req.LoadBalancerId = l.ReuseID
		lbs, err := r.slb.ListLoadBalancers(ctx, req)
		if err != nil {
			return nil, classifyErr("finding the CLB of the id annotation", err)
		}
		for _, lb := range lbs {
			if lb.LoadBalancerId != l.ReuseID {
				continue
			}
			st := r.state(lb, svc, l.ReuseID)
			if st.own == ownOfficial {
				return st, nil // the official CCM's CLB of this very Service
			}
			if why := ReuseRefusal("CLB", st.tags, reuseVPC(&lb), r.opts.VpcID); why != "" {
				return nil, &ReuseError{ID: l.ReuseID, Reason: why, refused: st}
			}
			return st, nil
		}
		return nil, &ReuseError{ID: l.ReuseID, Reason: "no such CLB in this region", gone: true}
	}

	if !mayHaveOfficialCLB(svc) {
		return nil, nil
	}
	req := slb.CreateDescribeLoadBalancersRequest()
	req.LoadBalancerName = l.Name
	lbs, err := r.slb.ListLoadBalancers(ctx, req)
	if err != nil {
		return nil, classifyErr("finding the CLB by name", err)
	}
	for _, lb := range lbs {
		if lb.LoadBalancerName != l.Name {
			continue
		}
		st := r.state(lb, svc, "")
		if st.own == ownOfficial || st.own == ownOurs {
			return st, nil
		}
		klog.V(2).InfoS("A CLB has this Service's load balancer name but no tag proves it is the Service's; ignoring it",
			"service", klog.KObj(svc), "loadBalancer", lb.LoadBalancerId, "name", l.Name)
	}
	return nil, nil
}

// Marks the official CCM leaves on a Service it served: it adds its
// finalizer before it creates the CLB, and labels the Service with the
// CLB's ID and a hash of the Service after it.
const (
	officialFinalizer = "service.k8s.alibaba/resources"
	officialLBIDLabel = "service.k8s.alibaba/loadbalancer-id"
	officialHashLabel = "service.beta.kubernetes.io/hash"
)

// mayHaveOfficialCLB reports whether the official CCM may have created a
// CLB for svc, which find then looks up by name: only a Service that has
// an address or one of the official CCM's marks. A Service that never had
// either (every new Service) cannot have one, and saves the name lookup:
// one DescribeLoadBalancers of the two a new Service's find costs. Our
// own CLB needs no name lookup either way: the create call sets our tags,
// so the tag lookup finds it even after a lost create answer.
func mayHaveOfficialCLB(svc *v1.Service) bool {
	if len(svc.Status.LoadBalancer.Ingress) > 0 || slices.Contains(svc.Finalizers, officialFinalizer) {
		return true
	}
	_, id := svc.Labels[officialLBIDLabel]
	_, hash := svc.Labels[officialHashLabel]
	return id || hash
}

// reuseVPC is the VPC whose servers a CLB takes as backends: an intranet
// CLB's own; "" for an Internet one, which is in no VPC.
func reuseVPC(lb *slb.LoadBalancer) string {
	if strings.EqualFold(lb.AddressType, string(annotations.AddressTypeIntranet)) {
		return lb.VpcId
	}
	return ""
}

func (r *Reconciler) state(lb slb.LoadBalancer, svc *v1.Service, reuseID string) *lbState {
	tags := tagMap(lb.Tags.Tag)
	return &lbState{lb: lb, tags: tags, own: classify(tags, lb.LoadBalancerId, svc, r.ids(true), reuseID)}
}
