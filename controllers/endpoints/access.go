package endpoints

import (
	"context"
	"fmt"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// accessCheckTimeout bounds the start-up access review.
const accessCheckTimeout = 10 * time.Second

// canWatchEndpointSlices asks whether the CCM's identity (the one behind the
// framework's shared informers) may list and watch EndpointSlices in every
// namespace. The deployment guide's ClusterRole predates EndpointSlices and
// lacks this rule; without the check the informer would log "forbidden"
// forever while the controller silently did nothing.
func canWatchEndpointSlices(ctx context.Context, client kubernetes.Interface) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, accessCheckTimeout)
	defer cancel()
	for _, verb := range []string{"list", "watch"} {
		review := &authorizationv1.SelfSubjectAccessReview{
			Spec: authorizationv1.SelfSubjectAccessReviewSpec{
				ResourceAttributes: &authorizationv1.ResourceAttributes{
					Verb: verb, Group: "discovery.k8s.io", Resource: "endpointslices",
				},
			},
		}
		resp, err := client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		if err != nil {
			return false, fmt.Errorf("asking whether the CCM may %s EndpointSlices: %w", verb, err)
		}
		if !resp.Status.Allowed {
			return false, nil
		}
	}
	return true, nil
}
