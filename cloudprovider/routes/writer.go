package routes

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
)

// maxEntriesPerCall is the CreateRouteEntries/DeleteRouteEntries limit: "at
// most 50" RouteEntries.N
// (https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-createrouteentries).
const maxEntriesPerCall = 50

type opKind int

const (
	opCreate opKind = iota
	opDelete
)

func (k opKind) String() string {
	if k == opCreate {
		return "create route"
	}
	return "delete route"
}

// op is one caller's wish for one route table: an entry dst -> instance
// that should exist (create) or not (delete).
type op struct {
	kind     opKind
	table    string
	dst      netip.Prefix
	instance string
	node     string // for the entry's name and description
	ctx      context.Context
	done     chan error // buffered: the writer never blocks on a caller that left

	attempts int    // rounds this op was sent or deferred
	entryID  string // delete: the entry being deleted
	dupe     bool   // create: the API said the CIDR exists; the listing decides
	finished bool
}

func newOp(ctx context.Context, kind opKind, table string, dst netip.Prefix, instance, node string) *op {
	return &op{kind: kind, table: table, dst: dst, instance: instance, node: node, ctx: ctx, done: make(chan error, 1)}
}

func (o *op) finish(err error) {
	if !o.finished {
		o.finished = true
		o.done <- err
	}
}

// wait blocks until the writer finished the op or ctx ends.
func (o *op) wait(ctx context.Context) error {
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writer serialises all route writes of one VPC. VPC forbids concurrent
// route writes in a VPC (TaskConflict) and refuses writes to a table while
// any of its entries is Pending/Deleting (IncorrectRouteEntryStatus)
// (https://api.alibabacloud.com/document/Vpc/2016-04-28/CreateRouteEntries,
// https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-createrouteentry).
// So it works in rounds: per table, one batch call of up
// to 50 entries, sent one after the other, then one listing per table per
// poll until every written entry settled; ops arriving meanwhile queue up
// and form the next round's batches.
type writer struct {
	api       vpcAPI
	owned     func(entry) bool
	tuning    Tuning
	clusterID string
	// legacyClusterID's markers count as unmarked (Config.LegacyClusterID).
	legacyClusterID string
	// entryQuota is exported with each listing (Config.EntryQuota).
	entryQuota int

	mu      sync.Mutex
	queue   []*op
	running bool

	// lastSettle is how long the previous batch took to settle (writer
	// goroutine only). The next batch's first listing waits most of that:
	// entries settle in a fairly constant time, and every early listing
	// costs one call per 100 entries of the table against the VPC rate limit.
	lastSettle time.Duration

	createCalls, deleteCalls, listings, busy atomic.Int64
}

func (w *writer) stats() Stats {
	return Stats{CreateCalls: w.createCalls.Load(), DeleteCalls: w.deleteCalls.Load(),
		Listings: w.listings.Load(), BusyRefusals: w.busy.Load()}
}

// submit queues ops and starts the writer goroutine if it is idle.
func (w *writer) submit(ops ...*op) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.queue = append(w.queue, ops...)
	if !w.running {
		w.running = true
		go w.run()
	}
}

// requeue puts ops back at the front of the queue (only the writer calls it).
func (w *writer) requeue(o *op, reason string) {
	o.attempts++
	if o.attempts >= w.tuning.MaxAttempts {
		o.finish(fmt.Errorf("%s %s in route table %s: gave up after %d attempts: %s", o.kind, o.dst, o.table, o.attempts, reason))
		return
	}
	w.mu.Lock()
	w.queue = append([]*op{o}, w.queue...)
	w.mu.Unlock()
}

// run is the writer goroutine; it exits when the queue is empty.
func (w *writer) run() {
	time.Sleep(w.tuning.GatherWindow)
	var fresh map[string][]entry // listings from the last settle, still current
	for {
		batch := w.take()
		if batch == nil {
			return
		}
		fresh = w.round(batch, fresh)
	}
}

// take removes the next round's ops from the queue: per table, up to 50
// deletes if any are queued (they free quota and must precede re-creates),
// else up to 50 creates. Ops whose caller left are dropped. It returns nil
// and marks the writer idle when nothing is queued.
func (w *writer) take() map[string][]*op {
	w.mu.Lock()
	defer w.mu.Unlock()
	live := w.queue[:0]
	for _, o := range w.queue {
		if err := o.ctx.Err(); err != nil {
			o.finish(err)
			continue
		}
		live = append(live, o)
	}
	w.queue = live
	if len(w.queue) == 0 {
		w.running = false
		return nil
	}
	kind := map[string]opKind{}
	for _, o := range w.queue {
		if k, ok := kind[o.table]; !ok || o.kind == opDelete && k == opCreate {
			kind[o.table] = o.kind
		}
	}
	batch := map[string][]*op{}
	rest := w.queue[:0:0]
	for _, o := range w.queue {
		if o.kind == kind[o.table] && len(batch[o.table]) < maxEntriesPerCall {
			batch[o.table] = append(batch[o.table], o)
		} else {
			rest = append(rest, o)
		}
	}
	w.queue = rest
	return batch
}

// round writes one batch per table and waits for the entries to settle. It
// returns the last listing of each table for the next round.
func (w *writer) round(batch map[string][]*op, fresh map[string][]entry) map[string][]entry {
	ctx, cancel := context.WithTimeout(context.Background(), w.tuning.SettleTimeout+time.Minute)
	defer cancel()
	tables := sortedKeys(batch)

	// Current state of each table: reuse the last settle's listing, else list.
	cur := map[string][]entry{}
	var busyTables []string
	for _, t := range tables {
		l, ok := fresh[t]
		if !ok {
			var err error
			if l, err = w.list(ctx, t); err != nil {
				finishAll(batch[t], err)
				delete(batch, t)
				continue
			}
		}
		cur[t] = l
		if slices.ContainsFunc(l, entry.transient) {
			busyTables = append(busyTables, t)
		}
	}
	// Someone else's write is still in progress: writing now would only be
	// refused, so wait for those tables first.
	if len(busyTables) > 0 {
		for t, l := range w.settle(ctx, busyTables, nil) {
			cur[t] = l
		}
	}

	var waiters []*op
	var touched []string
	for _, t := range sortedKeys(batch) {
		send, wait := w.prepare(batch[t], cur[t])
		waiters = append(waiters, wait...)
		if len(send) == 0 {
			if len(wait) > 0 {
				touched = append(touched, t)
			}
			continue
		}
		touched = append(touched, t)
		waiters = append(waiters, w.send(ctx, t, send)...)
	}
	if len(touched) == 0 {
		return cur
	}
	next := w.settle(ctx, touched, waiters)
	for t, l := range cur {
		if _, ok := next[t]; !ok && !slices.Contains(touched, t) {
			next[t] = l
		}
	}
	return next
}

func finishAll(ops []*op, err error) {
	for _, o := range ops {
		o.finish(err)
	}
}

// prepare resolves what the current listing already answers and returns
// the ops to send (at most one per destination) and the ops that only need
// to wait for the table to settle.
func (w *writer) prepare(ops []*op, listing []entry) (send, wait []*op) {
	sending := map[netip.Prefix]bool{}
	for _, o := range ops {
		e, found := findDst(listing, o.dst)
		switch o.kind {
		case opCreate:
			switch {
			case sending[o.dst]:
				wait = append(wait, o) // the op sent for this CIDR answers this one too
			case !found:
				sending[o.dst] = true
				send = append(send, o)
			case e.HopType != nextHopTypeInstance || e.Instance != o.instance:
				o.finish(conflict(o, e))
			case e.Status == statusAvailable:
				o.finish(nil)
			case e.Status == statusDeleting:
				w.requeue(o, "the existing entry is being deleted")
			default:
				wait = append(wait, o)
			}
		case opDelete:
			switch {
			case !found || !w.owned(e) || e.Instance != o.instance || ownerOf(e.Desc, w.clusterID, w.legacyClusterID) == otherCluster:
				// Nothing of ours to delete. An unmarked entry is deleted only
				// because ListRoutes reported it: it was adopted as exactly a
				// node's pod CIDR route (see Routes.ListRoutes).
				o.finish(nil)
			case e.Status == statusDeleting || sending[o.dst]:
				o.entryID = e.ID
				wait = append(wait, o)
			case e.Status == statusAvailable:
				// Only Available entries can be deleted
				// (https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-deleterouteentry).
				o.entryID = e.ID
				sending[o.dst] = true
				send = append(send, o)
			default:
				w.requeue(o, "the entry is "+e.Status)
			}
		}
	}
	return send, wait
}

func conflict(o *op, e entry) *ConflictError {
	have, typ := e.Instance, e.HopType
	if typ == "" {
		typ, have = "several next hops (ECMP)", e.ID
	}
	return &ConflictError{Table: o.table, Dst: o.dst, Instance: o.instance, Have: have, HaveType: typ}
}

// send writes ops (all of one kind, one table) in one batch call and
// returns the ops to wait for. Per-entry failures finish or requeue their
// op; the rest wait for the listing.
func (w *writer) send(ctx context.Context, table string, ops []*op) []*op {
	var failed []vpc.FailedRouteEntriesItem
	var err error
	if ops[0].kind == opCreate {
		req := vpc.CreateCreateRouteEntriesRequest()
		ents := make([]vpc.CreateRouteEntriesRouteEntries, 0, len(ops))
		for _, o := range ops {
			e := vpc.CreateRouteEntriesRouteEntries{RouteTableId: table, DstCidrBlock: o.dst.String(),
				NextHop: o.instance, NextHopType: nextHopTypeInstance, Name: w.entryName(o),
				Description: w.entryDescription(o)}
			if o.dst.Addr().Is6() {
				e.IpVersion = "6" // "4" (default) or "6", per the CreateRouteEntries page
			}
			ents = append(ents, e)
		}
		req.RouteEntries = &ents
		w.createCalls.Add(1)
		var resp *vpc.CreateRouteEntriesResponse
		if resp, err = w.api.CreateRouteEntries(ctx, req); err == nil {
			failed = resp.FailedRouteEntries
		}
	} else {
		req := vpc.CreateDeleteRouteEntriesRequest()
		ents := make([]vpc.DeleteRouteEntriesRouteEntries, 0, len(ops))
		for _, o := range ops {
			ents = append(ents, vpc.DeleteRouteEntriesRouteEntries{RouteTableId: table, RouteEntryId: o.entryID})
		}
		req.RouteEntries = &ents
		w.deleteCalls.Add(1)
		var resp *vpc.DeleteRouteEntriesResponse
		if resp, err = w.api.DeleteRouteEntries(ctx, req); err == nil {
			failed = resp.FailedRouteEntries
		}
	}
	if err != nil {
		// The client layer already retried what is safe to retry; a busy
		// answer here means the VPC stayed busy through those retries.
		if cloudapi.IsBusy(err) {
			w.busy.Add(1)
		}
		for _, o := range ops {
			o.finish(fmt.Errorf("%s %s in route table %s: %w", o.kind, o.dst, table, err))
		}
		return nil
	}
	byKey := map[string]vpc.FailedRouteEntriesItem{}
	for _, f := range failed {
		if f.RouteEntryId != "" {
			byKey[f.RouteEntryId] = f
		}
		if p, err := parseCIDR(f.DstCidrBlock); err == nil {
			byKey[p.String()] = f
		}
	}
	var wait []*op
	for _, o := range ops {
		f, bad := byKey[o.entryID]
		if o.entryID == "" || !bad {
			f, bad = byKey[o.dst.String()]
		}
		if !bad {
			wait = append(wait, o)
			continue
		}
		// Per-entry failure codes: busy means the entry was not written
		// because the table was busy, so the op is safe to send again; a
		// create's "exists" means the CIDR is taken, and the next listing
		// tells whether by us; a delete's "not found" means already gone.
		code, class := f.FailedCode, cloudapi.ClassOf(f.FailedCode)
		observeEntryFailure(table, o.kind, class)
		switch {
		case class == cloudapi.ClassBusy:
			w.busy.Add(1)
			w.requeue(o, code)
		case o.kind == opCreate && class == cloudapi.ClassExists:
			o.dupe = true
			wait = append(wait, o)
		case o.kind == opCreate && class == cloudapi.ClassQuota:
			o.finish(&QuotaError{Table: table, Dst: o.dst, Code: code})
		case o.kind == opDelete && class == cloudapi.ClassNotFound:
			o.finish(nil)
		default:
			o.finish(&EntryError{Action: o.kind.String(), Table: table, Dst: o.dst, Code: code, Message: f.FailedMessage})
		}
	}
	return wait
}

// entryName names a new entry after its node, so the console shows whose
// pod CIDR it routes (RouteEntryName: 1-128 characters).
func (w *writer) entryName(o *op) string {
	if o.node == "" {
		return "alicloud-ccm"
	}
	return truncate(o.node, 128)
}

// entryDescription marks who manages the entry (Description: 1-256
// characters, starting with a letter). The owner marker comes whole, the
// node name is shortened to fit: ListRoutes collects an orphaned entry only
// when it carries this cluster's marker.
func (w *writer) entryDescription(o *op) string {
	marker := ownerMarker(w.clusterID)
	prefix := "Pod CIDR route of node "
	node := truncate(o.node, max(0, 256-len(prefix)-len(", ")-len(marker)))
	return truncate(prefix+node+", "+marker, 256)
}

// markerPrefix starts every owner marker, whatever the cluster.
const markerPrefix = "managed by alicloud-ccm (cluster "

// ownerMarker is the part of an entry's description that names the cluster
// whose CCM wrote it.
func ownerMarker(clusterID string) string {
	return markerPrefix + clusterID + ")"
}

// owner says who wrote a route entry, as its description tells.
type owner int

const (
	// unmarked: no alicloud-ccm marker (the official CCM writes no
	// description; routes added by hand or by other tools).
	unmarked owner = iota
	// ours: this cluster's marker.
	ours
	// otherCluster: the marker of another cluster's alicloud-ccm.
	otherCluster
)

// ownerOf reads the entry's description. The legacy ID's marker (when
// set) may have been written by any cluster that used it, so it proves
// nothing: such an entry counts as unmarked.
func ownerOf(desc, clusterID, legacy string) owner {
	switch {
	case strings.Contains(desc, ownerMarker(clusterID)):
		return ours
	case legacy != "" && strings.Contains(desc, ownerMarker(legacy)):
		return unmarked
	case strings.Contains(desc, markerPrefix):
		return otherCluster
	default:
		return unmarked
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// settle polls the tables with backoff, one listing per table per poll,
// until every waiter is answered and no entry of the tables is in
// transition (so the next write is not refused). A table that got there is
// not listed again. It returns the last listings.
func (w *writer) settle(ctx context.Context, tables []string, waiters []*op) map[string][]entry {
	start := time.Now()
	deadline := start.Add(w.tuning.SettleTimeout)
	learned := len(waiters) > 0 && w.lastSettle > 0
	delay := w.tuning.PollInitial
	if learned {
		delay = max(delay, min(w.lastSettle*9/10, 4*w.tuning.PollMax))
	}
	measure := len(waiters) > 0
	last := map[string][]entry{}
	done := map[string]bool{}
	var lastErr error
	for poll := 0; ; poll++ {
		select {
		case <-ctx.Done():
			finishAll(waiters, fmt.Errorf("waiting for route entries: %w", ctx.Err()))
			return last
		case <-time.After(delay):
		}
		for _, t := range tables {
			if done[t] {
				continue
			}
			l, err := w.list(ctx, t)
			if err != nil {
				lastErr = err
				delete(last, t)
				continue
			}
			last[t] = l
		}
		pending := waiters[:0]
		for _, o := range waiters {
			if l, ok := last[o.table]; ok && !done[o.table] && w.resolve(o, l) {
				continue
			}
			if err := o.ctx.Err(); err != nil {
				o.finish(err)
				continue
			}
			pending = append(pending, o)
		}
		waiters = pending
		for _, t := range tables {
			l, ok := last[t]
			if ok && !done[t] && !slices.ContainsFunc(l, entry.transient) &&
				!slices.ContainsFunc(waiters, func(o *op) bool { return o.table == t }) {
				done[t] = true
			}
		}
		if len(done) == len(tables) {
			if measure {
				w.lastSettle = time.Since(start)
			}
			return last
		}
		if time.Now().After(deadline) {
			for _, o := range waiters {
				// The op failed by not settling; the listing error is context, and
				// wrapped it would let callers classify this failure as its own
				// (e.g. a not-found table).
				//nolint:errorlint // lastErr is context, see above
				o.finish(fmt.Errorf("%s %s in route table %s: not settled after %s (last listing error: %v)",
					o.kind, o.dst, o.table, w.tuning.SettleTimeout, lastErr))
			}
			klog.InfoS("Route tables still have entries in transition; going on", "tables", tables, "after", w.tuning.SettleTimeout)
			return last
		}
		if poll == 0 && learned {
			delay = w.tuning.PollInitial // the learned wait fell short: short backoff from here
		} else {
			delay = min(delay*3/2, w.tuning.PollMax)
		}
	}
}

// resolve answers a waiting op from a listing; false means keep waiting.
func (w *writer) resolve(o *op, listing []entry) bool {
	if o.kind == opDelete {
		if !slices.ContainsFunc(listing, func(e entry) bool { return e.ID == o.entryID }) {
			o.finish(nil)
			return true
		}
		return false
	}
	e, found := findDst(listing, o.dst)
	switch {
	case !found && o.dupe:
		// The API said the CIDR exists, but not among the custom entries:
		// a system route (a vSwitch CIDR) has it.
		o.finish(&EntryError{Action: o.kind.String(), Table: o.table, Dst: o.dst, Code: "InvalidCIDRBlock.Duplicate",
			Message: "the destination exists in the table as a system route (vSwitch CIDR); the pod CIDR must not overlap a vSwitch"})
	case !found:
		return false // accepted but not listed yet
	case e.HopType != nextHopTypeInstance || e.Instance != o.instance:
		o.finish(conflict(o, e))
	case e.Status == statusAvailable:
		o.finish(nil)
	case e.Status == statusDeleting:
		w.requeue(o, "the entry is being deleted")
	default:
		return false
	}
	return true
}

// list reads the custom entries of a table.
func (w *writer) list(ctx context.Context, table string) ([]entry, error) {
	w.listings.Add(1)
	return listCustom(ctx, w.api, table, w.entryQuota)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
