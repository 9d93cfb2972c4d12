package nlb

import (
	"context"
	"fmt"
	"sort"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/nodeclass"
)

// An NLB lives in 2 to 10 zones, one vSwitch each
// (https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-createloadbalancer:
// "at least two zones").
const (
	minZones = 2
	maxZones = 10
)

// ZoneError says why a new NLB's zones could not be chosen.
type ZoneError struct{ Reason string }

// Error names the annotation that fixes it.
func (e *ZoneError) Error() string {
	return fmt.Sprintf("cannot choose the zones of a new NLB: %s; set annotation %s (zone:vSwitch,zone:vSwitch)", e.Reason, annotations.KeyZoneMaps)
}

// createZones returns the zone mappings of a new NLB. The zone-maps
// annotation wins. Without it, beyond the official CCM (which requires
// zone-maps), the zones are derived, in this order:
//
//  1. The zones of the nodes: every node the framework passes that is an
//     ECS instance (its providerID) is read once (DescribeInstances, 100 per
//     call); instances outside the cluster VPC are ignored. Each zone gets
//     the vSwitch most of its nodes use (ties: the smaller ID), and the
//     zones with the most nodes come first, at most 10.
//  2. When the nodes span fewer than 2 zones, cloud-config vswitchid
//     entries that name a zone (zone:vsw-...) for other zones complete the
//     list, in their order, up to 2 zones.
//  3. Fewer than 2 zones still: a ZoneError asking for zone-maps.
//
// The result is used at creation only: later node changes never move an
// NLB's zones (that would change its addresses); zone-maps, once written,
// does.
func (r *Reconciler) createZones(ctx context.Context, cfg *annotations.NLBConfig, nodes []*v1.Node) ([]sdknlb.CreateLoadBalancerZoneMappings, error) {
	if len(cfg.LB.ZoneMaps) > 0 {
		out := make([]sdknlb.CreateLoadBalancerZoneMappings, 0, len(cfg.LB.ZoneMaps))
		for _, z := range cfg.LB.ZoneMaps {
			m := sdknlb.CreateLoadBalancerZoneMappings{ZoneId: z.ZoneID, VSwitchId: z.VSwitchID, AllocationId: z.EIPAllocationID}
			if z.PrivateIPv4.IsValid() {
				m.PrivateIPv4Address = z.PrivateIPv4.String()
			}
			out = append(out, m)
		}
		return out, nil
	}
	zones, err := r.nodeZones(ctx, nodes)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, z := range zones {
		have[z.ZoneID] = true
	}
	for _, v := range r.opts.VSwitches {
		if len(zones) >= minZones {
			break
		}
		if v.ZoneID != "" && v.VSwitchID != "" && !have[v.ZoneID] {
			zones = append(zones, v)
			have[v.ZoneID] = true
		}
	}
	if len(zones) < minZones {
		return nil, &ZoneError{Reason: fmt.Sprintf("the nodes and cloud-config vswitchid give %d zone(s), an NLB needs at least %d", len(zones), minZones)}
	}
	out := make([]sdknlb.CreateLoadBalancerZoneMappings, 0, len(zones))
	for _, z := range zones {
		out = append(out, sdknlb.CreateLoadBalancerZoneMappings{ZoneId: z.ZoneID, VSwitchId: z.VSwitchID})
	}
	return out, nil
}

// nodeZones derives one zone mapping per zone of the nodes (step 1 of
// createZones).
func (r *Reconciler) nodeZones(ctx context.Context, nodes []*v1.Node) ([]annotations.ZoneMap, error) {
	if r.opts.ECS == nil {
		return nil, nil
	}
	var ids []string
	for _, n := range nodes {
		if id, ok := nodeclass.ECSInstance(n); ok && !nodeclass.IsVirtual(n) {
			ids = append(ids, id.InstanceID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	insts, err := r.opts.ECS.ListInstances(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("reading the nodes' instances for the NLB's zones: %w", err)
	}
	// count[zone][vSwitch] = nodes
	count := map[string]map[string]int{}
	for _, in := range insts {
		vsw, zone := in.VpcAttributes.VSwitchId, in.ZoneId
		if vsw == "" || zone == "" || (r.opts.VpcID != "" && in.VpcAttributes.VpcId != r.opts.VpcID) {
			continue
		}
		if count[zone] == nil {
			count[zone] = map[string]int{}
		}
		count[zone][vsw]++
	}
	type zoneChoice struct {
		zone, vsw    string
		nodes, total int
	}
	var choices []zoneChoice
	for zone, byVSw := range count {
		c := zoneChoice{zone: zone}
		for vsw, n := range byVSw {
			c.total += n
			if n > c.nodes || (n == c.nodes && vsw < c.vsw) {
				c.vsw, c.nodes = vsw, n
			}
		}
		choices = append(choices, c)
	}
	sort.Slice(choices, func(i, j int) bool {
		if choices[i].total != choices[j].total {
			return choices[i].total > choices[j].total
		}
		return choices[i].zone < choices[j].zone
	})
	if len(choices) > maxZones {
		choices = choices[:maxZones]
	}
	out := make([]annotations.ZoneMap, 0, len(choices))
	for _, c := range choices {
		out = append(out, annotations.ZoneMap{ZoneID: c.zone, VSwitchID: c.vsw})
	}
	return out, nil
}

// zonesDiffer reports whether the NLB's zone mappings differ from
// zone-maps: another zone set, another vSwitch in a zone, or another fixed
// private address where zone-maps names one.
func zonesDiffer(want []annotations.ZoneMap, have []sdknlb.ZoneMapping) bool {
	if len(want) != len(have) {
		return true
	}
	byZone := map[string]sdknlb.ZoneMapping{}
	for _, z := range have {
		byZone[z.ZoneId] = z
	}
	for _, w := range want {
		h, ok := byZone[w.ZoneID]
		if !ok || h.VSwitchId != w.VSwitchID {
			return true
		}
		if w.PrivateIPv4.IsValid() && !hasPrivate(h, w.PrivateIPv4.String()) {
			return true
		}
	}
	return false
}

func hasPrivate(z sdknlb.ZoneMapping, ip string) bool {
	for _, a := range z.LoadBalancerAddresses {
		if a.PrivateIPv4Address == ip {
			return true
		}
	}
	return false
}

// updateZones is the UpdateLoadBalancerZones list for zone-maps.
func updateZones(want []annotations.ZoneMap) *[]sdknlb.UpdateLoadBalancerZonesZoneMappings {
	out := make([]sdknlb.UpdateLoadBalancerZonesZoneMappings, 0, len(want))
	for _, z := range want {
		m := sdknlb.UpdateLoadBalancerZonesZoneMappings{ZoneId: z.ZoneID, VSwitchId: z.VSwitchID, AllocationId: z.EIPAllocationID}
		if z.PrivateIPv4.IsValid() {
			m.PrivateIPv4Address = z.PrivateIPv4.String()
		}
		out = append(out, m)
	}
	return &out
}
