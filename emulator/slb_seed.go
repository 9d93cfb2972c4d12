package emulator

// Seeding CLBs that belong to someone else: another cluster's CCM, or one
// made by hand in the console, with its own listeners, vServer groups,
// backends and tags. Seeds go through the same validation as the API
// (quotas, addresses, backend checks), but leave the CLB idle (not busy).

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strconv"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// SeedLB describes a pre-existing CLB for SeedLoadBalancer.
type SeedLB struct {
	LoadBalancerID     string `json:"loadBalancerId,omitempty"` // generated when empty
	Name               string `json:"name,omitempty"`
	AddressType        string `json:"addressType,omitempty"` // internet (default without VSwitchID) | intranet
	Address            string `json:"address,omitempty"`     // intranet: fixed VIP; empty = allocated
	VSwitchID          string `json:"vSwitchId,omitempty"`   // required for intranet
	Spec               string `json:"spec,omitempty"`        // default slb.s1.small
	InstanceChargeType string `json:"instanceChargeType,omitempty"`
	InternetChargeType string `json:"internetChargeType,omitempty"`
	Bandwidth          int    `json:"bandwidth,omitempty"`
	DeleteProtection   bool   `json:"deleteProtection,omitempty"`
	// ModificationProtectionReason, when set, turns on ConsoleProtection.
	ModificationProtectionReason string `json:"modificationProtectionReason,omitempty"`
	ResourceGroupID              string `json:"resourceGroupId,omitempty"`
	Tags                         []Tag  `json:"tags,omitempty"`

	VServerGroups []SeedVServerGroup `json:"vServerGroups,omitempty"`
	Listeners     []SeedListener     `json:"listeners,omitempty"`
}

// SeedVServerGroup is a vServer group of a seeded CLB.
type SeedVServerGroup struct {
	VServerGroupID string        `json:"vServerGroupId,omitempty"` // generated when empty
	Name           string        `json:"name"`
	Backends       []SeedBackend `json:"backends,omitempty"`
	Tags           []Tag         `json:"tags,omitempty"`
}

// SeedBackend is a vServer group member; the server must exist in the world
// (ECS instance, ENI with ServerIP, or an ECI ServerIP in the VPC).
type SeedBackend struct {
	ServerID    string `json:"serverId"`
	Type        string `json:"type,omitempty"` // ecs (default) | eni | eci
	ServerIP    string `json:"serverIp,omitempty"`
	Port        int    `json:"port"`
	Weight      *int   `json:"weight,omitempty"` // default 100
	Description string `json:"description,omitempty"`
}

// SeedListener is a listener of a seeded CLB.
type SeedListener struct {
	Protocol          string `json:"protocol"` // tcp | udp | http | https
	Port              int    `json:"port"`
	Status            string `json:"status,omitempty"` // running (default) | stopped
	BackendServerPort int    `json:"backendServerPort,omitempty"`
	// VServerGroup names a SeedVServerGroup by Name or VServerGroupID.
	VServerGroup string `json:"vServerGroup,omitempty"`
	Bandwidth    int    `json:"bandwidth,omitempty"` // default -1 (unlimited)
	// Attributes are further settings by their Describe*ListenerAttribute
	// field names, e.g. {"Scheduler":"rr","HealthCheckInterval":"5",
	// "ServerCertificateId":"..."}.
	Attributes map[string]string `json:"attributes,omitempty"`
	Tags       []Tag             `json:"tags,omitempty"`
}

// SeedLoadBalancer creates a CLB with its vServer groups and listeners as if
// someone else had made it, and returns its ID. It takes the state lock.
func (e *Emulator) SeedLoadBalancer(sl SeedLB) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.slb
	if sl.LoadBalancerID != "" {
		if _, dup := s.lbs[sl.LoadBalancerID]; dup {
			return "", fmt.Errorf("seed CLB %s: already exists", sl.LoadBalancerID)
		}
	}
	seedCall := func(p url.Values) *call {
		return &call{e: e, Product: "Slb", Params: p, Region: e.cfg.Region, AccessKey: "seed", Now: e.clock.Now()}
	}
	p := url.Values{}
	set := func(k, v string) {
		if v != "" {
			p.Set(k, v)
		}
	}
	set("LoadBalancerName", sl.Name)
	set("AddressType", sl.AddressType)
	set("Address", sl.Address)
	set("VSwitchId", sl.VSwitchID)
	set("LoadBalancerSpec", orDefault(sl.Spec, "slb.s1.small"))
	set("InstanceChargeType", sl.InstanceChargeType)
	set("InternetChargeType", sl.InternetChargeType)
	set("ResourceGroupId", sl.ResourceGroupID)
	if sl.Bandwidth > 0 {
		set("Bandwidth", strconv.Itoa(sl.Bandwidth))
	}
	if sl.DeleteProtection {
		set("DeleteProtection", "on")
	}
	if sl.ModificationProtectionReason != "" {
		set("ModificationProtectionStatus", "ConsoleProtection")
		set("ModificationProtectionReason", sl.ModificationProtectionReason)
	}
	setTags(p, sl.Tags)
	out, err := slbCreateLoadBalancer(seedCall(p))
	if err != nil {
		return "", fmt.Errorf("seed CLB %q: %w", sl.Name, err)
	}
	lb := s.lbs[out.(*createLBResponse).LoadBalancerId]
	if sl.LoadBalancerID != "" {
		delete(s.lbs, lb.ID)
		lb.ID = sl.LoadBalancerID
		s.lbs[lb.ID] = lb
	}
	// Any failure below removes the half-seeded CLB again.
	fail := func(err error) (string, error) {
		s.removeLB(lb)
		return "", fmt.Errorf("seed CLB %s: %w", lb.ID, err)
	}
	groupIDs := map[string]string{}
	for _, sg := range sl.VServerGroups {
		gp := url.Values{"LoadBalancerId": {lb.ID}, "VServerGroupName": {sg.Name}}
		// Members go in chunks of the per-call limit.
		chunks := chunkBackends(sg.Backends, e.cfg.Limits.BackendsPerCall)
		if len(chunks) > 0 {
			gp.Set("BackendServers", seedBackendsJSON(chunks[0]))
		}
		setTags(gp, sg.Tags)
		lb.busyUntil = lb.Created // seeds never wait for the busy window
		gout, err := slbCreateVServerGroup(seedCall(gp))
		if err != nil {
			return fail(fmt.Errorf("vServer group %q: %w", sg.Name, err))
		}
		g := s.groups[gout.(*slb.CreateVServerGroupResponse).VServerGroupId]
		for _, ch := range chunks[min(1, len(chunks)):] {
			lb.busyUntil = lb.Created
			ap := url.Values{"VServerGroupId": {g.ID}, "BackendServers": {seedBackendsJSON(ch)}}
			if _, err := slbAddVServerGroupBackendServers(seedCall(ap)); err != nil {
				return fail(fmt.Errorf("vServer group %q: %w", sg.Name, err))
			}
		}
		if sg.VServerGroupID != "" {
			s.rekeyGroup(lb, g, sg.VServerGroupID)
		}
		groupIDs[sg.Name], groupIDs[g.ID] = g.ID, g.ID
	}
	for _, ls := range sl.Listeners {
		if err := s.seedListener(lb, ls, groupIDs, seedCall); err != nil {
			return fail(fmt.Errorf("listener %s:%d: %w", ls.Protocol, ls.Port, err))
		}
	}
	lb.busyUntil = lb.Created
	return lb.ID, nil
}

// seedListener creates one listener of a seeded CLB through the Create
// handler, translating attribute names back to the action's parameter names.
func (s *slbState) seedListener(lb *clb, ls SeedListener, groupIDs map[string]string, seedCall func(url.Values) *call) error {
	reqTypes := map[string]reflect.Type{
		"tcp": reflect.TypeOf(slb.CreateLoadBalancerTCPListenerRequest{}), "udp": reflect.TypeOf(slb.CreateLoadBalancerUDPListenerRequest{}),
		"http": reflect.TypeOf(slb.CreateLoadBalancerHTTPListenerRequest{}), "https": reflect.TypeOf(slb.CreateLoadBalancerHTTPSListenerRequest{}),
	}
	rt, ok := reqTypes[ls.Protocol]
	if !ok {
		return fmt.Errorf("unknown protocol %q", ls.Protocol)
	}
	p := url.Values{"LoadBalancerId": {lb.ID}, "ListenerPort": {strconv.Itoa(ls.Port)}}
	for _, name := range s.attrParams(rt) {
		if v, ok := ls.Attributes[canonAttr(name)]; ok {
			p.Set(name, v)
		}
	}
	if ls.Bandwidth == 0 {
		ls.Bandwidth = -1
	}
	p.Set("Bandwidth", strconv.Itoa(ls.Bandwidth))
	if ls.BackendServerPort > 0 {
		p.Set("BackendServerPort", strconv.Itoa(ls.BackendServerPort))
	}
	if ls.VServerGroup != "" {
		id, ok := groupIDs[ls.VServerGroup]
		if !ok {
			return fmt.Errorf("unknown vServer group %q", ls.VServerGroup)
		}
		p.Set("VServerGroupId", id)
	}
	if (ls.Protocol == "http" || ls.Protocol == "https") && p.Get("HealthCheck") == "" {
		p.Set("HealthCheck", "on")
	}
	setTags(p, ls.Tags)
	lb.busyUntil = lb.Created
	if _, err := slbCreateListener(ls.Protocol, rt)(seedCall(p)); err != nil {
		return err
	}
	if ls.Status != "stopped" {
		lb.listeners[listenerKey{ls.Port, ls.Protocol}].status = "running"
	}
	return nil
}

// rekeyGroup gives a freshly created group the wanted ID.
func (s *slbState) rekeyGroup(lb *clb, g *vgroup, id string) {
	for _, b := range g.Backends {
		s.detach(g, b)
	}
	delete(s.groups, g.ID)
	delete(lb.groups, g.ID)
	g.ID = id
	s.groups[id], lb.groups[id] = g, g
	for _, b := range g.Backends {
		s.attach(g, b)
	}
}

// setTags sets Tag.N.Key and Tag.N.Value, as the tag parameters are sent.
func setTags(p url.Values, tags []Tag) {
	for i, t := range tags {
		n := "Tag." + strconv.Itoa(i+1)
		p.Set(n+".Key", t.Key)
		p.Set(n+".Value", t.Value)
	}
}

func seedBackendsJSON(bs []SeedBackend) string {
	list := make([]map[string]any, len(bs))
	for i, b := range bs {
		m := map[string]any{"ServerId": b.ServerID, "Port": b.Port, "Type": orDefault(b.Type, "ecs")}
		if b.ServerIP != "" {
			m["ServerIp"] = b.ServerIP
		}
		if b.Weight != nil {
			m["Weight"] = *b.Weight
		}
		if b.Description != "" {
			m["Description"] = b.Description
		}
		list[i] = m
	}
	out, _ := json.Marshal(list)
	return string(out)
}

func chunkBackends(bs []SeedBackend, n int) [][]SeedBackend {
	var out [][]SeedBackend
	for len(bs) > 0 {
		k := min(n, len(bs))
		out = append(out, bs[:k])
		bs = bs[k:]
	}
	return out
}
