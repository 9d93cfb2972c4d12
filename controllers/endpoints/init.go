package endpoints

import (
	"context"

	k8scloudprovider "k8s.io/cloud-provider"
	"k8s.io/cloud-provider/app"
	cloudcontrollerconfig "k8s.io/cloud-provider/app/config"
	genericcontrollermanager "k8s.io/controller-manager/app"
	"k8s.io/controller-manager/controller"
	"k8s.io/klog/v2"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer"
	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/podbackends"
)

// ClientName is the controller's client identity. The controller only
// reads, through the framework's shared informers (whose identity is
// "shared-informers"), and its Events are written by the provider; the
// name is registered for --use-service-account-credentials symmetry.
const ClientName = "service-controller"

// Provider is what the controller needs from the cloud provider;
// *alicloud.Cloud implements it (cloudprovider/backends_sync.go).
type Provider interface {
	EndpointBackends() (loadbalancer.BackendSyncer, *loadbalancer.PodBackendSlot, *podbackends.Resolver)
}

// InitFuncConstructor registers the controller with the framework
// (app.NewCloudControllerManagerCommand's controller initialisers).
func InitFuncConstructor() app.ControllerInitFuncConstructor {
	return app.ControllerInitFuncConstructor{
		InitContext: app.ControllerInitContext{ClientName: ClientName},
		Constructor: startWrapper,
	}
}

func startWrapper(_ app.ControllerInitContext, cfg *cloudcontrollerconfig.CompletedConfig, cloud k8scloudprovider.Interface) app.InitFunc {
	return func(ctx context.Context, _ genericcontrollermanager.ControllerContext) (controller.Interface, bool, error) {
		p, ok := cloud.(Provider)
		if !ok {
			klog.InfoS("The cloud provider has no endpoint backends; not starting", "controller", ControllerName)
			return nil, false, nil
		}
		rec, pods, resolver := p.EndpointBackends()
		if rec == nil || pods == nil {
			klog.InfoS("The cloud provider's load balancer is not this CCM's engine; not starting", "controller", ControllerName)
			return nil, false, nil
		}
		if cfg.Client != nil {
			allowed, err := canWatchEndpointSlices(ctx, cfg.Client)
			if err != nil {
				return nil, false, err
			}
			if !allowed {
				klog.Warningf("Not starting %s: this CCM's identity may not list/watch EndpointSlices "+
					"(RBAC rule missing: apiGroups [\"discovery.k8s.io\"], resources [\"endpointslices\"], verbs [\"get\",\"list\",\"watch\"]; "+
					"examples/deploy/ccm.yaml has it). Load balancer backends still follow nodes, but not endpoints "+
					"(externalTrafficPolicy Local weights, ENI and ECI pod backends stay as of the last Service sync).", ControllerName)
				return nil, false, nil
			}
		}
		inf := cfg.SharedInformers
		c, err := New(rec, pods, inf.Core().V1().Services(), inf.Discovery().V1().EndpointSlices(), inf.Core().V1().Nodes(), resolver, Options{})
		if err != nil {
			return nil, false, err
		}
		go c.Run(ctx)
		return nil, true, nil
	}
}
