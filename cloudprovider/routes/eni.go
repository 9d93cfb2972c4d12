package routes

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
)

// eniTypePrimary is the Type filter of DescribeNetworkInterfaces.
const eniTypePrimary = "Primary"

// eniRecheckInterval is the least time between two reads of the ENIs' state: the
// framework may run several route reconciles in a row (one per node
// event, at most one per 10 s), and one read serves them all.
const eniRecheckInterval = time.Second

// eniMissingTTL is how long an instance the VPC-wide listing did not show
// is left out of further listings: an instance of another VPC, or one
// already released whose node is still to be deleted, would otherwise cost
// a whole listing every reconcile. CreateRoute still looks it up alone.
const eniMissingTTL = 5 * time.Minute

// eniIDsPerCall is DescribeNetworkInterfaces' NetworkInterfaceId.N limit
// (1-100,
// https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describenetworkinterfaces).
const eniIDsPerCall = 100

// srcDstCheck keeps the source/destination check of routed nodes' primary
// ENIs off. An ECS instance drops packets whose destination is not one of
// its own addresses unless the check is off on the ENI; the pod CIDR route
// makes the instance the next hop for pod addresses, so the check must be
// off for routed pod traffic (from ECI pods on a VNode, say) to arrive.
// SourceDestCheck is a ModifyNetworkInterfaceAttribute parameter, allowed
// on primary ENIs
// (https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-modifynetworkinterfaceattribute).
//
// The check is converged state, read from the cloud on every route
// reconcile (refresh), not remembered: a crash or a leader change between
// a route write and the ENI write, or someone turning the check back on,
// is found at the next reconcile, whose ListRoutes then leaves the node's
// route out so the framework calls CreateRoute, which turns it off.
type srcDstCheck struct {
	api     ecsAPI
	vpcID   string
	recheck time.Duration // least time between refreshes (eniRecheckInterval)

	mu       sync.Mutex
	eniOf    map[string]string    // instance -> primary ENI: fixed for the instance's life
	checkOn  map[string]bool      // instance -> SourceDestCheck, as last read or written
	readAt   time.Time            // of the last refresh
	inflight map[string]*flight   // per instance, in ensure
	failed   map[string]error     // last failure per instance, until it succeeds
	missing  map[string]time.Time // instance -> when a VPC listing lacked it

	refreshMu sync.Mutex // one refresh at a time

	modifies, lookups atomic.Int64
}

// flight is one in-progress operation others may wait for.
type flight struct {
	done chan struct{}
	err  error
}

func newSrcDstCheck(api ecsAPI, vpcID string) *srcDstCheck {
	return &srcDstCheck{api: api, vpcID: vpcID, recheck: eniRecheckInterval, eniOf: map[string]string{}, checkOn: map[string]bool{},
		inflight: map[string]*flight{}, failed: map[string]error{}, missing: map[string]time.Time{}}
}

// pending reports whether the instance's check is known to be on (or
// failed to go off): ListRoutes then hides the instance's routes so the
// framework calls CreateRoute, which turns it off.
func (s *srcDstCheck) pending(instance string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.checkOn[instance] || s.failed[instance] != nil
}

// refresh reads the check of the instances' primary ENIs from the cloud:
// one DescribeNetworkInterfaces per 100 instances whose primary ENI is
// known, plus, for instances seen for the first time, one VPC-wide listing
// of primary ENIs (500 per page) that finds their ENIs and state at once.
// A failed read keeps what is known (the next reconcile reads again); it
// never hides a route on a guess.
func (s *srcDstCheck) refresh(ctx context.Context, instances []string) {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	s.mu.Lock()
	if time.Since(s.readAt) < s.recheck {
		s.mu.Unlock()
		return
	}
	var known, unknown []string
	for _, in := range instances {
		if eni := s.eniOf[in]; eni != "" {
			known = append(known, eni)
		} else if at, ok := s.missing[in]; !ok || time.Since(at) >= eniMissingTTL {
			unknown = append(unknown, in)
		}
	}
	s.mu.Unlock()

	listed := map[string]bool{}
	if len(unknown) > 0 {
		req := ecs.CreateDescribeNetworkInterfacesRequest()
		req.VpcId = s.vpcID
		req.Type = eniTypePrimary
		s.lookups.Add(1)
		sets, err := s.api.ListNetworkInterfaces(ctx, req)
		if err != nil {
			klog.ErrorS(err, "Cannot read the nodes' primary ENIs; their source/destination check is read again at the next route reconcile",
				"vpc", s.vpcID)
			return
		}
		for _, id := range s.record(sets) {
			listed[id] = true
		}
		s.mu.Lock()
		for _, in := range unknown {
			if s.eniOf[in] == "" {
				s.missing[in] = time.Now()
			} else {
				delete(s.missing, in)
			}
		}
		s.mu.Unlock()
	}
	var ask []string
	for _, eni := range known {
		if !listed[eni] {
			ask = append(ask, eni)
		}
	}
	for len(ask) > 0 {
		batch := ask[:min(eniIDsPerCall, len(ask))]
		ask = ask[len(batch):]
		req := ecs.CreateDescribeNetworkInterfacesRequest()
		ids := slices.Clone(batch)
		req.NetworkInterfaceId = &ids
		s.lookups.Add(1)
		sets, err := s.api.ListNetworkInterfaces(ctx, req)
		if err != nil {
			klog.ErrorS(err, "Cannot read the nodes' primary ENIs; their source/destination check is read again at the next route reconcile",
				"enis", len(batch))
			return
		}
		got := map[string]bool{}
		for _, id := range s.record(sets) {
			got[id] = true
		}
		// An ENI the answer lacks is gone with its instance (or was never
		// the primary one): forget it, the next need looks it up again.
		s.mu.Lock()
		for in, eni := range s.eniOf {
			if slices.Contains(batch, eni) && !got[eni] {
				delete(s.eniOf, in)
				delete(s.checkOn, in)
			}
		}
		s.mu.Unlock()
	}
	s.mu.Lock()
	s.readAt = time.Now()
	s.mu.Unlock()
}

// record stores what a DescribeNetworkInterfaces answer says about primary
// ENIs and returns their IDs. The SourceDestCheck field is trusted: where
// the feature exists the API reports it, and where it does not (it is
// available in some regions only) there is no check to turn off.
func (s *srcDstCheck) record(sets []ecs.NetworkInterfaceSet) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, n := range sets {
		inst := n.InstanceId
		if inst == "" {
			inst = n.Attachment.InstanceId
		}
		if !isPrimary(n) || inst == "" {
			continue
		}
		s.eniOf[inst] = n.NetworkInterfaceId
		s.checkOn[inst] = n.SourceDestCheck
		ids = append(ids, n.NetworkInterfaceId)
	}
	return ids
}

// ensure turns the check off for the instance unless the last read (or
// write) says it is off. Concurrent calls for one instance share the work.
func (s *srcDstCheck) ensure(ctx context.Context, instance string) error {
	s.mu.Lock()
	if on, known := s.checkOn[instance]; known && !on && s.failed[instance] == nil {
		s.mu.Unlock()
		return nil
	}
	if f := s.inflight[instance]; f != nil {
		s.mu.Unlock()
		select {
		case <-f.done:
			return f.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f := &flight{done: make(chan struct{})}
	s.inflight[instance] = f
	s.mu.Unlock()

	f.err = s.disable(ctx, instance)

	s.mu.Lock()
	delete(s.inflight, instance)
	if f.err == nil {
		s.checkOn[instance] = false
		delete(s.failed, instance)
	} else {
		s.failed[instance] = f.err
	}
	s.mu.Unlock()
	close(f.done)
	return f.err
}

// disable finds the instance's primary ENI and turns its check off, unless
// the lookup shows it off already.
func (s *srcDstCheck) disable(ctx context.Context, instance string) error {
	eni, on, err := s.primaryENI(ctx, instance)
	if err != nil {
		return err
	}
	if !on {
		return nil
	}
	req := ecs.CreateModifyNetworkInterfaceAttributeRequest()
	req.NetworkInterfaceId = eni
	req.SourceDestCheck = requests.NewBoolean(false)
	s.modifies.Add(1)
	if _, err := s.api.ModifyNetworkInterfaceAttribute(ctx, req); err != nil {
		if cloudapi.IsNotFound(err) {
			s.forget(instance)
		}
		return fmt.Errorf("turning off the source/destination check of ENI %s of instance %s: %w", eni, instance, err)
	}
	klog.V(2).InfoS("Turned off the source/destination check", "instance", instance, "eni", eni)
	return nil
}

// forget drops what is known about the instance's ENI.
func (s *srcDstCheck) forget(instance string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.eniOf, instance)
	delete(s.checkOn, instance)
}

// primaryENI returns the instance's primary ENI and whether its check is
// on: from the last read when the check is known to be on (it is about to
// be turned off), else from a lookup of the one instance, which is fresh.
func (s *srcDstCheck) primaryENI(ctx context.Context, instance string) (eni string, on bool, err error) {
	s.mu.Lock()
	eni, on = s.eniOf[instance], s.checkOn[instance]
	s.mu.Unlock()
	if eni != "" && on {
		return eni, true, nil
	}
	req := ecs.CreateDescribeNetworkInterfacesRequest()
	req.InstanceId = instance
	req.Type = eniTypePrimary
	s.lookups.Add(1)
	sets, err := s.api.ListNetworkInterfaces(ctx, req)
	if err != nil {
		return "", false, fmt.Errorf("finding the primary ENI of instance %s: %w", instance, err)
	}
	for _, n := range sets {
		if isPrimary(n) && (n.InstanceId == instance || n.Attachment.InstanceId == instance) {
			s.record([]ecs.NetworkInterfaceSet{n})
			return n.NetworkInterfaceId, n.SourceDestCheck, nil
		}
	}
	return "", false, fmt.Errorf("instance %s has no primary ENI (DescribeNetworkInterfaces InstanceId=%s Type=Primary found none)", instance, instance)
}

// isPrimary reports whether the listing says the ENI is a primary one. The
// Type filter of the request is not relied on alone: modifying a secondary
// (say, Terway pod) ENI would change an interface the CCM does not own.
func isPrimary(n ecs.NetworkInterfaceSet) bool {
	return n.Type == eniTypePrimary
}
