package instances

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	testingclock "k8s.io/utils/clock/testing"
)

// pagedECS answers DescribeInstances from a list of instances, filtered by
// InstanceIds, VpcId and PrivateIpAddresses as ECS does, pageSize per page;
// hidden IDs are left out of ID-filtered answers (a RAM policy).
type pagedECS struct {
	mu       sync.Mutex
	insts    []ecs.Instance
	hidden   map[string]bool
	pageSize int
	idErr    error // answer to ID-filtered calls
	vpcErr   error // answer to VPC listings
	byID     int   // ID-filtered calls
	byVPC    int   // VPC listings (pages)
	byIP     int
}

func (p *pagedECS) DescribeInstances(_ context.Context, req *ecs.DescribeInstancesRequest) (*ecs.DescribeInstancesResponse, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ids, ips []string
	_ = json.Unmarshal([]byte(req.InstanceIds), &ids)
	_ = json.Unmarshal([]byte(req.PrivateIpAddresses), &ips)
	var match []ecs.Instance
	switch {
	case len(ids) > 0:
		p.byID++
		if p.idErr != nil {
			return nil, p.idErr
		}
		for _, in := range p.insts {
			if slices.Contains(ids, in.InstanceId) && !p.hidden[in.InstanceId] {
				match = append(match, in)
			}
		}
	case len(ips) > 0:
		p.byIP++
		for _, in := range p.insts {
			if slices.ContainsFunc(matchIPs(&in), func(ip string) bool { return slices.Contains(ips, ip) }) {
				match = append(match, in)
			}
		}
	default:
		p.byVPC++
		if p.vpcErr != nil {
			return nil, p.vpcErr
		}
		match = p.insts
	}
	size := p.pageSize
	if size == 0 {
		size = 100
	}
	start, _ := strconv.Atoi(req.NextToken)
	end := min(start+size, len(match))
	resp := &ecs.DescribeInstancesResponse{}
	resp.Instances.Instance = match[start:end]
	if end < len(match) {
		resp.NextToken = strconv.Itoa(end)
	}
	return resp, nil
}

func vpcInst(id, ip string, extra ...string) ecs.Instance {
	in := ecs.Instance{InstanceId: id, Status: "Running"}
	in.VpcAttributes.PrivateIpAddress.IpAddress = []string{ip}
	if len(extra) > 0 {
		ni := ecs.NetworkInterface{PrimaryIpAddress: extra[0]}
		for _, e := range extra[1:] {
			ni.PrivateIpSets.PrivateIpSet = append(ni.PrivateIpSets.PrivateIpSet, ecs.PrivateIpSet{PrivateIpAddress: e})
		}
		in.NetworkInterfaces.NetworkInterface = []ecs.NetworkInterface{ni}
	}
	return in
}

func unitLookup(api ecsAPI, clk *testingclock.FakeClock, known func() []string) *lookup {
	opts := &Options{Region: testRegion, VpcID: testVPC, CacheTTL: time.Minute, BatchWindow: time.Millisecond,
		CallTimeout: 10 * time.Second, Clock: clk, KnownInstances: known}
	return newLookup(api, opts)
}

// TestDescribeIDsVerdicts is the table of what one batch answer means for
// an instance ID: only a complete, non-empty VPC listing that also lacks
// the ID makes it gone.
func TestDescribeIDsVerdicts(t *testing.T) {
	base := []ecs.Instance{vpcInst("i-live", "192.168.0.1"), vpcInst("i-hidden", "192.168.0.2")}
	tests := []struct {
		name    string
		insts   []ecs.Instance
		hidden  []string
		vpcErr  error
		idErr   error
		ask     string
		want    verdict
		wantErr bool
	}{
		{name: "listed by ID", insts: base, ask: "i-live", want: present},
		{name: "hidden from ID filters, in the VPC listing", insts: base, hidden: []string{"i-hidden"}, ask: "i-hidden", want: present},
		{name: "in neither", insts: base, ask: "i-gone", want: gone},
		{name: "in neither, VPC listing empty (no permission?)", ask: "i-gone", want: unknown},
		{name: "in neither, VPC listing failed", insts: base, vpcErr: errors.New("Throttling"), ask: "i-gone", want: unknown},
		{name: "ID call failed", insts: base, idErr: errors.New("InternalError"), ask: "i-live", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := &pagedECS{insts: tc.insts, vpcErr: tc.vpcErr, idErr: tc.idErr, hidden: map[string]bool{}}
			for _, h := range tc.hidden {
				api.hidden[h] = true
			}
			l := unitLookup(api, testingclock.NewFakeClock(time.Unix(1000, 0)), nil)
			got, err := l.describeIDs(context.Background(), []string{tc.ask})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if got[tc.ask].verdict != tc.want {
				t.Errorf("verdict %v, want %v", got[tc.ask].verdict, tc.want)
			}
			// Unknown answers are never cached: the next call asks again.
			_, cached := l.cachedID(tc.ask)
			if cached != (tc.want != unknown) {
				t.Errorf("cached: %v, want %v", cached, tc.want != unknown)
			}
		})
	}
}

// TestVPCListingShared: batches that missed IDs share a VPC listing made
// after they asked, but never one older than their question.
func TestVPCListingShared(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Unix(1000, 0))
	api := &pagedECS{insts: []ecs.Instance{vpcInst("i-live", "192.168.0.1")}, pageSize: 1}
	l := unitLookup(api, clk, nil)
	asked := clk.Now()
	if _, err := l.vpcListing(context.Background(), asked); err != nil {
		t.Fatal(err)
	}
	if _, err := l.vpcListing(context.Background(), asked); err != nil || api.byVPC != 1 {
		t.Errorf("second batch of the same moment: %d listings, want the first one reused (err %v)", api.byVPC, err)
	}
	clk.Step(time.Second)
	if _, err := l.vpcListing(context.Background(), clk.Now()); err != nil || api.byVPC != 2 {
		t.Errorf("a later question: %d listings, want a fresh one (err %v)", api.byVPC, err)
	}
}

// TestListFollowsPages: a VPC listing reads every page (NextToken).
func TestListFollowsPages(t *testing.T) {
	var insts []ecs.Instance
	for i := range 7 {
		insts = append(insts, vpcInst(fmt.Sprintf("i-p%d", i), fmt.Sprintf("192.168.0.%d", i+1)))
	}
	api := &pagedECS{insts: insts, pageSize: 3}
	l := unitLookup(api, testingclock.NewFakeClock(time.Unix(1000, 0)), nil)
	got, err := l.vpcListing(context.Background(), time.Time{})
	if err != nil || len(got.byID) != 7 || api.byVPC != 3 {
		t.Errorf("listing = %d instances in %d pages, %v; want 7 in 3", len(got.byID), api.byVPC, err)
	}
}

// TestTopUp: a batch is topped up with other nodes' instances whose cached
// answer is missing or stale, never with what is fresh or already being
// fetched, and never beyond the room left.
func TestTopUp(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Unix(1000, 0))
	known := []string{"i-asked", "i-fresh", "i-stale", "i-inflight", "i-new1", "i-new2", "i-new3"}
	l := unitLookup(&pagedECS{}, clk, func() []string { return known })
	l.byID["i-fresh"] = idAnswer{verdict: present, at: clk.Now()}
	l.byID["i-stale"] = idAnswer{verdict: present, at: clk.Now().Add(-time.Hour)}
	l.fetching["i-inflight"] = 1
	got := l.topUp([]string{"i-asked"}, 3)
	if want := []string{"i-stale", "i-new1", "i-new2"}; !slices.Equal(got, want) {
		t.Errorf("topUp = %v, want %v", got, want)
	}
	for _, id := range append(got, "i-asked") {
		if l.fetching[id] == 0 {
			t.Errorf("%s is not marked as being fetched", id)
		}
	}
	if again := l.topUp([]string{"i-other"}, 10); !slices.Equal(again, []string{"i-new3"}) {
		t.Errorf("a concurrent batch tops up with %v, want only i-new3", again)
	}
	if none := l.topUp([]string{"i-x"}, 0); len(none) != 0 {
		t.Errorf("no room: topUp = %v", none)
	}
}

// TestFetchIPs: an InternalIP is matched by any address of an instance's
// ENIs; an IP two instances carry yields both (ambiguous); the instances
// found also answer later ID lookups from the cache.
func TestFetchIPs(t *testing.T) {
	api := &pagedECS{insts: []ecs.Instance{
		vpcInst("i-a", "192.168.0.1", "192.168.0.1", "192.168.0.50"),
		vpcInst("i-b", "192.168.0.2", "192.168.0.2", "192.168.0.60"),
		vpcInst("i-c", "192.168.0.3", "192.168.0.3", "192.168.0.60"),
	}}
	l := unitLookup(api, testingclock.NewFakeClock(time.Unix(1000, 0)), nil)
	got, err := l.fetchIPs(context.Background(), []string{"192.168.0.50", "192.168.0.60", "10.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got["192.168.0.50"], []string{"i-a"}) || !slices.Equal(got["192.168.0.60"], []string{"i-b", "i-c"}) || len(got["10.0.0.1"]) != 0 {
		t.Errorf("by IP = %v", got)
	}
	if api.byIP != 1 {
		t.Errorf("%d calls for 3 IPs, want 1", api.byIP)
	}
	for _, id := range []string{"i-a", "i-b", "i-c"} {
		if a, ok := l.cachedID(id); !ok || a.verdict != present {
			t.Errorf("%s not cached as present after the IP lookup", id)
		}
	}
	// The IP answers are cached too, the empty one included.
	if ids, err := l.instancesByIP(context.Background(), "10.0.0.1"); err != nil || len(ids) != 0 || api.byIP != 1 {
		t.Errorf("cached empty IP answer: %v, %v after %d calls", ids, err, api.byIP)
	}
}

// TestMetadataUnknownNamesThePermission: when ECS answers nothing about an
// instance and the VPC listing is empty too, InstanceMetadata says what is
// likely missing instead of reporting the node's instance gone.
func TestMetadataUnknownNamesThePermission(t *testing.T) {
	p, err := New(&pagedECS{}, Options{Region: testRegion, VpcID: testVPC, BatchWindow: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.InstanceMetadata(context.Background(), node("n", withProviderID(pid("i-x"))))
	if err == nil || !strings.Contains(err.Error(), "ecs:DescribeInstances") || !strings.Contains(err.Error(), testVPC) {
		t.Errorf("err = %v, want it to name the permission and the VPC", err)
	}
	if ok, err := p.InstanceExists(context.Background(), node("n", withProviderID(pid("i-x")))); !ok || err != nil {
		t.Errorf("InstanceExists = %v, %v; an unknown instance must count as existing", ok, err)
	}
}
