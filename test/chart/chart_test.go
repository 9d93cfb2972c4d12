package chart

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// seedCommand is the deployment guide's DaemonSet command with the
// cloud-config path the chart mounts.
func seedCommand() []string {
	return append([]string{"/cloud-controller-manager"}, framework.SeedArgs("/etc/kubernetes/config/cloud-config.conf")...)
}

// rendered is one helm template output, decoded.
type rendered struct {
	t    *testing.T
	objs []*unstructured.Unstructured
}

func (r rendered) find(kind, name string) *unstructured.Unstructured {
	for _, o := range r.objs {
		if o.GetKind() == kind && (name == "" || o.GetName() == name) {
			return o
		}
	}
	return nil
}

func (r rendered) must(kind, name string) *unstructured.Unstructured {
	r.t.Helper()
	o := r.find(kind, name)
	if o == nil {
		r.t.Fatalf("no %s %q rendered; got %v", kind, name, r.kinds())
	}
	return o
}

func (r rendered) kinds() []string {
	var ks []string
	for _, o := range r.objs {
		ks = append(ks, o.GetKind()+"/"+o.GetName())
	}
	return ks
}

// pod returns the workload's pod template.
func (r rendered) pod(kind string) corev1.PodTemplateSpec {
	r.t.Helper()
	w := r.must(kind, "cloud-controller-manager")
	m, _, _ := unstructured.NestedMap(w.Object, "spec", "template")
	var pt corev1.PodTemplateSpec
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(m, &pt, true); err != nil {
		r.t.Fatalf("%s pod template: %v", kind, err)
	}
	if len(pt.Spec.Containers) != 1 {
		r.t.Fatalf("%s has %d containers, want 1", kind, len(pt.Spec.Containers))
	}
	return pt
}

func env(c corev1.Container, name string) *corev1.EnvVar {
	for i := range c.Env {
		if c.Env[i].Name == name {
			return &c.Env[i]
		}
	}
	return nil
}

func volume(p corev1.PodSpec, name string) *corev1.Volume {
	for i := range p.Volumes {
		if p.Volumes[i].Name == name {
			return &p.Volumes[i]
		}
	}
	return nil
}

// TestChartTemplate renders the chart for a matrix of values, lints each
// set with helm lint --strict and checks what it renders.
func TestChartTemplate(t *testing.T) {
	helm := helmOrSkip(t)
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		set   []string
		check func(t *testing.T, r rendered)
		// wantErr: rendering must fail with this text.
		wantErr string
	}{{
		name: "defaults are the guide's deployment",
		check: func(t *testing.T, r rendered) {
			if r.find("Deployment", "") != nil || r.find("ConfigMap", "") != nil || r.find("Secret", "") != nil {
				t.Errorf("defaults render more than RBAC, ServiceAccount and DaemonSet: %v", r.kinds())
			}
			p := r.pod("DaemonSet")
			c := p.Spec.Containers[0]
			if !slices.Equal(c.Command, seedCommand()) {
				t.Errorf("DaemonSet command:\n got %q\nwant %q (the guide's)", c.Command, seedCommand())
			}
			if len(c.Args) != 0 || len(c.Env) != 0 {
				t.Errorf("args %q, env %v: want none", c.Args, c.Env)
			}
			lp := c.LivenessProbe
			if lp == nil || lp.HTTPGet == nil || lp.HTTPGet.Scheme != corev1.URISchemeHTTP || lp.HTTPGet.Host != "127.0.0.1" ||
				lp.HTTPGet.Port.IntValue() != 10258 || lp.HTTPGet.Path != "/healthz" || lp.FailureThreshold != 8 {
				t.Errorf("liveness probe %+v: want the guide's plain-HTTP /healthz on 127.0.0.1:10258", lp)
			}
			if got := c.Resources.Requests.Cpu().String(); got != "200m" {
				t.Errorf("cpu request %s, want 200m", got)
			}
			if !p.Spec.HostNetwork || p.Spec.PriorityClassName != "system-node-critical" || p.Spec.ServiceAccountName != "cloud-controller-manager" {
				t.Errorf("hostNetwork %v, priority class %q, service account %q", p.Spec.HostNetwork, p.Spec.PriorityClassName, p.Spec.ServiceAccountName)
			}
			for _, key := range []string{"node-role.kubernetes.io/master", "node-role.kubernetes.io/control-plane", "node.cloudprovider.kubernetes.io/uninitialized"} {
				if !slices.ContainsFunc(p.Spec.Tolerations, func(tl corev1.Toleration) bool { return tl.Key == key }) {
					t.Errorf("no toleration of %s", key)
				}
			}
			if v := volume(p.Spec, "cloud-config"); v == nil || v.ConfigMap == nil || v.ConfigMap.Name != "cloud-config" {
				t.Errorf("cloud-config volume %+v: want the ConfigMap cloud-config", v)
			}
			if p.Labels["app"] != "cloud-controller-manager" || p.Labels["tier"] != "control-plane" {
				t.Errorf("pod labels %v: want the guide's app/tier labels", p.Labels)
			}
			if img := c.Image; !strings.HasPrefix(img, "ghcr.io/alicloud-ccm/cloud-controller-manager:v") {
				t.Errorf("image %q", img)
			}
			for _, o := range r.objs {
				if ns := o.GetNamespace(); o.GetKind() != "ClusterRole" && o.GetKind() != "ClusterRoleBinding" && ns != Namespace {
					t.Errorf("%s/%s in namespace %q, want %s", o.GetKind(), o.GetName(), ns, Namespace)
				}
			}
		},
	}, {
		name: "deployment with two replicas",
		set:  []string{"kind=Deployment"},
		check: func(t *testing.T, r rendered) {
			d := r.must("Deployment", "cloud-controller-manager")
			if n, _, _ := unstructured.NestedFieldNoCopy(d.Object, "spec", "replicas"); fmt.Sprint(n) != "2" {
				t.Errorf("replicas %v, want 2", n)
			}
			if r.find("DaemonSet", "") != nil {
				t.Error("a DaemonSet is rendered too")
			}
			if c := r.pod("Deployment").Spec.Containers[0]; !slices.Equal(c.Command, seedCommand()) {
				t.Errorf("command %q", c.Command)
			}
		},
	}, {
		name: "cloud-config created by the chart",
		set:  []string{"cloudConfig.create=true", "cloudConfig.global.region=cn-beijing", "cloudConfig.global.clusterID=prod"},
		check: func(t *testing.T, r rendered) {
			cm := r.must("ConfigMap", "cloud-config")
			file, _, _ := unstructured.NestedString(cm.Object, "data", "cloud-config.conf")
			var f struct{ Global map[string]string }
			if err := json.Unmarshal([]byte(file), &f); err != nil || f.Global["region"] != "cn-beijing" || f.Global["clusterID"] != "prod" {
				t.Errorf("cloud-config.conf %q (%v)", file, err)
			}
			if p := r.pod("DaemonSet"); p.Annotations["checksum/cloud-config"] == "" {
				t.Error("no checksum/cloud-config annotation: pods would not restart on a change")
			}
		},
	}, {
		name: "cloud-config from an existing Secret",
		set:  []string{"cloudConfig.fromSecret=true", "cloudConfig.name=my-cloud-config", "cloudConfig.key=cloud.yaml"},
		check: func(t *testing.T, r rendered) {
			p := r.pod("DaemonSet")
			if v := volume(p.Spec, "cloud-config"); v == nil || v.Secret == nil || v.Secret.SecretName != "my-cloud-config" {
				t.Errorf("cloud-config volume %+v: want the Secret my-cloud-config", v)
			}
			if !slices.Contains(p.Spec.Containers[0].Command, "--cloud-config=/etc/kubernetes/config/cloud.yaml") {
				t.Errorf("command %q", p.Spec.Containers[0].Command)
			}
			if r.find("Secret", "") != nil {
				t.Error("the chart created the existing Secret")
			}
		},
	}, {
		name: "no cloud-config",
		set:  []string{"cloudConfig.enabled=false"},
		check: func(t *testing.T, r rendered) {
			p := r.pod("DaemonSet")
			if volume(p.Spec, "cloud-config") != nil || slices.ContainsFunc(p.Spec.Containers[0].Command, func(a string) bool { return strings.HasPrefix(a, "--cloud-config") }) {
				t.Errorf("cloud-config still used: %q", p.Spec.Containers[0].Command)
			}
		},
	}, {
		name: "AccessKey pair from an existing Secret",
		set:  []string{"credentials.existingSecret=ccm-keys"},
		check: func(t *testing.T, r rendered) {
			c := r.pod("DaemonSet").Spec.Containers[0]
			for _, name := range []string{"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"} {
				e := env(c, name)
				if e == nil || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Name != "ccm-keys" {
					t.Errorf("%s: %+v, want a reference to the Secret ccm-keys", name, e)
				}
			}
		},
	}, {
		name: "AccessKey pair in a Secret the chart creates",
		set:  []string{"credentials.create=true", "credentials.accessKeyID=LTAIexample", "credentials.accessKeySecret=s3cret"},
		check: func(t *testing.T, r rendered) {
			s := r.must("Secret", "cloud-controller-manager-credentials")
			id, _, _ := unstructured.NestedString(s.Object, "data", "access-key-id")
			if got, _ := base64.StdEncoding.DecodeString(id); string(got) != "LTAIexample" {
				t.Errorf("access-key-id %q", got)
			}
			c := r.pod("DaemonSet").Spec.Containers[0]
			if e := env(c, "ALIBABA_CLOUD_ACCESS_KEY_SECRET"); e == nil || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef.Name != s.GetName() {
				t.Errorf("ALIBABA_CLOUD_ACCESS_KEY_SECRET: %+v", e)
			}
			for _, e := range c.Env {
				if strings.Contains(e.Value, "s3cret") {
					t.Errorf("the secret is in the pod spec: %s", e.Name)
				}
			}
		},
	}, {
		name: "RRSA",
		set: []string{"rrsa.enabled=true", "rrsa.roleARN=acs:ram::1234:role/ccm", "rrsa.oidcProviderARN=acs:ram::1234:oidc-provider/ack-rrsa-c1",
			"serviceAccount.annotations.pod-identity\\.alibabacloud\\.com/role-name=ccm"},
		check: func(t *testing.T, r rendered) {
			p := r.pod("DaemonSet")
			c := p.Spec.Containers[0]
			if e := env(c, "ALIBABA_CLOUD_ROLE_ARN"); e == nil || e.Value != "acs:ram::1234:role/ccm" {
				t.Errorf("ALIBABA_CLOUD_ROLE_ARN: %+v", e)
			}
			if e := env(c, "ALIBABA_CLOUD_OIDC_PROVIDER_ARN"); e == nil || e.Value != "acs:ram::1234:oidc-provider/ack-rrsa-c1" {
				t.Errorf("ALIBABA_CLOUD_OIDC_PROVIDER_ARN: %+v", e)
			}
			tokenFile := env(c, "ALIBABA_CLOUD_OIDC_TOKEN_FILE")
			v := volume(p.Spec, "rrsa-token")
			if tokenFile == nil || v == nil || v.Projected == nil || len(v.Projected.Sources) != 1 || v.Projected.Sources[0].ServiceAccountToken == nil ||
				v.Projected.Sources[0].ServiceAccountToken.Audience != "sts.aliyuncs.com" {
				t.Fatalf("token file %+v, volume %+v", tokenFile, v)
			}
			mounted := slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
				return m.Name == "rrsa-token" && tokenFile.Value == m.MountPath+"/"+v.Projected.Sources[0].ServiceAccountToken.Path
			})
			if !mounted {
				t.Errorf("ALIBABA_CLOUD_OIDC_TOKEN_FILE %s is not the projected token", tokenFile.Value)
			}
			if sa := r.must("ServiceAccount", "cloud-controller-manager"); sa.GetAnnotations()["pod-identity.alibabacloud.com/role-name"] != "ccm" {
				t.Errorf("service account annotations %v", sa.GetAnnotations())
			}
		},
	}, {
		name: "monitoring",
		set:  []string{"metrics.serviceMonitor.enabled=true", "metrics.prometheusRule.enabled=true", "metrics.dashboard.enabled=true"},
		check: func(t *testing.T, r rendered) {
			r.must("Service", "cloud-controller-manager-metrics")
			sm := r.must("ServiceMonitor", "cloud-controller-manager")
			if eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints"); len(eps) != 1 {
				t.Errorf("ServiceMonitor endpoints %v", eps)
			}
			pr := r.must("PrometheusRule", "cloud-controller-manager")
			groups, _, _ := unstructured.NestedSlice(pr.Object, "spec", "groups")
			if len(groups) == 0 {
				t.Error("PrometheusRule has no groups")
			}
			cm := r.must("ConfigMap", "cloud-controller-manager-dashboard")
			if cm.GetLabels()["grafana_dashboard"] != "1" {
				t.Errorf("dashboard labels %v", cm.GetLabels())
			}
			js, _, _ := unstructured.NestedString(cm.Object, "data", "alicloud-ccm.json")
			var d map[string]any
			if err := json.Unmarshal([]byte(js), &d); err != nil || d["uid"] != "alicloud-ccm" {
				t.Errorf("dashboard JSON: %v", err)
			}
		},
	}, {
		name: "flags overridden, dropped and added; image pinned by digest; priority class",
		set: []string{"args.clusterCIDR=10.0.0.0/8", "args.leaderElectResourceLock=null", "extraArgs={--v=2,--concurrent-service-syncs=3}",
			"image.digest=sha256:0000000000000000000000000000000000000000000000000000000000000000", "priorityClassName=system-cluster-critical"},
		check: func(t *testing.T, r rendered) {
			p := r.pod("DaemonSet")
			c := p.Spec.Containers[0]
			want := []string{"/cloud-controller-manager", "--leader-elect=true", "--cloud-provider=alicloud", "--use-service-account-credentials=true",
				"--cloud-config=/etc/kubernetes/config/cloud-config.conf", "--configure-cloud-routes=true", "--route-reconciliation-period=3m",
				"--cluster-cidr=10.0.0.0/8", "--v=2", "--concurrent-service-syncs=3"}
			if !slices.Equal(c.Command, want) {
				t.Errorf("command\n got %q\nwant %q", c.Command, want)
			}
			if !strings.HasSuffix(c.Image, "@sha256:0000000000000000000000000000000000000000000000000000000000000000") {
				t.Errorf("image %q", c.Image)
			}
			if p.Spec.PriorityClassName != "system-cluster-critical" {
				t.Errorf("priority class %q", p.Spec.PriorityClassName)
			}
		},
	}, {
		name:    "unknown kind",
		set:     []string{"kind=StatefulSet"},
		wantErr: `kind must be DaemonSet or Deployment, not "StatefulSet"`,
	}, {
		name:    "RRSA without its ARNs",
		set:     []string{"rrsa.enabled=true"},
		wantErr: "rrsa.enabled needs rrsa.roleARN and rrsa.oidcProviderARN",
	}, {
		name:    "credentials to create without keys",
		set:     []string{"credentials.create=true"},
		wantErr: "credentials.create needs credentials.accessKeyID and credentials.accessKeySecret",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var args []string
			for _, s := range tc.set {
				args = append(args, "--set", s)
			}
			out, err := Template(helm, args...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("helm template: %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Run(helm, append([]string{"lint", "--strict", dir}, args...)...); err != nil {
				t.Errorf("helm lint: %v", err)
			}
			objs, err := Decode(out)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, rendered{t: t, objs: objs})
		})
	}
}

// TestExprMetrics pins the PromQL scanner the metric-name check relies on.
func TestExprMetrics(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{`sum by (product, action) (rate(alicloud_api_requests_total{code!="Success",job=~"$job"}[10m])) / sum by (product) (rate(b_total[$__rate_interval])) > 0.2`,
			[]string{"alicloud_api_requests_total", "b_total"}},
		{`histogram_quantile(0.99, sum by (le, name) (rate(workqueue_work_duration_seconds_bucket[5m])))`, []string{"workqueue_work_duration_seconds_bucket"}},
		{`(sum(leader_election_master_status{name="x"}) or vector(0)) < 1`, []string{"leader_election_master_status"}},
		{`a unless on (instance) b_total offset 5m > 1e3`, []string{"a", "b_total"}},
	} {
		if got := ExprMetrics(tc.expr); !slices.Equal(got, tc.want) {
			t.Errorf("ExprMetrics(%q) = %q, want %q", tc.expr, got, tc.want)
		}
	}
	names, err := MetricNames()
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 8 {
		t.Errorf("only %d metrics found in the alerts and dashboard: %v", len(names), names)
	}
}
