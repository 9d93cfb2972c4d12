package emulator

// DescribeLoadBalancers: filters and PageNumber/PageSize paging.
// Doc: https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-describeloadbalancers

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// defaultLBPageSize applies when PageNumber or PageSize is sent without the
// other; the DescribeLoadBalancers page does not state the default, 10 is
// the usual OpenAPI default. A call with neither gets every match.
const defaultLBPageSize = 10

// lbFilter is a parsed DescribeLoadBalancers query.
type lbFilter struct {
	ids, names           []string
	exact                map[string]string // attribute name -> wanted value
	serverID             string
	serverIPs            []string
	tags                 []Tag
	fuzzy                bool
	pageNumber, pageSize int
	paged                bool
}

// parseLBFilter reads the documented filters.
func parseLBFilter(c *call) (*lbFilter, error) {
	lim := c.e.cfg.Limits.LBIDsPerDescribe
	f := &lbFilter{ids: splitList(c.str("LoadBalancerId")), names: splitList(c.str("LoadBalancerName")), exact: map[string]string{}}
	if len(f.ids) > lim || len(f.names) > lim {
		// "LoadBalancerId (≤10, comma-separated)"; no code is documented for
		// more: we answer the generic InvalidParameter.
		return nil, Errf(http.StatusBadRequest, "InvalidParameter", "At most %d LoadBalancerId or LoadBalancerName values are allowed.", lim)
	}
	for _, k := range []string{"Address", "AddressType", "AddressIPVersion", "NetworkType", "VpcId", "VSwitchId",
		"MasterZoneId", "SlaveZoneId", "LoadBalancerStatus", "InternetChargeType", "PayType", "ResourceGroupId",
		"InstanceChargeType", "BusinessStatus"} {
		if v := c.str(k); v != "" {
			f.exact[k] = v
		}
	}
	f.serverID = c.str("ServerId")
	f.serverIPs = splitList(c.str("ServerIntranetAddress"))
	f.fuzzy = c.str("Fuzzy") == "on" || c.str("Fuzzy") == "true"
	f.tags = c.tags()
	if len(f.tags) > 20 {
		return nil, Errf(http.StatusBadRequest, "InvalidTag", "The specified tags is invalid.")
	}
	if raw := c.str("Tags"); raw != "" {
		t, err := parseTagsJSON(raw)
		if err != nil {
			return nil, err
		}
		f.tags = append(f.tags, t...)
	}
	f.paged = c.has("PageNumber") || c.has("PageSize")
	var err error
	if f.pageNumber, err = c.integer("PageNumber", 1); err != nil || f.pageNumber < 1 {
		return nil, errInvalid("PageNumber", c.str("PageNumber"))
	}
	if f.pageSize, err = c.integer("PageSize", defaultLBPageSize); err != nil || f.pageSize < 1 || f.pageSize > 100 {
		return nil, errInvalid("PageSize", c.str("PageSize"))
	}
	return f, nil
}

// parseTagsJSON reads the legacy Tags filter: a JSON list of
// {"TagKey","TagValue"} objects (what the official CCM sends) or a JSON
// object {"key":"value"}; at most 10 tags (InvalidTag otherwise).
func parseTagsJSON(raw string) ([]Tag, error) {
	bad := Errf(http.StatusBadRequest, "InvalidTag", "The specified tags is invalid.")
	var out []Tag
	var list []map[string]string
	if err := json.Unmarshal([]byte(raw), &list); err == nil {
		for _, m := range list {
			k, v := m["TagKey"], m["TagValue"]
			if k == "" {
				k, v = m["Key"], m["Value"]
			}
			if k == "" {
				return nil, bad
			}
			out = append(out, Tag{Key: k, Value: v})
		}
	} else {
		var obj map[string]string
		if err := json.Unmarshal([]byte(raw), &obj); err != nil {
			return nil, bad
		}
		for _, k := range sortedKeys(obj) {
			out = append(out, Tag{Key: k, Value: obj[k]})
		}
	}
	if len(out) > 10 {
		return nil, bad
	}
	return out, nil
}

// attr returns a CLB attribute by its DescribeLoadBalancers field name.
func (lb *clb) attr(name string) string {
	switch name {
	case "Address":
		return lb.Address
	case "AddressType":
		return lb.AddressType
	case "AddressIPVersion":
		return lb.AddressIPVersion
	case "NetworkType":
		return lb.NetworkType
	case "VpcId":
		return lb.VpcID
	case "VSwitchId":
		return lb.VSwitchID
	case "MasterZoneId":
		return lb.MasterZone
	case "SlaveZoneId":
		return lb.SlaveZone
	case "LoadBalancerStatus":
		return lb.Status
	case "InternetChargeType":
		return lb.InternetChargeType
	case "PayType":
		return lb.PayType
	case "ResourceGroupId":
		return lb.ResourceGroup
	case "InstanceChargeType":
		return lb.InstanceChargeType
	case "BusinessStatus":
		return "Normal"
	}
	return ""
}

// match applies the filter to one CLB.
func (f *lbFilter) match(s *slbState, lb *clb) bool {
	if len(f.names) > 0 && !f.matchName(lb.Name) {
		return false
	}
	for k, v := range f.exact {
		got := lb.attr(k)
		if k == "InternetChargeType" {
			got, v = strings.ToLower(got), strings.ToLower(v)
		}
		if got != v {
			return false
		}
	}
	if f.serverID != "" && !s.lbHasBackend(lb, func(b *backend) bool { return b.ServerID == f.serverID }) {
		return false
	}
	if len(f.serverIPs) > 0 && !s.lbHasBackend(lb, func(b *backend) bool {
		for _, ip := range f.serverIPs {
			if b.ServerIP == ip {
				return true
			}
		}
		return false
	}) {
		return false
	}
	return matchTags(lb.Tags, f.tags)
}

func (f *lbFilter) matchName(n string) bool {
	for _, want := range f.names {
		if n == want || (f.fuzzy && strings.Contains(n, want)) {
			return true
		}
	}
	return false
}

// lbHasBackend reports whether any vServer group of the CLB has a member
// satisfying pred.
func (s *slbState) lbHasBackend(lb *clb, pred func(*backend) bool) bool {
	for _, g := range lb.groups {
		for _, b := range g.Backends {
			if pred(b) {
				return true
			}
		}
	}
	return false
}

// slbDescribeLoadBalancers lists CLBs in creation order.
func slbDescribeLoadBalancers(c *call) (any, error) {
	s := c.e.slb
	if err := checkRegion(c); err != nil {
		return nil, err
	}
	f, err := parseLBFilter(c)
	if err != nil {
		return nil, err
	}
	var cands []*clb
	if len(f.ids) > 0 {
		// Fast path: look the IDs up, then restore creation order.
		for _, lb := range s.order {
			for _, id := range f.ids {
				if lb.ID == id {
					cands = append(cands, lb)
					break
				}
			}
		}
	} else {
		cands = s.order
	}
	matched := make([]*clb, 0, len(cands))
	for _, lb := range cands {
		if f.match(s, lb) {
			matched = append(matched, lb)
		}
	}
	resp := &slb.DescribeLoadBalancersResponse{TotalCount: len(matched), PageNumber: 1, PageSize: len(matched)}
	page := matched
	if f.paged {
		resp.PageNumber, resp.PageSize = f.pageNumber, f.pageSize
		start := min((f.pageNumber-1)*f.pageSize, len(matched))
		page = matched[start:min(start+f.pageSize, len(matched))]
	}
	resp.LoadBalancers.LoadBalancer = make([]slb.LoadBalancer, 0, len(page))
	for _, lb := range page {
		s.applyPending(lb, c.Now)
		resp.LoadBalancers.LoadBalancer = append(resp.LoadBalancers.LoadBalancer, lbView(lb))
	}
	return resp, nil
}
