package instances

import (
	"context"
	"sync"
	"time"
)

// fetchFunc answers one batch of keys (at most batcher.max). found holds the
// keys the API returned; a key missing from found was not in the answer. An
// error means the whole batch is unknown.
type fetchFunc[K comparable, V any] func(ctx context.Context, keys []K) (found map[K]V, err error)

// batchResult is what one waiter receives.
type batchResult[V any] struct {
	val   V
	found bool
	err   error
}

// batcher coalesces concurrent lookups of single keys into calls of up to
// max keys. The first key waits at most window for company; while a call is
// in flight, new keys gather until it returns (or until max of them are
// waiting, which dispatches a call at once). This turns the framework's
// per-node fan-out (ParallelizeUntil over every node) into one
// DescribeInstances call per 100 nodes.
type batcher[K comparable, V any] struct {
	max     int
	window  time.Duration
	timeout time.Duration
	fetch   fetchFunc[K, V]
	// cached, when set, answers a pending key without a call (another
	// batch may have fetched it meanwhile).
	cached func(K) (V, bool)
	// fill, when set, sees every batch before it goes out and returns up to
	// room keys nobody waits for to add (prefetch); their answers only land
	// in the caller's cache.
	fill func(keys []K, room int) []K

	mu       sync.Mutex
	pending  []K
	waiters  map[K][]chan batchResult[V]
	armed    bool // a window timer is running
	inflight int
}

func newBatcher[K comparable, V any](maxKeys int, window, timeout time.Duration, fetch fetchFunc[K, V]) *batcher[K, V] {
	return &batcher[K, V]{max: maxKeys, window: window, timeout: timeout, fetch: fetch, waiters: map[K][]chan batchResult[V]{}}
}

// get looks key up through the next batch. ctx only bounds this caller's
// wait: the batch itself runs on its own context (bounded by timeout),
// because other callers share it.
func (b *batcher[K, V]) get(ctx context.Context, key K) (V, bool, error) {
	ch := make(chan batchResult[V], 1)
	b.mu.Lock()
	if _, ok := b.waiters[key]; !ok {
		b.pending = append(b.pending, key)
	}
	b.waiters[key] = append(b.waiters[key], ch)
	switch {
	case len(b.pending) >= b.max:
		b.dispatchLocked(b.max)
	case b.inflight == 0 && !b.armed:
		b.armed = true
		time.AfterFunc(b.window, b.onWindow)
	}
	b.mu.Unlock()

	select {
	case r := <-ch:
		return r.val, r.found, r.err
	case <-ctx.Done():
		var zero V
		return zero, false, ctx.Err()
	}
}

// onWindow dispatches whatever gathered during the window.
func (b *batcher[K, V]) onWindow() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.armed = false
	b.flushLocked()
}

// flushLocked dispatches every pending key in calls of at most max keys.
func (b *batcher[K, V]) flushLocked() {
	for len(b.pending) > 0 {
		b.dispatchLocked(b.max)
	}
}

// dispatchLocked starts one call for up to n pending keys.
func (b *batcher[K, V]) dispatchLocked(n int) {
	if n > len(b.pending) {
		n = len(b.pending)
	}
	if n == 0 {
		return
	}
	taken := b.pending[:n]
	b.pending = b.pending[n:]
	keys := make([]K, 0, b.max)
	chans := make(map[K][]chan batchResult[V], n)
	for _, k := range taken {
		if v, ok := b.answerCached(k); ok {
			for _, ch := range b.waiters[k] {
				ch <- batchResult[V]{val: v, found: true}
			}
		} else {
			keys = append(keys, k)
			chans[k] = b.waiters[k]
		}
		delete(b.waiters, k)
	}
	if len(keys) == 0 {
		return
	}
	if b.fill != nil {
		keys = append(keys, b.fill(keys, b.max-len(keys))...)
	}
	b.inflight++
	go b.run(keys, chans)
}

func (b *batcher[K, V]) answerCached(k K) (V, bool) {
	if b.cached == nil {
		var zero V
		return zero, false
	}
	return b.cached(k)
}

// run performs one call and hands out the results; when the last call in
// flight returns, the keys that gathered meanwhile go out together.
func (b *batcher[K, V]) run(keys []K, chans map[K][]chan batchResult[V]) {
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	found, err := b.fetch(ctx, keys)
	cancel()
	for _, k := range keys {
		v, ok := found[k]
		for _, ch := range chans[k] {
			ch <- batchResult[V]{val: v, found: ok && err == nil, err: err}
		}
	}
	b.mu.Lock()
	b.inflight--
	if b.inflight == 0 && !b.armed {
		b.flushLocked()
	}
	b.mu.Unlock()
}
