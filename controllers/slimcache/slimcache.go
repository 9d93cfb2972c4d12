// Package slimcache builds the shared informer factory of the
// cloud-controller-manager with a transform that drops, before an object
// enters any informer's cache, the fields that no controller of this CCM
// reads: metadata.managedFields of every object, and a Node's
// status.images, status.volumesInUse, status.volumesAttached,
// status.capacity and status.allocatable.
//
// Why: the CCM keeps every Node, Service and EndpointSlice of the cluster
// in memory. Kubelet reports up to 50 container images per node
// (--node-status-max-images), each with its repository names and digests,
// often tens of KB per Node; managedFields repeat every field's owner as
// JSON on every object; capacity and allocatable are two maps of
// resource quantities (about a quarter of what is left of a trimmed
// Node). None of them is read by the framework's node, node
// lifecycle, route and service controllers nor by this CCM's own
// controllers and cloud provider (they read labels, taints, the
// providerID, pod CIDRs, addresses and conditions).
//
// Dropping them from the cache never drops them from the cluster: the
// controllers write Nodes and Services with patches computed between two
// copies of the cached object (a dropped field is in neither, so in no
// patch), and the one full update (the cloud-node controller's PUT of a
// Node it initialises) goes to the Node's main resource, where the API
// server keeps the stored status and, for a request without
// managedFields, the stored managedFields.
// https://kubernetes.io/docs/reference/using-api/server-side-apply/#clearing-managedfields
package slimcache

import (
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
)

// Transform is the informers' cache.TransformFunc. client-go hands it each
// object fresh from a list or watch, before any handler or cache sees it,
// so it trims the object in place. It is idempotent, and anything that is
// not an API object (e.g. a deletion tombstone, whose object was trimmed
// when it entered the cache) passes unchanged.
func Transform(obj any) (any, error) {
	if n, ok := obj.(*v1.Node); ok {
		n.Status.Images = nil
		n.Status.VolumesInUse = nil
		n.Status.VolumesAttached = nil
		n.Status.Capacity = nil
		n.Status.Allocatable = nil
	}
	if o, ok := obj.(metav1.Object); ok {
		o.SetManagedFields(nil)
	}
	return obj, nil
}

// NewSharedInformerFactory returns the shared informer factory the
// framework would build (options.Config: the versioned client and the
// resync period it is given, app.ResyncPeriod) with Transform set on every
// informer it creates.
func NewSharedInformerFactory(client kubernetes.Interface, resync time.Duration) informers.SharedInformerFactory {
	return informers.NewSharedInformerFactoryWithOptions(client, resync, informers.WithTransform(Transform))
}
