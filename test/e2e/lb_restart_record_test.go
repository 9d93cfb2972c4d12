package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// TestRestartVerifiedRecord runs the CCM binary through restarts of a
// converged cluster of two two-port Services (keep-a, keep-b), in
// sequence on one CCM and emulator:
//
//   - a graceful restart reads no members (no DescribeVServerGroupAttribute)
//     and writes nothing: the verified-backends ConfigMap vouches for them;
//   - while the CCM is down, a member of keep-a is removed by hand (its
//     group's count differs) and keep-b, killed right after its weight was
//     written, gets its old weight back in its Service: at the restart
//     both are read and repaired (keep-b's record went before the write;
//     trusting it would have left the new weight in the cloud);
//   - with the ConfigMap deleted, the restart reads every member.
func TestRestartVerifiedRecord(t *testing.T) {
	w := newLBWorld(t)
	ports := []corev1.ServicePort{
		{Name: "http", Port: 80, TargetPort: intstr.FromInt32(80), Protocol: corev1.ProtocolTCP},
		{Name: "https", Port: 443, TargetPort: intstr.FromInt32(443), Protocol: corev1.ProtocolTCP},
	}
	var svcs []*corev1.Service
	for _, name := range []string{"keep-a", "keep-b"} {
		framework.CreateLoadBalancerService(t, w.cs, "default", name, framework.ServiceOptions{Ports: ports})
	}
	for _, name := range []string{"keep-a", "keep-b"} {
		svcs = append(svcs, w.waitIngress(t, "default", name))
	}
	w.waitRecorded(t, svcs...)

	t.Run("converged restart reads no members", func(t *testing.T) {
		before := w.ensuredCounts(t, svcs)
		if err := w.ccm.Stop(10 * time.Second); err != nil {
			t.Fatal(err)
		}
		w.emu.Emulator.ResetAudit()
		w.startCCM(t)
		w.waitEnsured(t, svcs, before)
		if wr := w.writes(); len(wr) != 0 {
			t.Errorf("restart wrote %v", wr)
		}
		if n := w.emu.Emulator.CallCount("DescribeVServerGroupAttribute", ""); n != 0 {
			t.Errorf("%d member reads at the restart, want 0", n)
		}
	})

	t.Run("hand change and crash-revert are verified", func(t *testing.T) {
		a, b := svcs[0], svcs[1]
		// keep-b: new weight; killed right after the CLB took it.
		w.emu.Emulator.ResetAudit()
		w.updateService(t, "default", b.Name, setAnnotations("default-weight", "40"))
		framework.WaitFor(t, lbTimeout, "the weight written", func() (bool, error) {
			return w.emu.Emulator.CallCount("SetVServerGroupAttribute", "OK") > 0, nil
		})
		w.ccm.Kill()
		w.updateService(t, "default", b.Name, setAnnotations("default-weight", ""))
		// keep-a: one member removed by hand.
		s := w.state(t)
		i := s.lbIndex("", a)
		g := s.LBs[i].Groups[0]
		m := g.Backends[0]
		req := slb.CreateRemoveVServerGroupBackendServersRequest()
		req.VServerGroupId = g.ID
		req.BackendServers = fmt.Sprintf(`[{"ServerId":%q,"Port":"%d","Type":"ecs"}]`, m.ServerID, m.Port)
		if _, err := w.api.RemoveVServerGroupBackendServers(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		w.startCCM(t)
		w.waitState(t, "keep-a's member back and keep-b's weights 100", func(s *clbState) error {
			ia, ib := s.lbIndex("", a), s.lbIndex("", b)
			for _, grp := range s.LBs[ia].Groups {
				if len(grp.Backends) != len(g.Backends) {
					return fmt.Errorf("keep-a group %s has %d members, want %d", grp.Name, len(grp.Backends), len(g.Backends))
				}
			}
			for _, grp := range s.LBs[ib].Groups {
				for _, m := range grp.Backends {
					if m.Weight != 100 {
						return fmt.Errorf("keep-b group %s member %s", grp.Name, m)
					}
				}
			}
			return nil
		})
	})

	t.Run("ConfigMap deleted: every member read", func(t *testing.T) {
		before := w.ensuredCounts(t, svcs)
		if err := w.ccm.Stop(10 * time.Second); err != nil {
			t.Fatal(err)
		}
		if err := w.cs.CoreV1().ConfigMaps(loadbalancer.RecordNamespace()).Delete(context.Background(), loadbalancer.VerifiedConfigMapName, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		w.emu.Emulator.ResetAudit()
		w.startCCM(t)
		w.waitEnsured(t, svcs, before)
		if wr := w.writes(); len(wr) != 0 {
			t.Errorf("restart wrote %v", wr)
		}
		if n := w.emu.Emulator.CallCount("DescribeVServerGroupAttribute", ""); n != 2*len(svcs) {
			t.Errorf("%d member reads, want %d (every group)", n, 2*len(svcs))
		}
	})
}

// waitRecorded waits until the verified-backends ConfigMap has a record of
// every Service (the CCM writes it every few seconds).
func (w *lbWorld) waitRecorded(t *testing.T, svcs ...*corev1.Service) {
	t.Helper()
	framework.WaitFor(t, lbTimeout, "the verified-backends record", func() (bool, error) {
		cm, err := w.cs.CoreV1().ConfigMaps(loadbalancer.RecordNamespace()).Get(context.Background(), loadbalancer.VerifiedConfigMapName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		for _, svc := range svcs {
			if cm.Data[string(svc.UID)] == "" {
				return false, fmt.Errorf("no record of %s", svc.Name)
			}
		}
		return true, nil
	})
}

// ensuredCounts sums the EnsuredLoadBalancer events of each Service (the
// service controller records one after every successful sync).
func (w *lbWorld) ensuredCounts(t *testing.T, svcs []*corev1.Service) map[string]int32 {
	t.Helper()
	out := map[string]int32{}
	evs, err := w.cs.CoreV1().Events("default").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, svc := range svcs {
		out[svc.Name] = 0
	}
	for _, e := range evs.Items {
		if _, ok := out[e.InvolvedObject.Name]; ok && e.Reason == "EnsuredLoadBalancer" {
			out[e.InvolvedObject.Name] += max(e.Count, 1)
		}
	}
	return out
}

// waitEnsured waits until every Service was synced again since before.
func (w *lbWorld) waitEnsured(t *testing.T, svcs []*corev1.Service, before map[string]int32) {
	t.Helper()
	framework.WaitFor(t, lbTimeout, "every Service synced after the restart", func() (bool, error) {
		now := w.ensuredCounts(t, svcs)
		for name, n := range before {
			if now[name] <= n {
				return false, fmt.Errorf("%s not synced yet", name)
			}
		}
		return true, nil
	})
}
