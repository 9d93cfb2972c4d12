package nlb

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	cloudproviderapi "k8s.io/cloud-provider/api"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/podbackends"
)

// Server types as the NLB API spells them (AddServersToServerGroup
// Servers.N.ServerType,
// https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-addserverstoservergroup).
const (
	serverEcs = "Ecs"
	serverEni = "Eni"
	serverIP  = "Ip"
)

// defaultServerWeight is a member's weight unless default-weight, weight
// or Local endpoint counts say otherwise (the API's default, 0-100).
const defaultServerWeight = 100

// server is one server group member, desired or listed.
type server struct {
	// ID is the ServerId: the ECS instance, the ENI, or the IP of an Ip
	// group's member.
	ID   string
	Type string
	// IP is the ServerIp: the pod IP of an ENI member, the address of an
	// Ip member; the API fills it in for ECS members, so it is not part of
	// their identity.
	IP          string
	Port        int
	Weight      int
	Description string
}

// key is a member's identity in its group (the API's duplicate rule:
// ServerId, ServerIp and Port).
func (s server) key() string {
	ip := s.IP
	if s.Type == serverEcs {
		ip = ""
	}
	return s.Type + "|" + s.ID + "|" + ip + "|" + strconv.Itoa(s.Port)
}

// The loadbalancer.Member methods of the member diff.
func (s server) MemberKey() string         { return s.key() }
func (s server) MemberWeight() int         { return s.Weight }
func (s server) MemberDescription() string { return s.Description }
func (s server) WithWeight(w int) server   { s.Weight = w; return s }

// ForUpdate keeps the listed ServerIp when the desired member has none
// (ECS members: the API fills it in).
func (s server) ForUpdate(listed server) server {
	if s.IP == "" {
		s.IP = listed.IP
	}
	return s
}

func (s server) String() string { return fmt.Sprintf("%s/%s:%d(w%d)", s.Type, s.ID, s.Port, s.Weight) }

// listedServer reads a member as ListServerGroupServers shows it.
func listedServer(s sdknlb.Server) server {
	return server{ID: s.ServerId, Type: s.ServerType, IP: s.ServerIp, Port: s.Port, Weight: s.Weight, Description: s.Description}
}

// serverDescription marks the members this Service put into a server
// group: in a user's group (vgroup-port) it is the only proof which
// members are ours, since members carry no tags.
func serverDescription(svc *v1.Service, clusterID string) string {
	return truncate(sanitize("k8s."+svc.Name+"."+svc.Namespace+"."+clusterID, descriptionChars), maxDescriptionLen)
}

// ownsServer says which members of a server group svc may change: those
// whose description proves them svc's in this cluster, ours
// (serverDescription) or the official CCM's (the server group's named key
// k8s.<port>.<PROTOCOL>.<service>.<namespace>.<cluster>, so members it put
// into a user's group before a migration are taken over and, once not
// wanted, removed). Any other member, in the user's groups of vgroup-port
// and in ours alike (one added by hand), is never removed or changed, as
// the CLB engine and the official CCM keep backends whose description is
// not the Service's.
func (r *Reconciler) ownsServer(svc *v1.Service) func(server) bool {
	desc := serverDescription(svc, r.opts.ClusterID)
	return func(s server) bool {
		if s.Description == desc {
			return true
		}
		p := strings.Split(s.Description, ".")
		return len(p) == 6 && p[0] == "k8s" && p[3] == svc.Name && p[4] == svc.Namespace && p[5] == r.opts.ClusterID
	}
}

// portMembers are the desired members of every listener of the Service,
// by listener index, computed once per reconcile so the ENI lookup is one
// batched call for the whole Service.
type portMembers struct {
	servers [][]server
	// incomplete: some pods of the listener have no ENI yet; the desired
	// list is not the whole truth and no member may be removed.
	incomplete []bool
}

// buildMembers computes the desired members of every listener: from the
// endpoints source when the endpoints controller installed one (Local
// weights by endpoint count, ENI and Ip pod members, weight 0 while
// draining), else from the framework's nodes.
func (r *Reconciler) buildMembers(ctx context.Context, in portsInput) (*portMembers, error) {
	cfg := in.Cfg
	src := r.opts.PodBackends.Source()
	if src == nil {
		if podBacked(cfg) && cfg.ServerGroup.Type != annotations.NLBServerGroupIP {
			return nil, fmt.Errorf("service %s/%s: ENI backends need the endpoints controller, which is not running (see --controllers)", in.Svc.Namespace, in.Svc.Name)
		}
		return r.nodeMembers(in), nil
	}
	if !src.Synced() {
		return nil, cloudproviderapi.NewRetryError("endpoint and node caches are not synced yet", portRetryAfter)
	}
	return r.podMembers(ctx, in, src)
}

// podBacked reports whether the Service's members are pods (backend-type
// eni) rather than nodes.
func podBacked(cfg *annotations.NLBConfig) bool { return cfg.Backend.Type == annotations.BackendENI }

// nodeMembers puts every eligible node (loadbalancer.EligibleNodes: no
// virtual, non-ECS, excluded, unlabelled or cordoned nodes) on each
// listener's NodePort, weighted as podbackends weighs Cluster members.
// Local without the endpoints source also gets every node: the server
// group's health check on healthCheckNodePort takes nodes without local
// endpoints out (groupAttrsFor).
func (r *Reconciler) nodeMembers(in portsInput) *portMembers {
	cfg := in.Cfg
	cands := loadbalancer.EligibleNodes(in.Nodes, &cfg.Backend)
	if len(cands) == 0 {
		r.events.Eventf(in.Svc, v1.EventTypeWarning, loadbalancer.ReasonNoBackends,
			"There are no eligible nodes (of %d nodes: virtual-kubelet, non-ECS, excluded, backend-label or cordoned nodes are left out)", len(in.Nodes))
	}
	nodes := map[string]podbackends.Node{}
	byName := map[string]*v1.Node{}
	for _, c := range cands {
		nodes[c.Node.Name] = podbackends.Node{Name: c.Node.Name, InstanceID: c.InstanceID}
		byName[c.Node.Name] = c.Node
	}
	pm := &portMembers{servers: make([][]server, len(cfg.Listeners)), incomplete: make([]bool, len(cfg.Listeners))}
	for i := range cfg.Listeners {
		l := &cfg.Listeners[i]
		ms := podbackends.Members(podbackends.Params{Policy: podbackends.PolicyCluster, DefaultWeight: defaultWeightOf(cfg),
			NodePort: int(l.NodePort), Nodes: nodes, TotalWeight: cfg.SharedWeight()})
		pm.servers[i] = r.toServers(in, l, ms, byName, podbackends.Resolution{})
	}
	return pm
}

// podMembers computes the members from EndpointSlices and the cached
// Nodes (podbackends.Members), resolving pod IPs to ENIs for Instance
// groups in one batched lookup.
func (r *Reconciler) podMembers(ctx context.Context, in portsInput, src loadbalancer.PodBackendSource) (*portMembers, error) {
	cfg, svc := in.Cfg, in.Svc
	drain, err := annotations.ParseDrain(svc)
	if err != nil {
		r.events.Eventf(svc, v1.EventTypeWarning, loadbalancer.ReasonInvalidAnnotation, "%v", err)
		return nil, fmt.Errorf("service %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	slices, err := src.EndpointSlices(svc)
	if err != nil {
		return nil, err
	}
	policy := podbackends.PolicyCluster
	switch {
	case podBacked(cfg):
		policy = podbackends.PolicyENI
	case cfg.Backend.Local():
		policy = podbackends.PolicyLocal
	}
	// Local and ENI read only their endpoints' nodes (loadbalancer.PodNodes).
	all, err := loadbalancer.PodNodes(src, svc, slices, policy)
	if err != nil {
		return nil, err
	}
	cands := loadbalancer.CandidateNodes(all, &cfg.Backend, drain)
	byName := make(map[string]*v1.Node, len(all))
	for _, n := range all {
		byName[n.Name] = n
	}
	family := discoveryv1.AddressTypeIPv4
	if cfg.Backend.IPVersion == annotations.IPv6 {
		family = discoveryv1.AddressTypeIPv6
	}
	members := make([][]podbackends.Member, len(cfg.Listeners))
	var ips []string
	for i := range cfg.Listeners {
		l := &cfg.Listeners[i]
		sp, ok := servicePortOf(svc, l)
		if !ok {
			continue
		}
		members[i] = podbackends.Members(podbackends.Params{Policy: policy, DefaultWeight: defaultWeightOf(cfg), NodePort: int(l.NodePort),
			Nodes: cands, Endpoints: podbackends.ForPort(svc, sp, slices, family), TotalWeight: cfg.SharedWeight()})
		if cfg.ServerGroup.Type == annotations.NLBServerGroupIP {
			continue // Ip groups take pod IPs as they are
		}
		for _, m := range members[i] {
			if m.IsPod() {
				ips = append(ips, m.IP)
			}
		}
	}
	res := podbackends.Resolution{ENI: map[string]string{}}
	if len(ips) > 0 {
		if res, err = src.Resolve(ctx, ips); err != nil {
			return nil, fmt.Errorf("service %s/%s: %w", svc.Namespace, svc.Name, err)
		}
	}
	if len(res.Outside) > 0 {
		r.events.Eventf(svc, v1.EventTypeNormal, loadbalancer.ReasonOverlayPodSkipped,
			"Pod IPs %s are outside the VPC (overlay network) and cannot be NLB backends; skipped", strings.Join(res.Outside, ","))
	}
	if len(res.Missing) > 0 {
		r.events.Eventf(svc, v1.EventTypeWarning, loadbalancer.ReasonENIUnresolved,
			"No ENI found for pod IPs %s inside the VPC; members of the affected server groups are kept (nothing removed) and the sync is retried", strings.Join(res.Missing, ","))
	}
	missing := map[string]bool{}
	for _, ip := range res.Missing {
		missing[ip] = true
	}
	pm := &portMembers{servers: make([][]server, len(cfg.Listeners)), incomplete: make([]bool, len(cfg.Listeners))}
	total := 0
	for i := range cfg.Listeners {
		pm.servers[i] = r.toServers(in, &cfg.Listeners[i], members[i], byName, res)
		for _, m := range members[i] {
			if m.IsPod() && missing[m.IP] {
				pm.incomplete[i] = true
			}
		}
		total += len(pm.servers[i])
	}
	if total == 0 && len(cfg.Listeners) > 0 {
		r.events.Eventf(svc, v1.EventTypeWarning, loadbalancer.ReasonNoBackends, "There are no backends for the NLB of this Service (no eligible nodes or no ready endpoints)")
	}
	return pm, nil
}

// toServers turns members into server group members of the listener's
// group type: nodes as Ecs members on the NodePort (Instance groups) or
// their internal IP (Ip groups); pods as Eni members with their resolved
// ENI (Instance groups) or as Ip members. Members of a port-range
// listener's all-port group have port 0 (the client's port is kept).
func (r *Reconciler) toServers(in portsInput, l *annotations.NLBListener, ms []podbackends.Member, nodes map[string]*v1.Node, res podbackends.Resolution) []server {
	ipGroup := in.Cfg.ServerGroup.Type == annotations.NLBServerGroupIP
	desc := serverDescription(in.Svc, r.opts.ClusterID)
	out := make([]server, 0, len(ms))
	for _, m := range ms {
		s := server{Port: m.Port, Weight: m.Weight, Description: desc}
		switch {
		case !m.IsPod() && !ipGroup:
			s.ID, s.Type = m.InstanceID, serverEcs
		case !m.IsPod():
			ip := internalIP(nodes[m.NodeName])
			if ip == "" {
				klog.V(2).InfoS("Node has no internal IP; not an Ip server group member", "node", m.NodeName)
				continue
			}
			s.ID, s.IP, s.Type = ip, ip, serverIP
		case ipGroup:
			s.ID, s.IP, s.Type = m.IP, m.IP, serverIP
		case res.ENI[m.IP] != "":
			s.ID, s.IP, s.Type = res.ENI[m.IP], m.IP, serverEni
		default:
			continue // outside the VPC, or no ENI yet (incomplete)
		}
		if l.PortRange != nil {
			s.Port = 0
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key() < out[j].key() })
	return out
}

// internalIP is a node's first InternalIP address, "" when it has none.
func internalIP(n *v1.Node) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Status.Addresses {
		if a.Type == v1.NodeInternalIP {
			return a.Address
		}
	}
	return ""
}

// defaultWeightOf is default-weight, else the API's default 100.
func defaultWeightOf(cfg *annotations.NLBConfig) int {
	if cfg.Backend.DefaultWeight != nil {
		return *cfg.Backend.DefaultWeight
	}
	return defaultServerWeight
}

// servicePortOf finds the ServicePort behind an NLB listener: the same
// port and transport (UDP for UDP listeners, TCP for TCP and TCPSSL).
func servicePortOf(svc *v1.Service, l *annotations.NLBListener) (v1.ServicePort, bool) {
	return loadbalancer.ServicePortFor(svc, l.Port, l.Protocol == annotations.NLBProtocolUDP)
}

// serverPlan is the diff of one group's members.
type serverPlan struct {
	add, remove, update []server
}

func (p serverPlan) empty() bool { return len(p.add)+len(p.remove)+len(p.update) == 0 }

// diffServers is the member diff (loadbalancer.DiffMembers) of a server
// group.
func diffServers(desired, actual []server, owned func(server) bool, ignoreWeight bool) serverPlan {
	p := loadbalancer.DiffMembers(desired, actual, owned, ignoreWeight)
	return serverPlan{add: p.Add, remove: p.Remove, update: p.Update}
}

// applyServers runs one group's plan: adds first, so the group never
// loses capacity while members are swapped, then removals, then weight
// and description updates. The group is busy while each call's job runs,
// so each step starts only when the previous one's job has ended (one
// job check, no waiting); otherwise the rest waits for the next reconcile,
// which lists the members again and sends only what is still missing.
func (r *Reconciler) applyServers(ctx context.Context, jt *portJobs, groupID string, p serverPlan) error {
	if p.empty() {
		return nil
	}
	klog.V(2).InfoS("Updating NLB server group members", "group", groupID, "add", len(p.add), "remove", len(p.remove), "update", len(p.update))
	steps := []struct {
		n   int
		run func() ([]string, error)
	}{
		{len(p.add), func() ([]string, error) { return r.api.AddServers(ctx, groupID, addServersItems(p.add)) }},
		{len(p.remove), func() ([]string, error) { return r.api.RemoveServers(ctx, groupID, removeServersItems(p.remove)) }},
		{len(p.update), func() ([]string, error) { return r.api.UpdateServers(ctx, groupID, updateServersItems(p.update)) }},
	}
	for _, s := range steps {
		if s.n == 0 {
			continue
		}
		if ok, err := jt.idle(ctx, groupID); err != nil || !ok {
			return err
		}
		jobs, err := s.run()
		jt.add(groupID, jobs...)
		if err != nil {
			return jt.absorb(fmt.Sprintf("members of NLB server group %s", groupID), err)
		}
	}
	return nil
}

// addServersItems renders AddServersToServerGroup's Servers.
func addServersItems(ss []server) []sdknlb.AddServersToServerGroupServers {
	out := make([]sdknlb.AddServersToServerGroupServers, 0, len(ss))
	for _, s := range ss {
		out = append(out, sdknlb.AddServersToServerGroupServers{ServerId: s.ID, ServerType: s.Type, ServerIp: s.IP,
			Port: strconv.Itoa(s.Port), Weight: strconv.Itoa(s.Weight), Description: s.Description})
	}
	return out
}

// removeServersItems renders RemoveServersFromServerGroup's Servers: the
// identity only.
func removeServersItems(ss []server) []sdknlb.RemoveServersFromServerGroupServers {
	out := make([]sdknlb.RemoveServersFromServerGroupServers, 0, len(ss))
	for _, s := range ss {
		out = append(out, sdknlb.RemoveServersFromServerGroupServers{ServerId: s.ID, ServerType: s.Type, ServerIp: s.IP, Port: strconv.Itoa(s.Port)})
	}
	return out
}

// updateServersItems renders UpdateServerGroupServersAttribute's Servers.
func updateServersItems(ss []server) []sdknlb.UpdateServerGroupServersAttributeServers {
	out := make([]sdknlb.UpdateServerGroupServersAttributeServers, 0, len(ss))
	for _, s := range ss {
		out = append(out, sdknlb.UpdateServerGroupServersAttributeServers{ServerId: s.ID, ServerType: s.Type, ServerIp: s.IP,
			Port: strconv.Itoa(s.Port), Weight: strconv.Itoa(s.Weight), Description: s.Description})
	}
	return out
}

// listServers reads a group's members.
func (r *Reconciler) listServers(ctx context.Context, groupID string) ([]server, error) {
	ss, err := r.api.ListAllServerGroupServers(ctx, groupID)
	if err != nil {
		return nil, err
	}
	out := make([]server, 0, len(ss))
	for _, s := range ss {
		out = append(out, listedServer(s))
	}
	return out, nil
}
