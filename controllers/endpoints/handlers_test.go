package endpoints

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	cloudproviderapi "k8s.io/cloud-provider/api"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/podbackends"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/nodeclass"
)

// fakeSyncer stands in for the CLB engine: the backend policy comes from
// the Service's name ("local-*", "eni-*", "bad-*", else Cluster) and every
// SyncBackends call is recorded.
type fakeSyncer struct {
	mu     sync.Mutex
	synced []string
	err    error
	pods   loadbalancer.PodBackendSlot
}

func (f *fakeSyncer) SyncBackends(_ context.Context, svc *v1.Service, nodes []*v1.Node) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.synced = append(f.synced, fmt.Sprintf("%s/%s:%d", svc.Namespace, svc.Name, len(nodes)))
	return f.err
}

func (f *fakeSyncer) BackendPolicy(svc *v1.Service) (podbackends.Policy, bool) {
	switch {
	case strings.HasPrefix(svc.Name, "local-"):
		return podbackends.PolicyLocal, true
	case strings.HasPrefix(svc.Name, "eni-"):
		return podbackends.PolicyENI, true
	case strings.HasPrefix(svc.Name, "bad-"):
		return "", false
	}
	return podbackends.PolicyCluster, true
}

// handlerEnv is a controller on unstarted informers whose caches the test
// fills directly.
type handlerEnv struct {
	c      *Controller
	syncer *fakeSyncer
	svcs   cache.Indexer
	nodes  cache.Indexer
}

func newHandlerEnv(t *testing.T, coalesce time.Duration) *handlerEnv {
	t.Helper()
	f := informers.NewSharedInformerFactory(fake.NewSimpleClientset(), 0)
	syncer := &fakeSyncer{}
	c, err := New(syncer, &syncer.pods, f.Core().V1().Services(), f.Discovery().V1().EndpointSlices(), f.Core().V1().Nodes(), nil,
		Options{Coalesce: coalesce, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.queue.ShutDown)
	if syncer.pods.Source() == nil {
		t.Fatal("New did not install its pod backend source in the engine")
	}
	return &handlerEnv{c: c, syncer: syncer, svcs: f.Core().V1().Services().Informer().GetIndexer(),
		nodes: f.Core().V1().Nodes().Informer().GetIndexer()}
}

func lbService(name string, mods ...func(*v1.Service)) *v1.Service {
	s := &v1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}, Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer}}
	for _, m := range mods {
		m(s)
	}
	return s
}

func annotated(k annotations.Name, v string) func(*v1.Service) {
	return func(s *v1.Service) {
		if s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		s.Annotations[string(k)] = v
	}
}

func mkSlice(svc string, nodes ...string) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: svc + "-abc",
		Labels: map[string]string{discoveryv1.LabelServiceName: svc}}}
	for i, n := range nodes {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{fmt.Sprintf("10.0.0.%d", i+1)}, NodeName: &n})
	}
	return s
}

func mkNode(name string, mods ...func(*v1.Node)) *v1.Node {
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	for _, m := range mods {
		m(n)
	}
	return n
}

func virtualNode(n *v1.Node) {
	n.Labels = map[string]string{nodeclass.VirtualLabel: nodeclass.VirtualValue}
}

// queued waits until want keys are queued (at most 5 s: the delaying
// queue's goroutine may be slow on a loaded machine), waits out the
// coalescing delay once more for extras, and returns the queued keys.
func (e *handlerEnv) queued(t *testing.T, want int) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for e.c.queue.Len() < want && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(3*e.c.opts.Coalesce + 10*time.Millisecond)
	var keys []string
	for e.c.queue.Len() > 0 {
		k, _ := e.c.queue.Get()
		keys = append(keys, k)
		e.c.queue.Done(k)
		e.c.queue.Forget(k)
	}
	sort.Strings(keys)
	return keys
}

// TestSliceEventFilter is the table of EndpointSlice changes that resync a
// Service's members.
func TestSliceEventFilter(t *testing.T) {
	withClass := func(s *v1.Service) { c := "example.com/other"; s.Spec.LoadBalancerClass = &c }
	nlbClass := func(s *v1.Service) { c := annotations.NLBClass; s.Spec.LoadBalancerClass = &c }
	deleting := func(s *v1.Service) { now := metav1.Now(); s.DeletionTimestamp = &now }
	nodePort := func(s *v1.Service) { s.Spec.Type = v1.ServiceTypeNodePort }
	wantsNLB := annotated(annotations.KeyLoadBalancerType, "nlb")
	tests := []struct {
		name     string
		svc      *v1.Service
		old, new *discoveryv1.EndpointSlice
		want     bool
	}{
		{"Local: endpoint added", lbService("local-a"), mkSlice("local-a", "n1"), mkSlice("local-a", "n1", "n2"), true},
		{"ENI: slice created", lbService("eni-a"), nil, mkSlice("eni-a", "n1"), true},
		{"Local: slice deleted", lbService("local-a"), mkSlice("local-a", "n1"), nil, true},
		{"Local: resync without change", lbService("local-a"), mkSlice("local-a", "n1"), mkSlice("local-a", "n1"), false},
		{"Cluster: ECS endpoints only", lbService("web"), mkSlice("web", "n1"), mkSlice("web", "n1", "n2"), false},
		{"Cluster: endpoint on a virtual node added", lbService("web"), mkSlice("web", "n1"), mkSlice("web", "n1", "vk"), true},
		{"Cluster: endpoint on a virtual node removed", lbService("web"), mkSlice("web", "n1", "vk"), mkSlice("web", "n1"), true},
		{"bad annotation: the framework reports it", lbService("bad-a"), nil, mkSlice("bad-a", "n1"), false},
		{"another load balancer class", lbService("local-a", withClass), nil, mkSlice("local-a", "n1"), false},
		{"NLB by annotation: its engine syncs", lbService("local-a", wantsNLB), nil, mkSlice("local-a", "n1"), true},
		{"NLB by class: its engine syncs", lbService("local-a", nlbClass), nil, mkSlice("local-a", "n1"), true},
		{"NLB, Cluster: ECS endpoints only", lbService("web", nlbClass), mkSlice("web", "n1"), mkSlice("web", "n1", "n2"), false},
		{"Service being deleted", lbService("local-a", deleting), nil, mkSlice("local-a", "n1"), false},
		{"not a LoadBalancer", lbService("local-a", nodePort), nil, mkSlice("local-a", "n1"), false},
		{"slice of an unknown Service", lbService("local-a"), nil, mkSlice("local-zz", "n1"), false},
		{"slice without service label", lbService("local-a"), nil, &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "x"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newHandlerEnv(t, time.Millisecond)
			_ = e.svcs.Add(tc.svc)
			_ = e.nodes.Add(mkNode("n1"))
			_ = e.nodes.Add(mkNode("n2"))
			_ = e.nodes.Add(mkNode("vk", virtualNode))
			var oldObj, newObj any
			if tc.old != nil {
				oldObj = tc.old
			}
			if tc.new != nil {
				newObj = tc.new
			}
			e.c.onSlice(oldObj, newObj)
			want := 0
			if tc.want {
				want = 1
			}
			got := e.queued(t, want)
			if (len(got) == 1) != tc.want || len(got) > 1 {
				t.Errorf("queued %v, want a sync: %v", got, tc.want)
			}
		})
	}
}

// TestSliceDeletedFinalStateUnknown: a slice deletion seen only through a
// relist still resyncs its Service.
func TestSliceDeletedFinalStateUnknown(t *testing.T) {
	e := newHandlerEnv(t, time.Millisecond)
	_ = e.svcs.Add(lbService("local-a"))
	e.c.onSlice(cache.DeletedFinalStateUnknown{Key: "default/local-a-abc", Obj: mkSlice("local-a", "n1")}, nil)
	if got := e.queued(t, 1); len(got) != 1 || got[0] != "default/local-a" {
		t.Errorf("queued %v, want default/local-a", got)
	}
}

// TestCoalescing: a rolling update's burst of slice changes within the
// coalescing delay costs one sync.
func TestCoalescing(t *testing.T) {
	e := newHandlerEnv(t, 30*time.Millisecond)
	_ = e.svcs.Add(lbService("local-a"))
	_ = e.svcs.Add(lbService("local-b"))
	prev := mkSlice("local-a")
	for i := 1; i <= 20; i++ {
		nodes := make([]string, i)
		for j := range nodes {
			nodes[j] = "n1"
		}
		next := mkSlice("local-a", nodes...)
		e.c.onSlice(prev, next)
		prev = next
	}
	e.c.onSlice(nil, mkSlice("local-b", "n1"))
	if got := e.queued(t, 2); strings.Join(got, ",") != "default/local-a,default/local-b" {
		t.Errorf("queued %v, want each Service once", got)
	}
}

// TestNodeEventFilter is the table of node changes the framework ignores
// but members depend on.
func TestNodeEventFilter(t *testing.T) {
	drain := annotated(annotations.KeyDrainUnscheduledBackend, "on")
	remove := annotated(annotations.KeyRemoveUnscheduledBackend, "on")
	removeLegacy := func(s *v1.Service) {
		s.Annotations = map[string]string{annotations.LegacyPrefix + annotations.KeyRemoveUnscheduledBackend.Suffix(): "on"}
	}
	cordon := func(n *v1.Node) { n.Spec.Unschedulable = true }
	autoscaler := func(n *v1.Node) {
		n.Spec.Taints = []v1.Taint{{Key: podbackends.TaintToBeDeleted, Effect: v1.TaintEffectNoSchedule}}
	}
	label := func(n *v1.Node) { n.Labels = map[string]string{"team": "a"} }
	svcs := []*v1.Service{lbService("plain"), lbService("drain", drain), lbService("remove", remove), lbService("remove-legacy", removeLegacy)}
	tests := []struct {
		name     string
		old, new *v1.Node
		deleted  bool
		want     string
	}{
		{"cordon", mkNode("n1"), mkNode("n1", cordon), false, "drain,remove,remove-legacy"},
		{"uncordon", mkNode("n1", cordon), mkNode("n1"), false, "drain,remove,remove-legacy"},
		{"autoscaler taint", mkNode("n1"), mkNode("n1", autoscaler), false, "drain"},
		{"becomes virtual", mkNode("n1"), mkNode("n1", virtualNode), false, "drain,plain,remove,remove-legacy"},
		{"label change only", mkNode("n1"), mkNode("n1", label), false, ""},
		{"status heartbeat only", mkNode("n1"), mkNode("n1"), false, ""},
		{"ECS node deleted", mkNode("n1"), nil, true, "drain"},
		{"virtual node deleted", mkNode("vk", virtualNode), nil, true, "drain,plain,remove,remove-legacy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newHandlerEnv(t, time.Millisecond)
			for _, s := range svcs {
				_ = e.svcs.Add(s)
			}
			_ = e.svcs.Add(lbService("drain-other-class", drain, func(s *v1.Service) { c := "x"; s.Spec.LoadBalancerClass = &c }))
			if tc.deleted {
				e.c.onNodeDelete(cache.DeletedFinalStateUnknown{Key: tc.old.Name, Obj: tc.old})
			} else {
				e.c.onNodeUpdate(tc.old, tc.new)
			}
			got := e.queued(t, len(strings.Split(tc.want, ","))*min(1, len(tc.want)))
			for i := range got {
				got[i] = strings.TrimPrefix(got[i], "default/")
			}
			if strings.Join(got, ",") != tc.want {
				t.Errorf("queued %v, want %q", got, tc.want)
			}
		})
	}
}

// TestSyncDecisions: which queued Services reach the engine, and how a
// failure is retried.
func TestSyncDecisions(t *testing.T) {
	withIngress := func(s *v1.Service) {
		s.Status.LoadBalancer.Ingress = []v1.LoadBalancerIngress{{IP: "47.0.0.1"}}
	}
	tests := []struct {
		name      string
		svc       *v1.Service
		key       string
		err       error
		wantSync  bool
		wantRetry bool
		wantAfter bool // requeued after the engine's delay, not with backoff
	}{
		{name: "Service with an address", svc: lbService("local-a", withIngress), key: "default/local-a", wantSync: true},
		{name: "no address yet: the framework creates the CLB", svc: lbService("local-a"), key: "default/local-a"},
		{name: "Service gone", svc: lbService("local-a", withIngress), key: "default/gone"},
		{name: "malformed key", svc: lbService("local-a", withIngress), key: "a/b/c"},
		{name: "engine error is retried", svc: lbService("local-a", withIngress), key: "default/local-a",
			err: errors.New("CLB busy"), wantSync: true, wantRetry: true},
		{name: "pods without ENI are retried", svc: lbService("local-a", withIngress), key: "default/local-a",
			err: &loadbalancer.IncompleteBackendsError{Service: "default/local-a", IPs: []string{"10.0.0.9"}}, wantSync: true, wantRetry: true},
		{name: "a running job: retried after the engine's delay", svc: lbService("local-a", withIngress), key: "default/local-a",
			err: fmt.Errorf("syncing servers: %w", cloudproviderapi.NewRetryError("job of sgp-1 running", 20*time.Millisecond)), wantSync: true, wantAfter: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newHandlerEnv(t, time.Millisecond)
			e.syncer.err = tc.err
			_ = e.svcs.Add(tc.svc)
			_ = e.nodes.Add(mkNode("n1"))
			_ = e.nodes.Add(mkNode("n2"))
			e.c.queue.Add(tc.key)
			if !e.c.next(context.Background()) {
				t.Fatal("queue shut down")
			}
			e.syncer.mu.Lock()
			synced := e.syncer.synced
			e.syncer.mu.Unlock()
			if tc.wantSync != (len(synced) == 1) {
				t.Errorf("SyncBackends calls %v, want a call: %v", synced, tc.wantSync)
			}
			if tc.wantSync && synced[0] != tc.key+":2" {
				t.Errorf("synced %q, want %s with both nodes", synced[0], tc.key)
			}
			if got := e.c.queue.NumRequeues(tc.key) > 0; got != tc.wantRetry {
				t.Errorf("requeued with backoff: %v, want %v", got, tc.wantRetry)
			}
			if tc.wantAfter {
				if got := e.queued(t, 1); len(got) != 1 || got[0] != tc.key {
					t.Errorf("queued %v after the engine's delay, want %s", got, tc.key)
				}
			}
		})
	}
}

// TestNewDefaults: a zero Options gets the documented defaults; no engine
// or no pod backend slot is an error.
func TestNewDefaults(t *testing.T) {
	f := informers.NewSharedInformerFactory(fake.NewSimpleClientset(), 0)
	c, err := New(&fakeSyncer{}, &loadbalancer.PodBackendSlot{}, f.Core().V1().Services(), f.Discovery().V1().EndpointSlices(), f.Core().V1().Nodes(), nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.queue.ShutDown()
	if c.opts.Coalesce != DefaultCoalesce || c.opts.Workers != DefaultWorkers {
		t.Errorf("options = %+v, want coalesce %v and %d workers", c.opts, DefaultCoalesce, DefaultWorkers)
	}
	if _, err := New(nil, &loadbalancer.PodBackendSlot{}, f.Core().V1().Services(), f.Discovery().V1().EndpointSlices(), f.Core().V1().Nodes(), nil, Options{}); err == nil {
		t.Error("New without an engine: want an error")
	}
	if _, err := New(&fakeSyncer{}, nil, f.Core().V1().Services(), f.Discovery().V1().EndpointSlices(), f.Core().V1().Nodes(), nil, Options{}); err == nil {
		t.Error("New without a pod backend slot: want an error")
	}
}
