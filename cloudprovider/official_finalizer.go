package cloudprovider

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	k8scloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"
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

// drop removes the official CCM's finalizer from svc if it carries it. The
// JSON patch tests the entry first, so a concurrent change to the list makes
// the patch fail instead of removing another finalizer.
func (f *finalizerClient) drop(ctx context.Context, svc *v1.Service) error {
	idx := -1
	for i, fin := range svc.Finalizers {
		if fin == officialCLBFinalizer {
			idx = i
			break
		}
	}
	if idx < 0 {
		return nil
	}
	f.mu.RLock()
	client := f.client
	f.mu.RUnlock()
	if client == nil {
		return nil
	}
	path := fmt.Sprintf("/metadata/finalizers/%d", idx)
	patch, err := json.Marshal([]map[string]string{
		{"op": "test", "path": path, "value": officialCLBFinalizer},
		{"op": "remove", "path": path},
	})
	if err != nil {
		return err
	}
	if _, err := client.CoreV1().Services(svc.Namespace).Patch(ctx, svc.Name, types.JSONPatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("removing the official CCM's finalizer %s from Service %s/%s: %w", officialCLBFinalizer, svc.Namespace, svc.Name, err)
	}
	klog.InfoS("Removed the official CCM's finalizer; this CCM's cleanup finalizer guards the Service", "service", klog.KObj(svc), "finalizer", officialCLBFinalizer)
	return nil
}

// migratingLB is the LoadBalancer the framework sees: the engine, plus the
// removal of the official CCM's finalizer after a successful sync or cleanup.
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
