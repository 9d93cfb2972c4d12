package nlb

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// groupSet is the server groups one reconcile works with.
type groupSet struct {
	// ours are the server groups tagged for this Service in this cluster,
	// wherever they are (they outlive their NLB).
	ours []sdknlb.ServerGroup
	// users are the user's server groups vgroup-port names, by ID.
	users map[string]*sdknlb.ServerGroup
	// stale are ours that no listener of the Service needs (groupSpecs).
	stale []*sdknlb.ServerGroup
}

// ownedGroups lists the server groups tagged for svc in this cluster.
func (r *Reconciler) ownedGroups(ctx context.Context, svc *v1.Service) ([]sdknlb.ServerGroup, error) {
	req := sdknlb.CreateListServerGroupsRequest()
	req.Tag = &[]sdknlb.ListServerGroupsTag{{Key: loadbalancer.TagServiceUID, Value: string(svc.UID)}}
	all, err := r.api.ListAllServerGroups(ctx, req)
	if err != nil {
		return nil, portErr("listing the Service's NLB server groups", err)
	}
	out := all[:0]
	for i := range all {
		// A group being deleted is gone for planning (and for a second
		// delete, which the API would refuse while its job runs).
		if r.ownsTags(groupTags(&all[i]), svc) && all[i].ServerGroupStatus != "Deleting" {
			out = append(out, all[i])
		}
	}
	return out, nil
}

// loadGroups reads the Service's server groups and the user's groups
// vgroup-port names (one listing each).
func (r *Reconciler) loadGroups(ctx context.Context, in portsInput) (*groupSet, error) {
	ours, err := r.ownedGroups(ctx, in.Svc)
	if err != nil {
		return nil, err
	}
	gs := &groupSet{ours: ours, users: map[string]*sdknlb.ServerGroup{}}
	// vgroup-port counts only on a reused NLB (NLBConfig.ServerGroupID).
	if ids := sortedGroupIDs(in.Cfg.Backend.VGroupPorts); in.Cfg.LB.ReuseID != "" && len(ids) > 0 {
		req := sdknlb.CreateListServerGroupsRequest()
		req.ServerGroupIds = &ids
		users, err := r.api.ListAllServerGroups(ctx, req)
		if err != nil {
			return nil, portErr("listing the server groups of vgroup-port", err)
		}
		for i := range users {
			gs.users[users[i].ServerGroupId] = &users[i]
		}
	}
	return gs, nil
}

// sortedGroupIDs are the distinct server group IDs of vgroup-port.
func sortedGroupIDs(m map[int32]string) []string {
	var ids []string
	for _, id := range m {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// groupSpec is one server group the Service's listeners need: ours (one
// per listener) or a user's (vgroup-port, shared by the listeners that
// name it; only our members in it are managed).
type groupSpec struct {
	name   string
	userID string
	// typ, protocol and anyPort cannot change on a server group: a change
	// means a new group (and the old one goes once no listener uses it).
	typ      annotations.NLBServerGroupType
	protocol string
	anyPort  bool
	attrs    groupAttrs
	desired  []server
	// incomplete: some pods have no ENI yet; no member is removed.
	incomplete bool
	// have is the listed group, nil while it is to be created; id is its
	// ID once known; created says this reconcile created it.
	have    *sdknlb.ServerGroup
	id      string
	created bool
	// actual are the listed members and plan their diff with desired
	// (planMembers), made once before the first write (fitPorts);
	// deferAdds: the plan removes first and its adds wait for the next
	// reconcile, so the group and the NLB stay within their quotas.
	actual    []server
	plan      serverPlan
	planned   bool
	deferAdds bool
}

// groupProtocol is the server group protocol a listener needs (a TCPSSL
// listener forwards TCP).
func groupProtocol(p annotations.NLBProtocol) string {
	if p == annotations.NLBProtocolUDP {
		return "UDP"
	}
	return "TCP"
}

// listenerPortName is a listener's port in names: "80", or "1000_2000"
// for a port range (the official CCM's form).
func listenerPortName(l *annotations.NLBListener) string {
	if l.PortRange != nil {
		return fmt.Sprintf("%d_%d", l.PortRange.Start, l.PortRange.End)
	}
	return strconv.Itoa(int(l.Port))
}

// groupName is the name of our server group for a listener:
// k8s.<port>.<PROTOCOL>.<service>.<namespace>.<cluster>, as the official
// CCM names its groups, for humans; ownership is proven by tags.
func groupName(svc *v1.Service, l *annotations.NLBListener, clusterID string) string {
	n := fmt.Sprintf("k8s.%s.%s.%s.%s.%s", listenerPortName(l), l.Protocol, svc.Name, svc.Namespace, clusterID)
	return truncate(sanitize(n, nameChars), maxNameLen)
}

// groupSpecs builds the server group of every listener, matches ours by
// name, type, protocol and all-port switch, checks the user's groups, and
// collects ours that no listener needs (stale). byListener maps a listener
// index to its group.
func (r *Reconciler) groupSpecs(in portsInput, pm *portMembers, gs *groupSet) ([]*groupSpec, map[int]*groupSpec, error) {
	cfg, svc := in.Cfg, in.Svc
	var specs []*groupSpec
	byListener := map[int]*groupSpec{}
	users := map[string]*groupSpec{}
	matched := map[string]bool{}
	for i := range cfg.Listeners {
		l := &cfg.Listeners[i]
		if uid := cfg.ServerGroupID(l.Port); uid != "" {
			s := users[uid]
			if s == nil {
				g := gs.users[uid]
				if err := r.checkUserGroup(in, uid, g); err != nil {
					return nil, nil, err
				}
				s = &groupSpec{userID: uid, name: g.ServerGroupName, have: g, id: uid, typ: cfg.ServerGroup.Type}
				users[uid] = s
				specs = append(specs, s)
			}
			s.desired = append(s.desired, pm.servers[i]...)
			s.incomplete = s.incomplete || pm.incomplete[i]
			byListener[i] = s
			continue
		}
		s := &groupSpec{name: groupName(svc, l, r.opts.ClusterID), typ: cfg.ServerGroup.Type, protocol: groupProtocol(l.Protocol),
			anyPort: l.PortRange != nil, desired: pm.servers[i], incomplete: pm.incomplete[i]}
		s.attrs = r.desiredGroupAttrs(in, l, s.name)
		for j := range gs.ours {
			g := &gs.ours[j]
			if !matched[g.ServerGroupId] && g.ServerGroupName == s.name && g.ServerGroupType == string(s.typ) &&
				g.Protocol == s.protocol && g.AnyPortEnabled == s.anyPort {
				matched[g.ServerGroupId] = true
				s.have, s.id = g, g.ServerGroupId
				break
			}
		}
		specs = append(specs, s)
		byListener[i] = s
	}
	for j := range gs.ours {
		if !matched[gs.ours[j].ServerGroupId] {
			gs.stale = append(gs.stale, &gs.ours[j])
		}
	}
	return specs, byListener, nil
}

// checkUserGroup checks a vgroup-port group: it must exist in the NLB's
// VPC, be the user's (no CCM's tags) and have the Service's server group
// type, so the members built for it fit.
func (r *Reconciler) checkUserGroup(in portsInput, id string, g *sdknlb.ServerGroup) error {
	key := annotations.Prefix + "vgroup-port"
	if g == nil {
		return fmt.Errorf("server group %s (annotation %s) does not exist", id, key)
	}
	tags := groupTags(g)
	for _, k := range []string{loadbalancer.TagServiceUID, loadbalancer.TagOfficialOwner} {
		if v, ok := tags[k]; ok {
			return fmt.Errorf("server group %s (annotation %s) carries the tag %s=%s: it was created by a cloud controller manager and cannot be shared; name a server group you created", id, key, k, v)
		}
	}
	if in.LB.VpcId != "" && g.VpcId != in.LB.VpcId {
		return fmt.Errorf("server group %s (annotation %s) is in VPC %s, the NLB in %s", id, key, g.VpcId, in.LB.VpcId)
	}
	if g.ServerGroupType != string(in.Cfg.ServerGroup.Type) {
		return fmt.Errorf("server group %s (annotation %s) has type %s, the Service's server groups %s (annotation %sserver-group-type)",
			id, key, g.ServerGroupType, in.Cfg.ServerGroup.Type, annotations.Prefix)
	}
	return nil
}

// groupAttrs are the managed attributes of a server group; nil means
// "not declared" (create: the API's default; update: leave as is).
type groupAttrs struct {
	Name                               *string
	Scheduler                          *string
	PreserveClientIP, DrainEnabled     *bool
	DrainTimeout                       *int
	HCEnabled                          *bool
	HCType, HCURL, HCDomain, HCMethod  *string
	HCConnectPort, HCConnectTimeout    *int
	HCInterval, HCHealthy, HCUnhealthy *int
	HCCodes                            *string // sorted, comma-joined
}

func (a groupAttrs) empty() bool { return a == groupAttrs{} }

// desiredGroupAttrs is the one planning function for a server group's
// attributes: the declared ones, plus
//   - client IP preservation off for a TCPSSL listener's group unless
//     declared (the API refuses a TCPSSL listener on a preserving group,
//     and preserving is the API's default);
//   - with externalTrafficPolicy Local and no declared health check type or
//     port, an HTTP check of healthCheckNodePort on the node members, so
//     nodes without local endpoints fail it and get no traffic;
//   - on an all-port group (listener-port-range) with the check on and no
//     port declared, the range's first port (its members have port 0,
//     which a health check cannot use).
func (r *Reconciler) desiredGroupAttrs(in portsInput, l *annotations.NLBListener, name string) groupAttrs {
	sg, hc := &in.Cfg.ServerGroup, &in.Cfg.ServerGroup.HealthCheck
	a := groupAttrs{
		Name: &name, Scheduler: declared(sg.Scheduler), PreserveClientIP: sg.PreserveClientIP, DrainEnabled: sg.ConnectionDrain,
		HCEnabled: hc.Enabled, HCType: declared(hc.Type), HCURL: declared(hc.URI), HCDomain: declared(hc.Domain), HCMethod: declared(hc.Method),
		HCConnectPort: hc.ConnectPort, HCConnectTimeout: hc.ConnectTimeout, HCInterval: hc.Interval,
		HCHealthy: hc.HealthyThreshold, HCUnhealthy: hc.UnhealthyThreshold, HCCodes: joinCodes(hc.HTTPCodes),
	}
	if sg.ConnectionDrain != nil && *sg.ConnectionDrain {
		a.DrainTimeout = sg.ConnectionDrainTimeout
	}
	if l.Protocol == annotations.NLBProtocolTCPSSL && a.PreserveClientIP == nil {
		a.PreserveClientIP = ptrTo(false)
	}
	b := &in.Cfg.Backend
	if b.Local() && b.HealthCheckNodePort > 0 && sg.Type == annotations.NLBServerGroupInstance && !podBacked(in.Cfg) &&
		l.Protocol != annotations.NLBProtocolUDP && l.PortRange == nil && a.HCType == nil && a.HCConnectPort == nil {
		a.HCType, a.HCURL, a.HCConnectPort = ptrTo("HTTP"), ptrTo("/healthz"), ptrTo(int(b.HealthCheckNodePort))
	}
	if l.PortRange != nil && a.HCConnectPort == nil && (a.HCEnabled == nil || *a.HCEnabled) {
		a.HCConnectPort = ptrTo(int(l.PortRange.Start))
	}
	return a
}

// joinCodes is the comparable form of health check HTTP codes; nil when
// none are declared.
func joinCodes(codes []string) *string {
	if len(codes) == 0 {
		return nil
	}
	c := slices.Clone(codes)
	sort.Strings(c)
	return ptrTo(strings.Join(c, ","))
}

// listedGroupAttrs reads a listed group's managed attributes.
func listedGroupAttrs(g *sdknlb.ServerGroup) groupAttrs {
	hc := &g.HealthCheck
	codes := joinCodes(hc.HealthCheckHttpCode)
	if codes == nil {
		codes = ptrTo("")
	}
	return groupAttrs{
		Name: &g.ServerGroupName, Scheduler: &g.Scheduler, PreserveClientIP: &g.PreserveClientIpEnabled,
		DrainEnabled: &g.ConnectionDrainEnabled, DrainTimeout: &g.ConnectionDrainTimeout,
		HCEnabled: &hc.HealthCheckEnabled, HCType: &hc.HealthCheckType, HCURL: &hc.HealthCheckUrl, HCDomain: &hc.HealthCheckDomain,
		HCMethod: &hc.HttpCheckMethod, HCConnectPort: &hc.HealthCheckConnectPort, HCConnectTimeout: &hc.HealthCheckConnectTimeout,
		HCInterval: &hc.HealthCheckInterval, HCHealthy: &hc.HealthyThreshold, HCUnhealthy: &hc.UnhealthyThreshold, HCCodes: codes,
	}
}

// diffGroupAttrs keeps the declared attributes of want that differ from
// have (schedulers compare case-insensitively: the API capitalises them).
func diffGroupAttrs(want, have groupAttrs) groupAttrs {
	var d groupAttrs
	str := func(dst **string, w, h *string, fold bool) {
		if w != nil && (h == nil || (!fold && *w != *h) || (fold && !strings.EqualFold(*w, *h))) {
			*dst = w
		}
	}
	num := func(dst **int, w, h *int) {
		if w != nil && (h == nil || *w != *h) {
			*dst = w
		}
	}
	flag := func(dst **bool, w, h *bool) {
		if w != nil && (h == nil || *w != *h) {
			*dst = w
		}
	}
	str(&d.Name, want.Name, have.Name, false)
	str(&d.Scheduler, want.Scheduler, have.Scheduler, true)
	flag(&d.PreserveClientIP, want.PreserveClientIP, have.PreserveClientIP)
	flag(&d.DrainEnabled, want.DrainEnabled, have.DrainEnabled)
	num(&d.DrainTimeout, want.DrainTimeout, have.DrainTimeout)
	flag(&d.HCEnabled, want.HCEnabled, have.HCEnabled)
	str(&d.HCType, want.HCType, have.HCType, true)
	str(&d.HCURL, want.HCURL, have.HCURL, false)
	str(&d.HCDomain, want.HCDomain, have.HCDomain, false)
	str(&d.HCMethod, want.HCMethod, have.HCMethod, true)
	num(&d.HCConnectPort, want.HCConnectPort, have.HCConnectPort)
	num(&d.HCConnectTimeout, want.HCConnectTimeout, have.HCConnectTimeout)
	num(&d.HCInterval, want.HCInterval, have.HCInterval)
	num(&d.HCHealthy, want.HCHealthy, have.HCHealthy)
	num(&d.HCUnhealthy, want.HCUnhealthy, have.HCUnhealthy)
	str(&d.HCCodes, want.HCCodes, have.HCCodes, false)
	return d
}

// syncGroups creates our missing server groups and converges the
// attributes of existing ones (diff only). The user's groups keep their
// attributes.
func (r *Reconciler) syncGroups(ctx context.Context, jt *portJobs, in portsInput, specs []*groupSpec) error {
	for _, s := range specs {
		if s.userID != "" {
			continue
		}
		if s.have == nil {
			now := time.Now()
			req := r.createGroupRequest(in, s, "", now)
			resp, err := r.api.CreateServerGroup(ctx, req)
			if err == nil {
				var gone bool
				if gone, err = r.groupGone(ctx, resp.ServerGroupId); err == nil && gone {
					// The token answered with a group deleted since: a
					// new token, salted with the gone group's ID.
					resp, err = r.api.CreateServerGroup(ctx, r.createGroupRequest(in, s, resp.ServerGroupId, now))
				}
			}
			if err != nil {
				return portErr("creating NLB server group "+s.name, err)
			}
			s.id, s.created = resp.ServerGroupId, true
			jt.add(s.id, resp.JobId)
			logWrite(in.Svc, "create server group "+s.name, s.id)
			continue
		}
		d := diffGroupAttrs(s.attrs, listedGroupAttrs(s.have))
		if d.empty() {
			continue
		}
		resp, err := r.api.UpdateServerGroupAttribute(ctx, updateGroupRequest(s.id, d))
		if err != nil {
			return portErr("updating NLB server group "+s.id, err)
		}
		jt.add(s.id, resp.JobId)
		logWrite(in.Svc, "update server group attributes", s.id)
	}
	return nil
}

// syncGroupServers converges the members of one group with its plan
// (planMembers: only members whose description proves them the Service's
// are changed, ownsServer). A group that does not exist yet
// (backend-only sync before the full one created it) is skipped. With
// deferAdds only the removals and updates go now; the removal jobs are
// pending, so the adds follow in the next reconcile.
func (r *Reconciler) syncGroupServers(ctx context.Context, jt *portJobs, in portsInput, s *groupSpec) error {
	if s.id == "" {
		return nil
	}
	if !s.planned {
		if err := r.planMembers(ctx, in, s); err != nil {
			return err
		}
	}
	p := s.plan
	if s.deferAdds && len(p.add) > 0 {
		// Every group of the plan defers its adds, also one with no
		// removal of its own: the sync is not finished whatever jobs it
		// started (a settled status would otherwise drop the adds).
		p.add = nil
		jt.deferred = true
	}
	return r.applyServers(ctx, jt, s.id, p)
}

// deleteStaleGroups deletes our server groups no listener of the Service
// needs any more, once no listener uses them: listeners the plan moved off
// a group must have finished moving (their NLB idle), and a group a
// listener we do not manage still uses is left.
func (r *Reconciler) deleteStaleGroups(ctx context.Context, jt *portJobs, svc *v1.Service, lbID string, stale []*sdknlb.ServerGroup, plan *listenerPlan) error {
	for _, g := range stale {
		if plan.stillUses(g.ServerGroupId) {
			continue
		}
		other := false
		for _, id := range g.RelatedLoadBalancerIds {
			other = other || id != lbID
		}
		if other {
			// Used by a listener of another NLB: not this reconcile's to
			// free; deletePorts of that NLB removes it.
			continue
		}
		if len(g.RelatedLoadBalancerIds) > 0 {
			if ok, err := jt.idle(ctx, lbID); err != nil || !ok {
				return err
			}
		}
		if err := r.deleteGroup(ctx, jt, g.ServerGroupId); err != nil {
			return err
		}
		logWrite(svc, "delete server group "+g.ServerGroupName, g.ServerGroupId)
	}
	return nil
}

// groupGone reports whether the server group a create answered with is
// gone or being deleted: the answer was a replay of an earlier create
// with the same token.
func (r *Reconciler) groupGone(ctx context.Context, id string) (bool, error) {
	req := sdknlb.CreateListServerGroupsRequest()
	req.ServerGroupIds = &[]string{id}
	gs, err := r.api.ListAllServerGroups(ctx, req)
	if err != nil {
		return false, err
	}
	return len(gs) == 0 || gs[0].ServerGroupStatus == "Deleting", nil
}

// deleteGroup deletes one of our server groups; one already gone is fine.
func (r *Reconciler) deleteGroup(ctx context.Context, jt *portJobs, id string) error {
	if ok, err := jt.idle(ctx, id); err != nil || !ok {
		return err
	}
	req := sdknlb.CreateDeleteServerGroupRequest()
	req.ServerGroupId = id
	resp, err := r.api.DeleteServerGroup(ctx, req)
	if cloudapi.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return portErr("deleting NLB server group "+id, err)
	}
	jt.add(id, resp.JobId)
	return nil
}

// createGroupRequest builds CreateServerGroup: every declared attribute,
// the ownership tags and a ClientToken
// (https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-createservergroup).
func (r *Reconciler) createGroupRequest(in portsInput, s *groupSpec, salt string, now time.Time) *sdknlb.CreateServerGroupRequest {
	req := sdknlb.CreateCreateServerGroupRequest()
	req.ServerGroupName, req.ServerGroupType, req.Protocol = s.name, string(s.typ), s.protocol
	req.VpcId = in.LB.VpcId
	if req.VpcId == "" {
		req.VpcId = r.opts.VpcID
	}
	req.ResourceGroupId = in.Cfg.LB.ResourceGroupID
	if s.anyPort {
		req.AnyPortEnabled = requests.NewBoolean(true)
	}
	tags := make([]sdknlb.CreateServerGroupTag, 0, 3)
	for _, t := range r.ownershipTags(in.Svc) {
		tags = append(tags, sdknlb.CreateServerGroupTag{Key: t[0], Value: t[1]})
	}
	req.Tag = &tags
	req.ClientToken = createToken(in.Svc, "servergroup", s.name+"|"+string(s.typ)+"|"+s.protocol, salt, now)
	a := &s.attrs
	reqString(&req.Scheduler, a.Scheduler)
	reqBool(&req.PreserveClientIpEnabled, a.PreserveClientIP)
	reqBool(&req.ConnectionDrainEnabled, a.DrainEnabled)
	reqInt(&req.ConnectionDrainTimeout, a.DrainTimeout)
	hc := &req.HealthCheckConfig
	reqFlag(&hc.HealthCheckEnabled, a.HCEnabled)
	reqString(&hc.HealthCheckType, a.HCType)
	reqString(&hc.HealthCheckUrl, a.HCURL)
	reqString(&hc.HealthCheckDomain, a.HCDomain)
	reqString(&hc.HttpCheckMethod, a.HCMethod)
	reqIntString(&hc.HealthCheckConnectPort, a.HCConnectPort)
	reqIntString(&hc.HealthCheckConnectTimeout, a.HCConnectTimeout)
	reqIntString(&hc.HealthCheckInterval, a.HCInterval)
	reqIntString(&hc.HealthyThreshold, a.HCHealthy)
	reqIntString(&hc.UnhealthyThreshold, a.HCUnhealthy)
	if a.HCCodes != nil {
		codes := strings.Split(*a.HCCodes, ",")
		hc.HealthCheckHttpCode = &codes
	}
	return req
}

// updateGroupRequest builds UpdateServerGroupAttribute with the changed
// attributes only
// (https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-updateservergroupattribute).
func updateGroupRequest(id string, a groupAttrs) *sdknlb.UpdateServerGroupAttributeRequest {
	req := sdknlb.CreateUpdateServerGroupAttributeRequest()
	req.ServerGroupId = id
	reqString(&req.ServerGroupName, a.Name)
	reqString(&req.Scheduler, a.Scheduler)
	reqBool(&req.PreserveClientIpEnabled, a.PreserveClientIP)
	reqBool(&req.ConnectionDrainEnabled, a.DrainEnabled)
	reqInt(&req.ConnectionDrainTimeout, a.DrainTimeout)
	hc := &req.HealthCheckConfig
	reqFlag(&hc.HealthCheckEnabled, a.HCEnabled)
	reqString(&hc.HealthCheckType, a.HCType)
	reqString(&hc.HealthCheckUrl, a.HCURL)
	reqString(&hc.HealthCheckDomain, a.HCDomain)
	reqString(&hc.HttpCheckMethod, a.HCMethod)
	reqIntString(&hc.HealthCheckConnectPort, a.HCConnectPort)
	reqIntString(&hc.HealthCheckConnectTimeout, a.HCConnectTimeout)
	reqIntString(&hc.HealthCheckInterval, a.HCInterval)
	reqIntString(&hc.HealthyThreshold, a.HCHealthy)
	reqIntString(&hc.UnhealthyThreshold, a.HCUnhealthy)
	if a.HCCodes != nil {
		codes := strings.Split(*a.HCCodes, ",")
		hc.HealthCheckHttpCode = &codes
	}
	return req
}
