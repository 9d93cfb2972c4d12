package slimcache

import (
	"context"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
)

var managed = []metav1.ManagedFieldsEntry{{Manager: "kubelet", Operation: metav1.ManagedFieldsOperationUpdate,
	FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(`{"f:status":{"f:images":{}}}`)}}

// fullNode is a Node as kubelet and the controllers leave it: every field
// a controller of this CCM reads, and the ones Transform drops.
func fullNode() *v1.Node {
	return &v1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "n-1", ResourceVersion: "7", Labels: map[string]string{"topology.kubernetes.io/zone": "cn-hangzhou-k"},
			Annotations: map[string]string{"a": "b"}, ManagedFields: managed},
		Spec: v1.NodeSpec{ProviderID: "cn-hangzhou.i-1", PodCIDR: "10.0.0.0/24", PodCIDRs: []string{"10.0.0.0/24"},
			Taints: []v1.Taint{{Key: "node.cloudprovider.kubernetes.io/uninitialized", Effect: v1.TaintEffectNoSchedule}}},
		Status: v1.NodeStatus{
			Addresses:       []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: "192.168.0.1"}},
			Conditions:      []v1.NodeCondition{{Type: v1.NodeReady, Status: v1.ConditionTrue}},
			NodeInfo:        v1.NodeSystemInfo{KubeletVersion: "v1.37.0"},
			Images:          []v1.ContainerImage{{Names: []string{"registry.example/app@sha256:0123", "registry.example/app:v1"}, SizeBytes: 1 << 20}},
			VolumesInUse:    []v1.UniqueVolumeName{"kubernetes.io/csi/disk^d-1"},
			VolumesAttached: []v1.AttachedVolume{{Name: "kubernetes.io/csi/disk^d-1", DevicePath: "/dev/vdb"}},
			Capacity:        v1.ResourceList{v1.ResourceCPU: resource.MustParse("8"), v1.ResourcePods: resource.MustParse("64")},
			Allocatable:     v1.ResourceList{v1.ResourceCPU: resource.MustParse("7800m"), v1.ResourcePods: resource.MustParse("64")},
		},
	}
}

// trimmedNode is fullNode as every informer of the CCM keeps it.
func trimmedNode() *v1.Node {
	n := fullNode()
	n.ManagedFields = nil
	n.Status.Images, n.Status.VolumesInUse, n.Status.VolumesAttached = nil, nil, nil
	n.Status.Capacity, n.Status.Allocatable = nil, nil
	return n
}

func service(mf []metav1.ManagedFieldsEntry) *v1.Service {
	return &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "default", ManagedFields: mf,
			Annotations: map[string]string{"service.beta.kubernetes.io/alibaba-cloud-loadbalancer-spec": "slb.s1.small"}},
		Spec:   v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, ExternalTrafficPolicy: v1.ServiceExternalTrafficPolicyLocal},
		Status: v1.ServiceStatus{LoadBalancer: v1.LoadBalancerStatus{Ingress: []v1.LoadBalancerIngress{{IP: "47.99.0.1"}}}},
	}
}

func slice(mf []metav1.ManagedFieldsEntry) *discoveryv1.EndpointSlice {
	node, ready := "n-1", true
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: "s-1", Namespace: "default", ManagedFields: mf,
			Labels: map[string]string{discoveryv1.LabelServiceName: "s"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"172.16.0.1"}, NodeName: &node,
			Conditions: discoveryv1.EndpointConditions{Ready: &ready}}},
	}
}

// TestTransform pins, per kind of object the CCM's informers hold, what is
// dropped and that everything else is kept as it was.
func TestTransform(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want any
	}{
		{"node: managedFields, images, volumes, capacity and allocatable dropped, the rest kept", fullNode(), trimmedNode()},
		{"node already trimmed: unchanged (idempotent)", trimmedNode(), trimmedNode()},
		{"service: managedFields dropped, annotations, spec and status kept", service(managed), service(nil)},
		{"endpointslice: managedFields dropped, endpoints kept", slice(managed), slice(nil)},
		{"tombstone: passed unchanged", cache.DeletedFinalStateUnknown{Key: "n-1", Obj: trimmedNode()},
			cache.DeletedFinalStateUnknown{Key: "n-1", Obj: trimmedNode()}},
		{"not an API object: passed unchanged", "n-1", "n-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Transform(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !equality.Semantic.DeepEqual(got, tt.want) {
				t.Errorf("Transform() =\n%#v\nwant\n%#v", got, tt.want)
			}
			// A second pass changes nothing: client-go may hand an object
			// that is already in the cache to the transform again.
			again, _ := Transform(got)
			if !equality.Semantic.DeepEqual(again, tt.want) {
				t.Errorf("second Transform() changed the object: %#v", again)
			}
		})
	}
}

// TestFactoryTrimsEveryInformer: the informers of the factory the CCM
// runs on keep trimmed objects, from the first list and from watch
// events, and their handlers see trimmed objects too.
func TestFactoryTrimsEveryInformer(t *testing.T) {
	cs := fake.NewClientset(fullNode(), service(managed), slice(managed))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := NewSharedInformerFactory(cs, time.Hour)
	nodes := f.Core().V1().Nodes()
	updates := make(chan *v1.Node, 10)
	if _, err := nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, n any) { updates <- n.(*v1.Node) },
	}); err != nil {
		t.Fatal(err)
	}
	services, slices := f.Core().V1().Services(), f.Discovery().V1().EndpointSlices()
	services.Informer()
	slices.Informer()
	f.Start(ctx.Done())
	for typ, ok := range f.WaitForCacheSync(ctx.Done()) {
		if !ok {
			t.Fatalf("%v did not sync", typ)
		}
	}
	n, err := nodes.Lister().Get("n-1")
	if err != nil {
		t.Fatal(err)
	}
	if !equality.Semantic.DeepEqual(n, trimmedNode()) {
		t.Errorf("listed node = %#v, want it trimmed", n)
	}
	s, err := services.Lister().Services("default").Get("s")
	if err != nil || s.ManagedFields != nil || s.Status.LoadBalancer.Ingress[0].IP != "47.99.0.1" {
		t.Errorf("listed service = %#v, %v; want it without managedFields and with its status", s, err)
	}
	es, err := slices.Lister().EndpointSlices("default").Get("s-1")
	if err != nil || es.ManagedFields != nil || len(es.Endpoints) != 1 {
		t.Errorf("listed endpointslice = %#v, %v; want it without managedFields and with its endpoint", es, err)
	}

	// A watch event (kubelet's status update) reaches the handler and the
	// cache trimmed, with the change it carries.
	changed := fullNode()
	changed.ResourceVersion = "8"
	changed.Status.Conditions[0].Status = v1.ConditionFalse
	if _, err := cs.CoreV1().Nodes().UpdateStatus(ctx, changed, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-updates:
		if got.ManagedFields != nil || got.Status.Images != nil || got.Status.Conditions[0].Status != v1.ConditionFalse {
			t.Errorf("handler saw %#v, want it trimmed with the new condition", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no update event for the node")
	}
}
