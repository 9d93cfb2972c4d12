package cloudprovider

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	k8scloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// officialCLBFinalizer is the finalizer the official CCM
// (kubernetes/cloud-provider-alibaba-cloud) puts on every CLB Service and
// removes only itself. A Service migrated from it keeps the finalizer, and
// nothing would ever remove it: deleting the Service would hang. The
// framework's own finalizer (service.kubernetes.io/load-balancer-cleanup)
// guards the cleanup here, so the official one is dropped once this CCM has
// synced or cleaned up the Service; the official CCM adds it again if a user
// moves back.
const officialCLBFinalizer = "service.k8s.alibaba/resources"

// officialNLBFinalizer is the official CCM's finalizer on NLB Services
// (its NLB controller adds and removes it); dropped in the same way.
const officialNLBFinalizer = "service.k8s.alibaba/nlb"

// officialFinalizers are the official CCM's Service finalizers.
var officialFinalizers = []string{officialCLBFinalizer, officialNLBFinalizer}

// finalizerClient holds the Kubernetes client, known only once Initialize ran.
type finalizerClient struct {
	mu     sync.RWMutex
	client kubernetes.Interface
}

func (f *finalizerClient) set(c kubernetes.Interface) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.client = c
}

// drop removes the official CCM's finalizers from svc if it carries any.
// The JSON patch tests each entry first, so a concurrent change to the
// list makes the patch fail instead of removing another finalizer.
func (f *finalizerClient) drop(ctx context.Context, svc *v1.Service) error {
	var ops []map[string]string
	var dropped []string
	// From the end, so the indices of the entries still to remove hold.
	for i := len(svc.Finalizers) - 1; i >= 0; i-- {
		if fin := svc.Finalizers[i]; slices.Contains(officialFinalizers, fin) && !keepsOfficialFinalizer(svc, fin) {
			path := fmt.Sprintf("/metadata/finalizers/%d", i)
			ops = append(ops, map[string]string{"op": "test", "path": path, "value": fin}, map[string]string{"op": "remove", "path": path})
			dropped = append(dropped, fin)
		}
	}
	if len(ops) == 0 {
		return nil
	}
	f.mu.RLock()
	client := f.client
	f.mu.RUnlock()
	if client == nil {
		return nil
	}
	patch, err := json.Marshal(ops)
	if err != nil {
		return err
	}
	if _, err := client.CoreV1().Services(svc.Namespace).Patch(ctx, svc.Name, types.JSONPatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("removing the official CCM's finalizer %s from Service %s/%s: %w", strings.Join(dropped, ","), svc.Namespace, svc.Name, err)
	}
	klog.InfoS("Removed the official CCM's finalizer; this CCM's cleanup finalizer guards the Service", "service", klog.KObj(svc), "finalizer", dropped)
	return nil
}

// keepsOfficialFinalizer: the official CCM's NLB finalizer on an NLB-class
// Service is the nlb-service controller's own (controllers/nlbservice
// Finalizer) and stays.
func keepsOfficialFinalizer(svc *v1.Service, fin string) bool {
	return fin == officialNLBFinalizer && svc.Spec.LoadBalancerClass != nil && annotations.ProductOf(svc) == annotations.ProductNLB
}

// migratingLB is the LoadBalancer the framework sees: the engine, plus the
// removal of the official CCM's finalizers (CLB and NLB) after a
// successful sync or cleanup.
type migratingLB struct {
	k8scloudprovider.LoadBalancer
	fin *finalizerClient
}

// EnsureLoadBalancer implements k8scloudprovider.LoadBalancer.
func (m *migratingLB) EnsureLoadBalancer(ctx context.Context, cluster string, svc *v1.Service, nodes []*v1.Node) (*v1.LoadBalancerStatus, error) {
	st, err := m.LoadBalancer.EnsureLoadBalancer(ctx, cluster, svc, nodes)
	if err != nil {
		return st, err
	}
	return st, m.fin.drop(ctx, svc)
}

// EnsureLoadBalancerDeleted implements k8scloudprovider.LoadBalancer.
func (m *migratingLB) EnsureLoadBalancerDeleted(ctx context.Context, cluster string, svc *v1.Service) error {
	if err := m.LoadBalancer.EnsureLoadBalancerDeleted(ctx, cluster, svc); err != nil {
		return err
	}
	return m.fin.drop(ctx, svc)
}
