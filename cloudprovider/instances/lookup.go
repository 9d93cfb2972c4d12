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
// absent,
// https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describeinstances),
// but other ECS actions return it; if it ever comes back here it is a
// positive "gone" for a single ID.
const codeInstanceNotFound = "InvalidInstanceId.NotFound"

// maxIPsPerCall is DescribeInstances' PrivateIpAddresses limit (JSON array
// of at most 100,
// https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describeinstances).
const maxIPsPerCall = 100

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
	inst    *instance // set when present
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
	// listing is the last complete VPC-wide listing (see vpcListing);
	// listMu makes concurrent callers share one.
	listing vpcInstances
	listMu  sync.Mutex
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
	asked := l.opts.Clock.Now()
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
		out[got[i].InstanceId] = idAnswer{verdict: present, inst: trimInstance(&got[i]), at: now}
	}
	var missing []string
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		// An ID-filtered answer without an instance does not prove it gone:
		// DescribeInstances leaves out what the caller's RAM policy does not
		// grant, without an error, and a policy may grant some instances
		// only (see the DescribeInstances page:
		// https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describeinstances).
		// So the missing IDs are checked against a
		// VPC-wide listing, an answer that would contain them if they
		// existed: gone only if it does not.
		for id, a := range l.confirm(ctx, missing, asked) {
			out[id] = a
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
			// cause (the NotFound that started the split) is context only: wrapped, it
			// would make IsNotFound true for a different failure.
			//nolint:errorlint // cause is context, see above
			return nil, fmt.Errorf("%w (while isolating %v)", err, cause)
		}
		for k, v := range got {
			out[k] = v
		}
	}
	return out, nil
}

// confirm answers IDs an ID-filtered call (made at asked) left out from
// a VPC-wide listing made after it: present if the listing has the
// instance (a RAM policy hid it from the filtered call), gone if a
// complete, non-empty listing does not, unknown if the listing failed or is
// empty (a RAM identity without permission gets an empty list).
func (l *lookup) confirm(ctx context.Context, ids []string, asked time.Time) map[string]idAnswer {
	vpc, err := l.vpcListing(ctx, asked)
	out := make(map[string]idAnswer, len(ids))
	for _, id := range ids {
		switch inst, ok := vpc.byID[id]; {
		case err != nil || len(vpc.byID) == 0:
			out[id] = idAnswer{verdict: unknown}
		case ok:
			klog.V(2).InfoS("DescribeInstances by ID left out an instance the VPC listing shows (RAM policy?); it exists",
				"instance", id, "vpc", l.opts.VpcID)
			out[id] = idAnswer{verdict: present, inst: inst, at: vpc.at}
		default:
			out[id] = idAnswer{verdict: gone, at: vpc.at}
		}
	}
	return out
}

// vpcInstances is one complete listing of the VPC's instances.
type vpcInstances struct {
	byID map[string]*instance
	at   time.Time // when the listing started
}

// vpcListing lists every instance of the VPC (DescribeInstances VpcId, 100
// per page). A listing started no earlier than notBefore is reused:
// concurrent batches that missed IDs share one, but an older one could
// still show an instance released since, which would keep a gone node for
// a whole cache period. It is needed only when an ID seems gone, which is
// rare (a node's instance released, or a hiding RAM policy, whose instances
// then sit in the answer cache for CacheTTL). A failed or empty listing is
// not kept.
func (l *lookup) vpcListing(ctx context.Context, notBefore time.Time) (vpcInstances, error) {
	l.listMu.Lock()
	defer l.listMu.Unlock()
	l.mu.Lock()
	cur := l.listing
	l.mu.Unlock()
	if !cur.at.IsZero() && !cur.at.Before(notBefore) {
		return cur, nil
	}
	req := ecs.CreateDescribeInstancesRequest()
	req.VpcId = l.opts.VpcID
	start := l.opts.Clock.Now()
	got, err := l.list(ctx, req)
	if err != nil {
		klog.ErrorS(err, "Listing the VPC's instances failed; instances left out of ID-filtered answers count as existing", "vpc", l.opts.VpcID)
		return vpcInstances{}, err
	}
	cur = vpcInstances{byID: make(map[string]*instance, len(got)), at: start}
	for i := range got {
		cur.byID[got[i].InstanceId] = trimInstance(&got[i])
	}
	if len(got) == 0 {
		klog.InfoS("DescribeInstances returns no instance in the VPC: missing instances count as existing "+
			"(a RAM identity without ecs:DescribeInstances gets an empty list)", "vpc", l.opts.VpcID)
		return cur, nil
	}
	l.mu.Lock()
	l.listing = cur
	l.mu.Unlock()
	return cur, nil
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
		inst := trimInstance(&got[i])
		l.byID[inst.id] = idAnswer{verdict: present, inst: inst, at: now}
		for _, ip := range inst.match {
			if wanted[ip] && !contains(out[ip], inst.id) {
				out[ip] = append(out[ip], inst.id)
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
