package emulator

// NLB instance actions: CreateLoadBalancer, DeleteLoadBalancer,
// GetLoadBalancerAttribute, ListLoadBalancers, UpdateLoadBalancerAttribute,
// UpdateLoadBalancerAddressTypeConfig, UpdateLoadBalancerZones,
// UpdateLoadBalancerProtection (the IPv6 address type: nlb_ipv6.go). Each page is
// https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-<action in lower case>.

import (
	"net/http"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// nlbCreateLoadBalancer: asynchronous; the answer carries the ID and a JobId,
// and the NLB is Provisioning until the job ends, then Active
// (api-nlb-2022-04-30-createloadbalancer).
func nlbCreateLoadBalancer(c *call) (any, error) {
	s := c.e.nlb
	lb := &nlbLB{Name: c.str("LoadBalancerName"), Created: c.Now, ModStatus: "NonProtection",
		ResourceGroup: orDefault(c.str("ResourceGroupId"), "rg-default"), BandwidthPackage: c.str("BandwidthPackageId")}
	if t := c.str("LoadBalancerType"); t != "" && t != "Network" && t != "network" {
		return nil, nlbIllegal("LoadBalancerType")
	}
	switch lb.AddressType = c.str("AddressType"); lb.AddressType {
	case "":
		return nil, nlbMissing("AddressType")
	case "Internet", "Intranet":
	default:
		return nil, nlbIllegal("AddressType")
	}
	switch v := c.str("AddressIpVersion"); strings.ToLower(v) {
	case "", "ipv4":
		lb.IPVersion = "ipv4"
	case "dualstack":
		lb.IPVersion = "DualStack"
	default:
		return nil, nlbIllegal("AddressIpVersion")
	}
	if lb.Name != "" && !validNLBName(lb.Name) {
		// IllegalParam.loadBalancerName 400 "Param loadBalancerName is illegal."
		return nil, Errf(http.StatusBadRequest, "IllegalParam.loadBalancerName", "Param loadBalancerName is illegal.")
	}
	var err error
	if lb.VpcID, err = nlbRequired(c, "VpcId"); err != nil {
		return nil, err
	}
	if _, ok := c.e.vpcByID(lb.VpcID); !ok {
		return nil, nlbNotFound("Vpc")
	}
	zs := nlbZoneParams(c)
	if err := c.e.checkNLBZones(lb.VpcID, zs); err != nil {
		return nil, err
	}
	if p := c.str("LoadBalancerBillingConfig.PayType"); p != "" && p != "PostPay" {
		return nil, nlbIllegal("PayType")
	}
	if lb.DelProt, err = nlbBool(c, "DeletionProtectionConfig.Enabled", false); err != nil {
		return nil, err
	}
	if lb.DelProt {
		lb.DelReason, lb.DelTime = c.str("DeletionProtectionConfig.Reason"), c.Now
	}
	if err := nlbModProtection(c, lb, "ModificationProtectionConfig.Status", "ModificationProtectionConfig.Reason"); err != nil {
		return nil, err
	}
	lb.Tags = c.tags()
	if err := validateTags(lb.Tags, c.e.cfg.Limits.TagsPerResource); err != nil {
		return nil, err
	}
	if n, limit := len(s.lbs), c.e.cfg.Limits.NLBPerAccount; n >= limit {
		return nil, nlbQuota("nlb_quota_loadbalancers_num", n, limit)
	}
	if err := nlbDryRun(c); err != nil {
		return nil, err
	}
	lb.ID = c.e.nextID("nlb-")
	for _, z := range zs {
		mz, err := c.e.placeNLBZone(lb, z)
		if err != nil {
			for _, done := range lb.Zones {
				c.e.releaseNLBPublic(done)
			}
			return nil, err
		}
		lb.Zones = append(lb.Zones, mz)
	}
	lb.seq = s.nextSeq()
	s.lbs[lb.ID] = lb
	j := s.newJob(c, "create", lb.ID)
	return &nlb.CreateLoadBalancerResponse{LoadbalancerId: lb.ID, JobId: j.ID}, nil
}

// nlbModProtection reads a modification protection pair: NonProtection
// clears the reason; ConsoleProtection (console writes refused, API writes
// allowed) takes one (CreateLoadBalancer ModificationProtectionConfig).
func nlbModProtection(c *call, lb *nlbLB, statusParam, reasonParam string) error {
	switch st := c.str(statusParam); st {
	case "":
		return nil
	case "NonProtection":
		lb.ModStatus, lb.ModReason, lb.ModTime = st, "", c.Now
	case "ConsoleProtection":
		lb.ModStatus, lb.ModReason, lb.ModTime = st, c.str(reasonParam), c.Now
	default:
		return nlbIllegal("ModificationProtectionStatus")
	}
	return nil
}

// nlbDeleteLoadBalancer: refused while deletion protection is on
// (OperationDenied.DeletionProtectionEnabled); the NLB is Deleting until the
// job ends. Its listeners go with it; server groups stay
// (api-nlb-2022-04-30-deleteloadbalancer).
func nlbDeleteLoadBalancer(c *call) (any, error) {
	s := c.e.nlb
	lb, err := s.writableLB(c)
	if err != nil {
		return nil, err
	}
	if lb.DelProt {
		return nil, Errf(http.StatusBadRequest, "OperationDenied.DeletionProtectionEnabled", "The operation is not allowed because of DeletionProtectionEnabled.")
	}
	if err := nlbDryRun(c); err != nil {
		return nil, err
	}
	for id, l := range s.listeners {
		if l.LBID == lb.ID {
			delete(s.listeners, id)
		}
	}
	for _, z := range lb.Zones {
		c.e.releaseNLBPublic(z)
	}
	j := s.newJob(c, "delete", lb.ID)
	lb.deleteAt = j.End
	s.sweep(c.Now)
	return &nlb.DeleteLoadBalancerResponse{JobId: j.ID}, nil
}

// lbInfo renders an NLB as ListLoadBalancers shows it.
func (s *nlbState) lbInfo(c *call, lb *nlbLB) nlb.LoadbalancerInfo {
	zones := make([]nlb.ZoneMapping, 0, len(lb.Zones))
	for _, z := range lb.Zones {
		v := zoneView(z)
		if lb.IPVersion == "DualStack" {
			v.LoadBalancerAddresses[0].Ipv6Address = nlbIPv6Address(z.PrivateIP)
		}
		zones = append(zones, v)
	}
	return nlb.LoadbalancerInfo{
		RegionId: c.e.cfg.Region, LoadBalancerId: lb.ID, LoadBalancerName: lb.Name, LoadBalancerType: "Network",
		AddressType: lb.AddressType, AddressIpVersion: lb.IPVersion, Ipv6AddressType: nlbIPv6AddressType(lb), LoadBalancerStatus: s.lbStatus(lb, c.Now),
		LoadBalancerBusinessStatus: "Normal", VpcId: lb.VpcID, CreateTime: nlbTime(lb.Created),
		ResourceGroupId: lb.ResourceGroup, DNSName: lb.ID + "." + c.e.cfg.Region + ".nlb.aliyuncs.com",
		BandwidthPackageId: lb.BandwidthPackage, CrossZoneEnabled: lb.CrossZone, TrafficAffinityEnabled: lb.TrafficAffinity,
		SecurityGroupIds:          append([]string{}, lb.SecurityGroups...),
		LoadBalancerBillingConfig: nlb.LoadBalancerBillingConfig{PayType: "PostPay"},
		DeletionProtectionConfig:  nlb.DeletionProtectionConfig{Enabled: lb.DelProt, Reason: lb.DelReason, EnabledTime: nlbTime(lb.DelTime)},
		ModificationProtectionConfig: nlb.ModificationProtectionConfig{Status: lb.ModStatus, Reason: lb.ModReason,
			EnabledTime: nlbTime(lb.ModTime)},
		OperationLocks: []nlb.OperationLock{}, ZoneMappings: zones, Tags: nlbTagModels(lb.Tags),
	}
}

// nlbGetLoadBalancerAttribute (api-nlb-2022-04-30-getloadbalancerattribute).
func nlbGetLoadBalancerAttribute(c *call) (any, error) {
	s := c.e.nlb
	lb, err := s.lb(c)
	if err != nil {
		return nil, err
	}
	i := s.lbInfo(c, lb)
	return &nlb.GetLoadBalancerAttributeResponse{
		RegionId: i.RegionId, LoadBalancerId: i.LoadBalancerId, LoadBalancerName: i.LoadBalancerName,
		LoadBalancerType: i.LoadBalancerType, AddressType: i.AddressType, AddressIpVersion: i.AddressIpVersion, Ipv6AddressType: i.Ipv6AddressType,
		LoadBalancerStatus: i.LoadBalancerStatus, LoadBalancerBusinessStatus: i.LoadBalancerBusinessStatus,
		VpcId: i.VpcId, CreateTime: i.CreateTime, ResourceGroupId: i.ResourceGroupId, DNSName: i.DNSName,
		BandwidthPackageId: i.BandwidthPackageId, CrossZoneEnabled: i.CrossZoneEnabled,
		TrafficAffinityEnabled: i.TrafficAffinityEnabled, Cps: lb.Cps, SecurityGroupIds: i.SecurityGroupIds,
		LoadBalancerBillingConfig: i.LoadBalancerBillingConfig, DeletionProtectionConfig: i.DeletionProtectionConfig,
		ModificationProtectionConfig: i.ModificationProtectionConfig, OperationLocks: i.OperationLocks,
		ZoneMappings: i.ZoneMappings, Tags: nlbTagsView(lb.Tags),
	}, nil
}

// nlbListLoadBalancers filters by IDs, names, VPCs, address type and
// version, DNS name, address, status, zone, resource group and tags; pages
// with MaxResults/NextToken (api-nlb-2022-04-30-listloadbalancers).
func nlbListLoadBalancers(c *call) (any, error) {
	s := c.e.nlb
	tags, err := nlbTagFilter(c)
	if err != nil {
		return nil, err
	}
	ids, names, vpcs := c.list("LoadBalancerIds"), c.list("LoadBalancerNames"), c.list("VpcIds")
	var out []string
	for id, lb := range s.lbs {
		i := s.lbInfo(c, lb)
		switch {
		case len(ids) > 0 && !contains(ids, id), len(names) > 0 && !contains(names, lb.Name),
			len(vpcs) > 0 && !contains(vpcs, lb.VpcID),
			c.str("AddressType") != "" && c.str("AddressType") != lb.AddressType,
			c.str("AddressIpVersion") != "" && !strings.EqualFold(c.str("AddressIpVersion"), lb.IPVersion),
			c.str("ResourceGroupId") != "" && c.str("ResourceGroupId") != lb.ResourceGroup,
			c.str("DNSName") != "" && c.str("DNSName") != i.DNSName,
			c.str("LoadBalancerStatus") != "" && c.str("LoadBalancerStatus") != i.LoadBalancerStatus,
			c.str("LoadBalancerBusinessStatus") != "" && c.str("LoadBalancerBusinessStatus") != "Normal",
			c.str("ZoneId") != "" && !lbInZone(lb, c.str("ZoneId")),
			c.str("Address") != "" && !lbHasAddress(lb, c.str("Address")),
			!matchTags(lb.Tags, tags):
			continue
		}
		out = append(out, id)
	}
	out = bySeq(out, func(id string) uint64 { return s.lbs[id].seq })
	from, to, limit, next, err := nlbPage(c, out)
	if err != nil {
		return nil, err
	}
	resp := &nlb.ListLoadBalancersResponse{TotalCount: len(out), NextToken: next, MaxResults: limit, LoadBalancers: []nlb.LoadbalancerInfo{}}
	for _, id := range out[from:to] {
		resp.LoadBalancers = append(resp.LoadBalancers, s.lbInfo(c, s.lbs[id]))
	}
	return resp, nil
}

func lbInZone(lb *nlbLB, zone string) bool {
	for _, z := range lb.Zones {
		if z.ZoneID == zone {
			return true
		}
	}
	return false
}

func lbHasAddress(lb *nlbLB, a string) bool {
	for _, z := range lb.Zones {
		if z.PrivateIP == a || z.PublicIP == a {
			return true
		}
	}
	return false
}

// nlbUpdateLoadBalancerAttribute changes the name, cross-zone and traffic
// affinity switches and Cps (api-nlb-2022-04-30-updateloadbalancerattribute).
func nlbUpdateLoadBalancerAttribute(c *call) (any, error) {
	s := c.e.nlb
	lb, err := s.writableLB(c)
	if err != nil {
		return nil, err
	}
	name := c.str("LoadBalancerName")
	if c.has("LoadBalancerName") && !validNLBName(name) {
		return nil, Errf(http.StatusBadRequest, "IllegalParam.loadBalancerName", "Param loadBalancerName is illegal.")
	}
	cross, err := nlbBool(c, "CrossZoneEnabled", lb.CrossZone)
	if err != nil {
		return nil, err
	}
	aff, err := nlbBool(c, "TrafficAffinityEnabled", lb.TrafficAffinity)
	if err != nil {
		return nil, err
	}
	cps, err := nlbInt(c, "Cps", lb.Cps, 0, 1000000)
	if err != nil {
		return nil, err
	}
	if err := nlbDryRun(c); err != nil {
		return nil, err
	}
	if c.has("LoadBalancerName") {
		lb.Name = name
	}
	lb.CrossZone, lb.TrafficAffinity, lb.Cps = cross, aff, cps
	j := s.newJob(c, "update", lb.ID)
	return &nlb.UpdateLoadBalancerAttributeResponse{JobId: j.ID}, nil
}

// nlbUpdateLoadBalancerAddressTypeConfig switches between Internet and
// Intranet; the same type is OperationDenied.AddressTypeNotChanged. Zone
// mappings may name an EIP per zone
// (api-nlb-2022-04-30-updateloadbalanceraddresstypeconfig).
func nlbUpdateLoadBalancerAddressTypeConfig(c *call) (any, error) {
	s := c.e.nlb
	lb, err := s.writableLB(c)
	if err != nil {
		return nil, err
	}
	at, err := nlbRequired(c, "AddressType")
	if err != nil {
		return nil, err
	}
	if at != "Internet" && at != "Intranet" {
		return nil, nlbIllegal("AddressType")
	}
	if at == lb.AddressType {
		return nil, Errf(http.StatusBadRequest, "OperationDenied.AddressTypeNotChanged", "The operation is not allowed because of AddressTypeNotChanged.")
	}
	eips := map[string]string{}
	for _, z := range nlbZoneParams(c) {
		mz := lbZone(lb, z.ZoneID)
		if mz == nil || (z.VSwitchID != "" && z.VSwitchID != mz.VSwitchID) {
			return nil, Errf(http.StatusBadRequest, "Mismatch.ZoneIdAndVswitchId", "The ZoneIdAndVswitchId is mismatched for %s and %s.", z.ZoneID, z.VSwitchID)
		}
		if z.AllocationID != "" {
			if at != "Internet" {
				return nil, nlbIllegal("AllocationId")
			}
			if _, ok := c.e.vpc.eips[z.AllocationID]; !ok {
				return nil, nlbNotFound("Eip")
			}
			eips[z.ZoneID] = z.AllocationID
		}
	}
	if err := nlbDryRun(c); err != nil {
		return nil, err
	}
	lb.AddressType = at
	for _, z := range lb.Zones {
		c.e.releaseNLBPublic(z)
		if at == "Internet" {
			if err := c.e.bindNLBPublic(lb, z, eips[z.ZoneID]); err != nil {
				return nil, err
			}
		}
	}
	j := s.newJob(c, "update", lb.ID)
	return &nlb.UpdateLoadBalancerAddressTypeConfigResponse{JobId: j.ID}, nil
}

func lbZone(lb *nlbLB, zone string) *nlbZone {
	for _, z := range lb.Zones {
		if z.ZoneID == zone {
			return z
		}
	}
	return nil
}

// nlbUpdateLoadBalancerZones replaces the zone list: zones kept with the
// same vSwitch keep their addresses, new zones get new ones, dropped zones
// release theirs (api-nlb-2022-04-30-updateloadbalancerzones).
func nlbUpdateLoadBalancerZones(c *call) (any, error) {
	s := c.e.nlb
	lb, err := s.writableLB(c)
	if err != nil {
		return nil, err
	}
	zs := nlbZoneParams(c)
	if err := c.e.checkNLBZones(lb.VpcID, zs); err != nil {
		return nil, err
	}
	if err := nlbDryRun(c); err != nil {
		return nil, err
	}
	var next []*nlbZone
	kept := map[*nlbZone]bool{}
	for _, z := range zs {
		if old := lbZone(lb, z.ZoneID); old != nil && old.VSwitchID == z.VSwitchID &&
			(z.PrivateIP == "" || z.PrivateIP == old.PrivateIP) {
			next, kept[old] = append(next, old), true
			continue
		}
		mz, err := c.e.placeNLBZone(lb, z)
		if err != nil {
			for _, n := range next {
				if !kept[n] {
					c.e.releaseNLBPublic(n)
				}
			}
			return nil, err
		}
		next = append(next, mz)
	}
	for _, old := range lb.Zones {
		if !kept[old] {
			c.e.releaseNLBPublic(old)
		}
	}
	lb.Zones = next
	j := s.newJob(c, "update", lb.ID)
	return &nlb.UpdateLoadBalancerZonesResponse{JobId: j.ID}, nil
}

// nlbUpdateLoadBalancerProtection sets deletion and modification
// protection; it is synchronous (the answer has no JobId)
// (api-nlb-2022-04-30-updateloadbalancerprotection).
func nlbUpdateLoadBalancerProtection(c *call) (any, error) {
	s := c.e.nlb
	lb, err := s.lb(c)
	if err != nil {
		return nil, err
	}
	del, err := nlbBool(c, "DeletionProtectionEnabled", lb.DelProt)
	if err != nil {
		return nil, err
	}
	probe := *lb
	if err := nlbModProtection(c, &probe, "ModificationProtectionStatus", "ModificationProtectionReason"); err != nil {
		return nil, err
	}
	if err := nlbDryRun(c); err != nil {
		return nil, err
	}
	lb.ModStatus, lb.ModReason, lb.ModTime = probe.ModStatus, probe.ModReason, probe.ModTime
	switch {
	case del && !lb.DelProt:
		lb.DelProt, lb.DelReason, lb.DelTime = true, c.str("DeletionProtectionReason"), c.Now
	case del:
		if c.has("DeletionProtectionReason") {
			lb.DelReason = c.str("DeletionProtectionReason")
		}
	default:
		lb.DelProt, lb.DelReason, lb.DelTime = false, "", time.Time{}
	}
	return &nlb.UpdateLoadBalancerProtectionResponse{}, nil
}
