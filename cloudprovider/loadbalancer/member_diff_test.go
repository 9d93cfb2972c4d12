package loadbalancer

import (
	"fmt"
	"slices"
	"testing"
)

// tm is a minimal member for the generic diff's tests: identity id:port,
// an address the listing fills in (as NLB lists an ECS member's IP), a
// weight and a description.
type tm struct {
	id, ip string
	port   int
	w      int
	desc   string
}

func (m tm) MemberKey() string         { return fmt.Sprintf("%s:%d", m.id, m.port) }
func (m tm) MemberWeight() int         { return m.w }
func (m tm) MemberDescription() string { return m.desc }
func (m tm) WithWeight(w int) tm       { m.w = w; return m }
func (m tm) ForUpdate(listed tm) tm {
	if m.ip == "" {
		m.ip = listed.ip
	}
	return m
}
func (m tm) String() string { return fmt.Sprintf("%s:%d/w%d/%s/%s", m.id, m.port, m.w, m.desc, m.ip) }

// TestDiffMembers pins each decision of the one member diff both engines
// use (DiffMembers).
func TestDiffMembers(t *testing.T) {
	m := func(id string, port, w int, desc string) tm { return tm{id: id, port: port, w: w, desc: desc} }
	listed := func(id string, port, w int, desc string) tm {
		return tm{id: id, ip: "10.0.0.1", port: port, w: w, desc: desc}
	}
	ours := func(x tm) bool { return x.desc != "theirs" }
	tests := []struct {
		name                string
		desired, actual     []tm
		ignoreWeight        bool
		add, remove, update []string
	}{
		{name: "nothing either side"},
		{name: "a missing member is added", desired: []tm{m("a", 80, 100, "ours")}, add: []string{"a:80/w100/ours/"}},
		{name: "a desired member listed twice is added once", desired: []tm{m("a", 80, 100, "ours"), m("a", 80, 100, "ours")},
			add: []string{"a:80/w100/ours/"}},
		{name: "an identical member is left", desired: []tm{m("a", 80, 100, "ours")}, actual: []tm{listed("a", 80, 100, "ours")}},
		{name: "a port change is an add and a remove", desired: []tm{m("a", 81, 100, "ours")}, actual: []tm{listed("a", 80, 100, "ours")},
			add: []string{"a:81/w100/ours/"}, remove: []string{"a:80/w100/ours/10.0.0.1"}},
		{name: "a weight change is an update carrying the listed address", desired: []tm{m("a", 80, 5, "ours")},
			actual: []tm{listed("a", 80, 100, "ours")}, update: []string{"a:80/w5/ours/10.0.0.1"}},
		{name: "ignore-weight-update: a weight change is none", desired: []tm{m("a", 80, 5, "ours")},
			actual: []tm{listed("a", 80, 100, "ours")}, ignoreWeight: true},
		{name: "ignore-weight-update: a description change keeps the listed weight", desired: []tm{m("a", 80, 5, "ours")},
			actual: []tm{listed("a", 80, 100, "old")}, ignoreWeight: true, update: []string{"a:80/w100/ours/10.0.0.1"}},
		{name: "a description change is an update", desired: []tm{m("a", 80, 100, "ours")},
			actual: []tm{listed("a", 80, 100, "old")}, update: []string{"a:80/w100/ours/10.0.0.1"}},
		{name: "a member not ours with our key is left as it is", desired: []tm{m("a", 80, 100, "ours")},
			actual: []tm{listed("a", 80, 7, "theirs")}},
		{name: "members not ours are never removed", actual: []tm{listed("b", 80, 100, "theirs")}},
		{name: "ours not desired are removed", actual: []tm{listed("a", 80, 100, "ours"), listed("b", 80, 100, "theirs")},
			remove: []string{"a:80/w100/ours/10.0.0.1"}},
		{name: "an empty desired list removes all of ours", actual: []tm{listed("a", 80, 100, "ours"), listed("c", 80, 100, "ours")},
			remove: []string{"a:80/w100/ours/10.0.0.1", "c:80/w100/ours/10.0.0.1"}},
		{name: "a desired member keeps its own address", desired: []tm{{id: "a", ip: "10.0.0.9", port: 80, w: 5, desc: "ours"}},
			actual: []tm{listed("a", 80, 100, "ours")}, update: []string{"a:80/w5/ours/10.0.0.9"}},
		{name: "adds, removes and updates in one plan, in the given order",
			desired: []tm{m("n2", 80, 100, "ours"), m("k", 80, 50, "ours"), m("n1", 80, 100, "ours")},
			actual:  []tm{listed("o", 80, 100, "ours"), listed("k", 80, 100, "ours"), listed("f", 80, 100, "theirs")},
			add:     []string{"n2:80/w100/ours/", "n1:80/w100/ours/"}, remove: []string{"o:80/w100/ours/10.0.0.1"},
			update: []string{"k:80/w50/ours/10.0.0.1"}},
	}
	str := func(ms []tm) []string {
		var out []string
		for _, x := range ms {
			out = append(out, x.String())
		}
		return out
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DiffMembers(tc.desired, tc.actual, ours, tc.ignoreWeight)
			if !slices.Equal(str(p.Add), tc.add) || !slices.Equal(str(p.Remove), tc.remove) || !slices.Equal(str(p.Update), tc.update) {
				t.Fatalf("add %v remove %v update %v, want %v %v %v", str(p.Add), str(p.Remove), str(p.Update), tc.add, tc.remove, tc.update)
			}
			if p.Empty() != (len(tc.add)+len(tc.remove)+len(tc.update) == 0) {
				t.Fatalf("Empty() = %v", p.Empty())
			}
		})
	}
}

// TestDiffMembersBackend: the CLB engine's backends go through the same
// diff with their own identity rule (ECS by server and port, the listed
// IP left out) and no address taken from the listing.
func TestDiffMembersBackend(t *testing.T) {
	ecs := func(id string, port, w int, desc string) backend {
		return backend{ServerID: id, Type: "ecs", Port: port, Weight: w, Description: desc}
	}
	listedIP := ecs("i-a", 80, 100, "ours")
	listedIP.ServerIP = "10.0.0.1"
	p := diffBackends([]backend{ecs("i-a", 80, 7, "ours")}, []backend{listedIP}, func(backend) bool { return true }, false)
	if len(p.add)+len(p.remove) != 0 || len(p.update) != 1 || p.update[0].Weight != 7 || p.update[0].ServerIP != "" {
		t.Fatalf("plan %+v: an ECS backend is matched without its listed IP and updated as desired", p)
	}
	p = diffBackends([]backend{ecs("i-a", 80, 7, "ours")}, []backend{listedIP}, func(backend) bool { return true }, true)
	if !p.empty() {
		t.Fatalf("ignore-weight-update: plan %+v", p)
	}
}
