package nlbservice

import (
	"context"
	"errors"
	"fmt"
	"slices"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"
	cloudproviderapi "k8s.io/cloud-provider/api"
	servicehelper "k8s.io/cloud-provider/service/helpers"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/nodeclass"
)

// Event reasons, the framework's service controller's, so the Events of an
// NLB Service read as those of any other LoadBalancer Service.
const (
	ReasonEnsuring           = "EnsuringLoadBalancer"
	ReasonEnsured            = "EnsuredLoadBalancer"
	ReasonSyncFailed         = "SyncLoadBalancerFailed"
	ReasonDeleting           = "DeletingLoadBalancer"
	ReasonDeleted            = "DeletedLoadBalancer"
	ReasonUpdated            = "UpdatedLoadBalancer"
	ReasonUpdateFailed       = "UpdateLoadBalancerFailed"
	ReasonUnavailableBackend = "UnAvailableLoadBalancer"
)

// sync converges one Service: its NLB ensured, or deleted when the
// Service goes. A Service already gone needs nothing: the finalizer kept
// it until its NLB was deleted.
func (c *Controller) sync(ctx context.Context, k string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(k)
	if err != nil {
		return nil // not a key of ours; nothing to retry
	}
	svc, err := c.services.Services(ns).Get(name)
	switch {
	case apierrors.IsNotFound(err):
		c.forgetNodes(k)
		return nil
	case err != nil:
		return fmt.Errorf("reading Service %s: %w", k, err)
	}
	// The informer's object is shared: never modify it.
	svc = svc.DeepCopy()
	switch {
	case needsCleanup(svc):
		return c.delete(ctx, svc)
	case ours(svc) && svc.DeletionTimestamp == nil:
		return c.ensure(ctx, svc)
	}
	return nil
}

// ensure adds the finalizer before the first cloud write, runs the
// provider and publishes the status.
func (c *Controller) ensure(ctx context.Context, svc *v1.Service) error {
	c.recorder.Event(svc, v1.EventTypeNormal, ReasonEnsuring, "Ensuring load balancer")
	if err := c.addFinalizer(ctx, svc); err != nil {
		return c.failed(svc, fmt.Errorf("failed to add load balancer cleanup finalizer: %w", err))
	}
	nodes, err := c.candidates()
	if err != nil {
		return err
	}
	if len(nodes) == 0 {
		c.recorder.Event(svc, v1.EventTypeWarning, ReasonUnavailableBackend, "There are no available nodes for LoadBalancer")
	}
	previous := svc.Status.LoadBalancer.DeepCopy()
	st, err := c.lb.EnsureLoadBalancer(ctx, c.opts.ClusterName, svc, nodes)
	if err != nil {
		return c.failed(svc, fmt.Errorf("failed to ensure load balancer: %w", err))
	}
	if st == nil {
		return c.failed(svc, errors.New("service status returned by EnsureLoadBalancer is nil"))
	}
	c.storeNodes(key(svc), nodes)
	c.recorder.Event(svc, v1.EventTypeNormal, ReasonEnsured, "Ensured load balancer")
	return c.patchStatus(ctx, svc, previous, st)
}

// delete removes what the CCM made for svc, then the finalizer, then the
// published status.
func (c *Controller) delete(ctx context.Context, svc *v1.Service) error {
	c.recorder.Event(svc, v1.EventTypeNormal, ReasonDeleting, "Deleting load balancer")
	if err := c.lb.EnsureLoadBalancerDeleted(ctx, c.opts.ClusterName, svc); err != nil {
		return c.failed(svc, fmt.Errorf("failed to delete load balancer: %w", err))
	}
	previous := svc.Status.LoadBalancer.DeepCopy()
	if err := c.removeFinalizer(ctx, svc); err != nil {
		return c.failed(svc, fmt.Errorf("failed to remove load balancer cleanup finalizer: %w", err))
	}
	c.forgetNodes(key(svc))
	c.recorder.Event(svc, v1.EventTypeNormal, ReasonDeleted, "Deleted load balancer")
	return c.patchStatus(ctx, svc, previous, &v1.LoadBalancerStatus{})
}

// failed records the Warning Event of a failed sync and returns err. A
// retry error is no failure (an NLB job still runs): it is only logged.
func (c *Controller) failed(svc *v1.Service, err error) error {
	var retry *cloudproviderapi.RetryError
	if !errors.As(err, &retry) {
		c.recorder.Eventf(svc, v1.EventTypeWarning, ReasonSyncFailed, "Error syncing load balancer: %v", err)
	}
	return err
}

// candidates are the nodes the framework would pass
// (nodeclass.LoadBalancerNodes).
func (c *Controller) candidates() ([]*v1.Node, error) {
	all, err := c.nodes.List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("listing nodes: %w", err)
	}
	return nodeclass.LoadBalancerNodes(all), nil
}

// addFinalizer patches this controller's finalizer onto svc, in place of
// the framework's if an earlier version put that one there (and keeps
// svc's copy in step, so a later status patch does not drop it).
func (c *Controller) addFinalizer(_ context.Context, svc *v1.Service) error {
	if slices.Contains(svc.Finalizers, Finalizer) && !servicehelper.HasLBFinalizer(svc) {
		return nil
	}
	updated := svc.DeepCopy()
	updated.Finalizers = slices.DeleteFunc(updated.Finalizers, func(f string) bool { return f == servicehelper.LoadBalancerCleanupFinalizer })
	if !slices.Contains(updated.Finalizers, Finalizer) {
		updated.Finalizers = append(updated.Finalizers, Finalizer)
	}
	klog.V(2).InfoS("Adding the NLB cleanup finalizer", "service", klog.KObj(svc), "finalizer", Finalizer)
	if _, err := servicehelper.PatchService(c.client.CoreV1(), svc, updated); err != nil {
		return err
	}
	svc.Finalizers = updated.Finalizers
	return nil
}

// removeFinalizer patches this controller's finalizer off svc (and the
// framework's, if an earlier version added it: see hasFinalizer).
func (c *Controller) removeFinalizer(_ context.Context, svc *v1.Service) error {
	if !hasFinalizer(svc) {
		return nil
	}
	updated := svc.DeepCopy()
	legacy := svc.Spec.LoadBalancerClass != nil // the framework's finalizer is ours only on an NLB-class Service
	updated.Finalizers = slices.DeleteFunc(updated.Finalizers, func(f string) bool {
		return f == Finalizer || legacy && f == servicehelper.LoadBalancerCleanupFinalizer
	})
	klog.V(2).InfoS("Removing the NLB cleanup finalizer", "service", klog.KObj(svc), "finalizer", Finalizer)
	if _, err := servicehelper.PatchService(c.client.CoreV1(), svc, updated); err != nil {
		return err
	}
	svc.Finalizers = updated.Finalizers
	return nil
}

// patchStatus publishes st unless it is what svc already shows. A Service
// gone after its finalizer was removed is no error.
func (c *Controller) patchStatus(_ context.Context, svc *v1.Service, previous, st *v1.LoadBalancerStatus) error {
	if servicehelper.LoadBalancerStatusEqual(previous, st) {
		return nil
	}
	updated := svc.DeepCopy()
	updated.Status.LoadBalancer = *st
	klog.V(2).InfoS("Patching the load balancer status", "service", klog.KObj(svc))
	if _, err := servicehelper.PatchService(c.client.CoreV1(), svc, updated); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("failed to update load balancer status: %w", err)
	}
	return nil
}
