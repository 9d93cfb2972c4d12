package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// lbTimeout bounds every wait of the CLB tests. A reconcile takes
// milliseconds against the emulator; the bound covers the service
// controller's first retry (5 s) on 2 busy cores, not slow progress.
const lbTimeout = 30 * time.Second

// Tag keys and the annotation prefix the checks read (the engine's
// constants, spelled out: the test checks the contract, not the code).
const (
	tagServiceUID = "alicloud-ccm/service-uid"
	annoPrefix    = "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-"
)

// lbWorld is the CLB tests' own control plane, emulator and CCM. The
// framework's service controller reconciles every Service of a cluster,
// so a control plane of our own (framework.Dedicated) keeps the audit log
// and the Services' status ours alone.
type lbWorld struct {
	cp  *framework.ControlPlane
	cs  kubernetes.Interface
	emu *framework.Emulator
	cfg string
	ccm *framework.CCMProcess
	// api is an SLB client on the emulator, for what a user would do in the
	// console (create an ACL, delete a preserved CLB).
	api *cloudapi.SLB
	// root is the top-level test: CCMs started by subtests must outlive them.
	root *testing.T
	// keyID is the AccessKey of this world's CCM when it is not the
	// emulator's default (two clusters on one emulator).
	keyID string
}

func newLBWorld(t *testing.T) *lbWorld { return newLBWorldWith(t, lbWorldOptions{}) }

// lbWorldOptions change the world newLBWorldWith builds.
type lbWorldOptions struct {
	// extraNodes are ECS instances and Nodes beyond the emulator's three.
	extraNodes int
	// limits are the emulator's quotas; zero fields keep the defaults.
	limits emulator.Limits
	// global are cloud-config Global fields added to the emulator's.
	global map[string]any
}

func newLBWorldWith(t *testing.T, o lbWorldOptions) *lbWorld {
	t.Helper()
	framework.Parallel(t) // nothing here is shared with other tests
	cp := framework.Dedicated(t)
	emu := framework.StartEmulator(t)
	emu.AddInstances(t, o.extraNodes)
	emu.Emulator.SetLimits(o.limits)
	cfg := emu.CloudConfig()
	for k, v := range o.global {
		cfg["Global"][k] = v
	}
	w := &lbWorld{cp: cp, cs: cp.Client, emu: emu, cfg: framework.WriteCloudConfig(t, cfg), root: t}
	clients, err := cloudapi.New(cloudapi.Options{
		Region:      emu.Region,
		Credentials: credentials.NewStaticAKCredentialsProvider(emu.AccessKeyID, emu.AccessKeySecret),
		SLB:         cloudapi.ProductOptions{Endpoint: emu.APIURL, RateLimit: cloudapi.RateLimit{QPS: -1}},
		VPC:         cloudapi.ProductOptions{Endpoint: emu.APIURL, RateLimit: cloudapi.RateLimit{QPS: -1}},
		ECS:         cloudapi.ProductOptions{Endpoint: emu.APIURL, RateLimit: cloudapi.RateLimit{QPS: -1}},
	})
	if err != nil {
		t.Fatalf("SLB client on the emulator: %v", err)
	}
	w.api = clients.SLB
	for i := range emu.Instances {
		framework.CreateNode(t, w.cs, emu.Instances[i].InstanceName, framework.NodeOptions{ProviderID: emu.ProviderID(i), InternalIP: emu.Instances[i].PrivateIP,
			Labels: map[string]string{corev1.LabelTopologyZone: emu.Instances[i].ZoneID}})
	}
	w.startCCM(t)
	return w
}

// startCCM runs the CCM binary with the deployment guide's command line
// minus --use-service-account-credentials (a fresh control plane has no
// RBAC for the CCM's service accounts) and routes.
func (w *lbWorld) startCCM(t *testing.T) {
	args := []string{"--cloud-provider=alicloud", "--cloud-config=" + w.cfg, "--leader-elect=false",
		"--configure-cloud-routes=false", "--cluster-cidr=172.16.0.0/16"}
	w.ccm = framework.StartCCM(w.root, w.cp, args...)
	w.ccm.WaitHealthy(t, startTimeout)
}

// writes lists the SLB write calls in the audit log.
func (w *lbWorld) writes() []string {
	var out []string
	for _, a := range w.emu.Emulator.Audit() {
		if a.Product == "Slb" && !strings.HasPrefix(a.Action, "Describe") && !strings.HasPrefix(a.Action, "List") {
			out = append(out, a.Action)
		}
	}
	return out
}

// clbState is the part of the emulator's state dump the tests read. The
// CLB and listener views are the SDK's own response types.
type clbState struct {
	LBs []struct {
		LB        slb.LoadBalancer                              `json:"loadBalancer"`
		Listeners []slb.ListenerInDescribeLoadBalancerListeners `json:"listeners"`
		Groups    []struct {
			ID       string   `json:"vServerGroupId"`
			Name     string   `json:"vServerGroupName"`
			Backends []member `json:"backendServers"`
		} `json:"vServerGroups"`
	} `json:"loadBalancers"`
	ACLs []struct {
		ID      string `json:"aclId"`
		Name    string `json:"aclName"`
		Entries []struct {
			Entry string `json:"entry"`
		} `json:"entries"`
	} `json:"accessControlLists"`
	Domains []struct {
		LBID   string `json:"loadBalancerId"`
		Port   int    `json:"listenerPort"`
		Domain string `json:"domain"`
		CertID string `json:"serverCertificateId"`
	} `json:"domainExtensions"`
}

// member is a vServer group member in the dump.
type member struct {
	ServerID    string `json:"serverId"`
	ServerIP    string `json:"serverIp"`
	Type        string `json:"type"`
	Port        int    `json:"port"`
	Weight      int    `json:"weight"`
	Description string `json:"description"`
}

func (m member) String() string {
	if m.Type == "eni" {
		return fmt.Sprintf("%s/%s:%d=%d", m.ServerID, m.ServerIP, m.Port, m.Weight)
	}
	return fmt.Sprintf("%s:%d=%d", m.ServerID, m.Port, m.Weight)
}

func (w *lbWorld) state(t testing.TB) *clbState {
	t.Helper()
	raw, err := json.Marshal(w.emu.Emulator.Dump().SLB)
	if err != nil {
		t.Fatal(err)
	}
	var s clbState
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

// lbCount counts CLBs in the emulator.
func (w *lbWorld) lbCount(t testing.TB) int { return len(w.state(t).LBs) }

// lbIndex finds a CLB by ID, or by the Service's ownership tag when id is
// empty; -1 when there is none.
func (s *clbState) lbIndex(id string, svc *corev1.Service) int {
	for i, lb := range s.LBs {
		if id != "" && lb.LB.LoadBalancerId == id {
			return i
		}
		for _, tag := range lb.LB.Tags.Tag {
			if id == "" && tag.TagKey == tagServiceUID && tag.TagValue == string(svc.UID) {
				return i
			}
		}
	}
	return -1
}

// lbTags returns the CLB's tags.
func (s *clbState) lbTags(i int) map[string]string {
	out := map[string]string{}
	for _, tag := range s.LBs[i].LB.Tags.Tag {
		out[tag.TagKey] = tag.TagValue
	}
	return out
}

// listenerAttrs flattens CLB i's listener port/proto (common fields and
// its protocol's configuration) into lower-cased name -> value; nil when
// there is no such listener.
func (s *clbState) listenerAttrs(i, port int, proto string) map[string]string {
	for _, l := range s.LBs[i].Listeners {
		if l.ListenerPort != port || l.ListenerProtocol != proto {
			continue
		}
		out := map[string]string{}
		flattenInto(out, l)
		switch proto {
		case "tcp":
			flattenInto(out, l.TCPListenerConfig)
		case "udp":
			flattenInto(out, l.UDPListenerConfig)
		case "http":
			flattenInto(out, l.HTTPListenerConfig)
		case "https":
			flattenInto(out, l.HTTPSListenerConfig)
		}
		out["aclid"] = strings.Join(l.AclIds, ",")
		return out
	}
	return nil
}

func flattenInto(out map[string]string, v any) {
	raw, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	for k, val := range m {
		switch x := val.(type) {
		case string:
			if x != "" {
				out[strings.ToLower(k)] = x
			}
		case float64:
			out[strings.ToLower(k)] = strconv.FormatFloat(x, 'f', -1, 64)
		case bool:
			out[strings.ToLower(k)] = strconv.FormatBool(x)
		}
	}
}

// wantListener checks listener attributes (API names, any case).
func (s *clbState) wantListener(i, port int, proto string, want map[string]string) error {
	got := s.listenerAttrs(i, port, proto)
	if got == nil {
		return fmt.Errorf("no listener %d/%s on %s", port, proto, s.LBs[i].LB.LoadBalancerId)
	}
	for k, v := range want {
		if got[strings.ToLower(k)] != v {
			return fmt.Errorf("listener %d/%s: %s=%q, want %q", port, proto, k, got[strings.ToLower(k)], v)
		}
	}
	return nil
}

// groupMembers renders the members of CLB i's group named or with ID
// group, sorted; ok is false when there is no such group.
func (s *clbState) groupMembers(i int, group string) (string, bool) {
	for _, g := range s.LBs[i].Groups {
		if g.Name != group && g.ID != group {
			continue
		}
		var ms []string
		for _, m := range g.Backends {
			ms = append(ms, m.String())
		}
		sort.Strings(ms)
		return strings.Join(ms, " "), true
	}
	return "", false
}

// waitState polls the emulator state until check returns nil, failing
// with check's last answer after lbTimeout.
func (w *lbWorld) waitState(t *testing.T, desc string, check func(s *clbState) error) {
	t.Helper()
	framework.WaitFor(t, lbTimeout, desc, func() (bool, error) {
		err := check(w.state(t))
		return err == nil, err
	})
}

// readService reads a manifest, replaces placeholder IDs of the author's
// account (old -> new) and returns the Service to create.
func readService(t *testing.T, path string, rewrite map[string]string) *corev1.Service {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	for old, repl := range rewrite {
		if !strings.Contains(text, old) {
			t.Fatalf("%s does not mention %q any more: update the test's rewrite", path, old)
		}
		text = strings.ReplaceAll(text, old, repl)
	}
	svc := &corev1.Service{}
	if err := yaml.NewYAMLOrJSONDecoder(strings.NewReader(text), 4096).Decode(svc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return svc
}

func (w *lbWorld) getService(t *testing.T, ns, name string) *corev1.Service {
	t.Helper()
	svc, err := w.cs.CoreV1().Services(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// updateService applies edit to the current Service, retrying conflicts
// (the CCM patches the status and finalizers concurrently).
func (w *lbWorld) updateService(t *testing.T, ns, name string, edit func(*corev1.Service)) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		svc, err := w.cs.CoreV1().Services(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		edit(svc)
		_, err = w.cs.CoreV1().Services(ns).Update(context.Background(), svc, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("updating Service %s/%s: %v", ns, name, err)
	}
}

// waitStatus waits until the Service's status satisfies ok.
func (w *lbWorld) waitStatus(t *testing.T, ns, name, desc string, ok func([]corev1.LoadBalancerIngress) bool) *corev1.Service {
	t.Helper()
	var svc *corev1.Service
	framework.WaitFor(t, lbTimeout, desc+" of "+ns+"/"+name, func() (bool, error) {
		s, err := w.cs.CoreV1().Services(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		svc = s
		return ok(s.Status.LoadBalancer.Ingress), nil
	})
	return svc
}

func (w *lbWorld) waitIngress(t *testing.T, ns, name string) *corev1.Service {
	t.Helper()
	return w.waitStatus(t, ns, name, "ingress", func(in []corev1.LoadBalancerIngress) bool {
		return len(in) > 0 && (in[0].IP != "" || in[0].Hostname != "")
	})
}

func (w *lbWorld) waitEvent(t *testing.T, ns, name, reason string) corev1.Event {
	t.Helper()
	var ev corev1.Event
	framework.WaitFor(t, lbTimeout, "event "+reason+" on "+name, func() (bool, error) {
		evs, err := w.cs.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{FieldSelector: "involvedObject.name=" + name})
		if err != nil {
			return false, err
		}
		for _, e := range evs.Items {
			if e.Reason == reason {
				ev = e
				return true, nil
			}
		}
		return false, nil
	})
	return ev
}

// deleteAndWait deletes the Service and waits until the CCM removed its
// finalizer (the cleanup ran) and the Service is gone.
func (w *lbWorld) deleteAndWait(t *testing.T, ns, name string) {
	t.Helper()
	if err := w.cs.CoreV1().Services(ns).Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	framework.WaitFor(t, lbTimeout, "deletion of "+name, func() (bool, error) {
		_, err := w.cs.CoreV1().Services(ns).Get(context.Background(), name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
}

// setAnnotations returns an edit that sets (or, for "", removes) annotations
// given by their suffix after the alibaba-cloud-loadbalancer- prefix.
func setAnnotations(kv ...string) func(*corev1.Service) {
	return func(svc *corev1.Service) {
		if svc.Annotations == nil {
			svc.Annotations = map[string]string{}
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(svc.Annotations, annoPrefix+kv[i])
			} else {
				svc.Annotations[annoPrefix+kv[i]] = kv[i+1]
			}
		}
	}
}
