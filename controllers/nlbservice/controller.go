// Package nlbservice watches the Services the framework's service
// controller never sees: those with spec.loadBalancerClass
// alibabacloud.com/nlb (the framework skips every Service with a class, see
// wantsLoadBalancer in k8s.io/cloud-provider's service controller; the
// official CCM serves that class with its own NLB controller in the same
// way). Until this CCM has an NLB engine, each such Service gets a Warning
// Event saying so, once per spec change, and nothing is written to the
// cloud. Services selecting NLB by annotation have no class, reach the
// framework, and get the same Event from the provider.
package nlbservice

import (
	"context"
	"fmt"
	"sync"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// ControllerName is the controller's name for --controllers (on by
// default; --controllers=*,-nlb-service switches it off).
const ControllerName = "nlb-service"

// Controller records why NLB-class Services get no load balancer.
type Controller struct {
	recorder record.EventRecorder

	mu   sync.Mutex
	seen map[types.UID]v1.ServiceSpec // spec last told about
}

// New builds the controller on the shared Service informer.
func New(services coreinformers.ServiceInformer, recorder record.EventRecorder) (*Controller, error) {
	if services == nil || recorder == nil {
		return nil, fmt.Errorf("%s controller: Service informer and recorder are required", ControllerName)
	}
	c := &Controller{recorder: recorder, seen: map[types.UID]v1.ServiceSpec{}}
	_, err := services.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.observe,
		UpdateFunc: func(_, obj interface{}) { c.observe(obj) },
		DeleteFunc: c.forget,
	})
	if err != nil {
		return nil, fmt.Errorf("%s controller: watching Services: %w", ControllerName, err)
	}
	return c, nil
}

// wantsNLB reports whether svc is an NLB-class LoadBalancer Service.
func wantsNLB(svc *v1.Service) bool {
	return svc.DeletionTimestamp == nil && svc.Spec.Type == v1.ServiceTypeLoadBalancer &&
		svc.Spec.LoadBalancerClass != nil && annotations.ProductOf(svc) == annotations.ProductNLB
}

// observe records the Warning for an NLB-class Service whose spec this
// controller has not told about yet; metadata and status updates and
// resyncs stay quiet. (Services have no metadata.generation to compare:
// the API server leaves it 0.)
func (c *Controller) observe(obj interface{}) {
	svc, ok := obj.(*v1.Service)
	if !ok || !wantsNLB(svc) {
		return
	}
	c.mu.Lock()
	last, seen := c.seen[svc.UID]
	told := seen && equality.Semantic.DeepEqual(last, svc.Spec)
	c.seen[svc.UID] = *svc.Spec.DeepCopy()
	c.mu.Unlock()
	if told {
		return
	}
	klog.InfoS("NLB Service not served: this CCM does not create NLBs yet", "service", klog.KObj(svc))
	c.recorder.Event(svc, v1.EventTypeWarning, loadbalancer.ReasonNLBNotSupported, loadbalancer.NLBNotSupportedMessage(svc))
}

func (c *Controller) forget(obj interface{}) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	if svc, ok := obj.(*v1.Service); ok {
		c.mu.Lock()
		delete(c.seen, svc.UID)
		c.mu.Unlock()
	}
}

// Run waits until ctx is done; the work happens in the informer's handlers.
func (c *Controller) Run(ctx context.Context) {
	klog.InfoS("Starting controller", "controller", ControllerName)
	<-ctx.Done()
	klog.InfoS("Stopping controller", "controller", ControllerName)
}
