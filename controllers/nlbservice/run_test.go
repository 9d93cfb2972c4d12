package nlbservice

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/record"
)

// TestRunServesAnNLBService runs the controller on started informers over
// a fake clientset: an NLB-class Service gets its finalizer and hostname,
// a new node reaches its load balancer, and its deletion removes the NLB
// and releases the Service.
func TestRunServesAnNLBService(t *testing.T) {
	client := fake.NewSimpleClientset(mkNode("n1"), nlbSvc("web"))
	f := informers.NewSharedInformerFactory(client, 0)
	lb := &fakeLB{}
	c, err := New(lb, client, f.Core().V1().Services(), f.Core().V1().Nodes(), record.NewFakeRecorder(100), Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.Start(ctx.Done())
	go c.Run(ctx)
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; provider calls %v", what, lb.got())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	get := func() *v1.Service {
		s, err := client.CoreV1().Services("default").Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	waitFor("the hostname", func() bool { return len(get().Status.LoadBalancer.Ingress) == 1 })
	if !slices.Contains(get().Finalizers, Finalizer) {
		t.Error("no cleanup finalizer on a served Service")
	}
	if _, err := client.CoreV1().Nodes().Create(ctx, mkNode("n2"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor("the new node on the load balancer", func() bool { return slices.Contains(lb.got(), "Update web [n1,n2]") })
	// The fake clientset does not run the API server's graceful deletion:
	// set the deletion mark as the API server does for a finalized object.
	svc := get()
	now := metav1.Now()
	svc.DeletionTimestamp = &now
	if _, err := client.CoreV1().Services("default").Update(ctx, svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor("the finalizer to go", func() bool { return !slices.Contains(get().Finalizers, Finalizer) })
	if !slices.Contains(lb.got(), "Delete web") {
		t.Errorf("the finalizer went without a delete: %v", lb.got())
	}
}

// TestPatchFailures: a finalizer that cannot be stored stops the sync
// before any cloud write; a status patch of a Service gone meanwhile is
// no error, other status patch failures are.
func TestPatchFailures(t *testing.T) {
	refuse := func(e *env, err error) {
		e.client.PrependReactor("patch", "services", func(k8stesting.Action) (bool, runtime.Object, error) { return true, nil, err })
	}
	t.Run("finalizer refused: no cloud call", func(t *testing.T) {
		e := newEnv(t, []*v1.Service{nlbSvc("a")}, mkNode("n1"))
		refuse(e, errors.New("forbidden"))
		err := e.c.sync(context.Background(), "default/a")
		if err == nil || !strings.Contains(err.Error(), "finalizer") {
			t.Errorf("err = %v, want the finalizer named", err)
		}
		if got := e.lb.got(); len(got) != 0 {
			t.Errorf("provider calls %v before the finalizer was stored", got)
		}
		if got := e.events(); !slices.Equal(got, []string{"Normal EnsuringLoadBalancer", "Warning SyncLoadBalancerFailed"}) {
			t.Errorf("events %v", got)
		}
	})
	t.Run("status of a Service gone: no error", func(t *testing.T) {
		e := newEnv(t, []*v1.Service{nlbSvc("a", finalized)}, mkNode("n1"))
		refuse(e, apierrors.NewNotFound(schema.GroupResource{Resource: "services"}, "a"))
		if err := e.c.sync(context.Background(), "default/a"); err != nil {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("status refused: an error to retry", func(t *testing.T) {
		e := newEnv(t, []*v1.Service{nlbSvc("a", finalized)}, mkNode("n1"))
		refuse(e, errors.New("etcd unavailable"))
		if err := e.c.sync(context.Background(), "default/a"); err == nil || !strings.Contains(err.Error(), "status") {
			t.Errorf("err = %v, want the status named", err)
		}
	})
}

// TestSameNodes pins the node set comparison: names and providerIDs,
// order-free.
func TestSameNodes(t *testing.T) {
	moved := mkNode("a", func(n *v1.Node) { n.Spec.ProviderID = "cn-hangzhou.i-other" })
	tests := []struct {
		name string
		a, b []*v1.Node
		want bool
	}{
		{"both empty", nil, nil, true},
		{"same, other order", []*v1.Node{mkNode("a"), mkNode("b")}, []*v1.Node{mkNode("b"), mkNode("a")}, true},
		{"one more", []*v1.Node{mkNode("a")}, []*v1.Node{mkNode("a"), mkNode("b")}, false},
		{"other node, same count", []*v1.Node{mkNode("a")}, []*v1.Node{mkNode("b")}, false},
		{"providerID changed", []*v1.Node{mkNode("a")}, []*v1.Node{moved}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sameNodes(tc.a, tc.b); got != tc.want {
				t.Errorf("sameNodes = %v, want %v", got, tc.want)
			}
		})
	}
}
