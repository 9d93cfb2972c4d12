package loadbalancer

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// ImmutableError reports an annotation asking to change a CLB field that
// cannot change after creation; the engine never recreates a CLB silently
// (that would change its IP).
type ImmutableError struct {
	Field, Want, Have, LoadBalancerID string
}

// Error names the field, both values and the way out.
func (e *ImmutableError) Error() string {
	return fmt.Sprintf("CLB %s: %s cannot be changed after creation (annotation asks for %q, the CLB has %q); restore the annotation or create a new Service",
		e.LoadBalancerID, e.Field, e.Want, e.Have)
}

// checkImmutable compares the create-time annotations with the CLB in one
// pass of annotations.LoadBalancer.CheckImmutable. A changed Immutable
// annotation is the error (the first one, as an *ImmutableError); a changed
// CreateOnly one (vswitch-id), which the official CCM ignores after
// creation, is a Warning: the same result, said aloud.
func checkImmutable(want *annotations.LoadBalancer, lb *slb.LoadBalancer) (warnings []string, err error) {
	changes, warnings := want.CheckImmutable(actualOf(lb))
	if len(changes) == 0 {
		return warnings, nil
	}
	c := changes[0]
	return warnings, &ImmutableError{Field: c.Field(), Want: c.Want, Have: c.Have, LoadBalancerID: lb.LoadBalancerId}
}

// actualOf is what the immutable check reads from a listed CLB.
func actualOf(lb *slb.LoadBalancer) annotations.Actual {
	return annotations.Actual{ID: lb.LoadBalancerId, AddressType: lb.AddressType, NetworkType: lb.NetworkType, Address: lb.Address,
		VSwitchID: lb.VSwitchId, MasterZoneID: lb.MasterZoneId, SlaveZoneID: lb.SlaveZoneId, IPVersion: lb.AddressIPVersion,
		ResourceGroupID: lb.ResourceGroupId}
}

// lbWrite is one planned instance write.
type lbWrite struct {
	what string
	do   func(ctx context.Context) error
}

// planLBAttrs returns the writes that bring our CLB's mutable attributes to
// the annotations: only declared attributes that differ (no write when equal).
func (r *Reconciler) planLBAttrs(svc *v1.Service, want *annotations.LoadBalancer, st *lbState) ([]lbWrite, error) {
	lb := &st.lb
	id := lb.LoadBalancerId
	var w []lbWrite
	reused := st.own == ownReused
	if !reused && (st.own == ownOfficial || missingTags(st.tags, ownershipTags(svc, r.opts.ClusterID))) {
		// Adoption of the official CCM's CLB: add our tags, keep everything
		// else (address, listeners), so migrating users keep their IPs.
		tags := ownershipTags(svc, r.opts.ClusterID)
		w = append(w, lbWrite{"tag the CLB as ours", func(ctx context.Context) error { return r.tag(ctx, id, tags) }})
	}
	if want.Name != "" && want.Name != lb.LoadBalancerName {
		w = append(w, lbWrite{"rename the CLB", func(ctx context.Context) error {
			req := slb.CreateSetLoadBalancerNameRequest()
			req.LoadBalancerId, req.LoadBalancerName = id, want.Name
			_, err := r.slb.SetLoadBalancerName(ctx, req)
			return err
		}})
	}
	charge := want.InstanceChargeType
	switch {
	case strings.EqualFold(charge, "PayByCLCU") && lb.InstanceChargeType == "PayBySpec":
		w = append(w, lbWrite{"switch the CLB to pay-by-LCU", func(ctx context.Context) error {
			req := slb.CreateModifyLoadBalancerInstanceChargeTypeRequest()
			req.LoadBalancerId, req.InstanceChargeType = id, "PayByCLCU"
			_, err := r.slb.ModifyLoadBalancerInstanceChargeType(ctx, req)
			return err
		}})
	case strings.EqualFold(charge, "PayBySpec") && lb.InstanceChargeType == "PayByCLCU":
		// "cannot change ... from pay-by-LCU to pay-by-specification"
		// (ModifyLoadBalancerInstanceChargeType page).
		return nil, &ImmutableError{Field: "instance-charge-type", Want: charge, Have: lb.InstanceChargeType, LoadBalancerID: id}
	case strings.EqualFold(charge, "PayBySpec") && want.Spec != "" && want.Spec != lb.LoadBalancerSpec:
		w = append(w, lbWrite{"change the CLB spec", func(ctx context.Context) error {
			req := slb.CreateModifyLoadBalancerInstanceSpecRequest()
			req.LoadBalancerId, req.LoadBalancerSpec = id, want.Spec
			_, err := r.slb.ModifyLoadBalancerInstanceSpec(ctx, req)
			return err
		}})
	}
	if lb.AddressType == "internet" {
		ct := strings.ToLower(want.InternetChargeType)
		bwChange := ct == "paybybandwidth" && want.BandwidthMbps() > 0 && want.BandwidthMbps() != lb.Bandwidth
		if (ct != "" && ct != strings.ToLower(lb.InternetChargeType)) || bwChange {
			w = append(w, lbWrite{"change the CLB's internet charge type or bandwidth", func(ctx context.Context) error {
				req := slb.CreateModifyLoadBalancerInternetSpecRequest()
				req.LoadBalancerId, req.InternetChargeType = id, ct
				if ct == "paybybandwidth" && want.BandwidthMbps() > 0 {
					req.Bandwidth = requestsInt(want.BandwidthMbps())
				}
				_, err := r.slb.ModifyLoadBalancerInternetSpec(ctx, req)
				return err
			}})
		}
	}
	if p := want.WantedDeleteProtection(); p != "" && p != lb.DeleteProtection {
		w = append(w, lbWrite{"set delete protection " + p, func(ctx context.Context) error { return r.setDeleteProtection(ctx, id, p) }})
	}
	if m := want.WantedModificationProtection(); m != "" && m != lb.ModificationProtectionStatus {
		w = append(w, lbWrite{"set modification protection " + m, func(ctx context.Context) error {
			return r.setModificationProtection(ctx, id, m, annotations.ModificationProtectionReason)
		}})
	}
	add, remove := planAdditionalTags(st.tags, want.TagMap())
	if reused {
		// The user's CLB gets the annotated tags, as with the official
		// CCM, but no tag of ours (not even the list of keys we added),
		// so nothing is ever untagged from it.
		add, remove = diffTags(st.tags, want.TagMap()), nil
	}
	if len(add) > 0 {
		w = append(w, lbWrite{"add resource tags", func(ctx context.Context) error { return r.tag(ctx, id, add) }})
	}
	if len(remove) > 0 {
		w = append(w, lbWrite{"remove resource tags", func(ctx context.Context) error { return r.untag(ctx, "instance", id, remove) }})
	}
	return w, nil
}

// maxTagValueLen is a tag value's limit (TagResources page: 128).
const maxTagValueLen = 128

// additionalKeysValue renders the TagAdditionalKeys value for the keys of
// want: sorted, comma-separated, at most maxTagValueLen characters. Keys
// that do not fit are not tracked, so they are never untagged: a tag is
// only removed when we can prove we added it.
func additionalKeysValue(want map[string]string) string {
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := ""
	for _, k := range keys {
		next := k
		if out != "" {
			next = out + "," + k
		}
		if len(next) > maxTagValueLen {
			continue
		}
		out = next
	}
	return out
}

// planAdditionalTags returns the tags to set (changed or new annotation
// tags plus the TagAdditionalKeys list) and the keys to remove: keys we
// added earlier (listed in TagAdditionalKeys) that the annotation no
// longer has. Removing the annotation removes all of our keys.
func planAdditionalTags(have, want map[string]string) (map[string]string, []string) {
	add := diffTags(have, want)
	var remove []string
	for _, k := range strings.Split(have[TagAdditionalKeys], ",") {
		if _, still := want[k]; k != "" && !still {
			if _, present := have[k]; present {
				remove = append(remove, k)
			}
		}
	}
	switch list := additionalKeysValue(want); list {
	case have[TagAdditionalKeys]:
	case "":
		remove = append(remove, TagAdditionalKeys)
	default:
		add[TagAdditionalKeys] = list
	}
	sort.Strings(remove)
	return add, remove
}

func (r *Reconciler) setDeleteProtection(ctx context.Context, id, onOff string) error {
	req := slb.CreateSetLoadBalancerDeleteProtectionRequest()
	req.LoadBalancerId, req.DeleteProtection = id, onOff
	_, err := r.slb.SetLoadBalancerDeleteProtection(ctx, req)
	return err
}

func (r *Reconciler) setModificationProtection(ctx context.Context, id, status, reason string) error {
	req := slb.CreateSetLoadBalancerModificationProtectionRequest()
	req.LoadBalancerId, req.ModificationProtectionStatus = id, status
	if status == "ConsoleProtection" {
		req.ModificationProtectionReason = reason
	}
	_, err := r.slb.SetLoadBalancerModificationProtection(ctx, req)
	return err
}

// tag adds or overwrites tags on a CLB instance.
func (r *Reconciler) tag(ctx context.Context, id string, tags map[string]string) error {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t := make([]slb.TagResourcesTag, 0, len(keys))
	for _, k := range keys {
		t = append(t, slb.TagResourcesTag{Key: k, Value: tags[k]})
	}
	req := slb.CreateTagResourcesRequest()
	req.ResourceType, req.ResourceId, req.Tag = "instance", &[]string{id}, &t
	_, err := r.slb.TagResources(ctx, req)
	return err
}

// untag removes tag keys from an SLB resource: a CLB ("instance") or an
// ACL ("acl").
func (r *Reconciler) untag(ctx context.Context, resourceType, id string, keys []string) error {
	req := slb.CreateUntagResourcesRequest()
	req.ResourceType, req.ResourceId, req.TagKey = resourceType, &[]string{id}, &keys
	_, err := r.slb.UntagResources(ctx, req)
	return err
}

// missingTags reports whether have lacks any of want (or has another value).
func missingTags(have, want map[string]string) bool { return len(diffTags(have, want)) > 0 }

// diffTags returns the entries of want that have lacks or holds otherwise.
func diffTags(have, want map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			out[k] = v
		}
	}
	return out
}

func requestsInt(n int) requests.Integer { return requests.NewInteger(n) }
