package loadbalancer

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// Quotas are the CLB quotas a Service's plan is checked against before the
// first write, so that a Service that cannot fit gets a Warning and no
// half-built CLB. Defaults are the documented ones
// (https://www.alibabacloud.com/help/en/slb/classic-load-balancer/product-overview/limits-1);
// accounts with raised quotas set them in cloud-config. The cloud stays the
// judge: a quota answer of the API is still reported as a QuotaError.
type Quotas struct {
	// BackendsPerCLB is slb_quota_backendservers_num: members of all
	// vServer groups of one CLB.
	BackendsPerCLB int
	// ListenersPerCLB is slb_quota_listeners_num.
	ListenersPerCLB int
	// GroupsPerServer is slb_quota_backendserver_attached_num: the vServer
	// groups one ECS instance (or ENI) may be a member of, over all CLBs.
	GroupsPerServer int
}

// Documented default quotas and their Quota Center names.
const (
	DefaultBackendsPerCLB  = 200
	DefaultListenersPerCLB = 50
	DefaultGroupsPerServer = 50

	quotaBackends  = "slb_quota_backendservers_num"
	quotaListeners = "slb_quota_listeners_num"
	quotaAttached  = "slb_quota_backendserver_attached_num"
)

// cloud-config fields of the quotas, for messages.
var quotaConfigField = map[string]string{
	quotaBackends:  "Global.quotaBackendServersPerCLB",
	quotaListeners: "Global.quotaListenersPerCLB",
	quotaAttached:  "Global.quotaVServerGroupsPerInstance",
}

func (q Quotas) withDefaults() Quotas {
	if q.BackendsPerCLB <= 0 {
		q.BackendsPerCLB = DefaultBackendsPerCLB
	}
	if q.ListenersPerCLB <= 0 {
		q.ListenersPerCLB = DefaultListenersPerCLB
	}
	if q.GroupsPerServer <= 0 {
		q.GroupsPerServer = DefaultGroupsPerServer
	}
	return q
}

// ReasonBackendSubset is the Event reason when more backends are eligible
// than the CLB's backend quota allows; a stable, zone-balanced subset is
// used.
const ReasonBackendSubset = "SelectedBackendSubset"

// planQuotaError is the QuotaError of a plan that does not fit: nothing
// was written.
func planQuotaError(quota string, value int, format string, a ...any) error {
	return &QuotaError{Quota: quota, Err: fmt.Errorf("%s (quota %d, cloud-config %s); nothing was written to the cloud",
		fmt.Sprintf(format, a...), value, quotaConfigField[quota])}
}

// fitListeners checks the listener quota. Listeners that end up on the
// CLB are the ones not ours (never touched) plus one per wanted listener
// of the Service. A new CLB that cannot hold them all is refused; on an
// existing CLB the listeners that already exist are kept and new ones are
// added in port order while they fit, the rest get a Warning, so other
// changes of the Service still apply. It returns the Config to reconcile:
// cfg itself, or a copy without the listeners that do not fit.
func (r *Reconciler) fitListeners(svc *v1.Service, cfg *annotations.Config, existing map[listenerKey]bool, foreign int, creating bool) (*annotations.Config, error) {
	quota := r.opts.Quotas.ListenersPerCLB
	wanted := map[listenerKey]bool{}
	for i := range cfg.Listeners {
		wanted[keyOf(&cfg.Listeners[i])] = true
	}
	if foreign+len(wanted) <= quota {
		return cfg, nil
	}
	if creating {
		return nil, planQuotaError(quotaListeners, quota, "the Service needs %d listeners", len(wanted))
	}
	room := quota - foreign
	for k := range wanted {
		if existing[k] {
			room--
		}
	}
	out := *cfg
	out.Listeners = nil
	var dropped []string
	for _, l := range cfg.Listeners {
		switch {
		case existing[keyOf(&l)]:
		case room > 0:
			room--
		default:
			dropped = append(dropped, fmt.Sprintf("%d/%s", l.Port, l.Protocol))
			continue
		}
		out.Listeners = append(out.Listeners, l)
	}
	err := planQuotaError(quotaListeners, quota, "CLB has %d listeners of others and the Service wants %d; no listener for %s", foreign, len(wanted), strings.Join(dropped, ", "))
	r.events.Eventf(svc, v1.EventTypeWarning, ReasonQuotaExceeded, "%v", strings.TrimSuffix(err.Error(), "; nothing was written to the cloud"))
	return &out, nil
}

// fitBackends caps the targets' desired members to the quotas, after the
// existing groups' members were read (t.actual) and before any member
// write. total is the number of members on the CLB now.
//
// Backends per CLB: the members of this Service's groups may use what
// the others' members leave, shared evenly over its groups (a group
// wanting fewer gives the rest to the others). A group over its share
// gets a stable, zone-balanced subset (pickSubset): with
// externalTrafficPolicy Cluster any node forwards to any pod; with Local,
// nodes with endpoints (weight > 0) come first.
//
// vServer groups per server: a server joining a group it is not in yet
// must stay within the quota (attachIndex). A new CLB over it is refused;
// on an existing one the joins that do not fit are left out with a
// Warning, so the rest of the change still applies.
func (r *Reconciler) fitBackends(ctx context.Context, svc *v1.Service, targets []*groupTarget, total int, strat backendStrategy, creating bool) error {
	q := r.opts.Quotas
	ours := 0
	for _, t := range targets {
		for _, a := range t.actual {
			if a.Description == t.name {
				ours++
			}
		}
	}
	budget := max(q.BackendsPerCLB-(total-ours), 0)
	sizes := make([]int, len(targets))
	wantAll := 0
	for i, t := range targets {
		sizes[i] = len(t.desired)
		wantAll += len(t.desired)
	}
	if wantAll > budget {
		shares := waterfill(budget, sizes)
		for i, t := range targets {
			if creating && shares[i] == 0 && len(t.desired) > 0 {
				return planQuotaError(quotaBackends, q.BackendsPerCLB, "the Service needs %d vServer groups, too many for one member each", len(targets))
			}
			t.desired = pickSubset(t.desired, shares[i], strat.zone, string(svc.UID))
		}
		if !creating { // the sync after the create says it
			r.events.Eventf(svc, v1.EventTypeNormal, ReasonBackendSubset,
				"Using %d of %d backends over %d vServer group(s): CLB quota %s is %d (cloud-config %s), %d members belong to others; the subset is stable and zone-balanced",
				min(budget, wantAll), wantAll, len(targets), quotaBackends, q.BackendsPerCLB, quotaConfigField[quotaBackends], total-ours)
		}
	}
	return r.fitAttached(ctx, svc, targets, creating)
}

// fitAttached applies the vServer groups per server quota to the joins of
// the plan (see fitBackends).
func (r *Reconciler) fitAttached(ctx context.Context, svc *v1.Service, targets []*groupTarget, creating bool) error {
	joins := map[string][]*groupTarget{}
	for _, t := range targets {
		in := map[string]bool{}
		for _, a := range t.actual {
			in[a.ServerID] = true
		}
		for _, d := range t.desired {
			if !in[d.ServerID] {
				in[d.ServerID] = true
				joins[d.ServerID] = append(joins[d.ServerID], t)
			}
		}
	}
	if len(joins) == 0 {
		return nil // the steady state: no lookup at all
	}
	servers := make([]string, 0, len(joins))
	for s := range joins {
		servers = append(servers, s)
	}
	sort.Strings(servers)
	need := make(map[string]int, len(joins))
	for s, ts := range joins {
		need[s] = len(ts)
	}
	counts, err := r.attached.counts(ctx, r, need)
	if err != nil {
		return err
	}
	quota := r.opts.Quotas.GroupsPerServer
	var over []string
	drop := map[*groupTarget]map[string]bool{}
	for _, s := range servers {
		room := quota - counts[s]
		if len(joins[s]) <= room {
			continue
		}
		over = append(over, fmt.Sprintf("%s (in %d groups, +%d)", s, counts[s], len(joins[s])))
		for _, t := range joins[s][max(room, 0):] {
			if drop[t] == nil {
				drop[t] = map[string]bool{}
			}
			drop[t][s] = true
		}
	}
	if len(over) == 0 {
		return nil
	}
	if len(over) > 5 {
		over = append(over[:5], fmt.Sprintf("and %d more", len(over)-5))
	}
	if creating {
		return planQuotaError(quotaAttached, quota, "the Service's vServer groups would put backends over the vServer groups per instance quota: %s", strings.Join(over, ", "))
	}
	for t, servers := range drop {
		kept := t.desired[:0:0]
		for _, d := range t.desired {
			if !servers[d.ServerID] {
				kept = append(kept, d)
			}
		}
		t.desired = kept
	}
	err = planQuotaError(quotaAttached, quota, "backends left out of new vServer groups: %s", strings.Join(over, ", "))
	r.events.Eventf(svc, v1.EventTypeWarning, ReasonQuotaExceeded, "%v", strings.TrimSuffix(err.Error(), "; nothing was written to the cloud"))
	return nil
}

// waterfill shares budget over groups wanting sizes: evenly, a group
// wanting less than its share leaving the rest to the others; earlier
// groups get the remainder. The result never exceeds a group's size.
func waterfill(budget int, sizes []int) []int {
	idx := make([]int, len(sizes))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return sizes[idx[a]] < sizes[idx[b]] })
	out := make([]int, len(sizes))
	left := budget
	for n, i := range idx {
		groups := len(sizes) - n
		share := left / groups
		if left%groups > 0 {
			share++ // round up for the earlier groups
		}
		out[i] = min(sizes[i], share)
		left -= out[i]
	}
	return out
}

// pickSubset returns n of ms, the same n for the same members and seed:
// members with weight > 0 first (Local: nodes with endpoints), then the
// zones in turn, within a zone by a hash of seed and member, so adding or
// removing one node moves at most a few members and different Services
// spread over different nodes. The result keeps ms's order.
func pickSubset(ms []backend, n int, zone func(serverID string) string, seed string) []backend {
	if len(ms) <= n {
		return ms
	}
	rank := func(b backend) uint64 {
		h := sha256.Sum256([]byte(seed + "|" + b.key()))
		return binary.BigEndian.Uint64(h[:8])
	}
	var order []int
	for _, positive := range []bool{true, false} {
		byZone := map[string][]int{}
		var zones []string
		for i, b := range ms {
			if (b.Weight > 0) != positive {
				continue
			}
			z := zone(b.ServerID)
			if byZone[z] == nil {
				zones = append(zones, z)
			}
			byZone[z] = append(byZone[z], i)
		}
		sort.Strings(zones)
		for _, z := range zones {
			l := byZone[z]
			sort.Slice(l, func(a, b int) bool { return rank(ms[l[a]]) < rank(ms[l[b]]) })
		}
		for round := 0; ; round++ {
			took := false
			for _, z := range zones {
				if round < len(byZone[z]) {
					order = append(order, byZone[z][round])
					took = true
				}
			}
			if !took {
				break
			}
		}
	}
	keep := order[:n]
	sort.Ints(keep)
	out := make([]backend, 0, n)
	for _, i := range keep {
		out = append(out, ms[i])
	}
	return out
}

// fitNewLB checks a Service that has no CLB yet against the quotas,
// before CreateLoadBalancer: too many listeners, or groups that would put
// backends over the vServer groups per server quota, refuse it with no
// cloud write (a subset for the backends quota is fine: the sync after
// the create picks it).
func (r *Reconciler) fitNewLB(ctx context.Context, svc *v1.Service, cfg *annotations.Config, strat backendStrategy) error {
	if _, err := r.fitListeners(svc, cfg, nil, 0, true); err != nil {
		return err
	}
	targets, _ := r.groupTargets(svc, cfg, nil, strat)
	for _, t := range targets {
		if t.userID != "" {
			return nil // a user's group lives on a reused CLB, which exists
		}
	}
	return r.fitBackends(ctx, svc, targets, 0, strat, true)
}

// fitExistingListeners applies the listener quota on an existing CLB whose
// listeners this Service manages.
func (r *Reconciler) fitExistingListeners(svc *v1.Service, cfg *annotations.Config, listeners []slb.ListenerInDescribeLoadBalancerListeners) (*annotations.Config, error) {
	existing := map[listenerKey]bool{}
	foreign := 0
	for _, l := range listeners {
		if ownedBy(l.Description, svc, r.opts.ClusterID) {
			existing[listedKey(&l)] = true
		} else {
			foreign++
		}
	}
	return r.fitListeners(svc, cfg, existing, foreign, false)
}
