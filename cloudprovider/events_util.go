package cloudprovider

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

func sprintf(format string, args ...interface{}) string { return fmt.Sprintf(format, args...) }

// metaOf returns the object's metadata for logging, or an empty one.
func metaOf(obj runtime.Object) metav1.Object {
	if m, err := meta.Accessor(obj); err == nil {
		return m
	}
	return &metav1.ObjectMeta{}
}

// contextFromStop turns a stop channel into a context.
func contextFromStop(stop <-chan struct{}) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-stop
		cancel()
	}()
	return ctx
}

// everything selects all objects.
var everything = labels.Everything()

// providerClientName is the identity of the provider's own Kubernetes client
// (node cache, events). It is the CCM's own service account, which every
// deployment manifest (the deployment guide's and ours) binds to the CCM's
// ClusterRole, so no extra RBAC is needed with
// --use-service-account-credentials=true.
const providerClientName = "cloud-controller-manager"
