package cloudprovider

import (
	"errors"
	"fmt"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	k8scloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"
)

// ErrNodeIndexNotReady is returned by nodeIndex.Get before Initialize ran or
// before the node cache synced.
var ErrNodeIndexNotReady = errors.New("node cache not ready yet")

// nodeIndex gives capabilities read access to Node objects by name (the
// route controller, for one, only passes node names). It is backed by an
// informer started in Initialize with the framework's client, so lookups
// cost no API call.
type nodeIndex struct {
	mu     sync.RWMutex
	lister corelisters.NodeLister
	synced cache.InformerSynced
}

// start creates and starts the node informer.
func (n *nodeIndex) start(builder k8scloudprovider.ControllerClientBuilder, stop <-chan struct{}) {
	client, err := builder.Client(providerClientName)
	if err != nil {
		klog.ErrorS(err, "No Kubernetes client for the node cache")
		return
	}
	factory := informers.NewSharedInformerFactory(client, 10*time.Minute)
	inf := factory.Core().V1().Nodes()
	n.mu.Lock()
	n.lister = inf.Lister()
	n.synced = inf.Informer().HasSynced
	n.mu.Unlock()
	factory.Start(stop)
}

// Get returns the named node from the cache.
func (n *nodeIndex) Get(name string) (*v1.Node, error) {
	n.mu.RLock()
	lister, synced := n.lister, n.synced
	n.mu.RUnlock()
	if lister == nil || !synced() {
		return nil, ErrNodeIndexNotReady
	}
	node, err := lister.Get(name)
	if err != nil {
		return nil, fmt.Errorf("node %q: %w", name, err)
	}
	return node, nil
}

// List returns every node in the cache.
func (n *nodeIndex) List() ([]*v1.Node, error) {
	n.mu.RLock()
	lister, synced := n.lister, n.synced
	n.mu.RUnlock()
	if lister == nil || !synced() {
		return nil, ErrNodeIndexNotReady
	}
	return lister.List(everything)
}
