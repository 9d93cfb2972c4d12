package loadbalancer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// VerifiedConfigMapName is the ConfigMap holding the verified-backends
// record (verified.go). Deleting it makes the next restart read every
// vServer group's members.
const VerifiedConfigMapName = "alicloud-ccm-verified-backends"

// defaultRecordNamespace is the record's namespace outside a pod (the
// namespace the deployment manifests run the CCM in).
const defaultRecordNamespace = "kube-system"

// serviceAccountNamespaceFile is where a pod reads its own namespace.
const serviceAccountNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// RecordNamespace returns the CCM's own namespace: $POD_NAMESPACE, else
// the pod's service account namespace, else kube-system.
func RecordNamespace() string {
	if ns := strings.TrimSpace(os.Getenv("POD_NAMESPACE")); ns != "" {
		return ns
	}
	if b, err := os.ReadFile(serviceAccountNamespaceFile); err == nil {
		if ns := strings.TrimSpace(string(b)); ns != "" {
			return ns
		}
	}
	return defaultRecordNamespace
}

// configMapStore is a RecordStore in one ConfigMap's data.
type configMapStore struct {
	client    kubernetes.Interface
	namespace string
	name      string
}

// NewConfigMapStore returns the record store in ConfigMap
// VerifiedConfigMapName of the namespace.
func NewConfigMapStore(client kubernetes.Interface, namespace string) RecordStore {
	return &configMapStore{client: client, namespace: namespace, name: VerifiedConfigMapName}
}

// Load reads the ConfigMap (one GET); a missing one is an empty record.
func (s *configMapStore) Load(ctx context.Context) (map[string]string, error) {
	cm, err := s.client.CoreV1().ConfigMaps(s.namespace).Get(ctx, s.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("configmap %s/%s: %w", s.namespace, s.name, err)
	}
	out := make(map[string]string, len(cm.Data))
	for k, v := range cm.Data {
		out[k] = v
	}
	return out, nil
}

// Patch sets and removes data keys with one JSON merge patch, and creates
// the ConfigMap with the keys it sets when it does not exist.
func (s *configMapStore) Patch(ctx context.Context, changes map[string]*string) error {
	if len(changes) == 0 {
		return nil
	}
	body, err := json.Marshal(map[string]any{"data": changes})
	if err != nil {
		return err
	}
	cms := s.client.CoreV1().ConfigMaps(s.namespace)
	for range 2 {
		_, err = cms.Patch(ctx, s.name, types.MergePatchType, body, metav1.PatchOptions{})
		if !apierrors.IsNotFound(err) {
			break
		}
		data := map[string]string{}
		for k, v := range changes {
			if v != nil {
				data[k] = *v
			}
		}
		if len(data) == 0 {
			return nil // only removals, and nothing is stored
		}
		cm := &v1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: s.name, Namespace: s.namespace,
			Labels: map[string]string{"app.kubernetes.io/managed-by": "alicloud-ccm"}}, Data: data}
		_, err = cms.Create(ctx, cm, metav1.CreateOptions{})
		if !apierrors.IsAlreadyExists(err) {
			break
		}
		// Created meanwhile: patch it.
	}
	if err != nil {
		return fmt.Errorf("configmap %s/%s: %w", s.namespace, s.name, err)
	}
	return nil
}

// isStoreDenied reports an error that will not go away by retrying: the
// CCM may not read or write ConfigMaps there.
func isStoreDenied(err error) bool {
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		return false
	}
	return apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) || apierrors.IsMethodNotSupported(err)
}
