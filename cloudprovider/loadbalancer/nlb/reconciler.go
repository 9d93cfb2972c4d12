package nlb

import (
	"context"
	"errors"

	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/record"
	k8scloudprovider "k8s.io/cloud-provider"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// Options configure the engine.
type Options struct {
	// ClusterID goes into ownership tags (cloud-config Global.clusterID).
	ClusterID string
	// Region and VpcID of the cluster.
	Region, VpcID string
	// Defaults stand in for unset annotations (cloud-config).
	Defaults annotations.Defaults
	// PodBackends is the CLB engine's slot for endpoint-driven members
	// (the endpoints controller installs its source there); the NLB
	// engine reads the same source for Ip server groups and Local weights.
	PodBackends *loadbalancer.PodBackendSlot
}

// Reconciler converges the NLB of each Service that asks for one. It
// implements k8scloudprovider.LoadBalancer.
//
// Contract stub: the instance level (find, create, zones, status, delete)
// replaces this file.
type Reconciler struct {
	api    API
	events record.EventRecorder
	opts   Options
}

var _ k8scloudprovider.LoadBalancer = (*Reconciler)(nil)

// New returns an engine over api.
func New(api API, events record.EventRecorder, opts Options) *Reconciler {
	return &Reconciler{api: api, events: events, opts: opts}
}

var errNotYet = errors.New("the NLB engine is not built yet")

// GetLoadBalancer reports the Service's NLB.
func (r *Reconciler) GetLoadBalancer(_ context.Context, _ string, _ *v1.Service) (*v1.LoadBalancerStatus, bool, error) {
	return nil, false, nil
}

// GetLoadBalancerName is the NLB name of svc.
func (r *Reconciler) GetLoadBalancerName(_ context.Context, _ string, _ *v1.Service) string {
	return ""
}

// EnsureLoadBalancer converges the NLB of svc.
func (r *Reconciler) EnsureLoadBalancer(ctx context.Context, _ string, svc *v1.Service, nodes []*v1.Node) (*v1.LoadBalancerStatus, error) {
	in := portsInput{Svc: svc, Nodes: nodes}
	if _, err := r.syncSecurityGroups(ctx, in); err != nil {
		return nil, err
	}
	if _, err := r.syncPorts(ctx, in); err != nil {
		return nil, err
	}
	return nil, errNotYet
}

// UpdateLoadBalancer converges the backends of svc's NLB.
func (r *Reconciler) UpdateLoadBalancer(_ context.Context, _ string, _ *v1.Service, _ []*v1.Node) error {
	return errNotYet
}

// EnsureLoadBalancerDeleted removes what the CCM made for svc.
func (r *Reconciler) EnsureLoadBalancerDeleted(ctx context.Context, _ string, svc *v1.Service) error {
	if _, err := r.deletePorts(ctx, "", svc); err != nil {
		return err
	}
	_, err := r.deleteSecurityGroups(ctx, "", svc)
	return err
}
