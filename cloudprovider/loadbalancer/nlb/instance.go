package nlb

import (
	"context"
	"fmt"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"
	k8scloudprovider "k8s.io/cloud-provider"
	cloudproviderapi "k8s.io/cloud-provider/api"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/internal/shorten"
)

// syncInstance converges the mutable attributes of the Service's NLB to
// the annotations, writing only differences, and returns the jobs its
// writes started. Of a reused NLB only what the user annotated is
// changed; an owned one (ours, or the official CCM's, adopted here by
// adding our tags) gets every attribute.
//
// UpdateLoadBalancerProtection is synchronous and tags lock nothing, but
// the zone, address-type and attribute updates each lock the NLB until
// their job ends ("ResourceInConfiguring.loadbalancer"), so at most one of
// them is sent per reconcile; the next reconcile sends the next.
//
// An annotation asking for another value of an attribute that cannot
// change in place (IP version, resource group) stops the reconcile before
// any write, as the official CCM refuses it (checkImmutable).
func (r *Reconciler) syncInstance(ctx context.Context, svc *v1.Service, cfg *annotations.NLBConfig, st *lbState) ([]string, error) {
	lb := &st.lb
	id := lb.LoadBalancerId
	want := &cfg.LB
	owned := st.own.owned()
	if err := checkImmutable(cfg, st); err != nil {
		r.events.Eventf(svc, v1.EventTypeWarning, loadbalancer.ReasonImmutableField, "%v", err)
		return nil, err
	}
	if lb.LoadBalancerStatus == statusConfiguring {
		// A change runs (one whose answer had no JobId, as the IPv6
		// address type's, or another client's): every write to the NLB
		// and its listeners would be refused as busy.
		return nil, cloudproviderapi.NewRetryError(fmt.Sprintf("NLB %s is being configured", id), busyRetryAfter)
	}
	var jobs []string
	if owned {
		if add := diffTags(st.tags, ownershipTags(svc, r.opts.ClusterID)); len(add) > 0 {
			job, err := r.tag(ctx, id, add)
			if err != nil {
				return nil, classifyErr("NLB "+id+": adding the ownership tags", err)
			}
			jobs = append(jobs, job)
			if st.own == ownOfficial {
				klog.InfoS("Adopted the official CCM's NLB", "service", klog.KObj(svc), "loadBalancer", id)
				r.events.Eventf(svc, v1.EventTypeNormal, loadbalancer.ReasonAdopted, "Adopted NLB %s created by the previous cloud controller manager for this Service (DNS name %s kept)", id, lb.DNSName)
				st.own = ownOurs
			}
		}
	}
	if err := r.syncProtection(ctx, want, lb, owned); err != nil {
		return nil, err
	}
	tagJobs, err := r.syncTags(ctx, want, st, owned)
	if err != nil {
		return nil, err
	}
	jobs = append(jobs, tagJobs...)

	job, err := r.syncLockingAttrs(ctx, svc, want, lb, owned)
	if err != nil {
		return nil, err
	}
	return append(jobs, job), nil
}

// syncLockingAttrs sends at most one of the NLB-locking writes: zones,
// then address type, then the IPv6 address type, then the bandwidth
// package, then name and cross-zone. It returns its job ID, or "" when
// nothing differs (the IPv6 change, which has no job ID, ends the
// reconcile with a RetryError).
func (r *Reconciler) syncLockingAttrs(ctx context.Context, svc *v1.Service, want *annotations.NLBInstance, lb *sdknlb.LoadbalancerInfo, owned bool) (string, error) {
	id := lb.LoadBalancerId
	if want.ZoneMaps != nil && zonesDiffer(want.ZoneMaps, lb.ZoneMappings) {
		req := sdknlb.CreateUpdateLoadBalancerZonesRequest()
		req.LoadBalancerId, req.ZoneMappings = id, updateZones(want.ZoneMaps)
		resp, err := r.api.UpdateLoadBalancerZones(ctx, req)
		if err != nil {
			return "", classifyErr("NLB "+id+": updating the zones to annotation "+string(annotations.KeyZoneMaps), err)
		}
		return resp.JobId, nil
	}
	if at := apiAddressType(want.AddressType); (owned || want.AddressTypeSet) && !strings.EqualFold(at, lb.AddressType) {
		req := sdknlb.CreateUpdateLoadBalancerAddressTypeConfigRequest()
		req.LoadBalancerId, req.AddressType = id, at
		if at == "Internet" {
			var zs []sdknlb.UpdateLoadBalancerAddressTypeConfigZoneMappings
			for _, z := range want.ZoneMaps {
				if z.EIPAllocationID != "" {
					zs = append(zs, sdknlb.UpdateLoadBalancerAddressTypeConfigZoneMappings{ZoneId: z.ZoneID, VSwitchId: z.VSwitchID, AllocationId: z.EIPAllocationID})
				}
			}
			if len(zs) > 0 {
				req.ZoneMappings = &zs
			}
		}
		resp, err := r.api.UpdateLoadBalancerAddressTypeConfig(ctx, req)
		if err != nil {
			return "", classifyErr(fmt.Sprintf("NLB %s: changing the address type to %s", id, at), err)
		}
		return resp.JobId, nil
	}
	if to := ipv6Change(want, lb, owned); to != "" {
		return "", r.setIPv6AddressType(ctx, id, to)
	}
	if pkg := want.BandwidthPackageID; pkg != "" && pkg != lb.BandwidthPackageId {
		return r.syncBandwidthPackage(ctx, lb, pkg)
	}
	name := want.Name
	if name == "" && owned {
		name = k8scloudprovider.DefaultLoadBalancerName(svc)
	}
	rename := name != "" && name != lb.LoadBalancerName
	cross := want.CrossZoneEnabled != nil && *want.CrossZoneEnabled != lb.CrossZoneEnabled
	if !rename && !cross {
		return "", nil
	}
	req := sdknlb.CreateUpdateLoadBalancerAttributeRequest()
	req.LoadBalancerId = id
	if rename {
		req.LoadBalancerName = name
	}
	if cross {
		req.CrossZoneEnabled = requests.NewBoolean(*want.CrossZoneEnabled)
	}
	resp, err := r.api.UpdateLoadBalancerAttribute(ctx, req)
	if err != nil {
		return "", classifyErr("NLB "+id+": updating the name or cross-zone setting", err)
	}
	return resp.JobId, nil
}

// syncBandwidthPackage moves the NLB to the bandwidth package of
// bandwidth-package-id: another one attached is detached first (an NLB
// takes one package; this reconcile), the new one attached by the next.
// Without the annotation the NLB's package is left as it is.
func (r *Reconciler) syncBandwidthPackage(ctx context.Context, lb *sdknlb.LoadbalancerInfo, pkg string) (string, error) {
	id := lb.LoadBalancerId
	if old := lb.BandwidthPackageId; old != "" {
		req := sdknlb.CreateDetachCommonBandwidthPackageFromLoadBalancerRequest()
		req.LoadBalancerId, req.BandwidthPackageId = id, old
		resp, err := r.api.DetachCommonBandwidthPackageFromLoadBalancer(ctx, req)
		if err != nil {
			return "", classifyErr(fmt.Sprintf("NLB %s: detaching bandwidth package %s", id, old), err)
		}
		return resp.JobId, nil
	}
	req := sdknlb.CreateAttachCommonBandwidthPackageToLoadBalancerRequest()
	req.LoadBalancerId, req.BandwidthPackageId = id, pkg
	resp, err := r.api.AttachCommonBandwidthPackageToLoadBalancer(ctx, req)
	if err != nil {
		return "", classifyErr(fmt.Sprintf("NLB %s: attaching bandwidth package %s (annotation %s)", id, shorten.Value(pkg), annotations.KeyBandwidthPackageID), err)
	}
	return resp.JobId, nil
}

// syncProtection converges delete and modification protection (one
// synchronous call when either differs). Of a reused NLB only the
// annotated ones.
func (r *Reconciler) syncProtection(ctx context.Context, want *annotations.NLBInstance, lb *sdknlb.LoadbalancerInfo, owned bool) error {
	req := sdknlb.CreateUpdateLoadBalancerProtectionRequest()
	req.LoadBalancerId = lb.LoadBalancerId
	write := false
	if (owned || want.DeleteProtectionSet) && want.DeleteProtection != lb.DeletionProtectionConfig.Enabled {
		req.DeletionProtectionEnabled = requests.NewBoolean(want.DeleteProtection)
		if want.DeleteProtection {
			req.DeletionProtectionReason = annotations.ModificationProtectionReason
		}
		write = true
	}
	mod := orDefault(want.ModificationProtection, annotations.ConsoleProtection)
	if (owned || want.ModificationProtectionSet) && mod != orDefault(lb.ModificationProtectionConfig.Status, annotations.NonProtection) {
		req.ModificationProtectionStatus = mod
		if mod == annotations.ConsoleProtection {
			req.ModificationProtectionReason = annotations.ModificationProtectionReason
		}
		write = true
	}
	if !write {
		return nil
	}
	if _, err := r.api.UpdateLoadBalancerProtection(ctx, req); err != nil {
		return classifyErr("NLB "+lb.LoadBalancerId+": updating the delete or modification protection", err)
	}
	return nil
}

// syncTags converges additional-resource-tags (nil: not managed). On an
// owned NLB keys we added earlier (listed in TagAdditionalKeys) and no
// longer annotated are removed; a reused NLB gets the annotated tags but
// no tag of ours, so nothing is ever removed from it.
func (r *Reconciler) syncTags(ctx context.Context, want *annotations.NLBInstance, st *lbState, owned bool) ([]string, error) {
	if want.AdditionalTags == nil {
		return nil, nil
	}
	id := st.lb.LoadBalancerId
	extra := tagMap(want.AdditionalTags)
	for _, k := range ownTagKeys {
		delete(extra, k) // ours win; the parser refuses our keys anyway
	}
	add, remove := planAdditionalTags(st.tags, extra)
	if !owned {
		add, remove = diffTags(st.tags, extra), nil
	}
	var jobs []string
	if len(add) > 0 {
		job, err := r.tag(ctx, id, add)
		if err != nil {
			return nil, classifyErr("NLB "+id+": adding resource tags", err)
		}
		jobs = append(jobs, job)
	}
	if len(remove) > 0 {
		req := sdknlb.CreateUntagResourcesRequest()
		req.ResourceType, req.ResourceId, req.TagKey = "loadbalancer", &[]string{id}, &remove
		resp, err := r.api.UntagResources(ctx, req)
		if err != nil {
			return nil, classifyErr("NLB "+id+": removing resource tags", err)
		}
		jobs = append(jobs, resp.JobId)
	}
	return jobs, nil
}

// tag adds or overwrites tags on an NLB (TagResources takes 20 per call).
func (r *Reconciler) tag(ctx context.Context, id string, tags map[string]string) (string, error) {
	var last string
	keys := sortedKeys(tags)
	for start := 0; start < len(keys); start += 20 {
		end := min(start+20, len(keys))
		t := make([]sdknlb.TagResourcesTag, 0, end-start)
		for _, k := range keys[start:end] {
			t = append(t, sdknlb.TagResourcesTag{Key: k, Value: tags[k]})
		}
		req := sdknlb.CreateTagResourcesRequest()
		req.ResourceType, req.ResourceId, req.Tag = "loadbalancer", &[]string{id}, &t
		resp, err := r.api.TagResources(ctx, req)
		if err != nil {
			return "", err
		}
		last = resp.JobId
	}
	return last, nil
}

// ImmutableError refuses annotations that ask an existing NLB for another
// value of an attribute that cannot change after creation (the registry's
// Immutable NLB keys but id: ip-version, resource-group-id). The NLB is
// never recreated behind the user's back: its DNS name and addresses
// would change.
type ImmutableError struct {
	LoadBalancerID string
	Changes        []annotations.ImmutableChange
}

// Error names every key with the asked and the actual value, and the way out.
func (e *ImmutableError) Error() string {
	diffs := make([]string, len(e.Changes))
	for i, c := range e.Changes {
		diffs[i] = fmt.Sprintf("%s=%s (the NLB has %s)", c.Name, shorten.Value(c.Want), shorten.Value(c.Have))
	}
	return fmt.Sprintf("NLB %s: %s cannot change after creation; restore the annotation or create a new Service",
		e.LoadBalancerID, strings.Join(diffs, ", "))
}

// checkImmutable compares the Immutable annotations with the NLB
// (annotations.NLBConfig.CheckImmutable). The Service's own NLB is held to
// every one, defaults included (ip-version unset means ipv4); a reused NLB
// only to what the user annotated, as the official CCM compares only set
// values. The id annotation is find's (ChangedError).
func checkImmutable(cfg *annotations.NLBConfig, st *lbState) error {
	lb := &st.lb
	var changes []annotations.ImmutableChange
	for _, c := range cfg.CheckImmutable(annotations.NLBActual{ID: lb.LoadBalancerId, IPVersion: lb.AddressIpVersion, ResourceGroupID: lb.ResourceGroupId}) {
		if c.Name == annotations.KeyID || (c.Name == annotations.KeyIPVersion && st.own == ownReused && !cfg.LB.IPVersionSet) {
			continue
		}
		changes = append(changes, c)
	}
	if len(changes) == 0 {
		return nil
	}
	return &ImmutableError{LoadBalancerID: lb.LoadBalancerId, Changes: changes}
}

// statusConfiguring is the LoadBalancerStatus of an NLB while a change runs.
const statusConfiguring = "Configuring"

// ipv6Change is the IPv6 address type ("Internet", "Intranet") a
// dual-stack NLB must change to, or "" for none: ipv6-address-type, else
// on the Service's own NLB the annotation's default (intranet); a reused
// NLB only when annotated, as the official CCM changes it only then. An
// ipv4 NLB has no IPv6 address (the parser warns about the annotation
// there); a type the API does not report is left alone.
func ipv6Change(want *annotations.NLBInstance, lb *sdknlb.LoadbalancerInfo, owned bool) string {
	if !strings.EqualFold(lb.AddressIpVersion, apiIPVersion(annotations.DualStack)) || lb.Ipv6AddressType == "" {
		return ""
	}
	at := want.IPv6AddressType
	if at == "" {
		if !owned {
			return ""
		}
		at = annotations.AddressTypeIntranet
	}
	if to := apiAddressType(at); !strings.EqualFold(to, lb.Ipv6AddressType) {
		return to
	}
	return ""
}

// setIPv6AddressType makes a dual-stack NLB's IPv6 addresses
// Internet-facing (EnableLoadBalancerIpv6Internet) or internal-facing
// (DisableLoadBalancerIpv6Internet). The answer has no JobId while the
// NLB stays Configuring until the change ends
// (https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-enableloadbalanceripv6internet),
// so the reconcile ends with a RetryError and the next one waits for the
// NLB's status (syncInstance).
func (r *Reconciler) setIPv6AddressType(ctx context.Context, id, to string) error {
	var err error
	if to == apiAddressType(annotations.AddressTypeInternet) {
		req := sdknlb.CreateEnableLoadBalancerIpv6InternetRequest()
		req.LoadBalancerId = id
		_, err = r.api.EnableLoadBalancerIpv6Internet(ctx, req)
	} else {
		req := sdknlb.CreateDisableLoadBalancerIpv6InternetRequest()
		req.LoadBalancerId = id
		_, err = r.api.DisableLoadBalancerIpv6Internet(ctx, req)
	}
	if err != nil {
		return classifyErr(fmt.Sprintf("NLB %s: changing the IPv6 address type to %s (annotation %s)", id, to, annotations.KeyIPv6AddressType), err)
	}
	klog.InfoS("Changing the NLB's IPv6 address type", "loadBalancer", id, "ipv6AddressType", to)
	return cloudproviderapi.NewRetryError(fmt.Sprintf("NLB %s: the IPv6 address type is changing to %s", id, to), minJobRetry)
}
