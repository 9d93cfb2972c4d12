package emulator

// NLB server group members: AddServersToServerGroup,
// RemoveServersFromServerGroup, UpdateServerGroupServersAttribute,
// ListServerGroupServers. Each page is
// https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-<action in lower case>.

import (
	"net/http"
	"net/netip"
	"strconv"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// nlbServerParams reads Servers.N.{ServerId,ServerType,ServerIp,Port,Weight,Description}:
// at least one, at most NLBServersPerCall ("You can specify up to 40 backend
// servers in each call",
// https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-addserverstoservergroup),
// no duplicates (DuplicatedParam.Server).
func nlbServerParams(c *call, withWeight bool) ([]*nlbServer, error) {
	var out []*nlbServer
	seen := map[string]bool{}
	for i := 1; ; i++ {
		p := "Servers." + strconv.Itoa(i) + "."
		if !c.has(p+"ServerId") && !c.has(p+"ServerType") {
			break
		}
		sv := &nlbServer{ID: c.str(p + "ServerId"), Type: c.str(p + "ServerType"), IP: c.str(p + "ServerIp"), Weight: 100}
		if sv.ID == "" {
			return nil, nlbMissing("ServerId")
		}
		if sv.Type == "" {
			return nil, nlbMissing("ServerType")
		}
		var err error
		if sv.Port, err = nlbInt(c, p+"Port", 0, 0, 65535); err != nil {
			return nil, nlbIllegal("Port")
		}
		if withWeight {
			if sv.Weight, err = nlbInt(c, p+"Weight", 100, 0, 100); err != nil {
				return nil, nlbIllegal("Weight")
			}
			if c.has(p + "Description") {
				if sv.Description = c.str(p + "Description"); !validNLBDescription(sv.Description) {
					return nil, Errf(http.StatusBadRequest, "IllegalParam.description", "The parameter description of server is illegal.")
				}
			}
		}
		if sv.Type == "Ip" && sv.IP == "" {
			sv.IP = sv.ID
		}
		if seen[sv.key()] {
			return nil, Errf(http.StatusBadRequest, "DuplicatedParam.Server", "The param of Server is duplicated.")
		}
		seen[sv.key()] = true
		out = append(out, sv)
	}
	if len(out) == 0 {
		return nil, nlbMissing("Servers")
	}
	if len(out) > c.e.cfg.Limits.NLBServersPerCall {
		return nil, nlbIllegal("Servers")
	}
	return out, nil
}

// checkServer validates a new member against the world: the server type
// fits the group type (Mismatch.ServerType), the ECS instance, ENI or ECI
// address exists (ResourceNotFound.Ecs/Eni/Eci 404) in the group's VPC
// (Mismatch.VpcId), an Ip member is an address (IllegalParam.IP), and the
// port fits the group's all-port switch (IllegalParam.RSPortConflictWithServerGroup).
func (e *Emulator) checkNLBServer(g *nlbGroup, sv *nlbServer) error {
	mismatch := func() error {
		return Errf(http.StatusBadRequest, "Mismatch.ServerType", "The ServerType is mismatched for %s and %s.", sv.Type, g.Type)
	}
	vpcOf := func(vswID string) (string, string) {
		if v, ok := e.vswitchByID(vswID); ok {
			return v.VpcID, v.ZoneID
		}
		return "", ""
	}
	var vpcID string
	switch sv.Type {
	case "Ecs":
		if g.Type != "Instance" {
			return mismatch()
		}
		in, ok := e.instanceByID(sv.ID)
		if !ok {
			return nlbNotFound("Ecs")
		}
		vpcID, sv.ZoneID = vpcOf(in.VSwitchID)
		if sv.IP == "" {
			sv.IP = in.PrivateIP
		}
	case "Eni":
		if g.Type != "Instance" {
			return mismatch()
		}
		n, ok := e.eniByID(sv.ID)
		if !ok {
			return Errf(http.StatusNotFound, "ResourceNotFound.Eni", "The specified resource Eni is not found.")
		}
		if sv.IP == "" {
			return Errf(http.StatusBadRequest, "MissingParam.IP", "The param of IP is missing.")
		}
		if sv.IP != n.PrimaryIP && !contains(n.SecondaryIPs, sv.IP) {
			return Errf(http.StatusBadRequest, "IllegalParam.IP", "The param of IP is illegal.")
		}
		vpcID, sv.ZoneID = vpcOf(n.VSwitchID)
	case "Eci":
		if g.Type != "Instance" {
			return mismatch()
		}
		if sv.IP == "" {
			return Errf(http.StatusBadRequest, "MissingParam.IP", "The param of IP is missing.")
		}
		n, ok := e.eniByIP(g.VpcID, sv.IP)
		if !ok {
			return nlbNotFound("Eci")
		}
		vpcID, sv.ZoneID = vpcOf(n.VSwitchID)
	case "Ip":
		if g.Type != "Ip" {
			return mismatch()
		}
		if _, err := netip.ParseAddr(sv.ID); err != nil || sv.IP != sv.ID {
			return Errf(http.StatusBadRequest, "IllegalParam.IP", "The param of IP is illegal.")
		}
		vpcID = g.VpcID
	default:
		return nlbIllegal("ServerType")
	}
	if vpcID != g.VpcID {
		return Errf(http.StatusBadRequest, "Mismatch.VpcId", "The VpcId is mismatched for %s and %s.", g.VpcID, vpcID)
	}
	if g.AnyPort != (sv.Port == 0) {
		return nlbIllegal("RSPortConflictWithServerGroup")
	}
	return nil
}

// findServer returns the index of the member matching a request item:
// ServerId and Port, and ServerIp when given.
func findServer(g *nlbGroup, sv *nlbServer) int {
	for i, m := range g.Servers {
		if m.ID == sv.ID && m.Port == sv.Port && (sv.IP == "" || sv.IP == m.IP) {
			return i
		}
	}
	return -1
}

// checkServerQuotas enforces the per-group, per-server and per-NLB member
// quotas after adding n members (QuotaExceeded.QuotaInsufficient).
func (s *nlbState) checkServerQuotas(c *call, g *nlbGroup, add []*nlbServer) error {
	lim := c.e.cfg.Limits
	if n := len(g.Servers) + len(add); n > lim.NLBServersPerGroup {
		return nlbQuota("nlb_quota_servergroup_noeci_servers_num", len(g.Servers), lim.NLBServersPerGroup)
	}
	for _, sv := range add {
		n := 0
		for _, o := range s.groups {
			for _, m := range o.Servers {
				if m.ID == sv.ID {
					n++
				}
			}
		}
		if n >= lim.NLBGroupsPerServer {
			return nlbQuota("nlb_quota_server_added_num", n, lim.NLBGroupsPerServer)
		}
	}
	for _, lbID := range s.groupInfo(c, g).RelatedLoadBalancerIds {
		if err := s.checkLBServers(c, lbID, add); err != nil {
			return err
		}
	}
	return nil
}

// checkLBServers enforces the servers-per-NLB quota (distinct members of
// the groups its listeners use) with add joining them.
func (s *nlbState) checkLBServers(c *call, lbID string, add []*nlbServer) error {
	keys := map[string]bool{}
	for _, l := range s.lbListeners(lbID) {
		if o := s.groups[l.GroupID]; o != nil {
			for _, m := range o.Servers {
				keys[m.ID+"|"+m.IP] = true
			}
		}
	}
	before := len(keys)
	for _, sv := range add {
		keys[sv.ID+"|"+sv.IP] = true
	}
	if limit := c.e.cfg.Limits.NLBServersPerLB; len(keys) > limit {
		return nlbQuota("nlb_quota_loadbalancer_noeci_servers_num", before, limit)
	}
	return nil
}

// nlbAddServersToServerGroup (api-nlb-2022-04-30-addserverstoservergroup).
func nlbAddServersToServerGroup(c *call) (any, error) {
	s := c.e.nlb
	g, err := s.writableGroup(c)
	if err != nil {
		return nil, err
	}
	add, err := nlbServerParams(c, true)
	if err != nil {
		return nil, err
	}
	for _, sv := range add {
		if err := c.e.checkNLBServer(g, sv); err != nil {
			return nil, err
		}
		if findServer(g, sv) >= 0 {
			return nil, Errf(http.StatusBadRequest, "DuplicatedParam.Server", "The param of Server is duplicated.")
		}
	}
	if err := s.checkServerQuotas(c, g, add); err != nil {
		return nil, err
	}
	if err := nlbDryRun(c); err != nil {
		return nil, err
	}
	g.Servers = append(g.Servers, add...)
	j := s.newJob(c, "update", g.ID)
	return &nlb.AddServersToServerGroupResponse{ServerGroupId: g.ID, JobId: j.ID}, nil
}

// nlbRemoveServersFromServerGroup: a member not in the group is
// ResourceNotFound.BackendServer 404
// (api-nlb-2022-04-30-removeserversfromservergroup).
func nlbRemoveServersFromServerGroup(c *call) (any, error) {
	s := c.e.nlb
	g, err := s.writableGroup(c)
	if err != nil {
		return nil, err
	}
	del, err := nlbServerParams(c, false)
	if err != nil {
		return nil, err
	}
	drop := map[int]bool{}
	for _, sv := range del {
		i := findServer(g, sv)
		if i < 0 {
			return nil, nlbNotFound("BackendServer")
		}
		drop[i] = true
	}
	if err := nlbDryRun(c); err != nil {
		return nil, err
	}
	var keep []*nlbServer
	for i, m := range g.Servers {
		if !drop[i] {
			keep = append(keep, m)
		}
	}
	g.Servers = keep
	j := s.newJob(c, "update", g.ID)
	return &nlb.RemoveServersFromServerGroupResponse{ServerGroupId: g.ID, JobId: j.ID}, nil
}

// nlbUpdateServerGroupServersAttribute changes members' weight and
// description (api-nlb-2022-04-30-updateservergroupserversattribute).
func nlbUpdateServerGroupServersAttribute(c *call) (any, error) {
	s := c.e.nlb
	g, err := s.writableGroup(c)
	if err != nil {
		return nil, err
	}
	upd, err := nlbServerParams(c, true)
	if err != nil {
		return nil, err
	}
	idx := make([]int, len(upd))
	for k, sv := range upd {
		if idx[k] = findServer(g, sv); idx[k] < 0 {
			return nil, nlbNotFound("BackendServer")
		}
	}
	if err := nlbDryRun(c); err != nil {
		return nil, err
	}
	for k, sv := range upd {
		m := g.Servers[idx[k]]
		p := "Servers." + strconv.Itoa(k+1) + "."
		if c.has(p + "Weight") {
			m.Weight = sv.Weight
		}
		if c.has(p + "Description") {
			m.Description = sv.Description
		}
	}
	j := s.newJob(c, "update", g.ID)
	return &nlb.UpdateServerGroupServersAttributeResponse{ServerGroupId: g.ID, JobId: j.ID}, nil
}

// serverViews renders a group's members as ListServerGroupServers does.
func (s *nlbState) serverViews(g *nlbGroup) []nlb.Server {
	out := make([]nlb.Server, 0, len(g.Servers))
	for _, m := range g.Servers {
		out = append(out, nlb.Server{ServerId: m.ID, ServerType: m.Type, ServerIp: m.IP, Port: m.Port, Weight: m.Weight,
			ServerGroupId: g.ID, Description: m.Description, ZoneId: m.ZoneID, Status: "Available"})
	}
	return out
}

// nlbListServerGroupServers lists a group's members, filtered by ServerIds.N
// and ServerIps.N, paged with MaxResults/NextToken
// (api-nlb-2022-04-30-listservergroupservers).
func nlbListServerGroupServers(c *call) (any, error) {
	s := c.e.nlb
	var groups []*nlbGroup
	if c.str("ServerGroupId") != "" {
		g, err := s.group(c)
		if err != nil {
			return nil, err
		}
		groups = []*nlbGroup{g}
	} else {
		groups = s.sortedGroups()
	}
	ids, ips := c.list("ServerIds"), c.list("ServerIps")
	var all []nlb.Server
	var keys []string
	for _, g := range groups {
		for _, v := range s.serverViews(g) {
			if len(ids) > 0 && !contains(ids, v.ServerId) || len(ips) > 0 && !contains(ips, v.ServerIp) {
				continue
			}
			all = append(all, v)
			keys = append(keys, g.ID+"|"+v.ServerId+"|"+v.ServerIp+"|"+strconv.Itoa(v.Port))
		}
	}
	from, to, limit, next, err := nlbPage(c, keys)
	if err != nil {
		return nil, err
	}
	return &nlb.ListServerGroupServersResponse{TotalCount: len(all), NextToken: next, MaxResults: limit,
		Servers: append([]nlb.Server{}, all[from:to]...)}, nil
}
