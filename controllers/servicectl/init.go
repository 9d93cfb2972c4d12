package servicectl

import (
	"context"

	utilfeature "k8s.io/apiserver/pkg/util/feature"
	k8scloudprovider "k8s.io/cloud-provider"
	"k8s.io/cloud-provider/app"
	cloudcontrollerconfig "k8s.io/cloud-provider/app/config"
	servicecontroller "k8s.io/cloud-provider/controllers/service"
	"k8s.io/cloud-provider/names"
	genericcontrollermanager "k8s.io/controller-manager/app"
	"k8s.io/controller-manager/controller"
	"k8s.io/klog/v2"
)

// ControllerName is the framework's name of the service controller, which
// this package replaces under the same name (--controllers=-service still
// switches it off).
const ControllerName = names.ServiceLBController

// InitFuncConstructor is the framework's service controller constructor
// (app.DefaultInitFuncConstructors[names.ServiceLBController]) with the
// node informer wrapped by OneKeyNodes; client name, workers and feature
// gates are the framework's.
func InitFuncConstructor() app.ControllerInitFuncConstructor {
	return app.ControllerInitFuncConstructor{
		InitContext: app.ControllerInitContext{ClientName: "service-controller"},
		Constructor: startWrapper,
	}
}

func startWrapper(initCtx app.ControllerInitContext, cfg *cloudcontrollerconfig.CompletedConfig, cloud k8scloudprovider.Interface) app.InitFunc {
	return func(ctx context.Context, cctx genericcontrollermanager.ControllerContext) (controller.Interface, bool, error) {
		sc, err := servicecontroller.New(
			cloud,
			cfg.ClientBuilder.ClientOrDie(initCtx.ClientName),
			cfg.SharedInformers.Core().V1().Services(),
			OneKeyNodes(cfg.SharedInformers.Core().V1().Nodes()),
			cfg.ComponentConfig.KubeCloudShared.ClusterName,
			utilfeature.DefaultFeatureGate,
		)
		if err != nil {
			// As the framework does: the provider has no load balancers.
			klog.Errorf("Failed to start service controller: %v", err)
			return nil, false, nil
		}
		go sc.Run(ctx, int(cfg.ComponentConfig.ServiceController.ConcurrentServiceSyncs), cctx.ControllerManagerMetrics)
		return nil, true, nil
	}
}
