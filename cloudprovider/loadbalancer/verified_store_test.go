package loadbalancer

import (
	"context"
	"errors"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func strp(s string) *string { return &s }

// TestConfigMapStore: the record's ConfigMap is read with one GET (absent:
// empty), created by the first patch that sets a key, and patched with a
// merge patch that sets and removes keys.
func TestConfigMapStore(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewClientset()
	s := NewConfigMapStore(cs, "ccm-ns")
	got, err := s.Load(ctx)
	if err != nil || len(got) != 0 {
		t.Fatalf("absent record: %v, %v", got, err)
	}
	// Only removals on an absent record: nothing to do.
	if err := s.Patch(ctx, map[string]*string{"a": nil}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().ConfigMaps("ccm-ns").Get(ctx, VerifiedConfigMapName, metav1.GetOptions{}); err == nil {
		t.Fatal("a removal created the ConfigMap")
	}
	if err := s.Patch(ctx, map[string]*string{"a": strp("v1 x"), "b": strp("v1 y"), "c": nil}); err != nil {
		t.Fatal(err)
	}
	if err := s.Patch(ctx, map[string]*string{"a": nil, "b": strp("v1 z")}); err != nil {
		t.Fatal(err)
	}
	got, err = s.Load(ctx)
	if err != nil || len(got) != 1 || got["b"] != "v1 z" {
		t.Fatalf("record %v, %v; want only b=v1 z", got, err)
	}
	cm, _ := cs.CoreV1().ConfigMaps("ccm-ns").Get(ctx, VerifiedConfigMapName, metav1.GetOptions{})
	if cm.Labels["app.kubernetes.io/managed-by"] != "alicloud-ccm" {
		t.Errorf("labels %v", cm.Labels)
	}
}

// TestConfigMapStoreDenied: a denied read turns the record off (writes
// go on, nothing is trusted); other errors are not denials.
func TestConfigMapStoreDenied(t *testing.T) {
	cs := fake.NewClientset(&v1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: VerifiedConfigMapName, Namespace: "kube-system"},
		Data: map[string]string{"a": entryA.encode()}})
	cs.PrependReactor("*", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errForbidden
	})
	s := NewConfigMapStore(cs, "kube-system")
	_, err := s.Load(context.Background())
	if !isStoreDenied(err) {
		t.Fatalf("Load: %v, want a denial", err)
	}
	if isStoreDenied(errors.New("connection refused")) {
		t.Error("a network error is taken as a denial")
	}
	v := &verifiedRecord{}
	v.setStore(s)
	if v.trusted(context.Background(), "a") != nil || v.dirty(context.Background(), "a") != nil {
		t.Fatal("a denied record must be off: nothing trusted, writes not blocked")
	}
}

func TestRecordNamespace(t *testing.T) {
	t.Setenv("POD_NAMESPACE", " ccm ")
	if got := RecordNamespace(); got != "ccm" {
		t.Errorf("RecordNamespace() = %q with POD_NAMESPACE", got)
	}
	t.Setenv("POD_NAMESPACE", "")
	if got := RecordNamespace(); got == "" {
		t.Error("no namespace")
	}
}
