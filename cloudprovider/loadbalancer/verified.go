package loadbalancer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
)

// The verified-backends record lets the restart of a converged cluster
// skip reading every vServer group's members (one
// DescribeVServerGroupAttribute per group, two thirds of the reads of a
// restart). Members cannot be proven equal to the plan without reading
// them unless something outside the process remembers what the last
// verification saw; cloud tags would cost a cloud write on every backend
// change, so the record lives in Kubernetes (a ConfigMap, RecordStore).
//
// Per Service (key: its UID) it holds, for each of the Service's own
// vServer groups on its own CLB, the group ID, the member count the cloud
// showed (ServerCount, which includes members others added by hand) and a
// digest of the members the CCM planned for it (memberDigest).
//
// The protocol keeps a record from ever vouching for members that may
// differ from it:
//
//   - Dirty before write: before the first member write of a Service whose
//     key is in the record, the key is removed from the ConfigMap, and the
//     write waits for that removal (an error blocks the write). A crash in
//     the middle of the writes, followed by the Service's inputs going
//     back to the recorded state while the CCM is down, then finds no key
//     and reads the members.
//   - Clean after verify: a reconcile that ended with the Service's groups'
//     members equal to the plan (found equal, or written) queues the new
//     record; a background flusher writes the queued records in one patch
//     once they have waited verifiedSettle, and the whole queue at a
//     graceful shutdown.
//     A dirty mark drops the queued record, and dirty marks and flushes
//     are serialised by one mutex, so a flush never writes back a Service
//     that went dirty meanwhile.
//   - Trust at restart only: only the first full reconcile of a Service
//     after a start, on a CLB our tags prove the Service's, for its own
//     groups, and only when each group exists with the recorded ID and
//     ServerCount and the plan hashes to the recorded digest, takes the
//     members as planned without reading them. Every later reconcile reads
//     members as before.
//
// What the record cannot see: a member someone edited by hand (weight,
// or swapped for another, keeping the count) while the CCM was down.
// Deleting the ConfigMap makes the next restart verify everything.

// verifiedMaxBytes bounds the record (a ConfigMap holds at most 1 MiB):
// Services that do not fit are simply verified at the next restart.
const verifiedMaxBytes = 800 * 1024

// verifiedFlushInterval is how often queued records are written.
const verifiedFlushInterval = 5 * time.Second

// verifiedSettle is how long a Service's record waits in the queue before
// a periodic flush writes it. A Service whose members change more often
// (endpoint churn) is never written, so its changes cost no dirty mark
// either; the record only pays off at a restart, and a graceful shutdown
// writes the whole queue.
const verifiedSettle = 10 * time.Second

// verifiedFormat prefixes every value, so a later format is told apart.
const verifiedFormat = "v1"

// RecordStore is where the verified-backends record is kept (a ConfigMap,
// NewConfigMapStore). Keys are Service UIDs.
type RecordStore interface {
	// Load returns the whole record; an absent record is empty, not an
	// error.
	Load(ctx context.Context) (map[string]string, error)
	// Patch sets the given keys; a nil value removes the key. It creates
	// the record when it is missing.
	Patch(ctx context.Context, changes map[string]*string) error
}

// verifiedGroup is one vServer group in a Service's record.
type verifiedGroup struct {
	id     string
	count  int
	digest string
}

// verifiedEntry is a Service's record: its own groups, sorted by ID.
type verifiedEntry []verifiedGroup

// encode renders the entry as "v1 <id>:<count>:<digest> ...".
func (e verifiedEntry) encode() string {
	gs := append(verifiedEntry(nil), e...)
	sort.Slice(gs, func(i, j int) bool { return gs[i].id < gs[j].id })
	var b strings.Builder
	b.WriteString(verifiedFormat)
	for _, g := range gs {
		fmt.Fprintf(&b, " %s:%d:%s", g.id, g.count, g.digest)
	}
	return b.String()
}

// decodeVerified parses a value encode wrote; anything else is an error
// (the Service is then verified as if it had no record).
func decodeVerified(s string) (verifiedEntry, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 || fields[0] != verifiedFormat {
		return nil, fmt.Errorf("unknown record format %q", truncateValue(s))
	}
	out := make(verifiedEntry, 0, len(fields)-1)
	for _, f := range fields[1:] {
		parts := strings.Split(f, ":")
		if len(parts) != 3 || parts[0] == "" || parts[2] == "" {
			return nil, fmt.Errorf("bad group %q in record", truncateValue(f))
		}
		n, err := strconv.Atoi(parts[1])
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad member count %q in record", truncateValue(parts[1]))
		}
		out = append(out, verifiedGroup{id: parts[0], count: n, digest: parts[2]})
	}
	return out, nil
}

func truncateValue(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// group returns the entry's group with the ID, or nil.
func (e verifiedEntry) group(id string) *verifiedGroup {
	for i := range e {
		if e[i].id == id {
			return &e[i]
		}
	}
	return nil
}

// memberDigest hashes the members the CCM plans for a group: every field
// the member diff compares (identity, weight unless ignoreWeight, type,
// description) in a canonical order, and ignoreWeight itself, so a record
// written with ignore-weight-update never vouches for weights without it.
// 64 bits of SHA-256 make an accidental match between two plans
// negligible.
func memberDigest(members []backend, ignoreWeight bool) string {
	seen := map[string]bool{}
	lines := make([]string, 0, len(members))
	for _, m := range members {
		k := m.key()
		if seen[k] {
			continue // the diff counts a member listed twice once
		}
		seen[k] = true
		w := m.Weight
		if ignoreWeight {
			w = -1
		}
		lines = append(lines, strings.Join([]string{m.ServerID, string(m.Type), m.ServerIP, strconv.Itoa(m.Port), strconv.Itoa(w), m.Description}, "\x00"))
	}
	sort.Strings(lines)
	h := sha256.New()
	fmt.Fprintf(h, "ignoreWeight=%t\n", ignoreWeight)
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// verifiedRecord is the in-memory side of the record and its protocol.
// Without a store (or when the store cannot be read) every method is a
// no-op and nothing is trusted: reconciles read members as before.
type verifiedRecord struct {
	// mu serialises loading, dirty marks and flushes; it is held across
	// their store calls, which is what keeps a flush from writing back a
	// Service that went dirty meanwhile.
	mu    sync.Mutex
	store RecordStore
	// loaded: the store was read; disabled: it cannot be used (denied,
	// or no store), logged once.
	loaded, disabled bool
	// flushed is what the store holds, as this process last read or wrote
	// it; pending are queued changes (nil value: remove the key).
	flushed map[string]string
	pending map[string]*string
	// queued is when each pending record was queued (verifiedSettle).
	queued map[string]time.Time
	// now is the clock of queued.
	now func() time.Time
	// full is logged once when the size bound turns a Service away.
	full bool
}

// setStore installs the store; before the first reconcile.
func (v *verifiedRecord) setStore(s RecordStore) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.store = s
}

// loadLocked reads the store once. A denied or missing store disables the
// record for the life of the process; another error is retried at the
// next use (nothing is trusted and writes wait until it is read).
func (v *verifiedRecord) loadLocked(ctx context.Context) error {
	if v.loaded || v.disabled {
		return nil
	}
	if v.store == nil {
		v.disabled = true
		return nil
	}
	data, err := v.store.Load(ctx)
	if err != nil {
		if isStoreDenied(err) {
			klog.ErrorS(err, "Cannot read the verified-backends record; every restart reads every vServer group's members (grant get/create/patch on configmaps in the CCM's namespace)")
			v.disabled = true
			return nil
		}
		return fmt.Errorf("reading the verified-backends record: %w", err)
	}
	v.flushed = data
	if v.flushed == nil {
		v.flushed = map[string]string{}
	}
	v.pending = map[string]*string{}
	v.queued = map[string]time.Time{}
	if v.now == nil {
		v.now = time.Now
	}
	v.loaded = true
	klog.V(2).InfoS("Read the verified-backends record", "services", len(data))
	return nil
}

// trusted returns the Service's record when one can vouch for it (the
// caller decides whether this reconcile may trust it). A queued record
// is not returned: it exists only in memory.
func (v *verifiedRecord) trusted(ctx context.Context, uid types.UID) verifiedEntry {
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.loadLocked(ctx); err != nil {
		klog.V(2).InfoS("Verifying members", "err", err)
		return nil
	}
	if v.disabled {
		return nil
	}
	raw, ok := v.flushed[string(uid)]
	if !ok {
		return nil
	}
	e, err := decodeVerified(raw)
	if err != nil {
		klog.V(2).InfoS("Ignoring a verified-backends record", "uid", uid, "err", err)
		return nil
	}
	return e
}

// dirty is called before a member write of the Service: it drops a
// queued record, and removes a stored one from the store before it
// returns. An error means the key may still be stored: the write must
// not happen.
func (v *verifiedRecord) dirty(ctx context.Context, uid types.UID) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.loadLocked(ctx); err != nil {
		return err
	}
	if v.disabled {
		return nil
	}
	key := string(uid)
	delete(v.pending, key)
	delete(v.queued, key)
	if _, ok := v.flushed[key]; !ok {
		return nil
	}
	if err := v.store.Patch(ctx, map[string]*string{key: nil}); err != nil {
		return fmt.Errorf("removing Service %s from the verified-backends record before changing its members: %w", uid, err)
	}
	delete(v.flushed, key)
	klog.V(4).InfoS("Removed a Service from the verified-backends record before a member write", "uid", uid)
	return nil
}

// clean queues the Service's record after a reconcile verified its
// members; nothing is queued when the store already holds it.
func (v *verifiedRecord) clean(uid types.UID, e verifiedEntry) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.loaded {
		return // never read (disabled, or not yet readable): nothing to trust later either
	}
	key, val := string(uid), e.encode()
	if old, ok := v.flushed[key]; ok && old == val {
		delete(v.pending, key)
		return
	}
	if old := v.pending[key]; old != nil && *old == val {
		return // queued already: it keeps its age
	}
	if _, ok := v.flushed[key]; !ok && v.sizeLocked()+len(key)+len(val) > verifiedMaxBytes {
		if !v.full {
			v.full = true
			klog.InfoS("The verified-backends record is full; further Services are verified at each restart", "limitBytes", verifiedMaxBytes)
		}
		return
	}
	v.pending[key] = &val
	v.queued[key] = v.now()
}

// forget queues the removal of a Service's record (it was deleted).
func (v *verifiedRecord) forget(uid types.UID) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.loaded {
		return
	}
	key := string(uid)
	if _, ok := v.flushed[key]; ok {
		v.pending[key] = nil
	} else {
		delete(v.pending, key)
	}
}

// keepOnly queues the removal of every stored record whose Service is
// not in keep (Services deleted while the CCM was down; keep is the
// start-up listing's Service UIDs).
func (v *verifiedRecord) keepOnly(ctx context.Context, keep map[types.UID][]listedLB) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.loadLocked(ctx); err != nil || !v.loaded {
		return
	}
	for key := range v.flushed {
		if _, ok := keep[types.UID(key)]; !ok {
			v.pending[key] = nil
		}
	}
}

// sizeLocked is the record's size as stored plus queued.
func (v *verifiedRecord) sizeLocked() int {
	n := 0
	for k, val := range v.flushed {
		if _, queued := v.pending[k]; !queued {
			n += len(k) + len(val)
		}
	}
	for k, val := range v.pending {
		if val != nil {
			n += len(k) + len(*val)
		}
	}
	return n
}

// flush writes every queued change in one patch: all of them, or with
// settledOnly the removals and the records queued verifiedSettle ago or
// earlier. On failure they stay queued for the next flush (unless a
// dirty mark drops them first).
func (v *verifiedRecord) flush(ctx context.Context, settledOnly bool) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.loaded || len(v.pending) == 0 {
		return nil
	}
	batch := make(map[string]*string, len(v.pending))
	for k, val := range v.pending {
		if val == nil || !settledOnly || v.now().Sub(v.queued[k]) >= verifiedSettle {
			batch[k] = val
		}
	}
	if len(batch) == 0 {
		return nil
	}
	if err := v.store.Patch(ctx, batch); err != nil {
		return fmt.Errorf("writing the verified-backends record: %w", err)
	}
	set, removed := 0, 0
	for k, val := range batch {
		if val == nil {
			delete(v.flushed, k)
			removed++
		} else {
			v.flushed[k] = *val
			set++
		}
		delete(v.pending, k)
		delete(v.queued, k)
	}
	klog.V(2).InfoS("Wrote the verified-backends record", "set", set, "removed", removed, "stillQueued", len(v.pending))
	return nil
}

// run flushes the settled records every interval until stop, then the
// whole queue once more (graceful shutdown) with a short deadline.
func (v *verifiedRecord) run(stop <-chan struct{}, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), interval)
			if err := v.flush(ctx, true); err != nil {
				klog.V(2).InfoS("Flushing the verified-backends record; retrying", "err", err)
			}
			cancel()
		case <-stop:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := v.flush(ctx, false); err != nil {
				klog.V(2).InfoS("Flushing the verified-backends record at shutdown", "err", err)
			}
			cancel()
			return
		}
	}
}
