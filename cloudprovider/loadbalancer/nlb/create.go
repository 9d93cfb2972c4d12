package nlb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"
	k8scloudprovider "k8s.io/cloud-provider"
	cloudproviderapi "k8s.io/cloud-provider/api"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// ReasonCreated etc. reuse the CLB engine's reasons where the meaning is
// the same; these are the NLB's own.
const (
	// ReasonDeleted: our NLB was deleted.
	ReasonDeleted = "DeletedNLB"
)

// createLB creates the Service's NLB with our ownership tags and returns
// the create job's ID. The NLB is Provisioning until the job ends; the
// caller ends the reconcile with a RetryError and the next one finds the
// NLB by its tags (they are part of the create call).
//
// Crash safety: the ClientToken is derived from the Service UID and the
// request, so a create whose answer was lost (a crash, a timeout) and is
// sent again gets the same NLB back ("the ClientToken ... ensures the
// idempotence of the request",
// https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-createloadbalancer)
// even when the tag lookup before it did not see the NLB yet.
func (r *Reconciler) createLB(ctx context.Context, svc *v1.Service, cfg *annotations.NLBConfig, nodes []*v1.Node) (string, error) {
	req, err := r.createRequest(ctx, svc, cfg, nodes)
	if err != nil {
		return "", err
	}
	resp, err := r.api.CreateLoadBalancer(ctx, req)
	if err != nil {
		return "", classifyErr("creating the NLB", err)
	}
	r.saltMu.Lock()
	r.created[svc.UID] = resp.LoadbalancerId
	r.saltMu.Unlock()
	klog.InfoS("Created NLB", "service", klog.KObj(svc), "loadBalancer", resp.LoadbalancerId, "job", resp.JobId)
	r.events.Eventf(svc, v1.EventTypeNormal, loadbalancer.ReasonCreated, "Created NLB %s", resp.LoadbalancerId)
	return resp.JobId, nil
}

// createRequest builds CreateLoadBalancer from the annotations: network
// type, pay-as-you-go, the cluster VPC, the zones (zones.go), address type
// and IP version, resource group, bandwidth package, delete protection
// (default on) and modification protection (default ConsoleProtection),
// and our ownership tags plus additional-resource-tags. Cross-zone is not
// a create parameter: the first reconcile after creation sets it.
func (r *Reconciler) createRequest(ctx context.Context, svc *v1.Service, cfg *annotations.NLBConfig, nodes []*v1.Node) (*sdknlb.CreateLoadBalancerRequest, error) {
	s := &cfg.LB
	if r.opts.VpcID == "" {
		return nil, errors.New("creating an NLB needs the cluster VPC: set cloud-config Global.vpcid")
	}
	zones, err := r.createZones(ctx, cfg, nodes)
	if err != nil {
		return nil, err
	}
	req := sdknlb.CreateCreateLoadBalancerRequest()
	req.LoadBalancerType = "Network"
	req.LoadBalancerName = orDefault(s.Name, k8scloudprovider.DefaultLoadBalancerName(svc))
	req.AddressType = apiAddressType(s.AddressType)
	req.AddressIpVersion = apiIPVersion(s.IPVersion)
	req.VpcId = r.opts.VpcID
	req.ZoneMappings = &zones
	req.ResourceGroupId = s.ResourceGroupID
	req.BandwidthPackageId = s.BandwidthPackageID
	req.LoadBalancerBillingConfig.PayType = "PostPay"
	req.DeletionProtectionConfig.Enabled = fmt.Sprint(s.DeleteProtection)
	if s.DeleteProtection {
		req.DeletionProtectionConfig.Reason = annotations.ModificationProtectionReason
	}
	req.ModificationProtectionConfig.Status = orDefault(s.ModificationProtection, annotations.ConsoleProtection)
	if req.ModificationProtectionConfig.Status == annotations.ConsoleProtection {
		req.ModificationProtectionConfig.Reason = annotations.ModificationProtectionReason
	}
	tags := ownershipTags(svc, r.opts.ClusterID)
	extra := tagMap(s.AdditionalTags)
	for k, v := range extra {
		if _, ours := tags[k]; !ours {
			tags[k] = v
		}
	}
	if list := additionalKeysValue(extra); list != "" {
		tags[loadbalancer.TagAdditionalKeys] = list
	}
	reqTags := make([]sdknlb.CreateLoadBalancerTag, 0, len(tags))
	for _, k := range sortedKeys(tags) {
		reqTags = append(reqTags, sdknlb.CreateLoadBalancerTag{Key: k, Value: tags[k]})
	}
	req.Tag = &reqTags
	req.ClientToken = r.clientToken(svc, req)
	return req, nil
}

// clientToken is deterministic in the Service UID, the request and a salt
// that changes only when a token's NLB failed or vanished (bumpSalt).
func (r *Reconciler) clientToken(svc *v1.Service, req *sdknlb.CreateLoadBalancerRequest) string {
	r.saltMu.Lock()
	salt := r.salts[svc.UID]
	r.saltMu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%d|%s|%s|%s|%s|%s|%s|%s|%s|%s", svc.UID, salt, req.LoadBalancerName, req.AddressType, req.AddressIpVersion,
		req.VpcId, req.ResourceGroupId, req.BandwidthPackageId, req.DeletionProtectionConfig.Enabled,
		req.ModificationProtectionConfig.Status, req.LoadBalancerType)
	for _, z := range *req.ZoneMappings {
		fmt.Fprintf(&b, "|%s:%s:%s:%s", z.ZoneId, z.VSwitchId, z.PrivateIPv4Address, z.AllocationId)
	}
	for _, t := range *req.Tag {
		fmt.Fprintf(&b, "|%s=%s", t.Key, t.Value)
	}
	sum := sha256.Sum256([]byte(b.String()))
	// ClientToken: ASCII, at most 64 characters.
	return "k8s-" + hex.EncodeToString(sum[:])[:40]
}

// checkCreated is called when no NLB of svc was found: if this CCM
// created one for svc and the listing does not show it, either the listing
// lags (the NLB exists: wait) or the NLB the create token answers with is
// gone (deleted by hand, or a create whose job failed): the next create
// needs a new token, or the cloud would answer with the gone NLB again.
// One GetLoadBalancerAttribute call, only on this path.
func (r *Reconciler) checkCreated(ctx context.Context, svc *v1.Service) error {
	r.saltMu.Lock()
	id := r.created[svc.UID]
	r.saltMu.Unlock()
	if id == "" {
		return nil
	}
	req := sdknlb.CreateGetLoadBalancerAttributeRequest()
	req.LoadBalancerId = id
	resp, err := r.api.GetLoadBalancerAttribute(ctx, req)
	switch {
	case cloudapi.IsNotFound(err) || (err == nil && (resp.LoadBalancerStatus == statusDeleting || resp.LoadBalancerStatus == statusDeleted)):
		r.forgetCreated(svc)
		r.bumpSalt(svc)
		return nil
	case err != nil:
		return classifyErr("reading the NLB created for this Service", err)
	}
	return cloudproviderapi.NewRetryError(fmt.Sprintf("NLB %s created for this Service is not listed yet", id), minJobRetry)
}

// forgetCreated drops the NLB remembered by createLB (found or gone).
func (r *Reconciler) forgetCreated(svc *v1.Service) {
	r.saltMu.Lock()
	delete(r.created, svc.UID)
	r.saltMu.Unlock()
}

// bumpSalt makes the next create of svc use a fresh ClientToken.
func (r *Reconciler) bumpSalt(svc *v1.Service) {
	r.saltMu.Lock()
	r.salts[svc.UID]++
	r.saltMu.Unlock()
}

// apiAddressType spells an address type as the NLB API does.
func apiAddressType(t annotations.AddressType) string {
	if t == annotations.AddressTypeIntranet {
		return "Intranet"
	}
	return "Internet"
}

// apiIPVersion spells an IP version as the NLB API does.
func apiIPVersion(v annotations.IPVersion) string {
	if strings.EqualFold(string(v), string(annotations.DualStack)) {
		return "DualStack"
	}
	return "ipv4"
}

func tagMap(tags []annotations.Tag) map[string]string {
	if tags == nil {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
