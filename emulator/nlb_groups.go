package emulator

// NLB server group actions: CreateServerGroup, DeleteServerGroup,
// UpdateServerGroupAttribute, ListServerGroups. Each page is
// https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-<action in lower case>.

import (
	"net/http"
	"sort"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// group finds a live server group or answers ResourceNotFound.serverGroup 404.
func (s *nlbState) group(c *call) (*nlbGroup, error) {
	id, err := nlbRequired(c, "ServerGroupId")
	if err != nil {
		return nil, err
	}
	g, ok := s.groups[id]
	if !ok || !g.deleteAt.IsZero() {
		return nil, nlbNotFound("serverGroup")
	}
	return g, nil
}

// writableGroup finds a server group with no job running
// (IncorrectStatus.serverGroup 400, AddServersToServerGroup error table).
func (s *nlbState) writableGroup(c *call) (*nlbGroup, error) {
	g, err := s.group(c)
	if err != nil {
		return nil, err
	}
	if s.busy(g.ID, c.Now) != nil {
		return nil, nlbIncorrectStatus("serverGroup", g.ID)
	}
	return g, nil
}

// sortedGroups returns the live server groups in creation order.
func (s *nlbState) sortedGroups() []*nlbGroup {
	out := make([]*nlbGroup, 0, len(s.groups))
	for _, g := range s.groups {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// applyGroupParams reads the settings CreateServerGroup and
// UpdateServerGroupAttribute share, with the documented ranges.
func (s *nlbState) applyGroupParams(c *call, g *nlbGroup) error {
	var err error
	if c.has("ServerGroupName") {
		if g.Name = c.str("ServerGroupName"); !validNLBName(g.Name) {
			return nlbIllegal("ServerGroupName")
		}
	}
	if v := c.str("Scheduler"); v != "" {
		// Wrr (default), Wlc, rr, sch, tch, qch (QUIC ID hash, UDP groups
		// only); the documented spellings mix cases, so any case is taken
		// and the answers show the capitalised form.
		canon := map[string]string{"wrr": "Wrr", "wlc": "Wlc", "rr": "Rr", "sch": "Sch", "tch": "Tch", "qch": "Qch"}[strings.ToLower(v)]
		if canon == "" || canon == "Qch" && g.Protocol != "UDP" {
			return nlbIllegal("Scheduler")
		}
		g.Scheduler = canon
	}
	if g.DrainEnabled, err = nlbBool(c, "ConnectionDrainEnabled", g.DrainEnabled); err != nil {
		return err
	}
	if g.DrainTimeout, err = nlbInt(c, "ConnectionDrainTimeout", g.DrainTimeout, 0, 900); err != nil {
		return err
	}
	if g.PreserveClientIP, err = nlbBool(c, "PreserveClientIpEnabled", g.PreserveClientIP); err != nil {
		return err
	}
	if g.PersistenceEnabled, err = nlbBool(c, "PersistenceEnabled", g.PersistenceEnabled); err != nil {
		return err
	}
	if g.PersistenceTimeout, err = nlbInt(c, "PersistenceTimeout", g.PersistenceTimeout, 0, 3600); err != nil {
		return err
	}
	return s.applyHealthCheck(c, &g.HC)
}

// applyHealthCheck reads HealthCheckConfig.* (the SDK flattens the Struct
// as HealthCheckConfig.HealthCheckType, ...): type TCP/HTTP/UDP, connect
// port 0-65535 (0 = the server's port), thresholds 2-10, connect timeout
// 1-300 s, interval 1-50 s (1-300 for UDP), HTTP codes http_2xx..http_5xx,
// method GET/HEAD (CreateServerGroup HealthCheckConfig).
func (s *nlbState) applyHealthCheck(c *call, hc *nlb.HealthCheck) error {
	const p = "HealthCheckConfig."
	var err error
	if hc.HealthCheckEnabled, err = nlbBool(c, p+"HealthCheckEnabled", hc.HealthCheckEnabled); err != nil {
		return err
	}
	if v := c.str(p + "HealthCheckType"); v != "" {
		if v != "TCP" && v != "HTTP" && v != "UDP" {
			return nlbIllegal("HealthCheckType")
		}
		hc.HealthCheckType = v
	}
	ints := []struct {
		name   string
		dst    *int
		lo, hi int
	}{
		{"HealthCheckConnectPort", &hc.HealthCheckConnectPort, 0, 65535},
		{"HealthyThreshold", &hc.HealthyThreshold, 2, 10},
		{"UnhealthyThreshold", &hc.UnhealthyThreshold, 2, 10},
		{"HealthCheckConnectTimeout", &hc.HealthCheckConnectTimeout, 1, 300},
		{"HealthCheckInterval", &hc.HealthCheckInterval, 1, 300}, // 1-50 unless UDP, checked below
	}
	for _, f := range ints {
		if *f.dst, err = nlbInt(c, p+f.name, *f.dst, f.lo, f.hi); err != nil {
			return nlbIllegal(f.name)
		}
	}
	if hc.HealthCheckType != "UDP" && hc.HealthCheckInterval > 50 {
		return nlbIllegal("HealthCheckInterval")
	}
	if c.has(p + "HealthCheckDomain") {
		// $SERVER_IP, or a domain of 1-80 letters, digits, hyphens and periods.
		v := c.str(p + "HealthCheckDomain")
		if v != "$SERVER_IP" && (v == "" || len(v) > 80 || strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != "") {
			return Errf(http.StatusBadRequest, "IllegalParam.healthCheckDomain", "The parameter of healthCheckConfig.healthCheckDomain is illegal.")
		}
		hc.HealthCheckDomain = v
	}
	if v := c.str(p + "HealthCheckUrl"); v != "" {
		// 1-80 characters of letters, digits and -/.%?#&, starting with "/".
		// The documented code is spelled IlleagalParam.healthCheckUrl.
		if !strings.HasPrefix(v, "/") || len(v) > 80 || strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/.%?#&") != "" {
			return Errf(http.StatusBadRequest, "IlleagalParam.healthCheckUrl", "The parameter of healthCheckUrl in healthCheckConfig is illegal.")
		}
		hc.HealthCheckUrl = v
	}
	if codes := c.list(p + "HealthCheckHttpCode"); len(codes) > 0 {
		for _, code := range codes {
			if !contains([]string{"http_2xx", "http_3xx", "http_4xx", "http_5xx"}, code) {
				return nlbIllegal("HealthCheckHttpCode")
			}
		}
		hc.HealthCheckHttpCode = codes
	}
	if v := c.str(p + "HttpCheckMethod"); v != "" {
		if v != "GET" && v != "HEAD" {
			return nlbIllegal("HttpCheckMethod")
		}
		hc.HttpCheckMethod = v
	}
	return nil
}

// checkAnyPortHealthCheck: an all-port group's members have port 0, so its
// health check needs a port of its own
// (IllegalParam.AnyPortServerGroupConflictWithHealthCheckConfig).
func checkAnyPortHealthCheck(g *nlbGroup) error {
	if g.AnyPort && g.HC.HealthCheckEnabled && g.HC.HealthCheckConnectPort == 0 {
		return nlbIllegal("AnyPortServerGroupConflictWithHealthCheckConfig")
	}
	return nil
}

// nlbCreateServerGroup: Instance (ECS, ENI, ECI members) or Ip type, TCP,
// UDP or TCP_UDP, in one VPC, preserving client IPs unless told not to;
// Creating until its job ends, then Available
// (api-nlb-2022-04-30-createservergroup).
func nlbCreateServerGroup(c *call) (any, error) {
	s := c.e.nlb
	g := &nlbGroup{Type: orDefault(c.str("ServerGroupType"), "Instance"), Protocol: orDefault(c.str("Protocol"), "TCP"),
		Scheduler: "Wrr", ResourceGroup: orDefault(c.str("ResourceGroupId"), "rg-default"), DrainTimeout: 10,
		PreserveClientIP: true, // documented default
		HC: nlb.HealthCheck{HealthCheckEnabled: true, HealthCheckType: "TCP", HealthyThreshold: 2, UnhealthyThreshold: 2,
			HealthCheckConnectTimeout: 5, HealthCheckInterval: 5, HealthCheckDomain: "$SERVER_IP",
			HealthCheckHttpCode: []string{"http_2xx"}, HttpCheckMethod: "GET"}}
	if _, err := nlbRequired(c, "ServerGroupName"); err != nil {
		return nil, err
	}
	if g.Type != "Instance" && g.Type != "Ip" {
		return nil, nlbIllegal("ServerGroupType")
	}
	if g.Protocol != "TCP" && g.Protocol != "UDP" && g.Protocol != "TCP_UDP" {
		return nil, nlbIllegal("Protocol")
	}
	switch v := c.str("AddressIPVersion"); strings.ToLower(v) {
	case "", "ipv4":
		g.IPVersion = "ipv4"
	case "dualstack":
		g.IPVersion = "DualStack"
	default:
		return nil, nlbIllegal("AddressIPVersion")
	}
	var err error
	if g.VpcID, err = nlbRequired(c, "VpcId"); err != nil {
		return nil, err
	}
	if _, ok := c.e.vpcByID(g.VpcID); !ok {
		return nil, nlbNotFound("Vpc")
	}
	if g.AnyPort, err = nlbBool(c, "AnyPortEnabled", false); err != nil {
		return nil, err
	}
	if err := s.applyGroupParams(c, g); err != nil {
		return nil, err
	}
	if err := checkAnyPortHealthCheck(g); err != nil {
		return nil, err
	}
	g.Tags = c.tags()
	if err := validateTags(g.Tags, c.e.cfg.Limits.TagsPerResource); err != nil {
		return nil, err
	}
	if n, limit := len(s.groups), c.e.cfg.Limits.NLBGroupsPerAccount; n >= limit {
		return nil, nlbQuota("nlb_quota_servergroups_num", n, limit)
	}
	if err := nlbDryRun(c); err != nil {
		return nil, err
	}
	g.ID, g.seq = c.e.nextID("sgp-"), s.nextSeq()
	s.groups[g.ID] = g
	j := s.newJob(c, "create", g.ID)
	return &nlb.CreateServerGroupResponse{ServerGroupId: g.ID, JobId: j.ID}, nil
}

// nlbDeleteServerGroup: a group a listener uses is ResourceInUse.ServerGroup
// 400 (api-nlb-2022-04-30-deleteservergroup).
func nlbDeleteServerGroup(c *call) (any, error) {
	s := c.e.nlb
	g, err := s.writableGroup(c)
	if err != nil {
		return nil, err
	}
	if len(s.groupListeners(g.ID, "")) > 0 {
		return nil, Errf(http.StatusBadRequest, "ResourceInUse.ServerGroup", "The specified resource of ServerGroup is in use.")
	}
	if err := nlbDryRun(c); err != nil {
		return nil, err
	}
	j := s.newJob(c, "delete", g.ID)
	g.deleteAt = j.End
	s.sweep(c.Now)
	return &nlb.DeleteServerGroupResponse{ServerGroupId: g.ID, JobId: j.ID}, nil
}

// nlbUpdateServerGroupAttribute changes name, scheduler, drain, client IP
// preservation, persistence and health check; a group serving a TCPSSL
// listener may not preserve client IPs
// (api-nlb-2022-04-30-updateservergroupattribute).
func nlbUpdateServerGroupAttribute(c *call) (any, error) {
	s := c.e.nlb
	g, err := s.writableGroup(c)
	if err != nil {
		return nil, err
	}
	next := *g
	next.HC.HealthCheckHttpCode = append([]string(nil), g.HC.HealthCheckHttpCode...)
	if err := s.applyGroupParams(c, &next); err != nil {
		return nil, err
	}
	if err := checkAnyPortHealthCheck(&next); err != nil {
		return nil, err
	}
	if next.PreserveClientIP {
		for _, l := range s.groupListeners(g.ID, "") {
			if l.Protocol == "TCPSSL" {
				return nil, Errf(http.StatusBadRequest, "IllegalParam.PreserveClientIpSwitch", "The server group associated with the tcpssl listener does not support enabling PreserveClientIp.")
			}
		}
	}
	if err := nlbDryRun(c); err != nil {
		return nil, err
	}
	*g = next
	j := s.newJob(c, "update", g.ID)
	return &nlb.UpdateServerGroupAttributeResponse{ServerGroupId: g.ID, JobId: j.ID}, nil
}

// groupInfo renders a server group as ListServerGroups shows it.
func (s *nlbState) groupInfo(c *call, g *nlbGroup) nlb.ServerGroup {
	related := []string{}
	for _, l := range s.groupListeners(g.ID, "") {
		if !contains(related, l.LBID) {
			related = append(related, l.LBID)
		}
	}
	hc := g.HC
	hc.HealthCheckHttpCode = append([]string{}, g.HC.HealthCheckHttpCode...)
	return nlb.ServerGroup{RegionId: c.e.cfg.Region, ServerGroupId: g.ID, ServerGroupName: g.Name,
		ServerGroupType: g.Type, AddressIPVersion: g.IPVersion, VpcId: g.VpcID, Scheduler: g.Scheduler,
		Protocol: g.Protocol, PersistenceEnabled: g.PersistenceEnabled, PersistenceTimeout: g.PersistenceTimeout,
		ConnectionDrainEnabled: g.DrainEnabled, ConnectionDrainTimeout: g.DrainTimeout,
		PreserveClientIpEnabled: g.PreserveClientIP, AnyPortEnabled: g.AnyPort, ResourceGroupId: g.ResourceGroup,
		ServerGroupStatus: s.groupStatus(g, c.Now), ServerCount: len(g.Servers), RelatedLoadBalancerIds: related,
		HealthCheck: hc, Tags: nlbTagsView(g.Tags)}
}

// nlbListServerGroups filters by IDs, names, type, VPC, resource group and
// tags; pages with MaxResults/NextToken (api-nlb-2022-04-30-listservergroups).
func nlbListServerGroups(c *call) (any, error) {
	s := c.e.nlb
	tags, err := nlbTagFilter(c)
	if err != nil {
		return nil, err
	}
	ids, names := c.list("ServerGroupIds"), c.list("ServerGroupNames")
	var out []string
	for _, g := range s.sortedGroups() {
		if len(ids) > 0 && !contains(ids, g.ID) || len(names) > 0 && !contains(names, g.Name) ||
			c.str("ServerGroupType") != "" && c.str("ServerGroupType") != g.Type ||
			c.str("VpcId") != "" && c.str("VpcId") != g.VpcID ||
			c.str("ResourceGroupId") != "" && c.str("ResourceGroupId") != g.ResourceGroup || !matchTags(g.Tags, tags) {
			continue
		}
		out = append(out, g.ID)
	}
	from, to, limit, next, err := nlbPage(c, out)
	if err != nil {
		return nil, err
	}
	resp := &nlb.ListServerGroupsResponse{TotalCount: len(out), NextToken: next, MaxResults: limit, ServerGroups: []nlb.ServerGroup{}}
	for _, id := range out[from:to] {
		resp.ServerGroups = append(resp.ServerGroups, s.groupInfo(c, s.groups[id]))
	}
	return resp, nil
}
