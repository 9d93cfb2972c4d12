// Package nlbservice is the service controller for Services with
// spec.loadBalancerClass alibabacloud.com/nlb. The framework's service
// controller skips every Service with a class (wantsLoadBalancer in
// k8s.io/cloud-provider controllers/service), and the official CCM serves
// that class with a controller of its own in the same way. This one does
// what the framework's does for the Services it serves, through the same
// provider entry points (the product selection sends the NLB class to the
// NLB engine): the framework's cleanup finalizer added before the first
// cloud write and removed after the delete, the status patched with the
// NLB's hostname, node changes converged with UpdateLoadBalancer, the
// framework's Event reasons, retries with backoff or at the delay an
// api.RetryError names (an NLB job still running).
//
// Services selecting NLB by annotation have no class: the framework's
// service controller serves them through the same provider.
package nlbservice

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	k8scloudprovider "k8s.io/cloud-provider"
	cloudproviderapi "k8s.io/cloud-provider/api"
	servicehelper "k8s.io/cloud-provider/service/helpers"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// ControllerName is the controller's name for --controllers (on by
// default; --controllers=*,-nlb-service switches it off).
const ControllerName = "nlb-service"

// Retry delays of a failed sync, the framework's service controller's.
const (
	minRetryDelay = 5 * time.Second
	maxRetryDelay = 300 * time.Second
)

// DefaultWorkers is the number of Services synced at once when Options
// leave it unset (the framework's --concurrent-service-syncs default).
const DefaultWorkers = 1

// Options tune the controller.
type Options struct {
	// ClusterName is the framework's --cluster-name, passed to the provider.
	ClusterName string
	// Workers is --concurrent-service-syncs.
	Workers int
}

// Controller converges the NLB of every NLB-class Service.
type Controller struct {
	lb       k8scloudprovider.LoadBalancer
	client   kubernetes.Interface
	recorder record.EventRecorder
	opts     Options

	services corelisters.ServiceLister
	nodes    corelisters.NodeLister
	synced   []cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[string]
	// nodeQueue holds one key: "the node set may have changed".
	nodeQueue workqueue.TypedRateLimitingInterface[string]

	mu sync.Mutex
	// lastNodes is, per Service key, the node set its load balancer was
	// last converged to; a node change updates only Services whose set
	// differs. Rebuilt after a restart by each Service's first sync.
	lastNodes map[string][]*v1.Node
}

// nodeSyncKey is the node queue's only key.
const nodeSyncKey = "nodes"

// New builds the controller on the framework's shared informers (started
// by the framework after every controller was constructed).
func New(lb k8scloudprovider.LoadBalancer, client kubernetes.Interface, services coreinformers.ServiceInformer,
	nodes coreinformers.NodeInformer, recorder record.EventRecorder, opts Options) (*Controller, error) {
	if lb == nil || client == nil || services == nil || nodes == nil || recorder == nil {
		return nil, fmt.Errorf("%s controller: load balancer, client, Service and Node informers and recorder are required", ControllerName)
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	c := &Controller{
		lb: lb, client: client, recorder: recorder, opts: opts,
		services: services.Lister(),
		nodes:    nodes.Lister(),
		synced:   []cache.InformerSynced{services.Informer().HasSynced, nodes.Informer().HasSynced},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](minRetryDelay, maxRetryDelay),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: ControllerName}),
		nodeQueue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](minRetryDelay, maxRetryDelay),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: ControllerName + "-nodes"}),
		lastNodes: map[string][]*v1.Node{},
	}
	if _, err := services.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.onServiceAdd,
		UpdateFunc: c.onServiceUpdate,
		DeleteFunc: c.onServiceDelete,
	}); err != nil {
		return nil, fmt.Errorf("%s controller: watching Services: %w", ControllerName, err)
	}
	if _, err := nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { c.nodeQueue.Add(nodeSyncKey) },
		UpdateFunc: c.onNodeUpdate,
		DeleteFunc: func(any) { c.nodeQueue.Add(nodeSyncKey) },
	}); err != nil {
		return nil, fmt.Errorf("%s controller: watching Nodes: %w", ControllerName, err)
	}
	return c, nil
}

// Finalizer guards the cleanup of an NLB-class Service: added before the
// first cloud write, removed once the NLB is deleted. It is the official
// CCM's NLB finalizer, not the framework's
// (service.kubernetes.io/load-balancer-cleanup): the framework's service
// controller deletes the load balancer of every Service carrying its
// finalizer that is being deleted, class or not, so with it each NLB-class
// Service would be deleted twice (both controllers, both sets of Events),
// and the framework would remove the finalizer while the NLB delete still
// waits for its jobs. Sharing the official CCM's name keeps a Service
// moving between the two CCMs guarded.
const Finalizer = "service.k8s.alibaba/nlb"

// hasFinalizer reports whether svc carries this controller's finalizer, or
// the framework's on an NLB-class Service (what this controller added
// before it had its own: it cleans those up too, and replaces the
// framework's with its own at the next sync).
func hasFinalizer(svc *v1.Service) bool {
	return slices.Contains(svc.Finalizers, Finalizer) || svc.Spec.LoadBalancerClass != nil &&
		annotations.ProductOf(svc) == annotations.ProductNLB && servicehelper.HasLBFinalizer(svc)
}

// ours reports whether svc is an NLB-class LoadBalancer Service.
func ours(svc *v1.Service) bool {
	return svc.Spec.Type == v1.ServiceTypeLoadBalancer && svc.Spec.LoadBalancerClass != nil &&
		annotations.ProductOf(svc) == annotations.ProductNLB
}

// needsCleanup reports whether svc's NLB must go: the Service carries this
// controller's finalizer and is being deleted or no longer a LoadBalancer
// (the API server then drops its class, so the finalizer alone says the
// Service was ours).
func needsCleanup(svc *v1.Service) bool {
	if !hasFinalizer(svc) {
		return false
	}
	return svc.DeletionTimestamp != nil || svc.Spec.Type != v1.ServiceTypeLoadBalancer
}

func (c *Controller) onServiceAdd(obj any) {
	if svc, ok := obj.(*v1.Service); ok && (ours(svc) || needsCleanup(svc)) {
		c.enqueue(svc)
	}
}

// onServiceUpdate enqueues a change the load balancer follows: spec,
// annotations, a new UID, the deletion mark. Status patches (ours) and
// resyncs are ignored, as the framework ignores them.
func (c *Controller) onServiceUpdate(oldObj, newObj any) {
	oldS, ok1 := oldObj.(*v1.Service)
	newS, ok2 := newObj.(*v1.Service)
	if !ok1 || !ok2 {
		return
	}
	if needsCleanup(newS) {
		c.enqueue(newS)
		return
	}
	if !ours(oldS) && !ours(newS) {
		return
	}
	if !reflect.DeepEqual(oldS.Spec, newS.Spec) || !reflect.DeepEqual(oldS.Annotations, newS.Annotations) || oldS.UID != newS.UID {
		c.enqueue(newS)
	}
}

func (c *Controller) onServiceDelete(obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	if svc, ok := obj.(*v1.Service); ok {
		c.forgetNodes(key(svc))
	}
}

// onNodeUpdate triggers a node sync on the changes the framework's service
// controller reacts to: the exclusion label's verdict or the providerID.
// Readiness and taints alone do not (the framework's stable node set).
func (c *Controller) onNodeUpdate(oldObj, newObj any) {
	oldN, ok1 := oldObj.(*v1.Node)
	newN, ok2 := newObj.(*v1.Node)
	if !ok1 || !ok2 {
		return
	}
	_, oldEx := oldN.Labels[v1.LabelNodeExcludeBalancers]
	_, newEx := newN.Labels[v1.LabelNodeExcludeBalancers]
	if oldEx != newEx || oldN.Labels[v1.LabelNodeExcludeBalancers] != newN.Labels[v1.LabelNodeExcludeBalancers] ||
		oldN.Spec.ProviderID != newN.Spec.ProviderID {
		c.nodeQueue.Add(nodeSyncKey)
	}
}

func key(svc *v1.Service) string { return svc.Namespace + "/" + svc.Name }

func (c *Controller) enqueue(svc *v1.Service) { c.queue.Add(key(svc)) }

// Run syncs until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	defer c.nodeQueue.ShutDown()
	klog.InfoS("Starting controller", "controller", ControllerName, "workers", c.opts.Workers)
	defer klog.InfoS("Stopping controller", "controller", ControllerName)
	if !cache.WaitForNamedCacheSync(ControllerName, ctx.Done(), c.synced...) {
		return
	}
	for range c.opts.Workers {
		go wait.UntilWithContext(ctx, func(ctx context.Context) {
			for c.next(ctx) {
			}
		}, time.Second)
	}
	// One node worker, as in the framework: it updates the Services in
	// parallel itself.
	go wait.UntilWithContext(ctx, func(ctx context.Context) {
		for c.nextNodes(ctx) {
		}
	}, time.Second)
	<-ctx.Done()
}

// next syncs one Service. A retry error (an NLB job still runs) is
// requeued after the delay it names; other errors with backoff.
func (c *Controller) next(ctx context.Context) bool {
	k, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(k)
	err := c.sync(ctx, k)
	var retry *cloudproviderapi.RetryError
	switch {
	case err == nil:
		c.queue.Forget(k)
	case errors.As(err, &retry):
		klog.V(2).InfoS("NLB not converged yet; retrying", "service", k, "reason", err, "retryIn", retry.RetryAfter())
		c.queue.AddAfter(k, retry.RetryAfter())
	default:
		utilruntime.HandleError(fmt.Errorf("syncing NLB Service %s (retrying with backoff): %w", k, err))
		c.queue.AddRateLimited(k)
	}
	return true
}
