package providerid

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
	k8scloudprovider "k8s.io/cloud-provider"
	cloudproviderapi "k8s.io/cloud-provider/api"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/instances"
	pid "github.com/alicloud-ccm/alicloud-ccm/cloudprovider/providerid"
)

// fakeCloud resolves nodes from a table and answers InstanceMetadata with
// the resolved providerID.
type fakeCloud struct {
	res map[string]instances.Resolution
	err error
}

func (f *fakeCloud) ResolveNode(_ context.Context, n *v1.Node) (instances.Resolution, error) {
	if f.err != nil {
		return instances.Resolution{}, f.err
	}
	return f.res[n.Name], nil
}
func (f *fakeCloud) InstanceExists(context.Context, *v1.Node) (bool, error)   { return true, nil }
func (f *fakeCloud) InstanceShutdown(context.Context, *v1.Node) (bool, error) { return false, nil }
func (f *fakeCloud) InstanceMetadata(_ context.Context, n *v1.Node) (*k8scloudprovider.InstanceMetadata, error) {
	return &k8scloudprovider.InstanceMetadata{ProviderID: f.res[n.Name].ID.String()}, nil
}

func TestController(t *testing.T) {
	ecsID := pid.ID{Region: "cn-hangzhou", InstanceID: "i-abc"}
	taint := v1.Taint{Key: cloudproviderapi.TaintExternalCloudProvider, Effect: v1.TaintEffectNoSchedule}
	tests := []struct {
		name       string
		node       *v1.Node
		res        instances.Resolution
		err        error
		wantID     string
		wantReason string
	}{
		{name: "found by InternalIP", node: mkNode("w1"), res: instances.Resolution{Kind: instances.KindECS, ID: ecsID, Via: instances.ViaInternalIP},
			wantID: "cn-hangzhou.i-abc", wantReason: EventReasonProviderIDSet},
		{name: "ambiguous", node: mkNode("w1"), res: instances.Resolution{Kind: instances.KindAmbiguous, Candidates: []string{"i-a", "i-b"}, IPs: []string{"10.0.0.1"}},
			wantReason: EventReasonInstanceAmbiguous},
		{name: "not found (data-centre)", node: mkNode("w1"), res: instances.Resolution{Kind: instances.KindNotFound, IPs: []string{"10.0.0.1"}},
			wantReason: EventReasonInstanceNotFound},
		{name: "API error", node: mkNode("w1"), err: errors.New("Throttling"), wantReason: EventReasonLookupFailed},
		{name: "foreign node left alone", node: mkNode("w1"), res: instances.Resolution{Kind: instances.KindForeign}},
		{name: "virtual node skipped", node: mkNode("vk", func(n *v1.Node) { n.Labels = map[string]string{"type": "virtual-kubelet"} }),
			res: instances.Resolution{Kind: instances.KindECS, ID: ecsID}},
		{name: "tainted node is the framework's", node: mkNode("w1", func(n *v1.Node) { n.Spec.Taints = []v1.Taint{taint} }),
			res: instances.Resolution{Kind: instances.KindECS, ID: ecsID}},
		{name: "providerID already set", node: mkNode("w1", func(n *v1.Node) { n.Spec.ProviderID = "cn-hangzhou.i-old" }),
			res: instances.Resolution{Kind: instances.KindECS, ID: ecsID}, wantID: "cn-hangzhou.i-old"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client := fake.NewSimpleClientset(tc.node)
			factory := informers.NewSharedInformerFactory(client, 0)
			cloud := &fakeCloud{res: map[string]instances.Resolution{tc.node.Name: tc.res}, err: tc.err}
			rec := record.NewFakeRecorder(10)
			c, err := New(client, factory.Core().V1().Nodes(), cloud, cloud, rec, Options{Workers: 2, Recheck: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			factory.Start(ctx.Done())
			go c.Run(ctx)

			var event string
			select {
			case event = <-rec.Events:
			case <-time.After(map[bool]time.Duration{true: 5 * time.Second, false: 300 * time.Millisecond}[tc.wantReason != ""]):
			}
			if tc.wantReason == "" && event != "" || !strings.Contains(event, tc.wantReason) {
				t.Errorf("event %q, want reason %q", event, tc.wantReason)
			}
			got, err := client.CoreV1().Nodes().Get(ctx, tc.node.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Spec.ProviderID != tc.wantID {
				t.Errorf("providerID = %q, want %q", got.Spec.ProviderID, tc.wantID)
			}
		})
	}
}

func mkNode(name string, mods ...func(*v1.Node)) *v1.Node {
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	for _, m := range mods {
		m(n)
	}
	return n
}

// fakeIdentity is a metadata service answer.
type fakeIdentity struct{ region, instance string }

func (f fakeIdentity) RegionID(context.Context) (string, error) {
	if f.region == "" {
		return "", errors.New("metadata unreachable")
	}
	return f.region, nil
}
func (f fakeIdentity) InstanceID(context.Context) (string, error) { return f.instance, nil }

func TestRunNodeInitor(t *testing.T) {
	md := fakeIdentity{"cn-hangzhou", "i-self"}
	tests := []struct {
		name     string
		node     *v1.Node
		nodeName string
		md       fakeIdentity
		want     InitorResult
		wantID   string
		wantErr  string
	}{
		{"empty providerID is set", mkNode("n1"), "n1", md, InitorSet, "cn-hangzhou.i-self", ""},
		{"existing providerID kept", mkNode("n1", func(n *v1.Node) { n.Spec.ProviderID = "cn-hangzhou.i-other" }), "n1", md, InitorAlreadySet, "cn-hangzhou.i-other", ""},
		{"virtual node skipped", mkNode("n1", func(n *v1.Node) { n.Labels = map[string]string{"type": "virtual-kubelet"} }), "n1", md, InitorVirtual, "", ""},
		{"no NODE_NAME", mkNode("n1"), "", md, "", "", "NODE_NAME"},
		{"unknown node", mkNode("n1"), "n2", md, "", "", `node "n2" does not exist`},
		{"metadata unreachable", mkNode("n1"), "n1", fakeIdentity{}, "", "", "region-id"},
		{"metadata gives a bad instance ID", mkNode("n1"), "n1", fakeIdentity{"cn-hangzhou", "bogus"}, "", "", "bogus"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client := fake.NewSimpleClientset(tc.node)
			got, err := RunNodeInitor(context.Background(), client, tc.md, tc.nodeName)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("RunNodeInitor = %q, %v; want %q", got, err, tc.want)
			}
			n, _ := client.CoreV1().Nodes().Get(context.Background(), tc.node.Name, metav1.GetOptions{})
			if n.Spec.ProviderID != tc.wantID {
				t.Errorf("providerID = %q, want %q", n.Spec.ProviderID, tc.wantID)
			}
		})
	}
}
