package emulator

import (
	"encoding/base64"
	"encoding/json"
	"path"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
)

// jsonList reads a JSON-array parameter ("[\"i-1\",\"i-2\"]") with a size
// limit; present reports whether it was sent at all (an empty array is a
// valid filter that matches nothing, per DescribeInstances).
func (c *call) jsonList(name string, limit int) (list []string, present bool, err error) {
	v := c.str(name)
	if v == "" {
		return nil, false, nil
	}
	if err := json.Unmarshal([]byte(v), &list); err != nil {
		return nil, true, errInvalid(name, v)
	}
	if len(list) > limit {
		return nil, true, Errf(400, "InvalidParameter", "The specified parameter %s exceeds %d items.", name, limit)
	}
	return list, true, nil
}

// tagFilter reads Tag.N filters (N 1–20). A key alone matches any value; a
// value without a key is InvalidTag.Mismatch, more than 20 is InvalidTagCount
// (DescribeInstances page, error table).
func (c *call) tagFilter() ([]Tag, error) {
	var out []Tag
	for i := 1; i <= 21; i++ {
		p := "Tag." + itoa(i)
		k, v := c.str(p+".Key"), c.str(p+".Value")
		if k == "" && v == "" {
			if c.has(p + ".Key") {
				continue
			}
			break
		}
		if k == "" {
			return nil, Errf(400, "InvalidTag.Mismatch", "The specified Tag.n.Key and Tag.n.Value are not match.")
		}
		if i > 20 {
			return nil, Errf(400, "InvalidTagCount", "The specified tags are beyond the permitted range.")
		}
		out = append(out, Tag{Key: k, Value: v})
	}
	return out, nil
}

func tagsMatch(have, want []Tag) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			if h.Key == w.Key && (w.Value == "" || h.Value == w.Value) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// tokenPage paginates with MaxResults/NextToken: MaxResults is clamped to
// [10, hi] (default 10, "<10 ⇒ 10, >hi ⇒ hi": every ECS list action's
// minimum is 10); the token names the first item of the next page. ids
// are the filtered items in order.
func (c *call) tokenPage(ids []string, hi int) (from, to int, next string, err error) {
	const lo = 10
	limit, err := c.integer("MaxResults", 10)
	if err != nil {
		return 0, 0, "", err
	}
	if limit < lo {
		limit = lo
	}
	if limit > hi {
		limit = hi
	}
	if tok := c.str("NextToken"); tok != "" {
		raw, derr := base64.RawURLEncoding.DecodeString(tok)
		from = -1
		for i, id := range ids {
			if derr == nil && id == string(raw) {
				from = i
			}
		}
		if from < 0 {
			return 0, 0, "", errInvalid("NextToken", tok)
		}
	}
	to = from + limit
	if to < len(ids) {
		next = base64.RawURLEncoding.EncodeToString([]byte(ids[to]))
	} else {
		to = len(ids)
	}
	return from, to, next, nil
}

// DescribeInstances: InstanceIds/PrivateIpAddresses/PublicIpAddresses/
// EipAddresses JSON arrays ≤100, VpcId, VSwitchId, ZoneId, InstanceName
// (* wildcard), Status, Tag.N; MaxResults+NextToken or deprecated
// PageNumber/PageSize (max 100, default 10) (https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describeinstances).
func ecsDescribeInstances(c *call) (any, error) {
	lim := c.e.cfg.Limits.IDsPerDescribeInstances
	ids, idsSet, err := c.jsonList("InstanceIds", lim)
	if err != nil {
		return nil, err
	}
	ipFilters := map[string][]string{}
	for _, name := range []string{"PrivateIpAddresses", "PublicIpAddresses", "EipAddresses"} {
		l, set, err := c.jsonList(name, 100)
		if err != nil {
			return nil, err
		}
		if set {
			ipFilters[name] = nonNil(l)
		}
	}
	switch st := c.str("Status"); st {
	case "", "Pending", "Running", "Starting", "Stopping", "Stopped":
	default:
		return nil, Errf(404, "InvalidStatus.NotFound", "The specified Status is not found.")
	}
	tags, err := c.tagFilter()
	if err != nil {
		return nil, err
	}
	var all []*Instance
	for _, in := range c.e.instanceList() {
		if idsSet && !contains(ids, in.InstanceID) || c.e.hiddenByRAM(in.InstanceID, idsSet) {
			continue
		}
		if l, ok := ipFilters["PrivateIpAddresses"]; ok && !contains(l, in.PrivateIP) {
			continue
		}
		if l, ok := ipFilters["PublicIpAddresses"]; ok && (in.PublicIP == "" || !contains(l, in.PublicIP)) {
			continue
		}
		if l, ok := ipFilters["EipAddresses"]; ok && (in.EipAddress == "" || !contains(l, in.EipAddress)) {
			continue
		}
		if (c.str("VpcId") != "" && in.VpcID != c.str("VpcId")) || (c.str("VSwitchId") != "" && in.VSwitchID != c.str("VSwitchId")) ||
			(c.str("ZoneId") != "" && in.ZoneID != c.str("ZoneId")) || (c.str("Status") != "" && in.Status != c.str("Status")) ||
			!tagsMatch(in.Tags, tags) {
			continue
		}
		if n := c.str("InstanceName"); n != "" {
			if ok, _ := path.Match(n, in.InstanceName); !ok {
				continue
			}
		}
		all = append(all, in)
	}
	res := &ecs.DescribeInstancesResponse{TotalCount: len(all)}
	var from, to int
	if c.has("MaxResults") || c.has("NextToken") {
		// With NextToken, PageNumber/PageSize are ignored.
		keys := make([]string, len(all))
		for i, in := range all {
			keys[i] = in.InstanceID
		}
		if from, to, res.NextToken, err = c.tokenPage(keys, 100); err != nil {
			return nil, err
		}
	} else {
		num, size, err := c.page(100)
		if err != nil {
			return nil, err
		}
		res.PageNumber, res.PageSize = num, size
		from, to = window(len(all), num, size)
	}
	res.Instances.Instance = []ecs.Instance{}
	for _, in := range all[from:to] {
		res.Instances.Instance = append(res.Instances.Instance, c.e.instanceView(in, c))
	}
	return res, nil
}

// instanceView renders an instance as the SDK's ecs.Instance.
func (e *Emulator) instanceView(in *Instance, c *call) ecs.Instance {
	v := ecs.Instance{InstanceId: in.InstanceID, InstanceName: in.InstanceName, HostName: in.HostName, Hostname: in.HostName,
		Status: in.Status, InstanceType: in.InstanceType, RegionId: e.cfg.Region, ZoneId: in.ZoneID,
		InstanceNetworkType: "vpc", CreationTime: isoTime(c.Now), InstanceChargeType: "PostPaid",
		InternetChargeType: "PayByTraffic", OSName: "Alibaba Cloud Linux 3", OSType: "linux", OsType: "linux",
		Cpu: 2, Memory: 8192, IoOptimized: true, SerialNumber: "emu-" + in.InstanceID, ImageId: "aliyun_3_x64_20G_alibase"}
	v.VpcAttributes.VpcId, v.VpcAttributes.VSwitchId = in.VpcID, in.VSwitchID
	v.VpcAttributes.PrivateIpAddress.IpAddress = nonNil(nonEmpty(in.PrivateIP))
	v.InnerIpAddress.IpAddress = []string{}
	v.PublicIpAddress.IpAddress = nonNil(nonEmpty(in.PublicIP))
	v.SecurityGroupIds.SecurityGroupId = nonNil(in.SecurityGrps)
	if in.EipAddress != "" {
		v.EipAddress.IpAddress = in.EipAddress
		if x := e.eipByAddress(in.EipAddress); x != nil {
			v.EipAddress.AllocationId = x.AllocationID
		}
	}
	v.Tags.Tag = []ecs.Tag{}
	for _, t := range in.Tags {
		v.Tags.Tag = append(v.Tags.Tag, ecs.Tag{TagKey: t.Key, TagValue: t.Value})
	}
	v.MetadataOptions.HttpEndpoint, v.MetadataOptions.HttpTokens = "enabled", "optional"
	if e.meta.cfg.TokenRequired {
		v.MetadataOptions.HttpTokens = "required"
	}
	v.NetworkInterfaces.NetworkInterface = []ecs.NetworkInterface{}
	for _, n := range e.eniList() {
		if n.InstanceID != in.InstanceID {
			continue
		}
		ni := ecs.NetworkInterface{NetworkInterfaceId: n.NetworkInterfaceID, Type: n.Type, MacAddress: n.MAC,
			PrimaryIpAddress: n.PrimaryIP, VSwitchId: n.VSwitchID}
		for i, ip := range append([]string{n.PrimaryIP}, n.SecondaryIPs...) {
			ni.PrivateIpSets.PrivateIpSet = append(ni.PrivateIpSets.PrivateIpSet, ecs.PrivateIpSet{PrivateIpAddress: ip, Primary: i == 0})
		}
		v.NetworkInterfaces.NetworkInterface = append(v.NetworkInterfaces.NetworkInterface, ni)
	}
	return v
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
