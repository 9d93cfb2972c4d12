package servicectl

import (
	"context"
	"fmt"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

func node(name, providerID string, labels map[string]string) *v1.Node {
	return &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Spec: v1.NodeSpec{ProviderID: providerID}}
}

// TestRenamed pins what a handler behind OneKeyNodes sees for each kind of
// event object: the key is always allNodesKey, a Node keeps its content,
// and the informer's object is never changed.
func TestRenamed(t *testing.T) {
	n := node("bench-1", "cn-hangzhou.i-1", map[string]string{"a": "b"})
	tests := []struct {
		name      string
		obj       any
		wantKey   string
		wantLabel string // on the renamed Node; "" when not a Node
	}{
		{"node", n, allNodesKey, "b"},
		{"tombstone with a node", cache.DeletedFinalStateUnknown{Key: "bench-1", Obj: n}, allNodesKey, ""},
		{"tombstone without an object", cache.DeletedFinalStateUnknown{Key: "bench-1"}, allNodesKey, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := renamed(tt.obj)
			key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(got)
			if err != nil || key != tt.wantKey {
				t.Fatalf("key %q, %v; want %q", key, err, tt.wantKey)
			}
			if gn, ok := got.(*v1.Node); ok {
				if gn.Labels["a"] != tt.wantLabel || gn.Spec.ProviderID != n.Spec.ProviderID {
					t.Errorf("renamed node lost its content: %+v", gn)
				}
			}
			if n.Name != "bench-1" {
				t.Errorf("the informer's node was renamed to %q", n.Name)
			}
		})
	}
	if got := renamed("not a node"); got != "not a node" {
		t.Errorf("a non-node object changed: %v", got)
	}
}

// TestOneKeyNodesFoldsEvents: a handler that queues each node event under
// its key, as the framework's service controller does, holds one item
// after many nodes are added, updated and deleted, while the lister still
// sees every node. Without the wrapper the queue would hold one item per
// node, and each item costs the upstream controller a pass over every
// Service.
func TestOneKeyNodesFoldsEvents(t *testing.T) {
	const nodes = 200
	cs := fake.NewClientset()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range nodes {
		if _, err := cs.CoreV1().Nodes().Create(ctx, node(fmt.Sprintf("n-%d", i), "", nil), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	factory := informers.NewSharedInformerFactory(cs, 0)
	wrapped := OneKeyNodes(factory.Core().V1().Nodes())
	q := workqueue.NewTyped[string]()
	defer q.ShutDown()
	seen := make(chan string, 4*nodes)
	enqueue := func(obj any) {
		key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
		if err != nil {
			t.Errorf("key: %v", err)
			return
		}
		q.Add(key)
		seen <- key
	}
	if _, err := wrapped.Informer().AddEventHandlerWithResyncPeriod(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, cur any) { enqueue(cur) },
		DeleteFunc: enqueue,
	}, 0); err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), wrapped.Informer().HasSynced) {
		t.Fatal("informer did not sync")
	}
	// One update and one delete more, after the initial list.
	if _, err := cs.CoreV1().Nodes().Update(ctx, node("n-1", "", map[string]string{"x": "y"}), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cs.CoreV1().Nodes().Delete(ctx, "n-2", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// Wait for the events to be delivered (nodes adds, an update, a delete).
	deadline := time.After(time.Minute)
	for got := 0; got < nodes+2; got++ {
		select {
		case k := <-seen:
			if k != allNodesKey {
				t.Fatalf("event keyed %q, want %q", k, allNodesKey)
			}
		case <-deadline:
			t.Fatalf("%d of %d events delivered", got, nodes+2)
		}
	}
	if q.Len() != 1 {
		t.Errorf("queue holds %d items after %d node events, want 1", q.Len(), nodes+2)
	}
	listed, err := wrapped.Lister().List(labels.Everything())
	if err != nil || len(listed) != nodes-1 {
		t.Errorf("lister: %d nodes, %v; want %d", len(listed), err, nodes-1)
	}
}
