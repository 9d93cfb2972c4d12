package nlbservice

import (
	"context"

	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
	k8scloudprovider "k8s.io/cloud-provider"
	"k8s.io/cloud-provider/app"
	cloudcontrollerconfig "k8s.io/cloud-provider/app/config"
	genericcontrollermanager "k8s.io/controller-manager/app"
	"k8s.io/controller-manager/controller"
	"k8s.io/klog/v2"
)

// ClientName is the controller's client identity: the framework's
// service-controller one, whose bootstrap role (with
// --use-service-account-credentials) lets it do all this controller does:
// read Services and Nodes, patch Services and their status (finalizer,
// ingress), write Events.
const ClientName = "service-controller"

// InitFuncConstructor registers the controller with the framework
// (app.NewCloudControllerManagerCommand's controller initialisers).
func InitFuncConstructor() app.ControllerInitFuncConstructor {
	return app.ControllerInitFuncConstructor{
		InitContext: app.ControllerInitContext{ClientName: ClientName},
		Constructor: startWrapper,
	}
}

func startWrapper(initCtx app.ControllerInitContext, cfg *cloudcontrollerconfig.CompletedConfig, cloud k8scloudprovider.Interface) app.InitFunc {
	return func(ctx context.Context, _ genericcontrollermanager.ControllerContext) (controller.Interface, bool, error) {
		if cloud == nil {
			klog.InfoS("No cloud provider; not starting", "controller", ControllerName)
			return nil, false, nil
		}
		lb, ok := cloud.LoadBalancer()
		if !ok {
			klog.InfoS("The cloud provider has no load balancers; not starting", "controller", ControllerName)
			return nil, false, nil
		}
		client := cfg.ClientBuilder.ClientOrDie(initCtx.ClientName)
		broadcaster := record.NewBroadcaster(record.WithContext(ctx))
		broadcaster.StartStructuredLogging(3)
		broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
		recorder := broadcaster.NewRecorder(scheme.Scheme, v1.EventSource{Component: ControllerName})
		inf := cfg.SharedInformers.Core().V1()
		c, err := New(lb, client, inf.Services(), inf.Nodes(), recorder, Options{
			ClusterName: cfg.ComponentConfig.KubeCloudShared.ClusterName,
			Workers:     int(cfg.ComponentConfig.ServiceController.ConcurrentServiceSyncs),
		})
		if err != nil {
			broadcaster.Shutdown()
			return nil, false, err
		}
		go func() {
			defer broadcaster.Shutdown()
			c.Run(ctx)
		}()
		return nil, true, nil
	}
}
