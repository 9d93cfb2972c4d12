package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// epWorld is the endpoints tests' own control plane, emulator and CCM
// (the framework's service controller reconciles every Service of a
// cluster, so a shared one would mix other tests' CLBs in), with three
// ECS nodes and one VNode.
type epWorld struct {
	cp  *framework.ControlPlane
	emu *framework.Emulator
	ns  string
}

const vnodeName = "virtual-kubelet-cn-hangzhou-h"

// epTimeout covers a Service's first reconcile and the controller's
// retries with backoff on 2 busy cores.
const epTimeout = 90 * time.Second

func newEPWorld(t *testing.T) *epWorld {
	t.Helper()
	framework.Parallel(t) // nothing here is shared with other tests
	cp := framework.Dedicated(t)
	emu := framework.StartEmulator(t)
	for i := range emu.Instances {
		framework.CreateNode(t, cp.Client, emu.Instances[i].InstanceName, framework.NodeOptions{ProviderID: emu.ProviderID(i), InternalIP: emu.Instances[i].PrivateIP})
	}
	framework.CreateNode(t, cp.Client, vnodeName, framework.NodeOptions{Labels: map[string]string{"type": "virtual-kubelet"}, InternalIP: "192.168.0.200"})
	// Pod ENIs: Terway ENI-IP pods on a secondary ENI of node-0, a
	// trunk member ENI of node-1 (exclusive ENI pod) and two ECI pods'
	// ENIs (no instance).
	err := emu.Emulator.Seed(emulator.SeedState{ENIs: []emulator.ENI{
		{NetworkInterfaceID: "eni-terway0", Type: "Secondary", InstanceID: emu.Instances[0].InstanceID, VSwitchID: emu.VSwitches[0],
			PrimaryIP: "192.168.0.40", SecondaryIPs: []string{"192.168.0.50", "192.168.0.51"}},
		{NetworkInterfaceID: "eni-trunk1", Type: "Trunk", InstanceID: emu.Instances[1].InstanceID, VSwitchID: emu.VSwitches[1], PrimaryIP: "192.168.1.40"},
		{NetworkInterfaceID: "eni-member1", Type: "Member", TrunkENI: "eni-trunk1", VSwitchID: emu.VSwitches[1], PrimaryIP: "192.168.1.60", Status: "InUse"},
		{NetworkInterfaceID: "eni-eci0", VSwitchID: emu.VSwitches[0], PrimaryIP: "192.168.0.70", Status: "InUse"},
		{NetworkInterfaceID: "eni-eci1", VSwitchID: emu.VSwitches[0], PrimaryIP: "192.168.0.71", Status: "InUse"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	grantProviderIdentity(t, cp)
	cfg := framework.WriteCloudConfig(t, emu.CloudConfig())
	ccm := framework.StartCCM(t, cp, append(framework.SeedArgs(cfg), "--configure-cloud-routes=false", "--leader-elect=false")...)
	ccm.WaitHealthy(t, startTimeout)
	return &epWorld{cp: cp, emu: emu, ns: framework.CreateNamespace(t, cp.Client)}
}

// grantProviderIdentity gives the provider's own identity
// (--use-service-account-credentials: kube-system/cloud-controller-manager)
// what examples/deploy/ccm.yaml grants it: the tests read the provider's
// Events (SkipSyncBackends, UnresolvedENIBackends).
func grantProviderIdentity(t *testing.T, cp *framework.ControlPlane) {
	t.Helper()
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "e2e-alicloud-cloud-provider"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch", "update"}},
		{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "list", "watch"}},
	}}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: role.Name},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "cloud-controller-manager", Namespace: "kube-system"}}}
	if _, err := cp.Client.RbacV1().ClusterRoles().Create(context.Background(), role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cp.Client.RbacV1().ClusterRoleBindings().Create(context.Background(), binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// ep is one endpoint of a slice.
type ep struct {
	ip, node    string
	terminating bool
}

// setSlice creates or replaces the Service's single EndpointSlice, as the
// EndpointSlice controller (not running in tests) would.
func (w *epWorld) setSlice(t *testing.T, svc *corev1.Service, eps ...ep) {
	t.Helper()
	s := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: svc.Name + "-eps", Namespace: svc.Namespace, Labels: map[string]string{discoveryv1.LabelServiceName: svc.Name}},
		AddressType: discoveryv1.AddressTypeIPv4,
	}
	for _, sp := range svc.Spec.Ports {
		port, name, proto := sp.TargetPort.IntVal, sp.Name, sp.Protocol
		s.Ports = append(s.Ports, discoveryv1.EndpointPort{Name: &name, Port: &port, Protocol: &proto})
	}
	for _, e := range eps {
		ready, term, node := !e.terminating, e.terminating, e.node
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{e.ip}, NodeName: &node,
			Conditions: discoveryv1.EndpointConditions{Ready: &ready, Serving: &ready, Terminating: &term}})
	}
	api := w.cp.Client.DiscoveryV1().EndpointSlices(svc.Namespace)
	old, err := api.Get(context.Background(), s.Name, metav1.GetOptions{})
	if err == nil {
		s.ResourceVersion = old.ResourceVersion
		_, err = api.Update(context.Background(), s, metav1.UpdateOptions{})
	} else {
		_, err = api.Create(context.Background(), s, metav1.CreateOptions{})
	}
	if err != nil {
		t.Fatalf("endpoint slice of %s: %v", svc.Name, err)
	}
}

func (w *epWorld) service(t *testing.T, name string, policy corev1.ServiceExternalTrafficPolicy, ann map[string]string) *corev1.Service {
	t.Helper()
	svc := framework.CreateLoadBalancerService(t, w.cp.Client, w.ns, name, framework.ServiceOptions{
		Annotations: ann, ExternalTrafficPolicy: policy,
		Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP}},
	})
	return svc
}

// clbDump is the part of the emulator's CLB dump the tests read.
type clbDump struct {
	LoadBalancers []struct {
		LoadBalancer  slb.LoadBalancer                              `json:"loadBalancer"`
		Listeners     []slb.ListenerInDescribeLoadBalancerListeners `json:"listeners"`
		VServerGroups []struct {
			Name     string `json:"vServerGroupName"`
			Backends []struct {
				ServerID string `json:"serverId"`
				ServerIP string `json:"serverIp"`
				Type     string `json:"type"`
				Port     int    `json:"port"`
				Weight   int    `json:"weight"`
			} `json:"backendServers"`
		} `json:"vServerGroups"`
	} `json:"loadBalancers"`
}

// members renders the Service's group members as sorted "id[/ip]:port=weight".
func (w *epWorld) members(t *testing.T, svc *corev1.Service) (string, *slb.ListenerInDescribeLoadBalancerListeners) {
	t.Helper()
	raw, err := json.Marshal(w.emu.Emulator.Dump().SLB)
	if err != nil {
		t.Fatal(err)
	}
	var d clbDump
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	s, err := w.cp.Client.CoreV1().Services(svc.Namespace).Get(context.Background(), svc.Name, metav1.GetOptions{})
	if err != nil || len(s.Status.LoadBalancer.Ingress) == 0 {
		return "", nil
	}
	for _, lb := range d.LoadBalancers {
		if lb.LoadBalancer.Address != s.Status.LoadBalancer.Ingress[0].IP {
			continue
		}
		var out []string
		for _, g := range lb.VServerGroups {
			for _, b := range g.Backends {
				id := b.ServerID
				if b.Type == "eni" {
					id += "/" + b.ServerIP
				}
				out = append(out, fmt.Sprintf("%s:%d=%d", id, b.Port, b.Weight))
			}
		}
		sort.Strings(out)
		var l *slb.ListenerInDescribeLoadBalancerListeners
		if len(lb.Listeners) > 0 {
			l = &lb.Listeners[0]
		}
		return strings.Join(out, " "), l
	}
	return "", nil
}

func (w *epWorld) waitMembers(t *testing.T, svc *corev1.Service, want string) *slb.ListenerInDescribeLoadBalancerListeners {
	t.Helper()
	var l *slb.ListenerInDescribeLoadBalancerListeners
	got := ""
	framework.WaitFor(t, epTimeout, "members of "+svc.Name+" to be "+want, func() (bool, error) {
		got, l = w.members(t, svc)
		return got == want, nil
	})
	return l
}

// churnWrites are the SLB writes in the audit log since the last reset;
// endpoint churn may only change group members.
func (w *epWorld) forbiddenWrites() []string {
	allowed := map[string]bool{"AddVServerGroupBackendServers": true, "RemoveVServerGroupBackendServers": true,
		"ModifyVServerGroupBackendServers": true, "SetVServerGroupAttribute": true}
	var out []string
	for _, a := range w.emu.Emulator.Audit() {
		if a.Product == "Slb" && !strings.HasPrefix(a.Action, "Describe") && !allowed[a.Action] {
			out = append(out, a.Action)
		}
	}
	return out
}

// TestEndpointBackends runs the CCM binary against the emulator: Local
// weights follow pods, ENI (Terway) and ECI pods become eni members, a
// rolling update drains at weight 0 before removal, unresolved ENIs block
// removals, and no endpoint change writes a listener or the instance.
func TestEndpointBackends(t *testing.T) {
	w := newEPWorld(t)
	inst := func(i int) string { return w.emu.Instances[i].InstanceID }
	node := func(i int) string { return w.emu.Instances[i].InstanceName }

	t.Run("Local: pods on 2 of 3 nodes, scaling changes weights", func(t *testing.T) {
		svc := w.service(t, "local", corev1.ServiceExternalTrafficPolicyLocal, nil)
		w.setSlice(t, svc, ep{"10.1.0.1", node(0), false}, ep{"10.1.0.2", node(0), false}, ep{"10.1.1.1", node(1), false})
		framework.WaitFor(t, epTimeout, "ingress", func() (bool, error) { m, _ := w.members(t, svc); return m != "", nil })
		svc, _ = w.cp.Client.CoreV1().Services(w.ns).Get(context.Background(), svc.Name, metav1.GetOptions{})
		np := svc.Spec.Ports[0].NodePort
		l := w.waitMembers(t, svc, fmt.Sprintf("%s:%d=2 %s:%d=1", inst(0), np, inst(1), np))
		if l == nil || l.Scheduler != "wrr" || l.TCPListenerConfig.HealthCheckConnectPort != int(svc.Spec.HealthCheckNodePort) || l.TCPListenerConfig.HealthCheckType != "http" {
			t.Errorf("listener of a Local Service: want wrr and an http check on healthCheckNodePort %d, got %+v", svc.Spec.HealthCheckNodePort, l)
		}
		w.emu.Emulator.ResetAudit()
		w.setSlice(t, svc, ep{"10.1.0.1", node(0), false}, ep{"10.1.1.1", node(1), false}, ep{"10.1.1.2", node(1), false},
			ep{"10.1.1.3", node(1), false}, ep{"10.1.2.1", node(2), false})
		w.waitMembers(t, svc, fmt.Sprintf("%s:%d=1 %s:%d=3 %s:%d=1", inst(0), np, inst(1), np, inst(2), np))
		if bad := w.forbiddenWrites(); len(bad) > 0 {
			t.Errorf("endpoint churn wrote %v", bad)
		}
	})

	t.Run("ENI mode with Terway pods: overlay skipped, unresolved blocks removals, rolling update", func(t *testing.T) {
		svc := w.service(t, "eni", corev1.ServiceExternalTrafficPolicyCluster, map[string]string{"service.beta.kubernetes.io/backend-type": "eni"})
		w.setSlice(t, svc, ep{"192.168.0.50", node(0), false}, ep{"192.168.0.51", node(0), false},
			ep{"192.168.1.60", node(1), false}, ep{"172.20.0.9", node(2), false})
		w.waitMembers(t, svc, "eni-member1/192.168.1.60:8080=100 eni-terway0/192.168.0.50:8080=100 eni-terway0/192.168.0.51:8080=100")
		w.waitEvent(t, svc, "SkipSyncBackends")
		w.emu.Emulator.ResetAudit()

		// Rolling update: .50 terminates (weight 0), then goes; a new pod .70
		// (an ECI-style ENI) comes.
		w.setSlice(t, svc, ep{"192.168.0.50", node(0), true}, ep{"192.168.0.51", node(0), false}, ep{"192.168.1.60", node(1), false})
		w.waitMembers(t, svc, "eni-member1/192.168.1.60:8080=100 eni-terway0/192.168.0.50:8080=0 eni-terway0/192.168.0.51:8080=100")
		w.setSlice(t, svc, ep{"192.168.0.51", node(0), false}, ep{"192.168.1.60", node(1), false})
		w.waitMembers(t, svc, "eni-member1/192.168.1.60:8080=100 eni-terway0/192.168.0.51:8080=100")

		// .99 is in the VPC but has no ENI yet: .51 leaves, but nothing is
		// removed until .99 resolves.
		w.setSlice(t, svc, ep{"192.168.0.99", node(0), false}, ep{"192.168.1.60", node(1), false})
		w.waitEvent(t, svc, "UnresolvedENIBackends")
		if got, _ := w.members(t, svc); got != "eni-member1/192.168.1.60:8080=100 eni-terway0/192.168.0.51:8080=100" {
			t.Errorf("members changed while an ENI was unresolved: %s", got)
		}
		if err := w.emu.Emulator.Seed(emulator.SeedState{ENIs: []emulator.ENI{{NetworkInterfaceID: "eni-late", VSwitchID: w.emu.VSwitches[0],
			PrimaryIP: "192.168.0.99", Status: "InUse", InstanceID: inst(0)}}}); err != nil {
			t.Fatal(err)
		}
		w.waitMembers(t, svc, "eni-late/192.168.0.99:8080=100 eni-member1/192.168.1.60:8080=100")
		if bad := w.forbiddenWrites(); len(bad) > 0 {
			t.Errorf("endpoint churn wrote %v", bad)
		}
	})

	t.Run("ECI pods on a VNode", func(t *testing.T) {
		svc := w.service(t, "eci", corev1.ServiceExternalTrafficPolicyCluster, nil)
		w.setSlice(t, svc, ep{"10.1.0.5", node(0), false}, ep{"192.168.0.70", vnodeName, false})
		framework.WaitFor(t, epTimeout, "ingress", func() (bool, error) { m, _ := w.members(t, svc); return m != "", nil })
		svc, _ = w.cp.Client.CoreV1().Services(w.ns).Get(context.Background(), svc.Name, metav1.GetOptions{})
		np := svc.Spec.Ports[0].NodePort
		nodes := fmt.Sprintf("%s:%d=100 %s:%d=100 %s:%d=100", inst(0), np, inst(1), np, inst(2), np)
		w.waitMembers(t, svc, "eni-eci0/192.168.0.70:8080=100 "+nodes)
		w.emu.Emulator.ResetAudit()
		w.setSlice(t, svc, ep{"10.1.0.5", node(0), false}, ep{"192.168.0.70", vnodeName, true}, ep{"192.168.0.71", vnodeName, false})
		w.waitMembers(t, svc, "eni-eci0/192.168.0.70:8080=0 eni-eci1/192.168.0.71:8080=100 "+nodes)
		if bad := w.forbiddenWrites(); len(bad) > 0 {
			t.Errorf("endpoint churn wrote %v", bad)
		}
	})
}

func (w *epWorld) waitEvent(t *testing.T, svc *corev1.Service, reason string) {
	t.Helper()
	framework.WaitFor(t, epTimeout, "event "+reason+" on "+svc.Name, func() (bool, error) {
		evs, err := w.cp.Client.CoreV1().Events(svc.Namespace).List(context.Background(), metav1.ListOptions{FieldSelector: "involvedObject.name=" + svc.Name})
		if err != nil {
			return false, err
		}
		for _, e := range evs.Items {
			if e.Reason == reason {
				return true, nil
			}
		}
		return false, nil
	})
}
