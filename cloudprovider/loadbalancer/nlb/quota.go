package nlb

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// Quotas are the NLB quotas a Service's plan is checked against before
// its first write, so that a Service that cannot fit gets a Warning Event
// naming the quota, the number needed and the limit, and no half-built
// NLB. Defaults are the documented ones
// (https://www.alibabacloud.com/help/en/slb/network-load-balancer/user-guide/nlb-quotas);
// accounts with raised quotas set them in cloud-config. The cloud stays the
// judge: its quota answer (QuotaExceeded.QuotaInsufficient) still stops a
// write the plan thought fits.
type Quotas struct {
	// ServersPerGroup is nlb_quota_servergroup_noeci_servers_num: the ECS
	// instances, ENIs and IPs of one server group.
	ServersPerGroup int
	// ServersPerNLB is nlb_quota_loadbalancer_noeci_servers_num: the
	// distinct ECS instances, ENIs and IPs behind one NLB, over the server
	// groups of all its listeners.
	ServersPerNLB int
	// ListenersPerNLB is nlb_quota_loadbalancer_listeners_num.
	ListenersPerNLB int
	// GroupsPerServer is nlb_quota_server_added_num: the times one server
	// (an ECS instance, ENI or IP) may be a member of server groups, over
	// all NLBs of the account.
	GroupsPerServer int
}

// Documented default quotas and their Quota Center names.
const (
	DefaultServersPerGroup = 400
	DefaultServersPerNLB   = 400
	DefaultListenersPerNLB = 50
	DefaultGroupsPerServer = 200

	quotaGroupServers = "nlb_quota_servergroup_noeci_servers_num"
	quotaNLBServers   = "nlb_quota_loadbalancer_noeci_servers_num"
	quotaListeners    = "nlb_quota_loadbalancer_listeners_num"
	quotaServerAdded  = "nlb_quota_server_added_num"
)

// quotaConfigField are the cloud-config fields of the quotas, for
// messages.
var quotaConfigField = map[string]string{
	quotaGroupServers: "Global.quotaServersPerNLBServerGroup",
	quotaNLBServers:   "Global.quotaServersPerNLB",
	quotaListeners:    "Global.quotaListenersPerNLB",
	quotaServerAdded:  "Global.quotaNLBServerGroupsPerServer",
}

// withDefaults replaces unset (zero or negative) quotas with the
// documented defaults.
func (q Quotas) withDefaults() Quotas {
	for _, f := range []struct {
		v   *int
		def int
	}{{&q.ServersPerGroup, DefaultServersPerGroup}, {&q.ServersPerNLB, DefaultServersPerNLB}, {&q.ListenersPerNLB, DefaultListenersPerNLB},
		{&q.GroupsPerServer, DefaultGroupsPerServer}} {
		if *f.v <= 0 {
			*f.v = f.def
		}
	}
	return q
}

// QuotaError is a plan that does not fit an NLB quota: nothing was
// written to the cloud.
type QuotaError struct {
	// Quota is the Quota Center name, e.g. nlb_quota_loadbalancer_listeners_num.
	Quota string
	// What needs the quota: "server group k8s.80.TCP.web.default.c1".
	What string
	// Need is the number the plan needs, Limit the quota.
	Need, Limit int
}

// Error names the quota, the need and the limit, and how to raise it.
func (e *QuotaError) Error() string {
	return fmt.Sprintf("NLB quota %s exceeded: %s needs %d, the quota is %d (raise it in Quota Center, https://www.alibabacloud.com/help/en/slb/network-load-balancer/user-guide/nlb-quotas, and set cloud-config %s); nothing was written to the cloud",
		e.Quota, e.What, e.Need, e.Limit, quotaConfigField[e.Quota])
}

// quotaWall reports a QuotaError as a Warning Event and returns it.
func (r *Reconciler) quotaWall(svc *v1.Service, quota, what string, need, limit int) error {
	err := &QuotaError{Quota: quota, What: what, Need: need, Limit: limit}
	r.events.Event(svc, v1.EventTypeWarning, loadbalancer.ReasonQuotaExceeded, err.Error())
	return err
}

// lbServerKey is a member's identity for the servers-per-NLB quota: the
// ECS instance, or the ENI or IP with its address (one ECS instance on
// several ports or in several groups counts once).
func (s server) lbServerKey() string {
	if s.Type == serverEcs {
		return s.Type + "|" + s.ID
	}
	return s.Type + "|" + s.ID + "|" + s.IP
}

// groupMemberCount is the number of distinct members of ss.
func groupMemberCount(ss []server) int {
	keys := make(map[string]bool, len(ss))
	for _, s := range ss {
		keys[s.key()] = true
	}
	return len(keys)
}

// checkNewNLBQuotas checks a Service that has no NLB yet against the
// quotas before CreateLoadBalancer: more listeners than an NLB holds, a
// listener's server group over the servers-per-group quota, or more
// distinct servers than an NLB takes, refuse it with a Warning Event and
// no cloud write. It builds the desired members as the port level will
// (one ENI lookup for pod backends).
func (r *Reconciler) checkNewNLBQuotas(ctx context.Context, svc *v1.Service, cfg *annotations.NLBConfig, nodes []*v1.Node) error {
	q := r.opts.Quotas.withDefaults()
	if n := len(cfg.Listeners); n > q.ListenersPerNLB {
		return r.quotaWall(svc, quotaListeners, "the Service's ports", n, q.ListenersPerNLB)
	}
	in := portsInput{Cfg: cfg, Svc: svc, Nodes: nodes}
	pm, err := r.buildMembers(ctx, in)
	if err != nil {
		return err
	}
	all := map[string]bool{}
	for i := range cfg.Listeners {
		if n := groupMemberCount(pm.servers[i]); n > q.ServersPerGroup {
			return r.quotaWall(svc, quotaGroupServers, "server group "+groupName(svc, &cfg.Listeners[i], r.opts.ClusterID), n, q.ServersPerGroup)
		}
		for _, s := range pm.servers[i] {
			all[s.lbServerKey()] = true
		}
	}
	if len(all) > q.ServersPerNLB {
		return r.quotaWall(svc, quotaNLBServers, "the NLB of the Service", len(all), q.ServersPerNLB)
	}
	joins := map[string]int{}
	for i := range pm.servers {
		for _, s := range pm.servers[i] {
			joins[s.ID]++
		}
	}
	_, err = r.fitServerJoins(ctx, svc, joins, nil)
	return err
}

// fitServerJoins applies the servers-per-server quota to the joins of a
// plan (server ID -> memberships it gains; leaves: memberships it loses
// later in the plan): the memberships each joining server has now are
// read with ListServerGroupServers by ServerIds (40 a call, the
// documented limit), only when servers join. A server whose memberships
// at the end pass the quota is a wall; one that passes it only between
// the plan's adds and its removals asks the adds to wait (deferAdds).
func (r *Reconciler) fitServerJoins(ctx context.Context, svc *v1.Service, joins, leaves map[string]int) (deferAdds bool, err error) {
	if len(joins) == 0 {
		return false, nil
	}
	q := r.opts.Quotas.withDefaults()
	have, err := r.serverMemberships(ctx, joins)
	if err != nil {
		return false, err
	}
	ids := make([]string, 0, len(joins))
	for id := range joins {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		end := have[id] + joins[id] - leaves[id]
		if end > q.GroupsPerServer {
			return false, r.quotaWall(svc, quotaServerAdded, "server "+id+" (a member "+strconv.Itoa(have[id])+" times)", end, q.GroupsPerServer)
		}
		deferAdds = deferAdds || have[id]+joins[id] > q.GroupsPerServer
	}
	return deferAdds, nil
}

// serversPerListCall is ListServerGroupServers' ServerIds limit ("You can
// specify at most 40 server IDs in each call",
// https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-listservergroupservers).
const serversPerListCall = 40

// serverMemberships counts, per server ID of ids, its members in all
// server groups.
func (r *Reconciler) serverMemberships(ctx context.Context, ids map[string]int) (map[string]int, error) {
	all := make([]string, 0, len(ids))
	for id := range ids {
		all = append(all, id)
	}
	sort.Strings(all)
	out := map[string]int{}
	for i := 0; i < len(all); i += serversPerListCall {
		batch := all[i:min(i+serversPerListCall, len(all))]
		token := ""
		for {
			req := sdknlb.CreateListServerGroupServersRequest()
			req.ServerIds = &batch
			req.MaxResults = requests.NewInteger(100)
			req.NextToken = token
			resp, err := r.api.ListServerGroupServers(ctx, req)
			if err != nil {
				return nil, portErr("listing the server groups of joining servers", err)
			}
			for _, s := range resp.Servers {
				out[s.ServerId]++
			}
			if token = resp.NextToken; token == "" {
				break
			}
		}
	}
	return out, nil
}

// fitPorts checks the port level's plan on an existing NLB against the
// quotas after everything was read and before the first write: it lists
// the members of every server group of the plan (which the member sync
// then uses), diffs them, and refuses a plan whose end state does not fit
// (a Warning Event, no write). A plan whose end state fits but whose adds,
// which go before removes, would pass a quota on the way (a full group
// swapping members) removes first: its adds wait for the next reconcile
// (deferAdds). listed are the NLB's listeners, nil in a backend-only sync
// (read here only when new servers join the NLB).
func (r *Reconciler) fitPorts(ctx context.Context, in portsInput, specs []*groupSpec, listed []sdknlb.ListenerInfo) error {
	deferAdds, err := r.fitPlan(ctx, in, specs, listed)
	if err != nil {
		return err
	}
	for _, s := range specs {
		s.deferAdds = deferAdds
	}
	return nil
}

// fitPlan is fitPorts' check; deferAdds says the adds must wait.
func (r *Reconciler) fitPlan(ctx context.Context, in portsInput, specs []*groupSpec, listed []sdknlb.ListenerInfo) (deferAdds bool, err error) {
	q := r.opts.Quotas.withDefaults()
	if !in.BackendsOnly {
		if n := listenersAfter(r, in, listed); n > q.ListenersPerNLB {
			return false, r.quotaWall(in.Svc, quotaListeners, "the NLB "+in.LB.LoadBalancerId+" with the Service's ports", n, q.ListenersPerNLB)
		}
	}
	ids := map[string]bool{}
	joins := false
	current := map[string]bool{} // the NLB's servers now, in the plan's groups
	for _, s := range specs {
		if err := r.planMembers(ctx, in, s); err != nil {
			return false, err
		}
		p := s.plan
		if s.id != "" {
			ids[s.id] = true
		}
		end := len(s.actual) - len(p.remove) + len(p.add)
		if end > q.ServersPerGroup && len(p.add) > 0 {
			return false, r.quotaWall(in.Svc, quotaGroupServers, "server group "+s.name, end, q.ServersPerGroup)
		}
		if len(s.actual)+len(p.add) > q.ServersPerGroup && len(p.add) > 0 {
			deferAdds = true
		}
		for _, a := range s.actual {
			current[a.lbServerKey()] = true
		}
		for _, a := range p.add {
			joins = joins || !current[a.lbServerKey()]
		}
	}
	added, removed := map[string]int{}, map[string]int{}
	for _, s := range specs {
		for _, a := range s.plan.add {
			added[a.ID]++
		}
		for _, x := range s.plan.remove {
			removed[x.ID]++
		}
	}
	wait, err := r.fitServerJoins(ctx, in.Svc, added, removed)
	if err != nil {
		return false, err
	}
	deferAdds = deferAdds || wait
	if !joins {
		return deferAdds, nil // no server joins the NLB: its count cannot grow
	}
	now, end, err := r.nlbServers(ctx, in, specs, ids, listed)
	if err != nil {
		return false, err
	}
	if end > q.ServersPerNLB {
		return false, r.quotaWall(in.Svc, quotaNLBServers, "the NLB "+in.LB.LoadBalancerId, end, q.ServersPerNLB)
	}
	if now > q.ServersPerNLB {
		deferAdds = true
	}
	return deferAdds, nil
}

// planMembers lists a group's members (a group still to be created has
// none) and diffs them with the desired ones; only members whose
// description proves them the Service's are changed (ownsServer). While
// some pods have no ENI yet, nothing is removed.
func (r *Reconciler) planMembers(ctx context.Context, in portsInput, s *groupSpec) error {
	s.actual = nil
	if s.id != "" {
		var err error
		if s.actual, err = r.listServers(ctx, s.id); err != nil {
			return portErr("listing members of NLB server group "+s.id, err)
		}
	}
	s.plan = diffServers(s.desired, s.actual, r.ownsServer(in.Svc), in.Cfg.Backend.IgnoreWeightUpdate)
	if s.incomplete {
		s.plan.remove = nil
	}
	s.planned = true
	return nil
}

// nlbServers counts the NLB's distinct servers at the peak of the plan
// (now plus every add, as adds go first) and at its end: the plan's
// groups as planned plus the groups of the NLB's other listeners (the
// user's on a reused NLB), read here.
func (r *Reconciler) nlbServers(ctx context.Context, in portsInput, specs []*groupSpec, ids map[string]bool, listed []sdknlb.ListenerInfo) (peak, end int, err error) {
	if listed == nil {
		if listed, err = r.listListeners(ctx, in.LB.LoadBalancerId); err != nil {
			return 0, 0, err
		}
	}
	peakSet, endSet := map[string]bool{}, map[string]bool{}
	for i := range listed {
		id := listed[i].ServerGroupId
		if id == "" || ids[id] {
			continue
		}
		ids[id] = true
		ss, err := r.listServers(ctx, id)
		if err != nil {
			return 0, 0, portErr("listing members of NLB server group "+id, err)
		}
		for _, s := range ss {
			peakSet[s.lbServerKey()], endSet[s.lbServerKey()] = true, true
		}
	}
	for _, s := range specs {
		gone := map[string]bool{}
		for _, x := range s.plan.remove {
			gone[x.key()] = true
		}
		for _, x := range s.actual {
			peakSet[x.lbServerKey()] = true
			if !gone[x.key()] {
				endSet[x.lbServerKey()] = true
			}
		}
		for _, x := range s.plan.add {
			peakSet[x.lbServerKey()], endSet[x.lbServerKey()] = true, true
		}
	}
	return len(peakSet), len(endSet), nil
}

// listenersAfter is the number of listeners the NLB has once the plan
// ran: the Service's, plus the listeners not ours that the Service's
// ports do not take over (a conflicting one either stops the plan or is
// replaced).
func listenersAfter(r *Reconciler, in portsInput, listed []sdknlb.ListenerInfo) int {
	ours := map[string]bool{}
	for i := range in.Cfg.Listeners {
		l := &in.Cfg.Listeners[i]
		ours[string(l.Protocol)+"|"+listenerPortName(l)] = true
	}
	n := len(in.Cfg.Listeners)
	for i := range listed {
		l := &listed[i]
		if r.ownsTags(listenerTags(l), in.Svc) {
			continue
		}
		port := strconv.Itoa(l.ListenerPort)
		if l.StartPort != "" && l.StartPort != "0" {
			port = l.StartPort + "_" + l.EndPort
		}
		if !ours[l.ListenerProtocol+"|"+port] {
			n++
		}
	}
	return n
}
