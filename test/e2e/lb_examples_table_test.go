package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// eniPodIP is a Terway pod address on a secondary ENI of node 0, seeded
// for the ENI examples.
const (
	eniPodIP = "192.168.0.50"
	eniID    = "eni-e2e-terway0"
	eipAddr  = "47.100.0.9"
)

// lbExamples has one entry per examples/services file: what the example
// must converge to, the edit of one annotation of its group and the state
// after that edit.
var lbExamples = map[string]lbExample{
	"acl.yaml": {
		rewrite: func(t *testing.T, w *lbWorld) map[string]string {
			return map[string]string{"acl-demo-office": w.seedACL(t, "office", "10.1.0.0/16")}
		},
		check: func(_ *lbWorld, s *clbState, i int, svc *corev1.Service) error {
			return s.wantListener(i, 80, "tcp", map[string]string{"AclStatus": "on", "AclType": "white", "AclId": svc.Annotations[annoPrefix+"acl-id"]})
		},
		edit:      setAnnotations("acl-type", "black"),
		checkEdit: listenerIs("tcp", "AclType", "black", "AclStatus", "on"),
	},
	"backends-nodes.yaml": {
		// Only node 1 carries pool=lb.
		rewrite: func(t *testing.T, w *lbWorld) map[string]string { w.labelNode(t, 1, "pool", "lb"); return nil },
		check:   membersAre(func(w *lbWorld, svc *corev1.Service) string { return w.nodeMembers(nodePort(svc), 50, 1) }, nodePort),
		edit:    setAnnotations("ignore-weight-update", "off", "default-weight", "60"),
		checkEdit: membersAre(func(w *lbWorld, svc *corev1.Service) string { return w.nodeMembers(nodePort(svc), 60, 1) },
			nodePort),
	},
	"delete-protection-off.yaml": {
		check: lbIs(func(s *clbState, i int) string {
			if lb := s.LBs[i].LB; lb.DeleteProtection != "off" || lb.ModificationProtectionStatus != "NonProtection" {
				return fmt.Sprintf("protections %s/%s, want off/NonProtection", lb.DeleteProtection, lb.ModificationProtectionStatus)
			}
			return ""
		}),
		// Turned back on: the delete that follows must still delete it.
		edit: setAnnotations("delete-protection", "on"),
		checkEdit: lbIs(func(s *clbState, i int) string {
			if p := s.LBs[i].LB.DeleteProtection; p != "on" {
				return "delete protection " + p + ", want on"
			}
			return ""
		}),
	},
	"eip-status.yaml": {
		// The user binds an EIP to the intranet CLB; the next reconcile
		// publishes it instead of the CLB address.
		setup: func(t *testing.T, w *lbWorld, svc *corev1.Service) {
			i := w.state(t).lbIndex("", svc)
			if i < 0 {
				t.Fatal("no CLB")
			}
			id := w.state(t).LBs[i].LB.LoadBalancerId
			if err := w.emu.Emulator.Seed(emulator.SeedState{EIPs: []emulator.EIP{{AllocationID: "eip-e2e-clb", IPAddress: eipAddr,
				InstanceID: id, InstanceType: "SlbInstance", Status: "InUse"}}}); err != nil {
				t.Fatal(err)
			}
		},
		check:     lbIs(func(s *clbState, i int) string { return wantField("address type", s.LBs[i].LB.AddressType, "intranet") }),
		edit:      setAnnotations("scheduler", "rr"),
		checkEdit: listenerIs("tcp", "Scheduler", "rr"),
		status:    func(in []corev1.LoadBalancerIngress) bool { return len(in) == 1 && in[0].IP == eipAddr },
	},
	"eni-backend.yaml": {
		setup: func(t *testing.T, w *lbWorld, svc *corev1.Service) {
			w.seedPodENI(t)
			framework.CreateEndpointSlice(t, w.cs, svc, framework.Endpoint{IP: eniPodIP, NodeName: w.emu.Instances[0].InstanceName})
		},
		check: membersAre(func(*lbWorld, *corev1.Service) string { return fmt.Sprintf("%s/%s:80=100", eniID, eniPodIP) }, targetPort),
		edit:  setAnnotations("default-weight", "40"),
		checkEdit: membersAre(func(*lbWorld, *corev1.Service) string { return fmt.Sprintf("%s/%s:80=40", eniID, eniPodIP) },
			targetPort),
	},
	"fixed-ip-vswitch.yaml": {
		rewrite: func(_ *testing.T, w *lbWorld) map[string]string {
			return map[string]string{"vsw-demoh": w.emu.VSwitches[0]}
		},
		check: lbIs(func(s *clbState, i int) string {
			lb := s.LBs[i].LB
			return wantField("address/zones", lb.Address+" "+lb.MasterZoneId+" "+lb.SlaveZoneId, "192.168.0.200 cn-hangzhou-h cn-hangzhou-i")
		}),
		edit:      setAnnotations("scheduler", "rr"),
		checkEdit: listenerIs("tcp", "Scheduler", "rr"),
	},
	"graceful-drain.yaml": {
		check:     listenerIs("tcp", "ConnectionDrain", "on", "ConnectionDrainTimeout", "30"),
		edit:      setAnnotations("connection-drain-timeout", "45"),
		checkEdit: listenerIs("tcp", "ConnectionDrainTimeout", "45"),
	},
	"health-check-http.yaml": {
		check: listenerIs("http", "HealthCheck", "on", "HealthCheckURI", "/healthz", "HealthCheckMethod", "get", "HealthCheckHttpCode", "http_2xx",
			"HealthCheckTimeout", "5", "HealthCheckInterval", "3", "HealthyThreshold", "2", "UnhealthyThreshold", "4"),
		edit:      setAnnotations("health-check-interval", "7"),
		checkEdit: listenerIs("http", "HealthCheckInterval", "7"),
	},
	"health-check-tcp.yaml": {
		// -520 (the backend port) is sent as the NodePort.
		check: func(w *lbWorld, s *clbState, i int, svc *corev1.Service) error {
			return listenerIs("tcp", "HealthCheckSwitch", "on", "HealthCheckType", "http", "HealthCheckURI", "/healthz", "HealthCheckDomain", "$_ip",
				"HealthCheckHttpCode", "http_2xx,http_3xx", "HealthCheckConnectPort", fmt.Sprint(nodePort(svc)), "HealthCheckInterval", "5",
				"HealthyThreshold", "3", "UnhealthyThreshold", "3", "HealthCheckConnectTimeout", "4")(w, s, i, svc)
		},
		edit:      setAnnotations("healthy-threshold", "4"),
		checkEdit: listenerIs("tcp", "HealthyThreshold", "4"),
	},
	"hostname-status.yaml": {
		check:     listenerIs("tcp"),
		edit:      setAnnotations("hostname", "web.example.com"),
		checkEdit: listenerIs("tcp"),
		status: func(in []corev1.LoadBalancerIngress) bool {
			return len(in) == 1 && in[0].Hostname == "web.example.com" && in[0].IP == ""
		},
	},
	"https.yaml": {
		check: func(_ *lbWorld, s *clbState, i int, _ *corev1.Service) error {
			if err := s.wantListener(i, 80, "http", map[string]string{"ListenerForward": "on", "ForwardPort": "443"}); err != nil {
				return err
			}
			if err := s.wantListener(i, 443, "https", map[string]string{"ServerCertificateId": demoCert, "TLSCipherPolicy": "tls_cipher_policy_1_2", "EnableHttp2": "on"}); err != nil {
				return err
			}
			var doms []string
			for _, d := range s.Domains {
				if d.LBID == s.LBs[i].LB.LoadBalancerId {
					doms = append(doms, fmt.Sprintf("%d:%s=%s", d.Port, d.Domain, d.CertID))
				}
			}
			if got, want := strings.Join(doms, " "), "443:api.example.com="+demoCert2; got != want {
				return fmt.Errorf("domain extensions %q, want %q", got, want)
			}
			return nil
		},
		edit: setAnnotations("tls-cipher-policy", "tls_cipher_policy_1_1"),
		checkEdit: func(_ *lbWorld, s *clbState, i int, _ *corev1.Service) error {
			return s.wantListener(i, 443, "https", map[string]string{"TLSCipherPolicy": "tls_cipher_policy_1_1"})
		},
	},
	"internet-bandwidth.yaml": {
		check: lbIs(func(s *clbState, i int) string {
			lb := s.LBs[i].LB
			return wantField("billing", fmt.Sprintf("%s %s %s %s %d", lb.AddressType, lb.InstanceChargeType, lb.LoadBalancerSpec, lb.InternetChargeType, lb.Bandwidth),
				"internet PayBySpec slb.s2.small paybybandwidth 20")
		}),
		edit: setAnnotations("bandwidth", "30"),
		checkEdit: lbIs(func(s *clbState, i int) string {
			return wantField("bandwidth", fmt.Sprint(s.LBs[i].LB.Bandwidth), "30")
		}),
	},
	"intranet-basic.yaml": {
		check:     lbIs(func(s *clbState, i int) string { return wantField("address type", s.LBs[i].LB.AddressType, "intranet") }),
		edit:      setAnnotations("scheduler", "rr"),
		checkEdit: listenerIs("tcp", "Scheduler", "rr"),
	},
	"ipv6.yaml": {
		check:     lbIs(func(s *clbState, i int) string { return wantField("IP version", s.LBs[i].LB.AddressIPVersion, "ipv6") }),
		edit:      setAnnotations("scheduler", "rr"),
		checkEdit: listenerIs("tcp", "Scheduler", "rr"),
	},
	"local-traffic-policy.yaml": {
		check: func(_ *lbWorld, s *clbState, i int, svc *corev1.Service) error {
			return s.wantListener(i, 80, "tcp", map[string]string{"Scheduler": "wrr", "HealthCheckType": "http",
				"HealthCheckConnectPort": fmt.Sprint(svc.Spec.HealthCheckNodePort)})
		},
		edit:      setAnnotations("scheduler", "rr"),
		checkEdit: listenerIs("tcp", "Scheduler", "rr"),
	},
	"preserve-on-delete.yaml": {
		check:     listenerIs("tcp"),
		edit:      setAnnotations("scheduler", "rr"),
		checkEdit: listenerIs("tcp", "Scheduler", "rr"),
		preserved: true,
	},
	"resource-tags.yaml": {
		check: lbIs(func(s *clbState, i int) string {
			tags := s.lbTags(i)
			return wantField("name, group and tags", fmt.Sprintf("%s %s team=%s env=%s cost-center=%q", s.LBs[i].LB.LoadBalancerName, s.LBs[i].LB.ResourceGroupId,
				tags["team"], tags["env"], tags["cost-center"]), `nginx-prod rg-demo team=web env=prod cost-center=""`)
		}),
		// A tag added in the console stays when the annotation drops env.
		setup: func(t *testing.T, w *lbWorld, svc *corev1.Service) {
			st := w.state(t)
			req := slb.CreateTagResourcesRequest()
			req.ResourceType, req.ResourceId = "instance", &[]string{st.LBs[st.lbIndex("", svc)].LB.LoadBalancerId}
			req.Tag = &[]slb.TagResourcesTag{{Key: "owner", Value: "console-user"}}
			if _, err := w.api.TagResources(framework.Ctx(t), req); err != nil {
				t.Fatal(err)
			}
		},
		edit: setAnnotations("additional-resource-tags", "team=api,cost-center="),
		checkEdit: lbIs(func(s *clbState, i int) string {
			tags := s.lbTags(i)
			_, env := tags["env"]
			return wantField("tags", fmt.Sprintf("team=%s env=%v owner=%s", tags["team"], env, tags["owner"]), "team=api env=false owner=console-user")
		}),
	},
	"reuse-existing.yaml": {
		reuse: reusedLB,
		// No listener of ours without force-override-listeners, but our
		// group with every node.
		check: func(w *lbWorld, s *clbState, i int, svc *corev1.Service) error {
			if n := len(s.LBs[i].Listeners); n != 1 {
				return fmt.Errorf("%d listeners on the reused CLB without force-override-listeners, want the foreign one only", n)
			}
			return membersAre(func(w *lbWorld, svc *corev1.Service) string { return w.nodeMembers(nodePort(svc), 100, 0, 1, 2) }, nodePort)(w, s, i, svc)
		},
		edit: setAnnotations("default-weight", "70"),
		checkEdit: membersAre(func(w *lbWorld, svc *corev1.Service) string { return w.nodeMembers(nodePort(svc), 70, 0, 1, 2) },
			nodePort),
	},
	"reuse-force-override.yaml": {
		reuse:     reusedLB,
		check:     listenerIs("tcp", "Status", "running"),
		edit:      setAnnotations("scheduler", "rr"),
		checkEdit: listenerIs("tcp", "Scheduler", "rr"),
	},
	"source-ranges.yaml": {
		check: func(_ *lbWorld, s *clbState, i int, svc *corev1.Service) error {
			return s.sourceRangesACL(i, svc, "10.0.0.0/8 203.0.113.0/24")
		},
		edit: func(svc *corev1.Service) { svc.Spec.LoadBalancerSourceRanges = []string{"192.0.2.0/24", "10.0.0.0/8"} },
		checkEdit: func(_ *lbWorld, s *clbState, i int, svc *corev1.Service) error {
			return s.sourceRangesACL(i, svc, "10.0.0.0/8 192.0.2.0/24")
		},
	},
	"sticky-session-insert.yaml": {
		check: listenerIs("http", "StickySession", "on", "StickySessionType", "insert", "CookieTimeout", "1800", "XForwardedFor_proto", "on",
			"XForwardedFor_SLBPORT", "on", "XForwardedFor_ClientSrcPort", "on", "IdleTimeout", "30", "RequestTimeout", "120"),
		edit:      setAnnotations("cookie-timeout", "3600"),
		checkEdit: listenerIs("http", "CookieTimeout", "3600"),
	},
	"sticky-session-server.yaml": {
		check:     listenerIs("http", "StickySession", "on", "StickySessionType", "server", "Cookie", "SESSIONID"),
		edit:      setAnnotations("cookie", "SID"),
		checkEdit: listenerIs("http", "Cookie", "SID"),
	},
	"tcp-timeouts-drain-proxy.yaml": {
		check: listenerIs("tcp", "Scheduler", "wlc", "PersistenceTimeout", "600", "EstablishedTimeout", "300", "ConnectionDrain", "on",
			"ConnectionDrainTimeout", "60", "ProxyProtocolV2Enabled", "true"),
		edit:      setAnnotations("persistence-timeout", "300"),
		checkEdit: listenerIs("tcp", "PersistenceTimeout", "300"),
		status: func(in []corev1.LoadBalancerIngress) bool {
			return len(in) == 1 && in[0].IPMode != nil && *in[0].IPMode == corev1.LoadBalancerIPModeProxy
		},
	},
	"tcp-udp-same-port.yaml": {
		check: func(_ *lbWorld, s *clbState, i int, _ *corev1.Service) error {
			if err := s.wantListener(i, 53, "tcp", nil); err != nil {
				return err
			}
			return s.wantListener(i, 53, "udp", nil)
		},
		edit: setAnnotations("scheduler", "rr"),
		checkEdit: func(_ *lbWorld, s *clbState, i int, _ *corev1.Service) error {
			if err := s.wantListener(i, 53, "tcp", map[string]string{"Scheduler": "rr"}); err != nil {
				return err
			}
			return s.wantListener(i, 53, "udp", map[string]string{"Scheduler": "rr"})
		},
	},
	"vgroup-port-weight.yaml": {
		reuse: reusedLB,
		// 30 spread over 3 nodes; the user's member is kept.
		check: func(w *lbWorld, s *clbState, _ int, svc *corev1.Service) error {
			return s.sharedMembers(w, svc, 10)
		},
		edit: setAnnotations("weight", "60"),
		checkEdit: func(w *lbWorld, s *clbState, _ int, svc *corev1.Service) error {
			return s.sharedMembers(w, svc, 20)
		},
	},
}

func wantField(what, got, want string) string {
	if got != want {
		return fmt.Sprintf("%s %q, want %q", what, got, want)
	}
	return ""
}

// sharedMembers checks the shared group: the user's member and the nodes
// at weight each.
func (s *clbState) sharedMembers(w *lbWorld, svc *corev1.Service, each int) error {
	i := s.lbIndex(reusedLB, nil)
	got, _ := s.groupMembers(i, sharedGroup)
	want := strings.Split(w.nodeMembers(nodePort(svc), each, 0, 1, 2), " ")
	want = append(want, fmt.Sprintf("%s:9000=100", w.emu.Instances[0].InstanceID))
	slices.Sort(want)
	if got != strings.Join(want, " ") {
		return fmt.Errorf("shared group %q, want %q", got, strings.Join(want, " "))
	}
	return nil
}

// sourceRangesACL checks that the listener is bound (white list) to the
// Service's own ACL holding exactly entries.
func (s *clbState) sourceRangesACL(i int, svc *corev1.Service, entries string) error {
	attrs := s.listenerAttrs(i, int(svc.Spec.Ports[0].Port), "tcp")
	if attrs == nil || attrs["aclstatus"] != "on" || attrs["acltype"] != "white" {
		return fmt.Errorf("listener ACL binding %v, want a white list on", attrs)
	}
	for _, a := range s.ACLs {
		if a.ID != attrs["aclid"] {
			continue
		}
		var got []string
		for _, e := range a.Entries {
			got = append(got, e.Entry)
		}
		slices.Sort(got)
		if strings.Join(got, " ") != entries {
			return fmt.Errorf("ACL %s entries %v, want %s", a.ID, got, entries)
		}
		return nil
	}
	return fmt.Errorf("listener ACL %q not found", attrs["aclid"])
}

// seedPodENI adds a Terway secondary ENI of node 0 holding eniPodIP.
func (w *lbWorld) seedPodENI(t *testing.T) {
	t.Helper()
	err := w.emu.Emulator.Seed(emulator.SeedState{ENIs: []emulator.ENI{{NetworkInterfaceID: eniID, Type: "Secondary",
		InstanceID: w.emu.Instances[0].InstanceID, VpcID: w.emu.VpcID, VSwitchID: w.emu.VSwitches[0], PrimaryIP: "192.168.0.40", SecondaryIPs: []string{eniPodIP}}}})
	if err != nil {
		t.Fatal(err)
	}
}

// labelNode sets a label on node idx until the test ends.
func (w *lbWorld) labelNode(t *testing.T, idx int, key, value string) {
	t.Helper()
	name := w.emu.Instances[idx].InstanceName
	patch := func(v any) {
		body, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]any{key: v}}})
		if _, err := w.cs.CoreV1().Nodes().Patch(context.Background(), name, types.MergePatchType, body, metav1.PatchOptions{}); err != nil {
			t.Fatalf("labelling node %s: %v", name, err)
		}
	}
	patch(value)
	t.Cleanup(func() { patch(nil) })
}

func newACLRequest(name string) *slb.CreateAccessControlListRequest {
	req := slb.CreateCreateAccessControlListRequest()
	req.AclName = name
	return req
}

func newACLEntryRequest(id string, entries []string) *slb.AddAccessControlListEntryRequest {
	items := make([]map[string]string, 0, len(entries))
	for _, e := range entries {
		items = append(items, map[string]string{"entry": e})
	}
	body, _ := json.Marshal(items)
	req := slb.CreateAddAccessControlListEntryRequest()
	req.AclId, req.AclEntrys = id, string(body)
	return req
}
