package nlb

import (
	"context"

	sdknlb "github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// portsInput is what the instance level hands the port level (listeners,
// server groups, servers) once the NLB exists and is proven the Service's.
type portsInput struct {
	// LB is the NLB as ListLoadBalancers (or GetLoadBalancerAttribute, copied over)
	// shows it (ID, VpcId, zones, security groups, tags).
	LB *sdknlb.LoadbalancerInfo
	// Reused is true for the user's NLB (id annotation): only listeners
	// on the Service's ports with force-override-listeners, and only
	// server groups the CCM created or vgroup-port names, are touched.
	Reused bool
	Cfg    *annotations.NLBConfig
	Svc    *v1.Service
	// Nodes are the framework's candidate nodes.
	Nodes []*v1.Node
	// BackendsOnly is true for UpdateLoadBalancer: converge servers only.
	BackendsOnly bool
}

// syncPorts converges the listeners, server groups and servers of
// in.LB for in.Svc. It returns the IDs of the jobs its writes started
// (the caller waits for them without blocking: a retry error).
//
// Contract stub: the port level replaces this file.
func (r *Reconciler) syncPorts(_ context.Context, _ portsInput) (jobs []string, err error) {
	return nil, nil
}

// deletePorts removes the listeners and server groups the CCM made for
// svc on lbID and its servers from server groups it does not own; it
// never touches foreign ones. Called before an owned NLB is deleted
// (server groups outlive their NLB) and for a reused NLB.
func (r *Reconciler) deletePorts(_ context.Context, _ string, _ *v1.Service) (jobs []string, err error) {
	return nil, nil
}
