package cloudprovider

import (
	"errors"
	"fmt"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	k8scloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"
)

// ErrNodeIndexNotReady is returned by nodeIndex.Get before Initialize ran or
// before the node cache synced.
var ErrNodeIndexNotReady = errors.New("node cache not ready yet")

// nodeIndex gives capabilities read access to Node objects by name (the
// route controller, for one, only passes node names), so lookups cost no
// API call. In the binary it reads the framework's shared node informer
// (SetInformers), the one cache of Nodes every controller reads: a second
// informer would keep a second copy of every Node, 5,000 of them in a
// large cluster. A provider the framework never hands its informers
// (tests, tools) starts an informer of its own at the first lookup.
type nodeIndex struct {
	mu     sync.RWMutex
	lister corelisters.NodeLister
	synced cache.InformerSynced
	// startOwn starts the index's own informer (set by start, dropped by
	// use); it runs once, at the first lookup without a shared informer.
	startOwn func()
}

// start lets the index start its own node informer with the provider's
// client, at its first lookup unless use hands it the shared one first
// (the framework calls Initialize, then SetInformers, then starts the
// controllers).
func (n *nodeIndex) start(builder k8scloudprovider.ControllerClientBuilder, stop <-chan struct{}) {
	own := sync.OnceFunc(func() {
		client, err := builder.Client(providerClientName)
		if err != nil {
			klog.ErrorS(err, "No Kubernetes client for the node cache")
			return
		}
		factory := informers.NewSharedInformerFactory(client, 10*time.Minute)
		inf := factory.Core().V1().Nodes()
		n.mu.Lock()
		n.lister, n.synced = inf.Lister(), inf.Informer().HasSynced
		n.mu.Unlock()
		factory.Start(stop)
	})
	n.mu.Lock()
	if n.lister == nil {
		n.startOwn = own
	}
	n.mu.Unlock()
}

// use makes the index read a shared node informer (started by its owner)
// instead of starting its own.
func (n *nodeIndex) use(inf coreinformers.NodeInformer) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.lister, n.synced, n.startOwn = inf.Lister(), inf.Informer().HasSynced, nil
}

// SetInformers is k8scloudprovider.InformerUser: the framework hands the
// provider its shared informers after Initialize and starts them with its
// controllers; the node index reads the shared node informer.
func (c *Cloud) SetInformers(factory informers.SharedInformerFactory) {
	c.nodes.use(factory.Core().V1().Nodes())
}

// cache returns the lister and its sync check, starting the index's own
// informer first when it has neither yet but may start one.
func (n *nodeIndex) cache() (corelisters.NodeLister, cache.InformerSynced) {
	n.mu.RLock()
	lister, synced, own := n.lister, n.synced, n.startOwn
	n.mu.RUnlock()
	if lister == nil && own != nil {
		own()
		n.mu.RLock()
		lister, synced = n.lister, n.synced
		n.mu.RUnlock()
	}
	return lister, synced
}

// Get returns the named node from the cache.
func (n *nodeIndex) Get(name string) (*v1.Node, error) {
	lister, synced := n.cache()
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
	lister, synced := n.cache()
	if lister == nil || !synced() {
		return nil, ErrNodeIndexNotReady
	}
	return lister.List(everything)
}
