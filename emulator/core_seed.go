package emulator

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// SeedRouteTable is a route table to seed. The system table of each VPC is
// created automatically; seed custom tables here (Type "Custom").
type SeedRouteTable struct {
	RouteTableID string   `json:"routeTableId,omitempty"` // generated when empty
	VpcID        string   `json:"vpcId"`
	Type         string   `json:"type,omitempty"` // Custom (default) or System
	Name         string   `json:"name,omitempty"`
	VSwitchIDs   []string `json:"vSwitchIds,omitempty"` // associated vSwitches
}

// SeedRouteEntry is a pre-existing custom route entry, e.g. one owned by
// someone else (another next hop) that a client must leave alone.
type SeedRouteEntry struct {
	RouteEntryID         string `json:"routeEntryId,omitempty"`
	RouteTableID         string `json:"routeTableId,omitempty"` // "" = the VPC's system table
	VpcID                string `json:"vpcId,omitempty"`        // used when RouteTableID is ""
	DestinationCidrBlock string `json:"destinationCidrBlock"`
	NextHopType          string `json:"nextHopType,omitempty"` // Instance (default)
	NextHopID            string `json:"nextHopId"`
	Name                 string `json:"name,omitempty"`
	Description          string `json:"description,omitempty"`
	Status               string `json:"status,omitempty"` // Available (default) or Pending
}

// SeedState is a world to load with Seed or POST /seed. Seeding adds to the
// existing state (an existing ID is replaced).
type SeedState struct {
	Region       string           `json:"region,omitempty"` // must match the emulator's region when set
	Zones        []string         `json:"zones,omitempty"`
	VPCs         []VPC            `json:"vpcs,omitempty"`
	VSwitches    []VSwitch        `json:"vswitches,omitempty"`
	RouteTables  []SeedRouteTable `json:"routeTables,omitempty"`
	RouteEntries []SeedRouteEntry `json:"routeEntries,omitempty"`
	Instances    []Instance       `json:"instances,omitempty"`
	ENIs         []ENI            `json:"enis,omitempty"`
	EIPs         []EIP            `json:"eips,omitempty"`
	Certificates []Certificate    `json:"certificates,omitempty"`
	// SecurityGroups are ECS security groups (a user's, for an NLB to join).
	SecurityGroups []SecurityGroup `json:"securityGroups,omitempty"`
	// NLBServerGroups and NLBs are pre-existing NLB resources (someone
	// else's, or ours from before a restart); see nlb_seed.go.
	NLBServerGroups []SeedNLBServerGroup `json:"nlbServerGroups,omitempty"`
	NLBs            []SeedNLB            `json:"nlbs,omitempty"`
}

// Seed loads resources; it checks references (a vSwitch's VPC, an
// instance's vSwitch, ...) and fills defaults (system route table, primary
// ENI, MAC addresses).
func (e *Emulator) Seed(s SeedState) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s.Region != "" && s.Region != e.cfg.Region {
		return fmt.Errorf("seed: region %q differs from emulator region %q", s.Region, e.cfg.Region)
	}
	for _, z := range s.Zones {
		if !contains(e.zones, z) {
			e.zones = append(e.zones, z)
		}
	}
	for _, v := range s.VPCs {
		if err := e.seedVPC(v); err != nil {
			return fmt.Errorf("seed vpc %s: %w", v.VpcID, err)
		}
	}
	for _, v := range s.VSwitches {
		if err := e.seedVSwitch(v); err != nil {
			return fmt.Errorf("seed vswitch %s: %w", v.VSwitchID, err)
		}
	}
	for _, t := range s.RouteTables {
		if err := e.seedRouteTable(t); err != nil {
			return fmt.Errorf("seed route table %s: %w", t.RouteTableID, err)
		}
	}
	for _, ip := range s.EIPs {
		cp := ip
		if cp.AllocationID == "" {
			cp.AllocationID = e.nextID("eip-")
		}
		if cp.Status == "" {
			cp.Status = "Available"
			if cp.InstanceID != "" {
				cp.Status = "InUse"
			}
		}
		e.vpc.eips[cp.AllocationID] = &cp
	}
	for _, in := range s.Instances {
		if err := e.addInstance(in); err != nil {
			return fmt.Errorf("seed instance %s: %w", in.InstanceID, err)
		}
	}
	for _, n := range s.ENIs {
		if err := e.addENI(n); err != nil {
			return fmt.Errorf("seed eni %s: %w", n.NetworkInterfaceID, err)
		}
	}
	for _, r := range s.RouteEntries {
		if err := e.seedRouteEntry(r); err != nil {
			return fmt.Errorf("seed route entry %s: %w", r.DestinationCidrBlock, err)
		}
	}
	for _, c := range s.Certificates {
		cp := c
		if cp.ServerCertificateID == "" {
			return fmt.Errorf("seed certificate %q: serverCertificateId is required", c.ServerCertificateName)
		}
		e.slb.serverCerts[cp.ServerCertificateID] = &cp
	}
	for _, g := range s.SecurityGroups {
		if _, err := e.addSecurityGroup(g); err != nil {
			return fmt.Errorf("seed security group %s: %w", g.SecurityGroupID, err)
		}
	}
	return e.seedNLB(s.NLBServerGroups, s.NLBs)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (e *Emulator) seedVPC(v VPC) error {
	if v.VpcID == "" {
		v.VpcID = e.nextID("vpc-")
	}
	if _, err := netip.ParsePrefix(v.CidrBlock); err != nil {
		return fmt.Errorf("cidrBlock %q: %w", v.CidrBlock, err)
	}
	if v.VRouterID == "" {
		v.VRouterID = e.nextID("vrt-")
	}
	old, exists := e.vpc.vpcs[v.VpcID]
	if exists {
		v.RouteTables = old.RouteTables
	} else {
		// Every VPC has one system route table, created with the VPC
		// (https://www.alibabacloud.com/help/en/vpc/user-guide/route-table-overview).
		// A seed may name the system table (first RouteTables element).
		sysID := ""
		if len(v.RouteTables) > 0 {
			sysID = v.RouteTables[0]
		}
		if sysID == "" {
			sysID = e.nextID("vtb-")
		}
		sys := &routeTable{ID: sysID, VpcID: v.VpcID, RouterID: v.VRouterID, Type: "System", created: e.clock.Now()}
		e.vpc.routeTables[sys.ID] = sys
		v.RouteTables = []string{sys.ID}
	}
	e.vpc.vpcs[v.VpcID] = &v
	return nil
}

func (e *Emulator) seedVSwitch(v VSwitch) error {
	vpc, ok := e.vpc.vpcs[v.VpcID]
	if !ok {
		return fmt.Errorf("unknown vpc %q", v.VpcID)
	}
	if v.VSwitchID == "" {
		v.VSwitchID = e.nextID("vsw-")
	}
	p, err := netip.ParsePrefix(v.CidrBlock)
	if err != nil {
		return fmt.Errorf("cidrBlock %q: %w", v.CidrBlock, err)
	}
	if vp, _ := netip.ParsePrefix(vpc.CidrBlock); !vp.Contains(p.Addr()) || p.Bits() < vp.Bits() {
		return fmt.Errorf("cidrBlock %s is not inside vpc cidr %s", v.CidrBlock, vpc.CidrBlock)
	}
	if v.ZoneID != "" && !contains(e.zones, v.ZoneID) {
		e.zones = append(e.zones, v.ZoneID)
	}
	if v.RouteTableID != "" {
		t, ok := e.vpc.routeTables[v.RouteTableID]
		if !ok || t.VpcID != v.VpcID {
			return fmt.Errorf("route table %q not in vpc %s", v.RouteTableID, v.VpcID)
		}
		if !contains(t.VSwitches, v.VSwitchID) {
			t.VSwitches = append(t.VSwitches, v.VSwitchID)
		}
	}
	e.vpc.vswitches[v.VSwitchID] = &v
	return nil
}

func (e *Emulator) seedRouteTable(s SeedRouteTable) error {
	vpc, ok := e.vpc.vpcs[s.VpcID]
	if !ok {
		return fmt.Errorf("unknown vpc %q", s.VpcID)
	}
	if s.RouteTableID == "" {
		s.RouteTableID = e.nextID("vtb-")
	}
	if s.Type == "" {
		s.Type = "Custom"
	}
	t := &routeTable{ID: s.RouteTableID, VpcID: s.VpcID, RouterID: vpc.VRouterID, Type: s.Type, Name: s.Name, created: e.clock.Now()}
	if old, ok := e.vpc.routeTables[s.RouteTableID]; ok {
		t.entries = old.entries
	} else {
		vpc.RouteTables = append(vpc.RouteTables, t.ID)
	}
	e.vpc.routeTables[t.ID] = t
	for _, id := range s.VSwitchIDs {
		vs, ok := e.vpc.vswitches[id]
		if !ok || vs.VpcID != s.VpcID {
			return fmt.Errorf("vswitch %q not in vpc %s", id, s.VpcID)
		}
		vs.RouteTableID = t.ID
		t.VSwitches = append(t.VSwitches, id)
	}
	return nil
}

func (e *Emulator) seedRouteEntry(s SeedRouteEntry) error {
	id := s.RouteTableID
	if id == "" {
		vpc, ok := e.vpc.vpcs[s.VpcID]
		if !ok {
			return fmt.Errorf("unknown vpc %q and no routeTableId", s.VpcID)
		}
		id = vpc.RouteTables[0]
	}
	t, ok := e.vpc.routeTables[id]
	if !ok {
		return fmt.Errorf("unknown route table %q", id)
	}
	p, err := parseRouteCIDR(s.DestinationCidrBlock)
	if err != nil {
		return err
	}
	if s.RouteEntryID == "" {
		s.RouteEntryID = e.nextID("rte-")
	}
	if s.NextHopType == "" {
		s.NextHopType = "Instance"
	}
	now := e.clock.Now()
	re := &routeEntry{ID: s.RouteEntryID, Dst: p.String(), NextHopType: s.NextHopType, NextHopID: s.NextHopID,
		Name: s.Name, Description: s.Description, created: now, readyAt: now}
	if s.Status == "Pending" {
		re.readyAt = now.Add(e.cfg.RouteEntryDelay)
	}
	t.entries = append(t.entries, re)
	return nil
}

// DumpState is the whole emulator state as GET /state and Dump show it.
type DumpState struct {
	Time         time.Time      `json:"time"`
	Region       string         `json:"region"`
	Zones        []string       `json:"zones"`
	VPCs         []VPC          `json:"vpcs"`
	VSwitches    []VSwitch      `json:"vswitches"`
	RouteTables  []DumpRouteTab `json:"routeTables"`
	Instances    []Instance     `json:"instances"`
	ENIs         []ENI          `json:"enis"`
	EIPs         []EIP          `json:"eips"`
	Certificates []Certificate  `json:"certificates"`
	// SecurityGroups are the ECS security groups with their rules.
	SecurityGroups []SecurityGroup `json:"securityGroups,omitempty"`
	SLB            any             `json:"slb,omitempty"`
	NLB            any             `json:"nlb,omitempty"`
}

// DumpRouteTab is a route table with its current entries (statuses as of the dump).
type DumpRouteTab struct {
	RouteTableID string          `json:"routeTableId"`
	VpcID        string          `json:"vpcId"`
	Type         string          `json:"type"`
	VSwitchIDs   []string        `json:"vSwitchIds,omitempty"`
	Entries      []DumpRouteEntr `json:"entries"`
}

// DumpRouteEntr is one route entry in a dump.
type DumpRouteEntr struct {
	RouteEntryID         string `json:"routeEntryId"`
	DestinationCidrBlock string `json:"destinationCidrBlock"`
	Type                 string `json:"type"`
	Status               string `json:"status"`
	NextHopType          string `json:"nextHopType,omitempty"`
	NextHopID            string `json:"nextHopId,omitempty"`
	Name                 string `json:"name,omitempty"`
}

// Dump returns a snapshot of all state, each product contributing its part.
func (e *Emulator) Dump() DumpState {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	d := DumpState{Time: now, Region: e.cfg.Region, Zones: append([]string(nil), e.zones...)}
	for _, id := range sortedKeys(e.vpc.vpcs) {
		d.VPCs = append(d.VPCs, *e.vpc.vpcs[id])
	}
	for _, id := range sortedKeys(e.vpc.vswitches) {
		d.VSwitches = append(d.VSwitches, *e.vpc.vswitches[id])
	}
	for _, id := range sortedKeys(e.vpc.routeTables) {
		t := e.vpc.routeTables[id]
		dt := DumpRouteTab{RouteTableID: t.ID, VpcID: t.VpcID, Type: t.Type, VSwitchIDs: t.VSwitches}
		for _, re := range e.tableEntries(t, now) {
			dt.Entries = append(dt.Entries, DumpRouteEntr{re.ID, re.Dst, re.kind(), re.status(now), re.NextHopType, re.NextHopID, re.Name})
		}
		d.RouteTables = append(d.RouteTables, dt)
	}
	for _, in := range e.instanceList() {
		d.Instances = append(d.Instances, *in)
	}
	for _, n := range e.eniList() {
		d.ENIs = append(d.ENIs, *n)
	}
	for _, id := range sortedKeys(e.vpc.eips) {
		d.EIPs = append(d.EIPs, *e.vpc.eips[id])
	}
	for _, id := range sortedKeys(e.slb.serverCerts) {
		d.Certificates = append(d.Certificates, *e.slb.serverCerts[id])
	}
	for _, g := range e.securityGroupList() {
		cp := *g
		cp.Rules, cp.Tags = slices.Clone(g.Rules), slices.Clone(g.Tags)
		d.SecurityGroups = append(d.SecurityGroups, cp)
	}
	d.SLB = e.slb.dump()
	d.NLB = e.nlbDump(now)
	return d
}

// DumpJSON returns Dump as indented JSON.
func (e *Emulator) DumpJSON() ([]byte, error) {
	b, err := json.MarshalIndent(e.Dump(), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("dump state: %w", err)
	}
	return b, nil
}
