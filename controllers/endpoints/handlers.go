package endpoints

import (
	"reflect"

	v1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/podbackends"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/nodeclass"
)

// enqueue schedules a Service's sync after the coalescing delay; further
// changes within the delay fold into the same sync (the queue holds each
// key once).
func (c *Controller) enqueue(svc *v1.Service) {
	c.queue.AddAfter(svc.Namespace+"/"+svc.Name, c.opts.Coalesce)
}

// onSlice reacts to an EndpointSlice change that can change members:
// any change of endpoints or ports for Local and ENI Services, and for
// Cluster Services only changes touching a virtual node (ECI pods are
// members; other endpoints are not, the nodes are).
func (c *Controller) onSlice(oldObj, newObj any) {
	oldS, newS := asSlice(oldObj), asSlice(newObj)
	if oldS != nil && newS != nil && reflect.DeepEqual(oldS.Endpoints, newS.Endpoints) && reflect.DeepEqual(oldS.Ports, newS.Ports) {
		return // resync or metadata-only update
	}
	s := newS
	if s == nil {
		s = oldS
	}
	if s == nil {
		return
	}
	name := s.Labels[discoveryv1.LabelServiceName]
	if name == "" {
		return
	}
	svc, err := c.services.Services(s.Namespace).Get(name)
	if err != nil || !managed(svc) {
		return
	}
	policy, ok := c.syncer.BackendPolicy(svc)
	if !ok {
		return // the framework reports the bad annotation; nothing to sync
	}
	if policy == podbackends.PolicyCluster && !c.touchesVirtualNode(oldS) && !c.touchesVirtualNode(newS) {
		return
	}
	c.enqueue(svc)
}

// touchesVirtualNode reports whether a slice has an endpoint on a
// virtual-kubelet node.
func (c *Controller) touchesVirtualNode(s *discoveryv1.EndpointSlice) bool {
	if s == nil {
		return false
	}
	for _, e := range s.Endpoints {
		if e.NodeName == nil {
			continue
		}
		if n, err := c.nodes.Get(*e.NodeName); err == nil && nodeclass.IsVirtual(n) {
			return true
		}
	}
	return false
}

// onNodeUpdate reacts to node changes the framework ignores: cordon and
// autoscaler-taint changes (drains, remove-unscheduled-backend) and a
// node becoming or ceasing to be a virtual node. Node additions and
// deletions are the framework's (UpdateLoadBalancer).
func (c *Controller) onNodeUpdate(oldObj, newObj any) {
	oldN, ok1 := oldObj.(*v1.Node)
	newN, ok2 := newObj.(*v1.Node)
	if !ok1 || !ok2 {
		return
	}
	virtual := nodeclass.IsVirtual(oldN) != nodeclass.IsVirtual(newN)
	draining := podbackends.IsDraining(oldN) != podbackends.IsDraining(newN)
	cordon := oldN.Spec.Unschedulable != newN.Spec.Unschedulable
	if !virtual && !draining && !cordon {
		return
	}
	c.enqueueServices(func(svc *v1.Service) bool {
		return virtual || (draining && wantsDrain(svc)) || (cordon && removesUnscheduled(svc))
	})
}

// onNodeDelete resyncs Services that kept the node at weight 0 (drains:
// the framework already dropped such a node from its set, so it does not
// resync them) and, for a virtual node, every Service.
func (c *Controller) onNodeDelete(obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	n, ok := obj.(*v1.Node)
	if !ok {
		return
	}
	virtual := nodeclass.IsVirtual(n)
	c.enqueueServices(func(svc *v1.Service) bool { return virtual || wantsDrain(svc) })
}

// enqueueServices enqueues every managed Service that match accepts.
func (c *Controller) enqueueServices(match func(*v1.Service) bool) {
	svcs, err := c.services.List(labels.Everything())
	if err != nil {
		klog.ErrorS(err, "Listing services", "controller", ControllerName)
		return
	}
	for _, svc := range svcs {
		if managed(svc) && match(svc) {
			c.enqueue(svc)
		}
	}
}

func wantsDrain(svc *v1.Service) bool {
	on, err := annotations.ParseDrain(svc)
	return err == nil && on
}

func removesUnscheduled(svc *v1.Service) bool { return annotations.RemoveUnscheduled(svc) }

func asSlice(obj any) *discoveryv1.EndpointSlice {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	s, _ := obj.(*discoveryv1.EndpointSlice)
	return s
}
