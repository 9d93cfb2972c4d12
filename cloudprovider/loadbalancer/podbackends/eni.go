package podbackends

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

// ECSAPI is the ECS action the resolver calls; *cloudapi.ECS implements
// it (ListNetworkInterfaces follows NextToken pages).
type ECSAPI interface {
	ListNetworkInterfaces(ctx context.Context, req *ecs.DescribeNetworkInterfacesRequest) ([]ecs.NetworkInterfaceSet, error)
}

// VPCAPI is the VPC action the resolver calls; *cloudapi.VPC implements it.
type VPCAPI interface {
	DescribeVpcAttribute(ctx context.Context, req *vpc.DescribeVpcAttributeRequest) (*vpc.DescribeVpcAttributeResponse, error)
}

// Resolver limits and cache lifetimes.
const (
	// MaxIPsPerCall is DescribeNetworkInterfaces' PrivateIpAddress.N limit
	// (https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describenetworkinterfaces).
	MaxIPsPerCall = 100
	// DefaultENITTL is how long an IP-to-ENI answer is reused. A pod IP
	// stays on its ENI for the pod's life; the TTL bounds the damage when
	// Terway hands the IP to a pod on another ENI.
	DefaultENITTL = 10 * time.Minute
	// DefaultVPCTTL is how long the VPC's CIDR blocks are reused (they
	// change only when a user adds a secondary block).
	DefaultVPCTTL = time.Hour
	// typeMember is the ENI type of a Terway trunk member ENI; the API
	// returns only Primary and Secondary ENIs when Type is empty.
	typeMember = "Member"
	// typeTrunk is the ENI type of a Terway trunk ENI (shared-ENI pods of
	// a trunking node have their IPs there).
	typeTrunk = "Trunk"
)

// Resolution is the answer for a set of pod IPs.
type Resolution struct {
	// ENI maps each resolved IP to its ENI ID.
	ENI map[string]string
	// Outside are IPs outside every CIDR block of the VPC (overlay pods):
	// they cannot be CLB members and are skipped.
	Outside []string
	// Missing are IPs inside the VPC with no ENI found (yet): the members
	// of their group are incomplete, so nothing may be removed there.
	Missing []string
}

// Resolver maps pod IPs to ENI IDs with batched, cached
// DescribeNetworkInterfaces calls. It is safe for concurrent use.
type Resolver struct {
	ecs   ECSAPI
	vpc   VPCAPI
	vpcID string
	now   func() time.Time

	// ENITTL and VPCTTL override the default cache lifetimes when set
	// before first use.
	ENITTL, VPCTTL time.Duration

	mu      sync.Mutex
	cache   map[string]cached
	cidrs   []netip.Prefix
	cidrsAt time.Time
}

type cached struct {
	eni string
	at  time.Time
}

// NewResolver returns a resolver for pods in the VPC vpcID.
func NewResolver(ecsAPI ECSAPI, vpcAPI VPCAPI, vpcID string) *Resolver {
	return &Resolver{ecs: ecsAPI, vpc: vpcAPI, vpcID: vpcID, now: time.Now, cache: map[string]cached{},
		ENITTL: DefaultENITTL, VPCTTL: DefaultVPCTTL}
}

// Resolve maps ips to ENIs. Cached answers cost nothing; the rest are
// looked up in batches of MaxIPsPerCall: first among Primary and Secondary
// ENIs, then, for IPs still unknown, among Terway trunk member ENIs and trunk
// ENIs, so a cluster where every IP is found pays one call per batch. IPs outside the VPC are
// decided from the VPC's CIDR blocks (one DescribeVpcAttribute an hour).
// An API error fails the whole resolution: callers must then not remove
// anything.
func (r *Resolver) Resolve(ctx context.Context, ips []string) (Resolution, error) {
	res := Resolution{ENI: map[string]string{}}
	cidrs, err := r.vpcCIDRs(ctx)
	if err != nil {
		return res, err
	}
	var lookup []string
	seen := map[string]bool{}
	r.mu.Lock()
	now := r.now()
	for _, ip := range ips {
		if seen[ip] {
			continue
		}
		seen[ip] = true
		addr, err := netip.ParseAddr(ip)
		if err != nil || !inAny(cidrs, addr) {
			res.Outside = append(res.Outside, ip)
			continue
		}
		if c, ok := r.cache[ip]; ok && now.Sub(c.at) < r.ENITTL {
			res.ENI[ip] = c.eni
			continue
		}
		lookup = append(lookup, ip)
	}
	r.mu.Unlock()
	if len(lookup) > 0 {
		found, err := r.lookup(ctx, lookup, "")
		if err != nil {
			return res, err
		}
		// Terway's trunk ENIs and their member ENIs are not returned
		// without an explicit Type; ask for them only for IPs still unknown.
		for _, t := range []string{typeMember, typeTrunk} {
			var rest []string
			for _, ip := range lookup {
				if _, ok := found[ip]; !ok {
					rest = append(rest, ip)
				}
			}
			if len(rest) == 0 {
				break
			}
			more, err := r.lookup(ctx, rest, t)
			if err != nil {
				return res, err
			}
			for ip, id := range more {
				found[ip] = id
			}
		}
		r.mu.Lock()
		for ip, id := range found {
			r.cache[ip] = cached{eni: id, at: now}
			res.ENI[ip] = id
		}
		r.mu.Unlock()
		for _, ip := range lookup {
			if _, ok := found[ip]; !ok {
				res.Missing = append(res.Missing, ip)
			}
		}
	}
	sort.Strings(res.Outside)
	sort.Strings(res.Missing)
	return res, nil
}

// lookup asks DescribeNetworkInterfaces for the ENIs holding ips, in
// batches of MaxIPsPerCall, restricted to the cluster VPC.
func (r *Resolver) lookup(ctx context.Context, ips []string, eniType string) (map[string]string, error) {
	want := make(map[string]bool, len(ips))
	for _, ip := range ips {
		want[ip] = true
	}
	found := map[string]string{}
	for i := 0; i < len(ips); i += MaxIPsPerCall {
		batch := ips[i:min(i+MaxIPsPerCall, len(ips))]
		req := ecs.CreateDescribeNetworkInterfacesRequest()
		req.VpcId = r.vpcID
		req.Type = eniType
		req.PrivateIpAddress = &batch
		sets, err := r.ecs.ListNetworkInterfaces(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("resolving %d pod IPs to ENIs (type %q) in VPC %s: %w", len(batch), eniType, r.vpcID, err)
		}
		for _, s := range sets {
			ipsOf := []string{s.PrivateIpAddress}
			for _, p := range s.PrivateIpSets.PrivateIpSet {
				ipsOf = append(ipsOf, p.PrivateIpAddress)
			}
			for _, ip := range ipsOf {
				if want[ip] {
					found[ip] = s.NetworkInterfaceId
				}
			}
		}
	}
	return found, nil
}

// vpcCIDRs returns the VPC's primary and secondary IPv4 blocks, cached.
func (r *Resolver) vpcCIDRs(ctx context.Context) ([]netip.Prefix, error) {
	r.mu.Lock()
	if r.cidrs != nil && r.now().Sub(r.cidrsAt) < r.VPCTTL {
		c := r.cidrs
		r.mu.Unlock()
		return c, nil
	}
	r.mu.Unlock()
	req := vpc.CreateDescribeVpcAttributeRequest()
	req.VpcId = r.vpcID
	resp, err := r.vpc.DescribeVpcAttribute(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("reading the CIDR blocks of VPC %s: %w", r.vpcID, err)
	}
	var out []netip.Prefix
	for _, c := range append([]string{resp.CidrBlock}, resp.SecondaryCidrBlocks.SecondaryCidrBlock...) {
		if p, err := netip.ParsePrefix(c); err == nil {
			out = append(out, p.Masked())
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("VPC %s reports no CIDR block", r.vpcID)
	}
	r.mu.Lock()
	r.cidrs, r.cidrsAt = out, r.now()
	r.mu.Unlock()
	return out, nil
}

func inAny(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
