package command

import (
	"context"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	cloudcontrollerconfig "k8s.io/cloud-provider/app/config"
)

// TestUseSlimInformers: after initCloud's replacement, the informers every
// controller gets from the framework's config keep Nodes without
// managedFields and images, and the factory reads the framework's client.
func TestUseSlimInformers(t *testing.T) {
	node := &v1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "n-1", ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubelet"}}},
		Spec:       v1.NodeSpec{ProviderID: "cn-hangzhou.i-1"},
		Status:     v1.NodeStatus{Images: []v1.ContainerImage{{Names: []string{"app:v1"}}}},
	}
	client := fake.NewClientset(node)
	raw := &cloudcontrollerconfig.Config{VersionedClient: client, SharedInformers: informers.NewSharedInformerFactory(client, 0)}
	raw.ComponentConfig.Generic.MinResyncPeriod = metav1.Duration{Duration: 12 * time.Hour}
	cfg := &cloudcontrollerconfig.CompletedConfig{}
	*cfg = *raw.Complete()
	framework := cfg.SharedInformers
	useSlimInformers(cfg)
	if cfg.SharedInformers == framework {
		t.Fatal("the framework's factory was kept")
	}
	nodes := cfg.SharedInformers.Core().V1().Nodes()
	nodes.Informer()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg.SharedInformers.Start(ctx.Done())
	cfg.SharedInformers.WaitForCacheSync(ctx.Done())
	got, err := nodes.Lister().Get("n-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.ManagedFields != nil || got.Status.Images != nil || got.Spec.ProviderID != node.Spec.ProviderID {
		t.Errorf("cached node = %+v, want it without managedFields and images, with its providerID", got)
	}
}
