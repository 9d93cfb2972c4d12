package command

import (
	"errors"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	restclient "k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/controller-manager/pkg/clientbuilder"
)

// dynamicBuilder stands for the framework's per-controller-identity builder.
type dynamicBuilder struct {
	clientbuilder.SimpleControllerClientBuilder
}

func TestEnsureUsableClientBuilder(t *testing.T) {
	tests := []struct {
		name        string
		useSA       bool
		allowed     bool
		reviewErr   error
		wantSwapped bool
	}{
		{"token minting allowed keeps per-controller identities", true, true, nil, false},
		{"token minting denied falls back to the CCM identity", true, false, nil, true},
		{"review failure keeps the framework's choice", true, false, errors.New("boom"), false},
		{"service account credentials off: nothing to check", false, false, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client := fake.NewClientset()
			client.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
				if tc.reviewErr != nil {
					return true, nil, tc.reviewErr
				}
				review := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
				ra := review.Spec.ResourceAttributes
				if ra.Resource != "serviceaccounts" || ra.Subresource != "token" || ra.Verb != "create" || ra.Namespace != "kube-system" {
					t.Errorf("unexpected review %+v", ra)
				}
				review.Status.Allowed = tc.allowed
				return true, review, nil
			})
			got := chooseClientBuilder(tc.useSA, client, &restclient.Config{Host: "https://127.0.0.1:1"}, dynamicBuilder{})
			_, swapped := got.(clientbuilder.SimpleControllerClientBuilder)
			if swapped != tc.wantSwapped {
				t.Errorf("client builder swapped = %v, want %v", swapped, tc.wantSwapped)
			}
		})
	}
}
