package emulator

// Seeding NLB resources that already exist (SeedState.NLBServerGroups and
// SeedState.NLBs, e.g. another cluster's NLB with its listeners and server
// groups) and showing NLB state in GET /state (Dump). Seeds go through the
// API handlers' validation but are idle at once (no running job).

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// SeedNLB is a pre-existing NLB.
type SeedNLB struct {
	LoadBalancerID     string            `json:"loadBalancerId,omitempty"` // generated when empty
	Name               string            `json:"name,omitempty"`
	AddressType        string            `json:"addressType,omitempty"`      // Internet (default) | Intranet
	AddressIPVersion   string            `json:"addressIpVersion,omitempty"` // ipv4 (default) | DualStack
	IPv6AddressType    string            `json:"ipv6AddressType,omitempty"`  // DualStack: Intranet (default) | Internet
	ResourceGroupID    string            `json:"resourceGroupId,omitempty"`  // rg-default when empty
	VpcID              string            `json:"vpcId"`
	Zones              []SeedNLBZone     `json:"zones"`
	DeletionProtection bool              `json:"deletionProtection,omitempty"`
	SecurityGroupIDs   []string          `json:"securityGroupIds,omitempty"`
	Tags               []Tag             `json:"tags,omitempty"`
	Listeners          []SeedNLBListener `json:"listeners,omitempty"`
}

// SeedNLBZone is a zone mapping of a seeded NLB.
type SeedNLBZone struct {
	ZoneID       string `json:"zoneId"`
	VSwitchID    string `json:"vSwitchId"`
	PrivateIP    string `json:"privateIPv4Address,omitempty"`
	AllocationID string `json:"allocationId,omitempty"`
}

// SeedNLBListener is a listener of a seeded NLB.
type SeedNLBListener struct {
	Protocol       string   `json:"protocol"` // TCP | UDP | TCPSSL
	Port           int      `json:"port"`     // 0 with StartPort/EndPort: a port range
	StartPort      int      `json:"startPort,omitempty"`
	EndPort        int      `json:"endPort,omitempty"`
	ServerGroupID  string   `json:"serverGroupId"` // a seeded or existing server group
	Description    string   `json:"description,omitempty"`
	CertificateIDs []string `json:"certificateIds,omitempty"`
	Stopped        bool     `json:"stopped,omitempty"`
	Tags           []Tag    `json:"tags,omitempty"`
}

// SeedNLBServerGroup is a pre-existing NLB server group with its members.
type SeedNLBServerGroup struct {
	ServerGroupID    string          `json:"serverGroupId,omitempty"` // generated when empty
	Name             string          `json:"name"`
	Type             string          `json:"type,omitempty"`     // Instance (default) | Ip
	Protocol         string          `json:"protocol,omitempty"` // TCP (default) | UDP | TCP_UDP
	VpcID            string          `json:"vpcId"`
	AnyPort          bool            `json:"anyPortEnabled,omitempty"`
	PreserveClientIP *bool           `json:"preserveClientIpEnabled,omitempty"` // default true, as the API
	HealthCheckPort  int             `json:"healthCheckConnectPort,omitempty"`  // required with anyPortEnabled
	Servers          []SeedNLBServer `json:"servers,omitempty"`
	Tags             []Tag           `json:"tags,omitempty"`
}

// SeedNLBServer is a member of a seeded server group.
type SeedNLBServer struct {
	ServerID    string `json:"serverId"`
	Type        string `json:"serverType"` // Ecs | Eni | Eci | Ip
	ServerIP    string `json:"serverIp,omitempty"`
	Port        int    `json:"port,omitempty"`
	Weight      *int   `json:"weight,omitempty"` // default 100
	Description string `json:"description,omitempty"`
}

// seedNLB loads server groups, then NLBs with their listeners. The caller
// holds the state lock.
func (e *Emulator) seedNLB(groups []SeedNLBServerGroup, lbs []SeedNLB) error {
	s := e.nlb
	run := func(action string, h handler, p url.Values) (any, error) {
		c := &call{e: e, Product: "Nlb", Action: action, Params: p, Region: e.cfg.Region, AccessKey: "seed", Now: e.clock.Now()}
		before := len(s.jobOrder)
		out, err := h(c)
		for _, jid := range s.jobOrder[min(before, len(s.jobOrder)):] { // seeds are idle at once
			for id, j := range s.locks {
				if j.ID == jid {
					delete(s.locks, id)
				}
			}
		}
		return out, err
	}
	for _, sg := range groups {
		p := url.Values{"ServerGroupName": {sg.Name}, "VpcId": {sg.VpcID}, "ServerGroupType": {orDefault(sg.Type, "Instance")},
			"Protocol": {orDefault(sg.Protocol, "TCP")}, "AnyPortEnabled": {strconv.FormatBool(sg.AnyPort)},
			"HealthCheckConfig.HealthCheckConnectPort": {strconv.Itoa(sg.HealthCheckPort)}}
		if sg.PreserveClientIP != nil {
			p.Set("PreserveClientIpEnabled", strconv.FormatBool(*sg.PreserveClientIP))
		}
		setTags(p, sg.Tags)
		if sg.ServerGroupID != "" && s.groups[sg.ServerGroupID] != nil {
			return fmt.Errorf("seed NLB server group %s: already exists", sg.ServerGroupID)
		}
		out, err := run("CreateServerGroup", nlbCreateServerGroup, p)
		if err != nil {
			return fmt.Errorf("seed NLB server group %q: %w", sg.Name, err)
		}
		g := s.groups[out.(*nlb.CreateServerGroupResponse).ServerGroupId]
		if sg.ServerGroupID != "" {
			delete(s.groups, g.ID)
			g.ID = sg.ServerGroupID
			s.groups[g.ID] = g
		}
		for i := 0; i < len(sg.Servers); i += e.cfg.Limits.NLBServersPerCall {
			p := url.Values{"ServerGroupId": {g.ID}}
			for k, sv := range sg.Servers[i:min(i+e.cfg.Limits.NLBServersPerCall, len(sg.Servers))] {
				pre := "Servers." + strconv.Itoa(k+1) + "."
				p.Set(pre+"ServerId", sv.ServerID)
				p.Set(pre+"ServerType", sv.Type)
				p.Set(pre+"Port", strconv.Itoa(sv.Port))
				if sv.ServerIP != "" {
					p.Set(pre+"ServerIp", sv.ServerIP)
				}
				if sv.Weight != nil {
					p.Set(pre+"Weight", strconv.Itoa(*sv.Weight))
				}
				if sv.Description != "" {
					p.Set(pre+"Description", sv.Description)
				}
			}
			if _, err := run("AddServersToServerGroup", nlbAddServersToServerGroup, p); err != nil {
				return fmt.Errorf("seed NLB server group %q members: %w", sg.Name, err)
			}
		}
	}
	for _, sl := range lbs {
		if err := e.seedOneNLB(sl, run); err != nil {
			return fmt.Errorf("seed NLB %q: %w", sl.Name, err)
		}
	}
	return nil
}

func (e *Emulator) seedOneNLB(sl SeedNLB, run func(string, handler, url.Values) (any, error)) error {
	s := e.nlb
	if sl.LoadBalancerID != "" && s.lbs[sl.LoadBalancerID] != nil {
		return fmt.Errorf("%s already exists", sl.LoadBalancerID)
	}
	p := url.Values{"AddressType": {orDefault(sl.AddressType, "Internet")}, "VpcId": {sl.VpcID},
		"DeletionProtectionConfig.Enabled": {strconv.FormatBool(sl.DeletionProtection)}}
	if sl.Name != "" {
		p.Set("LoadBalancerName", sl.Name)
	}
	if sl.AddressIPVersion != "" {
		p.Set("AddressIpVersion", sl.AddressIPVersion)
	}
	if sl.ResourceGroupID != "" {
		p.Set("ResourceGroupId", sl.ResourceGroupID)
	}
	for i, z := range sl.Zones {
		pre := "ZoneMappings." + strconv.Itoa(i+1) + "."
		p.Set(pre+"ZoneId", z.ZoneID)
		p.Set(pre+"VSwitchId", z.VSwitchID)
		if z.PrivateIP != "" {
			p.Set(pre+"PrivateIPv4Address", z.PrivateIP)
		}
		if z.AllocationID != "" {
			p.Set(pre+"AllocationId", z.AllocationID)
		}
	}
	setTags(p, sl.Tags)
	out, err := run("CreateLoadBalancer", nlbCreateLoadBalancer, p)
	if err != nil {
		return err
	}
	lb := s.lbs[out.(*nlb.CreateLoadBalancerResponse).LoadbalancerId]
	if sl.LoadBalancerID != "" {
		delete(s.lbs, lb.ID)
		lb.ID = sl.LoadBalancerID
		s.lbs[lb.ID] = lb
		for _, z := range lb.Zones {
			if eip := e.vpc.eips[z.AllocationID]; eip != nil {
				eip.InstanceID = lb.ID
			}
		}
	}
	lb.SecurityGroups = append([]string(nil), sl.SecurityGroupIDs...)
	switch sl.IPv6AddressType {
	case "", "Intranet":
	case "Internet":
		if lb.IPVersion != "DualStack" {
			return fmt.Errorf("ipv6AddressType Internet needs addressIpVersion DualStack")
		}
		lb.IPv6Internet = true
	default:
		return fmt.Errorf("ipv6AddressType %q: want Internet or Intranet", sl.IPv6AddressType)
	}
	for _, ls := range sl.Listeners {
		p := url.Values{"LoadBalancerId": {lb.ID}, "ListenerProtocol": {ls.Protocol}, "ListenerPort": {strconv.Itoa(ls.Port)},
			"ServerGroupId": {ls.ServerGroupID}}
		if ls.Port == 0 {
			p.Set("StartPort", strconv.Itoa(ls.StartPort))
			p.Set("EndPort", strconv.Itoa(ls.EndPort))
		}
		if ls.Description != "" {
			p.Set("ListenerDescription", ls.Description)
		}
		for i, cert := range ls.CertificateIDs {
			p.Set("CertificateIds."+strconv.Itoa(i+1), cert)
		}
		setTags(p, ls.Tags)
		out, err := run("CreateListener", nlbCreateListener, p)
		if err != nil {
			return fmt.Errorf("listener %s:%d: %w", ls.Protocol, ls.Port, err)
		}
		s.listeners[out.(*nlb.CreateListenerResponse).ListenerId].Stopped = ls.Stopped
	}
	return nil
}

// nlbDump returns a JSON-friendly snapshot of every NLB resource as of now,
// in the shapes the List*/Get* answers use. The caller holds the state lock.
func (e *Emulator) nlbDump(now time.Time) any {
	s := e.nlb
	s.sweep(now)
	c := &call{e: e, Product: "Nlb", Region: e.cfg.Region, Now: now}
	type lbDump struct {
		LoadBalancer any   `json:"loadBalancer"`
		Listeners    []any `json:"listeners"`
	}
	lbIDs := make([]string, 0, len(s.lbs))
	for id := range s.lbs {
		lbIDs = append(lbIDs, id)
	}
	lbs := []lbDump{}
	for _, id := range bySeq(lbIDs, func(id string) uint64 { return s.lbs[id].seq }) {
		d := lbDump{LoadBalancer: s.lbInfo(c, s.lbs[id]), Listeners: []any{}}
		for _, l := range s.lbListeners(id) {
			d.Listeners = append(d.Listeners, s.listenerInfo(c, l))
		}
		lbs = append(lbs, d)
	}
	groups := []any{}
	for _, g := range s.sortedGroups() {
		groups = append(groups, map[string]any{"serverGroup": s.groupInfo(c, g), "servers": s.serverViews(g)})
	}
	running := []any{}
	for _, id := range s.jobOrder {
		if j, ok := s.jobs[id]; ok && j.End.After(now) {
			running = append(running, map[string]any{"jobId": j.ID, "action": j.Action, "resources": j.Resources, "end": j.End, "failing": j.Failed})
		}
	}
	return map[string]any{"loadBalancers": lbs, "serverGroups": groups, "runningJobs": running}
}
