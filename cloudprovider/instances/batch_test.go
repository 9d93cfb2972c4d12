package instances

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	testingclock "k8s.io/utils/clock/testing"
)

// TestBatching counts DescribeInstances calls for concurrent and sequential
// lookups: one call per 100 IDs or IPs.
func TestBatching(t *testing.T) {
	const n = 250
	w := startWorld(t, n)
	byID := func(i int) *v1.Node { return node(bulkID(i), withProviderID(pid(bulkID(i)))) }
	byIP := func(i int) *v1.Node { return node(bulkID(i), withIP(bulkIP(i))) }
	tests := []struct {
		name      string
		nodes     int
		mk        func(int) *v1.Node
		call      func(p *Instances, nd *v1.Node) error
		seq       bool // one worker, as the framework's default --concurrent-node-syncs=1
		wantCalls int
	}{
		{"100 concurrent InstanceMetadata", 100, byID, metadataCall, false, 1},
		{"250 concurrent InstanceExists", 250, byID, existsCall, false, 3},
		{"100 concurrent lookups by InternalIP, then metadata from the cache", 100, byIP, metadataCall, false, 1},
		{"250 sequential InstanceMetadata (one worker) with known instances", 250, byID, metadataCall, true, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nodes := make([]*v1.Node, tc.nodes)
			for i := range nodes {
				nodes[i] = tc.mk(i)
			}
			p := w.provider(t, func(o *Options) {
				// Long enough that every goroutine joins on 2 busy cores.
				o.BatchWindow = 100 * time.Millisecond
				if tc.seq {
					o.BatchWindow = time.Millisecond
					o.KnownInstances = KnownInstancesFrom(testRegion, func() ([]*v1.Node, error) { return nodes, nil })
				}
			})
			before := w.calls()
			var errs atomic.Int32
			run := func(nd *v1.Node) {
				if err := tc.call(p, nd); err != nil {
					t.Error(err)
					errs.Add(1)
				}
			}
			if tc.seq {
				for _, nd := range nodes {
					run(nd)
				}
			} else {
				var wg sync.WaitGroup
				for _, nd := range nodes {
					wg.Add(1)
					go func() { defer wg.Done(); run(nd) }()
				}
				wg.Wait()
			}
			if got := w.calls() - before; got != tc.wantCalls {
				t.Errorf("%d DescribeInstances calls, want %d", got, tc.wantCalls)
			}
		})
	}
}

func metadataCall(p *Instances, nd *v1.Node) error {
	md, err := p.InstanceMetadata(context.Background(), nd)
	if err != nil {
		return err
	}
	if len(md.NodeAddresses) == 0 || md.ProviderID == "" {
		return errors.New("incomplete metadata for " + nd.Name)
	}
	return nil
}

func existsCall(p *Instances, nd *v1.Node) error {
	ok, err := p.InstanceExists(context.Background(), nd)
	if err == nil && !ok {
		err = errors.New(nd.Name + " reported gone")
	}
	return err
}

func TestCacheTTL(t *testing.T) {
	w := startWorld(t, 0)
	clk := testingclock.NewFakeClock(time.Now())
	p := w.provider(t, func(o *Options) { o.CacheTTL = 30 * time.Second; o.Clock = clk })
	nd := node("n", withProviderID(pid(instRunning)))
	ctx := context.Background()
	check := func(step string, wantShutdown bool, wantCalls int) {
		t.Helper()
		got, err := p.InstanceShutdown(ctx, nd)
		if err != nil || got != wantShutdown {
			t.Errorf("%s: InstanceShutdown = %v, %v; want %v", step, got, err, wantShutdown)
		}
		if c := w.calls(); c != wantCalls {
			t.Errorf("%s: %d calls, want %d", step, c, wantCalls)
		}
	}
	check("first lookup", false, 1)
	if err := w.emu.SetInstanceStatus(instRunning, "Stopped"); err != nil {
		t.Fatal(err)
	}
	clk.Step(29 * time.Second)
	check("within the TTL: cached answer", false, 1)
	clk.Step(2 * time.Second)
	check("after the TTL: asked again", true, 2)
}

// TestBatcher covers the batcher alone: gathering during a call in flight,
// repeated keys, and a caller giving up (its key is still asked).
func TestBatcher(t *testing.T) {
	var mu sync.Mutex
	var batches [][]int
	release := make(chan struct{})
	b := newBatcher(4, time.Millisecond, time.Minute, func(_ context.Context, keys []int) (map[int]int, error) {
		mu.Lock()
		batches = append(batches, keys)
		first := len(batches) == 1
		mu.Unlock()
		if first {
			<-release // hold the first call in flight
		}
		out := map[int]int{}
		for _, k := range keys {
			if k != 99 {
				out[k] = k * 10
			}
		}
		return out, nil
	})
	var wg sync.WaitGroup
	get := func(k, want int, wantFound bool) {
		defer wg.Done()
		v, found, err := b.get(context.Background(), k)
		if err != nil || v != want || found != wantFound {
			t.Errorf("get(%d) = %d, %v, %v", k, v, found, err)
		}
	}
	wg.Add(1)
	go get(1, 10, true)
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(batches) == 1 })
	// While call 1 is in flight, 2 and 99 gather (and a duplicate 2).
	for _, k := range []int{2, 2, 99} {
		wg.Add(1)
		want, found := k*10, k != 99
		if !found {
			want = 0
		}
		go get(k, want, found)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := b.get(ctx, 7); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled get: err = %v", err)
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(batches) != 2 || len(batches[1]) != 3 {
		t.Errorf("batches = %v, want [[1] [2 99 7]] in some order", batches)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met")
}
