package providerid

import (
	"context"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// ControllerName is the controller's name for --controllers
// (e.g. --controllers=*,-node-provider-id switches it off). It is on by
// default.
const ControllerName = "node-provider-id"

// ClientName is the identity the controller's client uses. It shares the
// framework's "node-controller" identity, as the cloud-node controllers do,
// so with --use-service-account-credentials the kube-system/node-controller
// service account's bootstrap role (nodes get/list/patch, events create)
// covers it and no extra RBAC is needed.
const ClientName = "node-controller"

var metav1PatchOptions = metav1.PatchOptions{FieldManager: ControllerName}

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
		resolver, ok := cloud.(Resolver)
		inst, hasInst := cloud.InstancesV2()
		if !ok || !hasInst {
			klog.InfoS("The cloud provider cannot resolve nodes to instances; not starting", "controller", ControllerName)
			return nil, false, nil
		}
		client := cfg.ClientBuilder.ClientOrDie(initCtx.ClientName)
		broadcaster := record.NewBroadcaster(record.WithContext(ctx))
		broadcaster.StartStructuredLogging(3)
		broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
		recorder := broadcaster.NewRecorder(scheme.Scheme, v1.EventSource{Component: ControllerName})
		c, err := New(client, cfg.SharedInformers.Core().V1().Nodes(), resolver, inst, recorder, Options{})
		if err != nil {
			return nil, false, err
		}
		go func() {
			defer broadcaster.Shutdown()
			c.Run(ctx)
		}()
		return nil, true, nil
	}
}
