package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
	"github.com/alicloud-ccm/alicloud-ccm/test/framework"
)

// IDs of the user's NLB resources examples/services/nlb-reuse.yaml names;
// the emulator is seeded with them under these very IDs.
const (
	reusedNLB    = "nlb-demo-existing"
	sharedNLBSGP = "sgp-demo-shared"
)

// nlbView is a Service's NLB as the NLB API shows it: the instance, its
// listeners and the server groups they forward to.
type nlbView struct {
	LB        sdknlb.LoadbalancerInfo
	Listeners []sdknlb.ListenerInfo
	Groups    map[string]sdknlb.ServerGroup // by ID
	// PPv2 is each listener's ProxyProtocolV2Config, by listener ID.
	PPv2 map[string]cloudapi.NLBProxyProtocolV2
	// ExtraCerts are the additional certificates of each TCPSSL
	// listener, by listener ID, comma-separated in the API's order.
	ExtraCerts map[string]string
}

// ppv2 renders the ProxyProtocolV2Config of the listener on port and
// protocol as "vpc=B ep=B eps=B" (a field not shown is false).
func (v *nlbView) ppv2(port int, proto string) (string, error) {
	l, err := v.listener(port, proto)
	if err != nil {
		return "", err
	}
	p := v.PPv2[l.ListenerId]
	b := func(x *bool) bool { return x != nil && *x }
	return fmt.Sprintf("vpc=%v ep=%v eps=%v", b(p.VpcID), b(p.EpID), b(p.EpsID)), nil
}

// listener returns the listener on port (the start port of a range) and
// protocol.
func (v *nlbView) listener(port int, proto string) (sdknlb.ListenerInfo, error) {
	for _, l := range v.Listeners {
		if l.ListenerProtocol == proto && (l.ListenerPort == port || l.StartPort == fmt.Sprint(port)) {
			return l, nil
		}
	}
	var have []string
	for _, l := range v.Listeners {
		have = append(have, fmt.Sprintf("%s:%d", l.ListenerProtocol, l.ListenerPort))
	}
	return sdknlb.ListenerInfo{}, fmt.Errorf("no %s listener on %d (listeners: %v)", proto, port, have)
}

// group returns the server group of the listener on port and protocol.
func (v *nlbView) group(port int, proto string) (sdknlb.ServerGroup, error) {
	l, err := v.listener(port, proto)
	if err != nil {
		return sdknlb.ServerGroup{}, err
	}
	g, ok := v.Groups[l.ServerGroupId]
	if !ok {
		return g, fmt.Errorf("listener %s:%d forwards to %q, which is not a server group", proto, port, l.ServerGroupId)
	}
	return g, nil
}

// tag returns the value of tag key on the NLB; ok false when it has none.
func (v *nlbView) tag(key string) (string, bool) {
	for _, t := range v.LB.Tags {
		if t.Key == key {
			return t.Value, true
		}
	}
	return "", false
}

// nlbAPI is an NLB client on the world's emulator, for reading what the
// CCM made as a user would.
func (w *lbWorld) nlbAPI(t *testing.T) *cloudapi.NLB {
	t.Helper()
	c, err := cloudapi.New(cloudapi.Options{
		Region:      w.emu.Region,
		Credentials: credentials.NewStaticAKCredentialsProvider(w.emu.AccessKeyID, w.emu.AccessKeySecret),
		SLB:         cloudapi.ProductOptions{Endpoint: w.emu.APIURL, RateLimit: cloudapi.RateLimit{QPS: -1}},
		VPC:         cloudapi.ProductOptions{Endpoint: w.emu.APIURL, RateLimit: cloudapi.RateLimit{QPS: -1}},
		ECS:         cloudapi.ProductOptions{Endpoint: w.emu.APIURL, RateLimit: cloudapi.RateLimit{QPS: -1}},
		NLB:         cloudapi.ProductOptions{Endpoint: w.emu.APIURL, RateLimit: cloudapi.RateLimit{QPS: -1}},
	})
	if err != nil {
		t.Fatalf("NLB client on the emulator: %v", err)
	}
	return c.NLB
}

// nlbOf reads the NLB with the given ID, or the one whose DNS name the
// Service publishes when id is empty; nil when there is none.
func nlbOf(ctx context.Context, api *cloudapi.NLB, id string, svc *corev1.Service) (*nlbView, error) {
	lbs, err := api.ListAllLoadBalancers(ctx, sdknlb.CreateListLoadBalancersRequest())
	if err != nil {
		return nil, err
	}
	for _, lb := range lbs {
		match := id != "" && lb.LoadBalancerId == id
		if id == "" && svc != nil {
			for _, in := range svc.Status.LoadBalancer.Ingress {
				match = match || in.Hostname != "" && in.Hostname == lb.DNSName
			}
		}
		if !match {
			continue
		}
		v := &nlbView{LB: lb, Groups: map[string]sdknlb.ServerGroup{}}
		lr := sdknlb.CreateListListenersRequest()
		lr.LoadBalancerIds = &[]string{lb.LoadBalancerId}
		if v.Listeners, v.PPv2, err = api.ListAllListenersWithPPv2(ctx, lr); err != nil {
			return nil, err
		}
		v.ExtraCerts = map[string]string{}
		for _, l := range v.Listeners {
			if l.ListenerProtocol != "TCPSSL" {
				continue
			}
			certs, err := api.ListAllListenerCertificates(ctx, l.ListenerId, "Server")
			if err != nil {
				return nil, err
			}
			var extra []string
			for _, c := range certs {
				if !c.IsDefault {
					extra = append(extra, c.CertificateId)
				}
			}
			v.ExtraCerts[l.ListenerId] = strings.Join(extra, ",")
		}
		groups, err := api.ListAllServerGroups(ctx, sdknlb.CreateListServerGroupsRequest())
		if err != nil {
			return nil, err
		}
		for _, g := range groups {
			v.Groups[g.ServerGroupId] = g
		}
		return v, nil
	}
	return nil, nil
}

// nlbExample says how one examples/services/nlb-*.yaml file is checked.
type nlbExample struct {
	// rewrite maps placeholder IDs in the file to emulator resources.
	rewrite func(w *lbWorld) map[string]string
	// check is the state the example asks for; edit changes an annotation
	// of its group and checkEdit is the state after that.
	check, checkEdit func(v *nlbView) error
	edit             func(*corev1.Service)
	// kept: the NLB stays after the Service is deleted (reused, preserved).
	kept bool
}

// vswRewrite maps the examples' vSwitches to the emulator's.
func vswRewrite(w *lbWorld) map[string]string {
	return map[string]string{"vsw-demoh": w.emu.VSwitches[0], "vsw-demoi": w.emu.VSwitches[1]}
}

// want compares got and want, naming what.
func want[T comparable](what string, got, want T) error {
	if got != want {
		return fmt.Errorf("%s = %v, want %v", what, got, want)
	}
	return nil
}

// all returns the first error of errs.
func all(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// nlbExamples has one entry per examples/services/nlb-*.yaml file.
var nlbExamples = map[string]nlbExample{
	"nlb-instance.yaml": {
		rewrite: vswRewrite,
		check: func(v *nlbView) error {
			env, _ := v.tag("env")
			zones := make([]string, 0, len(v.LB.ZoneMappings))
			for _, z := range v.LB.ZoneMappings {
				zones = append(zones, z.ZoneId)
			}
			sort.Strings(zones)
			return all(want("name", v.LB.LoadBalancerName, "nginx-nlb"), want("address type", v.LB.AddressType, "Internet"),
				want("zones", strings.Join(zones, ","), "cn-hangzhou-h,cn-hangzhou-i"), want("tag env", env, "demo"),
				want("cross-zone", v.LB.CrossZoneEnabled, true), want("deletion protection", v.LB.DeletionProtectionConfig.Enabled, true),
				want("modification protection", v.LB.ModificationProtectionConfig.Status, "ConsoleProtection"))
		},
		edit: setAnnotations("name", "nginx-nlb-renamed", "cross-zone-enabled", "off", "additional-resource-tags", "env=prod,team=web"),
		checkEdit: func(v *nlbView) error {
			env, _ := v.tag("env")
			return all(want("name", v.LB.LoadBalancerName, "nginx-nlb-renamed"), want("cross-zone", v.LB.CrossZoneEnabled, false), want("tag env", env, "prod"))
		},
	},
	"nlb-dualstack.yaml": {
		rewrite: vswRewrite,
		check: func(v *nlbView) error {
			return all(want("address type", v.LB.AddressType, "Intranet"), want("IP version", v.LB.AddressIpVersion, "DualStack"),
				want("IPv6 address type", v.LB.Ipv6AddressType, "Internet"))
		},
		edit: setAnnotations("name", "dualstack-renamed", "ipv6-address-type", "intranet"),
		checkEdit: func(v *nlbView) error {
			return all(want("name", v.LB.LoadBalancerName, "dualstack-renamed"), want("IPv6 address type", v.LB.Ipv6AddressType, "Intranet"))
		},
		kept: true,
	},
	"nlb-listener-tcpssl.yaml": {
		rewrite: vswRewrite,
		check: func(v *nlbView) error {
			l, err := v.listener(443, "TCPSSL")
			if err != nil {
				return err
			}
			return all(want("certificates", strings.Join(l.CertificateIds, ","), "1234567890123456_demo_cert"),
				want("additional certificates", v.ExtraCerts[l.ListenerId], "1234567890123456_demo_cert2"),
				want("CA certificates", strings.Join(l.CaCertificateIds, ","), "1234567890123456_demo_ca"), want("CA", l.CaEnabled, true),
				want("TLS policy", l.SecurityPolicyId, "tls_cipher_policy_1_2"), want("ALPN", l.AlpnEnabled, true),
				want("ALPN policy", l.AlpnPolicy, "HTTP2Optional"), want("cps", l.Cps, 10000), want("idle timeout", l.IdleTimeout, 300))
		},
		// The additional certificate becomes the default one, the default
		// one an additional one, and a third is added: the API takes that
		// only in order (disassociate, update, associate).
		edit: setAnnotations("cps", "20000", "tls-cipher-policy", "tls_cipher_policy_1_1",
			"cert-id", "1234567890123456_demo_cert2", "additional-cert-ids", "1234567890123456_demo_cert,1234567890123456_demo_cert3"),
		checkEdit: func(v *nlbView) error {
			l, err := v.listener(443, "TCPSSL")
			if err != nil {
				return err
			}
			return all(want("cps", l.Cps, 20000), want("TLS policy", l.SecurityPolicyId, "tls_cipher_policy_1_1"),
				want("certificates", strings.Join(l.CertificateIds, ","), "1234567890123456_demo_cert2"),
				want("additional certificates", v.ExtraCerts[l.ListenerId], "1234567890123456_demo_cert,1234567890123456_demo_cert3"))
		},
	},
	"nlb-listener-proxy.yaml": {
		rewrite: vswRewrite,
		check: func(v *nlbView) error {
			tcp, err := v.listener(53, "TCP")
			if err != nil {
				return err
			}
			udp, err := v.listener(53, "UDP")
			if err != nil {
				return err
			}
			tcpPP, _ := v.ppv2(53, "TCP")
			udpPP, _ := v.ppv2(53, "UDP")
			return all(want("tcp proxy protocol", tcp.ProxyProtocolEnabled, true), want("udp proxy protocol", udp.ProxyProtocolEnabled, true),
				want("udp idle timeout", udp.IdleTimeout, 60), want("tcp ppv2", tcpPP, "vpc=true ep=true eps=true"),
				want("udp ppv2", udpPP, "vpc=true ep=true eps=true"))
		},
		edit: setAnnotations("ppv2-pvl-vpc-id-enabled", "off", "ppv2-pvl-eps-id-enabled", ""),
		checkEdit: func(v *nlbView) error {
			l, err := v.listener(53, "TCP")
			if err != nil {
				return err
			}
			// An extra set off changes; one whose annotation is removed is
			// left as it is, as every other listener attribute.
			pp, _ := v.ppv2(53, "TCP")
			return all(want("proxy protocol", l.ProxyProtocolEnabled, true), want("tcp ppv2", pp, "vpc=false ep=true eps=true"))
		},
	},
	"nlb-server-group.yaml": {
		rewrite: vswRewrite,
		check: func(v *nlbView) error {
			g, err := v.group(80, "TCP")
			if err != nil {
				return err
			}
			hc := g.HealthCheck
			return all(want("scheduler", g.Scheduler, "Wlc"), want("type", g.ServerGroupType, "Instance"),
				want("client IP", g.PreserveClientIpEnabled, true), want("drain", g.ConnectionDrainEnabled, true),
				want("drain timeout", g.ConnectionDrainTimeout, 30), want("health check", hc.HealthCheckEnabled, true),
				want("check type", hc.HealthCheckType, "HTTP"), want("check path", hc.HealthCheckUrl, "/healthz"),
				want("check interval", hc.HealthCheckInterval, 10), want("check method", hc.HttpCheckMethod, "GET"),
				want("check codes", strings.Join(hc.HealthCheckHttpCode, ","), "http_2xx,http_3xx"))
		},
		edit: setAnnotations("scheduler", "rr", "health-check-interval", "20"),
		checkEdit: func(v *nlbView) error {
			g, err := v.group(80, "TCP")
			if err != nil {
				return err
			}
			return all(want("scheduler", g.Scheduler, "Rr"), want("check interval", g.HealthCheck.HealthCheckInterval, 20))
		},
	},
	"nlb-port-range.yaml": {
		rewrite: vswRewrite,
		check: func(v *nlbView) error {
			l, err := v.listener(7000, "TCP")
			if err != nil {
				return err
			}
			g, err := v.group(7000, "TCP")
			if err != nil {
				return err
			}
			return all(want("ports", l.StartPort+"-"+l.EndPort, "7000-7100"), want("group type", g.ServerGroupType, "Ip"))
		},
		edit: setAnnotations("listener-port-range", "7000-7200:7000"),
		checkEdit: func(v *nlbView) error {
			l, err := v.listener(7000, "TCP")
			if err != nil {
				return err
			}
			return want("ports", l.StartPort+"-"+l.EndPort, "7000-7200")
		},
	},
	"nlb-reuse.yaml": {
		check: func(v *nlbView) error {
			l, err := v.listener(80, "TCP")
			if err != nil {
				return err
			}
			return all(want("NLB", v.LB.LoadBalancerId, reusedNLB), want("listener group", l.ServerGroupId, sharedNLBSGP))
		},
		edit:      setAnnotations("weight", "30"),
		checkEdit: func(v *nlbView) error { return want("NLB", v.LB.LoadBalancerId, reusedNLB) },
		kept:      true,
	},
}

// seedNLBExamples adds the user's resources the NLB examples refer to: the
// security group nlb-instance.yaml joins, and the NLB with a server group
// of the user's that nlb-reuse.yaml reuses.
func (w *lbWorld) seedNLBExamples(t *testing.T) {
	err := w.emu.Emulator.Seed(emulator.SeedState{
		SecurityGroups:  []emulator.SecurityGroup{{SecurityGroupID: "sg-demo-nlb", Name: "users-sg", VpcID: w.emu.VpcID}},
		NLBServerGroups: []emulator.SeedNLBServerGroup{{ServerGroupID: sharedNLBSGP, Name: "shared", VpcID: w.emu.VpcID}},
		NLBs: []emulator.SeedNLB{{LoadBalancerID: reusedNLB, Name: "users-nlb", VpcID: w.emu.VpcID,
			Zones: []emulator.SeedNLBZone{{ZoneID: w.emu.Zones[0], VSwitchID: w.emu.VSwitches[0]}, {ZoneID: w.emu.Zones[1], VSwitchID: w.emu.VSwitches[1]}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestNLBAnnotations applies every examples/services/nlb-*.yaml file as
// it is (bar the rewritten vSwitch IDs) on the real binary, checks the NLB
// it asks for, edits annotations of its group and checks the change, then
// deletes it and checks the cleanup; and checks that invalid annotations
// give a Warning Event naming key and value and no cloud write.
func TestNLBAnnotations(t *testing.T) {
	w := newLBWorld(t)
	api := w.nlbAPI(t)
	w.seedNLBExamples(t)

	t.Run("invalid annotations", func(t *testing.T) { w.testNLBInvalidAnnotations(t, api) })

	files, _ := filepath.Glob(filepath.Join("..", "..", "examples", "services", "nlb-*.yaml"))
	sort.Strings(files)
	if len(files) < 4 {
		t.Fatalf("found %d examples/services/nlb-*.yaml files, expected at least 4", len(files))
	}
	for _, f := range files {
		base := filepath.Base(f)
		ex, ok := nlbExamples[base]
		if !ok {
			t.Errorf("%s has no entry in nlbExamples: say what it must converge to", base)
			continue
		}
		t.Run(base, func(t *testing.T) { w.runNLBExample(t, api, f, ex) })
	}
}

func (w *lbWorld) runNLBExample(t *testing.T, api *cloudapi.NLB, file string, ex nlbExample) {
	var rewrite map[string]string
	if ex.rewrite != nil {
		rewrite = ex.rewrite(w)
	}
	svc := readService(t, file, rewrite)
	svc.Namespace = "default"
	ctx := framework.Ctx(t)
	if _, err := w.cs.CoreV1().Services(svc.Namespace).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc = w.waitIngress(t, svc.Namespace, svc.Name)
	var id string
	w.waitNLB(t, api, svc, "the example's NLB", func(v *nlbView) error {
		id = v.LB.LoadBalancerId
		return ex.check(v)
	})
	if ex.edit != nil {
		w.updateService(t, svc.Namespace, svc.Name, ex.edit)
		w.waitNLB(t, api, svc, "the edit", ex.checkEdit)
	}
	w.deleteAndWait(t, svc.Namespace, svc.Name)
	v, err := nlbOf(ctx, api, id, nil)
	switch {
	case err != nil:
		t.Fatal(err)
	case ex.kept && v == nil:
		t.Errorf("NLB %s is gone after the delete; it must stay", id)
	case !ex.kept && v != nil:
		t.Errorf("NLB %s is still there after the delete", id)
	}
}

// waitNLB waits until check passes on the Service's NLB.
func (w *lbWorld) waitNLB(t *testing.T, api *cloudapi.NLB, svc *corev1.Service, what string, check func(*nlbView) error) {
	t.Helper()
	var last error
	framework.WaitFor(t, lbTimeout, what, func() (bool, error) {
		cur := w.getService(t, svc.Namespace, svc.Name)
		v, err := nlbOf(framework.Ctx(t), api, "", cur)
		switch {
		case err != nil:
			return false, err
		case v == nil:
			last = fmt.Errorf("no NLB with the DNS name in the status %v", cur.Status.LoadBalancer.Ingress)
			return false, nil
		}
		last = check(v)
		return last == nil, nil
	})
	if last != nil {
		t.Fatal(last)
	}
}

// testNLBInvalidAnnotations: a new NLB Service with bad annotations, and
// an NLB Service edited to a bad value, get a Warning Event naming every
// bad key and value, and the CCM writes nothing.
func (w *lbWorld) testNLBInvalidAnnotations(t *testing.T, api *cloudapi.NLB) {
	bad := map[string]string{"zone-maps": "cn-hangzhou-h", "cps": "-1", "scheduler": "qch", "listener-port-range": "8000-8100:80"}
	w.emu.Emulator.ResetAudit()
	invalid := map[string]string{}
	for k, v := range bad {
		invalid[annoPrefix+k] = v
	}
	w.createAnnotatedNLB(t, "nlb-invalid", invalid)
	ev := w.waitEventWith(t, "default", "nlb-invalid", "InvalidLoadBalancerAnnotation", annoPrefix+"listener-port-range")
	for k, v := range bad {
		if !strings.Contains(ev.Message, fmt.Sprintf("%s%s=%q", annoPrefix, k, v)) {
			t.Errorf("event %q does not name %s=%q", ev.Message, k, v)
		}
	}
	time.Sleep(6 * time.Second) // past the service controller's first retry
	if wr := w.allWrites(); len(wr) != 0 {
		t.Errorf("cloud writes for an invalid NLB Service: %v", wr)
	}
	if in := w.getService(t, "default", "nlb-invalid").Status.LoadBalancer.Ingress; len(in) != 0 {
		t.Errorf("the invalid NLB Service got an address: %v", in)
	}
	w.deleteAndWait(t, "default", "nlb-invalid")
	if wr := w.allWrites(); len(wr) != 0 {
		t.Errorf("deleting the invalid NLB Service wrote %v", wr)
	}

	// A served Service edited to a bad value keeps its NLB untouched.
	zones := fmt.Sprintf("%s:%s,%s:%s", w.emu.Zones[0], w.emu.VSwitches[0], w.emu.Zones[1], w.emu.VSwitches[1])
	w.createAnnotatedNLB(t, "nlb-edited", map[string]string{annoPrefix + "zone-maps": zones})
	svc := w.waitIngress(t, "default", "nlb-edited")
	w.waitNLB(t, api, svc, "the NLB of nlb-edited", func(v *nlbView) error { return want("status", v.LB.LoadBalancerStatus, "Active") })
	w.emu.Emulator.ResetAudit()
	w.updateService(t, "default", "nlb-edited", setAnnotations("idle-timeout", "5", "health-check-domain", "$_ip"))
	ev = w.waitEventWith(t, "default", "nlb-edited", "InvalidLoadBalancerAnnotation", annoPrefix+"idle-timeout")
	for _, want := range []string{annoPrefix + `idle-timeout="5"`, annoPrefix + `health-check-domain="$_ip"`} {
		if !strings.Contains(ev.Message, want) {
			t.Errorf("event %q does not name %s", ev.Message, want)
		}
	}
	// The controller retries a failed reconcile: the second Event proves
	// the retry wrote nothing either.
	framework.WaitFor(t, lbTimeout, "a retry of the bad edit", func() (bool, error) {
		return w.eventCount(t, "default", "nlb-edited", "InvalidLoadBalancerAnnotation") >= 2, nil
	})
	if wr := w.allWrites(); len(wr) != 0 {
		t.Errorf("writes after the bad edit: %v", wr)
	}
	if in := w.getService(t, "default", "nlb-edited").Status.LoadBalancer.Ingress; len(in) == 0 {
		t.Error("the bad edit removed the Service's address")
	}
	w.deleteAndWait(t, "default", "nlb-edited")
}

// createAnnotatedNLB creates an NLB Service (by class) with annotations,
// serving port 80.
func (w *lbWorld) createAnnotatedNLB(t *testing.T, name string, annotations map[string]string) {
	t.Helper()
	class := nlbClass
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Annotations: annotations},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, LoadBalancerClass: &class, Selector: map[string]string{"app": name},
			Ports: []corev1.ServicePort{{Name: "tcp", Port: 80, TargetPort: intstr.FromInt32(80), Protocol: corev1.ProtocolTCP}}},
	}
	if _, err := w.cs.CoreV1().Services("default").Create(framework.Ctx(t), svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// waitEventWith waits for an Event of reason on name whose message
// contains sub.
func (w *lbWorld) waitEventWith(t *testing.T, ns, name, reason, sub string) corev1.Event {
	t.Helper()
	var ev corev1.Event
	framework.WaitFor(t, lbTimeout, "event "+reason+" on "+name+" naming "+sub, func() (bool, error) {
		evs, err := w.cs.CoreV1().Events(ns).List(framework.Ctx(t), metav1.ListOptions{FieldSelector: "involvedObject.name=" + name})
		if err != nil {
			return false, err
		}
		i := slices.IndexFunc(evs.Items, func(e corev1.Event) bool { return e.Reason == reason && strings.Contains(e.Message, sub) })
		if i >= 0 {
			ev = evs.Items[i]
		}
		return i >= 0, nil
	})
	return ev
}

// eventCount is the number of Events of reason on name.
func (w *lbWorld) eventCount(t *testing.T, ns, name, reason string) int {
	evs, err := w.cs.CoreV1().Events(ns).List(framework.Ctx(t), metav1.ListOptions{FieldSelector: "involvedObject.name=" + name})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs.Items {
		if e.Reason == reason {
			n += int(e.Count)
		}
	}
	return n
}
