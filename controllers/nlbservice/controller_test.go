package nlbservice

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	k8scloudprovider "k8s.io/cloud-provider"
	cloudproviderapi "k8s.io/cloud-provider/api"
	servicehelper "k8s.io/cloud-provider/service/helpers"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// fakeLB records the provider calls and answers as a test sets.
type fakeLB struct {
	k8scloudprovider.LoadBalancer
	mu        sync.Mutex
	calls     []string
	ensureErr error
	deleteErr error
	updateErr error
	// onEnsure runs inside EnsureLoadBalancer (to look at the cluster as
	// the engine would see it).
	onEnsure func(svc *v1.Service)
}

func (f *fakeLB) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

func (f *fakeLB) got() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeLB) EnsureLoadBalancer(_ context.Context, _ string, svc *v1.Service, nodes []*v1.Node) (*v1.LoadBalancerStatus, error) {
	f.record(fmt.Sprintf("Ensure %s %s", svc.Name, nodeNames(nodes)))
	if f.onEnsure != nil {
		f.onEnsure(svc)
	}
	if f.ensureErr != nil {
		return nil, f.ensureErr
	}
	return &v1.LoadBalancerStatus{Ingress: []v1.LoadBalancerIngress{{Hostname: "nlb-1.cn-hangzhou.nlb.aliyuncs.com"}}}, nil
}

func (f *fakeLB) UpdateLoadBalancer(_ context.Context, _ string, svc *v1.Service, nodes []*v1.Node) error {
	f.record(fmt.Sprintf("Update %s %s", svc.Name, nodeNames(nodes)))
	return f.updateErr
}

func (f *fakeLB) EnsureLoadBalancerDeleted(_ context.Context, _ string, svc *v1.Service) error {
	f.record("Delete " + svc.Name)
	return f.deleteErr
}

func nodeNames(nodes []*v1.Node) string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.Name)
	}
	slices.Sort(out)
	return "[" + strings.Join(out, ",") + "]"
}

var hostname = v1.LoadBalancerStatus{Ingress: []v1.LoadBalancerIngress{{Hostname: "nlb-1.cn-hangzhou.nlb.aliyuncs.com"}}}

// nlbSvc is an NLB-class LoadBalancer Service, changed by mods.
func nlbSvc(name string, mods ...func(*v1.Service)) *v1.Service {
	class := annotations.NLBClass
	s := &v1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, UID: types.UID("uid-" + name)},
		Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, LoadBalancerClass: &class,
			Ports: []v1.ServicePort{{Name: "tcp", Port: 80, NodePort: 30080, Protocol: v1.ProtocolTCP}}}}
	for _, m := range mods {
		m(s)
	}
	return s
}

func withClass(c string) func(*v1.Service) {
	return func(s *v1.Service) {
		if c == "" {
			s.Spec.LoadBalancerClass = nil
			return
		}
		s.Spec.LoadBalancerClass = &c
	}
}

func finalized(s *v1.Service) { s.Finalizers = append(s.Finalizers, Finalizer) }

// frameworkFinalized carries the framework's finalizer, as an earlier
// version of this controller added it.
func frameworkFinalized(s *v1.Service) {
	s.Finalizers = append(s.Finalizers, servicehelper.LoadBalancerCleanupFinalizer)
}

// typeChanged is a Service no longer of type LoadBalancer: the API server
// dropped its class.
func typeChanged(s *v1.Service) { s.Spec.Type, s.Spec.LoadBalancerClass = v1.ServiceTypeClusterIP, nil }

func deleting(s *v1.Service) { now := metav1.Now(); s.DeletionTimestamp = &now }

func published(s *v1.Service) { s.Status.LoadBalancer = *hostname.DeepCopy() }

func mkNode(name string, mods ...func(*v1.Node)) *v1.Node {
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}}, Spec: v1.NodeSpec{ProviderID: "cn-hangzhou.i-" + name}}
	for _, m := range mods {
		m(n)
	}
	return n
}

func excludedNode(n *v1.Node) { n.Labels[v1.LabelNodeExcludeBalancers] = "true" }

// env is a controller on unstarted informers whose caches the test fills,
// a fake clientset holding the same Services, a fake provider and a
// recorder.
type env struct {
	c      *Controller
	lb     *fakeLB
	client *fake.Clientset
	rec    *record.FakeRecorder
	svcs   cache.Indexer
	nodes  cache.Indexer
}

func newEnv(t *testing.T, svcs []*v1.Service, nodes ...*v1.Node) *env {
	t.Helper()
	var objs []any
	client := fake.NewSimpleClientset()
	for _, s := range svcs {
		if _, err := client.CoreV1().Services(s.Namespace).Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		objs = append(objs, s)
	}
	client.ClearActions()
	f := informers.NewSharedInformerFactory(fake.NewSimpleClientset(), 0)
	lb := &fakeLB{}
	rec := record.NewFakeRecorder(100)
	c, err := New(lb, client, f.Core().V1().Services(), f.Core().V1().Nodes(), rec, Options{ClusterName: "kubernetes", Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.queue.ShutDown)
	t.Cleanup(c.nodeQueue.ShutDown)
	e := &env{c: c, lb: lb, client: client, rec: rec, svcs: f.Core().V1().Services().Informer().GetIndexer(),
		nodes: f.Core().V1().Nodes().Informer().GetIndexer()}
	for _, o := range objs {
		_ = e.svcs.Add(o)
	}
	for _, n := range nodes {
		_ = e.nodes.Add(n)
	}
	return e
}

// events drains the recorder: "Type Reason" per Event.
func (e *env) events() []string {
	var out []string
	for {
		select {
		case ev := <-e.rec.Events:
			f := strings.Fields(ev)
			out = append(out, f[0]+" "+f[1])
		default:
			return out
		}
	}
}

// stored is the Service as the API server has it.
func (e *env) stored(t *testing.T, name string) *v1.Service {
	t.Helper()
	s, err := e.client.CoreV1().Services("default").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (e *env) patches() int {
	n := 0
	for _, a := range e.client.Actions() {
		if a.GetVerb() == "patch" {
			n++
		}
	}
	return n
}

// TestServiceEventFilter is the table of Service changes that queue a
// sync: NLB-class Services' spec, annotation and deletion changes; never
// status patches, resyncs, Services without a class (the framework's) or
// another controller's class.
func TestServiceEventFilter(t *testing.T) {
	portChange := func(s *v1.Service) { s.Spec.Ports[0].Port = 443 }
	annotated := func(s *v1.Service) {
		s.Annotations = map[string]string{"service.beta.kubernetes.io/alibaba-cloud-loadbalancer-name": "x"}
	}
	tests := []struct {
		name     string
		old, cur *v1.Service // old nil: an add
		want     bool
	}{
		{"add: NLB class", nil, nlbSvc("a"), true},
		{"add: no class (the framework's)", nil, nlbSvc("a", withClass("")), false},
		{"add: NLB annotation without class (the framework's)", nil, nlbSvc("a", withClass(""), func(s *v1.Service) {
			s.Annotations = map[string]string{string(annotations.KeyLoadBalancerType): "nlb"}
		}), false},
		{"add: another class", nil, nlbSvc("a", withClass("example.com/lb")), false},
		{"add: not a LoadBalancer", nil, nlbSvc("a", func(s *v1.Service) { s.Spec.Type = v1.ServiceTypeClusterIP }), false},
		{"add: being deleted with the finalizer (a restart mid-delete)", nil, nlbSvc("a", finalized, deleting), true},
		{"add: another class being deleted with the finalizer", nil, nlbSvc("a", withClass("example.com/lb"), frameworkFinalized, deleting), false},
		{"add: being deleted with the framework's finalizer (an earlier version's)", nil, nlbSvc("a", frameworkFinalized, deleting), true},
		{"add: no class, the framework's finalizer, being deleted (the framework's)", nil, nlbSvc("a", withClass(""), frameworkFinalized, deleting), false},
		{"add: type changed away with our finalizer (class dropped)", nil, nlbSvc("a", finalized, typeChanged), true},
		{"update: resync", nlbSvc("a"), nlbSvc("a"), false},
		{"update: our status patch", nlbSvc("a"), nlbSvc("a", published), false},
		{"update: our finalizer patch", nlbSvc("a"), nlbSvc("a", finalized), false},
		{"update: port change", nlbSvc("a"), nlbSvc("a", portChange), true},
		{"update: annotation change", nlbSvc("a"), nlbSvc("a", annotated), true},
		{"update: deletion mark", nlbSvc("a", finalized), nlbSvc("a", finalized, deleting), true},
		{"update: deletion mark without finalizer (no NLB was made)", nlbSvc("a"), nlbSvc("a", deleting), false},
		{"update: another class's port change", nlbSvc("a", withClass("example.com/lb")), nlbSvc("a", withClass("example.com/lb"), portChange), false},
		{"update: recreated (new UID)", nlbSvc("a"), nlbSvc("a", func(s *v1.Service) { s.UID = "uid-2" }), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			if tc.old == nil {
				e.c.onServiceAdd(tc.cur)
			} else {
				e.c.onServiceUpdate(tc.old, tc.cur)
			}
			if got := e.c.queue.Len() == 1; got != tc.want {
				t.Errorf("queued: %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSync is the table of one Service's sync: the provider calls, the
// finalizer and status the API server ends with, the Events and the
// error.
func TestSync(t *testing.T) {
	retry := cloudproviderapi.NewRetryError("job of nlb-1 running", 3*time.Second)
	tests := []struct {
		name      string
		svc       *v1.Service
		ensureErr error
		deleteErr error
		wantCalls []string
		wantFinal bool // this controller's finalizer on the stored Service
		// wantFrameworkFinal: the framework's finalizer on the stored Service
		wantFrameworkFinal bool
		wantHost           bool // the hostname in the stored status
		wantEvents         []string
		wantErr            string
		wantRetry          bool
		wantPatches        int
	}{
		{name: "new NLB Service: finalizer, NLB, hostname", svc: nlbSvc("a"), wantCalls: []string{"Ensure a [n1]"},
			wantFinal: true, wantHost: true, wantEvents: []string{"Normal EnsuringLoadBalancer", "Normal EnsuredLoadBalancer"}, wantPatches: 2},
		{name: "converged Service: no patch", svc: nlbSvc("a", finalized, published), wantCalls: []string{"Ensure a [n1]"},
			wantFinal: true, wantHost: true, wantEvents: []string{"Normal EnsuringLoadBalancer", "Normal EnsuredLoadBalancer"}},
		{name: "engine error: Warning, finalizer kept for the cleanup", svc: nlbSvc("a"), ensureErr: errors.New("zone-maps: bad value"),
			wantCalls: []string{"Ensure a [n1]"}, wantFinal: true, wantEvents: []string{"Normal EnsuringLoadBalancer", "Warning SyncLoadBalancerFailed"},
			wantErr: "zone-maps: bad value", wantPatches: 1},
		{name: "job still running: no Warning, a retry error", svc: nlbSvc("a", finalized), ensureErr: retry,
			wantCalls: []string{"Ensure a [n1]"}, wantFinal: true, wantEvents: []string{"Normal EnsuringLoadBalancer"}, wantErr: "job of nlb-1 running", wantRetry: true},
		{name: "deleted: NLB, finalizer and status go", svc: nlbSvc("a", finalized, published, deleting), wantCalls: []string{"Delete a"},
			wantEvents: []string{"Normal DeletingLoadBalancer", "Normal DeletedLoadBalancer"}, wantPatches: 2},
		{name: "delete fails: the finalizer stays", svc: nlbSvc("a", finalized, published, deleting), deleteErr: errors.New("NLB busy"),
			wantCalls: []string{"Delete a"}, wantFinal: true, wantHost: true, wantEvents: []string{"Normal DeletingLoadBalancer", "Warning SyncLoadBalancerFailed"},
			wantErr: "NLB busy"},
		{name: "delete waits for a job: no Warning", svc: nlbSvc("a", finalized, published, deleting), deleteErr: retry,
			wantCalls: []string{"Delete a"}, wantFinal: true, wantHost: true, wantEvents: []string{"Normal DeletingLoadBalancer"}, wantErr: "job", wantRetry: true},
		{name: "deleted before any NLB (no finalizer): nothing", svc: nlbSvc("a", deleting)},
		{name: "another class: nothing", svc: nlbSvc("a", withClass("example.com/lb"), frameworkFinalized, deleting), wantFrameworkFinal: true},
		{name: "the framework's finalizer of an earlier version: replaced by ours", svc: nlbSvc("a", frameworkFinalized, published),
			wantCalls: []string{"Ensure a [n1]"}, wantFinal: true, wantHost: true,
			wantEvents: []string{"Normal EnsuringLoadBalancer", "Normal EnsuredLoadBalancer"}, wantPatches: 1},
		{name: "deleted with the framework's finalizer of an earlier version: NLB and finalizer go", svc: nlbSvc("a", frameworkFinalized, published, deleting),
			wantCalls: []string{"Delete a"}, wantEvents: []string{"Normal DeletingLoadBalancer", "Normal DeletedLoadBalancer"}, wantPatches: 2},
		{name: "type changed away (class dropped): NLB and finalizer go", svc: nlbSvc("a", finalized, published, typeChanged),
			wantCalls: []string{"Delete a"}, wantEvents: []string{"Normal DeletingLoadBalancer", "Normal DeletedLoadBalancer"}, wantPatches: 2},
		{name: "no class: the framework's", svc: nlbSvc("a", withClass("")), wantFinal: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, []*v1.Service{tc.svc}, mkNode("n1"), mkNode("x", excludedNode))
			e.lb.ensureErr, e.lb.deleteErr = tc.ensureErr, tc.deleteErr
			e.lb.onEnsure = func(*v1.Service) {
				if !slices.Contains(e.stored(t, "a").Finalizers, Finalizer) {
					t.Error("EnsureLoadBalancer ran before the finalizer was stored")
				}
			}
			err := e.c.sync(context.Background(), "default/a")
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("err = %v, want %q", err, tc.wantErr)
			}
			var re *cloudproviderapi.RetryError
			if errors.As(err, &re) != tc.wantRetry {
				t.Errorf("retry error: %v, want %v", errors.As(err, &re), tc.wantRetry)
			}
			if got := e.lb.got(); !slices.Equal(got, tc.wantCalls) {
				t.Errorf("provider calls %v, want %v", got, tc.wantCalls)
			}
			stored := e.stored(t, "a")
			if got := slices.Contains(stored.Finalizers, Finalizer); got != tc.wantFinal {
				t.Errorf("finalizer stored: %v, want %v", got, tc.wantFinal)
			}
			if got := servicehelper.HasLBFinalizer(stored); got != tc.wantFrameworkFinal {
				t.Errorf("the framework's finalizer stored: %v, want %v", got, tc.wantFrameworkFinal)
			}
			if got := len(stored.Status.LoadBalancer.Ingress) == 1; got != tc.wantHost {
				t.Errorf("hostname published: %v (%v), want %v", got, stored.Status.LoadBalancer, tc.wantHost)
			}
			if got := e.events(); !slices.Equal(got, tc.wantEvents) {
				t.Errorf("events %v, want %v", got, tc.wantEvents)
			}
			if got := e.patches(); got != tc.wantPatches {
				t.Errorf("%d patches, want %d", got, tc.wantPatches)
			}
		})
	}
}

// TestSyncGoneAndBadKeys: a Service gone (its NLB was deleted before its
// finalizer went) and a malformed key need nothing.
func TestSyncGoneAndBadKeys(t *testing.T) {
	e := newEnv(t, nil, mkNode("n1"))
	e.c.storeNodes("default/gone", []*v1.Node{mkNode("n1")})
	for _, k := range []string{"default/gone", "a/b/c"} {
		if err := e.c.sync(context.Background(), k); err != nil {
			t.Errorf("sync(%q) = %v", k, err)
		}
	}
	if _, ok := e.c.syncedNodes("default/gone"); ok {
		t.Error("the node set of a gone Service is still remembered")
	}
	if got := e.lb.got(); len(got) != 0 {
		t.Errorf("provider calls %v", got)
	}
}

// TestRetries: a retry error is requeued after the delay it names, without
// backoff; other errors with backoff; success forgets the backoff.
func TestRetries(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		wantBackoff bool
		wantSoon    bool // queued again within the test's wait
	}{
		{"success", nil, false, false},
		{"retry error", fmt.Errorf("wrapped: %w", cloudproviderapi.NewRetryError("job running", 50*time.Millisecond)), false, true},
		{"failure", errors.New("boom"), true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, []*v1.Service{nlbSvc("a", finalized)}, mkNode("n1"))
			e.lb.ensureErr = tc.err
			e.c.queue.Add("default/a")
			if !e.c.next(context.Background()) {
				t.Fatal("queue shut down")
			}
			if got := e.c.queue.NumRequeues("default/a") > 0; got != tc.wantBackoff {
				t.Errorf("backoff: %v, want %v", got, tc.wantBackoff)
			}
			deadline := time.Now().Add(5 * time.Second)
			for tc.wantSoon && e.c.queue.Len() == 0 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if got := e.c.queue.Len() == 1; got != tc.wantSoon {
				t.Errorf("queued again soon: %v, want %v", got, tc.wantSoon)
			}
		})
	}
}

// TestNodeSync: a node change updates the backends of the NLB Services
// converged to another node set, with the framework's node set; a failed
// update queues a full sync.
func TestNodeSync(t *testing.T) {
	tests := []struct {
		name       string
		synced     []string // the node set "a" was converged to; nil = never synced
		nodes      []*v1.Node
		updateErr  error
		wantCalls  []string
		wantEvents []string
		wantQueued bool
	}{
		{name: "node added", synced: []string{"n1"}, nodes: []*v1.Node{mkNode("n1"), mkNode("n2")},
			wantCalls: []string{"Update a [n1,n2]"}, wantEvents: []string{"Normal UpdatedLoadBalancer"}},
		{name: "node removed", synced: []string{"n1", "n2"}, nodes: []*v1.Node{mkNode("n1")},
			wantCalls: []string{"Update a [n1]"}, wantEvents: []string{"Normal UpdatedLoadBalancer"}},
		{name: "same set: no call", synced: []string{"n1"}, nodes: []*v1.Node{mkNode("n1")}},
		{name: "an excluded node does not count", synced: []string{"n1"}, nodes: []*v1.Node{mkNode("n1"), mkNode("x", excludedNode)}},
		{name: "providerID changed", synced: []string{"n1"}, nodes: []*v1.Node{mkNode("n1", func(n *v1.Node) { n.Spec.ProviderID = "cn-hangzhou.i-new" })},
			wantCalls: []string{"Update a [n1]"}, wantEvents: []string{"Normal UpdatedLoadBalancer"}},
		{name: "last node gone", synced: []string{"n1"}, wantCalls: []string{"Update a []"}, wantEvents: []string{"Warning UnAvailableLoadBalancer"}},
		{name: "never synced: its own sync will use the current set", nodes: []*v1.Node{mkNode("n1")}},
		{name: "update fails: Warning and a full sync queued", synced: []string{"n1"}, nodes: []*v1.Node{mkNode("n1"), mkNode("n2")},
			updateErr: errors.New("NLB busy"), wantCalls: []string{"Update a [n1,n2]"}, wantEvents: []string{"Warning UpdateLoadBalancerFailed"}, wantQueued: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, []*v1.Service{nlbSvc("a", finalized, published), nlbSvc("other", withClass("example.com/lb"))}, tc.nodes...)
			e.lb.updateErr = tc.updateErr
			if tc.synced != nil {
				var last []*v1.Node
				for _, n := range tc.synced {
					last = append(last, mkNode(n))
				}
				e.c.storeNodes("default/a", last)
				e.c.storeNodes("default/other", last) // never ours: must not be updated
			}
			e.c.nodeQueue.Add(nodeSyncKey)
			if !e.c.nextNodes(context.Background()) {
				t.Fatal("node queue shut down")
			}
			if got := e.lb.got(); !slices.Equal(got, tc.wantCalls) {
				t.Errorf("provider calls %v, want %v", got, tc.wantCalls)
			}
			if got := e.events(); !slices.Equal(got, tc.wantEvents) {
				t.Errorf("events %v, want %v", got, tc.wantEvents)
			}
			if got := e.c.queue.NumRequeues("default/a") > 0; got != tc.wantQueued {
				t.Errorf("full sync queued: %v, want %v", got, tc.wantQueued)
			}
			// A second pass finds nothing more to do unless the update failed.
			if tc.updateErr == nil {
				e.c.syncNodes(context.Background())
				if got := e.lb.got(); len(got) != len(tc.wantCalls) {
					t.Errorf("second pass called %v", got[len(tc.wantCalls):])
				}
			}
		})
	}
}

// TestNodeEventFilter: the node updates that trigger a node sync are the
// framework's: the exclusion label and the providerID.
func TestNodeEventFilter(t *testing.T) {
	tests := []struct {
		name     string
		old, cur *v1.Node
		want     bool
	}{
		{"resync", mkNode("n"), mkNode("n"), false},
		{"excluded", mkNode("n"), mkNode("n", excludedNode), true},
		{"exclusion lifted by value", mkNode("n", excludedNode), mkNode("n", func(n *v1.Node) { n.Labels[v1.LabelNodeExcludeBalancers] = "false" }), true},
		{"providerID set", mkNode("n", func(n *v1.Node) { n.Spec.ProviderID = "" }), mkNode("n"), true},
		{"not ready: the health checks' business", mkNode("n"), mkNode("n", func(n *v1.Node) {
			n.Status.Conditions = []v1.NodeCondition{{Type: v1.NodeReady, Status: v1.ConditionFalse}}
		}), false},
		{"other label", mkNode("n"), mkNode("n", func(n *v1.Node) { n.Labels["team"] = "a" }), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.c.onNodeUpdate(tc.old, tc.cur)
			if got := e.c.nodeQueue.Len() == 1; got != tc.want {
				t.Errorf("node sync queued: %v, want %v", got, tc.want)
			}
		})
	}
}

// TestNewNeedsEverything: a missing dependency is an error, and the
// workers default to the framework's one.
func TestNewNeedsEverything(t *testing.T) {
	f := informers.NewSharedInformerFactory(fake.NewSimpleClientset(), 0)
	if _, err := New(nil, fake.NewSimpleClientset(), f.Core().V1().Services(), f.Core().V1().Nodes(), record.NewFakeRecorder(1), Options{}); err == nil {
		t.Error("New without a load balancer: want an error")
	}
	c, err := New(&fakeLB{}, fake.NewSimpleClientset(), f.Core().V1().Services(), f.Core().V1().Nodes(), record.NewFakeRecorder(1), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.queue.ShutDown()
	defer c.nodeQueue.ShutDown()
	if c.opts.Workers != DefaultWorkers {
		t.Errorf("workers %d, want %d", c.opts.Workers, DefaultWorkers)
	}
}
