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

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// productSelector routes each Service to the engine of the product it asks
// for (annotations.ProductOf). The framework's service controller only
// calls it for Services without a loadBalancerClass (it skips every class),
// so the NLB class reaches the nlb-service controller instead
// (controllers/nlbservice); here NLB means the type annotation.
type productSelector struct {
	clb    *loadbalancer.Reconciler
	events record.EventRecorder
}

var _ k8scloudprovider.LoadBalancer = (*productSelector)(nil)

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

// GetLoadBalancer reports the Service's CLB (reads only): a Service asking
// for an NLB may still have the CLB it had before, which its deletion
// must clean up.
func (p *productSelector) GetLoadBalancer(ctx context.Context, cluster string, svc *v1.Service) (*v1.LoadBalancerStatus, bool, error) {
	return p.clb.GetLoadBalancer(ctx, cluster, svc)
}

// GetLoadBalancerName is the CLB engine's name.
func (p *productSelector) GetLoadBalancerName(ctx context.Context, cluster string, svc *v1.Service) string {
	return p.clb.GetLoadBalancerName(ctx, cluster, svc)
}

// EnsureLoadBalancer runs the CLB engine for CLB Services; an NLB Service
// or a product switch gets a Warning Event and an error, with no write.
func (p *productSelector) EnsureLoadBalancer(ctx context.Context, cluster string, svc *v1.Service, nodes []*v1.Node) (*v1.LoadBalancerStatus, error) {
	if err := p.refusal(ctx, cluster, svc); err != nil {
		return nil, err
	}
	return p.clb.EnsureLoadBalancer(ctx, cluster, svc, nodes)
}

// UpdateLoadBalancer converges CLB backends; for an NLB Service it does
// nothing (EnsureLoadBalancer already said why).
func (p *productSelector) UpdateLoadBalancer(ctx context.Context, cluster string, svc *v1.Service, nodes []*v1.Node) error {
	if want, has := p.products(svc); want != annotations.ProductCLB || has == annotations.ProductNLB {
		klog.V(2).InfoS("Not updating the backends of a Service that asks for another load balancer product", "service", klog.KObj(svc), "wants", want, "has", has)
		return nil
	}
	return p.clb.UpdateLoadBalancer(ctx, cluster, svc, nodes)
}

// EnsureLoadBalancerDeleted always runs the CLB engine's cleanup: it
// deletes only a CLB this CCM owns for the Service (none for a Service
// that never had one, and then it writes nothing), so a Service whose
// product switch was refused still gets its CLB removed.
func (p *productSelector) EnsureLoadBalancerDeleted(ctx context.Context, cluster string, svc *v1.Service) error {
	return p.clb.EnsureLoadBalancerDeleted(ctx, cluster, svc)
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

// refusal returns nil when the CLB engine may run for svc; otherwise it
// records the Warning Event and returns the error to report.
func (p *productSelector) refusal(ctx context.Context, cluster string, svc *v1.Service) error {
	want, has := p.products(svc)
	switch {
	case want == annotations.ProductOther:
		// The framework skips Services with a loadBalancerClass; never
		// touch another controller's Service should it call anyway.
		return fmt.Errorf("spec.loadBalancerClass %q is not this CCM's; the Service is left alone", *svc.Spec.LoadBalancerClass)
	case want == annotations.ProductCLB && has == annotations.ProductNLB:
		return p.refuse(svc, loadbalancer.ReasonTypeChangeRefused, fmt.Sprintf("the Service has an NLB (%s) but asks for a CLB (annotation %s is not nlb): "+
			"a Service cannot switch between CLB and NLB; nothing was changed. Set %s: nlb again, or delete and recreate the Service",
			hostnames(svc.Status.LoadBalancer), annotations.KeyLoadBalancerType, annotations.KeyLoadBalancerType))
	case want != annotations.ProductNLB:
		return nil
	}
	if has == "" {
		// The status may lag behind a CLB created just before a crash; the
		// CLB engine's lookup (reads only) settles it.
		_, exists, err := p.clb.GetLoadBalancer(ctx, cluster, svc)
		if err != nil {
			return fmt.Errorf("looking for a CLB of the Service before refusing the NLB: %w", err)
		}
		if exists {
			has = annotations.ProductCLB
		}
	}
	if has == annotations.ProductCLB {
		return p.refuse(svc, loadbalancer.ReasonTypeChangeRefused, fmt.Sprintf("annotation %s: nlb asks for an NLB, but the Service has a CLB: "+
			"a Service cannot switch between CLB and NLB; nothing was changed. Remove the annotation to keep the CLB, "+
			"or delete the Service and create it again with the annotation", annotations.KeyLoadBalancerType))
	}
	return p.refuse(svc, loadbalancer.ReasonNLBNotSupported, loadbalancer.NLBNotSupportedMessage(svc))
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
