package emulator

// vServer groups and their backends. Doc pages:
// https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-<action-lowercase>
// (createvservergroup, addvservergroupbackendservers, ...).

import (
	"net/http"
	"strconv"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// groupWritable resolves VServerGroupId and its CLB for a write, refusing it
// while the CLB is busy (VServerGroupProcessing).
func (s *slbState) groupWritable(c *call) (*vgroup, *clb, error) {
	g, err := s.group(c.str("VServerGroupId"))
	if err != nil {
		return nil, nil, err
	}
	lb := s.lbs[g.LBID]
	if err := checkBusy(c, lb, busyGroup); err != nil {
		return nil, nil, err
	}
	return g, lb, nil
}

// attach/detach keep the per-server group membership counts.
func (s *slbState) attach(g *vgroup, b *backend) {
	m := s.serverGroups[b.ServerID]
	if m == nil {
		m = map[string]int{}
		s.serverGroups[b.ServerID] = m
	}
	m[g.ID]++
}

func (s *slbState) detach(g *vgroup, b *backend) {
	m := s.serverGroups[b.ServerID]
	if m[g.ID]--; m[g.ID] <= 0 {
		delete(m, g.ID)
	}
	if len(m) == 0 {
		delete(s.serverGroups, b.ServerID)
	}
}

// dropGroup deletes a vServer group, freeing its members' attachment counts.
func (s *slbState) dropGroup(g *vgroup) {
	for _, b := range g.Backends {
		s.detach(g, b)
	}
	delete(s.groups, g.ID)
	if lb, ok := s.lbs[g.LBID]; ok {
		delete(lb.groups, g.ID)
	}
}

// lbBackendCount counts the backend entries of all a CLB's vServer groups.
func lbBackendCount(lb *clb) int {
	n := 0
	for _, g := range lb.groups {
		n += len(g.Backends)
	}
	return n
}

// upsertBackends adds members to a group (a member already present gets the
// new weight and description; the docs are silent on re-adding, we treat it
// as idempotent) after checking the quotas:
//   - backends per CLB (slb_quota_backendservers_num, 200) and
//   - vServer groups one server may join (slb_quota_backendserver_attached_num, 50).
//
// The API reference lists no error code for either quota. For backends per
// CLB we answer what the cloud answers: InstanceBackendServerNumberOverLimit
// (the code the official CCM handles) with the message ACK's Service
// troubleshooting page quotes ("The backend server number has reached to the
// quota limit of this load balancer",
// https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/support/service-troubleshooting).
// For the per-server quota no code is published anywhere; we answer
// BackendServerAttachedNumberOverLimit, after the documented
// ListenerNumberOverLimit family.
func (s *slbState) upsertBackends(c *call, lb *clb, g *vgroup, add []*backend) error {
	idx := make(map[string]*backend, len(g.Backends))
	for _, b := range g.Backends {
		idx[b.key()] = b
	}
	newCount, joins := 0, map[string]bool{}
	for _, b := range add {
		if idx[b.key()] != nil {
			continue
		}
		newCount++
		if s.serverGroups[b.ServerID][g.ID] == 0 {
			joins[b.ServerID] = true
		}
	}
	if lbBackendCount(lb)+newCount > c.e.cfg.Limits.BackendsPerLB {
		return Errf(http.StatusBadRequest, "InstanceBackendServerNumberOverLimit", "The backend server number has reached to the quota limit of this load balancer.")
	}
	for id := range joins {
		if len(s.serverGroups[id])+1 > c.e.cfg.Limits.GroupsPerServer {
			return Errf(http.StatusBadRequest, "BackendServerAttachedNumberOverLimit", "The backend server %s has been added to the maximum number (%d) of server groups.", id, c.e.cfg.Limits.GroupsPerServer)
		}
	}
	for _, b := range add {
		if old := idx[b.key()]; old != nil {
			old.Weight, old.Description = b.Weight, b.Description
			continue
		}
		nb := *b
		g.Backends = append(g.Backends, &nb)
		idx[nb.key()] = &nb
		s.attach(g, &nb)
	}
	return nil
}

// removeBackends drops matching members; "If the backend servers specified
// ... do not exist in the vServer group, the backend servers are ignored"
// (RemoveVServerGroupBackendServers page). A ServerIp-less entry matches
// every IP of its server on that port.
func (s *slbState) removeBackends(g *vgroup, del []*backend) {
	kept := g.Backends[:0:0]
	for _, b := range g.Backends {
		drop := false
		for _, d := range del {
			if d.ServerID == b.ServerID && d.Port == b.Port && (d.ServerIP == "" || d.ServerIP == b.ServerIP) {
				drop = true
				break
			}
		}
		if drop {
			s.detach(g, b)
		} else {
			kept = append(kept, b)
		}
	}
	g.Backends = kept
}

// backendView renders members in the shape shared by the Add/Create/
// Modify/Remove/Set answers.
func backendView(bs []*backend) []slb.BackendServerInAddVServerGroupBackendServers {
	out := make([]slb.BackendServerInAddVServerGroupBackendServers, len(bs))
	for i, b := range bs {
		out[i] = slb.BackendServerInAddVServerGroupBackendServers{ServerId: b.ServerID, ServerIp: b.ServerIP, Port: b.Port,
			Weight: b.Weight, Type: b.Type, Description: b.Description, VpcId: b.VpcID}
	}
	return out
}

// slbCreateVServerGroup creates a group, optionally with up to 20 members.
func slbCreateVServerGroup(c *call) (any, error) {
	s := c.e.slb
	lb, err := s.lb(c.str("LoadBalancerId"))
	if err != nil {
		return nil, err
	}
	if err := checkBusy(c, lb, busyGroup); err != nil {
		return nil, err
	}
	name := c.str("VServerGroupName")
	if len(name) > 80 {
		return nil, errInvalid("VServerGroupName", name)
	}
	tags := c.tags()
	if err := validateTags(tags, c.e.cfg.Limits.TagsPerResource); err != nil {
		return nil, err
	}
	var add []*backend
	if c.has("BackendServers") {
		if add, err = s.parseBackends(c, "BackendServers", lb, true); err != nil {
			return nil, err
		}
	}
	g := &vgroup{ID: c.e.nextID("rsp-"), Name: name, LBID: lb.ID, Created: c.Now, Tags: tags, seq: s.nextSeq()}
	if err := s.upsertBackends(c, lb, g, add); err != nil {
		return nil, err
	}
	s.groups[g.ID], lb.groups[g.ID] = g, g
	touch(c, lb)
	r := &slb.CreateVServerGroupResponse{VServerGroupId: g.ID}
	for _, b := range backendView(g.Backends) {
		r.BackendServers.BackendServer = append(r.BackendServers.BackendServer, slb.BackendServerInCreateVServerGroup(b))
	}
	if r.BackendServers.BackendServer == nil {
		r.BackendServers.BackendServer = []slb.BackendServerInCreateVServerGroup{}
	}
	return r, nil
}

// slbDeleteVServerGroup deletes a group unless a listener uses it
// ("If the VServer group is in use, it cannot be deleted.": RspoolVipExist).
func slbDeleteVServerGroup(c *call) (any, error) {
	s := c.e.slb
	g, lb, err := s.groupWritable(c)
	if err != nil {
		return nil, err
	}
	for _, l := range lb.listeners {
		if l.attrs["VServerGroupId"] == g.ID {
			return nil, Errf(http.StatusBadRequest, "RspoolVipExist", "there are vips associating with this vServer group.")
		}
	}
	s.dropGroup(g)
	touch(c, lb)
	return &slbEmpty{}, nil
}

// slbDescribeVServerGroups lists a CLB's groups (no paging, as documented).
func slbDescribeVServerGroups(c *call) (any, error) {
	s := c.e.slb
	lb, err := s.lb(c.str("LoadBalancerId"))
	if err != nil {
		return nil, err
	}
	includeListener, err := c.boolean("IncludeListener", false)
	if err != nil {
		return nil, err
	}
	want, desc := c.tags(), c.str("Description")
	r := &slb.DescribeVServerGroupsResponse{VServerGroups: slb.VServerGroups{VServerGroup: []slb.VServerGroup{}}}
	for _, g := range sortedGroups(lb) {
		if (desc != "" && g.Name != desc) || !matchTags(g.Tags, want) {
			continue
		}
		v := slb.VServerGroup{VServerGroupId: g.ID, VServerGroupName: g.Name, ServerCount: int64(len(g.Backends)),
			CreateTime: g.Created.UTC().Format(clbTimeLayout), Tags: slb.TagsInDescribeVServerGroups{Tag: tagView(g.Tags)}}
		v.AssociatedObjects.Listeners.Listener = []slb.Listener{}
		v.AssociatedObjects.Rules.Rule = []slb.Rule{}
		if includeListener {
			for _, l := range sortedListeners(lb) {
				if l.attrs["VServerGroupId"] == g.ID {
					v.AssociatedObjects.Listeners.Listener = append(v.AssociatedObjects.Listeners.Listener,
						slb.Listener{Port: l.port, Protocol: l.proto, ListenerPort: l.port, ListenerProtocol: l.proto, LoadBalancerId: lb.ID})
				}
			}
		}
		r.VServerGroups.VServerGroup = append(r.VServerGroups.VServerGroup, v)
	}
	return r, nil
}

// slbDescribeVServerGroupAttribute answers one group with all its members.
func slbDescribeVServerGroupAttribute(c *call) (any, error) {
	g, err := c.e.slb.group(c.str("VServerGroupId"))
	if err != nil {
		return nil, err
	}
	r := &slb.DescribeVServerGroupAttributeResponse{VServerGroupId: g.ID, VServerGroupName: g.Name, LoadBalancerId: g.LBID,
		CreateTime: g.Created.UTC().Format(clbTimeLayout), Tags: slb.TagsInDescribeVServerGroupAttribute{Tag: tagView(g.Tags)}}
	r.BackendServers.BackendServer = make([]slb.BackendServerInDescribeVServerGroupAttribute, 0, len(g.Backends))
	for _, b := range g.Backends {
		r.BackendServers.BackendServer = append(r.BackendServers.BackendServer, slb.BackendServerInDescribeVServerGroupAttribute{
			ServerId: b.ServerID, ServerIp: b.ServerIP, Port: b.Port, Weight: b.Weight, Type: b.Type,
			Description: b.Description, VpcId: b.VpcID, ServerRegionId: c.e.cfg.Region})
	}
	return r, nil
}

// slbSetVServerGroupAttribute renames a group and/or changes weight and
// description of existing members (it never adds members: "Use
// AddVServerGroupBackendServers to add members").
func slbSetVServerGroupAttribute(c *call) (any, error) {
	s := c.e.slb
	g, lb, err := s.groupWritable(c)
	if err != nil {
		return nil, err
	}
	if !c.has("VServerGroupName") && !c.has("BackendServers") {
		return nil, Errf(http.StatusBadRequest, "MissingParameter", "The VServerGroupName or BackendServers is required at lease one.")
	}
	var upd []*backend
	if c.has("BackendServers") {
		if upd, err = s.parseBackends(c, "BackendServers", lb, false); err != nil {
			return nil, err
		}
	}
	idx := make(map[string]*backend, len(g.Backends))
	for _, b := range g.Backends {
		idx[b.ServerID+"|"+strconv.Itoa(b.Port)] = b
		idx[b.key()] = b
	}
	targets := make([]*backend, len(upd))
	for i, u := range upd {
		t := idx[u.key()]
		if t == nil {
			t = idx[u.ServerID+"|"+strconv.Itoa(u.Port)]
		}
		if t == nil {
			// Not documented; a non-member cannot be "set".
			return nil, Errf(http.StatusBadRequest, "InvalidParameter", "The backend server %s:%d is not in the vServer group.", u.ServerID, u.Port)
		}
		targets[i] = t
	}
	if n := c.str("VServerGroupName"); c.has("VServerGroupName") {
		if len(n) > 80 {
			return nil, errInvalid("VServerGroupName", n)
		}
		g.Name = n
	}
	for i, u := range upd {
		targets[i].Weight = u.Weight
		if u.Description != "" {
			targets[i].Description = u.Description
		}
	}
	touch(c, lb)
	r := &slb.SetVServerGroupAttributeResponse{VServerGroupId: g.ID, VServerGroupName: g.Name}
	r.BackendServers.BackendServer = []slb.BackendServerInSetVServerGroupAttribute{}
	for _, b := range backendView(g.Backends) {
		r.BackendServers.BackendServer = append(r.BackendServers.BackendServer, slb.BackendServerInSetVServerGroupAttribute(b))
	}
	return r, nil
}

// slbAddVServerGroupBackendServers adds up to 20 running servers.
func slbAddVServerGroupBackendServers(c *call) (any, error) {
	s := c.e.slb
	g, lb, err := s.groupWritable(c)
	if err != nil {
		return nil, err
	}
	add, err := s.parseBackends(c, "BackendServers", lb, true)
	if err != nil {
		return nil, err
	}
	if err := s.upsertBackends(c, lb, g, add); err != nil {
		return nil, err
	}
	touch(c, lb)
	r := &slb.AddVServerGroupBackendServersResponse{VServerGroupId: g.ID}
	r.BackendServers.BackendServer = backendView(g.Backends)
	return r, nil
}

// slbRemoveVServerGroupBackendServers removes members (absent ones ignored).
func slbRemoveVServerGroupBackendServers(c *call) (any, error) {
	s := c.e.slb
	g, lb, err := s.groupWritable(c)
	if err != nil {
		return nil, err
	}
	del, err := s.parseBackends(c, "BackendServers", lb, false)
	if err != nil {
		return nil, err
	}
	s.removeBackends(g, del)
	touch(c, lb)
	r := &slb.RemoveVServerGroupBackendServersResponse{VServerGroupId: g.ID}
	r.BackendServers.BackendServer = []slb.BackendServerInRemoveVServerGroupBackendServers{}
	for _, b := range backendView(g.Backends) {
		r.BackendServers.BackendServer = append(r.BackendServers.BackendServer, slb.BackendServerInRemoveVServerGroupBackendServers(b))
	}
	return r, nil
}

// slbModifyVServerGroupBackendServers replaces OldBackendServers by
// NewBackendServers in one step ("can be used only to replace backend
// servers"); each list holds at most 20 entries.
func slbModifyVServerGroupBackendServers(c *call) (any, error) {
	s := c.e.slb
	g, lb, err := s.groupWritable(c)
	if err != nil {
		return nil, err
	}
	var oldList, newList []*backend
	if c.has("OldBackendServers") {
		if oldList, err = s.parseBackends(c, "OldBackendServers", lb, false); err != nil {
			return nil, err
		}
	}
	if c.has("NewBackendServers") {
		if newList, err = s.parseBackends(c, "NewBackendServers", lb, true); err != nil {
			return nil, err
		}
	}
	if len(oldList) == 0 && len(newList) == 0 {
		return nil, errMissing("NewBackendServers")
	}
	// Apply on a copy so that a quota failure leaves the group untouched.
	snapshot := append([]*backend(nil), g.Backends...)
	copies := make([]*backend, len(snapshot))
	for i, b := range snapshot {
		cp := *b
		copies[i] = &cp
	}
	s.removeBackends(g, oldList)
	if err := s.upsertBackends(c, lb, g, newList); err != nil {
		for _, b := range g.Backends {
			s.detach(g, b)
		}
		g.Backends = copies
		for _, b := range copies {
			s.attach(g, b)
		}
		return nil, err
	}
	touch(c, lb)
	r := &slb.ModifyVServerGroupBackendServersResponse{VServerGroupId: g.ID}
	r.BackendServers.BackendServer = []slb.BackendServerInModifyVServerGroupBackendServers{}
	for _, b := range backendView(g.Backends) {
		r.BackendServers.BackendServer = append(r.BackendServers.BackendServer, slb.BackendServerInModifyVServerGroupBackendServers(b))
	}
	return r, nil
}
