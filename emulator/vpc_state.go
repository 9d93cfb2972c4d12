package emulator

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// VPC (API version 2016-04-28) state: VPCs, vSwitches, route tables with
// their entries, and EIPs. Route entry states are evaluated lazily from the
// clock, so no goroutine drives them.

// vpcState is all VPC state of one emulator; guarded by Emulator.mu.
type vpcState struct {
	vpcs        map[string]*VPC
	vswitches   map[string]*VSwitch
	routeTables map[string]*routeTable
	eips        map[string]*EIP
}

// newVPCState returns empty VPC state.
func newVPCState() *vpcState {
	return &vpcState{vpcs: map[string]*VPC{}, vswitches: map[string]*VSwitch{},
		routeTables: map[string]*routeTable{}, eips: map[string]*EIP{}}
}

type routeTable struct {
	ID        string
	VpcID     string
	RouterID  string
	Type      string // System or Custom
	Name      string
	VSwitches []string // explicitly associated vSwitches (custom tables)
	entries   []*routeEntry
	created   time.Time
}

type routeEntry struct {
	ID          string
	Dst         string
	NextHopType string
	NextHopID   string
	Name        string
	Description string
	system      bool
	created     time.Time
	readyAt     time.Time // Pending until then
	goneAt      time.Time // non-zero: Deleting until then, absent after
}

// status follows the DescribeRouteEntryList response enum (Pending,
// Available, Deleting); the create pages' Creating/Created vocabulary is not
// used (
// https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-describerouteentrylist).
func (r *routeEntry) status(now time.Time) string {
	switch {
	case !r.goneAt.IsZero():
		return "Deleting"
	case now.Before(r.readyAt):
		return "Pending"
	default:
		return "Available"
	}
}

func (r *routeEntry) kind() string {
	if r.system {
		return "System"
	}
	return "Custom"
}

// busy reports whether an entry is mid-transition, which blocks other
// writes on its table.
func (r *routeEntry) busy(now time.Time) bool {
	s := r.status(now)
	return s == "Pending" || s == "Deleting"
}

func (e *Emulator) vpcByID(id string) (*VPC, bool) {
	v, ok := e.vpc.vpcs[id]
	return v, ok
}

func (e *Emulator) vswitchByID(id string) (*VSwitch, bool) {
	v, ok := e.vpc.vswitches[id]
	return v, ok
}

// sweep drops entries whose deletion has completed.
func (t *routeTable) sweep(now time.Time) {
	kept := t.entries[:0]
	for _, r := range t.entries {
		if !r.goneAt.IsZero() && !now.Before(r.goneAt) {
			continue
		}
		kept = append(kept, r)
	}
	for i := len(kept); i < len(t.entries); i++ {
		t.entries[i] = nil
	}
	t.entries = kept
}

// tableEntries returns the system routes (one per vSwitch CIDR of the VPC,
// plus 100.64.0.0/10 for cloud services) followed by the custom entries.
// System routes exist in every table of the VPC
// (https://www.alibabacloud.com/help/en/vpc/user-guide/route-table-overview).
func (e *Emulator) tableEntries(t *routeTable, now time.Time) []*routeEntry {
	t.sweep(now)
	var out []*routeEntry
	for _, id := range sortedKeys(e.vpc.vswitches) {
		vs := e.vpc.vswitches[id]
		if vs.VpcID != t.VpcID {
			continue
		}
		out = append(out, &routeEntry{ID: "rte-sys" + strings.TrimPrefix(vs.VSwitchID, "vsw-") + "-" + t.ID[len(t.ID)-4:],
			Dst: vs.CidrBlock, NextHopType: "local", system: true})
	}
	out = append(out, &routeEntry{ID: "rte-sys100-" + t.ID[len(t.ID)-4:], Dst: "100.64.0.0/10", NextHopType: "service", system: true})
	return append(out, t.entries...)
}

// customCount counts custom entries toward the per-table quota.
func (t *routeTable) customCount() int { return len(t.entries) }

// parseRouteCIDR accepts a CIDR or a bare IP ("a bare IP is /32",
// CreateRouteEntry page) and returns the masked prefix.
func parseRouteCIDR(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("destination %q: %w", s, err)
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("destination %q: %w", s, err)
	}
	return p.Masked(), nil
}

// tokenRecord remembers a ClientToken's answer for idempotent retries.
type tokenRecord struct {
	action string
	params string // canonical parameters, to detect a mismatch
	result any
}
