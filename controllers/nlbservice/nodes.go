package nlbservice

import (
	"context"
	"errors"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/util/workqueue"
	cloudproviderapi "k8s.io/cloud-provider/api"
	"k8s.io/klog/v2"
)

// nextNodes runs one node sync.
func (c *Controller) nextNodes(ctx context.Context) bool {
	k, quit := c.nodeQueue.Get()
	if quit {
		return false
	}
	defer c.nodeQueue.Done(k)
	c.syncNodes(ctx)
	c.nodeQueue.Forget(k)
	return true
}

// syncNodes updates the backends of every NLB-class Service whose load
// balancer was converged to another node set than the current one, as the
// framework's service controller does for the Services it serves. A
// Service whose update fails is requeued for a full sync.
func (c *Controller) syncNodes(ctx context.Context) {
	nodes, err := c.candidates()
	if err != nil {
		utilruntime.HandleError(err)
		c.nodeQueue.AddRateLimited(nodeSyncKey)
		return
	}
	svcs, err := c.services.List(labels.Everything())
	if err != nil {
		utilruntime.HandleError(err)
		c.nodeQueue.AddRateLimited(nodeSyncKey)
		return
	}
	var todo []*v1.Service
	for _, svc := range svcs {
		if !ours(svc) || svc.DeletionTimestamp != nil {
			continue
		}
		if last, ok := c.syncedNodes(key(svc)); ok && !sameNodes(last, nodes) {
			todo = append(todo, svc)
		}
	}
	if len(todo) == 0 {
		return
	}
	klog.V(2).InfoS("Updating the backends of NLB Services to a new node set", "services", len(todo), "nodes", len(nodes))
	workqueue.ParallelizeUntil(ctx, c.opts.Workers, len(todo), func(i int) {
		svc := todo[i]
		err := c.lb.UpdateLoadBalancer(ctx, c.opts.ClusterName, svc, nodes)
		var retry *cloudproviderapi.RetryError
		switch {
		case err == nil:
			c.storeNodes(key(svc), nodes)
			if len(nodes) == 0 {
				c.recorder.Event(svc, v1.EventTypeWarning, ReasonUnavailableBackend, "There are no available nodes for LoadBalancer")
			} else {
				c.recorder.Event(svc, v1.EventTypeNormal, ReasonUpdated, "Updated load balancer with new hosts")
			}
		case errors.As(err, &retry):
			c.queue.AddAfter(key(svc), retry.RetryAfter())
		default:
			c.recorder.Eventf(svc, v1.EventTypeWarning, ReasonUpdateFailed, "Error updating load balancer with new hosts: %v", err)
			c.queue.AddRateLimited(key(svc))
		}
	})
}

// sameNodes reports whether two node sets hold the same nodes with the
// same providerIDs (the framework's nodesSufficientlyEqual).
func sameNodes(a, b []*v1.Node) bool {
	if len(a) != len(b) {
		return false
	}
	m := make(map[string]string, len(a))
	for _, n := range a {
		m[n.Name] = n.Spec.ProviderID
	}
	for _, n := range b {
		if id, ok := m[n.Name]; !ok || id != n.Spec.ProviderID {
			return false
		}
	}
	return true
}

func (c *Controller) storeNodes(k string, nodes []*v1.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastNodes[k] = nodes
}

func (c *Controller) syncedNodes(k string) ([]*v1.Node, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.lastNodes[k]
	return n, ok
}

func (c *Controller) forgetNodes(k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.lastNodes, k)
}
