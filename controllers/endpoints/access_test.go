package endpoints

import (
	"context"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func TestCanWatchEndpointSlices(t *testing.T) {
	tests := []struct {
		name    string
		allowed map[string]bool // verb -> allowed
		want    bool
	}{
		{"list and watch allowed", map[string]bool{"list": true, "watch": true}, true},
		{"watch denied", map[string]bool{"list": true}, false},
		{"nothing allowed (the deployment guide's ClusterRole)", map[string]bool{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client := fake.NewClientset()
			client.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
				review := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
				ra := review.Spec.ResourceAttributes
				if ra.Group != "discovery.k8s.io" || ra.Resource != "endpointslices" || ra.Namespace != "" {
					t.Errorf("unexpected review %+v", ra)
				}
				review.Status.Allowed = tc.allowed[ra.Verb]
				return true, review, nil
			})
			got, err := canWatchEndpointSlices(context.Background(), client)
			if err != nil || got != tc.want {
				t.Fatalf("canWatchEndpointSlices = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
