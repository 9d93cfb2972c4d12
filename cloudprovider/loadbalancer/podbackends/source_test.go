package podbackends

import (
	"context"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	v1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
)

// newTestSource is a Source over indexers holding the given objects.
func newTestSource(t *testing.T, resolver *Resolver, synced []bool, objs ...any) *Source {
	t.Helper()
	slices := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	nodes := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	for _, o := range objs {
		var err error
		switch o.(type) {
		case *discoveryv1.EndpointSlice:
			err = slices.Add(o)
		case *v1.Node:
			err = nodes.Add(o)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	var fs []cache.InformerSynced
	for _, s := range synced {
		fs = append(fs, func() bool { return s })
	}
	return NewSource(discoverylisters.NewEndpointSliceLister(slices), corelisters.NewNodeLister(nodes), resolver, fs...)
}

func labelledSlice(ns, name, service string) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
		Labels: map[string]string{discoveryv1.LabelServiceName: service}}}
}

// TestSourceReads: the Service's slices are those of its namespace with
// its service-name label; Nodes are every cached Node; Node finds one by
// name.
func TestSourceReads(t *testing.T) {
	s := newTestSource(t, nil, nil,
		labelledSlice("ns", "web-1", "web"), labelledSlice("ns", "web-2", "web"),
		labelledSlice("ns", "api-1", "api"), labelledSlice("other", "web-3", "web"),
		&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}, &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n2"}})
	got, err := s.EndpointSlices(&v1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web"}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, sl := range got {
		names = append(names, sl.Name)
	}
	sort.Strings(names)
	if want := []string{"web-1", "web-2"}; !reflect.DeepEqual(names, want) {
		t.Errorf("slices %v, want %v", names, want)
	}
	nodes, err := s.Nodes()
	if err != nil || len(nodes) != 2 {
		t.Errorf("Nodes = %d, %v; want 2", len(nodes), err)
	}
	// Node is the cached object itself, by name.
	for _, tc := range []struct {
		name string
		ok   bool
	}{{"n1", true}, {"n2", true}, {"n3", false}, {"", false}} {
		n, ok := s.Node(tc.name)
		if ok != tc.ok || (ok && n.Name != tc.name) || (!ok && n != nil) {
			t.Errorf("Node(%q) = %v, %v; want found %v", tc.name, n, ok, tc.ok)
		}
	}
}

// TestSourceSynced: the source is usable only when every cache synced.
func TestSourceSynced(t *testing.T) {
	for _, tc := range []struct {
		synced []bool
		want   bool
	}{
		{nil, true},
		{[]bool{true, true}, true},
		{[]bool{true, false}, false},
		{[]bool{false}, false},
	} {
		if got := newTestSource(t, nil, tc.synced).Synced(); got != tc.want {
			t.Errorf("Synced with %v = %v, want %v", tc.synced, got, tc.want)
		}
	}
}

// TestSourceWithoutResolver reports every IP missing, so nothing is
// removed; Incomplete reaches OnIncomplete when one is set.
func TestSourceWithoutResolver(t *testing.T) {
	s := newTestSource(t, nil, nil)
	res, err := s.Resolve(context.Background(), []string{"192.168.0.1", "192.168.0.2"})
	if err != nil || len(res.ENI) != 0 || !reflect.DeepEqual(res.Missing, []string{"192.168.0.1", "192.168.0.2"}) {
		t.Errorf("Resolve = %+v, %v; want every IP missing", res, err)
	}
	svc := &v1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web"}}
	s.Incomplete(svc) // no callback: nothing happens
	var got []string
	s.OnIncomplete = func(svc *v1.Service) { got = append(got, svc.Namespace+"/"+svc.Name) }
	s.Incomplete(svc)
	if !reflect.DeepEqual(got, []string{"ns/web"}) {
		t.Errorf("OnIncomplete calls %v", got)
	}
}

// TestSourceResolvesThroughResolver: with a resolver the answer is the
// resolver's.
func TestSourceResolvesThroughResolver(t *testing.T) {
	c := &scriptedCloud{cidr: "192.168.0.0/16", enis: []ecs.NetworkInterfaceSet{eni("eni-a", "Secondary", "192.168.0.2")}}
	s := newTestSource(t, NewResolver(c, c, "vpc-1"), nil)
	res, err := s.Resolve(context.Background(), []string{"192.168.0.2"})
	if err != nil || res.ENI["192.168.0.2"] != "eni-a" {
		t.Errorf("Resolve = %+v, %v", res, err)
	}
}

// TestSourceIndexedSlices: with IndexSlices the Service's slices come from
// the informer's index, the same ones the label selector finds (its
// namespace, its service-name label; slices of other Services, other
// namespaces or without the label are not), and follow the cache; a second
// source on the same informer shares the index.
func TestSourceIndexedSlices(t *testing.T) {
	noLabel := labelledSlice("ns", "orphan", "")
	delete(noLabel.Labels, discoveryv1.LabelServiceName)
	cs := fake.NewClientset(labelledSlice("ns", "web-1", "web"), labelledSlice("ns", "web-2", "web"),
		labelledSlice("ns", "api-1", "api"), labelledSlice("other", "web-3", "web"), noLabel)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := informers.NewSharedInformerFactory(cs, 0)
	inf := f.Discovery().V1().EndpointSlices()
	indexed := NewSource(inf.Lister(), nil, nil)
	if err := indexed.IndexSlices(inf.Informer()); err != nil {
		t.Fatal(err)
	}
	f.Start(ctx.Done())
	f.WaitForCacheSync(ctx.Done())
	second := NewSource(inf.Lister(), nil, nil)
	if err := second.IndexSlices(inf.Informer()); err != nil {
		t.Fatalf("a second source on the informer: %v", err)
	}
	selector := NewSource(inf.Lister(), nil, nil)
	names := func(s *Source, ns, name string) []string {
		t.Helper()
		got, err := s.EndpointSlices(&v1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}})
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, sl := range got {
			out = append(out, sl.Namespace+"/"+sl.Name)
		}
		sort.Strings(out)
		return out
	}
	tests := []struct {
		ns, name string
		want     []string
	}{
		{"ns", "web", []string{"ns/web-1", "ns/web-2"}},
		{"ns", "api", []string{"ns/api-1"}},
		{"other", "web", []string{"other/web-3"}},
		{"ns", "none", []string{}},
		{"ns", "", []string{}},
	}
	for _, tc := range tests {
		for _, s := range []*Source{indexed, second, selector} {
			if got := names(s, tc.ns, tc.name); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s/%s: slices %v, want %v (indexed %v)", tc.ns, tc.name, got, tc.want, s.byService != nil)
			}
		}
	}
	// A new slice of the Service reaches the index.
	if _, err := cs.DiscoveryV1().EndpointSlices("ns").Create(ctx, labelledSlice("ns", "web-4", "web"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(names(indexed, "ns", "web")) != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the index never showed the new slice: %v", names(indexed, "ns", "web"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
