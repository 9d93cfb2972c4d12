package annotations

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	v1 "k8s.io/api/core/v1"
)

// NLB limits (CreateLoadBalancer and LoadBalancerJoinSecurityGroup,
// https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-createloadbalancer,
// https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-loadbalancerjoinsecuritygroup).
const (
	// minNLBName, maxNLBName: the name is 2–128 characters, starting with
	// a letter; then letters, digits, '.', '_' and '-'.
	minNLBName, maxNLBName = 2, 128
	// maxNLBZones is the most zones an NLB spans.
	maxNLBZones = 10
	// maxNLBSecurityGroups is the most security groups an NLB joins.
	maxNLBSecurityGroups = 4
)

// ParseNLB reads every annotation and field an NLB Service uses once into
// a typed NLBConfig, with the machinery of Parse: the current prefix wins
// over the legacy one, values are trimmed, an empty value is unset, and
// all problems are aggregated (an errors.Join of *Error, one per bad key,
// naming key and value). The returned NLBConfig is never nil, but must not
// be acted on when the error is not nil. CLB-only keys give a Warning and
// are ignored.
func ParseNLB(svc *v1.Service, d Defaults) (*NLBConfig, error) {
	p := newParser(svc, d)
	p.nlb = true
	c := &NLBConfig{}
	p.parseNLBInstance(&c.LB)
	// The server group type and the backends before the listeners:
	// port-range listeners need Ip groups of pods.
	c.ServerGroup.Type = p.serverGroupType()
	p.parseNLBBackend(c)
	p.parseNLBListeners(c)
	p.parseNLBServerGroup(c)
	c.SourceRanges = p.sourceRanges()
	p.warnUnknown()
	c.Warnings = p.cfg.Warnings
	return c, errors.Join(p.errs...)
}

// parseNLBInstance reads the NLB instance annotations. The shared keys
// reuse the CLB topics (reuse, resource group, tags, protection) and copy
// their result, so each key is read one way for both products.
func (p *parser) parseNLBInstance(lb *NLBInstance) {
	var clb LoadBalancer
	p.parseReuse(&clb)
	p.parseResourceGroup(&clb)
	p.parseTags(&clb)
	p.parseProtection(&clb)
	lb.ReuseID, lb.ForceOverrideListeners = clb.ReuseID, clb.ForceOverrideListeners
	lb.ResourceGroupID, lb.ResourceGroupIDSet = clb.ResourceGroupID, clb.ResourceGroupIDSet
	lb.AdditionalTags = clb.AdditionalTags
	lb.DeleteProtection, lb.DeleteProtectionSet = clb.DeleteProtection, clb.DeleteProtectionSet
	lb.ModificationProtection, lb.ModificationProtectionSet = clb.ModificationProtection, clb.ModificationProtectionSet
	lb.PreserveOnDelete = clb.PreserveOnDelete

	p.parseNLBNetwork(lb)
	lb.Name = p.nlbName()
	lb.ZoneMaps = p.zoneMaps(lb.AddressType)
	lb.SecurityGroupIDs = p.securityGroupIDs()
	lb.BandwidthPackageID = p.id(KeyBandwidthPackageID)
	if lb.BandwidthPackageID != "" && lb.AddressType != AddressTypeInternet {
		p.warnIgnored(KeyBandwidthPackageID, "a bandwidth package applies to internet NLBs only")
	}
	lb.CrossZoneEnabled = p.onOff(KeyCrossZoneEnabled)
}

// parseNLBNetwork reads the address type and the address families.
func (p *parser) parseNLBNetwork(lb *NLBInstance) {
	lb.AddressType = AddressTypeInternet
	if v := p.enum(KeyAddressType, false, string(AddressTypeInternet), string(AddressTypeIntranet)); v != "" {
		lb.AddressType, lb.AddressTypeSet = AddressType(v), true
	}
	// cloud-config disablePublicSLB forbids Internet-facing load
	// balancers of the SLB family, the NLB included.
	if p.d.DisablePublicSLB && lb.AddressType == AddressTypeInternet {
		val, key, ok := p.get(KeyAddressType)
		if !ok {
			key = string(KeyAddressType)
		}
		p.fail(key, val, "internet-facing load balancers are disabled by cloud-config disablePublicSLB; set it to intranet")
	}

	lb.IPVersion = IPv4
	if val, key, ok := p.get(KeyIPVersion); ok {
		switch {
		case strings.EqualFold(val, string(DualStack)):
			lb.IPVersion, lb.IPVersionSet = DualStack, true
		case strings.EqualFold(val, string(IPv4)):
			lb.IPVersionSet = true
		case strings.EqualFold(val, string(IPv6)):
			// The official CCM reads every value but DualStack as ipv4;
			// an NLB has no IPv6-only address.
			lb.IPVersionSet = true
			p.warnf("annotation %s=%q is read as ipv4, as the official CCM does: an NLB is ipv4 or DualStack", key, val)
		default:
			p.fail(key, val, "must be ipv4 or DualStack")
		}
	}
	lb.IPv6AddressType = AddressType(p.enum(KeyIPv6AddressType, false, string(AddressTypeInternet), string(AddressTypeIntranet)))
	if lb.IPv6AddressType != "" && lb.IPVersion != DualStack {
		p.warnIgnored(KeyIPv6AddressType, "it applies only with "+string(KeyIPVersion)+": DualStack")
		lb.IPv6AddressType = ""
	}
}

// nlbName checks the NLB name against CreateLoadBalancer's rule.
func (p *parser) nlbName() string {
	val, key, ok := p.get(KeyName)
	if !ok {
		return ""
	}
	n := utf8.RuneCountInString(val)
	valid := n >= minNLBName && n <= maxNLBName
	for i, r := range val {
		if !unicode.IsLetter(r) && (i == 0 || !unicode.IsDigit(r) && !strings.ContainsRune("._-", r)) {
			valid = false
		}
	}
	if !valid {
		p.fail(key, val, "must be %d–%d characters: a letter, then letters, digits, '.', '_' or '-'", minNLBName, maxNLBName)
		return ""
	}
	return val
}

// zoneMaps parses `zone:vSwitch[:privateIPv4[:eipAllocationId]][,...]`.
// An empty address field (`zone:vsw::eip-1`) is unset. The whole value is
// dropped on any error, so a half-read list never moves the NLB's zones.
func (p *parser) zoneMaps(addressType AddressType) []ZoneMap {
	items, key, val, ok := p.list(KeyZoneMaps)
	if !ok {
		return nil
	}
	var out []ZoneMap
	bad := false
	for _, item := range items {
		if reason := zoneMapError(item, addressType, out); reason != "" {
			p.fail(key, val, "entry %q %s", item, reason)
			bad = true
			continue
		}
		f := zoneFields(item)
		z := ZoneMap{ZoneID: f[0], VSwitchID: f[1]}
		if len(f) > 2 && f[2] != "" {
			z.PrivateIPv4 = netip.MustParseAddr(f[2])
		}
		if len(f) > 3 {
			z.EIPAllocationID = f[3]
		}
		out = append(out, z)
	}
	if len(items) > maxNLBZones {
		p.fail(key, val, "has %d zones; an NLB spans at most %d", len(items), maxNLBZones)
		bad = true
	}
	if bad {
		return nil
	}
	return out
}

// zoneFields splits one zone-maps entry at its colons, trimmed.
func zoneFields(item string) []string {
	f := strings.Split(item, ":")
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	return f
}

// zoneMapError says what is wrong with one zone-maps entry, given the
// entries before it; "" when it is valid.
func zoneMapError(item string, addressType AddressType, before []ZoneMap) string {
	f := zoneFields(item)
	switch {
	case len(f) < 2 || len(f) > 4:
		return "must be zone:vSwitch[:privateIPv4[:eipAllocationId]]"
	case !idPattern.MatchString(f[0]):
		return "has no valid zone ID"
	case !idPattern.MatchString(f[1]) || !strings.HasPrefix(f[1], "vsw-"):
		return "has no valid vSwitch ID (vsw-...)"
	case slices.ContainsFunc(before, func(z ZoneMap) bool { return z.ZoneID == f[0] }):
		return "names zone " + f[0] + " again; an NLB has one vSwitch per zone"
	}
	if len(f) > 2 && f[2] != "" {
		if a, err := netip.ParseAddr(f[2]); err != nil || !a.Is4() {
			return "has " + f[2] + " where a private IPv4 address belongs"
		}
	}
	if len(f) > 3 && f[3] != "" {
		switch {
		case !idPattern.MatchString(f[3]):
			return "has no valid EIP allocation ID"
		case addressType != AddressTypeInternet:
			return "binds an EIP, which needs " + string(KeyAddressType) + ": internet"
		}
	}
	return ""
}

// securityGroupIDs parses the comma-separated security group IDs.
func (p *parser) securityGroupIDs() []string {
	items, key, val, ok := p.list(KeySecurityGroupIDs)
	if !ok {
		return nil
	}
	for i, id := range items {
		switch {
		case !idPattern.MatchString(id) || !strings.HasPrefix(id, "sg-"):
			p.fail(key, val, "%q is not a security group ID (sg-...)", id)
			return nil
		case slices.Contains(items[:i], id):
			p.fail(key, val, "security group %s is listed twice", id)
			return nil
		}
	}
	if len(items) > maxNLBSecurityGroups {
		p.fail(key, val, "has %d security groups; an NLB joins at most %d", len(items), maxNLBSecurityGroups)
		return nil
	}
	return items
}

// parseNLBBackend reads the backend annotations: the ones CLB reads alike,
// and the NLB's address families (ipv6 and dualstack pod backends need a
// DualStack NLB).
func (p *parser) parseNLBBackend(c *NLBConfig) {
	b := &c.Backend
	p.parseBackendShared(b)
	b.IPVersion = IPv4
	val, key, ok := p.get(KeyBackendIPVersion)
	if !ok {
		return
	}
	switch val {
	case string(IPv4):
	case string(IPv6), "dualstack":
		if c.LB.IPVersion != DualStack {
			p.fail(key, val, "IPv6 backends need %s: DualStack", KeyIPVersion)
			return
		}
		b.IPVersion = IPv6
		if val == "dualstack" {
			b.IPVersion = DualStack
		}
	default:
		p.fail(key, val, "must be one of ipv4, ipv6, dualstack")
	}
}
