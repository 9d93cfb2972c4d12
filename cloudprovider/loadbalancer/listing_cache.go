package loadbalancer

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
)

// startListingTTL bounds how old a start-up listing may be when a
// reconcile uses it. The service controller re-syncs every Service once
// after a start; with the default workers and the documented API rate
// limits a 500-Service cluster gets through that in about a minute.
// After the TTL each Service reads its own CLB again.
const startListingTTL = 2 * time.Minute

// startListing is the cluster's CLBs and their listeners as read once,
// when the first reconcile after a start asks for its CLB: one paged
// DescribeLoadBalancers per cluster ID filtered by the cluster tag (100
// CLBs a page) and DescribeLoadBalancerListeners for 10 CLBs a call,
// instead of one DescribeLoadBalancers and one DescribeLoadBalancerListeners
// per Service. The restart of a converged cluster re-syncs every Service
// at once; this makes that restart cost about one read per vServer group
// plus one per CLB (its group list), and nothing per CLB for the find and
// the listeners.
//
// It is a copy of what the cloud showed, never a record of its own: each
// Service's entry is handed out once, to the first reconcile of that
// Service (which then writes what differs, so the entry would be stale
// after it), and only within startListingTTL of the listing. Everything
// else (a Service created later, a CLB under another cluster's or the
// official CCM's tags, a second reconcile) reads the cloud as before. A
// change made by hand in the short window between the listing and the
// Service's first reconcile is seen by the Service's next reconcile, as a
// change made right after a reconcile is.
type startListing struct {
	mu   sync.Mutex
	done bool // listed (or failed to): no second listing
	at   time.Time
	// byUID: Service UID (our ownership tag) -> its CLBs, with listeners.
	byUID map[types.UID][]listedLB
	// calls is what the listing cost, to decide whether listing again is
	// cheaper than the reads of the Services still waiting for it.
	calls int
	// fresh are the Services whose CLB a reconcile took from the listing
	// and that have not asked takeFresh yet: their first reconcile after
	// the start, the only one that may trust the verified-backends record.
	fresh map[types.UID]bool
}

// listedLB is one CLB of the start-up listing with its listeners.
type listedLB struct {
	lb        slb.LoadBalancer
	listeners []slb.ListenerInDescribeLoadBalancerListeners
}

// listedListeners are the listeners of a CLB found through the start-up
// listing (lbState.listed); nil on lbState means: read them.
type listedListeners struct {
	ls []slb.ListenerInDescribeLoadBalancerListeners
}

// takeListed returns the CLBs of the start-up listing that carry svc's
// UID, and drops them from the listing. ok is false when the reconcile
// must read the cloud itself: the listing is used up, too old or failed,
// or has no CLB of this Service. The first call lists; concurrent callers
// wait for it (the start-up burst would otherwise list once each).
func (r *Reconciler) takeListed(ctx context.Context, uid types.UID) (lbs []slb.LoadBalancer, listed map[string]*listedListeners, ok bool) {
	c := &r.listing
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.done {
		c.done = true
		c.byUID, c.calls = r.listCluster(ctx)
		c.at = r.now()
	}
	if len(c.byUID) == 0 {
		return nil, nil, false
	}
	if r.now().Sub(c.at) > startListingTTL {
		// A large start-up sync outlived the listing. List again for the
		// Services not synced yet when that costs less than their own two
		// reads each; the Services already synced stay out of it.
		if 2*len(c.byUID) <= c.calls {
			c.byUID = nil // let the memory go
			return nil, nil, false
		}
		fresh, calls := r.listCluster(ctx)
		for u := range c.byUID {
			if _, ok := fresh[u]; !ok {
				delete(c.byUID, u)
			}
		}
		for u, e := range fresh {
			if _, ok := c.byUID[u]; ok {
				c.byUID[u] = e
			}
		}
		c.calls, c.at = calls, r.now()
	}
	entries, found := c.byUID[uid]
	if !found {
		return nil, nil, false
	}
	delete(c.byUID, uid)
	if c.fresh == nil {
		c.fresh = map[types.UID]bool{}
	}
	c.fresh[uid] = true
	listed = make(map[string]*listedListeners, len(entries))
	for _, e := range entries {
		lbs = append(lbs, e.lb)
		listed[e.lb.LoadBalancerId] = &listedListeners{ls: e.listeners}
	}
	return lbs, listed, true
}

// takeFresh reports whether the Service's CLB came from the start-up
// listing since the last call: true once per start, for the reconcile
// that took it.
func (c *startListing) takeFresh(uid types.UID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	ok := c.fresh[uid]
	delete(c.fresh, uid)
	return ok
}

// listCluster lists the CLBs tagged with this cluster's IDs (its own and
// the legacy ones our Service UID tag still proves ours) and their
// listeners, by Service UID, and about how many calls that took. It
// returns nil on any error: every reconcile then reads its own CLB, as
// without the listing.
func (r *Reconciler) listCluster(ctx context.Context) (map[types.UID][]listedLB, int) {
	seen := map[string]bool{}
	var lbs []slb.LoadBalancer
	for _, id := range r.ids(true) {
		tagFilter, _ := json.Marshal([]map[string]string{{"TagKey": TagClusterID, "TagValue": id}})
		req := slb.CreateDescribeLoadBalancersRequest()
		req.Tags = string(tagFilter)
		got, err := r.slb.ListLoadBalancers(ctx, req)
		if err != nil {
			klog.V(2).InfoS("Listing the cluster's CLBs at start-up failed; each Service reads its own", "err", err)
			return nil, 0
		}
		for _, lb := range got {
			if !seen[lb.LoadBalancerId] {
				seen[lb.LoadBalancerId] = true
				lbs = append(lbs, lb)
			}
		}
	}
	if len(lbs) == 0 {
		r.verified.keepOnly(ctx, nil)
		return nil, 0
	}
	ids := make([]string, 0, len(lbs))
	for _, lb := range lbs {
		ids = append(ids, lb.LoadBalancerId)
	}
	// The client splits the IDs into calls of 10 and pages each.
	req := slb.CreateDescribeLoadBalancerListenersRequest()
	req.LoadBalancerId = &ids
	ls, err := r.slb.ListLoadBalancerListeners(ctx, req)
	if err != nil {
		klog.V(2).InfoS("Listing the cluster's listeners at start-up failed; each Service reads its own", "err", err)
		return nil, 0
	}
	byLB := make(map[string][]slb.ListenerInDescribeLoadBalancerListeners, len(lbs))
	for _, l := range ls {
		byLB[l.LoadBalancerId] = append(byLB[l.LoadBalancerId], l)
	}
	out := make(map[types.UID][]listedLB, len(lbs))
	for _, lb := range lbs {
		uid := types.UID(tagMap(lb.Tags.Tag)[TagServiceUID])
		if uid == "" {
			continue
		}
		out[uid] = append(out[uid], listedLB{lb: lb, listeners: byLB[lb.LoadBalancerId]})
	}
	// Records of Services with no CLB left (deleted while the CCM was
	// down) go with the next flush.
	r.verified.keepOnly(ctx, out)
	klog.V(2).InfoS("Listed the cluster's CLBs for the start-up sync", "loadBalancers", len(lbs), "listeners", len(ls))
	// Pages of 100 CLBs per cluster ID, calls of 10 CLBs for listeners.
	calls := len(r.ids(true))*(1+len(lbs)/100) + (len(lbs)+9)/10
	return out, calls
}

// listenersOf returns the listeners of the found CLB: from the start-up
// listing when find took the CLB from it (once), else from the cloud.
func (r *Reconciler) listenersOf(ctx context.Context, st *lbState) ([]slb.ListenerInDescribeLoadBalancerListeners, error) {
	if l := st.listed; l != nil {
		st.listed = nil
		return l.ls, nil
	}
	return r.listListeners(ctx, st.lb.LoadBalancerId)
}
