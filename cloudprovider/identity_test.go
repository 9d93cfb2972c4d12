package cloudprovider

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	restclient "k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"
	k8scloudprovider "k8s.io/cloud-provider"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/emulator"
)

// fakeBuilder is the framework's client builder over a fake clientset.
type fakeBuilder struct {
	client kubernetes.Interface
	err    error
}

func (b *fakeBuilder) Config(string) (*restclient.Config, error) { return &restclient.Config{}, b.err }
func (b *fakeBuilder) ConfigOrDie(string) *restclient.Config     { return &restclient.Config{} }
func (b *fakeBuilder) Client(string) (kubernetes.Interface, error) {
	if b.err != nil {
		return nil, b.err
	}
	return b.client, nil
}
func (b *fakeBuilder) ClientOrDie(string) kubernetes.Interface { return b.client }

var _ k8scloudprovider.ControllerClientBuilder = (*fakeBuilder)(nil)

// routedCloud builds the provider on the emulator with routes enabled:
// instance i-master is a route target, the cluster CIDR 172.16.0.0/16.
func routedCloud(t *testing.T, clusterID string) (*Cloud, *emulator.Servers) {
	t.Helper()
	srv := startEmulator(t)
	g := endpoints(srv)
	g["accessKeyID"] = base64.StdEncoding.EncodeToString([]byte(testKeyID))
	g["accessKeySecret"] = base64.StdEncoding.EncodeToString([]byte(testKeySecret))
	g["region"] = "cn-hangzhou"
	if clusterID != "" {
		g["clusterID"] = clusterID
	}
	c, err := NewFromFile(writeConfig(t, g), Options{ClusterCIDR: "172.16.0.0/16", SkipDisableSourceDestCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

// routeMarker writes node m's route through the provider and returns the
// description the VPC stores: it names the cluster identity in use.
func routeMarker(t *testing.T, c *Cloud) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := c.nodes.Get("m"); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("node cache: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	rt, _ := c.Routes()
	if err := rt.CreateRoute(ctx, "kubernetes", "", &k8scloudprovider.Route{TargetNode: "m", DestinationCIDR: "172.16.3.0/24"}); err != nil {
		t.Fatal(err)
	}
	sys := ""
	for _, tb := range c.clientsVPCTables(t) {
		sys = tb
	}
	req := vpc.CreateDescribeRouteEntryListRequest()
	req.RouteTableId = sys
	req.RouteEntryType = "Custom"
	entries, err := c.clients.VPC.ListRouteEntries(ctx, req)
	if err != nil || len(entries) != 1 {
		t.Fatalf("route entries = %+v, %v; want one", entries, err)
	}
	return entries[0].Description
}

// clientsVPCTables lists the route tables of the provider's VPC.
func (c *Cloud) clientsVPCTables(t *testing.T) []string {
	t.Helper()
	req := vpc.CreateDescribeRouteTableListRequest()
	req.VpcId = c.cfg.Global.VpcID
	resp, err := c.clients.VPC.DescribeRouteTableList(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tb := range resp.RouterTableList.RouterTableListType {
		out = append(out, tb.RouteTableId)
	}
	return out
}

// TestClusterIdentity is the table of where the cluster identity of the
// ownership marks comes from: Global.clusterID, else the kube-system UID;
// the old shared default only when the namespace may not be read or there
// is no client at all. It is checked where it matters: the marker in the
// description of a route the provider writes.
func TestClusterIdentity(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "namespaces"}, "kube-system", errors.New("RBAC"))
	tests := []struct {
		name       string
		configured string
		noBuilder  bool
		builderErr error
		getErrs    []error // answers to the namespace GETs before success
		want       string
		wantGets   int
	}{
		{name: "Global.clusterID wins, no API read", configured: "cfg-id", want: "cfg-id", wantGets: 0},
		{name: "kube-system UID", want: "uid-kube-system", wantGets: 1},
		{name: "forbidden: legacy default, no retry", getErrs: []error{forbidden}, want: loadbalancer.LegacyClusterID, wantGets: 1},
		{name: "API error: retried until the UID is read", getErrs: []error{apierrors.NewInternalError(errors.New("etcd"))},
			want: "uid-kube-system", wantGets: 2},
		{name: "no client: legacy default", builderErr: errors.New("no kubeconfig"), want: loadbalancer.LegacyClusterID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each case has its own emulator and clientset
			c, _ := routedCloud(t, tc.configured)
			client := fake.NewSimpleClientset(
				&v1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kube-system", UID: types.UID("uid-kube-system")}},
				&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "m"}, Spec: v1.NodeSpec{ProviderID: "cn-hangzhou.i-master", PodCIDR: "172.16.3.0/24",
					PodCIDRs: []string{"172.16.3.0/24"}}})
			var gets atomic.Int32
			client.PrependReactor("get", "namespaces", func(k8stesting.Action) (bool, runtime.Object, error) {
				n := int(gets.Add(1))
				if n <= len(tc.getErrs) {
					return true, nil, tc.getErrs[n-1]
				}
				return false, nil, nil
			})
			stop := make(chan struct{})
			defer close(stop)
			// The node cache needs a client even when the identity has none.
			c.nodes.start(&fakeBuilder{client: client}, stop)
			b := &fakeBuilder{client: client, err: tc.builderErr}
			c.resolveClusterID(b, stop)
			if got := int(gets.Load()); got != tc.wantGets {
				t.Errorf("%d namespace reads, want %d", got, tc.wantGets)
			}
			if d := routeMarker(t, c); !strings.Contains(d, "(cluster "+tc.want+")") {
				t.Errorf("route description %q, want the marker of cluster %q", d, tc.want)
			}
		})
	}
}

// TestClusterIdentityStops: a provider stopped while the API server is
// unreachable returns instead of retrying for ever.
func TestClusterIdentityStops(t *testing.T) {
	c, _ := routedCloud(t, "")
	client := fake.NewSimpleClientset()
	client.PrependReactor("get", "namespaces", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewServiceUnavailable("down")
	})
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		c.resolveClusterID(&fakeBuilder{client: client}, stop)
		close(done)
	}()
	time.Sleep(50 * time.Millisecond)
	close(stop)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("resolveClusterID kept retrying after stop")
	}
}

// TestRoutesClusterIDBeforeInitialize: until Initialize resolves the
// identity, route markers use Global.clusterID or the old default.
func TestRoutesClusterIDBeforeInitialize(t *testing.T) {
	for in, want := range map[string]string{"": loadbalancer.LegacyClusterID, "c-1": "c-1"} {
		if got := routesClusterID(in); got != want {
			t.Errorf("routesClusterID(%q) = %q, want %q", in, got, want)
		}
	}
}
