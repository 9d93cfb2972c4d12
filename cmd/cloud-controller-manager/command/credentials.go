package command

import (
	"context"
	"fmt"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	restclient "k8s.io/client-go/rest"
	k8scloudprovider "k8s.io/cloud-provider"
	cloudcontrollerconfig "k8s.io/cloud-provider/app/config"
	"k8s.io/controller-manager/pkg/clientbuilder"
	"k8s.io/klog/v2"
)

// Why this exists: with --use-service-account-credentials=true (as the
// deployment guide's manifest runs us) the framework gives every controller
// its own service account and mints tokens for them through the TokenRequest
// API. The guide's ClusterRole does not grant serviceaccounts/token create,
// and the framework only notices lazily: each controller's requests then
// fail with "failed to get token", while the process looks healthy. We ask
// the API server up front whether we may mint tokens; if not, controllers run
// with the CCM's own identity, and we say so loudly with the rule to add.

// tokenProbeTimeout bounds the start-up access review.
const tokenProbeTimeout = 10 * time.Second

// canMintTokens asks whether the CCM's identity may create service account
// tokens in kube-system.
func canMintTokens(ctx context.Context, client kubernetes.Interface) (bool, error) {
	review := &authorizationv1.SelfSubjectAccessReview{
		Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Namespace:   metav1.NamespaceSystem,
				Verb:        "create",
				Resource:    "serviceaccounts",
				Subresource: "token",
			},
		},
	}
	resp, err := client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
	if err != nil {
		return false, fmt.Errorf("asking whether the CCM may create service account tokens: %w", err)
	}
	return resp.Status.Allowed, nil
}

// ensureUsableClientBuilder switches the controllers to the CCM's own
// identity when per-controller service account credentials were asked for
// but cannot be minted.
func ensureUsableClientBuilder(cfg *cloudcontrollerconfig.CompletedConfig) {
	if cfg.Client == nil || cfg.Kubeconfig == nil {
		return
	}
	cfg.ClientBuilder = chooseClientBuilder(cfg.ComponentConfig.KubeCloudShared.UseServiceAccountCredentials,
		cfg.Client, cfg.Kubeconfig, cfg.ClientBuilder)
}

// chooseClientBuilder returns current, or a builder using the CCM's own
// credentials (kubeconfig) when useSA is set but the CCM may not mint tokens.
func chooseClientBuilder(useSA bool, client kubernetes.Interface, kubeconfig *restclient.Config,
	current k8scloudprovider.ControllerClientBuilder) k8scloudprovider.ControllerClientBuilder {
	if !useSA {
		return current
	}
	ctx, cancel := context.WithTimeout(context.Background(), tokenProbeTimeout)
	defer cancel()
	allowed, err := canMintTokens(ctx, client)
	switch {
	case err != nil:
		// Unknown: keep the framework's choice; if tokens cannot be minted
		// the controllers will log "failed to get token".
		klog.ErrorS(err, "Could not check service account token permission; keeping --use-service-account-credentials=true")
		return current
	case !allowed:
		klog.Warning("--use-service-account-credentials=true, but this CCM's identity may not create service account tokens " +
			"(RBAC rule missing: apiGroups [\"\"], resources [\"serviceaccounts/token\"], verbs [\"create\"]). " +
			"Controllers will use the CCM's own credentials instead. Add the rule (examples/deploy/ccm.yaml has it) " +
			"or set --use-service-account-credentials=false to silence this warning.")
		return clientbuilder.SimpleControllerClientBuilder{ClientConfig: kubeconfig}
	}
	return current
}
