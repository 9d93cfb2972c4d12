package framework

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	cloudproviderapi "k8s.io/cloud-provider/api"
)

// apiTimeout bounds every single API call the helpers make.
const apiTimeout = 30 * time.Second

// UninitializedTaint is the taint kubelet --cloud-provider=external puts on
// a new Node until the CCM's node controller initializes it.
var UninitializedTaint = corev1.Taint{
	Key:    cloudproviderapi.TaintExternalCloudProvider,
	Value:  "true",
	Effect: corev1.TaintEffectNoSchedule,
}

// Ctx returns a context bounded by apiTimeout and cancelled with the test.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	t.Cleanup(cancel)
	return ctx
}

// UniqueName returns prefix plus a random suffix, a valid DNS-1123 label, so
// tests sharing one control plane never collide.
func UniqueName(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	prefix = strings.ToLower(unsafeChars.ReplaceAllString(prefix, "-"))
	if len(prefix) > 50 {
		prefix = prefix[:50]
	}
	return strings.Trim(prefix, "-") + "-" + hex.EncodeToString(b)
}

// CreateNamespace creates a namespace named after the test. It is not
// deleted: without kube-controller-manager it would stay Terminating anyway,
// and the control plane is discarded after the package's tests.
func CreateNamespace(t testing.TB, cs kubernetes.Interface) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: UniqueName(t.Name())}}
	if _, err := cs.CoreV1().Namespaces().Create(Ctx(t), ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating namespace %s: %v", ns.Name, err)
	}
	return ns.Name
}

// NodeOptions describe a Node for CreateNode.
type NodeOptions struct {
	// ProviderID such as "cn-hangzhou.i-abc"; empty lets the CCM set it.
	ProviderID string
	// Uninitialized adds the node.cloudprovider.kubernetes.io/uninitialized taint.
	Uninitialized bool
	// Labels, e.g. {"type": "virtual-kubelet"} for an ECI node.
	Labels map[string]string
	// InternalIP, when set, is written to status.addresses with a Ready condition.
	InternalIP string
}

// CreateNode creates a cluster-scoped Node and deletes it when the test ends
// (other tests' CCMs must not keep seeing it).
func CreateNode(t testing.TB, cs kubernetes.Interface, name string, opts NodeOptions) *corev1.Node {
	t.Helper()
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: opts.Labels},
		Spec:       corev1.NodeSpec{ProviderID: opts.ProviderID},
	}
	if opts.Uninitialized {
		node.Spec.Taints = append(node.Spec.Taints, UninitializedTaint)
	}
	created, err := cs.CoreV1().Nodes().Create(Ctx(t), node, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating node %s: %v", name, err)
	}
	t.Cleanup(func() {
		err := cs.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Logf("deleting node %s: %v", name, err)
		}
	})
	if opts.InternalIP != "" {
		created.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: opts.InternalIP}}
		created.Status.Conditions = []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now(),
		}}
		if created, err = cs.CoreV1().Nodes().UpdateStatus(Ctx(t), created, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("setting status of node %s: %v", name, err)
		}
	}
	return created
}

// ServiceOptions describe a Service for CreateLoadBalancerService.
type ServiceOptions struct {
	// Ports; default one TCP port 80 -> 80.
	Ports []corev1.ServicePort
	// Annotations, e.g. service.beta.kubernetes.io/alibaba-cloud-loadbalancer-*.
	Annotations map[string]string
	// Selector; default {"app": name}.
	Selector map[string]string
	// ExternalTrafficPolicy, default Cluster.
	ExternalTrafficPolicy corev1.ServiceExternalTrafficPolicy
}

// CreateLoadBalancerService creates a Service of type LoadBalancer.
func CreateLoadBalancerService(t testing.TB, cs kubernetes.Interface, ns, name string, opts ServiceOptions) *corev1.Service {
	t.Helper()
	if len(opts.Ports) == 0 {
		opts.Ports = []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(80), Protocol: corev1.ProtocolTCP}}
	}
	if opts.Selector == nil {
		opts.Selector = map[string]string{"app": name}
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Annotations: opts.Annotations},
		Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeLoadBalancer, Ports: opts.Ports, Selector: opts.Selector,
			ExternalTrafficPolicy: opts.ExternalTrafficPolicy,
		},
	}
	created, err := cs.CoreV1().Services(ns).Create(Ctx(t), svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating service %s/%s: %v", ns, name, err)
	}
	return created
}

// Endpoint is one address of an EndpointSlice.
type Endpoint struct {
	IP       string
	NodeName string
	// NotReady marks the endpoint not ready (Ready defaults to true).
	NotReady bool
}

// CreateEndpointSlice creates the EndpointSlice kube-controller-manager would
// create for service (which does not run in tests), with one port per
// service port, targeting port numbers.
func CreateEndpointSlice(t testing.TB, cs kubernetes.Interface, svc *corev1.Service, endpoints ...Endpoint) *discoveryv1.EndpointSlice {
	t.Helper()
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name: UniqueName(svc.Name), Namespace: svc.Namespace,
			Labels: map[string]string{
				discoveryv1.LabelServiceName: svc.Name,
				discoveryv1.LabelManagedBy:   "endpointslice-controller.k8s.io",
			},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
	}
	for _, sp := range svc.Spec.Ports {
		port := sp.TargetPort.IntVal
		if port == 0 {
			port = sp.Port
		}
		slice.Ports = append(slice.Ports, discoveryv1.EndpointPort{Name: ptr(sp.Name), Port: ptr(port), Protocol: ptr(sp.Protocol)})
	}
	for _, ep := range endpoints {
		e := discoveryv1.Endpoint{
			Addresses:  []string{ep.IP},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr(!ep.NotReady)},
		}
		if ep.NodeName != "" {
			e.NodeName = ptr(ep.NodeName)
		}
		slice.Endpoints = append(slice.Endpoints, e)
	}
	created, err := cs.DiscoveryV1().EndpointSlices(svc.Namespace).Create(Ctx(t), slice, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating endpointslice for %s/%s: %v", svc.Namespace, svc.Name, err)
	}
	return created
}

// PodOptions describe a Pod for CreatePod.
type PodOptions struct {
	// Labels, e.g. {"app": "nginx"} to match a Service selector.
	Labels map[string]string
	// NodeName binds the pod (no scheduler runs in tests).
	NodeName string
	// PodIP, when set, is written to the status with phase Running and Ready.
	PodIP string
}

// CreatePod creates a Pod (no kubelet runs, so it never starts; the status is
// written directly when PodIP is set).
func CreatePod(t testing.TB, cs kubernetes.Interface, ns, name string, opts PodOptions) *corev1.Pod {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: opts.Labels},
		Spec: corev1.PodSpec{
			NodeName:   opts.NodeName,
			Containers: []corev1.Container{{Name: "app", Image: "registry.invalid/app:test"}},
		},
	}
	created, err := cs.CoreV1().Pods(ns).Create(Ctx(t), pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating pod %s/%s: %v", ns, name, err)
	}
	if opts.PodIP != "" {
		created.Status = corev1.PodStatus{
			Phase: corev1.PodRunning, PodIP: opts.PodIP, PodIPs: []corev1.PodIP{{IP: opts.PodIP}},
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
		}
		if created, err = cs.CoreV1().Pods(ns).UpdateStatus(Ctx(t), created, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("setting status of pod %s/%s: %v", ns, name, err)
		}
	}
	return created
}

func ptr[T any](v T) *T { return &v }
