package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// nlbWorld is the endpoints world (three ECS nodes, a VNode, pod ENIs)
// with an NLB client on its emulator for what the tests read.
type nlbWorld struct {
	*epWorld
	api *cloudapi.NLB
}

func newNLBWorld(t *testing.T, seed emulator.SeedState) *nlbWorld {
	t.Helper()
	w := newEPWorld(t)
	if err := w.emu.Emulator.Seed(seed); err != nil {
		t.Fatal(err)
	}
	clients, err := cloudapi.New(cloudapi.Options{
		Region:      w.emu.Region,
		Credentials: credentials.NewStaticAKCredentialsProvider(w.emu.AccessKeyID, w.emu.AccessKeySecret),
		NLB:         cloudapi.ProductOptions{Endpoint: w.emu.APIURL, RateLimit: cloudapi.RateLimit{QPS: -1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &nlbWorld{epWorld: w, api: clients.NLB}
}

// nlbService creates an NLB Service (loadBalancerClass) with one port.
func (w *nlbWorld) nlbService(t *testing.T, name string, port int32, policy corev1.ServiceExternalTrafficPolicy, ann map[string]string) *corev1.Service {
	t.Helper()
	class := nlbClass
	if ann == nil {
		ann = map[string]string{}
	}
	ann[annoPrefix+"zone-maps"] = w.emu.Zones[0] + ":" + w.emu.VSwitches[0] + "," + w.emu.Zones[1] + ":" + w.emu.VSwitches[1]
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: w.ns, Annotations: ann},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, LoadBalancerClass: &class, ExternalTrafficPolicy: policy,
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Name: "http", Port: port, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP}}},
	}
	out, err := w.cp.Client.CoreV1().Services(w.ns).Create(context.Background(), svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// groupMembers renders the members of the server groups tagged for svc
// as sorted "Type/id[/ip]:port=weight".
func (w *nlbWorld) groupMembers(t *testing.T, svc *corev1.Service) string {
	t.Helper()
	req := sdknlb.CreateListServerGroupsRequest()
	req.Tag = &[]sdknlb.ListServerGroupsTag{{Key: tagServiceUID, Value: string(svc.UID)}}
	groups, err := w.api.ListAllServerGroups(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, g := range groups {
		out = append(out, w.members(t, g.ServerGroupId)...)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// members renders one group's members.
func (w *nlbWorld) members(t *testing.T, groupID string) []string {
	t.Helper()
	ss, err := w.api.ListAllServerGroupServers(context.Background(), groupID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range ss {
		id := s.ServerType + "/" + s.ServerId
		if s.ServerType == "Eni" {
			id += "/" + s.ServerIp
		}
		out = append(out, fmt.Sprintf("%s:%d=%d", id, s.Port, s.Weight))
	}
	return out
}

func (w *nlbWorld) waitGroupMembers(t *testing.T, svc *corev1.Service, want string) {
	t.Helper()
	got := ""
	framework.WaitFor(t, epTimeout, "members of "+svc.Name+" to be "+want, func() (bool, error) {
		got = w.groupMembers(t, svc)
		return got == want, nil
	})
}

func (w *nlbWorld) nodePort(t *testing.T, svc *corev1.Service) int32 {
	t.Helper()
	s, err := w.cp.Client.CoreV1().Services(svc.Namespace).Get(context.Background(), svc.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s.Spec.Ports[0].NodePort
}

// deleteService deletes a Service and waits until it is gone (the
// framework's finalizer is removed once the NLB engine cleaned up).
func (w *nlbWorld) deleteService(t *testing.T, svc *corev1.Service) {
	t.Helper()
	if err := w.cp.Client.CoreV1().Services(svc.Namespace).Delete(context.Background(), svc.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	framework.WaitFor(t, epTimeout, svc.Name+" deleted", func() (bool, error) {
		_, err := w.cp.Client.CoreV1().Services(svc.Namespace).Get(context.Background(), svc.Name, metav1.GetOptions{})
		return err != nil, nil
	})
}

// TestNLBBackends runs the CCM binary against the emulator for NLB
// Services: Local weights follow pods on the node members, ENI pods are
// Eni members of an Instance group or Ip members of an Ip group (a
// terminating pod at weight 0), and deleting the Service removes its
// server groups.
func TestNLBBackends(t *testing.T) {
	w := newNLBWorld(t, emulator.SeedState{})
	inst := func(i int) string { return w.emu.Instances[i].InstanceID }
	node := func(i int) string { return w.emu.Instances[i].InstanceName }

	t.Run("Local: node members weighted by their pods", func(t *testing.T) {
		svc := w.nlbService(t, "local", 80, corev1.ServiceExternalTrafficPolicyLocal, nil)
		w.setSlice(t, svc, ep{"10.1.0.1", node(0), false}, ep{"10.1.0.2", node(0), false}, ep{"10.1.1.1", node(1), false})
		np := w.nodePort(t, svc)
		w.waitGroupMembers(t, svc, fmt.Sprintf("Ecs/%s:%d=2 Ecs/%s:%d=1", inst(0), np, inst(1), np))
		w.setSlice(t, svc, ep{"10.1.0.1", node(0), false}, ep{"10.1.1.1", node(1), false}, ep{"10.1.1.2", node(1), false},
			ep{"10.1.1.3", node(1), false}, ep{"10.1.2.1", node(2), false})
		w.waitGroupMembers(t, svc, fmt.Sprintf("Ecs/%s:%d=1 Ecs/%s:%d=3 Ecs/%s:%d=1", inst(0), np, inst(1), np, inst(2), np))
		w.deleteService(t, svc)
		if got := w.groupMembers(t, svc); got != "" {
			t.Errorf("server groups left after the delete: %s", got)
		}
	})

	t.Run("ENI backends: Eni members of an Instance group, pod IPs in an Ip group", func(t *testing.T) {
		eni := w.nlbService(t, "eni", 80, corev1.ServiceExternalTrafficPolicyCluster, map[string]string{"service.beta.kubernetes.io/backend-type": "eni"})
		w.setSlice(t, eni, ep{"192.168.0.50", node(0), false}, ep{"192.168.1.60", node(1), false})
		w.waitGroupMembers(t, eni, "Eni/eni-member1/192.168.1.60:8080=100 Eni/eni-terway0/192.168.0.50:8080=100")
		ip := w.nlbService(t, "ip", 80, corev1.ServiceExternalTrafficPolicyCluster, map[string]string{
			"service.beta.kubernetes.io/backend-type": "eni", annoPrefix + "server-group-type": "ip"})
		w.setSlice(t, ip, ep{"192.168.0.50", node(0), false}, ep{"192.168.1.60", node(1), true})
		w.waitGroupMembers(t, ip, "Ip/192.168.0.50:8080=100 Ip/192.168.1.60:8080=0")
		w.deleteService(t, eni)
		w.deleteService(t, ip)
	})

	t.Run("a quota wall is found before the first write", func(t *testing.T) {
		// 51 ports need 51 listeners; an NLB holds 50
		// (nlb_quota_loadbalancer_listeners_num): a Warning Event, no NLB write.
		class := nlbClass
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "many", Namespace: w.ns, Annotations: map[string]string{
				annoPrefix + "zone-maps": w.emu.Zones[0] + ":" + w.emu.VSwitches[0] + "," + w.emu.Zones[1] + ":" + w.emu.VSwitches[1]}},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, LoadBalancerClass: &class, Selector: map[string]string{"app": "many"}},
		}
		for i := 0; i < 51; i++ {
			svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: fmt.Sprintf("p%d", i), Port: int32(2000 + i),
				TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP})
		}
		before := len(w.emu.Emulator.Audit())
		svc, err := w.cp.Client.CoreV1().Services(w.ns).Create(context.Background(), svc, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		w.waitEvent(t, svc, "LoadBalancerQuotaExceeded")
		for _, a := range w.emu.Emulator.Audit()[before:] {
			if a.Product == "Nlb" && !strings.HasPrefix(a.Action, "List") && !strings.HasPrefix(a.Action, "Get") {
				t.Errorf("NLB write %s past the quota wall", a.Action)
			}
		}
		w.deleteService(t, svc)
	})
}
