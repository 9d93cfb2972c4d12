package cloudprovider

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	k8scloudprovider "k8s.io/cloud-provider"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/config"
	ccmcreds "github.com/alicloud-ccm/alicloud-ccm/config/credentials"
)

const cleanupFinalizer = "service.kubernetes.io/load-balancer-cleanup"

func finalizedService(fins ...string) *v1.Service {
	return &v1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web", Finalizers: fins},
		Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer}}
}

// TestOfficialFinalizerDrop is the table of when the official CCM's
// finalizer is removed from a migrated Service, and that nothing else is.
func TestOfficialFinalizerDrop(t *testing.T) {
	tests := []struct {
		name      string
		stored    []string // the finalizers the API server has
		seen      []string // the finalizers of the object the framework passed
		noClient  bool
		class     string // spec.loadBalancerClass
		want      []string
		wantErr   string
		wantPatch bool
	}{
		{name: "official among others", stored: []string{cleanupFinalizer, officialCLBFinalizer, "example.com/keep"},
			want: []string{cleanupFinalizer, "example.com/keep"}, wantPatch: true},
		{name: "official alone", stored: []string{officialCLBFinalizer}, want: nil, wantPatch: true},
		{name: "not there: no request", stored: []string{cleanupFinalizer}, want: []string{cleanupFinalizer}},
		{name: "no client before Initialize: nothing done", stored: []string{officialCLBFinalizer}, noClient: true,
			want: []string{officialCLBFinalizer}},
		{name: "list changed since the framework read it: the test op refuses, nothing removed",
			stored: []string{"example.com/new", officialCLBFinalizer}, seen: []string{officialCLBFinalizer, "example.com/new"},
			want: []string{"example.com/new", officialCLBFinalizer}, wantErr: officialCLBFinalizer, wantPatch: true},
		{name: "official NLB finalizer (a migrated NLB Service)", stored: []string{officialNLBFinalizer, cleanupFinalizer},
			want: []string{cleanupFinalizer}, wantPatch: true},
		{name: "both official finalizers, in one patch", stored: []string{officialCLBFinalizer, "example.com/keep", officialNLBFinalizer},
			want: []string{"example.com/keep"}, wantPatch: true},
		{name: "NLB class: the NLB finalizer is the nlb-service controller's and stays", class: "alibabacloud.com/nlb",
			stored: []string{officialCLBFinalizer, officialNLBFinalizer}, want: []string{officialNLBFinalizer}, wantPatch: true},
		{name: "NLB class, only the NLB finalizer: no request", class: "alibabacloud.com/nlb",
			stored: []string{officialNLBFinalizer}, want: []string{officialNLBFinalizer}},
		{name: "another class: both official finalizers go", class: "example.com/lb",
			stored: []string{officialCLBFinalizer, officialNLBFinalizer}, want: nil, wantPatch: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client := fake.NewSimpleClientset(finalizedService(tc.stored...))
			f := &finalizerClient{}
			if !tc.noClient {
				f.set(client)
			}
			seen := tc.seen
			if seen == nil {
				seen = tc.stored
			}
			svc := finalizedService(seen...)
			if tc.class != "" {
				svc.Spec.LoadBalancerClass = &tc.class
			}
			err := f.drop(context.Background(), svc)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			got, err := client.CoreV1().Services("default").Get(context.Background(), "web", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Finalizers, tc.want) {
				t.Errorf("finalizers = %v, want %v", got.Finalizers, tc.want)
			}
			patched := slices.ContainsFunc(client.Actions(), func(a k8stesting.Action) bool { return a.GetVerb() == "patch" })
			if patched != tc.wantPatch {
				t.Errorf("patch sent: %v, want %v", patched, tc.wantPatch)
			}
		})
	}
}

// stubLB is an engine whose answers a test sets.
type stubLB struct {
	k8scloudprovider.LoadBalancer
	err error
}

func (s *stubLB) EnsureLoadBalancer(context.Context, string, *v1.Service, []*v1.Node) (*v1.LoadBalancerStatus, error) {
	return &v1.LoadBalancerStatus{Ingress: []v1.LoadBalancerIngress{{IP: "47.0.0.1"}}}, s.err
}

func (s *stubLB) EnsureLoadBalancerDeleted(context.Context, string, *v1.Service) error { return s.err }

// TestMigratingLB: the official finalizer goes only after the engine
// succeeded, on create/update and on delete alike; the engine's status
// passes through either way.
func TestMigratingLB(t *testing.T) {
	for _, engineErr := range []error{nil, errors.New("CLB busy")} {
		for _, op := range []string{"ensure", "delete"} {
			t.Run(op+" "+map[bool]string{true: "ok", false: "failed"}[engineErr == nil], func(t *testing.T) {
				client := fake.NewSimpleClientset(finalizedService(cleanupFinalizer, officialCLBFinalizer))
				fin := &finalizerClient{}
				fin.set(client)
				m := &migratingLB{LoadBalancer: &stubLB{err: engineErr}, fin: fin}
				svc := finalizedService(cleanupFinalizer, officialCLBFinalizer)
				var err error
				if op == "ensure" {
					var st *v1.LoadBalancerStatus
					st, err = m.EnsureLoadBalancer(context.Background(), "kubernetes", svc, nil)
					if st == nil || len(st.Ingress) != 1 {
						t.Errorf("status %v not passed through", st)
					}
				} else {
					err = m.EnsureLoadBalancerDeleted(context.Background(), "kubernetes", svc)
				}
				if !errors.Is(err, engineErr) {
					t.Errorf("err = %v, want %v", err, engineErr)
				}
				got, _ := client.CoreV1().Services("default").Get(context.Background(), "web", metav1.GetOptions{})
				kept := slices.Contains(got.Finalizers, officialCLBFinalizer)
				if kept != (engineErr != nil) || !slices.Contains(got.Finalizers, cleanupFinalizer) {
					t.Errorf("finalizers = %v after engine error %v", got.Finalizers, engineErr)
				}
			})
		}
	}
}

// TestNodeIndex: the node cache refuses to answer before it has synced
// (an empty answer would make every route look orphaned), then reads from
// the informer.
func TestNodeIndex(t *testing.T) {
	n := &nodeIndex{}
	if _, err := n.Get("a"); !errors.Is(err, ErrNodeIndexNotReady) {
		t.Errorf("Get before start: err = %v, want ErrNodeIndexNotReady", err)
	}
	if _, err := n.List(); !errors.Is(err, ErrNodeIndexNotReady) {
		t.Errorf("List before start: err = %v, want ErrNodeIndexNotReady", err)
	}
	client := fake.NewSimpleClientset(&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "a"}}, &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "b"}})
	stop := make(chan struct{})
	defer close(stop)
	n.start(&fakeBuilder{client: client}, stop)
	deadline := time.Now().Add(5 * time.Second)
	for {
		nodes, err := n.List()
		if err == nil && len(nodes) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("List = %d nodes, %v", len(nodes), err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got, err := n.Get("a"); err != nil || got.Name != "a" {
		t.Errorf("Get(a) = %v, %v", got, err)
	}
	if _, err := n.Get("zz"); !apierrors.IsNotFound(err) || !strings.Contains(err.Error(), `"zz"`) {
		t.Errorf("Get(zz): err = %v, want a NotFound naming the node", err)
	}
	// A builder without a client leaves the index unready, not broken.
	m := &nodeIndex{}
	m.start(&fakeBuilder{err: errors.New("no client")}, stop)
	if _, err := m.Get("a"); !errors.Is(err, ErrNodeIndexNotReady) {
		t.Errorf("index without client: err = %v", err)
	}
}

// TestEventSink: before Initialize events are only logged (capabilities
// record them from their first call); afterwards they become Event objects
// from this provider's component.
func TestEventSink(t *testing.T) {
	s := &eventSink{}
	node := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}
	s.Event(node, v1.EventTypeWarning, "Early", "before Initialize")
	s.Eventf(nil, v1.EventTypeNormal, "NoObject", "%d", 1)
	s.AnnotatedEventf(node, map[string]string{"a": "b"}, v1.EventTypeNormal, "Early", "x")

	client := fake.NewSimpleClientset()
	stop := make(chan struct{})
	defer close(stop)
	s.start(&fakeBuilder{client: client}, stop)
	s.Eventf(node, v1.EventTypeWarning, "RouteConflict", "route %s taken", "172.16.1.0/24")
	deadline := time.Now().Add(5 * time.Second)
	for {
		evs, err := client.CoreV1().Events("").List(context.Background(), metav1.ListOptions{})
		if err == nil && len(evs.Items) > 0 {
			e := evs.Items[0]
			if e.Reason != "RouteConflict" || e.Source.Component != eventComponent || e.Message != "route 172.16.1.0/24 taken" ||
				e.InvolvedObject.Name != "n1" {
				t.Errorf("event = %+v", e)
			}
			if len(evs.Items) != 1 {
				t.Errorf("%d events, want only the one recorded after start", len(evs.Items))
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no Event object written: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestClientOptions: every product gets its own endpoint and rate limit
// from the cloud-config; unset values stay zero (the client layer's
// defaults).
func TestClientOptions(t *testing.T) {
	cfg := &config.CloudConfig{}
	g := &cfg.Global
	g.Region, g.Network = "cn-shanghai", "vpc"
	g.SLBEndpoint, g.VPCEndpoint = "http://127.0.0.1:1", "vpc.example.com"
	g.APIQPS = map[string]float64{config.ProductSLB: 5, config.ProductECS: -1}
	g.APIBurst = map[string]int{config.ProductSLB: 7}
	creds := sourcedCreds{credentials.NewStaticAKCredentialsProvider("ak", "sk")}
	got := clientOptions(cfg, creds, Options{UserAgent: "alicloud-ccm/v1"})
	if got.Region != "cn-shanghai" || got.Network != "vpc" || got.UserAgent != "alicloud-ccm/v1" || got.Credentials != creds {
		t.Errorf("options = %+v", got)
	}
	tests := []struct {
		name string
		po   cloudapi.ProductOptions
		want cloudapi.ProductOptions
	}{
		{"slb", got.SLB, cloudapi.ProductOptions{Endpoint: "http://127.0.0.1:1", RateLimit: cloudapi.RateLimit{QPS: 5, Burst: 7}}},
		{"vpc", got.VPC, cloudapi.ProductOptions{Endpoint: "vpc.example.com"}},
		{"ecs", got.ECS, cloudapi.ProductOptions{RateLimit: cloudapi.RateLimit{QPS: -1}}},
	}
	for _, tc := range tests {
		if tc.po.Endpoint != tc.want.Endpoint || tc.po.RateLimit != tc.want.RateLimit {
			t.Errorf("%s = %+v, want %+v", tc.name, tc.po, tc.want)
		}
	}
}

// sourcedCreds gives static test credentials a source.
type sourcedCreds struct {
	*credentials.StaticAKCredentialsProvider
}

func (sourcedCreds) Source() ccmcreds.Source { return "test" }

// TestCapabilities: what the framework is told the provider supports.
func TestCapabilities(t *testing.T) {
	c, _ := routedCloud(t, "c-1")
	if c.ProviderName() != "alicloud" || !c.HasClusterID() {
		t.Errorf("ProviderName %q, HasClusterID %v", c.ProviderName(), c.HasClusterID())
	}
	lb, ok := c.LoadBalancer()
	if _, isMigrating := lb.(*migratingLB); !ok || !isMigrating {
		t.Errorf("LoadBalancer() = %T, %v; want the finalizer-removing wrapper", lb, ok)
	}
	if _, ok := c.Instances(); ok {
		t.Error("Instances (v1) supported; only InstancesV2 is")
	}
	if _, ok := c.InstancesV2(); !ok {
		t.Error("InstancesV2 not supported")
	}
	if _, ok := c.Zones(); ok {
		t.Error("Zones supported; zones come from InstancesV2")
	}
	if _, ok := c.Clusters(); ok {
		t.Error("Clusters supported")
	}
	if _, ok := c.Routes(); !ok {
		t.Error("Routes not supported")
	}
	if r, pods, res := c.EndpointBackends(); r == nil || res == nil || pods == nil || pods != c.podBackends {
		t.Error("EndpointBackends returned no engine or resolver, or not the pod backend slot New built the engine with")
	}
	// A node the provider can resolve, through the interface the
	// node-provider-id controller uses.
	res, err := c.ResolveNode(context.Background(), &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "cn-hangzhou.i-master"}})
	if err != nil || res.ID.InstanceID != "i-master" {
		t.Errorf("ResolveNode = %+v, %v", res, err)
	}
	// Without the instances capability the controller gets an error, not a guess.
	c.instances = nil
	if _, err := c.ResolveNode(context.Background(), &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"}}); err == nil || !strings.Contains(err.Error(), `"n"`) {
		t.Errorf("ResolveNode without instances: err = %v", err)
	}
	c.lb = &stubLB{}
	if lb, ok := c.LoadBalancer(); !ok || lb == nil {
		t.Error("a non-engine load balancer is still offered")
	}
	if r, pods, res := c.EndpointBackends(); r != nil || pods != nil || res != nil {
		t.Error("EndpointBackends offered an engine that is not the CLB reconciler")
	}
	c.lb, c.routes = nil, nil
	if _, ok := c.LoadBalancer(); ok {
		t.Error("nil load balancer reported as supported")
	}
	if _, ok := c.Routes(); ok {
		t.Error("nil routes reported as supported")
	}
}

// TestPreflightStopsOnMissingVPC: a VPC the region does not have is
// reported once, not retried for ever.
func TestPreflightStopsOnMissingVPC(t *testing.T) {
	c, srv := routedCloud(t, "c-1")
	c.cfg.Global.VpcID = "vpc-nope"
	stop := make(chan struct{})
	defer close(stop)
	done := make(chan struct{})
	go func() {
		c.preflight(stop)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("preflight kept going after the VPC was reported missing")
	}
	if n := srv.Emulator.CallCount("DescribeVpcAttribute", ""); n != 1 {
		t.Errorf("%d DescribeVpcAttribute calls, want 1", n)
	}
}

// TestContextFromStop and metaOf are the helpers the sink logs with.
func TestContextFromStop(t *testing.T) {
	stop := make(chan struct{})
	ctx := contextFromStop(stop)
	if ctx.Err() != nil {
		t.Fatal("context done before stop")
	}
	close(stop)
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("context not done after stop")
	}
	if m := metaOf(&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"}}); m.GetName() != "n" {
		t.Errorf("metaOf(node) = %q", m.GetName())
	}
	var notMeta runtime.Object
	if m := metaOf(notMeta); m == nil || m.GetName() != "" {
		t.Errorf("metaOf(nil) = %v, want empty metadata", m)
	}
}
