package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// tagClusterID is the ownership tag naming the cluster (the engine's
// constant, spelled out: the test checks the contract).
const tagClusterID = "alicloud-ccm/cluster-id"

// nlbState is the NLB part of the emulator's state dump, in the SDK's own
// response types.
type nlbState struct {
	LoadBalancers []struct {
		LB        sdknlb.LoadbalancerInfo `json:"loadBalancer"`
		Listeners []sdknlb.ListenerInfo   `json:"listeners"`
	} `json:"loadBalancers"`
	ServerGroups []struct {
		Group   sdknlb.ServerGroup `json:"serverGroup"`
		Servers []sdknlb.Server    `json:"servers"`
	} `json:"serverGroups"`
}

func (w *lbWorld) nlbState(t testing.TB) *nlbState {
	t.Helper()
	raw, err := json.Marshal(w.emu.Emulator.Dump().NLB)
	if err != nil {
		t.Fatal(err)
	}
	var s nlbState
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

// ourNLBs returns the NLBs tagged with svc's UID.
func (s *nlbState) ourNLBs(svc *corev1.Service) []sdknlb.LoadbalancerInfo {
	var out []sdknlb.LoadbalancerInfo
	for _, l := range s.LoadBalancers {
		for _, tag := range l.LB.Tags {
			if tag.Key == tagServiceUID && tag.Value == string(svc.UID) {
				out = append(out, l.LB)
			}
		}
	}
	return out
}

// nlbTag is the value of an NLB's tag key ("" when absent).
func nlbTag(lb sdknlb.LoadbalancerInfo, key string) string {
	for _, tag := range lb.Tags {
		if tag.Key == key {
			return tag.Value
		}
	}
	return ""
}

// ports returns the listener ports of the NLB lbID and, per server group
// tagged with svc's UID, its servers' IDs: "port" -> nothing, and
// "sgp-...": "i-a,i-b" (sorted).
func (s *nlbState) ports(lbID string, svc *corev1.Service) (listeners []int, groups map[string]string) {
	for _, l := range s.LoadBalancers {
		if l.LB.LoadBalancerId != lbID {
			continue
		}
		for _, li := range l.Listeners {
			listeners = append(listeners, li.ListenerPort)
		}
	}
	sort.Ints(listeners)
	groups = map[string]string{}
	for _, g := range s.ServerGroups {
		owned := false
		for _, tag := range g.Group.Tags {
			owned = owned || tag.Key == tagServiceUID && tag.Value == string(svc.UID)
		}
		if !owned {
			continue
		}
		var ids []string
		for _, srv := range g.Servers {
			ids = append(ids, srv.ServerId)
		}
		sort.Strings(ids)
		groups[g.Group.ServerGroupId] = strings.Join(ids, ",")
	}
	return listeners, groups
}

// waitPorts waits until svc's NLB has listeners on exactly ports and one
// owned server group per port, each with exactly the servers members.
func (w *lbWorld) waitPorts(t *testing.T, svc *corev1.Service, members string, ports ...int) {
	t.Helper()
	var last string
	framework.WaitFor(t, lbTimeout, fmt.Sprintf("listeners %v with members %s", ports, members), func() (bool, error) {
		s := w.nlbState(t)
		lbs := s.ourNLBs(svc)
		if len(lbs) != 1 {
			last = fmt.Sprintf("%d NLBs", len(lbs))
			return false, nil
		}
		listeners, groups := s.ports(lbs[0].LoadBalancerId, svc)
		last = fmt.Sprintf("listeners %v, groups %v", listeners, groups)
		if !slices.Equal(listeners, ports) || len(groups) != len(ports) {
			return false, nil
		}
		for _, m := range groups {
			if m != members {
				return false, nil
			}
		}
		return true, nil
	})
	t.Logf("NLB of %s: %s", svc.Name, last)
}

// createNLBService creates an NLB-class Service with TCP ports.
func (w *lbWorld) createNLBService(t *testing.T, name string, ports ...int32) *corev1.Service {
	t.Helper()
	class := nlbClass
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, LoadBalancerClass: &class, Selector: map[string]string{"app": name}},
	}
	for _, p := range ports {
		svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: "tcp-" + strconv.Itoa(int(p)), Port: p, Protocol: corev1.ProtocolTCP})
	}
	out, err := w.cs.CoreV1().Services("default").Create(framework.Ctx(t), svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waitHostname waits for the Service's NLB hostname in its status.
func (w *lbWorld) waitHostname(t *testing.T, name string) string {
	t.Helper()
	svc := w.waitStatus(t, "default", name, "NLB hostname", func(in []corev1.LoadBalancerIngress) bool {
		return len(in) > 0 && in[0].Hostname != ""
	})
	return svc.Status.LoadBalancer.Ingress[0].Hostname
}

// TestNLBLifecycle runs NLB Services through the CCM binary against the
// emulator: created with the NLB's DNS name in the status and the
// cluster's identity in its tags; its ports become listeners with one
// owned server group each, following port changes; a node deleted and
// created again leaves and joins the server groups; the delete leaves no
// NLB, listener or server group; and a crash
// right after CreateLoadBalancer followed by a restart leaves one NLB.
func TestNLBLifecycle(t *testing.T) {
	w := newLBWorld(t)
	ns, err := w.cs.CoreV1().Namespaces().Get(framework.Ctx(t), "kube-system", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("create and delete", func(t *testing.T) {
		svc := w.createNLBService(t, "life", 80)
		host := w.waitHostname(t, "life")
		lbs := w.nlbState(t).ourNLBs(svc)
		if len(lbs) != 1 {
			t.Fatalf("%d NLBs for the Service, want 1", len(lbs))
		}
		if lbs[0].DNSName != host {
			t.Errorf("status hostname %q, the NLB's DNS name %q", host, lbs[0].DNSName)
		}
		if got := nlbTag(lbs[0], tagClusterID); got != string(ns.UID) {
			t.Errorf("cluster tag %q, want the kube-system UID %s (the identity Initialize resolves)", got, ns.UID)
		}
		w.deleteAndWait(t, "default", "life")
		if n := len(w.nlbState(t).ourNLBs(svc)); n != 0 {
			t.Errorf("%d NLBs left after the Service was deleted", n)
		}
	})
	t.Run("ports, nodes and delete", func(t *testing.T) {
		var all []string
		for i := range w.emu.Instances {
			all = append(all, w.emu.Instances[i].InstanceID)
		}
		sort.Strings(all)
		svc := w.createNLBService(t, "ports", 80)
		w.waitHostname(t, "ports")
		w.waitPorts(t, svc, strings.Join(all, ","), 80)
		w.updateService(t, "default", "ports", func(s *corev1.Service) {
			s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: "tcp-443", Port: 443, Protocol: corev1.ProtocolTCP})
		})
		w.waitPorts(t, svc, strings.Join(all, ","), 80, 443)
		w.updateService(t, "default", "ports", func(s *corev1.Service) { s.Spec.Ports = s.Spec.Ports[1:] })
		w.waitPorts(t, svc, strings.Join(all, ","), 443)
		// A node goes: its instance leaves the server group; it comes
		// back: it joins again (the nlb-service controller's node sync).
		gone := w.emu.Instances[2]
		if err := w.cs.CoreV1().Nodes().Delete(framework.Ctx(t), gone.InstanceName, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		w.waitPorts(t, svc, strings.Join(slices.DeleteFunc(slices.Clone(all), func(id string) bool { return id == gone.InstanceID }), ","), 443)
		framework.CreateNode(t, w.cs, gone.InstanceName, framework.NodeOptions{ProviderID: w.emu.ProviderID(2), InternalIP: gone.PrivateIP,
			Labels: map[string]string{corev1.LabelTopologyZone: gone.ZoneID}})
		w.waitPorts(t, svc, strings.Join(all, ","), 443)
		w.deleteAndWait(t, "default", "ports")
		s := w.nlbState(t)
		if n := len(s.ourNLBs(svc)); n != 0 {
			t.Errorf("%d NLBs left after the Service was deleted", n)
		}
		if _, groups := s.ports("", svc); len(groups) != 0 {
			t.Errorf("server groups left after the Service was deleted: %v", groups)
		}
		for _, l := range s.LoadBalancers {
			if len(l.Listeners) != 0 {
				t.Errorf("listeners left on %s: %d", l.LB.LoadBalancerId, len(l.Listeners))
			}
		}
	})
	t.Run("crash after CreateLoadBalancer", func(t *testing.T) {
		// Hold the reads after the create so the CCM is killed before it
		// could publish the status (the NLB is still provisioning).
		slow := emulator.LatencySpec{Fixed: emulator.Duration(3 * time.Second)}
		w.emu.Emulator.SetFaults(emulator.FaultProfile{Latency: map[string]emulator.LatencySpec{
			"Nlb.GetLoadBalancerAttribute": slow, "Nlb.ListAsynJobs": slow, "Nlb.GetJobStatus": slow}})
		w.emu.Emulator.ResetAudit()
		svc := w.createNLBService(t, "nlb-crash", 80)
		framework.WaitFor(t, lbTimeout, "CreateLoadBalancer in the audit log", func() (bool, error) {
			return w.emu.Emulator.CallCount("CreateLoadBalancer", "OK") > 0, nil
		})
		w.ccm.Kill()
		w.emu.Emulator.SetFaults(emulator.FaultProfile{})
		if in := w.getService(t, "default", "nlb-crash").Status.LoadBalancer.Ingress; len(in) != 0 {
			t.Fatalf("status published before the kill (%v): the crash point was missed", in)
		}
		w.startCCM(t)
		w.waitHostname(t, "nlb-crash")
		if n := len(w.nlbState(t).ourNLBs(svc)); n != 1 {
			t.Fatalf("%d NLBs for the Service after a crash and restart, want 1", n)
		}
		if n := w.emu.Emulator.CallCount("CreateLoadBalancer", "OK"); n != 1 {
			t.Errorf("%d successful CreateLoadBalancer calls, want 1", n)
		}
		w.deleteAndWait(t, "default", "nlb-crash")
		if n := len(w.nlbState(t).ourNLBs(svc)); n != 0 {
			t.Errorf("%d NLBs left after the Service was deleted", n)
		}
	})
}
