package cloudprovider

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	k8scloudprovider "k8s.io/cloud-provider"
)

// The framework hands an InformerUser its shared informers (app.Run).
var _ k8scloudprovider.InformerUser = (*Cloud)(nil)

// countingBuilder is fakeBuilder counting the clients it hands out.
type countingBuilder struct {
	fakeBuilder
	clients atomic.Int32
}

func (b *countingBuilder) Client(name string) (kubernetes.Interface, error) {
	b.clients.Add(1)
	return b.fakeBuilder.Client(name)
}

// waitNodes polls the index until it lists want nodes.
func waitNodes(t *testing.T, n *nodeIndex, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		nodes, err := n.List()
		if err == nil && len(nodes) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("List = %d nodes, %v; want %d", len(nodes), err, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestNodeIndexSource pins which cache the node index reads: the shared
// informer when the framework hands it one (in either order with start),
// so the process keeps one copy of every Node; its own informer, started
// once at the first lookup, when it has none.
func TestNodeIndexSource(t *testing.T) {
	tests := []struct {
		name        string
		shared      bool // SetInformers is called
		sharedFirst bool // ... before Initialize's start
		wantClients int32
	}{
		{"framework order: start, then the shared informer", true, false, 0},
		{"shared informer before start", true, true, 0},
		{"no shared informer: its own, started once", false, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The shared informer's cluster has nodes a and b; the
			// provider's own client sees a, b and c, so the answer tells
			// which cache was read.
			ab := []*v1.Node{{ObjectMeta: metav1.ObjectMeta{Name: "a"}}, {ObjectMeta: metav1.ObjectMeta{Name: "b"}}}
			shared := informers.NewSharedInformerFactory(fake.NewClientset(ab[0], ab[1]), 0)
			b := &countingBuilder{fakeBuilder: fakeBuilder{client: fake.NewClientset(ab[0], ab[1],
				&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "c"}})}}
			stop := make(chan struct{})
			defer close(stop)
			c := &Cloud{nodes: &nodeIndex{}}
			if tt.shared && tt.sharedFirst {
				c.SetInformers(shared)
			}
			c.nodes.start(b, stop)
			if tt.shared && !tt.sharedFirst {
				c.SetInformers(shared)
			}
			if got := b.clients.Load(); got != 0 {
				t.Fatalf("%d clients before the first lookup, want 0", got)
			}
			shared.Start(stop)
			want := 2
			if !tt.shared {
				want = 3
			}
			waitNodes(t, c.nodes, want)
			for range 3 {
				if _, err := c.nodes.Get("a"); err != nil {
					t.Fatal(err)
				}
			}
			if got := b.clients.Load(); got != tt.wantClients {
				t.Errorf("%d own informers started, want %d", got, tt.wantClients)
			}
		})
	}
}

// TestNodeIndexOwnWithoutClient: an index whose own informer cannot get a
// client stays unready (and says so) instead of failing every lookup
// differently, and does not retry the client on every lookup.
func TestNodeIndexOwnWithoutClient(t *testing.T) {
	b := &countingBuilder{fakeBuilder: fakeBuilder{err: errors.New("no client")}}
	stop := make(chan struct{})
	defer close(stop)
	n := &nodeIndex{}
	n.start(b, stop)
	for range 3 {
		if _, err := n.List(); !errors.Is(err, ErrNodeIndexNotReady) {
			t.Fatalf("List: err = %v, want ErrNodeIndexNotReady", err)
		}
	}
	if got := b.clients.Load(); got != 1 {
		t.Errorf("%d client requests, want 1", got)
	}
}
