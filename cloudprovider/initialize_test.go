package cloudprovider

import (
	"context"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
)

// TestInitializeWiresTheClient: after Initialize the provider's own client
// serves the node cache, the events and the official-finalizer removal,
// and the cluster identity is resolved before Initialize returns (no
// controller runs before that).
func TestInitializeWiresTheClient(t *testing.T) {
	c, _ := routedCloud(t, "")
	svc := finalizedService(cleanupFinalizer, officialCLBFinalizer)
	client := fake.NewSimpleClientset(svc,
		&v1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kube-system", UID: types.UID("uid-init")}},
		&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "m"}, Spec: v1.NodeSpec{ProviderID: "cn-hangzhou.i-master", PodCIDR: "172.16.3.0/24",
			PodCIDRs: []string{"172.16.3.0/24"}}})
	stop := make(chan struct{})
	defer close(stop)
	c.Initialize(&fakeBuilder{client: client}, stop)

	// The identity is in use at once.
	if d := routeMarker(t, c); !strings.Contains(d, "(cluster uid-init)") {
		t.Errorf("route description %q, want the kube-system UID's marker", d)
	}
	// The finalizer removal has its client.
	lb, _ := c.LoadBalancer()
	m := lb.(*migratingLB)
	if err := m.fin.drop(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
	got, _ := client.CoreV1().Services("default").Get(context.Background(), "web", metav1.GetOptions{})
	if len(got.Finalizers) != 1 || got.Finalizers[0] != cleanupFinalizer {
		t.Errorf("finalizers = %v, want only the framework's", got.Finalizers)
	}
	// Events reach the API server, annotated ones included.
	c.events.AnnotatedEventf(svc, map[string]string{"k": "v"}, v1.EventTypeNormal, "Initialized", "provider %s", ProviderName)
	deadline := time.Now().Add(5 * time.Second)
	for {
		evs, err := client.CoreV1().Events("").List(context.Background(), metav1.ListOptions{})
		if err == nil && len(evs.Items) > 0 {
			if e := evs.Items[0]; e.Reason != "Initialized" || e.Message != "provider alicloud" || e.Annotations["k"] != "v" {
				t.Errorf("event = %+v", e)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no Event written: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestInitializeWithoutBuilder: a provider run without a Kubernetes client
// (tests, tools) keeps the configured or legacy identity and does not
// touch the API server.
func TestInitializeWithoutBuilder(t *testing.T) {
	c, srv := routedCloud(t, "cfg-id")
	stop := make(chan struct{})
	defer close(stop)
	c.Initialize(nil, stop)
	// Let the background API check finish: a request cut off by the stop
	// would hold the emulator's shutdown for its 5 s grace period.
	deadline := time.Now().Add(5 * time.Second)
	for srv.Emulator.CallCount("DescribeVpcAttribute", "") == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := c.nodes.List(); err == nil {
		t.Error("node cache ready without a client")
	}
	lb, _ := c.LoadBalancer()
	if err := lb.(*migratingLB).fin.drop(context.Background(), finalizedService(officialCLBFinalizer)); err != nil {
		t.Errorf("finalizer removal without a client: %v, want a no-op", err)
	}
}

// TestNewFromFileNeedsAPath: the provider refuses to start without a
// cloud-config, naming the flag.
func TestNewFromFileNeedsAPath(t *testing.T) {
	if _, err := NewFromFile("", Options{}); err == nil || !strings.Contains(err.Error(), "--cloud-config") {
		t.Errorf("err = %v, want it to name --cloud-config", err)
	}
	if _, err := NewFromFile(t.TempDir()+"/missing.conf", Options{}); err == nil || !strings.Contains(err.Error(), "missing.conf") {
		t.Errorf("err = %v, want it to name the file", err)
	}
}
