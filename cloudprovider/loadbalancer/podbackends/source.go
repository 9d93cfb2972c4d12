package podbackends

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
)

// Source reads EndpointSlices and Nodes from informer caches and resolves
// ENIs: everything the CLB engine needs to build endpoint-driven members.
// The endpoints controller builds it from the framework's shared informers
// and hands it to the engine, so the framework's reconciles and the
// controller's syncs see the same objects.
type Source struct {
	slices   discoverylisters.EndpointSliceLister
	nodes    corelisters.NodeLister
	synced   []cache.InformerSynced
	resolver *Resolver
	// byService, when set (IndexSlices), indexes the slices by Service.
	byService cache.Indexer

	// OnIncomplete, when set, is called with a Service whose pods could
	// not all be resolved to ENIs, so the caller can retry it later.
	OnIncomplete func(svc *v1.Service)
}

// Incomplete calls OnIncomplete (the engine's incompleteNotifier).
func (s *Source) Incomplete(svc *v1.Service) {
	if s.OnIncomplete != nil {
		s.OnIncomplete(svc)
	}
}

// NewSource returns a Source over the given listers. synced are the
// informers' HasSynced functions; until they all report true the engine
// must not act on the (partial) caches.
func NewSource(slices discoverylisters.EndpointSliceLister, nodes corelisters.NodeLister, resolver *Resolver, synced ...cache.InformerSynced) *Source {
	return &Source{slices: slices, nodes: nodes, resolver: resolver, synced: synced}
}

// Synced reports whether every cache has synced.
func (s *Source) Synced() bool {
	for _, f := range s.synced {
		if !f() {
			return false
		}
	}
	return true
}

// sliceIndex is the name of the EndpointSlice index by Service
// ("<namespace>/<kubernetes.io/service-name>").
const sliceIndex = "alicloud-ccm/service"

// IndexSlices has EndpointSlices look the Service's slices up in an index
// of the informer's cache instead of matching a label selector against
// every slice of the namespace: with 1,000 Services in a namespace, every
// sync matched 1,000 slices. The index is added once per informer (a
// second Source on the same informer shares it); it can be added to a
// running informer.
func (s *Source) IndexSlices(inf cache.SharedIndexInformer) error {
	if _, ok := inf.GetIndexer().GetIndexers()[sliceIndex]; !ok {
		if err := inf.AddIndexers(cache.Indexers{sliceIndex: sliceService}); err != nil {
			return fmt.Errorf("indexing EndpointSlices by Service: %w", err)
		}
	}
	s.byService = inf.GetIndexer()
	return nil
}

// sliceService is the index value of a slice: its namespace and Service.
func sliceService(obj any) ([]string, error) {
	sl, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok || sl.Labels[discoveryv1.LabelServiceName] == "" {
		return nil, nil
	}
	return []string{sl.Namespace + "/" + sl.Labels[discoveryv1.LabelServiceName]}, nil
}

// EndpointSlices returns the Service's slices (label kubernetes.io/service-name).
func (s *Source) EndpointSlices(svc *v1.Service) ([]*discoveryv1.EndpointSlice, error) {
	if s.byService != nil {
		objs, err := s.byService.ByIndex(sliceIndex, svc.Namespace+"/"+svc.Name)
		if err != nil {
			return nil, fmt.Errorf("listing EndpointSlices of %s/%s: %w", svc.Namespace, svc.Name, err)
		}
		out := make([]*discoveryv1.EndpointSlice, 0, len(objs))
		for _, o := range objs {
			if sl, ok := o.(*discoveryv1.EndpointSlice); ok {
				out = append(out, sl)
			}
		}
		return out, nil
	}
	sel := labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: svc.Name})
	out, err := s.slices.EndpointSlices(svc.Namespace).List(sel)
	if err != nil {
		return nil, fmt.Errorf("listing EndpointSlices of %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	return out, nil
}

// Nodes returns every Node in the cache.
func (s *Source) Nodes() ([]*v1.Node, error) {
	out, err := s.nodes.List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("listing nodes: %w", err)
	}
	return out, nil
}

// Node returns the cached Node of this name, false when there is none. It
// is a lookup in the informer's index: no copy, no list.
func (s *Source) Node(name string) (*v1.Node, bool) {
	n, err := s.nodes.Get(name)
	if err != nil {
		return nil, false
	}
	return n, true
}

// Resolve maps pod IPs to ENIs (Resolver.Resolve). Without a resolver
// every IP is reported missing, so nothing is removed.
func (s *Source) Resolve(ctx context.Context, ips []string) (Resolution, error) {
	if s.resolver == nil {
		return Resolution{ENI: map[string]string{}, Missing: ips}, nil
	}
	return s.resolver.Resolve(ctx, ips)
}
