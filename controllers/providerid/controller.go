// Package providerid back-fills spec.providerID on running nodes that lack
// it. The framework's cloud-node controller only initialises nodes that
// carry the node.cloudprovider.kubernetes.io/uninitialized taint (kubelet
// started with --cloud-provider=external); nodes that joined without the
// taint and without --provider-id are never given a providerID, and then
// routes and load-balancer backends silently skip them. This controller
// finds each such node's ECS instance (by a <region>.<instance-id> node
// name, else by InternalIP in the VPC, batched, else through the metadata
// service for the CCM's own node) and sets spec.providerID to
// "<region>.<instance-id>". Virtual-kubelet nodes, tainted nodes (the
// framework's job) and nodes that already have a providerID are skipped.
// A node with no or several matching instances gets a Warning Event.
//
// The package also holds the node-initor (see RunNodeInitor), which does
// the same for its own node from the metadata service, for users who
// prefer the deployment guide's BroadcastJob.
package providerid

import (
	"context"
	"fmt"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	k8scloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/instances"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/nodeclass"
)

// Event reasons recorded on nodes.
const (
	// EventReasonProviderIDSet: the controller set spec.providerID.
	EventReasonProviderIDSet = "ProviderIDSet"
	// EventReasonInstanceNotFound: no ECS instance matches the node.
	EventReasonInstanceNotFound = "ProviderIDInstanceNotFound"
	// EventReasonInstanceAmbiguous: several ECS instances match the node.
	EventReasonInstanceAmbiguous = "ProviderIDInstanceAmbiguous"
	// EventReasonLookupFailed: the ECS API could not be asked.
	EventReasonLookupFailed = "ProviderIDLookupFailed"
)

// Defaults of Options.
const (
	// DefaultWorkers is high on purpose: lookups by IP coalesce into one
	// DescribeInstances call per 100 concurrent nodes.
	DefaultWorkers = 50
	// DefaultRecheck is how long a node without a match waits before it is
	// looked up again (a data-centre node never matches; the lookup result
	// is cached anyway).
	DefaultRecheck = 10 * time.Minute
)

// Resolver tells which ECS instance a node is; *alicloud.Cloud implements it.
type Resolver interface {
	ResolveNode(ctx context.Context, node *v1.Node) (instances.Resolution, error)
}

// Options configure New.
type Options struct {
	// Workers is the number of nodes handled concurrently; default DefaultWorkers.
	Workers int
	// Recheck is the delay before a node without a match is tried again;
	// default DefaultRecheck.
	Recheck time.Duration
}

// Controller sets spec.providerID on untainted nodes that lack it.
type Controller struct {
	client   kubernetes.Interface
	lister   corelisters.NodeLister
	synced   cache.InformerSynced
	resolver Resolver
	inst     k8scloudprovider.InstancesV2
	recorder record.EventRecorder
	queue    workqueue.TypedRateLimitingInterface[string]
	opts     Options
}

// New builds the controller on the shared node informer. inst confirms the
// resolved instance exists before its ID is written (providerID is
// immutable once set).
func New(client kubernetes.Interface, nodes coreinformers.NodeInformer, resolver Resolver, inst k8scloudprovider.InstancesV2,
	recorder record.EventRecorder, opts Options) (*Controller, error) {
	if client == nil || nodes == nil || resolver == nil || inst == nil || recorder == nil {
		return nil, fmt.Errorf("%s controller: client, node informer, resolver, instances and recorder are required", ControllerName)
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.Recheck <= 0 {
		opts.Recheck = DefaultRecheck
	}
	c := &Controller{
		client: client, lister: nodes.Lister(), synced: nodes.Informer().HasSynced,
		resolver: resolver, inst: inst, recorder: recorder, opts: opts,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: ControllerName}),
	}
	_, err := nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.enqueue,
		UpdateFunc: func(old, obj interface{}) {
			// Kubelet's status reports would otherwise re-run the lookup
			// (and re-record its Warning) for an unmatched node every few
			// seconds instead of every Recheck.
			if relevantChange(old, obj) {
				c.enqueue(obj)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("%s controller: watching nodes: %w", ControllerName, err)
	}
	return c, nil
}

// needsProviderID reports whether node is this controller's business.
func needsProviderID(node *v1.Node) bool {
	// An uninitialized node is the framework's cloud-node controller's.
	return node.Spec.ProviderID == "" && !nodeclass.IsVirtual(node) && !nodeclass.IsUninitialized(node)
}

// relevantChange reports whether an update touched what the lookup uses:
// the providerID, taints, labels or addresses.
func relevantChange(oldObj, newObj interface{}) bool {
	o, ok1 := oldObj.(*v1.Node)
	n, ok2 := newObj.(*v1.Node)
	if !ok1 || !ok2 {
		return true
	}
	return o.Spec.ProviderID != n.Spec.ProviderID ||
		!equality.Semantic.DeepEqual(o.Spec.Taints, n.Spec.Taints) ||
		!equality.Semantic.DeepEqual(o.Labels, n.Labels) ||
		!equality.Semantic.DeepEqual(o.Status.Addresses, n.Status.Addresses)
}

func (c *Controller) enqueue(obj interface{}) {
	node, ok := obj.(*v1.Node)
	if !ok || !needsProviderID(node) {
		return
	}
	c.queue.Add(node.Name)
}

// Run processes nodes until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	klog.InfoS("Starting controller", "controller", ControllerName, "workers", c.opts.Workers)
	if !cache.WaitForNamedCacheSyncWithContext(ctx, c.synced) {
		return
	}
	for i := 0; i < c.opts.Workers; i++ {
		go wait.UntilWithContext(ctx, c.worker, time.Second)
	}
	<-ctx.Done()
	klog.InfoS("Stopping controller", "controller", ControllerName)
}

func (c *Controller) worker(ctx context.Context) {
	for c.next(ctx) {
	}
}

func (c *Controller) next(ctx context.Context) bool {
	name, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(name)
	recheck, err := c.sync(ctx, name)
	switch {
	case err != nil:
		klog.ErrorS(err, "Setting the node's providerID failed; retrying", "node", name)
		c.queue.AddRateLimited(name)
	case recheck:
		c.queue.Forget(name)
		c.queue.AddAfter(name, c.opts.Recheck)
	default:
		c.queue.Forget(name)
	}
	return true
}

// sync handles one node. recheck asks for a later retry without an error
// (no instance matched yet).
func (c *Controller) sync(ctx context.Context, name string) (recheck bool, err error) {
	node, err := c.lister.Get(name)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("node %q: %w", name, err)
	}
	if !needsProviderID(node) {
		return false, nil
	}
	res, err := c.resolver.ResolveNode(ctx, node)
	if err != nil {
		c.recorder.Eventf(node, v1.EventTypeWarning, EventReasonLookupFailed, "Looking up the node's ECS instance failed: %v", err)
		return false, err
	}
	switch res.Kind {
	case instances.KindECS:
	case instances.KindAmbiguous:
		c.recorder.Eventf(node, v1.EventTypeWarning, EventReasonInstanceAmbiguous,
			"InternalIPs %s match several ECS instances (%s); not setting spec.providerID. Start kubelet with --provider-id=<region>.<instance-id>",
			strings.Join(res.IPs, ", "), strings.Join(res.Candidates, ", "))
		return true, nil
	case instances.KindNotFound:
		c.recorder.Eventf(node, v1.EventTypeWarning, EventReasonInstanceNotFound,
			"No ECS instance in the VPC has the node's InternalIPs [%s]; not setting spec.providerID. If this is an ECS instance, "+
				"start kubelet with --provider-id=<region>.<instance-id> (from http://100.100.100.200/latest/meta-data/region-id and instance-id)",
			strings.Join(res.IPs, ", "))
		return true, nil
	default:
		klog.V(4).InfoS("Node is not an ECS instance of this region; leaving it alone", "node", name, "kind", res.Kind)
		return false, nil
	}
	// providerID cannot be changed once set: confirm ECS has the instance
	// (a name-derived ID is otherwise unchecked). The lookup is cached.
	md, err := c.inst.InstanceMetadata(ctx, node)
	if err != nil {
		c.recorder.Eventf(node, v1.EventTypeWarning, EventReasonLookupFailed, "Checking ECS instance %s failed: %v", res.ID.InstanceID, err)
		return false, err
	}
	if md.ProviderID != res.ID.String() {
		return false, fmt.Errorf("node %q: resolved %s but instance metadata gave providerID %q", name, res.ID, md.ProviderID)
	}
	return false, c.patch(ctx, node, md.ProviderID, res.Via)
}

// patch sets spec.providerID, guarded by the node's resourceVersion so a
// concurrent writer (kubelet, the framework) is never overwritten.
func (c *Controller) patch(ctx context.Context, node *v1.Node, providerID, via string) error {
	body := fmt.Sprintf(`{"metadata":{"resourceVersion":%q},"spec":{"providerID":%q}}`, node.ResourceVersion, providerID)
	_, err := c.client.CoreV1().Nodes().Patch(ctx, node.Name, types.MergePatchType, []byte(body), metav1PatchOptions)
	if err != nil {
		return fmt.Errorf("node %q: setting spec.providerID to %s: %w", node.Name, providerID, err)
	}
	klog.InfoS("Set the node's providerID", "node", node.Name, "providerID", providerID, "via", via)
	c.recorder.Eventf(node, v1.EventTypeNormal, EventReasonProviderIDSet, "Set spec.providerID to %s (ECS instance found by %s)", providerID, via)
	return nil
}
