package loadbalancer

// Member is a server group member as the member diff sees it: the CLB
// engine's vServer group backends and the NLB engine's server group
// servers. M is the member type itself.
type Member[M any] interface {
	// MemberKey is the member's identity in its group (the API's
	// duplicate rule: two members with the same key cannot coexist).
	MemberKey() string
	// MemberWeight and MemberDescription are the attributes the CCM
	// manages on a member in place.
	MemberWeight() int
	MemberDescription() string
	// WithWeight is the member with another weight.
	WithWeight(w int) M
	// ForUpdate is the desired member as an update of listed sends it: with
	// what the update call needs from the listed member (an NLB ECS
	// member's ServerIp, which the API fills in).
	ForUpdate(listed M) M
}

// MemberPlan is the diff of one group's members.
type MemberPlan[M any] struct {
	Add, Remove, Update []M
}

// Empty reports whether the plan changes nothing.
func (p MemberPlan[M]) Empty() bool { return len(p.Add)+len(p.Remove)+len(p.Update) == 0 }

// DiffMembers compares desired members with a group's listed ones: the
// one member diff of both engines.
//   - A desired member that is not listed is added (a desired member
//     listed twice counts once).
//   - owned says whether a listed member is ours (its description or its
//     group proves it); members not ours are never removed or changed,
//     and a desired member someone else already has is left as it is.
//   - A listed member of ours whose weight or description differs is
//     updated; with ignoreWeight (ignore-weight-update) a weight-only
//     difference is no change and an update keeps the listed weight.
//   - A listed member of ours that is not desired is removed.
func DiffMembers[M Member[M]](desired, actual []M, owned func(M) bool, ignoreWeight bool) MemberPlan[M] {
	have := make(map[string]M, len(actual))
	for _, a := range actual {
		have[a.MemberKey()] = a
	}
	var p MemberPlan[M]
	want := make(map[string]bool, len(desired))
	for _, d := range desired {
		k := d.MemberKey()
		if want[k] {
			continue
		}
		want[k] = true
		a, ok := have[k]
		switch {
		case !ok:
			p.Add = append(p.Add, d)
		case !owned(a):
			// someone else's identical member: leave it
		case (!ignoreWeight && a.MemberWeight() != d.MemberWeight()) || a.MemberDescription() != d.MemberDescription():
			u := d.ForUpdate(a)
			if ignoreWeight {
				u = u.WithWeight(a.MemberWeight())
			}
			p.Update = append(p.Update, u)
		}
	}
	for _, a := range actual {
		if !want[a.MemberKey()] && owned(a) {
			p.Remove = append(p.Remove, a)
		}
	}
	return p
}
