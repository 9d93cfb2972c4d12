package emulator

// Failed NLB jobs. A JobFailureRule of the fault profile makes the job of a
// matching NLB write end Failed instead of Succeeded: ListAsynJobs lists
// Failed as a job status
// (https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-listasynjobs).
// The write's answer is the usual one (a JobId); while the job runs the
// resource shows the usual transitional status; when it ends the write is
// undone: a failed create leaves no resource, a failed update leaves the
// settings (members, tags, zones, security groups) as they were, a failed
// delete leaves the resource in place and Active. The pages do not say more
// of a failed job; undoing it is the state a client must cope with anyway.

import (
	"reflect"
	"slices"
	"time"
)

// nlbSnapshot is a deep copy of every NLB resource (and the EIPs NLB
// binds), taken before a write whose job is set to fail.
type nlbSnapshot struct {
	lbs       map[string]*nlbLB
	listeners map[string]*nlbListener
	groups    map[string]*nlbGroup
	eips      map[string]EIP
}

// nlbUndo puts back what a failed job changed; nil entries are removed.
type nlbUndo struct {
	lbs       map[string]*nlbLB
	listeners map[string]*nlbListener
	groups    map[string]*nlbGroup
	eips      map[string]*EIP
	eipMap    map[string]*EIP // the emulator's EIPs, where eips go back
}

func (s *nlbState) snapshot(e *Emulator) *nlbSnapshot {
	snap := &nlbSnapshot{lbs: map[string]*nlbLB{}, listeners: map[string]*nlbListener{},
		groups: map[string]*nlbGroup{}, eips: map[string]EIP{}}
	for id, v := range s.lbs {
		snap.lbs[id] = v.clone()
	}
	for id, v := range s.listeners {
		snap.listeners[id] = v.clone()
	}
	for id, v := range s.groups {
		snap.groups[id] = v.clone()
	}
	for id, v := range e.vpc.eips {
		snap.eips[id] = *v
	}
	return snap
}

// undoFrom lists what changed since snap: the earlier copy of every
// resource the write changed or deleted, nil for every one it created.
func (s *nlbState) undoFrom(e *Emulator, snap *nlbSnapshot) *nlbUndo {
	return &nlbUndo{
		lbs:       diffMap(snap.lbs, s.lbs, (*nlbLB).clone),
		listeners: diffMap(snap.listeners, s.listeners, (*nlbListener).clone),
		groups:    diffMap(snap.groups, s.groups, (*nlbGroup).clone),
		eips: diffMap(eipPointers(snap.eips), e.vpc.eips, func(v *EIP) *EIP {
			cp := *v
			return &cp
		}),
		eipMap: e.vpc.eips,
	}
}

func eipPointers(m map[string]EIP) map[string]*EIP {
	out := make(map[string]*EIP, len(m))
	for id, v := range m {
		out[id] = &v
	}
	return out
}

// diffMap returns, for every key whose value differs between before and
// now, the before value (nil when the key is new).
func diffMap[T any](before, now map[string]*T, clone func(*T) *T) map[string]*T {
	out := map[string]*T{}
	for id, v := range now {
		old, ok := before[id]
		if !ok {
			out[id] = nil
		} else if !reflect.DeepEqual(old, clone(v)) {
			out[id] = old
		}
	}
	for id, old := range before {
		if _, ok := now[id]; !ok {
			out[id] = old
		}
	}
	return out
}

func applyUndo[T any](m map[string]*T, undo map[string]*T) {
	for id, v := range undo {
		if v == nil {
			delete(m, id)
		} else {
			m[id] = v
		}
	}
}

// undo applies a failed job's undo once.
func (s *nlbState) undo(j *nlbJob) {
	u := j.undo
	if u == nil {
		return
	}
	j.undo = nil
	applyUndo(s.lbs, u.lbs)
	applyUndo(s.listeners, u.listeners)
	applyUndo(s.groups, u.groups)
	applyUndo(u.eipMap, u.eips)
}

// undoEnded applies the undo of every failed job that has ended by now.
func (s *nlbState) undoEnded(now time.Time) {
	kept := s.failing[:0]
	for _, j := range s.failing {
		if now.Before(j.End) {
			kept = append(kept, j)
			continue
		}
		s.undo(j)
	}
	clear(s.failing[len(kept):])
	s.failing = kept
}

// failable wraps a write: when a JobFailureRule matches, the job it starts
// is marked to fail and remembers how to undo the write.
func (s *nlbState) failable(h handler) handler {
	return func(c *call) (any, error) {
		if !c.e.faults.mayFailJob("Nlb", c.Action) {
			return h(c)
		}
		snap := s.snapshot(c.e)
		out, err := h(c)
		if err != nil {
			return out, err
		}
		j := s.jobs[answerJobID(out)]
		if j == nil || !c.e.faults.failJob("Nlb", c.Action) {
			return out, err
		}
		j.Failed, j.undo = true, s.undoFrom(c.e, snap)
		if j.End.After(c.Now) {
			s.failing = append(s.failing, j)
		} else {
			s.undo(j)
		}
		return out, err
	}
}

// answerJobID reads the JobId field of an NLB write's answer.
func answerJobID(out any) string {
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return ""
	}
	if f := v.Elem().FieldByName("JobId"); f.IsValid() && f.Kind() == reflect.String {
		return f.String()
	}
	return ""
}

func (lb *nlbLB) clone() *nlbLB {
	cp := *lb
	cp.Zones = make([]*nlbZone, len(lb.Zones))
	for i, z := range lb.Zones {
		zc := *z
		cp.Zones[i] = &zc
	}
	cp.SecurityGroups, cp.Tags = slices.Clone(lb.SecurityGroups), slices.Clone(lb.Tags)
	return &cp
}

func (l *nlbListener) clone() *nlbListener {
	cp := *l
	cp.Certs, cp.CaCerts, cp.AddCerts, cp.Tags = slices.Clone(l.Certs), slices.Clone(l.CaCerts), slices.Clone(l.AddCerts), slices.Clone(l.Tags)
	return &cp
}

func (g *nlbGroup) clone() *nlbGroup {
	cp := *g
	cp.HC.HealthCheckHttpCode = slices.Clone(g.HC.HealthCheckHttpCode)
	cp.Servers = make([]*nlbServer, len(g.Servers))
	for i, sv := range g.Servers {
		sc := *sv
		cp.Servers[i] = &sc
	}
	cp.Tags = slices.Clone(g.Tags)
	return &cp
}
