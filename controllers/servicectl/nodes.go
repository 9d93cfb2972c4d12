// Package servicectl starts the framework's service controller
// (k8s.io/cloud-provider/controllers/service) as the framework does, but
// hands it a node informer whose events all carry one key.
//
// Why: the upstream controller queues every Node event under the node's
// name, and each queued name runs a full pass over every LoadBalancer
// Service that lists all nodes and compares two maps of them
// (nodesSufficientlyEqual), although the pass never looks at the name.
// At a start with 5,000 nodes that is 5,000 passes over every Service, one
// after another: profiles of the CCM with 2,000 nodes and 100 Services put
// three quarters of its CPU there minutes after the start, and the maps
// built and dropped by each pass are most of its peak memory. With one key
// the queue folds every event that arrives while a pass waits or runs into
// one more pass, which sees the node set of that moment, so nothing is
// lost: the pass reads the lister, not the event.
package servicectl

import (
	"time"

	v1 "k8s.io/api/core/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// allNodesKey is the one name every node event carries to the upstream
// controller. No Node can have it: names are DNS subdomains, which never
// hold a space.
const allNodesKey = "all nodes"

// oneKeyNodeInformer is a NodeInformer whose handlers see every event
// under allNodesKey; its lister and sync state are the shared informer's.
type oneKeyNodeInformer struct {
	inner coreinformers.NodeInformer
}

// OneKeyNodes wraps a node informer so that the handlers registered
// through it see every Node under one name (see the package comment).
// Updates keep their content (labels, spec, status), so a handler's own
// filter on what changed still works; only the name differs.
func OneKeyNodes(inner coreinformers.NodeInformer) coreinformers.NodeInformer {
	return oneKeyNodeInformer{inner: inner}
}

func (o oneKeyNodeInformer) Informer() cache.SharedIndexInformer {
	return oneKeySharedInformer{SharedIndexInformer: o.inner.Informer()}
}

func (o oneKeyNodeInformer) Lister() corelisters.NodeLister { return o.inner.Lister() }

// oneKeySharedInformer is the shared informer with its handler
// registration wrapped; everything else is the shared informer's.
type oneKeySharedInformer struct {
	cache.SharedIndexInformer
}

func (s oneKeySharedInformer) AddEventHandler(h cache.ResourceEventHandler) (cache.ResourceEventHandlerRegistration, error) {
	return s.SharedIndexInformer.AddEventHandler(oneKeyHandler{h})
}

func (s oneKeySharedInformer) AddEventHandlerWithResyncPeriod(h cache.ResourceEventHandler, resync time.Duration) (cache.ResourceEventHandlerRegistration, error) {
	return s.SharedIndexInformer.AddEventHandlerWithResyncPeriod(oneKeyHandler{h}, resync)
}

func (s oneKeySharedInformer) AddEventHandlerWithOptions(h cache.ResourceEventHandler, opts cache.HandlerOptions) (cache.ResourceEventHandlerRegistration, error) {
	return s.SharedIndexInformer.AddEventHandlerWithOptions(oneKeyHandler{h}, opts)
}

// oneKeyHandler renames the nodes of every event to allNodesKey.
type oneKeyHandler struct {
	inner cache.ResourceEventHandler
}

func (h oneKeyHandler) OnAdd(obj any, initial bool) { h.inner.OnAdd(renamed(obj), initial) }

func (h oneKeyHandler) OnUpdate(oldObj, newObj any) {
	h.inner.OnUpdate(renamed(oldObj), renamed(newObj))
}

func (h oneKeyHandler) OnDelete(obj any) { h.inner.OnDelete(renamed(obj)) }

// renamed is a shallow copy of a Node named allNodesKey, or a deletion
// tombstone keyed allNodesKey; the informer's object is not touched (it is
// shared). Anything else passes unchanged.
func renamed(obj any) any {
	switch o := obj.(type) {
	case *v1.Node:
		// A struct copy: its maps and slices are the informer's, read
		// only, and only the name differs.
		n := *o
		n.Name = allNodesKey
		return &n
	case cache.DeletedFinalStateUnknown:
		// The upstream handler keys a tombstone by its Key.
		return cache.DeletedFinalStateUnknown{Key: allNodesKey, Obj: o.Obj}
	}
	return obj
}
