package loadbalancer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	v1 "k8s.io/api/core/v1"
	k8scloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// createLB creates the Service's CLB with our ownership tags.
//
// Crash safety: the ClientToken is derived from the Service UID and the
// request parameters, so a CCM that dies between CreateLoadBalancer and the
// status update gets the same CLB back when it retries ("if you specify a
// ClientToken that was used, the system returns the result of the first
// request", https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-createloadbalancer). Before that
// retry the tag lookup in find would already have found the CLB, since the
// tags are part of the create call; the token covers a lookup racing the
// create. A different request (changed annotations) gets a different token
// and, as the lookup found nothing, a CLB is genuinely needed.
func (r *Reconciler) createLB(ctx context.Context, svc *v1.Service, cfg *annotations.Config) (*lbState, error) {
	if cfg.LB.ReuseID != "" {
		return nil, &ReuseError{ID: cfg.LB.ReuseID, Reason: "no such CLB"}
	}
	req, err := r.createRequest(svc, &cfg.LB)
	if err != nil {
		return nil, err
	}
	resp, err := r.slb.CreateLoadBalancer(ctx, req)
	if err != nil {
		return nil, classifyErr("creating the CLB", err)
	}
	klog.InfoS("Created CLB", "service", klog.KObj(svc), "loadBalancer", resp.LoadBalancerId, "address", resp.Address)
	r.events.Eventf(svc, v1.EventTypeNormal, ReasonCreated, "Created CLB %s (%s)", resp.LoadBalancerId, resp.Address)
	lb := slb.LoadBalancer{
		LoadBalancerId: resp.LoadBalancerId, Address: resp.Address, LoadBalancerName: resp.LoadBalancerName,
		VpcId: resp.VpcId, VSwitchId: resp.VSwitchId, NetworkType: resp.NetworkType,
		AddressIPVersion: resp.AddressIPVersion, ResourceGroupId: resp.ResourceGroupId,
		AddressType: req.AddressType, MasterZoneId: req.MasterZoneId, SlaveZoneId: req.SlaveZoneId,
		LoadBalancerSpec: req.LoadBalancerSpec, InstanceChargeType: req.InstanceChargeType,
		InternetChargeType: req.InternetChargeType, DeleteProtection: req.DeleteProtection,
		ModificationProtectionStatus: req.ModificationProtectionStatus,
	}
	if bw, err := strconv.Atoi(string(req.Bandwidth)); err == nil {
		lb.Bandwidth = bw
	}
	tags := map[string]string{}
	for _, t := range *req.Tag {
		tags[t.Key] = t.Value
		lb.Tags.Tag = append(lb.Tags.Tag, slb.Tag{TagKey: t.Key, TagValue: t.Value})
	}
	// A CLB this call created has no listeners yet: the reconcile need not
	// read them (one DescribeLoadBalancerListeners of each new Service).
	// When the ClientToken answered with an older CLB of this Service (its
	// tag lookup raced the first create), the listeners it already has make
	// their create fail (a port holds one listener), and the retry's tag
	// lookup finds the CLB and reads them.
	return &lbState{lb: lb, tags: tags, own: ownOurs, listed: &listedListeners{}}, nil
}

// createRequest builds CreateLoadBalancer from the annotations and the
// create-time defaults: new CLBs are pay-by-LCU (pay-as-you-go
// pay-by-specification instances are no longer sold since 2025-06-01),
// delete-protected and console-protected, as the official CCM creates
// them.
func (r *Reconciler) createRequest(svc *v1.Service, s *annotations.LoadBalancer) (*slb.CreateLoadBalancerRequest, error) {
	req := slb.CreateCreateLoadBalancerRequest()
	req.LoadBalancerName = orDefault(s.Name, k8scloudprovider.DefaultLoadBalancerName(svc))
	req.AddressType = orDefault(string(s.AddressType), string(annotations.AddressTypeInternet))
	if req.AddressType == "internet" && r.opts.DisablePublicSLB {
		return nil, fmt.Errorf("internet-facing CLBs are disabled by cloud-config (disablePublicSLB); set annotation %saddress-type: intranet", annoPrefix)
	}
	if req.AddressType == "intranet" && s.NetworkType != annotations.NetworkTypeClassic {
		req.VSwitchId = s.VSwitchID
		if req.VSwitchId == "" && len(s.VSwitchCandidates) > 0 {
			req.VSwitchId = s.VSwitchCandidates[0]
		}
		req.VSwitchId = orDefault(req.VSwitchId, r.opts.VSwitchID)
		req.VpcId = r.opts.VpcID
		if req.VSwitchId == "" {
			return nil, fmt.Errorf("an intranet CLB needs a vSwitch: set annotation %svswitch-id or cloud-config vswitchid", annoPrefix)
		}
		req.Address = s.AddressString()
	}
	req.AddressIPVersion = string(s.IPVersion)
	req.MasterZoneId, req.SlaveZoneId = s.MasterZoneID, s.SlaveZoneID
	req.ResourceGroupId = orDefault(s.WantedResourceGroupID(), r.opts.ResourceGroupID)
	req.InstanceChargeType = orDefault(s.InstanceChargeType, annotations.DefaultInstanceChargeType)
	if strings.EqualFold(req.InstanceChargeType, "PayBySpec") {
		req.InstanceChargeType = "PayBySpec"
		req.LoadBalancerSpec = orDefault(s.Spec, annotations.DefaultSpec)
	} else {
		req.InstanceChargeType = "PayByCLCU"
	}
	req.InternetChargeType = strings.ToLower(s.InternetChargeType)
	if bw := s.BandwidthMbps(); req.InternetChargeType == "paybybandwidth" && bw > 0 {
		req.Bandwidth = requestsInt(bw)
	}
	req.DeleteProtection = orDefault(s.WantedDeleteProtection(), "on")
	req.ModificationProtectionStatus = orDefault(s.WantedModificationProtection(), annotations.ConsoleProtection)
	if req.ModificationProtectionStatus == annotations.ConsoleProtection {
		req.ModificationProtectionReason = annotations.ModificationProtectionReason
	}
	tags := ownershipTags(svc, r.opts.ClusterID)
	extra := s.TagMap()
	for k, v := range extra {
		if _, ours := tags[k]; !ours {
			tags[k] = v
		}
	}
	if list := additionalKeysValue(extra); list != "" {
		tags[TagAdditionalKeys] = list
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	reqTags := make([]slb.CreateLoadBalancerTag, 0, len(keys))
	for _, k := range keys {
		reqTags = append(reqTags, slb.CreateLoadBalancerTag{Key: k, Value: tags[k]})
	}
	req.Tag = &reqTags
	req.ClientToken = r.clientToken(svc, req)
	return req, nil
}

// clientToken is deterministic in the Service UID, the request parameters
// and a salt that only changes when a token's CLB vanished (bumpSalt).
func (r *Reconciler) clientToken(svc *v1.Service, req *slb.CreateLoadBalancerRequest) string {
	r.saltMu.Lock()
	salt := r.salts[svc.UID]
	r.saltMu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%d|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s", svc.UID, salt, req.LoadBalancerName, req.AddressType,
		req.VSwitchId, req.VpcId, req.Address, req.AddressIPVersion, req.MasterZoneId, req.SlaveZoneId, req.ResourceGroupId,
		req.InstanceChargeType, req.LoadBalancerSpec, req.InternetChargeType, req.Bandwidth, req.DeleteProtection, req.ModificationProtectionStatus)
	for _, t := range *req.Tag {
		fmt.Fprintf(&b, "|%s=%s", t.Key, t.Value)
	}
	sum := sha256.Sum256([]byte(b.String()))
	// ClientToken: ASCII, at most 64 characters.
	return "k8s-" + hex.EncodeToString(sum[:])[:40]
}

// bumpSalt makes the next create of svc use a fresh ClientToken.
func (r *Reconciler) bumpSalt(svc *v1.Service) {
	r.saltMu.Lock()
	r.salts[svc.UID]++
	r.saltMu.Unlock()
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
