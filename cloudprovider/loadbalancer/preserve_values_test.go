package loadbalancer

import (
	"context"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/loadbalancer/annotations"
)

// TestPreserveOnDeleteValues pins the delete path to the parser's reading
// of preserve-lb-on-delete: the official CCM keeps the CLB for any
// non-empty value, so `false`, `off` or `yes` keep it too (with a Warning
// naming key and value); only an unset or empty annotation deletes it.
// Deleting a user's CLB because of a value it did not mean is the one
// mistake that cannot be undone.
func TestPreserveOnDeleteValues(t *testing.T) {
	key := string(annotations.KeyPreserveLBOnDelete)
	legacy := annotations.KeyPreserveLBOnDelete.Legacy()
	for _, tt := range []struct {
		name string
		ann  map[string]string
		keep bool
		warn string // a Warning event names this value
	}{
		{name: "unset", keep: false},
		{name: "empty", ann: map[string]string{key: " "}, keep: false},
		{name: "true", ann: map[string]string{key: "true"}, keep: true},
		{name: "on", ann: map[string]string{key: "on"}, keep: true},
		{name: "legacy prefix", ann: map[string]string{legacy: "true"}, keep: true},
		{name: "false keeps as in the official CCM", ann: map[string]string{key: "false"}, keep: true, warn: `"false"`},
		{name: "off keeps as in the official CCM", ann: map[string]string{key: "off"}, keep: true, warn: `"off"`},
		{name: "yes keeps", ann: map[string]string{key: "yes"}, keep: true, warn: `"yes"`},
		{name: "current prefix wins over legacy", ann: map[string]string{key: "", legacy: "true"}, keep: false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			svc := service("web", tt.ann)
			e.ensure(svc)
			id := e.lbs()[0].LoadBalancerId
			for len(e.events.Events) > 0 {
				<-e.events.Events
			}
			if err := e.r.EnsureLoadBalancerDeleted(context.Background(), "k", svc); err != nil {
				t.Fatal(err)
			}
			kept := len(e.lbs()) == 1
			if kept != tt.keep {
				t.Fatalf("CLB %s kept = %v, want %v", id, kept, tt.keep)
			}
			if tt.warn != "" && !e.sawEventWith(v1.EventTypeWarning, ReasonAnnotationWarning, key, tt.warn) {
				t.Errorf("no Warning event naming %s=%s", key, tt.warn)
			}
		})
	}
}
