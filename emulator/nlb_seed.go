package emulator

// NLB state in GET /state (Dump).

import (
	"time"
)

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
			running = append(running, map[string]any{"jobId": j.ID, "action": j.Action, "resources": j.Resources, "end": j.End})
		}
	}
	return map[string]any{"loadBalancers": lbs, "serverGroups": groups, "runningJobs": running}
}
