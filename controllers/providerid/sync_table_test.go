package providerid

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
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
	k8scloudprovider "k8s.io/cloud-provider"
	cloudproviderapi "k8s.io/cloud-provider/api"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/instances"
	pid "github.com/alicloud-ccm/alicloud-ccm/cloudprovider/providerid"
)

// scriptedCloud resolves every node to res and answers InstanceMetadata
// with md (or mdErr).
type scriptedCloud struct {
	res     instances.Resolution
	resErr  error
	md      *k8scloudprovider.InstanceMetadata
	mdErr   error
	mdCalls atomic.Int32
}

func (s *scriptedCloud) ResolveNode(context.Context, *v1.Node) (instances.Resolution, error) {
	return s.res, s.resErr
}
func (s *scriptedCloud) InstanceExists(context.Context, *v1.Node) (bool, error)   { return true, nil }
func (s *scriptedCloud) InstanceShutdown(context.Context, *v1.Node) (bool, error) { return false, nil }
func (s *scriptedCloud) InstanceMetadata(context.Context, *v1.Node) (*k8scloudprovider.InstanceMetadata, error) {
	s.mdCalls.Add(1)
	return s.md, s.mdErr
}

// TestNeedsProviderID is the table of nodes this controller handles.
func TestNeedsProviderID(t *testing.T) {
	tests := []struct {
		name string
		node *v1.Node
		want bool
	}{
		{"no providerID, no taint", mkNode("n"), true},
		{"providerID set", mkNode("n", func(n *v1.Node) { n.Spec.ProviderID = "cn-hangzhou.i-a" }), false},
		{"foreign providerID set", mkNode("n", func(n *v1.Node) { n.Spec.ProviderID = "kind://docker/kind/n" }), false},
		{"virtual node", mkNode("n", func(n *v1.Node) { n.Labels = map[string]string{"type": "virtual-kubelet"} }), false},
		{"uninitialized taint: the framework's", mkNode("n", func(n *v1.Node) {
			n.Spec.Taints = []v1.Taint{{Key: cloudproviderapi.TaintExternalCloudProvider, Effect: v1.TaintEffectNoSchedule}}
		}), false},
		{"other taints only", mkNode("n", func(n *v1.Node) {
			n.Spec.Taints = []v1.Taint{{Key: "node.kubernetes.io/not-ready", Effect: v1.TaintEffectNoSchedule}}
		}), true},
	}
	for _, tc := range tests {
		if got := needsProviderID(tc.node); got != tc.want {
			t.Errorf("%s: needsProviderID = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestSyncTable drives one sync per row: what the controller does for each
// resolution, and that providerID (immutable once set) is written only
// after ECS confirmed the very instance resolved.
func TestSyncTable(t *testing.T) {
	id := pid.ID{Region: "cn-hangzhou", InstanceID: "i-abc"}
	ecsRes := instances.Resolution{Kind: instances.KindECS, ID: id, Via: instances.ViaNodeName}
	tests := []struct {
		name        string
		res         instances.Resolution
		resErr      error
		md          *k8scloudprovider.InstanceMetadata
		mdErr       error
		missing     bool // the node is not in the cache
		wantRecheck bool
		wantErr     string
		wantID      string
		wantReason  string
		wantMD      bool // InstanceMetadata asked
	}{
		{name: "ECS, confirmed", res: ecsRes, md: &k8scloudprovider.InstanceMetadata{ProviderID: id.String()},
			wantID: id.String(), wantReason: EventReasonProviderIDSet, wantMD: true},
		{name: "ECS, but ECS says another ID", res: ecsRes, md: &k8scloudprovider.InstanceMetadata{ProviderID: "cn-hangzhou.i-zzz"},
			wantErr: "instance metadata gave providerID", wantMD: true},
		{name: "ECS, instance gone", res: ecsRes, mdErr: k8scloudprovider.InstanceNotFound,
			wantErr: k8scloudprovider.InstanceNotFound.Error(), wantReason: EventReasonLookupFailed, wantMD: true},
		{name: "lookup failed", resErr: errors.New("Throttling.User"), wantErr: "Throttling.User", wantReason: EventReasonLookupFailed},
		{name: "not found: rechecked later", res: instances.Resolution{Kind: instances.KindNotFound, IPs: []string{"10.0.0.1"}},
			wantRecheck: true, wantReason: EventReasonInstanceNotFound},
		{name: "ambiguous: rechecked later", res: instances.Resolution{Kind: instances.KindAmbiguous, IPs: []string{"10.0.0.1"}, Candidates: []string{"i-a", "i-b"}},
			wantRecheck: true, wantReason: EventReasonInstanceAmbiguous},
		{name: "other region: left alone", res: instances.Resolution{Kind: instances.KindOtherRegion, ID: pid.ID{Region: "cn-beijing", InstanceID: "i-abc"}}},
		{name: "foreign: left alone", res: instances.Resolution{Kind: instances.KindForeign}},
		{name: "node deleted meanwhile", res: ecsRes, missing: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			node := mkNode("cn-hangzhou.i-abc", func(n *v1.Node) { n.ResourceVersion = "7" })
			client := fake.NewSimpleClientset(node)
			factory := informers.NewSharedInformerFactory(client, 0)
			if !tc.missing {
				_ = factory.Core().V1().Nodes().Informer().GetIndexer().Add(node)
			}
			cloud := &scriptedCloud{res: tc.res, resErr: tc.resErr, md: tc.md, mdErr: tc.mdErr}
			rec := record.NewFakeRecorder(10)
			c, err := New(client, factory.Core().V1().Nodes(), cloud, cloud, rec, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer c.queue.ShutDown()
			recheck, err := c.sync(context.Background(), node.Name)
			if recheck != tc.wantRecheck {
				t.Errorf("recheck = %v, want %v", recheck, tc.wantRecheck)
			}
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("err = %v, want %q", err, tc.wantErr)
			}
			got, _ := client.CoreV1().Nodes().Get(context.Background(), node.Name, metav1.GetOptions{})
			if got.Spec.ProviderID != tc.wantID {
				t.Errorf("providerID = %q, want %q", got.Spec.ProviderID, tc.wantID)
			}
			var event string
			select {
			case event = <-rec.Events:
			default:
			}
			if tc.wantReason == "" && event != "" || !strings.Contains(event, tc.wantReason) {
				t.Errorf("event %q, want reason %q", event, tc.wantReason)
			}
			if asked := cloud.mdCalls.Load() > 0; asked != tc.wantMD {
				t.Errorf("InstanceMetadata asked: %v, want %v", asked, tc.wantMD)
			}
		})
	}
}

// TestPatchGuardedByResourceVersion: the providerID patch carries the
// node's resourceVersion and the field manager, so a concurrent writer is
// never overwritten and the write is attributed to this controller.
func TestPatchGuardedByResourceVersion(t *testing.T) {
	node := mkNode("n1", func(n *v1.Node) { n.ResourceVersion = "42" })
	client := fake.NewSimpleClientset(node)
	var body string
	var opts metav1.PatchOptions
	client.PrependReactor("patch", "nodes", func(a k8stesting.Action) (bool, runtime.Object, error) {
		p := a.(k8stesting.PatchActionImpl)
		body, opts = string(p.GetPatch()), p.PatchOptions
		return true, nil, apierrors.NewConflict(schema.GroupResource{Resource: "nodes"}, "n1", errors.New("modified"))
	})
	factory := informers.NewSharedInformerFactory(client, 0)
	rec := record.NewFakeRecorder(10)
	c, err := New(client, factory.Core().V1().Nodes(), &scriptedCloud{}, &scriptedCloud{}, rec, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.queue.ShutDown()
	err = c.patch(context.Background(), node, "cn-hangzhou.i-abc", instances.ViaInternalIP)
	if !apierrors.IsConflict(err) || !strings.Contains(err.Error(), "cn-hangzhou.i-abc") {
		t.Errorf("err = %v, want the conflict, naming the providerID", err)
	}
	if !strings.Contains(body, `"resourceVersion":"42"`) || !strings.Contains(body, `"providerID":"cn-hangzhou.i-abc"`) {
		t.Errorf("patch body %s lacks the resourceVersion guard or the providerID", body)
	}
	if opts.FieldManager != ControllerName {
		t.Errorf("field manager %q, want %q", opts.FieldManager, ControllerName)
	}
	select {
	case e := <-rec.Events:
		t.Errorf("event %q after a failed patch", e)
	default:
	}
}

// TestQueueOutcomes: an error backs off, no match waits for Recheck, a
// handled node is forgotten.
func TestQueueOutcomes(t *testing.T) {
	tests := []struct {
		name        string
		res         instances.Resolution
		resErr      error
		wantBackoff bool
		wantLater   bool
	}{
		{name: "error", resErr: errors.New("boom"), wantBackoff: true},
		{name: "no match", res: instances.Resolution{Kind: instances.KindNotFound}, wantLater: true},
		{name: "not ours", res: instances.Resolution{Kind: instances.KindForeign}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			node := mkNode("n1")
			client := fake.NewSimpleClientset(node)
			factory := informers.NewSharedInformerFactory(client, 0)
			_ = factory.Core().V1().Nodes().Informer().GetIndexer().Add(node)
			cloud := &scriptedCloud{res: tc.res, resErr: tc.resErr}
			c, err := New(client, factory.Core().V1().Nodes(), cloud, cloud, record.NewFakeRecorder(10), Options{Recheck: 30 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer c.queue.ShutDown()
			c.queue.Add("n1")
			c.next(context.Background())
			if got := c.queue.NumRequeues("n1") > 0; got != tc.wantBackoff {
				t.Errorf("backed off: %v, want %v", got, tc.wantBackoff)
			}
			if tc.wantBackoff {
				return
			}
			deadline := time.Now().Add(5 * time.Second)
			for tc.wantLater && c.queue.Len() == 0 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if tc.wantLater && c.queue.Len() != 1 {
				t.Error("an unmatched node is not looked up again after Recheck")
			}
			if !tc.wantLater {
				time.Sleep(60 * time.Millisecond)
				if c.queue.Len() != 0 {
					t.Error("a handled node was queued again")
				}
			}
		})
	}
}

// TestNewRequiresEverything: each missing dependency is refused at
// construction rather than failing later.
func TestNewRequiresEverything(t *testing.T) {
	client := fake.NewSimpleClientset()
	nodes := informers.NewSharedInformerFactory(client, 0).Core().V1().Nodes()
	cloud := &scriptedCloud{}
	rec := record.NewFakeRecorder(1)
	tests := map[string]func() error{
		"client":    func() error { _, err := New(nil, nodes, cloud, cloud, rec, Options{}); return err },
		"informer":  func() error { _, err := New(client, nil, cloud, cloud, rec, Options{}); return err },
		"resolver":  func() error { _, err := New(client, nodes, nil, cloud, rec, Options{}); return err },
		"instances": func() error { _, err := New(client, nodes, cloud, nil, rec, Options{}); return err },
		"recorder":  func() error { _, err := New(client, nodes, cloud, cloud, nil, Options{}); return err },
	}
	for name, f := range tests {
		if err := f(); err == nil || !strings.Contains(err.Error(), ControllerName) {
			t.Errorf("without %s: err = %v, want one naming the controller", name, err)
		}
	}
	c, err := New(client, nodes, cloud, cloud, rec, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.queue.ShutDown()
	if c.opts.Workers != DefaultWorkers || c.opts.Recheck != DefaultRecheck {
		t.Errorf("defaults = %+v", c.opts)
	}
}

// TestNodeInitorRetriesConflicts: a node updated between the initor's read
// and its patch is read again and patched, not failed.
func TestNodeInitorRetriesConflicts(t *testing.T) {
	client := fake.NewSimpleClientset(mkNode("n1"))
	var patches atomic.Int32
	client.PrependReactor("patch", "nodes", func(k8stesting.Action) (bool, runtime.Object, error) {
		if patches.Add(1) == 1 {
			return true, nil, apierrors.NewConflict(schema.GroupResource{Resource: "nodes"}, "n1", errors.New("modified"))
		}
		return false, nil, nil
	})
	got, err := RunNodeInitor(context.Background(), client, fakeIdentity{"cn-hangzhou", "i-self"}, "n1")
	if err != nil || got != InitorSet || patches.Load() != 2 {
		t.Fatalf("RunNodeInitor = %q, %v after %d patches; want set after 2", got, err, patches.Load())
	}
	n, _ := client.CoreV1().Nodes().Get(context.Background(), "n1", metav1.GetOptions{})
	if n.Spec.ProviderID != "cn-hangzhou.i-self" {
		t.Errorf("providerID = %q", n.Spec.ProviderID)
	}
}
