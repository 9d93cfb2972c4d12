package routes

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
)

// scriptedECS is a VPC's primary ENIs, one per instance "i-N" named
// "eni-N", answered as DescribeNetworkInterfaces would; it records every
// listing's filters and every modification.
type scriptedECS struct {
	mu        sync.Mutex
	check     map[string]bool // instance -> SourceDestCheck
	listErr   error
	modErr    error
	listings  []string // "vpc", "ids:<n>", "instance:<id>"
	modified  []string
	modDelay  time.Duration
	modifying atomic.Int32
}

func newScriptedECS(n int) *scriptedECS {
	s := &scriptedECS{check: map[string]bool{}}
	for i := range n {
		s.check[fmt.Sprintf("i-%d", i)] = true
	}
	return s
}

func (s *scriptedECS) set(inst string) ecs.NetworkInterfaceSet {
	return ecs.NetworkInterfaceSet{NetworkInterfaceId: "eni-" + inst[2:], Type: "Primary", InstanceId: inst, SourceDestCheck: s.check[inst]}
}

func (s *scriptedECS) ListNetworkInterfaces(_ context.Context, req *ecs.DescribeNetworkInterfacesRequest) ([]ecs.NetworkInterfaceSet, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ecs.NetworkInterfaceSet
	switch {
	case req.NetworkInterfaceId != nil:
		s.listings = append(s.listings, fmt.Sprintf("ids:%d", len(*req.NetworkInterfaceId)))
		for _, id := range *req.NetworkInterfaceId {
			if _, ok := s.check["i-"+id[4:]]; ok {
				out = append(out, s.set("i-"+id[4:]))
			}
		}
	case req.InstanceId != "":
		s.listings = append(s.listings, "instance:"+req.InstanceId)
		if _, ok := s.check[req.InstanceId]; ok {
			out = append(out, s.set(req.InstanceId))
		}
	default:
		s.listings = append(s.listings, "vpc")
		for inst := range s.check {
			out = append(out, s.set(inst))
		}
	}
	return out, s.listErr
}

func (s *scriptedECS) ModifyNetworkInterfaceAttribute(_ context.Context, req *ecs.ModifyNetworkInterfaceAttributeRequest) (*ecs.ModifyNetworkInterfaceAttributeResponse, error) {
	s.modifying.Add(1)
	time.Sleep(s.modDelay)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.modified = append(s.modified, req.NetworkInterfaceId)
	if s.modErr != nil {
		return nil, s.modErr
	}
	s.check["i-"+req.NetworkInterfaceId[4:]] = false
	return &ecs.ModifyNetworkInterfaceAttributeResponse{}, nil
}

func (s *scriptedECS) calls() (listings []string, modified []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.listings), slices.Clone(s.modified)
}

func instances(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("i-%d", i))
	}
	return out
}

// TestRefreshListings is the table of which listings a reconcile's refresh
// makes: one VPC-wide listing for instances seen for the first time, then
// by ENI ID in calls of at most 100; an instance the VPC listing lacked is
// not asked again for eniMissingTTL.
func TestRefreshListings(t *testing.T) {
	api := newScriptedECS(250)
	s := newSrcDstCheck(api, "vpc-1")
	s.recheck = 0

	s.refresh(context.Background(), instances(0, 250))
	if l, _ := api.calls(); !slices.Equal(l, []string{"vpc"}) {
		t.Fatalf("first refresh listings %v, want one VPC-wide listing", l)
	}
	for _, in := range []string{"i-0", "i-249"} {
		if !s.pending(in) {
			t.Errorf("%s: check read as on is not pending", in)
		}
	}
	api.listings = nil
	s.refresh(context.Background(), instances(0, 250))
	if l, _ := api.calls(); !slices.Equal(l, []string{"ids:100", "ids:100", "ids:50"}) {
		t.Errorf("steady refresh listings %v, want ENI IDs in calls of 100, 100, 50", l)
	}
	// An instance of another VPC (or already released) is looked for once,
	// then left out of listings until eniMissingTTL passes.
	api.listings = nil
	s.refresh(context.Background(), []string{"i-0", "i-elsewhere"})
	s.refresh(context.Background(), []string{"i-0", "i-elsewhere"})
	if l, _ := api.calls(); !slices.Equal(l, []string{"vpc", "ids:1"}) {
		t.Errorf("listings %v, want one VPC listing for the unknown instance, then only the known ENI", l)
	}
	s.mu.Lock()
	s.missing["i-elsewhere"] = time.Now().Add(-eniMissingTTL)
	s.mu.Unlock()
	api.listings = nil
	s.refresh(context.Background(), []string{"i-elsewhere"})
	if l, _ := api.calls(); !slices.Equal(l, []string{"vpc"}) {
		t.Errorf("after eniMissingTTL: listings %v, want the VPC listing again", l)
	}
}

// TestRefreshKeepsStateOnErrors: a failed read changes nothing (no route
// is hidden or shown on a guess) and the next reconcile reads again.
func TestRefreshKeepsStateOnErrors(t *testing.T) {
	api := newScriptedECS(2)
	s := newSrcDstCheck(api, "vpc-1")
	s.recheck = time.Hour
	api.listErr = errors.New("Throttling.User")
	s.refresh(context.Background(), instances(0, 2))
	if s.pending("i-0") || !s.readAt.IsZero() {
		t.Error("a failed first read marked the instance pending or counted as a read")
	}
	api.listErr = nil
	s.refresh(context.Background(), instances(0, 2))
	if !s.pending("i-0") {
		t.Error("the next reconcile did not read again")
	}
	// Within recheck a further reconcile reads nothing.
	api.listings = nil
	s.refresh(context.Background(), instances(0, 2))
	if l, _ := api.calls(); len(l) != 0 {
		t.Errorf("listings within the recheck interval: %v", l)
	}
}

// TestRefreshForgetsVanishedENIs: an ENI a by-ID answer lacks is gone with
// its instance; it is forgotten so a later need looks it up afresh.
func TestRefreshForgetsVanishedENIs(t *testing.T) {
	api := newScriptedECS(2)
	s := newSrcDstCheck(api, "vpc-1")
	s.recheck = 0
	s.refresh(context.Background(), instances(0, 2))
	api.mu.Lock()
	delete(api.check, "i-1")
	api.mu.Unlock()
	s.refresh(context.Background(), instances(0, 2))
	s.mu.Lock()
	_, known := s.eniOf["i-1"]
	s.mu.Unlock()
	if known || s.pending("i-1") {
		t.Error("the vanished ENI is still known")
	}
}

// TestEnsureDecisions is the table of what CreateRoute's ENI step does.
func TestEnsureDecisions(t *testing.T) {
	notFound := &cloudapi.APIError{Product: cloudapi.ProductECS, Code: "InvalidEniId.NotFound", HTTPStatus: 404}
	tests := []struct {
		name       string
		refreshed  bool // a reconcile read the state first
		checkOn    bool
		modErr     error
		wantMods   int
		wantLookup bool // a per-instance lookup was made
		wantErr    bool
		pending    bool
	}{
		{name: "known on: turned off without another read", refreshed: true, checkOn: true, wantMods: 1},
		{name: "known off: nothing to do", refreshed: true, checkOn: false, wantMods: 0},
		{name: "unknown, on: looked up and turned off", checkOn: true, wantMods: 1, wantLookup: true},
		{name: "unknown, off: looked up only", checkOn: false, wantMods: 0, wantLookup: true},
		{name: "modify fails: error, stays pending", refreshed: true, checkOn: true, modErr: errors.New("InternalError"),
			wantMods: 1, wantErr: true, pending: true},
		{name: "ENI gone: error, forgotten", refreshed: true, checkOn: true, modErr: notFound, wantMods: 1, wantErr: true, pending: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := newScriptedECS(1)
			api.check["i-0"] = tc.checkOn
			api.modErr = tc.modErr
			s := newSrcDstCheck(api, "vpc-1")
			if tc.refreshed {
				s.refresh(context.Background(), []string{"i-0"})
			}
			api.listings = nil
			err := s.ensure(context.Background(), "i-0")
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tc.wantErr)
			}
			l, mods := api.calls()
			if len(mods) != tc.wantMods || slices.Contains(l, "instance:i-0") != tc.wantLookup {
				t.Errorf("modifications %v, listings %v; want %d modifications, lookup %v", mods, l, tc.wantMods, tc.wantLookup)
			}
			if s.pending("i-0") != tc.pending {
				t.Errorf("pending = %v, want %v", s.pending("i-0"), tc.pending)
			}
			if errors.Is(tc.modErr, notFound) {
				s.mu.Lock()
				_, known := s.eniOf["i-0"]
				s.mu.Unlock()
				if known {
					t.Error("a gone ENI is still remembered")
				}
			}
		})
	}
}

// TestEnsureShared: concurrent CreateRoute calls for one instance (its
// IPv4 and IPv6 pod CIDRs, several tables) turn the check off once.
func TestEnsureShared(t *testing.T) {
	api := newScriptedECS(1)
	api.modDelay = 50 * time.Millisecond
	s := newSrcDstCheck(api, "vpc-1")
	s.refresh(context.Background(), []string{"i-0"})
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			if err := s.ensure(context.Background(), "i-0"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := api.modifying.Load(); n != 1 {
		t.Errorf("%d modifications for 5 concurrent calls, want 1", n)
	}
	if s.pending("i-0") {
		t.Error("still pending after the check went off")
	}
}
