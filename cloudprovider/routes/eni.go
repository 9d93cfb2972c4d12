package routes

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
)

// eniListingTTL is how long one VPC-wide listing of primary ENIs answers
// lookups. Primary ENIs live as long as their instance, so a short TTL only
// matters for instances created after the listing (they fall back to a
// per-instance lookup anyway).
const eniListingTTL = time.Minute

// eniTypePrimary is the Type filter of DescribeNetworkInterfaces.
const eniTypePrimary = "Primary"

// srcDstCheck turns off the source/destination check of nodes' primary
// ENIs, once per instance per process. An ECS instance drops packets whose
// destination is not one of its own addresses unless the check is off on
// the ENI; the pod CIDR route makes the instance the next hop for pod
// addresses, so the check must be off for routed pod traffic (from ECI pods
// on a VNode, say) to arrive. SourceDestCheck is a ModifyNetworkInterfaceAttribute
// parameter, allowed on primary ENIs
// (https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-modifynetworkinterfaceattribute).
type srcDstCheck struct {
	api   ecsAPI
	vpcID string

	mu       sync.Mutex
	disabled map[string]bool    // instances done in this process
	inflight map[string]*flight // per instance
	enis     map[string]string  // instance -> primary ENI, from the last VPC listing
	listedAt time.Time          // of enis
	listing  *flight            // the VPC listing in progress
	failed   map[string]error   // last failure per instance, until it succeeds

	modifies, lookups atomic.Int64
}

// flight is one in-progress operation others may wait for.
type flight struct {
	done chan struct{}
	err  error
}

func newSrcDstCheck(api ecsAPI, vpcID string) *srcDstCheck {
	return &srcDstCheck{api: api, vpcID: vpcID, disabled: map[string]bool{}, inflight: map[string]*flight{},
		failed: map[string]error{}}
}

// pending reports whether the instance's check failed and is still to do;
// ListRoutes hides such an instance's routes so the framework calls
// CreateRoute again, which retries.
func (s *srcDstCheck) pending(instance string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed[instance] != nil
}

// ensure turns the check off for the instance unless this process did so
// already. Concurrent calls for one instance share the work.
func (s *srcDstCheck) ensure(ctx context.Context, instance string) error {
	s.mu.Lock()
	if s.disabled[instance] {
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
		s.disabled[instance] = true
		delete(s.failed, instance)
	} else {
		s.failed[instance] = f.err
	}
	s.mu.Unlock()
	close(f.done)
	return f.err
}

// disable finds the instance's primary ENI and turns its check off. The
// ENI's reported SourceDestCheck is not trusted to skip the call: an answer
// without the field would read as "already off".
func (s *srcDstCheck) disable(ctx context.Context, instance string) error {
	eni, err := s.primaryENI(ctx, instance)
	if err != nil {
		return err
	}
	req := ecs.CreateModifyNetworkInterfaceAttributeRequest()
	req.NetworkInterfaceId = eni
	req.SourceDestCheck = requests.NewBoolean(false)
	s.modifies.Add(1)
	if _, err := s.api.ModifyNetworkInterfaceAttribute(ctx, req); err != nil {
		return fmt.Errorf("turning off the source/destination check of ENI %s of instance %s: %w", eni, instance, err)
	}
	return nil
}

// primaryENI looks the instance up in a VPC-wide listing of primary ENIs,
// shared by all concurrent callers (one listing serves a whole batch of new
// routes), and falls back to a lookup of the one instance.
func (s *srcDstCheck) primaryENI(ctx context.Context, instance string) (string, error) {
	if id, ok, err := s.fromListing(ctx); err == nil {
		if eni := id[instance]; eni != "" {
			return eni, nil
		}
	} else if ok {
		return "", err
	}
	req := ecs.CreateDescribeNetworkInterfacesRequest()
	req.InstanceId = instance
	req.Type = eniTypePrimary
	s.lookups.Add(1)
	sets, err := s.api.ListNetworkInterfaces(ctx, req)
	if err != nil {
		return "", fmt.Errorf("finding the primary ENI of instance %s: %w", instance, err)
	}
	for _, n := range sets {
		if isPrimary(n) && (n.InstanceId == instance || n.Attachment.InstanceId == instance) {
			return n.NetworkInterfaceId, nil
		}
	}
	return "", fmt.Errorf("instance %s has no primary ENI (DescribeNetworkInterfaces InstanceId=%s Type=Primary found none)", instance, instance)
}

// fromListing returns the instance -> primary ENI map, listing the VPC's
// primary ENIs when the map is older than eniListingTTL. ok reports that
// the error is the caller's own context ending (no point in a fallback).
func (s *srcDstCheck) fromListing(ctx context.Context) (map[string]string, bool, error) {
	s.mu.Lock()
	if s.enis != nil && time.Since(s.listedAt) < eniListingTTL {
		m := s.enis
		s.mu.Unlock()
		return m, false, nil
	}
	f := s.listing
	if f == nil {
		f = &flight{done: make(chan struct{})}
		s.listing = f
		go s.listVPC(f)
	}
	s.mu.Unlock()
	select {
	case <-f.done:
	case <-ctx.Done():
		return nil, true, ctx.Err()
	}
	if f.err != nil {
		return nil, false, f.err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.enis, false, nil
}

// listVPC lists the VPC's primary ENIs; it runs detached from any one
// caller so a caller leaving does not fail the others.
func (s *srcDstCheck) listVPC(f *flight) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req := ecs.CreateDescribeNetworkInterfacesRequest()
	req.VpcId = s.vpcID
	req.Type = eniTypePrimary
	s.lookups.Add(1)
	sets, err := s.api.ListNetworkInterfaces(ctx, req)
	m := map[string]string{}
	for _, n := range sets {
		if !isPrimary(n) {
			continue
		}
		inst := n.InstanceId
		if inst == "" {
			inst = n.Attachment.InstanceId
		}
		if inst != "" {
			m[inst] = n.NetworkInterfaceId
		}
	}
	s.mu.Lock()
	if err == nil {
		s.enis, s.listedAt = m, time.Now()
	} else {
		f.err = fmt.Errorf("listing primary ENIs of VPC %s: %w", s.vpcID, err)
	}
	s.listing = nil
	s.mu.Unlock()
	close(f.done)
}

// isPrimary reports whether the listing says the ENI is a primary one. The
// Type filter of the request is not relied on alone: modifying a secondary
// (say, Terway pod) ENI would change an interface the CCM does not own.
func isPrimary(n ecs.NetworkInterfaceSet) bool {
	return n.Type == eniTypePrimary
}
