// Package endpoints is the controller that keeps load balancer members
// (CLB vServer groups, NLB server groups) in step with a LoadBalancer
// Service's endpoints. The framework's service controller reacts only to
// Service and Node changes; this controller watches EndpointSlices (and
// Nodes for drains), coalesces bursts per Service and re-syncs only the
// members through the engine of the Service's product (the provider's
// product selection dispatches by annotations.ProductOf): the same code
// path and the same per-Service lock as EnsureLoadBalancer, so the two
// never race, and never a listener or instance call.
//
// At construction it installs an informer-backed source of EndpointSlices,
// Nodes and ENI lookups in the pod backend slot the provider built the
// engine with (loadbalancer.PodBackendSlot, handed over by the provider's
// EndpointBackends), so the framework's own reconciles build the same
// members.
package endpoints

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/time/rate"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	discoveryinformers "k8s.io/client-go/informers/discovery/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	cloudproviderapi "k8s.io/cloud-provider/api"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/podbackends"
)

// ControllerName is the controller's name for --controllers (e.g.
// --controllers=*,-service-endpoints switches it off). It is on by default.
const ControllerName = "service-endpoints"

// Defaults of Options.
const (
	// DefaultCoalesce is how long a Service waits after its first change
	// before it is synced: a rolling update's burst of slice updates then
	// costs one sync.
	DefaultCoalesce = time.Second
	// DefaultWorkers is the number of Services synced at once. A sync
	// mostly waits for its API answers (about six calls: the CLB, its
	// groups, each group's members, one replace per group), so a worker
	// syncs one to three Services a second; two workers left the SLB
	// client-side limit unused while changed Services waited (S5:
	// 25 of 40 calls/s). With eight, the client-side limiter, shared with
	// the service controller, sets the pace.
	DefaultWorkers = 8
	// syncTimeout bounds one Service's sync.
	syncTimeout = 2 * time.Minute
)

// Syncer is what the controller drives: the provider's product selection,
// which sends each Service's backend sync to its product's engine (the
// CLB engine's SyncBackends, the NLB engine's UpdateLoadBalancer);
// *loadbalancer.Reconciler implements it for CLB Services alone.
type Syncer = loadbalancer.BackendSyncer

// Options tune the controller.
type Options struct {
	// Coalesce is the delay before a changed Service is synced
	// (DefaultCoalesce).
	Coalesce time.Duration
	// Workers is the number of concurrent syncs (DefaultWorkers).
	Workers int
}

// Controller syncs load balancer members on endpoint and node changes.
type Controller struct {
	syncer   Syncer
	services corelisters.ServiceLister
	nodes    corelisters.NodeLister
	source   *podbackends.Source
	synced   []cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[string]
	opts     Options
}

// New builds the controller on the framework's informers, installs its
// endpoint source in pods (the slot the engine was built with) and
// registers the event handlers. The informers are started by the caller
// (the framework starts its shared informer factory after every
// controller was constructed).
func New(syncer Syncer, pods *loadbalancer.PodBackendSlot, services coreinformers.ServiceInformer, slices discoveryinformers.EndpointSliceInformer,
	nodes coreinformers.NodeInformer, resolver *podbackends.Resolver, opts Options) (*Controller, error) {
	if syncer == nil {
		return nil, errors.New("endpoints controller: no load balancer engine")
	}
	if pods == nil {
		return nil, errors.New("endpoints controller: no pod backend slot to install its source in")
	}
	if opts.Coalesce <= 0 {
		opts.Coalesce = DefaultCoalesce
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	// Per-Service exponential backoff for retries (unresolved ENIs, API
	// errors), capped at 5 minutes like the framework's service queue,
	// plus an overall bucket so a storm of failures cannot flood the API.
	limiter := workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[string](2*time.Second, 5*time.Minute),
		&workqueue.TypedBucketRateLimiter[string]{Limiter: rate.NewLimiter(rate.Limit(10), 100)},
	)
	c := &Controller{
		syncer:   syncer,
		services: services.Lister(),
		nodes:    nodes.Lister(),
		synced:   []cache.InformerSynced{services.Informer().HasSynced, slices.Informer().HasSynced, nodes.Informer().HasSynced},
		queue:    workqueue.NewTypedRateLimitingQueueWithConfig(limiter, workqueue.TypedRateLimitingQueueConfig[string]{Name: ControllerName}),
		opts:     opts,
	}
	c.source = podbackends.NewSource(slices.Lister(), nodes.Lister(), resolver, c.synced...)
	if err := c.source.IndexSlices(slices.Informer()); err != nil {
		// Without the index each sync matches the namespace's slices instead.
		klog.ErrorS(err, "EndpointSlices are found by label selector")
	}
	c.source.OnIncomplete = func(svc *v1.Service) { c.queue.AddRateLimited(svc.Namespace + "/" + svc.Name) }
	pods.Set(c.source)
	if _, err := slices.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.onSlice(nil, obj) },
		UpdateFunc: c.onSlice,
		DeleteFunc: func(obj any) { c.onSlice(obj, nil) },
	}); err != nil {
		return nil, fmt.Errorf("endpoints controller: EndpointSlice handler: %w", err)
	}
	if _, err := nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: c.onNodeUpdate,
		DeleteFunc: c.onNodeDelete,
	}); err != nil {
		return nil, fmt.Errorf("endpoints controller: Node handler: %w", err)
	}
	return c, nil
}

// Run syncs until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	klog.InfoS("Starting controller", "controller", ControllerName)
	defer klog.InfoS("Stopping controller", "controller", ControllerName)
	if !cache.WaitForNamedCacheSync(ControllerName, ctx.Done(), c.synced...) {
		return
	}
	for range c.opts.Workers {
		go wait.UntilWithContext(ctx, c.worker, time.Second)
	}
	<-ctx.Done()
}

func (c *Controller) worker(ctx context.Context) {
	for c.next(ctx) {
	}
}

func (c *Controller) next(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	err := c.sync(ctx, key)
	var inc *loadbalancer.IncompleteBackendsError
	var retry *cloudproviderapi.RetryError
	switch {
	case err == nil:
		c.queue.Forget(key)
	case errors.As(err, &inc):
		klog.V(2).InfoS("Pods without ENI; retrying", "service", key, "ips", inc.IPs)
		c.queue.AddRateLimited(key)
	case errors.As(err, &retry):
		// The engine knows when to look again (an NLB job still runs):
		// its delay, not the backoff, which would grow while nothing failed.
		klog.V(2).InfoS("Members not synced yet; retrying", "service", key, "reason", err, "retryIn", retry.RetryAfter())
		c.queue.Forget(key)
		c.queue.AddAfter(key, retry.RetryAfter())
	default:
		klog.ErrorS(err, "Syncing load balancer members failed; retrying", "service", key)
		c.queue.AddRateLimited(key)
	}
	return true
}

// sync converges the members of one Service. A Service without an
// address yet is left to the framework, which creates its CLB with the
// same members.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil // not a key of ours; nothing to retry
	}
	svc, err := c.services.Services(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading service %s: %w", key, err)
	}
	if !managed(svc) || len(svc.Status.LoadBalancer.Ingress) == 0 {
		return nil
	}
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	start := time.Now()
	if err := c.syncer.SyncBackends(ctx, svc, nodes); err != nil {
		return err
	}
	klog.V(4).InfoS("Synced load balancer members", "service", key, "duration", time.Since(start))
	return nil
}

// managed reports whether svc is a LoadBalancer Service whose load
// balancer this CCM handles: a CLB or NLB Service, not another
// controller's class. (The syncer leaves a Service alone whose load
// balancer is of the other product than it asks for: a refused switch.)
func managed(svc *v1.Service) bool {
	if svc.DeletionTimestamp != nil || svc.Spec.Type != v1.ServiceTypeLoadBalancer {
		return false
	}
	p := annotations.ProductOf(svc)
	return p == annotations.ProductCLB || p == annotations.ProductNLB
}
