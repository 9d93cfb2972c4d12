package annotations

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation"
)

// specs are the CLB instance specs CreateLoadBalancer accepts.
var specs = []string{"slb.s1.small", "slb.s2.small", "slb.s2.medium", "slb.s3.small", "slb.s3.medium", "slb.s3.large"}

// reservedTagKeys are the ownership tags the CCM itself writes; a user value
// would break finding or protecting the load balancer.
var reservedTagKeys = []string{"kubernetes.do.not.delete", "ack.aliyun.com", "kubernetes.reused.by.user"}

// reservedTagPrefix starts every tag key this CCM writes (ownership,
// tracked additional keys, SNI domains; loadbalancer/ownership.go).
const reservedTagPrefix = "alicloud-ccm/"

// parseInstance reads the load balancer instance annotations, topic by
// topic. The order is the order of errors and Warnings.
func (p *parser) parseInstance() {
	lb := &p.cfg.LB
	p.parseNetwork(lb)
	p.parseBilling(lb)
	p.parseZones(lb)
	p.parseReuse(lb)
	p.parseName(lb)
	p.parseResourceGroup(lb)
	p.parseTags(lb)
	p.parseProtection(lb)
	p.parseStatus(lb)
}

// parseNetwork reads where the load balancer sits: address type, network
// type, vSwitch, IP version and fixed address.
func (p *parser) parseNetwork(lb *LoadBalancer) {
	lb.AddressType = AddressTypeInternet
	if v := p.enum(KeyAddressType, false, string(AddressTypeInternet), string(AddressTypeIntranet)); v != "" {
		lb.AddressType, lb.AddressTypeSet = AddressType(v), true
	}
	// Checked here rather than by the engine so the error names the
	// annotation, also when it is unset (the default is internet).
	if p.d.DisablePublicSLB && lb.AddressType == AddressTypeInternet {
		val, key, ok := p.get(KeyAddressType)
		if !ok {
			key = string(KeyAddressType)
		}
		p.fail(key, val, "internet-facing load balancers are disabled by cloud-config disablePublicSLB; set it to intranet")
	}
	intranet := lb.AddressType == AddressTypeIntranet

	lb.NetworkType = NetworkType(p.enum(KeyNetworkType, false, string(NetworkTypeClassic), string(NetworkTypeVPC)))
	if lb.NetworkType != "" && !intranet {
		p.warnIgnored(KeyNetworkType, "it applies to intranet load balancers only")
	}
	lb.VSwitchID = p.id(KeyVSwitchID)
	switch {
	case lb.VSwitchID != "" && !intranet:
		p.warnIgnored(KeyVSwitchID, "it applies to intranet load balancers only")
	case lb.VSwitchID != "" && lb.NetworkType == NetworkTypeClassic:
		p.failName(KeyVSwitchID, "a classic network load balancer has no vSwitch; remove it or set %s to vpc", KeyNetworkType)
	case lb.VSwitchID == "" && intranet && lb.NetworkType != NetworkTypeClassic:
		lb.VSwitchCandidates = slices.Clone(p.d.VSwitchIDs)
	}

	lb.IPVersion = IPv4
	if v := p.enum(KeyIPVersion, false, string(IPv4), string(IPv6)); v != "" {
		lb.IPVersion, lb.IPVersionSet = IPVersion(v), true
	}
	p.parseAddress(lb)
}

// parseBilling reads the charge types, bandwidth and spec, and the
// combinations the API refuses.
func (p *parser) parseBilling(lb *LoadBalancer) {
	intranet := lb.AddressType == AddressTypeIntranet
	lb.InternetChargeType = p.enum(KeyChargeType, true, "paybytraffic", "paybybandwidth")
	if lb.InternetChargeType != "" && intranet {
		p.warnIgnored(KeyChargeType, "it applies to internet load balancers only")
	}
	lb.Bandwidth = p.intRange(KeyBandwidth)
	lb.InstanceChargeType = p.enum(KeyInstanceChargeType, true, "PayBySpec", "PayByCLCU")
	if lb.InternetChargeType == "paybybandwidth" && !intranet {
		switch lb.InstanceChargeType {
		case "PayByCLCU":
			p.failName(KeyChargeType, "pay-by-CLCU load balancers (%s) are charged by traffic only; use paybytraffic or PayBySpec", KeyInstanceChargeType)
		case "":
			// Not an error: an existing PayBySpec load balancer is fine. Only
			// a new one (created PayByCLCU) would be refused by the API.
			p.warnf("annotation %s=paybybandwidth: a new load balancer is created %s, which is charged by traffic only; set %s to PayBySpec",
				KeyChargeType, DefaultInstanceChargeType, KeyInstanceChargeType)
		}
	}
	lb.Spec = p.enum(KeySpec, false, specs...)
	if lb.Spec != "" && lb.InstanceChargeType == "PayByCLCU" {
		p.warnIgnored(KeySpec, "it applies to PayBySpec load balancers only")
	}
}

// parseZones reads the primary and backup zones.
func (p *parser) parseZones(lb *LoadBalancer) {
	lb.MasterZoneID = p.id(KeyMasterZoneID)
	lb.SlaveZoneID = p.id(KeySlaveZoneID)
	switch {
	case lb.SlaveZoneID != "" && lb.MasterZoneID == "" && !p.has(KeyMasterZoneID):
		p.failName(KeySlaveZoneID, "needs %s", KeyMasterZoneID)
	case lb.SlaveZoneID != "" && lb.SlaveZoneID == lb.MasterZoneID:
		p.failName(KeySlaveZoneID, "must differ from %s", KeyMasterZoneID)
	}
}

// parseReuse reads the CLB to reuse and whether its listeners are ours.
func (p *parser) parseReuse(lb *LoadBalancer) {
	lb.ReuseID = p.id(KeyID)
	lb.ForceOverrideListeners = p.trueFalse(KeyForceOverrideListeners)
	if p.has(KeyForceOverrideListeners) && !p.has(KeyID) {
		p.warnIgnored(KeyForceOverrideListeners, "it applies only with "+string(KeyID))
	}
}

// parseResourceGroup reads the resource group; cloud-config's default
// applies when the annotation is unset.
func (p *parser) parseResourceGroup(lb *LoadBalancer) {
	lb.ResourceGroupID = p.id(KeyResourceGroupID)
	if lb.ResourceGroupID != "" {
		lb.ResourceGroupIDSet = true
	} else if !p.has(KeyResourceGroupID) {
		lb.ResourceGroupID = p.d.ResourceGroupID
	}
}

// parseProtection reads deletion and modification protection and
// preserve-lb-on-delete.
func (p *parser) parseProtection(lb *LoadBalancer) {
	lb.DeleteProtection = true
	if v := p.onOff(KeyDeleteProtection); v != nil {
		lb.DeleteProtection, lb.DeleteProtectionSet = *v, true
	}
	lb.ModificationProtection = ConsoleProtection
	if v := p.enum(KeyModificationProtection, false, ConsoleProtection, NonProtection); v != "" {
		lb.ModificationProtection, lb.ModificationProtectionSet = v, true
	}
	lb.PreserveOnDelete = p.preserveOnDelete()
}

// parseStatus reads what the Service status publishes: a hostname, or the
// bound EIPs.
func (p *parser) parseStatus(lb *LoadBalancer) {
	if val, key, ok := p.get(KeyHostname); ok {
		if errs := validation.IsDNS1123Subdomain(val); len(errs) > 0 {
			p.fail(key, val, "must be a DNS name: %s", strings.Join(errs, "; "))
		} else {
			lb.Hostname = val
		}
	}
	lb.ExternalIPType = p.enum(KeyExternalIPType, false, "eip")
}

// parseAddress reads the fixed address from the ip annotation and
// spec.loadBalancerIP.
func (p *parser) parseAddress(lb *LoadBalancer) {
	var annAddr, specAddr netip.Addr
	if val, key, ok := p.get(KeyIP); ok {
		a, err := netip.ParseAddr(val)
		if err != nil || a.Zone() != "" {
			p.fail(key, val, "must be an IP address")
		} else {
			annAddr = a.Unmap()
			lb.AddressKey = key
		}
	}
	if val := strings.TrimSpace(p.svc.Spec.LoadBalancerIP); val != "" {
		a, err := netip.ParseAddr(val)
		if err != nil || a.Zone() != "" {
			p.fail(string(FieldLoadBalancerIP), val, "must be an IP address")
		} else {
			specAddr = a.Unmap()
		}
	}
	switch {
	case annAddr.IsValid() && specAddr.IsValid() && annAddr != specAddr:
		p.failName(KeyIP, "differs from %s %q; set only one", FieldLoadBalancerIP, specAddr)
		return
	case annAddr.IsValid():
		lb.Address = annAddr
	case specAddr.IsValid():
		lb.Address, lb.AddressKey = specAddr, string(FieldLoadBalancerIP)
	default:
		return
	}
	val := lb.Address.String()
	switch {
	case lb.AddressType != AddressTypeIntranet:
		p.fail(lb.AddressKey, val, "a fixed address needs %s: intranet", KeyAddressType)
	case lb.Address.Is6() && lb.IPVersion != IPv6:
		p.fail(lb.AddressKey, val, "an IPv6 address needs %s: ipv6", KeyIPVersion)
	case lb.Address.Is4() && lb.IPVersion == IPv6:
		p.fail(lb.AddressKey, val, "an IPv4 address does not fit %s: ipv6", KeyIPVersion)
	default:
		return
	}
	lb.Address, lb.AddressKey = netip.Addr{}, ""
}

// parseName checks the load balancer name against CreateLoadBalancer's rule:
// 1–80 characters starting with a letter (Chinese characters count as
// letters).
func (p *parser) parseName(lb *LoadBalancer) {
	val, key, ok := p.get(KeyName)
	if !ok {
		return
	}
	first, _ := utf8.DecodeRuneInString(val)
	switch {
	case utf8.RuneCountInString(val) > maxLBName:
		p.fail(key, val, "must be at most %d characters", maxLBName)
	case !unicode.IsLetter(first):
		p.fail(key, val, "must start with a letter")
	default:
		lb.Name = val
	}
}

// parseTags reads additional-resource-tags: `k1=v1,k2=v2,k3=,k4`.
func (p *parser) parseTags(lb *LoadBalancer) {
	items, key, val, ok := p.list(KeyAdditionalResourceTags)
	if !ok {
		return
	}
	if len(items) > maxTags {
		p.fail(key, val, "has %d tags; at most %d are allowed", len(items), maxTags)
		return
	}
	tags := make([]Tag, 0, len(items))
	bad := false
	for _, item := range items {
		k, v, _ := strings.Cut(item, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		lk := strings.ToLower(k)
		var reason string
		switch {
		case k == "":
			reason = "tag " + item + " has an empty key"
		case len(k) > maxTagKey:
			reason = fmt.Sprintf("tag key %s is longer than %d characters", k, maxTagKey)
		case len(v) > maxTagValue:
			reason = fmt.Sprintf("the value of tag %s is longer than %d characters", k, maxTagValue)
		case strings.HasPrefix(lk, "aliyun") || strings.HasPrefix(lk, "acs:"):
			reason = "tag key " + k + " starts with aliyun or acs:, which are reserved"
		case strings.Contains(lk, "http://") || strings.Contains(lk, "https://") ||
			strings.Contains(strings.ToLower(v), "http://") || strings.Contains(strings.ToLower(v), "https://"):
			reason = "tag " + k + " contains http:// or https://, which the API rejects"
		case slices.Contains(reservedTagKeys, k) || strings.HasPrefix(lk, reservedTagPrefix):
			reason = "tag key " + k + " is reserved for the CCM's ownership tags"
		case slices.ContainsFunc(tags, func(t Tag) bool { return t.Key == k }):
			reason = "tag key " + k + " is given twice"
		}
		if reason != "" {
			p.fail(key, val, "%s", reason)
			bad = true
			continue
		}
		tags = append(tags, Tag{Key: k, Value: v})
	}
	if !bad {
		lb.AdditionalTags = tags
	}
}

// preserveOnDelete reads preserve-lb-on-delete. The official CCM preserves
// on any non-empty value, so `false` preserves too, with a Warning; keeping
// the CLB is also the safe side. The delete path reads it through
// PreserveOnDelete, so both paths agree.
func (p *parser) preserveOnDelete() bool {
	val, key, ok := p.get(KeyPreserveLBOnDelete)
	if !ok {
		return false
	}
	if val != "true" && val != "on" {
		p.warnf("annotation %s=%q preserves the load balancer, as the official CCM does for any value; remove the annotation to delete it with the Service", key, val)
	}
	return true
}
