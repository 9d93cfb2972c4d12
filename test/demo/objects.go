package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/nodeclass"
	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// apiTimeout bounds each Kubernetes API call the demo makes.
const apiTimeout = 20 * time.Second

// writeKubeconfig writes an admin kubeconfig for the demo's apiserver,
// with the CA embedded so the file works on its own.
func writeKubeconfig(path string, cp *framework.ControlPlane) error {
	ca, err := os.ReadFile(cp.CAFile)
	if err != nil {
		return fmt.Errorf("reading the apiserver CA: %w", err)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["alicloud-ccm-demo"] = &clientcmdapi.Cluster{Server: cp.Host, CertificateAuthorityData: ca}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: cp.Token}
	cfg.Contexts["alicloud-ccm-demo"] = &clientcmdapi.Context{Cluster: "alicloud-ccm-demo", AuthInfo: "admin", Namespace: "default"}
	cfg.CurrentContext = "alicloud-ccm-demo"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("writing kubeconfig %s: %w", path, err)
	}
	return nil
}

// createCloudConfigMap creates kube-system/cloud-config as configmap-ccm.sh does.
func createCloudConfigMap(ctx context.Context, cs kubernetes.Interface, conf string) error {
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "cloud-config", Namespace: "kube-system"},
		Data:       map[string]string{"cloud-config.conf": conf},
	}
	if _, err := cs.CoreV1().ConfigMaps("kube-system").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating ConfigMap kube-system/cloud-config: %w", err)
	}
	return nil
}

// nodePlan is a Node the demo registers in place of a kubelet.
type nodePlan struct {
	name       string
	instanceID string // "" for the VNode
	providerID string // "" when the CCM has to find the instance
	internalIP string
	podCIDR    string
	taint      bool // node.cloudprovider.kubernetes.io/uninitialized
	virtual    bool // type=virtual-kubelet
}

// planNodes derives the Nodes from the seeded, running ECS instances: all
// but the last already initialised (providerID set, as the guide's
// BroadcastJob does), the last one freshly joined with the uninitialized
// taint and no providerID, plus one VNode.
func (d *demo) planNodes() []nodePlan {
	var plans []nodePlan
	for _, in := range d.emu.Emulator.Dump().Instances {
		if in.Status != "" && in.Status != "Running" {
			continue
		}
		i := len(plans)
		name := in.HostName
		if name == "" {
			name = strings.TrimPrefix(in.InstanceID, "i-")
		}
		plans = append(plans, nodePlan{
			name:       name,
			instanceID: in.InstanceID,
			providerID: d.region + "." + in.InstanceID,
			internalIP: in.PrivateIP,
			podCIDR:    fmt.Sprintf("172.16.%d.0/24", i),
		})
	}
	if n := len(plans); n > 1 {
		plans[n-1].providerID, plans[n-1].taint = "", true
	}
	zone := "a"
	if len(d.seed.Zones) > 0 {
		zone = d.seed.Zones[0]
	}
	return append(plans, nodePlan{name: "virtual-kubelet-" + zone, virtual: true})
}

// registerNodes is step 3.
func (d *demo) registerNodes(ctx context.Context) error {
	d.step("3/8 Registering Nodes for the ECS instances (no kubelet runs, so the demo writes them)")
	d.nodes = d.planNodes()
	cs := d.cp.Client
	for _, p := range d.nodes {
		node := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: p.name, Labels: map[string]string{"kubernetes.io/hostname": p.name}},
			Spec:       corev1.NodeSpec{ProviderID: p.providerID, PodCIDR: p.podCIDR},
		}
		if p.podCIDR != "" {
			node.Spec.PodCIDRs = []string{p.podCIDR}
		}
		if p.taint {
			node.Spec.Taints = []corev1.Taint{framework.UninitializedTaint}
		}
		if p.virtual {
			node.Labels[nodeclass.VirtualLabel] = nodeclass.VirtualValue
			node.Spec.Taints = []corev1.Taint{{Key: "virtual-kubelet.io/provider", Value: "alibabacloud", Effect: corev1.TaintEffectNoSchedule}}
		}
		cctx, cancel := context.WithTimeout(ctx, apiTimeout)
		created, err := cs.CoreV1().Nodes().Create(cctx, node, metav1.CreateOptions{})
		cancel()
		if err != nil {
			return fmt.Errorf("creating node %s: %w", p.name, err)
		}
		// Ready, with the address kubelet --node-ip would report.
		now := metav1.Now()
		created.Status.Conditions = []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			Message: "set by the demo (no kubelet runs)", LastHeartbeatTime: now, LastTransitionTime: now,
		}}
		if p.internalIP != "" {
			created.Status.Addresses = []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: p.internalIP}, {Type: corev1.NodeHostName, Address: p.name},
			}
		}
		cctx, cancel = context.WithTimeout(ctx, apiTimeout)
		_, err = cs.CoreV1().Nodes().UpdateStatus(cctx, created, metav1.UpdateOptions{})
		cancel()
		if err != nil {
			return fmt.Errorf("setting the status of node %s: %w", p.name, err)
		}
		switch {
		case p.virtual:
			d.say("%-22s VNode (label type=virtual-kubelet): the CCM must leave it alone", p.name)
		case p.taint:
			d.say("%-22s %s, podCIDR %s, NO providerID, uninitialized taint: the CCM must find %s and initialise it",
				p.name, p.internalIP, p.podCIDR, p.instanceID)
		default:
			d.say("%-22s %s, podCIDR %s, providerID %s", p.name, p.internalIP, p.podCIDR, p.providerID)
		}
	}
	return nil
}

// ccmTestYAML is the Service of the deployment guide's ccm-test.yaml. Its
// Deployment is left out: no kube-controller-manager, scheduler or kubelet
// runs here, so the demo creates its two Pods and their EndpointSlice itself.
const ccmTestYAML = `apiVersion: v1
kind: Service
metadata:
  name: nginx
  namespace: default
  annotations:
    service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type: "intranet"
spec:
  ports:
  - port: 80
    protocol: TCP
    targetPort: 80
  selector:
    app: nginx
  type: LoadBalancer
`

// applyService is step 6.
func (d *demo) applyService(ctx context.Context) error {
	d.step("6/8 Applying the guide's ccm-test.yaml: Service default/nginx, type LoadBalancer, address-type intranet")
	path := filepath.Join(d.dir, "ccm-test.yaml")
	if err := os.WriteFile(path, []byte(ccmTestYAML), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	var svc corev1.Service
	if err := yaml.UnmarshalStrict([]byte(ccmTestYAML), &svc); err != nil {
		return fmt.Errorf("parsing ccm-test.yaml: %w", err)
	}
	cs := d.cp.Client
	cctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	created, err := cs.CoreV1().Services(svc.Namespace).Create(cctx, &svc, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("creating Service %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	d.say("%s: Service %s/%s, port 80/TCP -> nodePort %d", path, created.Namespace, created.Name, created.Spec.Ports[0].NodePort)

	// The Deployment's two replicas, on the first two ECS nodes, with pod
	// IPs from those nodes' pod CIDRs.
	var eps []discoveryv1.Endpoint
	for i, p := range d.nodes {
		if i >= 2 || p.virtual || p.podCIDR == "" {
			break
		}
		ip := strings.TrimSuffix(p.podCIDR, "0/24") + "10"
		name := fmt.Sprintf("test-nginx-%d", i)
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": "nginx"}},
			Spec: corev1.PodSpec{NodeName: p.name, Containers: []corev1.Container{{
				Name: "nginx", Image: "registry-vpc.cn-beijing.aliyuncs.com/eci_open/nginx:1.14.2",
				Ports: []corev1.ContainerPort{{ContainerPort: 80}},
			}}},
		}
		pod, err := cs.CoreV1().Pods("default").Create(cctx, pod, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("creating pod %s: %w", name, err)
		}
		pod.Status = corev1.PodStatus{
			Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
		}
		if _, err := cs.CoreV1().Pods("default").UpdateStatus(cctx, pod, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("setting the status of pod %s: %w", name, err)
		}
		eps = append(eps, discoveryv1.Endpoint{
			Addresses: []string{ip}, NodeName: ptr(p.name),
			Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)},
		})
		d.say("pod default/%s on %s, IP %s (Running and Ready, written by the demo)", name, p.name, ip)
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: "nginx-demo", Namespace: "default", Labels: map[string]string{
			discoveryv1.LabelServiceName: "nginx", discoveryv1.LabelManagedBy: "endpointslice-controller.k8s.io",
		}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Port: ptr(int32(80)), Protocol: ptr(corev1.ProtocolTCP)}},
		Endpoints:   eps,
	}
	if _, err := cs.DiscoveryV1().EndpointSlices("default").Create(cctx, slice, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating EndpointSlice default/nginx-demo: %w", err)
	}
	d.say("EndpointSlice default/nginx-demo with both pods (kube-controller-manager would write it)")
	return nil
}

func ptr[T any](v T) *T { return &v }
