package routes

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

// These tests pin the writer's decisions one step at a time (prepare,
// send, resolve, take) on hand-made listings and answers; the emulator
// tests drive the same code end to end.

const planTable = "vtb-plan"

var planDst = netip.MustParsePrefix("172.16.5.0/24")

// planWriter is a writer for decision tests: it owns the test cluster CIDR
// and is cluster "uid-a", whose old shared default was "clusterid".
func planWriter(api vpcAPI) *writer {
	c, _ := parseClusterCIDRs(testCluster)
	return &writer{api: api, owned: func(e entry) bool { return e.owned(c) }, clusterID: "uid-a", legacyClusterID: "clusterid",
		tuning: Tuning{MaxAttempts: 3}.withDefaults()}
}

// outcome is what happened to an op after one decision step.
type outcome struct {
	state string // "send", "wait", "done", "requeued", "pending"
	err   error
}

func outcomeOf(o *op, send, wait []*op, w *writer) outcome {
	for _, s := range send {
		if s == o {
			return outcome{state: "send"}
		}
	}
	for _, s := range wait {
		if s == o {
			return outcome{state: "wait"}
		}
	}
	select {
	case err := <-o.done:
		return outcome{state: "done", err: err}
	default:
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, q := range w.queue {
		if q == o {
			return outcome{state: "requeued"}
		}
	}
	return outcome{state: "pending"}
}

// listed builds a listing entry for planDst.
func listed(hopType, instance, status, desc string) entry {
	return entry{ID: "rte-1", Table: planTable, Dst: planDst, Custom: true, HopType: hopType, Instance: instance, Status: status, Desc: desc}
}

// TestPrepareDecisions is the writer's table of what to do with one op given
// the table's current entry for its destination.
func TestPrepareDecisions(t *testing.T) {
	ours := "Pod CIDR route of node n, " + ownerMarker("uid-a")
	other := "Pod CIDR route of node n, " + ownerMarker("uid-b")
	legacy := "Pod CIDR route of node n, " + ownerMarker("clusterid")
	tests := []struct {
		name    string
		kind    opKind
		listing []entry
		want    string // send, wait, done, requeued
		wantErr string // for done: a substring of the error, "" for success
		entryID string // for delete sends: the entry to delete
	}{
		// Creates.
		{name: "create: absent", kind: opCreate, want: "send"},
		{name: "create: exists, Available, same instance", kind: opCreate,
			listing: []entry{listed("Instance", "i-a", statusAvailable, "")}, want: "done"},
		{name: "create: exists, Pending, same instance", kind: opCreate,
			listing: []entry{listed("Instance", "i-a", statusPending, ours)}, want: "wait"},
		{name: "create: exists, Deleting, same instance", kind: opCreate,
			listing: []entry{listed("Instance", "i-a", statusDeleting, ours)}, want: "requeued"},
		{name: "create: another instance has the CIDR", kind: opCreate,
			listing: []entry{listed("Instance", "i-b", statusAvailable, "")}, want: "done", wantErr: "two nodes claim the same pod CIDR"},
		{name: "create: a VPN gateway has the CIDR", kind: opCreate,
			listing: []entry{listed("VpnGateway", "vpn-1", statusAvailable, "")}, want: "done", wantErr: "VpnGateway vpn-1"},
		{name: "create: an ECMP entry has the CIDR", kind: opCreate,
			listing: []entry{listed("", "", statusAvailable, "")}, want: "done", wantErr: "several next hops (ECMP) rte-1"},
		{name: "create: another destination only", kind: opCreate,
			listing: []entry{{ID: "rte-9", Dst: netip.MustParsePrefix("172.16.6.0/24"), Custom: true, HopType: "Instance", Instance: "i-a", Status: statusAvailable}},
			want:    "send"},

		// Deletes: only an entry that is still ours, to the same instance.
		{name: "delete: absent", kind: opDelete, want: "done"},
		{name: "delete: ours, Available", kind: opDelete,
			listing: []entry{listed("Instance", "i-a", statusAvailable, ours)}, want: "send", entryID: "rte-1"},
		{name: "delete: unmarked, Available (adopted by ListRoutes)", kind: opDelete,
			listing: []entry{listed("Instance", "i-a", statusAvailable, "")}, want: "send", entryID: "rte-1"},
		{name: "delete: legacy marker counts as unmarked", kind: opDelete,
			listing: []entry{listed("Instance", "i-a", statusAvailable, legacy)}, want: "send", entryID: "rte-1"},
		{name: "delete: another cluster's marker", kind: opDelete,
			listing: []entry{listed("Instance", "i-a", statusAvailable, other)}, want: "done"},
		{name: "delete: now points at another instance", kind: opDelete,
			listing: []entry{listed("Instance", "i-b", statusAvailable, ours)}, want: "done"},
		{name: "delete: now a VPN route", kind: opDelete,
			listing: []entry{listed("VpnGateway", "vpn-1", statusAvailable, ours)}, want: "done"},
		{name: "delete: already Deleting", kind: opDelete,
			listing: []entry{listed("Instance", "i-a", statusDeleting, ours)}, want: "wait"},
		{name: "delete: still Pending", kind: opDelete,
			listing: []entry{listed("Instance", "i-a", statusPending, ours)}, want: "requeued"},
		{name: "delete: Modifying", kind: opDelete,
			listing: []entry{listed("Instance", "i-a", statusModifying, ours)}, want: "requeued"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := planWriter(nil)
			o := newOp(context.Background(), tc.kind, planTable, planDst, "i-a", "node-a")
			send, wait := w.prepare([]*op{o}, tc.listing)
			got := outcomeOf(o, send, wait, w)
			if got.state != tc.want {
				t.Fatalf("outcome %q (err %v), want %q", got.state, got.err, tc.want)
			}
			switch {
			case tc.want == "done" && tc.wantErr == "" && got.err != nil:
				t.Errorf("err = %v, want success", got.err)
			case tc.wantErr != "" && (got.err == nil || !strings.Contains(got.err.Error(), tc.wantErr)):
				t.Errorf("err = %v, want it to contain %q", got.err, tc.wantErr)
			}
			if tc.wantErr != "" {
				var ce *ConflictError
				if !errors.As(got.err, &ce) || ce.Table != planTable || ce.Instance != "i-a" {
					t.Errorf("err = %#v, want a *ConflictError for %s naming i-a", got.err, planTable)
				}
			}
			if tc.entryID != "" && o.entryID != tc.entryID {
				t.Errorf("entryID = %q, want %q", o.entryID, tc.entryID)
			}
		})
	}
}

// TestPrepareOneWritePerDestination: two callers wanting the same entry in
// one round cause one write; the second waits for the first's outcome.
func TestPrepareOneWritePerDestination(t *testing.T) {
	for _, kind := range []opKind{opCreate, opDelete} {
		t.Run(kind.String(), func(t *testing.T) {
			w := planWriter(nil)
			var listing []entry
			if kind == opDelete {
				listing = []entry{listed("Instance", "i-a", statusAvailable, ownerMarker("uid-a"))}
			}
			a := newOp(context.Background(), kind, planTable, planDst, "i-a", "node-a")
			b := newOp(context.Background(), kind, planTable, planDst, "i-a", "node-a")
			send, wait := w.prepare([]*op{a, b}, listing)
			if len(send) != 1 || send[0] != a || len(wait) != 1 || wait[0] != b {
				t.Errorf("send %d, wait %d; want the first sent and the second waiting", len(send), len(wait))
			}
		})
	}
}

// TestRequeueGivesUp: a deferred op is sent again at most MaxAttempts times,
// then fails with the reason it kept being deferred.
func TestRequeueGivesUp(t *testing.T) {
	w := planWriter(nil)
	o := newOp(context.Background(), opDelete, planTable, planDst, "i-a", "n")
	for i := 1; i < w.tuning.MaxAttempts; i++ {
		w.requeue(o, "the entry is Pending")
		if len(w.queue) != i {
			t.Fatalf("after %d requeues the queue holds %d ops", i, len(w.queue))
		}
	}
	w.requeue(o, "the entry is Pending")
	select {
	case err := <-o.done:
		if err == nil || !strings.Contains(err.Error(), "gave up after 3 attempts: the entry is Pending") {
			t.Errorf("err = %v", err)
		}
	default:
		t.Fatal("op not finished after MaxAttempts")
	}
}

// scriptedVPC answers the batch write calls from a script and records them.
type scriptedVPC struct {
	VPCAPI
	mu      sync.Mutex
	failed  []vpc.FailedRouteEntriesItem
	err     error
	creates []*vpc.CreateRouteEntriesRequest
	deletes []*vpc.DeleteRouteEntriesRequest
	listing []vpc.RouteEntry
	lists   int
}

func (s *scriptedVPC) CreateRouteEntries(_ context.Context, req *vpc.CreateRouteEntriesRequest) (*vpc.CreateRouteEntriesResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.creates = append(s.creates, req)
	if s.err != nil {
		return nil, s.err
	}
	return &vpc.CreateRouteEntriesResponse{FailedCount: len(s.failed), FailedRouteEntries: s.failed}, nil
}

func (s *scriptedVPC) DeleteRouteEntries(_ context.Context, req *vpc.DeleteRouteEntriesRequest) (*vpc.DeleteRouteEntriesResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deletes = append(s.deletes, req)
	if s.err != nil {
		return nil, s.err
	}
	return &vpc.DeleteRouteEntriesResponse{FailedCount: len(s.failed), FailedRouteEntries: s.failed}, nil
}

func (s *scriptedVPC) ListRouteEntries(context.Context, *vpc.DescribeRouteEntryListRequest) ([]vpc.RouteEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lists++
	return s.listing, nil
}

// TestSendPerEntryCodes is the table of per-entry FailedCode handling of
// the batch calls: which codes are sent again, which are success, which are
// the operator's to fix.
func TestSendPerEntryCodes(t *testing.T) {
	tests := []struct {
		kind     opKind
		code     string
		want     string // wait, done, requeued
		wantErr  string
		wantType any
		busy     int64
	}{
		{kind: opCreate, code: "VPC_ROUTE_ENTRY_STATUS_ERROR", want: "requeued", busy: 1},
		{kind: opCreate, code: "TaskConflict", want: "requeued", busy: 1},
		{kind: opCreate, code: "IncorrectStatus.RouteTableStatus", want: "requeued", busy: 1},
		{kind: opDelete, code: "IncorrcetRouteEntryStatus", want: "requeued", busy: 1},
		{kind: opCreate, code: "InvalidCIDRBlock.Duplicate", want: "wait"},
		{kind: opCreate, code: "VPC_ROUTE_ENTRY_CIDR_BLOCK_DUPLICATE", want: "wait"},
		{kind: opCreate, code: "QuotaExceeded.RouteEntry", want: "done", wantErr: QuotaName, wantType: &QuotaError{}},
		{kind: opCreate, code: "QuotaExceeded", want: "done", wantErr: QuotaName, wantType: &QuotaError{}},
		{kind: opDelete, code: "VPC_ROUTER_ENTRY_NOT_EXIST", want: "done"},
		{kind: opDelete, code: "InvalidRouteEntryId.NotFound", want: "done"},
		{kind: opCreate, code: "InvalidNextHop.NotFound", want: "done", wantErr: "InvalidNextHop.NotFound: refused", wantType: &EntryError{}},
		// A delete never reads a create-only code as success, and the other way round.
		{kind: opDelete, code: "InvalidCIDRBlock.Duplicate", want: "done", wantErr: "delete route", wantType: &EntryError{}},
		{kind: opCreate, code: "VPC_ROUTER_ENTRY_NOT_EXIST", want: "done", wantErr: "create route", wantType: &EntryError{}},
	}
	for _, tc := range tests {
		t.Run(tc.kind.String()+" "+tc.code, func(t *testing.T) {
			api := &scriptedVPC{failed: []vpc.FailedRouteEntriesItem{{DstCidrBlock: planDst.String(), RouteEntryId: "rte-1",
				FailedCode: tc.code, FailedMessage: "refused"}}}
			w := planWriter(api)
			o := newOp(context.Background(), tc.kind, planTable, planDst, "i-a", "node-a")
			if tc.kind == opDelete {
				o.entryID = "rte-1"
			}
			wait := w.send(context.Background(), planTable, []*op{o})
			got := outcomeOf(o, nil, wait, w)
			if got.state != tc.want {
				t.Fatalf("outcome %q (err %v), want %q", got.state, got.err, tc.want)
			}
			if tc.wantErr == "" && got.err != nil {
				t.Errorf("err = %v, want success", got.err)
			}
			if tc.wantErr != "" && (got.err == nil || !strings.Contains(got.err.Error(), tc.wantErr)) {
				t.Errorf("err = %v, want it to contain %q", got.err, tc.wantErr)
			}
			switch tc.wantType.(type) {
			case *QuotaError:
				var qe *QuotaError
				if !errors.As(got.err, &qe) || qe.Code != tc.code || qe.Table != planTable {
					t.Errorf("err = %#v, want *QuotaError with code %s", got.err, tc.code)
				}
			case *EntryError:
				var ee *EntryError
				if !errors.As(got.err, &ee) || ee.Code != tc.code {
					t.Errorf("err = %#v, want *EntryError with code %s", got.err, tc.code)
				}
			}
			if tc.code == "InvalidCIDRBlock.Duplicate" && tc.kind == opCreate && !o.dupe {
				t.Error("a duplicate answer must mark the op so the listing decides")
			}
			if b := w.stats().BusyRefusals; b != tc.busy {
				t.Errorf("busy refusals = %d, want %d", b, tc.busy)
			}
		})
	}
}

// TestSendWholeCallError: a refused batch call fails every op of it (the
// client layer already retried what is safe), and counts busy refusals.
func TestSendWholeCallError(t *testing.T) {
	api := &scriptedVPC{err: errors.New("Vpc CreateRouteEntries: OperationConflict")}
	w := planWriter(api)
	a := newOp(context.Background(), opCreate, planTable, planDst, "i-a", "a")
	b := newOp(context.Background(), opCreate, planTable, netip.MustParsePrefix("172.16.6.0/24"), "i-b", "b")
	if wait := w.send(context.Background(), planTable, []*op{a, b}); len(wait) != 0 {
		t.Fatalf("%d ops left waiting after a refused call", len(wait))
	}
	for _, o := range []*op{a, b} {
		if err := <-o.done; err == nil || !strings.Contains(err.Error(), o.dst.String()) || !strings.Contains(err.Error(), planTable) {
			t.Errorf("op %s: err = %v, want one naming the destination and table", o.dst, err)
		}
	}
}

// TestSendRequestShape pins the create request: one entry per op, next hop
// type Instance, IPv6 entries flagged, the node's name and the owner
// marker in the description.
func TestSendRequestShape(t *testing.T) {
	api := &scriptedVPC{}
	w := planWriter(api)
	v6 := netip.MustParsePrefix("fd00:10:0:1::/64")
	ops := []*op{
		newOp(context.Background(), opCreate, planTable, planDst, "i-a", "node-a"),
		newOp(context.Background(), opCreate, planTable, v6, "i-b", ""),
	}
	if wait := w.send(context.Background(), planTable, ops); len(wait) != 2 {
		t.Fatalf("%d ops waiting, want 2", len(wait))
	}
	if len(api.creates) != 1 {
		t.Fatalf("%d CreateRouteEntries calls, want 1", len(api.creates))
	}
	ents := *api.creates[0].RouteEntries
	if len(ents) != 2 {
		t.Fatalf("%d entries in the call, want 2", len(ents))
	}
	tests := []struct {
		i                         int
		dst, hop, ipVersion, name string
	}{
		{0, planDst.String(), "i-a", "", "node-a"},
		{1, v6.String(), "i-b", "6", "alicloud-ccm"},
	}
	for _, tc := range tests {
		e := ents[tc.i]
		if e.RouteTableId != planTable || e.DstCidrBlock != tc.dst || e.NextHop != tc.hop || e.NextHopType != "Instance" ||
			e.IpVersion != tc.ipVersion || e.Name != tc.name {
			t.Errorf("entry %d = %+v, want dst %s hop %s ipVersion %q name %q", tc.i, e, tc.dst, tc.hop, tc.ipVersion, tc.name)
		}
		if ownerOf(e.Description, "uid-a", "clusterid") != ours {
			t.Errorf("entry %d description %q does not carry this cluster's marker", tc.i, e.Description)
		}
	}
	if s := w.stats(); s.CreateCalls != 1 || s.DeleteCalls != 0 {
		t.Errorf("stats = %+v, want one create call", s)
	}
}

// TestResolveDecisions is the table of how a waiting op is answered by a
// later listing.
func TestResolveDecisions(t *testing.T) {
	tests := []struct {
		name    string
		kind    opKind
		dupe    bool
		listing []entry
		want    string // done, requeued, keep
		wantErr string
	}{
		{name: "delete: entry gone", kind: opDelete, want: "done"},
		{name: "delete: entry still listed", kind: opDelete, listing: []entry{listed("Instance", "i-a", statusDeleting, "")}, want: "keep"},
		{name: "create: not listed yet", kind: opCreate, want: "keep"},
		{name: "create: duplicate but no custom entry (system route)", kind: opCreate, dupe: true, want: "done",
			wantErr: "must not overlap a vSwitch"},
		{name: "create: Pending", kind: opCreate, listing: []entry{listed("Instance", "i-a", statusPending, "")}, want: "keep"},
		{name: "create: Available", kind: opCreate, listing: []entry{listed("Instance", "i-a", statusAvailable, "")}, want: "done"},
		{name: "create: raced by another instance", kind: opCreate, dupe: true,
			listing: []entry{listed("Instance", "i-b", statusAvailable, "")}, want: "done", wantErr: "instance i-b, not to instance i-a"},
		{name: "create: being deleted", kind: opCreate, listing: []entry{listed("Instance", "i-a", statusDeleting, "")}, want: "requeued"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := planWriter(nil)
			o := newOp(context.Background(), tc.kind, planTable, planDst, "i-a", "node-a")
			o.dupe, o.entryID = tc.dupe, "rte-1"
			answered := w.resolve(o, tc.listing)
			got := outcomeOf(o, nil, nil, w)
			if !answered {
				got.state = "keep"
			}
			if got.state != tc.want {
				t.Fatalf("outcome %q (err %v), want %q", got.state, got.err, tc.want)
			}
			if tc.wantErr == "" && got.err != nil {
				t.Errorf("err = %v, want success", got.err)
			}
			if tc.wantErr != "" && (got.err == nil || !strings.Contains(got.err.Error(), tc.wantErr)) {
				t.Errorf("err = %v, want it to contain %q", got.err, tc.wantErr)
			}
		})
	}
}

// TestTakeOrder pins how a round is formed: per table, deletes before
// creates (they free quota and must precede re-creates), at most 50 ops per
// table, and ops whose caller left are answered and dropped.
func TestTakeOrder(t *testing.T) {
	w := planWriter(nil)
	mk := func(kind opKind, table string, i int) *op {
		return newOp(context.Background(), kind, table, netip.PrefixFrom(netip.AddrFrom4([4]byte{172, 16, byte(i), 0}), 24), "i-a", "n")
	}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	left := newOp(gone, opDelete, "vtb-a", planDst, "i-a", "n")
	w.queue = append(w.queue, left, mk(opCreate, "vtb-a", 1), mk(opDelete, "vtb-a", 2), mk(opCreate, "vtb-b", 3))
	for i := range 60 {
		w.queue = append(w.queue, mk(opCreate, "vtb-c", 100+i))
	}
	batch := w.take()
	if len(batch["vtb-a"]) != 1 || batch["vtb-a"][0].kind != opDelete {
		t.Errorf("vtb-a round = %d ops, want its one delete first", len(batch["vtb-a"]))
	}
	if len(batch["vtb-b"]) != 1 || batch["vtb-b"][0].kind != opCreate {
		t.Errorf("vtb-b round = %d ops, want its create", len(batch["vtb-b"]))
	}
	if len(batch["vtb-c"]) != maxEntriesPerCall {
		t.Errorf("vtb-c round = %d ops, want %d", len(batch["vtb-c"]), maxEntriesPerCall)
	}
	if err := <-left.done; !errors.Is(err, context.Canceled) {
		t.Errorf("op of a caller that left: err = %v, want context.Canceled", err)
	}
	if len(w.queue) != 1+10 {
		t.Errorf("%d ops left for the next round, want 11 (vtb-a's create, vtb-c's overflow)", len(w.queue))
	}
	w.queue = nil
	if b := w.take(); b != nil || w.running {
		t.Errorf("empty queue: take = %v, running = %v; want nil and idle", b, w.running)
	}
}

// TestTuningDefaults pins the production timing.
func TestTuningDefaults(t *testing.T) {
	got := Tuning{}.withDefaults()
	want := Tuning{GatherWindow: 200 * time.Millisecond, PollInitial: 250 * time.Millisecond, PollMax: 2 * time.Second,
		SettleTimeout: 3 * time.Minute, MaxAttempts: 5}
	if got != want {
		t.Errorf("defaults = %+v, want %+v", got, want)
	}
	set := Tuning{GatherWindow: time.Millisecond, MaxAttempts: 9}.withDefaults()
	if set.GatherWindow != time.Millisecond || set.MaxAttempts != 9 || set.PollMax != 2*time.Second {
		t.Errorf("set fields must be kept, others defaulted: %+v", set)
	}
}
