package instances

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
)

// codeInstanceNotFound is the ECS error code for an unknown instance ID. The
// DescribeInstances page lists no not-found code (missing IDs are simply
// absent, alibaba-api.md §3,
// https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describeinstances),
// but other ECS actions return it; if it ever comes back here it is a
// positive "gone" for a single ID.
const codeInstanceNotFound = "InvalidInstanceId.NotFound"

// maxIPsPerCall is DescribeInstances' PrivateIpAddresses limit (JSON array
// of at most 100, alibaba-api.md §3).
const maxIPsPerCall = 100

// probeMaxResults is the smallest page DescribeInstances serves ("<10 ⇒ 10").
const probeMaxResults = 10

// verdict is what one DescribeInstances answer says about one instance ID.
type verdict int

const (
	// unknown: no usable answer (error, or an empty answer that may be a
	// permission problem). Never a reason to delete anything.
	unknown verdict = iota
	// present: the API returned the instance.
	present
	// gone: the API positively said the instance does not exist.
	gone
)

// idAnswer is the cached answer about one instance ID.
type idAnswer struct {
	verdict verdict
	inst    *ecs.Instance // set when present
	at      time.Time
}

// ipAnswer is the cached answer about one private IP: the IDs of the
// instances in the VPC that carry it (normally zero or one).
type ipAnswer struct {
	ids []string
	at  time.Time
}

// lookup answers instance-by-ID and instance-by-IP questions through
// batchers and a short-TTL cache.
type lookup struct {
	api  ecsAPI
	opts *Options
	ids  *batcher[string, idAnswer]
	ips  *batcher[string, []string]
	mu   sync.Mutex
	byID map[string]idAnswer
	byIP map[string]ipAnswer
	// fetching holds the IDs of calls in flight, which topUp leaves out.
	fetching map[string]int
	probe    struct {
		ok bool
		at time.Time
	}
}

func newLookup(api ecsAPI, opts *Options) *lookup {
	l := &lookup{api: api, opts: opts, byID: map[string]idAnswer{}, byIP: map[string]ipAnswer{}, fetching: map[string]int{}}
	l.ids = newBatcher(cloudapi.MaxInstanceIDsPerCall, opts.BatchWindow, opts.CallTimeout, l.fetchIDs)
	l.ids.cached, l.ids.fill = l.cachedID, l.topUp
	l.ips = newBatcher(maxIPsPerCall, opts.BatchWindow, opts.CallTimeout, l.fetchIPs)
	return l
}

func (l *lookup) fresh(at time.Time) bool {
	return l.opts.Clock.Since(at) < l.opts.CacheTTL
}

// instance returns what ECS says about id, from the cache when fresh.
func (l *lookup) instance(ctx context.Context, id string) (idAnswer, error) {
	l.mu.Lock()
	a, ok := l.byID[id]
	l.mu.Unlock()
	if ok && l.fresh(a.at) {
		return a, nil
	}
	a, _, err := l.ids.get(ctx, id)
	if err != nil {
		return idAnswer{verdict: unknown}, err
	}
	return a, nil
}

// instancesByIP returns the IDs of the VPC's instances that carry ip.
func (l *lookup) instancesByIP(ctx context.Context, ip string) ([]string, error) {
	l.mu.Lock()
	a, ok := l.byIP[ip]
	l.mu.Unlock()
	if ok && l.fresh(a.at) {
		return a.ids, nil
	}
	ids, _, err := l.ips.get(ctx, ip)
	return ids, err
}

// fetchIDs is the ID batcher's call: one DescribeInstances with up to 100
// InstanceIds.
// The batch's IDs were marked as being fetched by topUp, under the
// batcher's lock, so that no other batch prefetches them meanwhile.
func (l *lookup) fetchIDs(ctx context.Context, ids []string) (map[string]idAnswer, error) {
	defer func() {
		l.mu.Lock()
		for _, id := range ids {
			if l.fetching[id]--; l.fetching[id] <= 0 {
				delete(l.fetching, id)
			}
		}
		l.mu.Unlock()
	}()
	return l.describeIDs(ctx, ids)
}

// cachedID answers an ID from the cache when fresh.
func (l *lookup) cachedID(id string) (idAnswer, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, ok := l.byID[id]
	return a, ok && l.fresh(a.at)
}

// topUp marks ids as being fetched and returns up to room other nodes'
// instances (marked too) whose cached answer is missing or stale and which
// no call in flight is fetching
// (Options.KnownInstances). The framework's status sync and lifecycle
// controller walk the nodes with one worker by default
// (--concurrent-node-syncs=1), so without this every node would cost its own
// call; with it, the first miss fetches the next 99 nodes too and they hit
// the cache.
func (l *lookup) topUp(ids []string, room int) []string {
	var known []string
	if l.opts.KnownInstances != nil && room > 0 {
		known = l.opts.KnownInstances()
	}
	have := make(map[string]bool, len(ids))
	var out []string
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		have[id] = true
		l.fetching[id]++
	}
	for _, id := range known {
		if len(out) >= room {
			break
		}
		if a, ok := l.byID[id]; ok && l.fresh(a.at) || l.fetching[id] > 0 || have[id] {
			continue
		}
		have[id] = true
		l.fetching[id]++
		out = append(out, id)
	}
	return out
}

// describeIDs asks ECS about up to 100 instance IDs in one call.
func (l *lookup) describeIDs(ctx context.Context, ids []string) (map[string]idAnswer, error) {
	req := ecs.CreateDescribeInstancesRequest()
	js, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("encoding instance IDs: %w", err)
	}
	req.InstanceIds = string(js)
	got, err := l.list(ctx, req)
	if err != nil {
		if cloudapi.Code(err) == codeInstanceNotFound {
			return l.splitNotFound(ctx, ids, err)
		}
		klog.ErrorS(err, "DescribeInstances failed; the instances count as existing until ECS answers", "instances", len(ids))
		return nil, fmt.Errorf("describing %d ECS instances: %w", len(ids), err)
	}
	now := l.opts.Clock.Now()
	out := make(map[string]idAnswer, len(ids))
	for i := range got {
		out[got[i].InstanceId] = idAnswer{verdict: present, inst: &got[i], at: now}
	}
	// DescribeInstances answers "an empty list" to a RAM identity without
	// permission (alibaba-api.md §3), so a wholly empty answer only proves
	// the IDs are gone if the caller can see instances at all.
	missing := unknown
	if len(got) > 0 || l.canSeeInstances(ctx) {
		missing = gone
	}
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			out[id] = idAnswer{verdict: missing, at: now}
		}
	}
	l.mu.Lock()
	for id, a := range out {
		if a.verdict != unknown {
			l.byID[id] = a
		}
	}
	l.mu.Unlock()
	return out, nil
}

// splitNotFound handles a batch rejected with InvalidInstanceId.NotFound:
// for one ID that is a positive "gone"; a larger batch is split in halves
// to find the culprit (a handful of extra calls, only in this rare case).
func (l *lookup) splitNotFound(ctx context.Context, ids []string, cause error) (map[string]idAnswer, error) {
	if len(ids) == 1 {
		a := idAnswer{verdict: gone, at: l.opts.Clock.Now()}
		l.mu.Lock()
		l.byID[ids[0]] = a
		l.mu.Unlock()
		return map[string]idAnswer{ids[0]: a}, nil
	}
	out := map[string]idAnswer{}
	half := len(ids) / 2
	for _, part := range [][]string{ids[:half], ids[half:]} {
		got, err := l.describeIDs(ctx, part)
		if err != nil {
			return nil, fmt.Errorf("%w (while isolating %v)", err, cause)
		}
		for k, v := range got {
			out[k] = v
		}
	}
	return out, nil
}

// canSeeInstances reports whether DescribeInstances returns anything at all
// in the VPC: one call of the smallest page, cached for the TTL. An error
// or an empty answer means "cannot tell".
func (l *lookup) canSeeInstances(ctx context.Context) bool {
	l.mu.Lock()
	ok, at := l.probe.ok, l.probe.at
	l.mu.Unlock()
	if !at.IsZero() && l.fresh(at) {
		return ok
	}
	req := ecs.CreateDescribeInstancesRequest()
	req.VpcId = l.opts.VpcID
	req.MaxResults = requests.NewInteger(probeMaxResults)
	resp, err := l.api.DescribeInstances(ctx, req)
	if err != nil {
		klog.ErrorS(err, "DescribeInstances visibility check failed; missing instances count as existing")
		return false
	}
	ok = len(resp.Instances.Instance) > 0
	if !ok {
		klog.InfoS("DescribeInstances returns no instance in the VPC: missing instances count as existing "+
			"(a RAM identity without ecs:DescribeInstances gets an empty list)", "vpc", l.opts.VpcID)
	}
	l.mu.Lock()
	l.probe.ok, l.probe.at = ok, l.opts.Clock.Now()
	l.mu.Unlock()
	return ok
}

// fetchIPs is the IP batcher's call: one DescribeInstances with VpcId and up
// to 100 PrivateIpAddresses. Instances it returns also fill the ID cache.
func (l *lookup) fetchIPs(ctx context.Context, ips []string) (map[string][]string, error) {
	req := ecs.CreateDescribeInstancesRequest()
	req.VpcId = l.opts.VpcID
	js, err := json.Marshal(ips)
	if err != nil {
		return nil, fmt.Errorf("encoding private IPs: %w", err)
	}
	req.PrivateIpAddresses = string(js)
	got, err := l.list(ctx, req)
	if err != nil {
		klog.ErrorS(err, "DescribeInstances by private IP failed", "vpc", l.opts.VpcID, "ips", len(ips))
		return nil, fmt.Errorf("describing ECS instances by %d private IPs in VPC %s: %w", len(ips), l.opts.VpcID, err)
	}
	now := l.opts.Clock.Now()
	wanted := make(map[string]bool, len(ips))
	for _, ip := range ips {
		wanted[ip] = true
	}
	out := make(map[string][]string, len(ips))
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range got {
		inst := &got[i]
		l.byID[inst.InstanceId] = idAnswer{verdict: present, inst: inst, at: now}
		for _, ip := range matchIPs(inst) {
			if wanted[ip] && !contains(out[ip], inst.InstanceId) {
				out[ip] = append(out[ip], inst.InstanceId)
			}
		}
	}
	for _, ip := range ips {
		l.byIP[ip] = ipAnswer{ids: out[ip], at: now}
	}
	return out, nil
}

// list follows NextToken pages of req (at most 100 per page; a batch of 100
// IDs or IPs fits one page).
func (l *lookup) list(ctx context.Context, req *ecs.DescribeInstancesRequest) ([]ecs.Instance, error) {
	var out []ecs.Instance
	err := cloudapi.ForEachPage(ctx, func(token string) (string, error) {
		r := *req
		r.RpcRequest = ecs.CreateDescribeInstancesRequest().RpcRequest
		r.NextToken = token
		r.MaxResults = requests.NewInteger(cloudapi.MaxInstanceIDsPerCall)
		resp, err := l.api.DescribeInstances(ctx, &r)
		if err != nil {
			return "", err
		}
		out = append(out, resp.Instances.Instance...)
		return resp.NextToken, nil
	})
	return out, err
}

// privateIPs returns every private IPv4 address of the instance that can be
// a node address: the VPC primary addresses and the classic inner ones.
func privateIPs(inst *ecs.Instance) []string {
	var out []string
	for _, list := range [][]string{inst.VpcAttributes.PrivateIpAddress.IpAddress, inst.InnerIpAddress.IpAddress} {
		for _, ip := range list {
			if ip != "" && !contains(out, ip) {
				out = append(out, ip)
			}
		}
	}
	return out
}

// matchIPs returns privateIPs plus every address on the instance's ENIs:
// whichever of them made the API return the instance for a
// PrivateIpAddresses filter, the node with that InternalIP is this instance.
func matchIPs(inst *ecs.Instance) []string {
	out := privateIPs(inst)
	for _, ni := range inst.NetworkInterfaces.NetworkInterface {
		if ni.PrimaryIpAddress != "" && !contains(out, ni.PrimaryIpAddress) {
			out = append(out, ni.PrimaryIpAddress)
		}
		for _, set := range ni.PrivateIpSets.PrivateIpSet {
			if set.PrivateIpAddress != "" && !contains(out, set.PrivateIpAddress) {
				out = append(out, set.PrivateIpAddress)
			}
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
