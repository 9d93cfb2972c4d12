package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// officialStyle has one entry per testdata/official-style file: a Service
// written for the official CCM (kubernetes/cloud-provider-alibaba-cloud),
// the CLB the official CCM's documented behaviour gives it, the Warnings
// that say where that is probably not what was meant, an edit a user makes
// after the migration and the CLB after it.
var officialStyle = map[string]struct {
	lbExample
	// warns are substrings, each of which some warning event of the
	// Service must contain.
	warns []string
}{
	"protocol-port.yaml": {
		lbExample: lbExample{
			check: both(listenerIs("tcp"), listenerAt(443, "udp"), noListener(80, "udp"), noListener(443, "tcp"), noListener(8443, "https")),
			// tcp:80 -> http:80 (same port space: delete, then create) and
			// udp:443 -> tcp:443.
			edit:      setAnnotations("protocol-port", "http:80,tcp:443"),
			checkEdit: both(listenerIs("http"), listenerAt(443, "tcp"), noListener(80, "tcp"), noListener(443, "udp")),
		},
		warns: []string{`"udp:443" gives a udp listener on port 443, whose ServicePort is TCP`, `"https:8443" is ignored`},
	},
	"protocol-port-udp.yaml": {
		lbExample: lbExample{
			check:     both(listenerIs("udp"), noListener(53, "tcp")),
			edit:      setAnnotations("protocol-port", "http:53"),
			checkEdit: both(listenerIs("http"), noListener(53, "udp")),
		},
	},
	"forward-port.yaml": {
		lbExample: lbExample{
			check: both(listenerIs("http", "ListenerForward", "on", "ForwardPort", "443"), listenerAt(443, "https"), listenerAt(81, "tcp")),
			// Forwarding cannot change in place: the listener is recreated.
			edit:      setAnnotations("forward-port", ""),
			checkEdit: both(listenerIs("http"), notForwarding(80), listenerAt(443, "https")),
		},
		warns: []string{`"81:444" is ignored: port 81 is not an http listener`},
	},
	"on-off-case.yaml": {
		lbExample: lbExample{
			check: listenerIs("tcp", "HealthCheckSwitch", "off", "ProxyProtocolV2Enabled", "false", "ConnectionDrain", "on",
				"ConnectionDrainTimeout", "30", "Scheduler", "wrr"),
			edit:      setAnnotations("health-check-switch", "on", "proxy-protocol", "on", "connection-drain", "off", "scheduler", "wlc"),
			checkEdit: listenerIs("tcp", "HealthCheckSwitch", "on", "ProxyProtocolV2Enabled", "true", "ConnectionDrain", "off", "Scheduler", "wlc"),
		},
		warns: []string{`health-check-switch="On" is read as off`, `proxy-protocol="ON" is read as off`, `scheduler="WRR" is read as "wrr"`},
	},
	"acl-ids.yaml": {
		lbExample: lbExample{
			rewrite: func(t *testing.T, w *lbWorld) map[string]string {
				return map[string]string{
					"acl-official-office": w.seedACL(t, "official-office", "10.1.0.0/16"),
					"acl-official-vpn":    w.seedACL(t, "official-vpn", "10.2.0.0/16"),
				}
			},
			check: func(_ *lbWorld, s *clbState, i int, svc *corev1.Service) error {
				return s.wantListener(i, 80, "tcp", map[string]string{"AclStatus": "on", "AclType": "white", "aclid": svc.Annotations[annoPrefix+"acl-id"]})
			},
			edit: func(svc *corev1.Service) {
				ids := strings.Split(svc.Annotations[annoPrefix+"acl-id"], ",")
				svc.Annotations[annoPrefix+"acl-id"] = ids[1]
			},
			checkEdit: func(_ *lbWorld, s *clbState, i int, svc *corev1.Service) error {
				return s.wantListener(i, 80, "tcp", map[string]string{"AclStatus": "on", "aclid": svc.Annotations[annoPrefix+"acl-id"]})
			},
		},
	},
	"weight.yaml": {
		lbExample: lbExample{
			reuse: reusedLB,
			// 60 over 3 nodes in the user's group and in ours for 8080.
			check:     sharedWeight(20),
			edit:      setAnnotations("weight", "0"),
			checkEdit: sharedWeight(0),
		},
	},
}

// listenerAt checks that CLB i has a listener port/proto.
func listenerAt(port int, proto string) func(*lbWorld, *clbState, int, *corev1.Service) error {
	return func(_ *lbWorld, s *clbState, i int, _ *corev1.Service) error {
		return s.wantListener(i, port, proto, nil)
	}
}

// notForwarding checks that CLB i's http listener on port does not
// redirect.
func notForwarding(port int) func(*lbWorld, *clbState, int, *corev1.Service) error {
	return func(_ *lbWorld, s *clbState, i int, _ *corev1.Service) error {
		if a := s.listenerAttrs(i, port, "http"); a == nil || a["listenerforward"] == "on" {
			return fmt.Errorf("http listener %d missing or still forwarding: %v", port, a)
		}
		return nil
	}
}

// noListener checks that CLB i has no listener port/proto.
func noListener(port int, proto string) func(*lbWorld, *clbState, int, *corev1.Service) error {
	return func(_ *lbWorld, s *clbState, i int, _ *corev1.Service) error {
		if s.listenerAttrs(i, port, proto) != nil {
			return fmt.Errorf("listener %d/%s still exists", port, proto)
		}
		return nil
	}
}

// sharedWeight checks the weight Service's groups on the user's CLB: the
// nodes at each in the shared group (next to the user's member) and in our
// group for the Service's second port.
func sharedWeight(each int) func(*lbWorld, *clbState, int, *corev1.Service) error {
	return func(w *lbWorld, s *clbState, i int, svc *corev1.Service) error {
		if err := s.sharedMembers(w, svc, each); err != nil {
			return err
		}
		got, err := ourGroup(s, i, svc, svc.Spec.Ports[1].NodePort)
		if err != nil {
			return err
		}
		if want := w.nodeMembers(svc.Spec.Ports[1].NodePort, each, 0, 1, 2); got != want {
			return fmt.Errorf("our group for port %d: %q, want %q", svc.Spec.Ports[1].Port, got, want)
		}
		return nil
	}
}

// testLBOfficialStyle migrates Services written for the official CCM: each
// testdata/official-style file is applied as it is, converges to the CLB
// the official CCM gives it with a Warning for each value that is probably
// not what was meant, is edited, converges again and is deleted.
func testLBOfficialStyle(t *testing.T, w *lbWorld) {
	files, _ := filepath.Glob(filepath.Join("testdata", "official-style", "*.yaml"))
	sort.Strings(files)
	if len(files) != len(officialStyle) {
		t.Errorf("%d files in testdata/official-style, %d entries in officialStyle: keep them in step", len(files), len(officialStyle))
	}
	for _, f := range files {
		base := filepath.Base(f)
		ex, ok := officialStyle[base]
		if !ok {
			t.Errorf("%s has no entry in officialStyle", base)
			continue
		}
		t.Run(base, func(t *testing.T) {
			e := ex.lbExample
			e.setup = func(t *testing.T, w *lbWorld, svc *corev1.Service) {
				for _, want := range ex.warns {
					w.waitWarning(t, svc.Namespace, svc.Name, want)
				}
			}
			w.runExample(t, f, e)
		})
	}
}

// waitWarning waits for an annotation Warning event of the Service whose
// message contains want.
func (w *lbWorld) waitWarning(t *testing.T, ns, name, want string) {
	t.Helper()
	framework.WaitFor(t, lbTimeout, "warning "+want+" on "+name, func() (bool, error) {
		evs, err := w.cs.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{FieldSelector: "involvedObject.name=" + name})
		if err != nil {
			return false, err
		}
		for _, e := range evs.Items {
			if e.Type == corev1.EventTypeWarning && strings.Contains(e.Message, want) {
				return true, nil
			}
		}
		return false, nil
	})
}
