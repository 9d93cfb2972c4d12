package cloudprovider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/record"
	k8scloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/podbackends"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/nodeclass"
)

// nlbEngine is what the provider needs of the NLB engine
// (*nlb.Reconciler): the framework's interface, the backend policy the
// endpoints controller asks for, and the cluster identity Initialize
// resolves.
type nlbEngine interface {
	k8scloudprovider.LoadBalancer
	BackendPolicy(svc *v1.Service) (podbackends.Policy, bool)
	SetClusterID(id string)
	// OwnedNLB is the NLB our tags give the Service, "" for none (one
	// read).
	OwnedNLB(ctx context.Context, svc *v1.Service) (string, error)
}

// productSelector routes each Service to the engine of the product it asks
// for (annotations.ProductOf): CLB Services to the CLB engine, NLB
// Services to the NLB engine. The framework's service controller calls it
// for Services without a loadBalancerClass (it skips every class), which
// select NLB by annotation; the NLB class reaches it through this CCM's
// nlb-service controller (controllers/nlbservice). A switch between CLB
// and NLB on a Service that has a load balancer is refused with a Warning
// Event and no write; a Service with another controller's class is never
// touched.
type productSelector struct {
	clb    *loadbalancer.Reconciler
	nlb    nlbEngine
	events record.EventRecorder
}

var (
	_ k8scloudprovider.LoadBalancer = (*productSelector)(nil)
	_ loadbalancer.BackendSyncer    = (*productSelector)(nil)
)

// clbEngine returns the CLB engine behind the load balancer capability, or
// nil when the capability is something else (tests' stubs).
func (c *Cloud) clbEngine() *loadbalancer.Reconciler {
	switch lb := c.lb.(type) {
	case *productSelector:
		return lb.clb
	case *loadbalancer.Reconciler:
		return lb
	}
	return nil
}

// nlbEngine returns the NLB engine behind the load balancer capability, or
// nil.
func (c *Cloud) nlbEngine() nlbEngine {
	if p, ok := c.lb.(*productSelector); ok {
		return p.nlb
	}
	return nil
}

// engines returns the engine of the product svc asks for first and the
// other one second; nil, nil for another controller's class.
func (p *productSelector) engines(svc *v1.Service) (wanted, other k8scloudprovider.LoadBalancer) {
	switch annotations.ProductOf(svc) {
	case annotations.ProductNLB:
		return p.nlb, p.clb
	case annotations.ProductCLB:
		return p.clb, p.nlb
	default: // another controller's class
		return nil, nil
	}
}

// GetLoadBalancer reports the load balancer of the product svc asks for,
// else one of the other product (reads only): the framework deletes only
// what this reports, and a Service may still have the other product's
// load balancer (a refused switch, or a Service whose type changed away
// from LoadBalancer, which drops its class).
func (p *productSelector) GetLoadBalancer(ctx context.Context, cluster string, svc *v1.Service) (*v1.LoadBalancerStatus, bool, error) {
	wanted, other := p.engines(svc)
	if wanted == nil {
		return nil, false, nil
	}
	st, exists, err := wanted.GetLoadBalancer(ctx, cluster, svc)
	if err != nil || exists || p.clbProven(svc) {
		return st, exists, err
	}
	return other.GetLoadBalancer(ctx, cluster, svc)
}

// clbProven reports whether svc is a CLB Service whose status shows its
// CLB: it has no NLB, since the NLB engine publishes its NLB's status
// before any switch could leave it behind, and no CLB is made for a
// Service that has an NLB (refusal). Its lookups and deletion skip the
// NLB engine.
func (p *productSelector) clbProven(svc *v1.Service) bool {
	want, has := p.products(svc)
	return want == annotations.ProductCLB && has == annotations.ProductCLB
}

// GetLoadBalancerName is the name the wanted product's engine gives.
func (p *productSelector) GetLoadBalancerName(ctx context.Context, cluster string, svc *v1.Service) string {
	if wanted, _ := p.engines(svc); wanted != nil {
		return wanted.GetLoadBalancerName(ctx, cluster, svc)
	}
	return ""
}

// EnsureLoadBalancer runs the engine of the product svc asks for; a
// product switch or another controller's class gets an error (and the
// switch a Warning Event), with no write.
func (p *productSelector) EnsureLoadBalancer(ctx context.Context, cluster string, svc *v1.Service, nodes []*v1.Node) (*v1.LoadBalancerStatus, error) {
	if err := p.refusal(ctx, cluster, svc); err != nil {
		return nil, err
	}
	wanted, _ := p.engines(svc)
	return wanted.EnsureLoadBalancer(ctx, cluster, svc, nodes)
}

// UpdateLoadBalancer converges the backends of the Service's load
// balancer; for a refused switch or another class it does nothing
// (EnsureLoadBalancer already said why).
func (p *productSelector) UpdateLoadBalancer(ctx context.Context, cluster string, svc *v1.Service, nodes []*v1.Node) error {
	switch p.backendProduct(svc) {
	case annotations.ProductCLB:
		return p.clb.UpdateLoadBalancer(ctx, cluster, svc, nodes)
	case annotations.ProductNLB:
		return p.nlb.UpdateLoadBalancer(ctx, cluster, svc, nodes)
	default: // a refused switch, or another controller's class
		return nil
	}
}

// EnsureLoadBalancerDeleted runs both engines' cleanups: each deletes only
// what this CCM made for the Service (nothing, and no write, for a
// product the Service never had), so whichever product the Service has,
// or had before a refused switch or a crash before its status was
// written, is removed. A CLB Service whose status shows its CLB needs
// only the CLB engine's (clbProven): its NLB lookups would find nothing.
// Another controller's Service is left alone.
func (p *productSelector) EnsureLoadBalancerDeleted(ctx context.Context, cluster string, svc *v1.Service) error {
	wanted, other := p.engines(svc)
	switch {
	case wanted == nil:
		return nil
	case p.clbProven(svc):
		return wanted.EnsureLoadBalancerDeleted(ctx, cluster, svc)
	}
	return errors.Join(wanted.EnsureLoadBalancerDeleted(ctx, cluster, svc), other.EnsureLoadBalancerDeleted(ctx, cluster, svc))
}

// SyncBackends is the endpoints controller's backend-only sync
// (loadbalancer.BackendSyncer): the CLB engine's SyncBackends, or the NLB
// engine's UpdateLoadBalancer with the nodes the framework would pass.
// Refused Services get no call.
func (p *productSelector) SyncBackends(ctx context.Context, svc *v1.Service, nodes []*v1.Node) error {
	switch p.backendProduct(svc) {
	case annotations.ProductCLB:
		return p.clb.SyncBackends(ctx, svc, nodes)
	case annotations.ProductNLB:
		return p.nlb.UpdateLoadBalancer(ctx, "", svc, nodeclass.LoadBalancerNodes(nodes))
	default: // a refused switch, or another controller's class
		return nil
	}
}

// BackendPolicy is the backend policy of svc as its product's engine
// reads it.
func (p *productSelector) BackendPolicy(svc *v1.Service) (podbackends.Policy, bool) {
	switch annotations.ProductOf(svc) {
	case annotations.ProductNLB:
		return p.nlb.BackendPolicy(svc)
	case annotations.ProductCLB:
		return p.clb.BackendPolicy(svc)
	default:
		return "", false
	}
}

// backendProduct returns the product whose backends svc's node and
// endpoint changes converge: the wanted one, unless the status shows the
// other product (a refused switch: no write at all); "" then and for
// another controller's class.
func (p *productSelector) backendProduct(svc *v1.Service) annotations.Product {
	want, has := p.products(svc)
	if want == annotations.ProductOther || has != "" && has != want {
		klog.V(2).InfoS("Not syncing the backends of a Service whose load balancer is not of the product it asks for", "service", klog.KObj(svc), "wants", want, "has", has)
		return ""
	}
	return want
}

// products returns what svc asks for and what its status shows it has
// ("" when the status is empty).
func (p *productSelector) products(svc *v1.Service) (want, has annotations.Product) {
	return annotations.ProductOf(svc), statusProduct(svc.Status.LoadBalancer)
}

// statusProduct tells from a Service's status which product serves it: an
// NLB publishes its DNS name (<id>.<region>.nlb.aliyuncs.com); anything
// else published is a CLB (its address, or the hostname annotation's name).
func statusProduct(st v1.LoadBalancerStatus) annotations.Product {
	if len(st.Ingress) == 0 {
		return ""
	}
	for _, in := range st.Ingress {
		if strings.Contains(in.Hostname, ".nlb.aliyuncs") {
			return annotations.ProductNLB
		}
	}
	return annotations.ProductCLB
}

// refusal returns nil when the wanted product's engine may run for svc;
// otherwise it records the Warning Event (for a switch) and returns the
// error to report.
func (p *productSelector) refusal(ctx context.Context, cluster string, svc *v1.Service) error {
	want, has := p.products(svc)
	switch {
	case want == annotations.ProductOther:
		// The framework skips Services with a loadBalancerClass; never
		// touch another controller's Service should it call anyway.
		return fmt.Errorf("spec.loadBalancerClass %q is not this CCM's; the Service is left alone", *svc.Spec.LoadBalancerClass)
	case want == annotations.ProductCLB && has == annotations.ProductNLB:
		return p.refuseCLB(svc, hostnames(svc.Status.LoadBalancer))
	case want == annotations.ProductCLB && has == "":
		// The NLB's status may lag behind an NLB created just before the
		// annotation left nlb (or a crash); the NLB engine's tag lookup
		// settles it, so a CLB status always means no NLB (clbProven).
		id, err := p.nlb.OwnedNLB(ctx, svc)
		switch {
		case cloudapi.IsDenied(err):
			// Credentials that may not list NLBs cannot have created one:
			// a RAM policy written for CLB alone keeps making CLBs.
			klog.V(2).InfoS("The NLB lookup before creating a CLB is denied; the credentials cannot have made an NLB", "service", klog.KObj(svc), "err", err)
			return nil
		case err != nil:
			return fmt.Errorf("looking for an NLB of the Service before creating its CLB: %w", err)
		}
		if id != "" {
			return p.refuseCLB(svc, id)
		}
		return nil
	case want != annotations.ProductNLB || has == annotations.ProductNLB:
		return nil
	}
	if has == "" {
		// The status may lag behind a CLB created just before a crash; the
		// CLB engine's lookup (reads only) settles it. Only a CLB it found
		// counts (it returns that CLB's status): "exists" without a status
		// means the id annotation names no usable CLB, which for an NLB
		// Service is the NLB it reuses, or only a leftover ACL, which the
		// delete path removes whichever product the Service has.
		st, exists, err := p.clb.GetLoadBalancer(ctx, cluster, svc)
		if err != nil {
			return fmt.Errorf("looking for a CLB of the Service before creating its NLB: %w", err)
		}
		if !exists || st == nil || len(st.Ingress) == 0 {
			return nil
		}
	}
	if svc.Spec.LoadBalancerClass != nil {
		return p.refuse(svc, loadbalancer.ReasonTypeChangeRefused, fmt.Sprintf("spec.loadBalancerClass %s asks for an NLB, but the Service has a CLB "+
			"(it had no class before): a Service cannot switch between CLB and NLB; nothing was changed. Delete the Service and create it again", annotations.NLBClass))
	}
	return p.refuse(svc, loadbalancer.ReasonTypeChangeRefused, fmt.Sprintf("annotation %s: nlb asks for an NLB, but the Service has a CLB: "+
		"a Service cannot switch between CLB and NLB; nothing was changed. Remove the annotation to keep the CLB, "+
		"or delete the Service and create it again with the annotation", annotations.KeyLoadBalancerType))
}

// refuseCLB refuses a CLB to a Service that has the NLB nlb.
func (p *productSelector) refuseCLB(svc *v1.Service, nlb string) error {
	return p.refuse(svc, loadbalancer.ReasonTypeChangeRefused, fmt.Sprintf("the Service has an NLB (%s) but asks for a CLB (annotation %s is not nlb): "+
		"a Service cannot switch between CLB and NLB; nothing was changed. Set %s: nlb again, or delete and recreate the Service",
		nlb, annotations.KeyLoadBalancerType, annotations.KeyLoadBalancerType))
}

func (p *productSelector) refuse(svc *v1.Service, reason, msg string) error {
	p.events.Event(svc, v1.EventTypeWarning, reason, msg)
	return errors.New(msg)
}

func hostnames(st v1.LoadBalancerStatus) string {
	var out []string
	for _, in := range st.Ingress {
		if in.Hostname != "" {
			out = append(out, in.Hostname)
		}
	}
	return strings.Join(out, ",")
}
