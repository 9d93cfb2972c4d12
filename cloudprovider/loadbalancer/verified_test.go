package loadbalancer

import (
	"context"
	"errors"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// memStore is a RecordStore in memory that records its patches and can
// fail or block them.
type memStore struct {
	mu      sync.Mutex
	data    map[string]string
	patches []map[string]*string
	loads   int
	loadErr error
	// failPatch fails every Patch while set.
	failPatch error
	// block, when set, is received from inside the next Patch (after
	// entered is closed), to hold a patch in flight.
	block   chan struct{}
	entered chan struct{}
}

func newMemStore() *memStore { return &memStore{data: map[string]string{}} }

func (s *memStore) Load(context.Context) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loads++
	if s.loadErr != nil {
		return nil, s.loadErr
	}
	return maps.Clone(s.data), nil
}

func (s *memStore) Patch(_ context.Context, changes map[string]*string) error {
	s.mu.Lock()
	block, entered := s.block, s.entered
	s.block = nil
	s.mu.Unlock()
	if block != nil {
		close(entered)
		<-block
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failPatch != nil {
		return s.failPatch
	}
	cp := map[string]*string{}
	for k, v := range changes {
		if v == nil {
			delete(s.data, k)
			cp[k] = nil
		} else {
			val := *v
			s.data[k] = val
			cp[k] = &val
		}
	}
	s.patches = append(s.patches, cp)
	return nil
}

func (s *memStore) get(key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data[key]
	return v, ok
}

func (s *memStore) patchCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.patches)
}

var errForbidden = apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, VerifiedConfigMapName, errors.New("denied"))

func TestVerifiedEncodeDecode(t *testing.T) {
	e := verifiedEntry{{id: "rsp-b", count: 3, digest: "00ff"}, {id: "rsp-a", count: 0, digest: "abcd"}}
	s := e.encode()
	if s != "v1 rsp-a:0:abcd rsp-b:3:00ff" {
		t.Fatalf("encode = %q (groups sorted by ID)", s)
	}
	got, err := decodeVerified(s)
	if err != nil || len(got) != 2 || *got.group("rsp-b") != e[0] || got.group("rsp-c") != nil {
		t.Fatalf("decode(%q) = %v, %v", s, got, err)
	}
	if got, err := decodeVerified("v1"); err != nil || len(got) != 0 {
		t.Errorf("no groups: %v, %v", got, err)
	}
	for _, bad := range []string{"", "v2 rsp-a:1:ab", "rsp-a:1:ab", "v1 rsp-a:1", "v1 rsp-a:x:ab", "v1 rsp-a:-1:ab", "v1 :1:ab", "v1 rsp-a:1:", "v1 a:b:c:d"} {
		if _, err := decodeVerified(bad); err == nil {
			t.Errorf("decode(%q) accepted", bad)
		}
	}
}

func TestMemberDigest(t *testing.T) {
	base := []backend{
		{ServerID: "i-1", Type: "ecs", Port: 30080, Weight: 100, Description: "k8s/80/svc"},
		{ServerID: "eni-2", Type: "eni", ServerIP: "10.0.0.2", Port: 8080, Weight: 50, Description: "k8s/80/svc"},
	}
	d := memberDigest(base, false)
	if len(d) != 16 {
		t.Fatalf("digest %q, want 16 hex digits", d)
	}
	reordered := []backend{base[1], base[0], base[1]}
	if memberDigest(reordered, false) != d {
		t.Error("digest depends on order or duplicates")
	}
	changes := map[string]func(b *backend){
		"server":      func(b *backend) { b.ServerID = "i-9" },
		"type":        func(b *backend) { b.Type = "eci" },
		"ip":          func(b *backend) { b.ServerIP = "10.0.0.3" },
		"port":        func(b *backend) { b.Port++ },
		"weight":      func(b *backend) { b.Weight = 1 },
		"description": func(b *backend) { b.Description = "k8s/81/svc" },
	}
	for name, change := range changes {
		c := append([]backend(nil), base...)
		change(&c[1])
		if memberDigest(c, false) == d {
			t.Errorf("a changed %s keeps the digest", name)
		}
	}
	if memberDigest(base[:1], false) == d || memberDigest(nil, false) == d {
		t.Error("a removed member keeps the digest")
	}
	// ignore-weight-update: weights do not count, the flag does.
	w := append([]backend(nil), base...)
	w[0].Weight = 7
	if memberDigest(w, true) != memberDigest(base, true) {
		t.Error("with ignoreWeight a weight changes the digest")
	}
	if memberDigest(base, true) == d {
		t.Error("ignoreWeight does not change the digest")
	}
}

// loadedRecord returns a loaded verifiedRecord on store.
func loadedRecord(t *testing.T, store RecordStore) *verifiedRecord {
	t.Helper()
	v := &verifiedRecord{}
	v.setStore(store)
	if v.trusted(context.Background(), "none") != nil {
		t.Fatal("trusted a Service that has no record")
	}
	return v
}

var entryA = verifiedEntry{{id: "rsp-1", count: 2, digest: "aaaa"}}

func TestVerifiedCleanFlushDirty(t *testing.T) {
	ctx := context.Background()
	s := newMemStore()
	v := loadedRecord(t, s)

	// Clean marks are written by the flush, in one patch.
	v.clean("a", entryA)
	v.clean("b", entryA)
	if s.patchCount() != 0 {
		t.Fatal("a clean mark was written before the flush")
	}
	if v.trusted(ctx, "a") != nil {
		t.Fatal("a queued record was trusted")
	}
	if err := v.flush(ctx, false); err != nil {
		t.Fatal(err)
	}
	if s.patchCount() != 1 {
		t.Fatalf("%d patches, want 1", s.patchCount())
	}
	if got := v.trusted(ctx, "a"); len(got) != 1 || got[0] != entryA[0] {
		t.Fatalf("trusted(a) = %v", got)
	}
	// The same record again writes nothing.
	v.clean("a", entryA)
	if err := v.flush(ctx, false); err != nil || s.patchCount() != 1 {
		t.Fatalf("an unchanged record was written again (%d patches, %v)", s.patchCount(), err)
	}
	// A dirty mark removes a stored key at once, before the write.
	if err := v.dirty(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.get("a"); ok || s.patchCount() != 2 {
		t.Fatal("dirty did not remove the stored key")
	}
	// A dirty mark of a Service without a stored key writes nothing.
	if err := v.dirty(ctx, "c"); err != nil || s.patchCount() != 2 {
		t.Fatalf("dirty of an unrecorded Service patched (%v)", err)
	}
}

func TestVerifiedDirtyCancelsQueuedClean(t *testing.T) {
	ctx := context.Background()
	s := newMemStore()
	v := loadedRecord(t, s)
	v.clean("a", entryA)
	if err := v.dirty(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := v.flush(ctx, false); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.get("a"); ok || s.patchCount() != 0 {
		t.Fatalf("a clean mark cancelled by a dirty mark was written: %v", s.patches)
	}
}

func TestVerifiedDirtyPatchFailureBlocks(t *testing.T) {
	ctx := context.Background()
	s := newMemStore()
	v := loadedRecord(t, s)
	v.clean("a", entryA)
	if err := v.flush(ctx, false); err != nil {
		t.Fatal(err)
	}
	s.failPatch = errors.New("apiserver down")
	if err := v.dirty(ctx, "a"); err == nil {
		t.Fatal("dirty succeeded although the key could not be removed")
	}
	// The record still holds the key, so the next dirty tries again.
	s.failPatch = nil
	if err := v.dirty(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.get("a"); ok {
		t.Fatal("key still stored")
	}
}

// A dirty mark that arrives while a flush is writing the Service's clean
// mark waits for it and then removes the key: the flush can never leave a
// Service recorded that went dirty.
func TestVerifiedFlushNeverRemarksDirty(t *testing.T) {
	ctx := context.Background()
	s := newMemStore()
	v := loadedRecord(t, s)
	v.clean("a", entryA)
	s.block, s.entered = make(chan struct{}), make(chan struct{})
	release := s.block
	flushed := make(chan error)
	go func() { flushed <- v.flush(ctx, false) }()
	<-s.entered
	dirtied := make(chan error)
	go func() { dirtied <- v.dirty(ctx, "a") }()
	select {
	case err := <-dirtied:
		t.Fatalf("dirty did not wait for the flush in flight (%v)", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	if err := <-dirtied; err != nil {
		t.Fatal(err)
	}
	if _, ok := s.get("a"); ok {
		t.Fatal("the Service stayed recorded after its dirty mark")
	}
}

func TestVerifiedFlushFailureKeepsQueue(t *testing.T) {
	ctx := context.Background()
	s := newMemStore()
	v := loadedRecord(t, s)
	v.clean("a", entryA)
	s.failPatch = errors.New("conflict")
	if err := v.flush(ctx, false); err == nil {
		t.Fatal("flush reported success")
	}
	if v.trusted(ctx, "a") != nil {
		t.Fatal("an unwritten record is trusted")
	}
	s.failPatch = nil
	if err := v.flush(ctx, false); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.get("a"); !ok {
		t.Fatal("the queued record was lost after a failed flush")
	}
}

func TestVerifiedSizeBound(t *testing.T) {
	ctx := context.Background()
	s := newMemStore()
	s.data["big"] = "v1 " + strings.Repeat("x", verifiedMaxBytes-10)
	v := loadedRecord(t, s)
	v.clean("new", entryA)
	if err := v.flush(ctx, false); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.get("new"); ok {
		t.Fatal("a Service was added past the size bound")
	}
	// A Service already recorded is still updated.
	v.clean("big", entryA)
	if err := v.flush(ctx, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.get("big"); got != entryA.encode() {
		t.Fatalf("record of big = %.20q", got)
	}
}

func TestVerifiedStoreUnusable(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		store func() *memStore
		// dirtyErr: a write must wait (the store may still hold a key).
		dirtyErr bool
	}{
		{"denied: record off, writes go on", func() *memStore { s := newMemStore(); s.loadErr = errForbidden; return s }, false},
		{"unreadable: writes wait", func() *memStore { s := newMemStore(); s.loadErr = errors.New("timeout"); return s }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.store()
			s.data["a"] = entryA.encode()
			v := &verifiedRecord{}
			v.setStore(s)
			if v.trusted(ctx, "a") != nil {
				t.Fatal("trusted a record that could not be read")
			}
			if err := v.dirty(ctx, "a"); (err != nil) != tc.dirtyErr {
				t.Fatalf("dirty: %v, want error %t", err, tc.dirtyErr)
			}
			v.clean("b", entryA)
			if err := v.flush(ctx, false); err != nil || s.patchCount() != 0 {
				t.Fatalf("an unreadable record was written (%v)", err)
			}
		})
	}
	// No store at all: nothing is trusted, nothing blocks.
	v := &verifiedRecord{}
	if v.trusted(ctx, "a") != nil || v.dirty(ctx, "a") != nil {
		t.Fatal("without a store the record must be off")
	}
	// A transient load error is retried at the next use.
	s := newMemStore()
	s.data["a"] = entryA.encode()
	s.loadErr = errors.New("timeout")
	v = &verifiedRecord{}
	v.setStore(s)
	_ = v.trusted(ctx, "a")
	s.loadErr = nil
	if v.trusted(ctx, "a") == nil {
		t.Fatal("the record was not read again after a transient error")
	}
}

func TestVerifiedForgetAndKeepOnly(t *testing.T) {
	ctx := context.Background()
	s := newMemStore()
	for _, k := range []string{"a", "b", "c"} {
		s.data[k] = entryA.encode()
	}
	v := loadedRecord(t, s)
	v.forget("a")
	v.forget("zzz") // never recorded: nothing to remove
	v.keepOnly(ctx, map[types.UID][]listedLB{"b": nil})
	if err := v.flush(ctx, false); err != nil {
		t.Fatal(err)
	}
	if len(s.patches) != 1 || len(s.patches[0]) != 2 {
		t.Fatalf("patches %v, want one removing a and c", s.patches)
	}
	if _, ok := s.get("b"); !ok {
		t.Fatal("b was removed although its CLB exists")
	}
	// A bad value is not trusted, and a dirty mark still removes it.
	s.data["bad"] = "v9 junk"
	v = loadedRecord(t, s)
	if v.trusted(ctx, "bad") != nil {
		t.Fatal("a bad value was trusted")
	}
	if err := v.dirty(ctx, "bad"); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.get("bad"); ok {
		t.Fatal("dirty left a bad value")
	}
}

func TestVerifiedRunFlushesAtStop(t *testing.T) {
	s := newMemStore()
	v := loadedRecord(t, s)
	v.clean("a", entryA)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { v.run(stop, time.Hour); close(done) }()
	close(stop)
	<-done
	if _, ok := s.get("a"); !ok {
		t.Fatal("the queued record was not written at shutdown")
	}
}

// A periodic flush writes a record only after it waited verifiedSettle
// in the queue (a Service under endpoint churn is never written, so its
// member writes need no dirty mark); removals go at once; the shutdown
// flush writes everything.
func TestVerifiedSettle(t *testing.T) {
	ctx := context.Background()
	s := newMemStore()
	s.data["gone"] = entryA.encode()
	v := loadedRecord(t, s)
	now := time.Now()
	v.now = func() time.Time { return now }
	v.clean("a", entryA)
	v.forget("gone")
	now = now.Add(verifiedSettle / 2)
	v.clean("a", entryA) // the same record again keeps its age
	v.clean("b", entryA)
	if err := v.flush(ctx, true); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.get("gone"); ok {
		t.Error("a removal waited for the settle time")
	}
	if _, ok := s.get("a"); ok {
		t.Fatal("a record was written before it settled")
	}
	now = now.Add(verifiedSettle / 2)
	if err := v.flush(ctx, true); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.get("a"); !ok {
		t.Fatal("a settled record was not written")
	}
	if _, ok := s.get("b"); ok {
		t.Fatal("b was written before it settled")
	}
	// A changed record starts its wait again; the shutdown flush
	// writes it anyway.
	other := verifiedEntry{{id: "rsp-1", count: 3, digest: "bbbb"}}
	v.clean("a", other)
	r := &Reconciler{}
	r.verified.setStore(s)
	_ = r.verified.trusted(ctx, "x")
	r.verified.clean("c", entryA)
	if err := r.FlushRecord(time.Second); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.get("c"); !ok {
		t.Fatal("FlushRecord left a queued record")
	}
	if err := v.flush(ctx, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.get("a"); got != other.encode() || s.data["b"] == "" {
		t.Fatalf("the shutdown flush did not write the whole queue: a=%q", got)
	}
}
