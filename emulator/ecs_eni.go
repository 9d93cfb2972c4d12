package emulator

import (
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
)

// DescribeNetworkInterfaces: NetworkInterfaceId.N and PrivateIpAddress.N
// (1–100 each), PrimaryIpAddress, InstanceId, VpcId, VSwitchId, Type,
// Status, Tag.N; MaxResults 10–500 (clamped) + NextToken, or deprecated
// PageNumber/PageSize (1–1000, default 10)
// (https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describenetworkinterfaces).
func ecsDescribeNetworkInterfaces(c *call) (any, error) {
	lim := c.e.cfg.Limits.IDsPerDescribeENIs
	ids, ips := c.list("NetworkInterfaceId"), c.list("PrivateIpAddress")
	if len(ids) > lim || len(ips) > lim {
		return nil, Errf(400, "InvalidParameter", "The specified parameter NetworkInterfaceId.N or PrivateIpAddress.N exceeds %d items.", lim)
	}
	switch c.str("Type") {
	case "", "Primary", "Secondary", "Trunk", "Member":
	default:
		return nil, Errf(400, "InvalidParameter", "The specified parameter Type is not valid.")
	}
	tags, err := c.tagFilter()
	if err != nil {
		return nil, err
	}
	var all []*ENI
	for _, n := range c.e.eniList() {
		if len(ids) > 0 && !contains(ids, n.NetworkInterfaceID) {
			continue
		}
		if len(ips) > 0 && !contains(ips, n.PrimaryIP) && !anyIn(n.SecondaryIPs, ips) {
			continue
		}
		if (c.str("PrimaryIpAddress") != "" && n.PrimaryIP != c.str("PrimaryIpAddress")) ||
			(c.str("InstanceId") != "" && n.InstanceID != c.str("InstanceId")) ||
			(c.str("VpcId") != "" && n.VpcID != c.str("VpcId")) ||
			(c.str("VSwitchId") != "" && n.VSwitchID != c.str("VSwitchId")) ||
			(c.str("Type") != "" && n.Type != c.str("Type")) ||
			(c.str("Status") != "" && n.Status != c.str("Status")) || !tagsMatch(n.Tags, tags) {
			continue
		}
		all = append(all, n)
	}
	res := &ecs.DescribeNetworkInterfacesResponse{TotalCount: len(all)}
	var from, to int
	if c.has("MaxResults") || c.has("NextToken") {
		keys := make([]string, len(all))
		for i, n := range all {
			keys[i] = n.NetworkInterfaceID
		}
		if from, to, res.NextToken, err = c.tokenPage(keys, 500); err != nil {
			return nil, err
		}
	} else {
		num, size, err := c.page(1000)
		if err != nil {
			return nil, err
		}
		res.PageNumber, res.PageSize = num, size
		from, to = window(len(all), num, size)
	}
	res.NetworkInterfaceSets.NetworkInterfaceSet = []ecs.NetworkInterfaceSet{}
	for _, n := range all[from:to] {
		res.NetworkInterfaceSets.NetworkInterfaceSet = append(res.NetworkInterfaceSets.NetworkInterfaceSet, c.e.eniView(n, c))
	}
	return res, nil
}

func anyIn(have, want []string) bool {
	for _, h := range have {
		if contains(want, h) {
			return true
		}
	}
	return false
}

// eniView renders an ENI as the SDK's NetworkInterfaceSet.
func (e *Emulator) eniView(n *ENI, c *call) ecs.NetworkInterfaceSet {
	v := ecs.NetworkInterfaceSet{NetworkInterfaceId: n.NetworkInterfaceID, Type: n.Type, Status: n.Status,
		InstanceId: n.InstanceID, VpcId: n.VpcID, VSwitchId: n.VSwitchID, ZoneId: n.ZoneID, MacAddress: n.MAC,
		PrivateIpAddress: n.PrimaryIP, SourceDestCheck: n.SourceDestCheck, CreationTime: isoTime(c.Now),
		DeleteOnRelease: n.Type == "Primary"}
	v.Attachment.InstanceId = n.InstanceID
	v.Attachment.TrunkNetworkInterfaceId = n.TrunkENI
	for i, ip := range append([]string{n.PrimaryIP}, n.SecondaryIPs...) {
		v.PrivateIpSets.PrivateIpSet = append(v.PrivateIpSets.PrivateIpSet, ecs.PrivateIpSet{PrivateIpAddress: ip, Primary: i == 0})
	}
	v.Tags.Tag = []ecs.Tag{}
	for _, t := range n.Tags {
		v.Tags.Tag = append(v.Tags.Tag, ecs.Tag{TagKey: t.Key, TagValue: t.Value})
	}
	v.SecurityGroupIds.SecurityGroupId = []string{}
	if in, ok := e.instanceByID(n.InstanceID); ok {
		v.SecurityGroupIds.SecurityGroupId = nonNil(in.SecurityGrps)
	}
	return v
}

// ModifyNetworkInterfaceAttribute: NetworkInterfaceId required; unknown ENI is
// InvalidEniId.NotFound 404; on a primary ENI, security groups and queue
// settings are refused with InvalidOperation.PrimaryEniOnlySupportModifyNameAndDesc
// 404 (SourceDestCheck is allowed: it is the per-ENI switch for instances
// acting as route next hops, and the page documents it without that
// restriction) (https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-modifynetworkinterfaceattribute).
func ecsModifyNetworkInterfaceAttribute(c *call) (any, error) {
	id := c.str("NetworkInterfaceId")
	if id == "" {
		return nil, Errf(400, "MissingParameter", `The input parameter "NetworkInterfaceId" that is mandatory for processing this request is not supplied.`)
	}
	n, ok := c.e.eniByID(id)
	if !ok {
		return nil, Errf(404, "InvalidEniId.NotFound", "The specified NetworkInterfaceId does not exist.")
	}
	if n.Type == "Primary" && (len(c.list("SecurityGroupId")) > 0 || c.has("QueueNumber")) {
		return nil, Errf(404, "InvalidOperation.PrimaryEniOnlySupportModifyNameAndDesc", "Primary NetworkInterface is only allowed to modify name and description.")
	}
	sdc, err := c.boolean("SourceDestCheck", n.SourceDestCheck)
	if err != nil {
		return nil, err
	}
	n.SourceDestCheck = sdc
	return &ecs.ModifyNetworkInterfaceAttributeResponse{}, nil
}
