package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/alicloud-ccm/alicloud-ccm/emulator"
	"github.com/alicloud-ccm/alicloud-ccm/test/chart"
	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// TestChartInstall installs the Helm chart with its default values into the
// test kube-apiserver (every object goes through the apiserver's validation)
// after creating the kube-system/cloud-config ConfigMap as the guide's
// script does. It then runs the CCM binary with the command line of the
// installed DaemonSet, the cloud-config of that ConfigMap and the token of
// the chart's ServiceAccount (no kubelet runs pods here): it must lead,
// initialize a Node and give a LoadBalancer Service its CLB, with no RBAC
// denial. Finally it scrapes /metrics: every metric the chart's alerts and
// Grafana dashboard query must be exported.
func TestChartInstall(t *testing.T) {
	t.Parallel()
	helm, err := chart.Helm()
	if err != nil {
		framework.SkipOrFail(t, err.Error())
	}
	dir, err := chart.Dir()
	if err != nil {
		t.Fatal(err)
	}
	cp := framework.Dedicated(t) // the CCM acts on every Node
	emu := framework.StartEmulator(t)

	// The guide's step 1: kube-system/cloud-config (configmap-ccm.sh), here
	// pointing at the emulator and nowhere else.
	cfgPath := framework.WriteCloudConfig(t, emu.CloudConfig())
	cfgData, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cp.Client.CoreV1().ConfigMaps("kube-system").Create(framework.Ctx(t), &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "cloud-config", Namespace: "kube-system"},
		Data:       map[string]string{"cloud-config.conf": string(cfgData)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	out, err := chart.Run(helm, "install", chart.ReleaseName, dir, "--namespace", chart.Namespace,
		"--kubeconfig", cp.Kubeconfig, "--server-side=true", "--timeout", "2m")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("helm install:\n%s", out)

	ds, err := cp.Client.AppsV1().DaemonSets(chart.Namespace).Get(framework.Ctx(t), "cloud-controller-manager", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the chart's DaemonSet: %v", err)
	}
	c := ds.Spec.Template.Spec.Containers[0]
	// The pod would read the ConfigMap through its volume; the process here
	// reads the same data from a file.
	cm, err := cp.Client.CoreV1().ConfigMaps(chart.Namespace).Get(framework.Ctx(t), "cloud-config", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(framework.TestDir(t, "pod-cloud-config"), "cloud-config.conf")
	if err := os.WriteFile(local, []byte(cm.Data["cloud-config.conf"]), 0o600); err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, a := range c.Command[1:] {
		if strings.HasPrefix(a, "--cloud-config=") {
			a = "--cloud-config=" + local
		}
		args = append(args, a)
	}
	if !slices.Equal(args, framework.SeedArgs(local)) {
		t.Errorf("the installed DaemonSet runs %q, want the guide's %q", args, framework.SeedArgs(local))
	}

	kubeconfig := cp.ServiceAccountKubeconfig(t, chart.Namespace, ds.Spec.Template.Spec.ServiceAccountName)
	// One throttled SLB call, so the throttling and retry metrics the
	// alerts use have samples.
	emu.Emulator.SetFaults(emulator.FaultProfile{Errors: []emulator.ErrorRule{{Match: "Slb", Code: "Throttling.User", Message: "Request was denied due to user flow control.", Count: 1}}})
	ccm := framework.StartCCM(t, cp, append(args,
		"--kubeconfig="+kubeconfig,
		"--authentication-kubeconfig="+kubeconfig,
		"--authorization-kubeconfig="+kubeconfig,
	)...)
	ccm.WaitHealthy(t, startTimeout)
	framework.WaitFor(t, startTimeout, "the CCM to lead "+defaultLeaseName, func() (bool, error) {
		if ccm.Exited() {
			t.Fatalf("CCM exited: %v", ccm.ExitError())
		}
		return isLeader(cp, ccm, defaultLeaseName), nil
	})

	for i := range emu.Instances {
		framework.CreateNode(t, cp.Client, emu.Instances[i].InstanceName, framework.NodeOptions{
			ProviderID: emu.ProviderID(i), InternalIP: emu.Instances[i].PrivateIP, Uninitialized: i == 0})
	}
	framework.WaitFor(t, 60*time.Second, "node "+emu.Instances[0].InstanceName+" to be initialized", func() (bool, error) {
		n, err := cp.Client.CoreV1().Nodes().Get(framework.Ctx(t), emu.Instances[0].InstanceName, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return !slices.ContainsFunc(n.Spec.Taints, func(tn corev1.Taint) bool { return tn.Key == framework.UninitializedTaint.Key }), nil
	})
	framework.CreateLoadBalancerService(t, cp.Client, "default", "chart-web", framework.ServiceOptions{})
	framework.WaitFor(t, 2*time.Minute, "Service chart-web to get its CLB", func() (bool, error) {
		s, err := cp.Client.CoreV1().Services("default").Get(framework.Ctx(t), "chart-web", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		in := s.Status.LoadBalancer.Ingress
		return len(in) > 0 && in[0].IP != "", nil
	})

	// /metrics over HTTPS with the admin token, reviewed by the CCM with the
	// chart's service account (system:auth-delegator binding).
	used, err := chart.MetricNames()
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	// Poll, not WaitFor: on a timeout the names are reported below.
	_ = framework.Poll(startTimeout, "every metric of the chart's alerts and dashboard to be exported", func() (bool, error) {
		code, body, err := ccm.SecureGet("/metrics", cp.Token)
		if err != nil || code != http.StatusOK {
			t.Fatalf("HTTPS /metrics: %d, %v", code, err)
		}
		missing = missing[:0]
		for m := range used {
			if !chart.Exported(body, m) {
				missing = append(missing, m)
			}
		}
		return len(missing) == 0, nil
	})
	if len(missing) > 0 {
		slices.Sort(missing)
		for _, m := range missing {
			t.Errorf("%s is not exported by the CCM; used by %s", m, strings.Join(used[m], ", "))
		}
	}
	if m := forbiddenRE.FindAllString(ccm.Logs(), 10); len(m) > 0 {
		t.Errorf("the CCM was denied by RBAC with the chart's permissions:\n%v", m)
	}
}
